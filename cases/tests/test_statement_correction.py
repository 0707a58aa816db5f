"""Seed 002's review "Is the problem statement correct?" (issue 9, point 18): when the
customer corrects the problem statement, business impact or critical milestone while
escalating, the ticket's intake takes the corrected values in the same transaction, the
previous text stays in the timeline (a public event), and staff, the case brief and the
portal's "What you told us" all read the corrected statement. Through the service, the
portal, the console (staff recording a request made by phone) and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import CaseRequest, EscalationCase
from cases.services import requests as case_requests
from cases.services import review as leadership_review
from cases.services.core import Review
from escalation_desk.domain import InvalidInput, Refused
from tests_support.factories import OrganisationFactory, make_agent, make_customer
from tickets.models import Ticket, TimelineEvent
from tickets.services.intake import ticket_correct_statement
from tickets.services.lifecycle import ticket_cancel

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

OLD_STATEMENT = "The payroll export of one department times out."
NEW_STATEMENT = "Every payroll export times out, for every department, since the 2.4 upgrade."
NEW_IMPACT = "No salary can be paid on Friday: 800 staff."
MILESTONE = timezone.localdate() + timedelta(days=30)


@pytest.fixture
def ticket(world: World) -> Ticket:
    with time_machine.travel(at(23, 9), tick=False):
        return triaged(
            world,
            description=OLD_STATEMENT,
            business_impact="One department is late.",
            critical_milestone=None,
        )


def corrected(ticket: Ticket) -> TimelineEvent:
    return TimelineEvent.objects.get(ticket=ticket, kind="intake_corrected")


def assert_corrected(ticket: Ticket, actor_username: str) -> None:
    ticket.refresh_from_db()
    assert (ticket.description, ticket.business_impact, ticket.critical_milestone) == (
        NEW_STATEMENT,
        NEW_IMPACT,
        MILESTONE,
    )
    event = corrected(ticket)
    assert event.actor.username == actor_username and event.is_public
    assert event.details["changed"] == {
        "description": [OLD_STATEMENT, NEW_STATEMENT],
        "business_impact": ["One department is late.", NEW_IMPACT],
        "critical_milestone": ["", MILESTONE.isoformat()],
    }
    # The previous text is kept in the timeline, in words the customer reads.
    assert f"Problem statement was: “{OLD_STATEMENT}”." in event.reason
    assert "Business impact was: “One department is late.”." in event.reason
    # The case brief is generated from the corrected intake.
    brief = leadership_review.case_brief(ticket)
    assert NEW_STATEMENT in brief and NEW_IMPACT in brief and OLD_STATEMENT not in brief
    # The correction and the request are one change: the event comes just before the request's.
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.index("intake_corrected") == kinds.index("case_requested") - 1


def test_it_corrects_the_intake_through_the_service_and_keeps_the_previous_text(
    world: World, ticket: Ticket
) -> None:
    with time_machine.travel(at(23, 10), tick=False):
        case = case_requests.case_request(
            ticket=ticket,
            actor=world["carla"],
            reason="critical_impact",
            level="next_tier",
            review=Review(
                problem_statement_correct=False,
                corrected_problem_statement=f"  {NEW_STATEMENT} ",
                business_impact=NEW_IMPACT,
                critical_milestone=MILESTONE,
            ),
        )

    assert_corrected(ticket, "carla")
    assert corrected(ticket).at == at(23, 10)
    assert case.requests.get().corrected_problem_statement == NEW_STATEMENT
    # The same request again changes nothing more.
    case_requests.case_request(
        ticket=ticket,
        actor=world["carla"],
        reason="critical_impact",
        level="next_tier",
        review=Review(
            problem_statement_correct=False,
            corrected_problem_statement=NEW_STATEMENT,
            business_impact=NEW_IMPACT,
            critical_milestone=MILESTONE,
        ),
    )
    assert TimelineEvent.objects.filter(ticket=ticket, kind="intake_corrected").count() == 1


def test_a_correct_statement_changes_nothing(world: World, ticket: Ticket) -> None:
    case_requests.case_request(
        ticket=ticket,
        actor=world["carla"],
        reason="critical_impact",
        level="next_tier",
        review=Review(
            problem_statement_correct=True,
            corrected_problem_statement="ignored",
            business_impact="One department is late.",
        ),
    )

    ticket.refresh_from_db()
    assert (ticket.description, ticket.business_impact, ticket.critical_milestone) == (
        OLD_STATEMENT,
        "One department is late.",
        None,
    )
    assert not TimelineEvent.objects.filter(ticket=ticket, kind="intake_corrected").exists()


def test_a_refused_request_corrects_nothing(world: World) -> None:
    ticket = triaged(world, description=OLD_STATEMENT, workaround="Export by hand.")
    with pytest.raises(Refused):  # the workaround's impracticality is missing
        case_requests.case_request(
            ticket=ticket,
            actor=world["carla"],
            reason="critical_impact",
            level="next_tier",
            review=Review(
                problem_statement_correct=False,
                corrected_problem_statement=NEW_STATEMENT,
                business_impact=NEW_IMPACT,
            ),
        )
    ticket.refresh_from_db()
    assert ticket.description == OLD_STATEMENT
    assert not TimelineEvent.objects.filter(ticket=ticket, kind="intake_corrected").exists()
    assert not EscalationCase.objects.exists()


def test_the_correction_service_is_narrow(world: World, ticket: Ticket) -> None:
    other = make_customer(OrganisationFactory(name="Globex"), username="gus")
    with pytest.raises(PermissionDenied):
        ticket_correct_statement(ticket=ticket, actor=other, description="Mine now")
    with pytest.raises(InvalidInput) as invalid:
        ticket_correct_statement(ticket=ticket, actor=world["carla"], summary="Renamed", priority="P1")
    assert set(invalid.value.errors) == {"summary", "priority"}
    with pytest.raises(InvalidInput):
        ticket_correct_statement(ticket=ticket, actor=world["carla"], description="  ")
    ticket_cancel(ticket=ticket, actor=world["erin"], reason="withdrawn", note="Solved")
    with pytest.raises(PermissionDenied):
        ticket_correct_statement(ticket=ticket, actor=world["carla"], description=NEW_STATEMENT)
    ticket.refresh_from_db()
    assert ticket.description == OLD_STATEMENT


def test_the_portal_shows_the_corrected_statement_and_the_correction_in_history(
    world: World, ticket: Ticket, client: Client
) -> None:
    client.force_login(world["carla"])
    data = {
        "reason": "critical_impact",
        "reason_detail": "",
        "level": "team_leader",
        "problem_statement_correct": "no",
        "corrected_problem_statement": NEW_STATEMENT,
        "business_impact": NEW_IMPACT,
        "workaround_impractical_because": "",
        "critical_milestone": MILESTONE.isoformat(),
    }
    with time_machine.travel(at(23, 10), tick=False):
        response = client.post(
            reverse("portal:escalation_request", args=[ticket.pk]),
            {f"escalation-{k}": v for k, v in data.items()},
        )

    assert response.status_code == 302
    assert_corrected(ticket, "carla")
    page = client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    told_us = page[page.index('id="details"') : page.index('id="history"')]
    assert (
        NEW_STATEMENT in told_us and NEW_IMPACT in told_us and f"{MILESTONE.day} {MILESTONE:%b %Y}" in told_us
    )
    assert OLD_STATEMENT not in told_us
    history = page[page.index('id="history"') :]
    assert "What you told us was corrected" in history and OLD_STATEMENT in history


def test_staff_recording_a_phone_request_correct_the_intake_for_the_customer(
    world: World, ticket: Ticket, client: Client
) -> None:
    client.force_login(world["erin"])
    data = {
        "channel": "phone",
        "reason": "production_down",
        "reason_detail": "",
        "level": "team_leader",
        "problem_statement_correct": "no",
        "corrected_problem_statement": NEW_STATEMENT,
        "business_impact": NEW_IMPACT,
        "workaround_impractical_because": "",
        "critical_milestone": MILESTONE.isoformat(),
    }
    response = client.post(
        reverse("desk:case_request", args=[ticket.pk]), {f"case_request-{k}": v for k, v in data.items()}
    )

    assert response.status_code == 302
    assert_corrected(ticket, "erin")
    assert corrected(ticket).details["by_customer"] is False
    request = CaseRequest.objects.get()
    assert (request.requested_by, request.recorded_by) == (world["carla"], world["erin"])
    # Staff read the corrected intake on the ticket page.
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert NEW_STATEMENT in page


def test_an_escalation_manager_outside_the_team_records_the_correction_too(
    world: World, ticket: Ticket
) -> None:
    esme = make_agent("Escalation manager", username="esme")
    case_requests.case_request(
        ticket=ticket,
        actor=esme,
        reason="critical_impact",
        level="next_tier",
        channel="email",
        review=Review(
            problem_statement_correct=False,
            corrected_problem_statement=NEW_STATEMENT,
            business_impact=NEW_IMPACT,
            critical_milestone=MILESTONE,
        ),
    )
    assert_corrected(ticket, "esme")


def test_the_api_request_corrects_the_intake(world: World, ticket: Ticket) -> None:
    api = APIClient()
    api.force_login(world["carla"])
    body: dict[str, Any] = {
        "reason": "critical_impact",
        "level": "next_tier",
        "problem_statement_correct": False,
        "corrected_problem_statement": NEW_STATEMENT,
        "business_impact": NEW_IMPACT,
        "critical_milestone": MILESTONE.isoformat(),
    }
    response = api.post(f"/api/tickets/{ticket.pk}/escalation/request/", body, format="json")

    assert response.status_code == 201, response.content
    assert_corrected(ticket, "carla")
    detail = api.get(f"/api/tickets/{ticket.pk}/").json()
    assert detail["description"] == NEW_STATEMENT and detail["business_impact"] == NEW_IMPACT
