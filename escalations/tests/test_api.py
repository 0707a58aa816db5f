"""REST API of the ladder (SPEC §3, §5, §9): every move and decision with each persona, the
refusals with what is missing, bad input as 400 (never 500), the seed 000 gate end to end,
token auth, the tiers and their queues, fixed query counts, and the schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from approvals.models import ApprovalRequest, ApprovalStatus
from escalations import selectors
from escalations.models import (
    Consult,
    ConsultStatus,
    Handoff,
    HandoffStatus,
    ManagerDecision,
    Tier,
    VendorEngagement,
    VendorUpdate,
)
from escalations.services import consults, handoffs, vendor
from tickets.models import StepKind, StepState, Ticket, TimelineEvent, TroubleshootingStep
from tickets.services.lifecycle import ticket_cancel, ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, new_ticket, triaged

pytestmark = pytest.mark.django_db

EVIDENCE = "logs and screenshots attached, or a statement that there are none"
NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}


def client(user: User | None = None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


def url(ticket: Ticket, action: str) -> str:
    return f"/api/tickets/{ticket.pk}/{action}/"


def user_of(world: World, persona: str | None) -> User | None:
    return world[persona] if persona else None


def in_tier_1(world: World, **kwargs: Any) -> Ticket:
    """Triaged into Tier 1, started by erin, one step documented: ready to escalate."""
    ticket = triaged(world, summary="Invoice totals off by a cent", **kwargs)
    ticket_start(ticket=ticket, actor=world["erin"])
    ticket_add_step(
        ticket=ticket,
        actor=world["erin"],
        kind=StepKind.BASIC_CHECK,
        action="Reproduced with the customer's invoice",
        outcome="Off by 0.01",
    )
    ticket.refresh_from_db()
    return ticket


def potential_bug(world: World) -> int:
    return world.tier("Tier 2").criteria.get(text="Potential bug").pk


def in_tier_2(world: World) -> Ticket:
    ticket = in_tier_1(world)
    handoffs.escalate(
        ticket=ticket,
        actor=world["erin"],
        findings="Rounding looks wrong.",
        criterion=world.tier("Tier 2").criteria.get(text="Potential bug"),
    )
    ticket_start(ticket=ticket, actor=world["tom"])
    ticket.refresh_from_db()
    return ticket


def at_decision_point(world: World) -> Ticket:
    """Escalated by erin from Tier 1 straight to the IT manager (a chosen higher tier)."""
    ticket = in_tier_1(world)
    handoffs.escalate(
        ticket=ticket,
        actor=world["erin"],
        to_tier=world.tier("IT Manager decision"),
        findings="Nobody can fix the rounding; the IT manager must decide.",
    )
    ticket.refresh_from_db()
    return ticket


def mail_ticket_pending_l3(world: World) -> tuple[Ticket, Handoff]:
    """Seed 000 through the services: in L2 with a step and a file, L3 requested by tom."""
    ticket = triaged(world, service=world.mail, summary="Outlook cannot send to external recipients")
    ticket_start(ticket=ticket, actor=world["erin"])
    ticket_add_step(
        ticket=ticket,
        actor=world["erin"],
        kind=StepKind.BASIC_CHECK,
        action="Checked the mailbox quota",
        outcome="Fine",
    )
    handoffs.escalate(ticket=ticket, actor=world["erin"], findings="Needs L2.")
    ticket_start(ticket=ticket, actor=world["tom"])
    ticket_add_step(
        ticket=ticket,
        actor=world["tom"],
        kind=StepKind.LOG_ANALYSIS,
        action="Ran a message trace",
        outcome="550 5.7.1",
        files=[SimpleUploadedFile("trace.png", b"\x89PNG")],
    )
    handoff = handoffs.escalate(
        ticket=ticket,
        actor=world["tom"],
        to_tier=world.tier("Microsoft L3", world.microsoft),
        findings="Rejected inside Exchange Online.",
    )
    ticket.refresh_from_db()
    return ticket, handoff


def in_vendor_tier(world: World) -> Ticket:
    ticket, handoff = mail_ticket_pending_l3(world)
    from approvals.services import approval_approve

    approval_approve(request=handoff.approval, actor=world["ravi"], notes="Evidence reviewed.")
    ticket.refresh_from_db()
    return ticket


# --- the ladder ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("erin", 200), ("tom", 200), ("ivan", 200), ("carla", 404), (None, 401)]
)
def test_it_shows_the_ladder_to_staff_only(world: World, persona: str | None, expected: int) -> None:
    ticket = in_tier_1(world)

    response = client(user_of(world, persona)).get(url(ticket, "ladder"))

    assert response.status_code == expected
    if expected == 404:
        assert response.json() == {"detail": "No such ticket."}
    if expected == 401:
        assert response.json() == NOT_PROVIDED


def test_it_shows_the_current_tier_the_ladder_and_what_each_tier_requires(world: World) -> None:
    ticket = in_tier_1(world)

    body = client(world["erin"]).get(url(ticket, "ladder")).json()

    assert body["ticket"] == {"id": ticket.pk, "reference": ticket.reference, "status": "in_progress"}
    assert body["path"]["name"] == "Service request escalation"
    current = body["current_tier"]
    assert (current["name"], current["level"], current["kind"], current["gated"]) == (
        "Tier 1",
        1,
        "internal",
        False,
    )
    assert current["team"] == {"id": world.teams["Tier 1"].pk, "name": "Tier 1"}
    assert body["entered_at"] is not None
    assert [(t["name"], t["level"], t["kind"], t["gated"]) for t in body["tiers"]] == [
        ("Tier 1", 1, "internal", False),
        ("Tier 2", 2, "internal", False),
        ("Engineering", 3, "internal", False),
        ("Onsite Support", 4, "onsite", True),
        ("Vendor", 5, "vendor", True),
        ("IT Manager decision", 6, "decision", False),
    ]
    tier2 = body["tiers"][1]
    assert tier2["criteria"] == [{"id": c.pk, "text": c.text} for c in world.tier("Tier 2").criteria.all()]
    assert tier2["requirements"] == selectors.requirements_of(world.tier("Tier 2"))
    assert body["tiers"][3]["requirements"][-1] == "a team leader's approval"
    assert (body["handoffs"], body["consults"], body["vendor_engagements"], body["decisions"]) == (
        [],
        [],
        [],
        [],
    )
    assert body["steps_to_do"] == []
    assert body["actions"] == {
        "escalate": True,
        "return": False,
        "consult": True,
        "record_vendor": False,
        "decide": False,
    }
    # Tier 2's engineer reads the same ladder but may not move a Tier 1 ticket.
    other = client(world["tom"]).get(url(ticket, "ladder")).json()
    assert other["actions"] == {
        "escalate": False,
        "return": False,
        "consult": False,
        "record_vendor": False,
        "decide": False,
    }


def test_an_untriaged_ticket_shows_its_ladder_without_a_current_tier(world: World) -> None:
    ticket = new_ticket(world)

    body = client(world["erin"]).get(url(ticket, "ladder")).json()

    assert body["current_tier"] is None and body["entered_at"] is None
    assert body["path"]["name"] == "Service request escalation"
    assert len(body["tiers"]) == 6
    assert body["actions"]["escalate"] is False


def test_a_ticket_without_a_service_has_no_ladder(world: World) -> None:
    ticket = new_ticket(world)
    ticket.service = None
    ticket.save()

    body = client(world["erin"]).get(url(ticket, "ladder")).json()

    assert (body["path"], body["current_tier"], body["tiers"]) == (None, None, [])


def test_options_describe_the_action_input(world: World) -> None:
    ticket = in_tier_1(world)

    response = client(world["erin"]).options(url(ticket, "escalate"))

    assert response.status_code == 200
    assert set(response.json()["actions"]["POST"]) == {
        "to_tier",
        "criterion",
        "findings",
        "workaround",
        "evidence_note",
        "from_tier",
    }


def test_it_answers_404_for_unknown_tickets_and_keeps_the_unknown_transition_answer(world: World) -> None:
    ticket = in_tier_1(world)
    api = client(world["erin"])

    assert api.get("/api/tickets/999999/ladder/").status_code == 404
    assert api.post("/api/tickets/abc/escalate/", {}, format="json").status_code == 404
    unknown = api.post(url(ticket, "escalat"), {}, format="json")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Unknown transition 'escalat'"
    assert "resolve" in unknown.json()["known"]
    # The tickets' own actions still answer (they come after the ladder's routes).
    assert api.get(url(ticket, "steps")).status_code == 200


# --- escalate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("erin", 201), ("tess", 201), ("manny", 201), ("tom", 403), ("kenji", 403), ("carla", 404), (None, 401)],
)
def test_it_escalates_with_the_same_permissions_as_the_console(
    world: World, persona: str | None, expected: int
) -> None:
    ticket = in_tier_1(world)
    events = TimelineEvent.objects.filter(ticket=ticket).count()

    response = client(user_of(world, persona)).post(
        url(ticket, "escalate"),
        {"criterion": potential_bug(world), "findings": "Rounding looks wrong."},
        format="json",
    )

    assert response.status_code == expected, response.json()
    ticket.refresh_from_db()
    if expected == 201:
        body = response.json()
        handoff = Handoff.objects.get(ticket=ticket)
        assert body["id"] == handoff.pk
        assert (body["status"], body["direction"], body["from_tier"]["name"], body["to_tier"]["name"]) == (
            "completed",
            "escalate",
            "Tier 1",
            "Tier 2",
        )
        assert (body["criterion_text"], body["findings"]) == ("Potential bug", "Rounding looks wrong.")
        assert body["requested_by"]["id"] == world[persona].pk
        assert body["package"]["tiers"][0]["steps"][0]["outcome"] == "Off by 0.01"
        assert body["approval"] is None
        assert (selectors.current_stint(ticket).tier.name, ticket.team.name) == ("Tier 2", "Tier 2")
    else:
        assert not Handoff.objects.filter(ticket=ticket).exists()
        assert TimelineEvent.objects.filter(ticket=ticket).count() == events
        assert selectors.current_stint(ticket).tier.name == "Tier 1"


def test_an_escalation_without_what_the_tier_requires_is_409_with_the_missing_list(world: World) -> None:
    ticket = triaged(world)
    ticket_start(ticket=ticket, actor=world["erin"])

    response = client(world["erin"]).post(url(ticket, "escalate"), {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Escalation to Tier 2 refused",
        "missing": [
            "a summary of findings",
            'an escalation criterion for Tier 2: one of "Needs more in-depth technical knowledge"; '
            '"Potential bug"',
            "at least 1 troubleshooting step(s) with outcome documented in Tier 1 (there are 0)",
        ],
    }
    assert not Handoff.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"to_tier": 999999}, "to_tier", 'Invalid pk "999999" - object does not exist.'),
        ({"to_tier": "Tier 2"}, "to_tier", "Incorrect type. Expected pk value, received str."),
        ({"criterion": 999999}, "criterion", 'Invalid pk "999999" - object does not exist.'),
        ({"criterion": [1]}, "criterion", "Incorrect type. Expected pk value, received list."),
        ({"findings": {"a": 1}}, "findings", "Not a valid string."),
        ({"from_tier": True}, "from_tier", "Incorrect type. Expected pk value, received bool."),
    ],
)
def test_unreadable_escalation_input_is_400(
    world: World, data: dict[str, Any], field: str, message: str
) -> None:
    ticket = in_tier_1(world)

    response = client(world["erin"]).post(url(ticket, "escalate"), {"findings": "x", **data}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The input was not accepted.", "errors": {field: [message]}}
    assert not Handoff.objects.exists()


def test_a_criterion_of_another_tier_or_a_tier_of_another_ladder_is_400(world: World) -> None:
    ticket = in_tier_1(world)
    api = client(world["erin"])
    engineering_bug = world.tier("Engineering").criteria.get(text="Software bug")

    wrong_criterion = api.post(
        url(ticket, "escalate"), {"criterion": engineering_bug.pk, "findings": "x"}, format="json"
    )
    other_ladder = api.post(
        url(ticket, "escalate"),
        {"to_tier": world.tier("L2", world.microsoft).pk, "findings": "x"},
        format="json",
    )
    below = api.post(
        url(ticket, "escalate"), {"to_tier": world.tier("Tier 1").pk, "findings": "x"}, format="json"
    )
    not_an_object = api.post(url(ticket, "escalate"), [1, 2], format="json")

    assert wrong_criterion.status_code == 400
    assert wrong_criterion.json()["errors"] == {"criterion": ['"Software bug" is not a criterion of Tier 2.']}
    assert other_ladder.status_code == 400
    assert other_ladder.json()["errors"] == {"to_tier": ["L2 is not above Tier 1 on this ticket's ladder."]}
    assert below.status_code == 400
    assert below.json()["errors"] == {"to_tier": ["Tier 1 is not above Tier 1 on this ticket's ladder."]}
    assert not_an_object.status_code == 400
    assert not Handoff.objects.exists()


def test_an_escalation_from_a_tier_the_ticket_left_is_409(world: World) -> None:
    ticket = in_tier_2(world)

    response = client(world["tom"]).post(
        url(ticket, "escalate"), {"from_tier": world.tier("Tier 1").pk, "findings": "x"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["missing"] == ["the ticket to still be in Tier 1: it is now in Tier 2"]


def test_it_escalates_with_token_authentication(world: World) -> None:
    ticket = in_tier_1(world)
    token = Token.objects.create(user=world["erin"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    ladder = api.get(url(ticket, "ladder"))
    response = api.post(
        url(ticket, "escalate"),
        {"criterion": potential_bug(world), "findings": "Rounding looks wrong."},
        format="json",
    )
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert ladder.status_code == 200
    assert response.status_code == 201
    assert Handoff.objects.get().requested_by == world["erin"]
    assert bad_token.get(url(ticket, "ladder")).status_code == 401


# --- return ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("tom", 201), ("ravi", 201), ("erin", 403), ("carla", 404), (None, 401)]
)
def test_it_returns_to_a_lower_tier(world: World, persona: str | None, expected: int) -> None:
    ticket = in_tier_2(world)

    response = client(user_of(world, persona)).post(
        url(ticket, "return"),
        {"to_tier": world.tier("Tier 1").pk, "findings": "Fixed the rounding; verify."},
        format="json",
    )

    assert response.status_code == expected
    ticket.refresh_from_db()
    if expected == 201:
        body = response.json()
        assert (body["direction"], body["status"], body["to_tier"]["name"]) == (
            "return",
            "completed",
            "Tier 1",
        )
        assert (selectors.current_stint(ticket).tier.name, ticket.team.name) == ("Tier 1", "Tier 1")
    else:
        assert selectors.current_stint(ticket).tier.name == "Tier 2"


def test_a_return_needs_findings_a_lower_tier_and_a_readable_tier(world: World) -> None:
    ticket = in_tier_2(world)
    api = client(world["tom"])

    no_findings = api.post(url(ticket, "return"), {"to_tier": world.tier("Tier 1").pk}, format="json")
    upwards = api.post(
        url(ticket, "return"), {"to_tier": world.tier("Engineering").pk, "findings": "x"}, format="json"
    )
    no_tier = api.post(url(ticket, "return"), {"findings": "x"}, format="json")
    unknown = api.post(url(ticket, "return"), {"to_tier": "first", "findings": "x"}, format="json")

    assert no_findings.status_code == 409
    assert no_findings.json() == {
        "detail": "Return to Tier 1 refused",
        "missing": ["what was done and what Tier 1 should do next"],
    }
    assert upwards.status_code == 400
    assert upwards.json()["errors"] == {
        "to_tier": ["Engineering is not below Tier 2 on this ticket's ladder."]
    }
    assert no_tier.status_code == 400 and no_tier.json()["errors"] == {"to_tier": ["This field is required."]}
    assert unknown.status_code == 400
    assert selectors.current_stint(ticket).tier.name == "Tier 2"


# --- consults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("erin", 201), ("tess", 201), ("tom", 403), ("carla", 404), (None, 401)]
)
def test_it_requests_a_consult(world: World, persona: str | None, expected: int) -> None:
    ticket = in_tier_1(world)

    response = client(user_of(world, persona)).post(
        url(ticket, "consult"),
        {
            "team": world.teams["Network Operations"].pk,
            "question": "Is the VPN dropping?",
            "reply_minutes": 60,
        },
        format="json",
    )

    assert response.status_code == expected
    if expected == 201:
        body = response.json()
        assert (body["team"]["name"], body["state"], body["reply_minutes"], body["question"]) == (
            "Network Operations",
            "open",
            60,
            "Is the VPN dropping?",
        )
        assert Consult.objects.get().requested_by == world[persona]
    else:
        assert not Consult.objects.exists()


@pytest.mark.parametrize(
    ("data", "status", "errors"),
    [
        ({"team": 999999, "question": "q"}, 400, {"team": ['Invalid pk "999999" - object does not exist.']}),
        (
            {"team": "nets", "question": "q"},
            400,
            {"team": ["Incorrect type. Expected pk value, received str."]},
        ),
        ({"team": "NOC", "question": "q", "reply_minutes": "soon"}, 400, None),
        (
            {"team": "NOC", "question": "q", "reply_minutes": 0},
            400,
            {"reply_minutes": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"team": "NOC", "question": " "}, 400, {"question": ["Say what you need from the team."]}),
        ({"team": "Tier 1", "question": "q"}, 409, None),
    ],
)
def test_bad_consult_input_is_400_and_consulting_the_own_team_409(
    world: World, data: dict[str, Any], status: int, errors: dict[str, Any] | None
) -> None:
    ticket = in_tier_1(world)
    names = {"NOC": "Network Operations", "Tier 1": "Tier 1"}
    if data["team"] in names:
        data = {**data, "team": world.teams[names[data["team"]]].pk}

    response = client(world["erin"]).post(url(ticket, "consult"), data, format="json")

    assert response.status_code == status
    if errors is not None:
        assert response.json()["errors"] == errors
    if status == 409:
        assert response.json()["missing"] == ["another team than Tier 1, which already has the ticket"]
    assert not Consult.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("nils", 200), ("victor", 200), ("erin", 403), ("tom", 403), ("carla", 404), (None, 401)],
)
def test_the_consulted_team_replies(world: World, persona: str | None, expected: int) -> None:
    ticket = in_tier_1(world)
    consult = consults.consult_request(
        ticket=ticket,
        actor=world["erin"],
        team=world.teams["Network Operations"],
        question="Is the VPN dropping?",
    )

    response = client(user_of(world, persona)).post(
        f"/api/consults/{consult.pk}/reply/", {"reply": "No drops in the last week."}, format="json"
    )

    assert response.status_code == expected
    consult.refresh_from_db()
    if expected == 200:
        assert response.json()["state"] == "answered"
        assert response.json()["replied_by"]["id"] == world[persona].pk
        assert (consult.state, consult.reply) == (ConsultStatus.ANSWERED, "No drops in the last week.")
    else:
        assert consult.state == ConsultStatus.OPEN


def test_an_empty_consult_reply_is_400(world: World) -> None:
    ticket = in_tier_1(world)
    consult = consults.consult_request(
        ticket=ticket,
        actor=world["erin"],
        team=world.teams["Network Operations"],
        question="Is the VPN dropping?",
    )
    api = client(world["nils"])

    empty = api.post(f"/api/consults/{consult.pk}/reply/", {"reply": ""}, format="json")

    assert empty.status_code == 400 and empty.json()["errors"] == {"reply": ["The reply is empty."]}
    assert api.post("/api/consults/999999/reply/", {"reply": "x"}, format="json").status_code == 404
    consult.refresh_from_db()
    assert consult.state == ConsultStatus.OPEN


def test_answering_an_answered_consult_is_409(world: World) -> None:
    ticket = in_tier_1(world)
    consult = consults.consult_request(
        ticket=ticket,
        actor=world["erin"],
        team=world.teams["Network Operations"],
        question="Is the VPN dropping?",
    )
    api = client(world["nils"])

    first = api.post(f"/api/consults/{consult.pk}/reply/", {"reply": "No."}, format="json")
    again = api.post(f"/api/consults/{consult.pk}/reply/", {"reply": "Still no."}, format="json")

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json()["missing"] == ["an open consult (this one is answered)"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("erin", 200), ("omar", 200), ("tom", 403), ("nils", 403), ("carla", 404), (None, 401)],
)
def test_whoever_asked_or_the_ticket_team_withdraws_a_consult(
    world: World, persona: str | None, expected: int
) -> None:
    ticket = in_tier_1(world)
    consult = consults.consult_request(
        ticket=ticket,
        actor=world["erin"],
        team=world.teams["Network Operations"],
        question="Is the VPN dropping?",
    )

    response = client(user_of(world, persona)).post(
        f"/api/consults/{consult.pk}/withdraw/", {"reason": "Found it ourselves."}, format="json"
    )

    assert response.status_code == expected
    consult.refresh_from_db()
    assert consult.state == (ConsultStatus.WITHDRAWN if expected == 200 else ConsultStatus.OPEN)
    if expected == 200:
        assert response.json()["state"] == "withdrawn"
        again = client(world["erin"]).post(f"/api/consults/{consult.pk}/withdraw/", {}, format="json")
        assert (again.status_code, again.json()["missing"]) == (409, ["an open consult"])


# --- hand-off withdrawal ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("tom", 200), ("rachel", 200), ("erin", 403), ("carla", 404), (None, 401)]
)
def test_a_pending_hand_off_is_withdrawn_and_its_approval_cancelled(
    world: World, persona: str | None, expected: int
) -> None:
    _ticket, handoff = mail_ticket_pending_l3(world)

    response = client(user_of(world, persona)).post(
        f"/api/handoffs/{handoff.pk}/withdraw/",
        {"reason": "The customer found the transport rule."},
        format="json",
    )

    assert response.status_code == expected
    handoff.refresh_from_db()
    handoff.approval.refresh_from_db()
    if expected == 200:
        body = response.json()
        assert (body["status"], body["withdrawn_reason"]) == (
            "withdrawn",
            "The customer found the transport rule.",
        )
        assert body["approval"]["status"] == "cancelled"
        assert (handoff.status, handoff.approval.status) == (
            HandoffStatus.WITHDRAWN,
            ApprovalStatus.CANCELLED,
        )
    else:
        assert (handoff.status, handoff.approval.status) == (
            HandoffStatus.PENDING_APPROVAL,
            ApprovalStatus.PENDING,
        )


def test_a_withdrawal_needs_a_reason_and_a_hand_off_in_flight(world: World) -> None:
    _ticket, handoff = mail_ticket_pending_l3(world)
    api = client(world["tom"])

    no_reason = api.post(f"/api/handoffs/{handoff.pk}/withdraw/", {}, format="json")
    done = api.post(f"/api/handoffs/{handoff.pk}/withdraw/", {"reason": "Not needed."}, format="json")
    again = api.post(f"/api/handoffs/{handoff.pk}/withdraw/", {"reason": "Not needed."}, format="json")

    assert (no_reason.status_code, no_reason.json()["missing"]) == (409, ["the reason for withdrawing"])
    assert done.status_code == 200
    assert (again.status_code, again.json()["missing"]) == (
        409,
        ["a hand-off still in flight (this one is withdrawn)"],
    )
    assert api.post("/api/handoffs/999999/withdraw/", {"reason": "x"}, format="json").status_code == 404


# --- vendor tiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("tom", 201), ("ravi", 201), ("erin", 403), ("carla", 404), (None, 401)]
)
def test_it_records_the_vendor_case(world: World, persona: str | None, expected: int) -> None:
    ticket = in_vendor_tier(world)

    response = client(user_of(world, persona)).post(
        url(ticket, "vendor-engagements"),
        {"case_number": "MS-2611230042", "contact": "Dana at Microsoft"},
        format="json",
    )

    assert response.status_code == expected
    if expected == 201:
        body = response.json()
        assert (body["vendor_name"], body["case_number"], body["contact"], body["tier"]["name"]) == (
            "Microsoft",
            "MS-2611230042",
            "Dana at Microsoft",
            "Microsoft L3",
        )
        assert body["updates"] == []
    else:
        assert not VendorEngagement.objects.exists()


def test_the_vendor_case_needs_a_vendor_tier_and_its_number_and_contact(world: World) -> None:
    vendor_ticket = in_vendor_tier(world)
    tier_1_ticket = in_tier_1(world)

    missing = client(world["tom"]).post(
        url(vendor_ticket, "vendor-engagements"), {"case_number": " "}, format="json"
    )
    too_long = client(world["tom"]).post(
        url(vendor_ticket, "vendor-engagements"), {"case_number": "9" * 121, "contact": "Dana"}, format="json"
    )
    not_vendor = client(world["erin"]).post(
        url(tier_1_ticket, "vendor-engagements"), {"case_number": "1", "contact": "Dana"}, format="json"
    )

    assert missing.status_code == 409
    assert missing.json() == {
        "detail": "Recording the vendor case refused",
        "missing": ["the vendor case number", "the vendor contact"],
    }
    assert too_long.status_code == 400 and list(too_long.json()["errors"]) == ["case_number"]
    assert not_vendor.status_code == 409
    assert not_vendor.json()["missing"] == ["the ticket to be in a vendor tier (after an approved hand-off)"]
    assert not VendorEngagement.objects.exists()


@pytest.mark.parametrize(("persona", "expected"), [("tom", 201), ("erin", 403), ("carla", 404), (None, 401)])
def test_it_records_vendor_updates(world: World, persona: str | None, expected: int) -> None:
    ticket = in_vendor_tier(world)
    engagement = vendor.vendor_engage(ticket=ticket, actor=world["tom"], case_number="MS-1", contact="Dana")
    received = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)

    response = client(user_of(world, persona)).post(
        f"/api/vendor-engagements/{engagement.pk}/updates/",
        {"summary": "Microsoft found a stuck transport rule.", "received_at": received.isoformat()},
        format="json",
    )

    assert response.status_code == expected
    if expected == 201:
        assert response.json()["summary"] == "Microsoft found a stuck transport rule."
        assert parse_datetime(response.json()["received_at"]) == received
        assert VendorUpdate.objects.get().recorded_by == world[persona]
    else:
        assert not VendorUpdate.objects.exists()


def test_bad_vendor_updates_are_400(world: World) -> None:
    ticket = in_vendor_tier(world)
    engagement = vendor.vendor_engage(ticket=ticket, actor=world["tom"], case_number="MS-1", contact="Dana")
    api = client(world["tom"])
    link = f"/api/vendor-engagements/{engagement.pk}/updates/"

    assert api.post(link, {"summary": ""}, format="json").json()["errors"] == {
        "summary": ["Say what the vendor reported."]
    }
    assert api.post(link, {"summary": "x", "received_at": "yesterday"}, format="json").status_code == 400
    tomorrow = timezone.now() + timedelta(days=1)
    future = api.post(link, {"summary": "x", "received_at": tomorrow.isoformat()}, format="json")
    assert future.json()["errors"] == {"received_at": ["An update cannot be received in the future."]}
    assert (
        api.post("/api/vendor-engagements/999999/updates/", {"summary": "x"}, format="json").status_code
        == 404
    )
    assert not VendorUpdate.objects.exists()


# --- the IT manager's decision ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("ivan", 201), ("erin", 403), ("tom", 403), ("carla", 404), (None, 401)]
)
def test_the_it_manager_decides(world: World, persona: str | None, expected: int) -> None:
    ticket = at_decision_point(world)
    before = ticket.status

    response = client(user_of(world, persona)).post(
        url(ticket, "decision"),
        {
            "outcome": "known_error",
            "notes": "Accept: rounding is per contract.",
            "root_cause": "Half-down rounding in the invoicing module.",
            "knowledge_article": "KB-77",
        },
        format="json",
    )

    assert response.status_code == expected
    ticket.refresh_from_db()
    if expected == 201:
        body = response.json()
        assert (body["outcome"], body["notes"], body["tier"]["name"]) == (
            "known_error",
            "Accept: rounding is per contract.",
            "IT Manager decision",
        )
        assert body["activity_record"]["handoffs"][0]["to"] == "IT Manager decision"
        assert (ticket.status, ticket.fix_kind) == ("resolved", "known_error")
    else:
        assert ticket.status == before
        assert not ManagerDecision.objects.exists()


def test_a_decision_is_refused_with_what_is_missing_and_bad_outcomes_are_400(world: World) -> None:
    ticket = at_decision_point(world)
    tier_1_ticket = in_tier_1(world)
    api = client(world["ivan"])

    missing = api.post(url(ticket, "decision"), {"outcome": "close_with_workaround"}, format="json")
    no_tier = api.post(
        url(ticket, "decision"), {"outcome": "return_to_tier", "notes": "More work."}, format="json"
    )
    unknown = api.post(url(ticket, "decision"), {"outcome": "shrug", "notes": "x"}, format="json")
    not_there = api.post(
        url(tier_1_ticket, "decision"), {"outcome": "known_error", "notes": "x"}, format="json"
    )

    assert missing.status_code == 409
    assert missing.json() == {
        "detail": "Decision refused",
        "missing": ["decision notes", "the root cause as far as it is known"],
    }
    assert (no_tier.status_code, no_tier.json()["missing"]) == (409, ["the tier to return the ticket to"])
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"outcome": ['"shrug" is not a valid choice.']}
    assert not_there.status_code == 409
    assert not_there.json()["missing"] == ["the ticket to be at the IT manager decision point"]


def test_a_decision_returns_the_ticket_to_a_chosen_tier(world: World) -> None:
    ticket = at_decision_point(world)

    response = client(world["ivan"]).post(
        url(ticket, "decision"),
        {
            "outcome": "return_to_tier",
            "notes": "Engineering should look again.",
            "to_tier": world.tier("Engineering").pk,
        },
        format="json",
    )

    assert response.status_code == 201
    assert selectors.current_stint(ticket).tier.name == "Engineering"
    ladder = client(world["ivan"]).get(url(ticket, "ladder")).json()
    assert [d["outcome"] for d in ladder["decisions"]] == ["return_to_tier"]
    assert [(h["direction"], h["to_tier"]["name"]) for h in ladder["handoffs"]] == [
        ("escalate", "IT Manager decision"),
        ("return", "Engineering"),
    ]


# --- seed 000 end to end through the API -----------------------------------------------------


def test_seed_000_gate_end_to_end_through_the_api(world: World) -> None:
    l3 = world.tier("Microsoft L3", world.microsoft)
    ticket = l1_documents_and_escalates_to_l2(world)
    l2_asking_for_l3_with_nothing_documented_is_409(world, ticket, l3)
    first_body = l2_documents_and_the_gate_files_a_request(world, ticket, l3)
    only_ravi_may_decide(world, first_body["approval"]["id"])
    suggested, to_do = ravi_sends_it_back_with_two_steps(world, ticket, first_body["approval"]["id"])
    asking_again_before_the_steps_is_409(world, ticket, l3, suggested)
    second_request = the_steps_done_a_follow_up_is_filed(world, ticket, l3, to_do, first_body)
    ravi_approves_the_follow_up_with_notes(world, second_request)
    the_ticket_is_in_l3_and_microsoft_is_engaged(world, ticket)
    the_timeline_tells_the_gate_story(ticket)


def l1_documents_and_escalates_to_l2(world: World) -> Ticket:
    erin, l2 = client(world["erin"]), world.tier("L2", world.microsoft)
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world, service=world.mail, summary="Outlook cannot send to external recipients")
        assert erin.post(url(ticket, "start"), {}, format="json").status_code == 200
        assert (
            erin.post(
                url(ticket, "steps"),
                {"kind": "basic_check", "action": "Checked the quota", "outcome": "Fine"},
                format="json",
            ).status_code
            == 201
        )
        to_l2 = erin.post(url(ticket, "escalate"), {"findings": "Needs L2."}, format="json")
        assert (to_l2.status_code, to_l2.json()["to_tier"]["id"], to_l2.json()["status"]) == (
            201,
            l2.pk,
            "completed",
        )
    return ticket


def l2_asking_for_l3_with_nothing_documented_is_409(world: World, ticket: Ticket, l3: Tier) -> None:
    tom = client(world["tom"])
    with time_machine.travel(at(23, 10), tick=False):
        assert tom.post(url(ticket, "start"), {}, format="json").status_code == 200
        refused = tom.post(
            url(ticket, "escalate"), {"to_tier": l3.pk, "findings": "Ask Microsoft."}, format="json"
        )
        assert refused.status_code == 409
        assert refused.json()["missing"] == [
            "at least 1 troubleshooting step(s) with outcome documented in L2 (there are 0)",
            EVIDENCE,
        ]
        assert not ApprovalRequest.objects.exists()


def l2_documents_and_the_gate_files_a_request(world: World, ticket: Ticket, l3: Tier) -> dict[str, Any]:
    tom = client(world["tom"])
    with time_machine.travel(at(23, 11), tick=False):
        step = tom.post(
            url(ticket, "steps"),
            {
                "kind": "log_analysis",
                "action": "Ran a message trace",
                "outcome": "550 5.7.1",
                "files": [SimpleUploadedFile("trace.png", b"\x89PNG")],
            },
            format="multipart",
        )
        assert step.status_code == 201
        first = tom.post(
            url(ticket, "escalate"),
            {"to_tier": l3.pk, "findings": "Rejected inside Exchange Online.", "workaround": "Send from OWA"},
            format="json",
        )
    assert first.status_code == 201
    first_body = first.json()
    assert (first_body["status"], first_body["approval"]["status"]) == ("pending_approval", "pending")
    return first_body


def only_ravi_may_decide(world: World, first_request: int) -> None:
    tom = client(world["tom"])
    ravi = client(world["ravi"])
    # The inbox: ravi decides, tom (the requester) and tess (another team's leader) cannot.
    assert [r["id"] for r in ravi.get("/api/approvals/").json()["results"]] == [first_request]
    assert tom.get("/api/approvals/").json()["results"] == []
    assert (
        tom.post(f"/api/approvals/{first_request}/approve/", {"notes": "Fine."}, format="json").status_code
        == 403
    )
    tess = client(world["tess"])
    assert (
        tess.post(f"/api/approvals/{first_request}/approve/", {"notes": "Go."}, format="json").status_code
        == 403
    )


def ravi_sends_it_back_with_two_steps(
    world: World, ticket: Ticket, first_request: int
) -> tuple[list[str], list[dict[str, Any]]]:
    tom = client(world["tom"])
    ravi = client(world["ravi"])
    suggested = ["Test with a new Outlook profile", "Check the outbound spam policy"]
    with time_machine.travel(at(23, 12), tick=False):
        sent_back = ravi.post(
            f"/api/approvals/{first_request}/request-changes/",
            {"steps": suggested, "notes": "Rule out the client."},
            format="json",
        )
    assert sent_back.status_code == 200
    assert (sent_back.json()["status"], sent_back.json()["suggested_steps"]) == (
        "changes_requested",
        suggested,
    )
    ladder = tom.get(url(ticket, "ladder")).json()
    assert ladder["handoffs"][-1]["status"] == "sent_back"
    assert ladder["handoffs"][-1]["approval"]["suggested_steps"] == suggested
    to_do = ladder["steps_to_do"]
    assert [s["action"] for s in to_do] == suggested
    return suggested, to_do


def asking_again_before_the_steps_is_409(
    world: World, ticket: Ticket, l3: Tier, suggested: list[str]
) -> None:
    tom = client(world["tom"])
    early = tom.post(
        url(ticket, "escalate"), {"to_tier": l3.pk, "findings": "Please approve."}, format="json"
    )
    assert (early.status_code, early.json()["missing"]) == (
        409,
        ["the suggested troubleshooting steps done first: " + "; ".join(suggested)],
    )


def the_steps_done_a_follow_up_is_filed(
    world: World, ticket: Ticket, l3: Tier, to_do: list[dict[str, Any]], first_body: dict[str, Any]
) -> int:
    tom = client(world["tom"])
    ravi = client(world["ravi"])
    first_request = first_body["approval"]["id"]
    with time_machine.travel(at(23, 13), tick=False):
        for row, outcome in zip(
            to_do, ["Same error with a new profile", "Policy allows external mail"], strict=True
        ):
            done = tom.post(url(ticket, f"steps/{row['id']}/complete"), {"outcome": outcome}, format="json")
            assert done.status_code == 200
            assert (done.json()["state"], done.json()["outcome"], done.json()["engineer"]["id"]) == (
                "done",
                outcome,
                world["tom"].pk,
            )
        second = tom.post(
            url(ticket, "escalate"),
            {"to_tier": l3.pk, "findings": "Not the client nor the policy."},
            format="json",
        )
    assert second.status_code == 201
    second_body = second.json()
    assert (second_body["previous"], second_body["status"]) == (first_body["id"], "pending_approval")
    second_request = second_body["approval"]["id"]
    detail = ravi.get(f"/api/approvals/{second_request}/").json()
    assert detail["previous"] == first_request
    assert ravi.get(f"/api/approvals/{first_request}/").json()["follow_up"] == second_request
    assert [s["title"] for s in detail["package"]][:2] == ["Hand-off", "Intake"]
    return second_request


def ravi_approves_the_follow_up_with_notes(world: World, second_request: int) -> None:
    ravi = client(world["ravi"])
    with time_machine.travel(at(23, 14), tick=False):
        no_notes = ravi.post(f"/api/approvals/{second_request}/approve/", {}, format="json")
        assert (no_notes.status_code, no_notes.json()["missing"]) == (
            409,
            ["approval notes (what was reviewed and why it may go ahead)"],
        )
        approved = ravi.post(
            f"/api/approvals/{second_request}/approve/",
            {"notes": "Trace and profile test reviewed; engage Microsoft."},
            format="json",
        )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]["id"]) == ("approved", world["ravi"].pk)


def the_ticket_is_in_l3_and_microsoft_is_engaged(world: World, ticket: Ticket) -> None:
    tom = client(world["tom"])
    ladder = tom.get(url(ticket, "ladder")).json()
    assert ladder["current_tier"]["name"] == "Microsoft L3"
    assert [(h["to_tier"]["name"], h["status"]) for h in ladder["handoffs"]] == [
        ("L2", "completed"),
        ("Microsoft L3", "sent_back"),
        ("Microsoft L3", "completed"),
    ]
    assert (
        ladder["handoffs"][-1]["approval"]["decision_notes"]
        == "Trace and profile test reviewed; engage Microsoft."
    )
    assert ladder["actions"]["record_vendor"] is True
    engaged = tom.post(
        url(ticket, "vendor-engagements"), {"case_number": "MS-42", "contact": "Dana"}, format="json"
    )
    assert engaged.status_code == 201
    update = tom.post(
        f"/api/vendor-engagements/{engaged.json()['id']}/updates/",
        {"summary": "Transport rule found."},
        format="json",
    )
    assert update.status_code == 201
    ladder = tom.get(url(ticket, "ladder")).json()
    assert [
        (e["case_number"], [u["summary"] for u in e["updates"]]) for e in ladder["vendor_engagements"]
    ] == [("MS-42", ["Transport rule found."])]


def the_timeline_tells_the_gate_story(ticket: Ticket) -> None:
    kinds = list(
        TimelineEvent.objects.filter(
            ticket=ticket,
            kind__in=[
                "approval_requested",
                "approval_changes_requested",
                "step_done",
                "approval_granted",
                "escalated",
                "vendor_engaged",
                "vendor_update",
            ],
        )
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "escalated",
        "approval_requested",
        "approval_changes_requested",
        "step_done",
        "step_done",
        "approval_requested",
        "approval_granted",
        "escalated",
        "vendor_engaged",
        "vendor_update",
    ]


# --- completing to-do steps (tickets API) ----------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), [("tom", 200), ("erin", 200), ("carla", 404), (None, 401)])
def test_a_to_do_step_is_completed_through_the_tickets_api(
    world: World, persona: str | None, expected: int
) -> None:
    ticket = in_tier_1(world)
    step = ticket_add_step(
        ticket=ticket,
        actor=world["tess"],
        kind=StepKind.SUGGESTED,
        action="Clear the cache",
        state=StepState.TO_DO,
    )

    response = client(user_of(world, persona)).post(
        url(ticket, f"steps/{step.pk}/complete"), {"outcome": "Cache cleared; same result."}, format="json"
    )

    assert response.status_code == expected
    step.refresh_from_db()
    assert step.state == (StepState.DONE if expected == 200 else StepState.TO_DO)


def test_completing_a_step_needs_an_outcome_a_step_of_this_ticket_and_one_still_to_do(world: World) -> None:
    ticket = in_tier_1(world)
    other = in_tier_1(world)
    step = ticket_add_step(
        ticket=ticket,
        actor=world["tess"],
        kind=StepKind.SUGGESTED,
        action="Clear the cache",
        state=StepState.TO_DO,
    )
    api = client(world["erin"])

    empty = api.post(url(ticket, f"steps/{step.pk}/complete"), {}, format="json")
    wrong_ticket = api.post(url(other, f"steps/{step.pk}/complete"), {"outcome": "x"}, format="json")
    done = api.post(url(ticket, f"steps/{step.pk}/complete"), {"outcome": "Cleared."}, format="json")
    again = api.post(url(ticket, f"steps/{step.pk}/complete"), {"outcome": "Cleared."}, format="json")

    assert empty.status_code == 400
    assert empty.json()["errors"] == {"outcome": ["Say what the step showed (its outcome)."]}
    assert wrong_ticket.status_code == 404
    assert done.status_code == 200
    assert (again.status_code, again.json()["missing"]) == (409, ["a step still to do"])
    assert TroubleshootingStep.objects.filter(ticket=ticket, state=StepState.TO_DO).count() == 0


# --- tiers and their queues ------------------------------------------------------------------


def test_it_lists_every_ladders_tiers_with_open_ticket_counts(world: World) -> None:
    in_tier_1(world)
    in_tier_2(world)
    closed = in_tier_1(world)
    ticket_cancel(ticket=closed, actor=world["erin"], reason="withdrawn", note="Not needed.")

    response = client(world["erin"]).get("/api/tiers/")

    assert response.status_code == 200
    rows = {(t["path"]["name"], t["name"]): t for t in response.json()}
    assert len(rows) == 9
    assert rows[("Service request escalation", "Tier 1")]["open_tickets"] == 1
    assert rows[("Service request escalation", "Tier 2")]["open_tickets"] == 1
    assert rows[("Service request escalation", "Engineering")]["open_tickets"] == 0
    assert rows[("Microsoft 365 escalation", "Microsoft L3")]["gated"] is True
    tier2 = rows[("Service request escalation", "Tier 2")]
    assert tier2["queue_url"] == f"http://testserver/api/tiers/{tier2['id']}/queue/"
    assert tier2["team"] == {"id": world.teams["Tier 2"].pk, "name": "Tier 2"}


@pytest.mark.parametrize(("persona", "expected"), [("erin", 200), ("carla", 403), (None, 401)])
def test_the_tiers_and_queues_are_for_staff(world: World, persona: str | None, expected: int) -> None:
    tier = world.tier("Tier 1")
    api = client(user_of(world, persona))

    assert api.get("/api/tiers/").status_code == expected
    assert api.get(f"/api/tiers/{tier.pk}/queue/").status_code == expected


def test_a_tier_queue_lists_its_open_tickets_with_the_ticket_list_rows(world: World) -> None:
    first = in_tier_1(world)
    escalated = in_tier_2(world)
    p1 = in_tier_1(world, priority="P1")
    cancelled = in_tier_1(world)
    ticket_cancel(ticket=cancelled, actor=world["erin"], reason="withdrawn", note="Not needed.")
    api = client(world["erin"])
    tier1 = world.tier("Tier 1")

    queue = api.get(f"/api/tiers/{tier1.pk}/queue/")
    by_priority = api.get(f"/api/tiers/{tier1.pk}/queue/?priority=P1")
    cancelled_too = api.get(f"/api/tiers/{tier1.pk}/queue/?status=cancelled")
    tier2 = api.get(f"/api/tiers/{world.tier('Tier 2').pk}/queue/?page_size=1")

    assert queue.status_code == 200
    assert queue.json()["count"] == 2
    assert [r["id"] for r in queue.json()["results"]] == [p1.pk, first.pk]
    row = queue.json()["results"][0]
    assert set(row) == set(client(world["erin"]).get("/api/tickets/").json()["results"][0])
    assert [r["id"] for r in by_priority.json()["results"]] == [p1.pk]
    assert [r["id"] for r in cancelled_too.json()["results"]] == [cancelled.pk]
    assert [r["id"] for r in tier2.json()["results"]] == [escalated.pk]
    assert api.get("/api/tiers/999999/queue/").status_code == 404
    bad = api.get(f"/api/tiers/{tier1.pk}/queue/?priority=P9")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["priority"]


# --- query counts ----------------------------------------------------------------------------


def count_queries(api: APIClient, link: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(link)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def grow_ladder(world: World, ticket: Ticket, n: int) -> None:
    """n more hand-offs (returns and escalations), consults with replies, and steps."""
    for i in range(n):
        ticket_add_step(
            ticket=ticket, actor=world["tom"], kind=StepKind.BASIC_CHECK, action=f"Check {i}", outcome="ok"
        )
        handoffs.return_to_tier(
            ticket=ticket, actor=world["tom"], to_tier=world.tier("Tier 1"), findings=f"Round {i}: verify."
        )
        ticket.refresh_from_db()
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action=f"Verify {i}",
            outcome="still wrong",
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings=f"Round {i}: still wrong.",
            criterion=world.tier("Tier 2").criteria.get(text="Potential bug"),
        )
        ticket.refresh_from_db()
        ticket_start(ticket=ticket, actor=world["tom"])  # as in_tier_2 leaves it
        consult = consults.consult_request(
            ticket=ticket,
            actor=world["tom"],
            team=world.teams["Network Operations"],
            question=f"Question {i}?",
        )
        consults.consult_reply(consult=consult, actor=world["nils"], reply=f"Answer {i}.")


def test_the_ladder_is_read_in_a_fixed_number_of_queries(world: World) -> None:
    small = in_tier_2(world)
    large = in_tier_2(world)
    grow_ladder(world, large, 6)
    api = client(world["tom"])

    small_count, small_body = count_queries(api, url(small, "ladder"))
    large_count, large_body = count_queries(api, url(large, "ladder"))

    assert (len(small_body["handoffs"]), len(large_body["handoffs"])) == (1, 13)
    assert (len(small_body["consults"]), len(large_body["consults"])) == (0, 6)
    assert small_count == large_count


def test_the_ladder_of_a_vendor_ticket_is_read_in_a_fixed_number_of_queries(world: World) -> None:
    small = in_vendor_tier(world)
    large = in_vendor_tier(world)
    for ticket, engagements, updates in ((small, 1, 1), (large, 4, 5)):
        for i in range(engagements):
            engagement = vendor.vendor_engage(
                ticket=ticket, actor=world["tom"], case_number=f"MS-{i}", contact="Dana"
            )
            for j in range(updates):
                vendor.vendor_update(engagement=engagement, actor=world["tom"], summary=f"Update {j}.")
    api = client(world["tom"])

    small_count, small_body = count_queries(api, url(small, "ladder"))
    large_count, large_body = count_queries(api, url(large, "ladder"))

    assert [len(e["updates"]) for e in small_body["vendor_engagements"]] == [1]
    assert [len(e["updates"]) for e in large_body["vendor_engagements"]] == [5, 5, 5, 5]
    assert small_count == large_count


def test_a_tier_queue_is_read_in_a_fixed_number_of_queries(world: World) -> None:
    api = client(world["erin"])
    tier1 = world.tier("Tier 1")
    in_tier_1(world)
    small_count, small_body = count_queries(api, f"/api/tiers/{tier1.pk}/queue/?page_size=100")
    for _ in range(12):
        in_tier_1(world)
    large_count, large_body = count_queries(api, f"/api/tiers/{tier1.pk}/queue/?page_size=100")

    assert (small_body["count"], large_body["count"]) == (1, 13)
    assert small_count == large_count


def test_the_tiers_are_listed_in_one_query_whatever_the_tickets(world: World) -> None:
    api = client(world["erin"])
    api.get("/api/tiers/")  # session and user loaded once, as for every request
    small_count, _ = count_queries(api, "/api/tiers/")
    for _ in range(5):
        in_tier_2(world)
    large_count, body = count_queries(api, "/api/tiers/")

    assert small_count == large_count
    assert sum(t["open_tickets"] for t in body) == 5


# --- schema ----------------------------------------------------------------------------------


def test_the_schema_documents_the_ladder_actions(world: World) -> None:
    response = client(world["erin"]).get("/api/schema/?format=json")

    paths = response.json()["paths"]
    for path in (
        "/api/tickets/{id}/ladder/",
        "/api/tickets/{id}/escalate/",
        "/api/tickets/{id}/return/",
        "/api/tickets/{id}/consult/",
        "/api/tickets/{id}/vendor-engagements/",
        "/api/tickets/{id}/decision/",
        "/api/handoffs/{id}/withdraw/",
        "/api/consults/{id}/reply/",
        "/api/consults/{id}/withdraw/",
        "/api/vendor-engagements/{id}/updates/",
        "/api/tiers/",
        "/api/tiers/{id}/queue/",
        "/api/tickets/{id}/steps/{step_id}/complete/",
    ):
        assert path in paths, path
    escalate = paths["/api/tickets/{id}/escalate/"]["post"]
    # The action's own answers, and those every operation shares (escalation_desk/schema.py).
    assert set(escalate["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "415", "429"}
    assert escalate["responses"]["409"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/Refusal"
    )


def test_the_ladder_offers_no_move_while_a_hand_off_is_in_flight(world: World) -> None:
    """The console's panel and the API's ladder view read one rule (permissions.ladder_actions)."""
    ticket, handoff = mail_ticket_pending_l3(world)
    assert handoff.is_active  # waiting for the team leader's approval

    actions = client(world["tom"]).get(url(ticket, "ladder")).json()["actions"]

    assert (actions["escalate"], actions["return"]) == (False, False)
    assert actions["consult"] is True
