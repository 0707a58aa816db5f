"""Who may open each console page and take each action (SPEC §1), persona by persona.

The console is for staff: anonymous visitors are sent to sign in and customers get 403.
Staff see every ticket; only the ticket's team, its leaders, its manager and admins work it.
A denial changes nothing: status, timeline, comments, steps and intake are re-read to prove it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from desk.tests.test_pages import (
    CUSTOMERS,
    PERSONAS,
    SOURCE,
    STAFF,
    TARGET,
    WORKERS,
    client_as,
    drive_to,
    intake_input,
    page,
    snapshot,
    transition_input,
)
from tickets.models import Comment, Ticket, TimelineEvent, TroubleshootingStep

MISSING = 999_999


def expected_denial(persona: str) -> int:
    return 302 if persona == "anonymous" else 403


def assert_sent_to_sign_in(response: Any, url: str) -> None:
    assert response.status_code == 302
    assert response.url == f"/desk/login/?next={url}"


# --- pages -------------------------------------------------------------------------------------

PAGES = {
    "my_work": lambda t: reverse("desk:my_work"),
    "queue": lambda t: reverse("desk:queue"),
    "ticket_new": lambda t: reverse("desk:ticket_new"),
    "ticket": lambda t: reverse("desk:ticket", args=[t.pk]),
    "ticket_intake": lambda t: reverse("desk:ticket_intake", args=[t.pk]),
    "approvals": lambda t: reverse("desk:approvals"),
}


def page_status(persona: str, name: str) -> int:
    if persona == "anonymous":
        return 302
    if persona in CUSTOMERS:
        return 403
    if name == "ticket_intake" and persona not in WORKERS:
        return 403
    return 200


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_answers_each_page_for_each_persona(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, persona: str, name: str
) -> None:
    url = PAGES[name](tier1_ticket)

    response = client_as(persona, request).get(url)

    assert response.status_code == page_status(persona, name)
    if persona == "anonymous":
        assert_sent_to_sign_in(response, url)


@pytest.mark.parametrize("persona", [*CUSTOMERS, *STAFF])
def test_it_shows_staff_every_organisations_tickets_in_the_queue(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, other_customer: User, persona: str
) -> None:
    from tests_support.factories import TicketFactory

    globex = TicketFactory(organisation=other_customer.organisation, requester=other_customer)

    response = client_as(persona, request).get(reverse("desk:queue"))

    if persona in CUSTOMERS:
        assert response.status_code == 403
        assert tier1_ticket.reference.encode() not in response.content
    else:
        assert tier1_ticket.reference.encode() in response.content
        assert globex.reference.encode() in response.content


@pytest.mark.parametrize(
    "url",
    [lambda: reverse("desk:ticket", args=[MISSING]), lambda: reverse("desk:ticket_intake", args=[MISSING])],
    ids=["ticket", "intake"],
)
@pytest.mark.parametrize("persona", ["engineer", "admin_user"])
def test_it_answers_404_for_a_ticket_that_does_not_exist(
    request: pytest.FixtureRequest, persona: str, url: Any
) -> None:
    assert client_as(persona, request).get(url()).status_code == 404


@pytest.mark.parametrize(
    ("route", "args"),
    [
        ("desk:ticket_comment", []),
        ("desk:ticket_step", []),
        ("desk:ticket_transition", ["triage"]),
        ("desk:ticket_escalate", []),
        ("desk:ticket_return", []),
        ("desk:ticket_decide", []),
        ("desk:consult_new", []),
        ("desk:vendor_engage", []),
        ("desk:handoff_withdraw", [1]),
        ("desk:consult_reply", [1]),
        ("desk:consult_withdraw", [1]),
        ("desk:vendor_update", [1]),
        ("desk:step_done", [1]),
        ("desk:ticket_approval_decide", [1, "approve"]),
    ],
)
@pytest.mark.parametrize("persona", ["engineer", "admin_user"])
def test_it_answers_404_to_posts_on_a_ticket_that_does_not_exist(
    request: pytest.FixtureRequest, persona: str, route: str, args: list[str]
) -> None:
    response = client_as(persona, request).post(reverse(route, args=[MISSING, *args]), {})

    assert response.status_code == 404


@pytest.mark.parametrize("persona", CUSTOMERS)
def test_it_refuses_customers_before_revealing_whether_a_ticket_exists(
    request: pytest.FixtureRequest, persona: str
) -> None:
    assert client_as(persona, request).get(reverse("desk:ticket", args=[MISSING])).status_code == 403


# --- comments and troubleshooting steps ------------------------------------------------------------

COMMENT = {"comment-body": "Called Carla: the export failed again last night.", "comment-mode": "note"}
STEP = {
    "step-kind": "log_analysis",
    "step-action": "Read the export log",
    "step-outcome": "Timeout after 1800 s",
    "step-state": "done",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_staff_comment_and_nobody_else(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, persona: str
) -> None:
    before = snapshot(tier1_ticket)
    url = reverse("desk:ticket_comment", args=[tier1_ticket.pk])

    response = client_as(persona, request).post(url, COMMENT)

    if persona in STAFF:
        assert response.status_code == 302
        assert response.url == reverse("desk:ticket", args=[tier1_ticket.pk]) + "#comments"
        comment = Comment.objects.get(ticket=tier1_ticket)
        assert (comment.author, comment.is_internal) == (request.getfixturevalue(persona), True)
        assert TimelineEvent.objects.filter(ticket=tier1_ticket).count() == before["events"] + 1
    else:
        assert response.status_code == expected_denial(persona)
        assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_staff_record_troubleshooting_steps_and_nobody_else(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, persona: str
) -> None:
    before = snapshot(tier1_ticket)

    response = client_as(persona, request).post(reverse("desk:ticket_step", args=[tier1_ticket.pk]), STEP)

    if persona in STAFF:
        assert response.status_code == 302
        step = TroubleshootingStep.objects.get(ticket=tier1_ticket)
        assert (step.engineer, step.kind) == (request.getfixturevalue(persona), "log_analysis")
    else:
        assert response.status_code == expected_denial(persona)
        assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_it_refuses_steps_on_a_finished_ticket(
    client: Client, tier1_ticket: Ticket, engineer: User, state: str
) -> None:
    drive_to(tier1_ticket, state, engineer)
    before = snapshot(tier1_ticket)
    client.force_login(engineer)

    response = client.post(reverse("desk:ticket_step", args=[tier1_ticket.pk]), STEP)

    assert response.status_code == 403
    assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_the_tickets_workers_edit_its_intake(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, persona: str
) -> None:
    before = snapshot(tier1_ticket)
    data = intake_input(tier1_ticket) | {"business_impact": "Salaries of 1,200 people are late."}

    response = client_as(persona, request).post(reverse("desk:ticket_intake", args=[tier1_ticket.pk]), data)

    if persona in WORKERS:
        assert response.status_code == 302
        assert Ticket.objects.get(pk=tier1_ticket.pk).business_impact == "Salaries of 1,200 people are late."
    else:
        assert response.status_code == expected_denial(persona)
        assert snapshot(tier1_ticket) == before


# --- transitions -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SOURCE))
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_the_tickets_workers_take_each_transition(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, engineer: User, persona: str, name: str
) -> None:
    drive_to(tier1_ticket, SOURCE[name], engineer)
    before = snapshot(tier1_ticket)
    url = reverse("desk:ticket_transition", args=[tier1_ticket.pk, name])

    response = client_as(persona, request).post(url, transition_input(name, tier1_ticket))

    if persona in WORKERS:
        assert response.status_code == 302
        assert response.url == reverse("desk:ticket", args=[tier1_ticket.pk])
        after = snapshot(tier1_ticket)
        assert after["status"] == TARGET[name]
        last = TimelineEvent.objects.filter(ticket=tier1_ticket).latest("at", "pk")
        assert (last.kind, last.actor, last.source, last.target) == (
            name,
            request.getfixturevalue(persona),
            SOURCE[name],
            TARGET[name],
        )
        assert after["events"] == before["events"] + 1
    else:
        assert response.status_code == expected_denial(persona)
        if persona == "anonymous":
            assert_sent_to_sign_in(response, url)
        assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize("name", list(SOURCE))
def test_it_denies_a_non_worker_before_reading_their_input(
    client: Client, tier1_ticket: Ticket, engineer: User, other_engineer: User, name: str
) -> None:
    """Empty or bad input from someone who may not act is a 403, not a form error."""
    drive_to(tier1_ticket, SOURCE[name], engineer)
    before = snapshot(tier1_ticket)
    client.force_login(other_engineer)

    bad = {
        f"{name}-summary": "",
        f"{name}-assignee": "not-a-user",
        f"{name}-fix_kind": "bogus",
        f"{name}-reason": "bogus",
        f"{name}-channel": "pigeon",
        f"{name}-duplicate_of": "nonsense",
    }
    response = client.post(reverse("desk:ticket_transition", args=[tier1_ticket.pk, name]), bad)

    assert response.status_code == 403
    assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize("name", ["escalate", "delete", "save", "get_all_status_transitions"])
def test_it_answers_404_for_an_unknown_transition(
    staff_client: Client, tier1_ticket: Ticket, name: str
) -> None:
    before = snapshot(tier1_ticket)

    response = staff_client.post(reverse("desk:ticket_transition", args=[tier1_ticket.pk, name]), {})

    assert response.status_code == 404
    assert snapshot(tier1_ticket) == before


def test_it_only_accepts_transitions_by_post(staff_client: Client, tier1_ticket: Ticket) -> None:
    response = staff_client.get(reverse("desk:ticket_transition", args=[tier1_ticket.pk, "triage"]))

    assert response.status_code == 405
    assert Ticket.objects.get(pk=tier1_ticket.pk).status == "new"


@pytest.mark.parametrize("persona", ["customer", "other_customer"])
def test_it_keeps_customers_out_even_for_what_they_may_do_in_the_portal(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, engineer: User, persona: str
) -> None:
    """A customer confirms their own resolution in the portal, never through the console."""
    drive_to(tier1_ticket, "resolved", engineer)
    before = snapshot(tier1_ticket)

    response = client_as(persona, request).post(
        reverse("desk:ticket_transition", args=[tier1_ticket.pk, "confirm_resolution"]),
        {"confirm_resolution-note": "Works now."},
    )

    assert response.status_code == 403
    assert snapshot(tier1_ticket) == before


# --- the escalation procedure (the ticket here is on no ladder; desk/tests/test_escalation_pages.py
# walks the ladders) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_the_tickets_workers_ask_for_a_hand_off(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, persona: str
) -> None:
    """Workers get the service's refusal (a new ticket is on no tier yet); everyone else a denial."""
    from escalations.models import Handoff

    before = snapshot(tier1_ticket)
    url = reverse("desk:ticket_escalate", args=[tier1_ticket.pk])

    response = client_as(persona, request).post(url, {"escalate-findings": "Export loops on March data."})

    if persona in WORKERS:
        assert response.status_code == 200
        html = page(response)
        assert html.refusals(html.one("form", data_form="escalate")) == [
            "Escalation refused",
            "Missing: a ticket that is open or in progress (this one is new)",
        ]
        assert html.value("escalate-findings") == "Export loops on March data."
    else:
        assert response.status_code == expected_denial(persona)
        if persona == "anonymous":
            assert_sent_to_sign_in(response, url)
    assert snapshot(tier1_ticket) == before
    assert not Handoff.objects.filter(ticket=tier1_ticket).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_the_tickets_workers_consult_another_team(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, tier2: Any, persona: str
) -> None:
    from escalations.models import Consult

    url = reverse("desk:consult_new", args=[tier1_ticket.pk])
    data = {
        "consult-team": str(tier2.pk),
        "consult-question": "Seen this export loop before?",
        "consult-reply_minutes": "120",
    }

    response = client_as(persona, request).post(url, data)

    if persona in WORKERS:
        assert response.status_code == 302
        consult = Consult.objects.get(ticket=tier1_ticket)
        assert (consult.team, consult.requested_by, consult.reply_minutes) == (
            tier2,
            request.getfixturevalue(persona),
            120,
        )
    else:
        assert response.status_code == expected_denial(persona)
        assert not Consult.objects.filter(ticket=tier1_ticket).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_the_pending_approvals_badge_only_to_staff_with_something_to_decide(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, engineer: User, team_leader: User, persona: str
) -> None:
    from approvals.services import approval_file
    from tests_support.factories import office_calendar

    approval_file(
        subject=tier1_ticket,
        title="Escalate to the vendor",
        reference=tier1_ticket.reference,
        requested_by=engineer,
        approvers=[team_leader],
        calendar=office_calendar(),
        decision_seconds=3600,
    )

    response = client_as(persona, request).get(reverse("desk:my_work"))

    if persona in STAFF:
        badges = page(response).select("span", cls="pending-count")
        assert [b.text for b in badges] == (["1"] if persona == "team_leader" else [])
    else:
        assert response.status_code == expected_denial(persona)


# --- the escalation board and the daily report (SPEC §6) --------------------------------------------

ESCALATION_PAGES = {
    "escalation_board": reverse("desk:escalation_board"),
    "escalation_report": reverse("desk:escalation_report"),
}


@pytest.mark.parametrize("name", list(ESCALATION_PAGES))
@pytest.mark.parametrize("persona", [*PERSONAS, "escalation_manager", "leader"])
def test_it_opens_the_escalation_pages_only_to_escalation_managers_and_leadership(
    request: pytest.FixtureRequest, db: Any, persona: str, name: str
) -> None:
    from tests_support.factories import make_agent

    url = ESCALATION_PAGES[name]
    if persona in ("escalation_manager", "leader"):
        client = Client()
        client.force_login(
            make_agent(
                "Escalation manager" if persona == "escalation_manager" else "Leadership", username=persona
            )
        )
    else:
        client = client_as(persona, request)

    response = client.get(url)

    allowed = persona in ("escalation_manager", "leader", "admin_user")
    assert response.status_code == (200 if allowed else expected_denial(persona))
    if persona == "anonymous":
        assert_sent_to_sign_in(response, url)
    elif response.status_code == 200:
        assert page(response).select("a", cls="escalations-link")
