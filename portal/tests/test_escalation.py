"""The request page's Escalation panel (issue 5, seed 002): a customer requests an escalation
with the review, follows the case and answers the de-escalation proposal; nothing internal
shows, another organisation's case is 404 and staff fields posted by hand are ignored."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.models import CaseRequest, EscalationCase
from cases.services import core as case_core
from cases.services import de_escalation as case_de_escalation
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import updates as case_updates
from escalations.tests.conftest import World, triaged
from tests_support.factories import OrganisationFactory, make_agent, make_customer
from tickets.models import Ticket

from .helpers import milestone, page

pytestmark = pytest.mark.django_db

BRIEF = "SECRET BRIEF: the customer is difficult, margin is thin."
INTERNAL_REVIEW = "INTERNAL REVIEW: our Tier 1 missed the obvious fix."


def review_input(**overrides: Any) -> dict[str, Any]:
    data = {
        "reason": "critical_impact",
        "reason_detail": "",
        "level": "team_leader",
        "problem_statement_correct": "yes",
        "corrected_problem_statement": "",
        "business_impact": "Payroll for 800 staff cannot run on Friday.",
        "workaround_impractical_because": "Exporting by hand takes two days.",
        "critical_milestone": milestone().isoformat(),
    }
    data.update(overrides)
    return {f"escalation-{k}": v for k, v in data.items()}


@pytest.fixture
def esme(world: World) -> User:
    return make_agent(
        "Escalation manager",
        username="esme",
        first_name="Esme",
        last_name="Holloway",
        email="esme@desk.example",
        phone="+44 20 7946 0001",
    )


@pytest.fixture
def ticket(world: World) -> Ticket:
    return triaged(
        world, summary="Payslips show last month's tax code", workaround="Export per department by hand."
    )


@pytest.fixture
def carla_client(client: Client, world: World) -> Client:
    client.force_login(world["carla"])
    return client


def url(ticket: Ticket) -> str:
    return reverse("portal:request", args=[ticket.pk])


def post_request(client: Client, ticket: Ticket, **overrides: Any) -> Any:
    return client.post(reverse("portal:escalation_request", args=[ticket.pk]), review_input(**overrides))


def active_case(world: World, ticket: Ticket, esme: User, *, updates: int = 1) -> EscalationCase:
    case = case_requests.case_request(
        ticket=ticket,
        actor=world["carla"],
        reason="critical_impact",
        level="next_tier",
        review=case_core.Review(
            problem_statement_correct=True,
            business_impact="Payroll stops.",
            workaround_impractical_because="Too slow.",
        ),
    )
    case_plans.case_acknowledge(case=case, actor=esme)
    case_plans.case_activate(
        case=case,
        actor=esme,
        mode="phone",
        update_every_minutes=120,
        required_attendees="Carla, Esme, Tom",
        action_plan=[
            case_core.PlanItem(
                owner=world["tom"], step="Reproduce on the March data", target_date=date(2026, 11, 25)
            )
        ],
        first_call_at=timezone.now() + timedelta(hours=2),
        first_call_attendees="Carla, Esme",
    )
    for i in range(updates):
        case_updates.case_log_update(
            case=case, actor=esme, mode="phone", summary=f"Update {i}: reproduced in test."
        )
    return case


def test_it_offers_the_request_form_in_plain_words_prefilled_from_the_ticket(
    carla_client: Client, ticket: Ticket
) -> None:
    ticket.business_impact, ticket.critical_milestone = "Salaries cannot be paid.", milestone()
    ticket.save()
    html = page(carla_client.get(url(ticket)))
    panel = html.one(id="escalation")
    text = panel.text
    for words in (
        "Request an escalation",
        "Our production system is down",
        "We are not happy with how fast you respond",
        "The team manager",
        "Support leadership",
        "Is this description of the problem correct?",
        "If there is a workaround, why doesn't it work for you?",
    ):
        assert words in text
    response = carla_client.get(url(ticket))
    assert b'name="escalation-business_impact"' in response.content
    assert "Salaries cannot be paid." in panel.one("textarea", name="escalation-business_impact").text
    assert panel.one("input", name="escalation-critical_milestone").attrs["value"] == milestone().isoformat()


def test_the_workaround_question_is_asked_only_when_there_is_a_workaround(
    carla_client: Client, world: World
) -> None:
    ticket = triaged(world, workaround="")
    response = carla_client.get(url(ticket))
    assert b"why doesn't it work for you" not in response.content
    assert b"Is this description of the problem correct?" in response.content


def test_a_refused_request_lists_what_is_missing_and_keeps_what_was_typed(
    carla_client: Client, ticket: Ticket
) -> None:
    response = post_request(
        carla_client,
        ticket,
        reason="other",
        reason_detail="",
        problem_statement_correct="no",
        corrected_problem_statement="",
        workaround_impractical_because="",
        business_impact="Payroll cannot run.",
    )
    assert response.status_code == 400
    refusal = page(response).one(id="escalation-refusal")
    assert [li.text for li in refusal.select("li")] == [
        "Escalation request refused",
        "Needed: what the reason is (you chose “other”)",
        "Needed: the corrected problem statement",
        "Needed: why the workaround is impractical or inappropriate",
    ]
    html = page(response).one(id="escalation")
    assert html.one("textarea", name="escalation-business_impact").text.strip() == "Payroll cannot run."
    assert html.one("input", name="escalation-reason", value="other").attrs.get("checked") is not None
    assert (
        html.one("input", name="escalation-problem_statement_correct", value="no").attrs.get("checked")
        is not None
    )
    assert html.one("input", name="escalation-critical_milestone").attrs["value"] == milestone().isoformat()
    assert EscalationCase.objects.count() == 0


def test_a_customer_requests_an_escalation_staff_fields_are_ignored_and_a_double_submit_is_one(
    carla_client: Client, world: World, ticket: Ticket, esme: User
) -> None:
    other = make_agent("Escalation manager", username="otto")
    data = {
        **review_input(),
        "escalation-channel": "phone",
        "channel": "phone",
        "escalation-status": "active",
        "status": "active",
        "escalation-escalation_manager": str(other.pk),
        "escalation_manager": str(other.pk),
    }
    first = carla_client.post(reverse("portal:escalation_request", args=[ticket.pk]), data)
    second = carla_client.post(reverse("portal:escalation_request", args=[ticket.pk]), data)
    assert first.status_code == second.status_code == 302
    case = EscalationCase.objects.get()
    request = CaseRequest.objects.get()
    assert (case.status, case.level, case.escalation_manager_id) == ("requested", "team_leader", None)
    assert (request.channel, request.requested_by, request.recorded_by) == (
        "portal",
        world["carla"],
        world["carla"],
    )
    assert (request.business_impact, request.workaround_impractical_because, request.critical_milestone) == (
        "Payroll for 800 staff cannot run on Friday.",
        "Exporting by hand takes two days.",
        milestone(),
    )
    assert list(ticket.events.filter(kind__startswith="case_").values_list("kind", flat=True)) == [
        "case_requested",
        "case_participant",
    ]

    html = page(carla_client.get(url(ticket))).one(id="escalation")
    assert html.one(id="case-state").text == "We received your escalation"
    assert html.one("li", data_role="Team leader").text.startswith("Team leader")
    assert "tess" in html.one(id="case-engaged").text.lower()
    # A case is open: the form now asks for a higher level.
    assert html.one("summary").text == "Ask for a higher level"


def test_asking_for_a_higher_level_adds_to_the_case(
    carla_client: Client, world: World, ticket: Ticket
) -> None:
    post_request(carla_client, ticket, level="next_tier")
    response = post_request(carla_client, ticket, level="team_manager")
    assert response.status_code == 302
    case = EscalationCase.objects.get()
    assert case.level == "team_manager"
    assert case.requests.count() == 2
    assert list(
        ticket.events.filter(kind__in=["case_requested", "case_request_added"]).values_list("kind", flat=True)
    ) == ["case_requested", "case_request_added"]


def test_the_customer_follows_the_case_and_nothing_internal_leaks(
    carla_client: Client, world: World, ticket: Ticket, esme: User
) -> None:
    case = active_case(world, ticket, esme, updates=2)
    case_updates.case_schedule_meeting(
        case=case,
        actor=esme,
        kind="internal_review",
        scheduled_for=timezone.now(),
        attendees="Leadership only",
        notes="INTERNAL MEETING NOTES",
    )
    case_updates.case_schedule_meeting(
        case=case,
        actor=esme,
        kind="conference_call",
        scheduled_for=timezone.now() + timedelta(days=1),
        attendees="Carla, Esme",
        notes="STAFF ONLY CALL NOTES",
    )
    EscalationCase.objects.filter(pk=case.pk).update(brief=BRIEF, internal_review=INTERNAL_REVIEW)

    response = carla_client.get(url(ticket))
    content = response.content.decode()
    for secret in (
        BRIEF,
        INTERNAL_REVIEW,
        "INTERNAL MEETING NOTES",
        "STAFF ONLY CALL NOTES",
        "Leadership only",
    ):
        assert secret not in content
    html = page(response).one(id="escalation")
    assert html.one(id="case-state").text == "Escalation active"
    assert "Esme Holloway" in html.one(id="case-manager").text
    assert "esme@desk.example" in html.one(id="case-manager").text
    assert "We update you by phone every 2 working hours." in html.one(id="case-communication").text
    assert html.one(id="case-next-update") is not None
    assert [td.text for td in html.one(id="case-plan").select("td")][:3] == [
        "Reproduce on the March data",
        str(world["tom"]),
        "25 Nov 2026",
    ]
    assert len(html.one(id="case-calls").select("li")) == 2
    assert [d.text for d in html.one(id="case-updates").select("div", cls="p-message-body")] == [
        "Update 0: reproduced in test.",
        "Update 1: reproduced in test.",
    ]
    assert "Leadership is reviewing" not in content
    assert not html.select("form", data_form="escalation_agree")


def test_the_customer_agrees_to_de_escalate_with_one_click(
    carla_client: Client, world: World, ticket: Ticket, esme: User
) -> None:
    case = active_case(world, ticket, esme)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=esme, action_plan_accepted=True, rca_on_track=True, note="The fix is in test."
    )
    html = page(carla_client.get(url(ticket))).one(id="escalation")
    assert html.one(id="case-state").text == "We propose to close the escalation"
    assert "The fix is in test." in html.one(id="de-escalation").text

    answer = reverse("portal:escalation_agree", args=[ticket.pk, case.pk])
    assert carla_client.post(answer, {"channel": "phone"}).status_code == 302
    assert carla_client.post(answer, {}).status_code == 302  # a second click changes nothing
    case.refresh_from_db()
    assert (case.status, case.agreement_channel, case.agreed_by) == ("de_escalated", "portal", world["carla"])
    assert ticket.events.filter(kind="case_de_escalated").count() == 1
    html = page(carla_client.get(url(ticket))).one(id="escalation")
    assert html.one(id="case-state").text.startswith("Escalation closed")


def test_keeping_it_escalated_needs_a_reason(
    carla_client: Client, world: World, ticket: Ticket, esme: User
) -> None:
    case = active_case(world, ticket, esme)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=esme, action_plan_accepted=True, rca_on_track=True
    )
    keep = reverse("portal:escalation_keep", args=[ticket.pk, case.pk])

    refused = carla_client.post(keep, {"escalation_keep-comment": "  "})
    assert refused.status_code == 400
    keep_form = page(refused).one(id="escalation-keep-form")
    assert [e.text for e in keep_form.select("div", cls="error")] == [
        "Please tell us why your request is not back on track."
    ]
    assert "Yes, you can close the escalation" in page(refused).one(id="de-escalation").text
    case.refresh_from_db()
    assert case.status == "de_escalation_proposed"

    assert (
        carla_client.post(keep, {"escalation_keep-comment": "Still failing on our side."}).status_code == 302
    )
    case.refresh_from_db()
    assert case.status == "active"
    assert ticket.events.get(kind="case_kept_escalated").reason == "Still failing on our side."


def test_another_organisations_case_is_404_and_staff_go_to_the_console(
    client: Client, world: World, ticket: Ticket, esme: User
) -> None:
    case = active_case(world, ticket, esme)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=esme, action_plan_accepted=True, rca_on_track=True
    )
    outsider = make_customer(OrganisationFactory(name="Globex"), username="gloria")
    client.force_login(outsider)
    for name, args in (
        ("escalation_request", [ticket.pk]),
        ("escalation_agree", [ticket.pk, case.pk]),
        ("escalation_keep", [ticket.pk, case.pk]),
    ):
        assert client.post(reverse(f"portal:{name}", args=args), review_input()).status_code == 404
    assert client.get(url(ticket)).status_code == 404
    # Another ticket of Carla's organisation does not reach this case.
    client.force_login(world["carla"])
    mine = triaged(world)
    assert client.post(reverse("portal:escalation_agree", args=[mine.pk, case.pk])).status_code == 404
    case.refresh_from_db()
    assert case.status == "de_escalation_proposed"

    client.force_login(esme)
    response = client.post(reverse("portal:escalation_agree", args=[ticket.pk, case.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("desk:my_work")
    case.refresh_from_db()
    assert case.status == "de_escalation_proposed"


def test_choices_that_do_not_exist_are_refused_and_the_rest_is_kept(
    carla_client: Client, ticket: Ticket
) -> None:
    response = post_request(
        carla_client, ticket, reason="bogus", level="ceo", business_impact="Payroll stops."
    )
    assert response.status_code == 400
    html = page(response).one(id="escalation")
    assert [e.text for e in html.select("div", cls="error")] == [
        "Select a valid choice. bogus is not one of the available choices.",
        "Select a valid choice. ceo is not one of the available choices.",
    ]
    assert html.one("textarea", name="escalation-business_impact").text.strip() == "Payroll stops."
    assert EscalationCase.objects.count() == 0
