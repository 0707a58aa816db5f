"""REST API transitions (SPEC §2): one POST action per transition, same rules as the services."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from accounts.models import User
from tests_support.factories import TicketFactory
from tickets.models import Ticket, TimelineEvent
from tickets.serializers import CancelInputSerializer

from .api_helpers import PERSONAS, RESOLUTION, advance, api_client, ticket_url

pytestmark = pytest.mark.django_db

# transition: (state the ticket is put in first, input, state it reaches)
TRANSITIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    "triage": ("new", {"priority": "P1"}, "open"),
    "start": ("open", {}, "in_progress"),
    "await_customer": ("in_progress", {"reason": "Send the export log."}, "waiting_on_customer"),
    "customer_replied": ("waiting_on_customer", {"note": "Log sent by e-mail."}, "in_progress"),
    "resolve": ("in_progress", RESOLUTION, "resolved"),
    "confirm_resolution": ("resolved", {"note": "Works now.", "channel": "phone"}, "closed"),
    "reopen": ("resolved", {"reason": "It failed again tonight."}, "in_progress"),
    "cancel": ("open", {"reason": "withdrawn", "note": "Fixed itself."}, "cancelled"),
}

# Expected answer per transition and persona. The ticket is Acme's, for Tier 1 once triaged:
# other_customer never sees it (404); the customer sees it but only confirms, reopens and
# replies; Tier 2's engineer sees every ticket but works only untriaged ones or Tier 2's.
ALLOWED = {
    "customer": {"customer_replied", "confirm_resolution", "reopen"},
    "other_customer": set(),
    "engineer": set(TRANSITIONS),
    "other_engineer": {"triage"},  # an untriaged ticket has no team yet: any engineer may
    "team_leader": set(TRANSITIONS),
    "team_manager": set(TRANSITIONS),
    "admin_user": set(TRANSITIONS),
}


def expected_status(persona: str, name: str) -> int:
    if persona == "other_customer":
        return 404
    return 200 if name in ALLOWED[persona] else 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_it_applies_the_permission_matrix_to_each_transition(
    request: pytest.FixtureRequest, persona: str, name: str, ticket: Ticket, engineer: User
) -> None:
    source, data, target = TRANSITIONS[name]
    advance(ticket, source, engineer=engineer)
    events_before = TimelineEvent.objects.filter(ticket=ticket).count()
    user = request.getfixturevalue(persona)

    response = api_client(user).post(ticket_url(ticket, name), data, format="json")

    ticket.refresh_from_db()
    assert response.status_code == expected_status(persona, name), response.json()
    if response.status_code == 200:
        assert response.json()["status"] == target
        assert ticket.status == target
        event = TimelineEvent.objects.filter(ticket=ticket).last()
        assert (event.kind, event.source, event.target, event.actor_id) == (name, source, target, user.pk)
    else:
        assert ticket.status == source
        assert TimelineEvent.objects.filter(ticket=ticket).count() == events_before
        expected_detail = "No such ticket." if persona == "other_customer" else "You may not"
        assert response.json()["detail"].startswith(expected_detail)


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_it_refuses_transitions_to_anonymous_callers(name: str, ticket: Ticket, engineer: User) -> None:
    source, data, _target = TRANSITIONS[name]
    advance(ticket, source, engineer=engineer)

    response = api_client().post(ticket_url(ticket, name), data, format="json")

    assert response.status_code in (401, 403)
    ticket.refresh_from_db()
    assert ticket.status == source


def test_it_refuses_tier2_starting_and_resolving_a_tier1_ticket(
    other_engineer: User, engineer: User, ticket: Ticket
) -> None:
    client = api_client(other_engineer)
    advance(ticket, "open", engineer=engineer)

    seen = client.get(ticket_url(ticket))
    start = client.post(ticket_url(ticket, "start"), {}, format="json")
    advance_to_progress = api_client(engineer).post(ticket_url(ticket, "start"), {}, format="json")
    resolve = client.post(ticket_url(ticket, "resolve"), RESOLUTION, format="json")

    assert seen.status_code == 200
    assert seen.json()["available_transitions"] == []
    assert start.status_code == 403
    assert advance_to_progress.status_code == 200
    assert resolve.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("in_progress", engineer.pk)


def test_it_walks_a_ticket_from_new_to_closed_with_its_timeline(
    customer: User, engineer: User, ticket: Ticket
) -> None:
    staff, client = api_client(engineer), api_client(customer)
    url = ticket_url(ticket)

    steps = [
        (staff, "triage", {"priority": "P1", "workaround": "Export by hand"}, "open"),
        (staff, "start", {}, "in_progress"),
        (staff, "await_customer", {"reason": "Send the export log."}, "waiting_on_customer"),
        (client, "customer_replied", {"note": "Sent."}, "in_progress"),
        (staff, "resolve", RESOLUTION, "resolved"),
        (client, "reopen", {"reason": "Failed again."}, "in_progress"),
        (staff, "resolve", {**RESOLUTION, "fix_kind": "permanent"}, "resolved"),
        (client, "confirm_resolution", {"note": "All good."}, "closed"),
    ]
    for actor, name, data, target in steps:
        response = actor.post(f"{url}{name}/", data, format="json")
        assert response.status_code == 200, (name, response.json())
        assert response.json()["status"] == target

    body = client.get(url).json()
    # The fixture's ticket was made by a factory, so its timeline starts at triage.
    assert [(e["kind"], e["source"], e["target"]) for e in body["events"]] == [
        ("triage", "new", "open"),
        ("start", "open", "in_progress"),
        ("await_customer", "in_progress", "waiting_on_customer"),
        ("customer_replied", "waiting_on_customer", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("reopen", "resolved", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm_resolution", "resolved", "closed"),
    ]
    assert body["events"][-1]["actor"]["id"] == customer.pk
    assert body["priority"] == "P1"
    assert body["workaround"] == "Export by hand"
    assert body["team"]["name"] == "Tier 1"
    assert body["assignee"]["id"] == engineer.pk
    assert (body["fix_kind"], body["reopen_count"], body["close_kind"]) == (
        "permanent",
        1,
        "confirmed_by_customer",
    )
    assert body["available_transitions"] == []


def test_it_records_the_customers_confirmation_on_their_behalf(engineer: User, ticket: Ticket) -> None:
    advance(ticket, "resolved", engineer=engineer)

    without_channel = api_client(engineer).post(ticket_url(ticket, "confirm_resolution"), {}, format="json")
    with_channel = api_client(engineer).post(
        ticket_url(ticket, "confirm_resolution"), {"channel": "email", "note": "Mail of 3 May"}, format="json"
    )

    assert without_channel.status_code == 409
    assert without_channel.json()["missing"] == ["how the customer confirmed (phone, e-mail…)"]
    assert with_channel.status_code == 200
    assert with_channel.json()["close_kind"] == "confirmed_on_behalf"


@pytest.mark.parametrize(
    "posted", [{}, {"channel": "phone"}, {"channel": "portal"}], ids=["none", "phone", "portal"]
)
def test_it_records_a_customers_confirmation_through_the_api_with_the_api_channel(
    customer: User, engineer: User, ticket: Ticket, posted: dict[str, str]
) -> None:
    advance(ticket, "resolved", engineer=engineer)

    response = api_client(customer).post(
        ticket_url(ticket, "confirm_resolution"), {"note": "Fine.", **posted}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["close_kind"] == "confirmed_by_customer"
    event = TimelineEvent.objects.get(ticket=ticket, kind="confirm_resolution")
    assert (event.actor, event.details["channel"]) == (customer, "api")


def test_it_answers_409_with_the_missing_intake_when_triage_is_refused(
    engineer: User, ticket: Ticket
) -> None:
    ticket.business_impact = ""
    ticket.save()

    response = api_client(engineer).post(ticket_url(ticket, "triage"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["missing"] == ["business impact"]
    assert response.json()["detail"].startswith("Triage refused")
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert not TimelineEvent.objects.filter(ticket=ticket, kind="triage").exists()


def test_it_triages_once_the_missing_intake_is_given(engineer: User, ticket: Ticket) -> None:
    ticket.business_impact = ""
    ticket.save()

    response = api_client(engineer).post(
        ticket_url(ticket, "triage"), {"business_impact": "Payroll late for 400 people"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["business_impact"] == "Payroll late for 400 people"
    assert response.json()["status"] == "open"


def test_it_answers_409_listing_every_missing_resolution_detail(engineer: User, ticket: Ticket) -> None:
    advance(ticket, "in_progress", engineer=engineer)

    response = api_client(engineer).post(ticket_url(ticket, "resolve"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["missing"] == [
        "resolution details (what fixed it)",
        "root cause",
        "whether it is a workaround or a permanent fix",
    ]


def test_it_answers_409_for_a_transition_the_state_does_not_allow(engineer: User, ticket: Ticket) -> None:
    response = api_client(engineer).post(ticket_url(ticket, "resolve"), RESOLUTION, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "Resolve is not possible while the ticket is new"
    assert response.json()["missing"]


def test_it_cancels_a_duplicate_naming_the_original(
    engineer: User, ticket: Ticket, org: object, customer: User
) -> None:
    original = TicketFactory(organisation=org, requester=customer)
    client = api_client(engineer)

    missing = client.post(ticket_url(ticket, "cancel"), {"reason": "duplicate"}, format="json")
    done = client.post(
        ticket_url(ticket, "cancel"), {"reason": "duplicate", "duplicate_of": original.pk}, format="json"
    )

    assert missing.status_code == 409
    assert missing.json()["missing"] == ["the ticket this one duplicates"]
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["duplicate_of"]) == ("cancelled", original.pk)


def test_it_only_accepts_a_visible_ticket_as_the_original(
    customer: User, other_org: object, org: object
) -> None:
    hidden = TicketFactory(organisation=other_org)
    visible = TicketFactory(organisation=org, requester=customer)

    def check(pk: int) -> bool:
        serializer = CancelInputSerializer(
            data={"reason": "duplicate", "duplicate_of": pk},
            context={"request": SimpleNamespace(user=customer)},
        )
        return serializer.is_valid()

    assert check(visible.pk) is True
    assert check(hidden.pk) is False


def test_it_answers_403_before_looking_at_the_input_of_a_forbidden_transition(
    customer: User, ticket: Ticket
) -> None:
    response = api_client(customer).post(ticket_url(ticket, "triage"), {"priority": "P9"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not triage this ticket."}


def test_it_starts_for_a_named_assignee_of_the_team(
    team_leader: User, engineer: User, other_engineer: User, ticket: Ticket
) -> None:
    advance(ticket, "open", engineer=engineer)
    client = api_client(team_leader)

    outsider = client.post(ticket_url(ticket, "start"), {"assignee": other_engineer.pk}, format="json")
    teammate = client.post(ticket_url(ticket, "start"), {"assignee": engineer.pk}, format="json")

    assert outsider.status_code == 400
    assert list(outsider.json()["errors"]) == ["assignee"]
    assert teammate.status_code == 200
    assert teammate.json()["assignee"]["id"] == engineer.pk


def test_it_lets_a_customer_comment_resume_a_ticket_waiting_on_them(
    customer: User, engineer: User, ticket: Ticket
) -> None:
    advance(ticket, "waiting_on_customer", engineer=engineer)

    response = api_client(customer).post(
        ticket_url(ticket, "comments"), {"body": "Log attached."}, format="json"
    )

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert list(TimelineEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))[-2:] == [
        "comment",
        "customer_replied",
    ]
