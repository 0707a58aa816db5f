"""REST API of customer escalation cases (issue 5, Build point 5): every endpoint with each
persona, refusals as 409 with what is missing, bad input as 400 (never 500), the customer's
view without the internal parts, one case for repeated requests, fixed query counts, and the
schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import (
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
    MeetingKind,
)
from cases.services import core as case_core
from cases.services import de_escalation as case_de_escalation
from cases.services import participants as case_participants
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import review as leadership_review
from cases.services import updates as case_updates
from tests_support.factories import OrganisationFactory, make_agent, make_customer
from tickets.models import Ticket
from tickets.services.lifecycle import ticket_start

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

REQUEST = {
    "reason": "critical_impact",
    "level": "team_leader",
    "problem_statement_correct": True,
    "business_impact": "Invoices cannot be sent to our customers.",
    "workaround_impractical_because": "Typing invoices by hand takes days.",
}
REVIEW = case_core.Review(
    problem_statement_correct=True,
    business_impact="Invoices cannot be sent.",
    workaround_impractical_because="Typing invoices by hand takes days.",
)
INTERNAL_KEYS = {
    "brief",
    "internal_review",
    "requests",
    "brief_ready_engineer",
    "brief_ready_team_leader",
    "brief_ready_team_manager",
    "acknowledge_due",
    "reason",
    "action_plan_accepted",
    "rca_on_track",
    "agreed_by",
}


@pytest.fixture(autouse=True)
def monday_morning() -> Iterator[None]:
    with time_machine.travel(at(23, 10), tick=True):
        yield


@pytest.fixture
def people(world: World) -> World:
    """The world plus an escalation manager, support leadership and a customer of another org."""
    world.users["esme"] = make_agent("Escalation manager", username="esme")
    world.users["leah"] = make_agent("Leadership", username="leah")
    world.users["olga"] = make_customer(OrganisationFactory(name="Other Org"), username="olga")
    return world


def client(user: User | None = None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


def as_(world: World, persona: str | None) -> APIClient:
    return client(world[persona] if persona else None)


# --- cases in each state, through the services ---------------------------------------------------


def worked_ticket(world: World, **kwargs: Any) -> Ticket:
    ticket = triaged(world, summary="Invoices stuck in the outbox", **kwargs)
    ticket_start(ticket=ticket, actor=world["erin"])
    ticket.refresh_from_db()
    return ticket


def requested(world: World, level: str = "team_leader") -> EscalationCase:
    return case_requests.case_request(
        ticket=worked_ticket(world),
        actor=world["carla"],
        reason="critical_impact",
        level=level,
        review=REVIEW,
    )


def acknowledged(world: World, level: str = "team_leader") -> EscalationCase:
    case = requested(world, level)
    return case_plans.case_acknowledge(case=case, actor=world["esme"])


def activate(world: World, case: EscalationCase) -> EscalationCase:
    return case_plans.case_activate(
        case=case,
        actor=world["esme"],
        action_plan=[case_core.PlanItem(world["erin"], "Fix the outbox", date(2026, 11, 25))],
        mode="conference",
        update_every_minutes=120,
        required_attendees="carla, esme",
        first_call_at=at(23, 14),
    )


def active(world: World, level: str = "team_leader") -> EscalationCase:
    return activate(world, acknowledged(world, level))


def ready_for_review(world: World) -> EscalationCase:
    """Active, with the team leader (tess) and the team manager (manny) engaged."""
    return active(world, "team_manager")


def in_review(world: World) -> EscalationCase:
    return leadership_review.case_start_leadership_review(case=ready_for_review(world), actor=world["esme"])


def brief_ready(world: World) -> EscalationCase:
    case = in_review(world)
    for persona in ("erin", "tess", "manny"):
        leadership_review.case_edit_brief(case=case, actor=world[persona], brief=case.brief, ready=True)
    return case


def reviewed(world: World) -> EscalationCase:
    """Back to active after leadership's internal review and the stakeholder meeting."""
    return leadership_review.case_finish_leadership_review(
        case=brief_ready(world),
        actor=world["leah"],
        internal_review="Rounding bug known since 2024; fix planned.",
        meeting_at=at(23, 15),
        attendees="leah, carla",
        outcome="Hotfix agreed for Wednesday.",
    )


def proposed(world: World) -> EscalationCase:
    return case_de_escalation.case_propose_de_escalation(
        case=active(world),
        actor=world["esme"],
        action_plan_accepted=True,
        rca_on_track=True,
        note="Hotfix deployed.",
    )


def curl(case: EscalationCase, action: str) -> str:
    return f"/api/escalations/{case.pk}/{action}/"


# --- reading a ticket's escalation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("carla", 200), ("esme", 200), ("erin", 200), ("leah", 200), ("olga", 404), (None, 401)],
)
def test_it_shows_the_tickets_escalation_to_whoever_sees_the_ticket(
    people: World, persona: str | None, expected: int
) -> None:
    case = active(people)

    response = as_(people, persona).get(f"/api/tickets/{case.ticket_id}/escalation/")

    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["id"] == case.pk
        assert body["status"] == "active"
        assert body["status_display"] == "Active"
        assert body["level"] == "team_leader"
        assert body["escalation_manager"]["name"] == str(people["esme"])
        assert body["communication_plan"]["mode"] == "conference"
        assert body["communication_plan"]["update_every_minutes"] == 120
        assert body["communication_plan"]["next_update_due"] is not None
        assert [i["step"] for i in body["action_plan"]] == ["Fix the outbox"]
        assert {(p["user"]["name"], p["role"]) for p in body["participants"]} == {
            (str(people["tess"]), "team_leader"),
            (str(people["esme"]), "escalation_manager"),
        }
        staff = persona != "carla"
        assert (body.keys() >= INTERNAL_KEYS) is staff
        assert not (INTERNAL_KEYS & body.keys()) or staff


def test_a_ticket_without_an_escalation_answers_404(people: World) -> None:
    ticket = worked_ticket(people)

    response = as_(people, "carla").get(f"/api/tickets/{ticket.pk}/escalation/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No escalation on this ticket."}


def test_customers_never_see_the_brief_the_internal_review_or_internal_meetings(people: World) -> None:
    case = reviewed(people)
    case_updates.case_schedule_meeting(
        case=case,
        actor=people["leah"],
        kind=MeetingKind.INTERNAL_REVIEW,
        scheduled_for=at(24, 9),
        attendees="leah, manny",
        notes="Internal: blame game",
    )
    assert case.brief and case.internal_review

    for path in (f"/api/tickets/{case.ticket_id}/escalation/", f"/api/escalations/{case.pk}/"):
        body = as_(people, "carla").get(path).json()
        assert not INTERNAL_KEYS & body.keys()
        assert [m["kind"] for m in body["meetings"]] == ["conference_call"]
        assert "Internal: blame game" not in str(body)
        assert "Rounding bug known since 2024" not in str(body)
        assert case.brief.splitlines()[0] not in str(body)

    staff = as_(people, "esme").get(f"/api/escalations/{case.pk}/").json()
    assert staff["brief"] == case.brief
    assert staff["internal_review"] == "Rounding bug known since 2024; fix planned."
    assert [m["kind"] for m in staff["meetings"]] == [
        "conference_call",
        "stakeholder_meeting",
        "internal_review",
    ]
    assert staff["brief_ready_team_manager"]["name"] == str(people["manny"])


def test_customers_never_see_the_notes_of_a_conference_call(people: World) -> None:
    case = active(people)
    call = case.meetings.get()
    case_updates.case_record_meeting(
        meeting=call,
        actor=people["esme"],
        outcome="Hotfix agreed.",
        notes="Staff only: the customer's DBA is hostile",
    )

    for path in (f"/api/tickets/{case.ticket_id}/escalation/", f"/api/escalations/{case.pk}/"):
        body = as_(people, "carla").get(path).json()
        assert [(m["outcome"], "notes" in m) for m in body["meetings"]] == [("Hotfix agreed.", False)]
        assert "hostile" not in str(body)
    staff = as_(people, "esme").get(f"/api/escalations/{case.pk}/").json()
    assert [m["notes"] for m in staff["meetings"]] == ["Staff only: the customer's DBA is hostile"]


def test_it_shows_the_latest_case_once_the_open_one_is_over(people: World) -> None:
    case = proposed(people)
    case_de_escalation.case_answer_de_escalation(case=case, actor=people["carla"], agree=True)

    body = as_(people, "carla").get(f"/api/tickets/{case.ticket_id}/escalation/").json()

    assert (body["id"], body["status"], body["status_display"]) == (case.pk, "de_escalated", "De-escalated")


# --- requesting --------------------------------------------------------------------------------


def test_a_customer_requests_an_escalation_recorded_as_api(people: World) -> None:
    ticket = worked_ticket(people)

    response = as_(people, "carla").post(
        f"/api/tickets/{ticket.pk}/escalation/request/", {**REQUEST, "channel": "phone"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    case = EscalationCase.objects.get(ticket=ticket)
    assert (body["id"], body["status"], body["level"]) == (case.pk, "requested", "team_leader")
    assert not INTERNAL_KEYS & body.keys()
    request = case.requests.get()
    assert (request.channel, request.requested_by, request.recorded_by) == (
        "api",
        people["carla"],
        people["carla"],
    )
    assert request.business_impact == REQUEST["business_impact"]


def test_repeated_identical_requests_make_one_case(people: World) -> None:
    ticket = worked_ticket(people)
    api = as_(people, "carla")

    first = api.post(f"/api/tickets/{ticket.pk}/escalation/request/", REQUEST, format="json")
    second = api.post(f"/api/tickets/{ticket.pk}/escalation/request/", REQUEST, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert EscalationCase.objects.filter(ticket=ticket).count() == 1
    assert CaseRequest.objects.filter(case__ticket=ticket).count() == 1


def test_a_higher_request_adds_to_the_open_case(people: World) -> None:
    case = requested(people)

    response = as_(people, "carla").post(
        f"/api/tickets/{case.ticket_id}/escalation/request/",
        {**REQUEST, "level": "team_manager"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["id"] == case.pk
    assert response.json()["level"] == "team_manager"
    assert case.requests.count() == 2


def test_staff_record_a_request_by_phone_or_email_only(people: World) -> None:
    ticket = worked_ticket(people)
    api = as_(people, "erin")

    refused = api.post(f"/api/tickets/{ticket.pk}/escalation/request/", REQUEST, format="json")
    also_refused = api.post(
        f"/api/tickets/{ticket.pk}/escalation/request/", {**REQUEST, "channel": "api"}, format="json"
    )
    recorded = api.post(
        f"/api/tickets/{ticket.pk}/escalation/request/", {**REQUEST, "channel": "phone"}, format="json"
    )

    missing = {
        "detail": "Escalation request refused",
        "missing": ["how the customer asked (phone or e-mail)"],
    }
    assert (refused.status_code, refused.json()) == (409, missing)
    assert (also_refused.status_code, also_refused.json()) == (409, missing)
    assert recorded.status_code == 201
    assert "requests" in recorded.json()
    request = CaseRequest.objects.get(case__ticket=ticket)
    assert (request.channel, request.requested_by, request.recorded_by) == (
        "phone",
        people["carla"],
        people["erin"],
    )


@pytest.mark.parametrize(("persona", "expected"), [("olga", 404), (None, 401)])
def test_others_cannot_request(people: World, persona: str | None, expected: int) -> None:
    ticket = worked_ticket(people)

    response = as_(people, persona).post(
        f"/api/tickets/{ticket.pk}/escalation/request/", REQUEST, format="json"
    )

    assert response.status_code == expected
    assert not EscalationCase.objects.exists()


def test_an_incomplete_review_is_refused_with_what_is_missing(people: World) -> None:
    ticket = worked_ticket(people)

    response = as_(people, "carla").post(
        f"/api/tickets/{ticket.pk}/escalation/request/",
        {"reason": "other", "level": "sme", "problem_statement_correct": False},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Escalation request refused",
        "missing": [
            "what the reason is (you chose “other”)",
            "the corrected problem statement",
            "the business impact",
        ],
    }
    assert not EscalationCase.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"level": "the_ceo"}, "level"),
        ({"reason": "bored"}, "reason"),
        ({"critical_milestone": "31/12/2026"}, "critical_milestone"),
        ({"critical_milestone": "2026-02-30"}, "critical_milestone"),
        ({"problem_statement_correct": "perhaps"}, "problem_statement_correct"),
        ({"business_impact": ["a", "list"]}, "business_impact"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_unreadable_requests_answer_400(people: World, change: dict[str, Any], field: str) -> None:
    ticket = worked_ticket(people)

    response = as_(people, "carla").post(
        f"/api/tickets/{ticket.pk}/escalation/request/", {**REQUEST, **change}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The input was not accepted."
    assert list(response.json()["errors"]) == [field]
    assert not EscalationCase.objects.exists()


# --- every step with each persona --------------------------------------------------------------

ACTIVATE = {
    "action_plan": [{"owner": None, "step": "Patch the outbox job", "target_date": "2026-11-25"}],
    "mode": "phone",
    "update_every_minutes": 240,
    "required_attendees": "carla, esme",
    "first_call_at": "2026-11-23T14:00:00+00:00",
}

# endpoint: (the case before, the payload, who succeeds with which code)
STEPS: dict[
    str, tuple[Callable[[World], EscalationCase], Callable[[World], dict[str, Any]], dict[str, int]]
] = {
    "acknowledge": (requested, lambda w: {}, {"esme": 200}),
    "engage": (acknowledged, lambda w: {"user": w["tom"].pk, "role": "sme"}, {"esme": 201, "erin": 201}),
    "activate": (
        acknowledged,
        lambda w: {**ACTIVATE, "action_plan": [{**ACTIVATE["action_plan"][0], "owner": w["erin"].pk}]},
        {"esme": 200},
    ),
    "updates": (active, lambda w: {"mode": "email", "summary": "Patch in test."}, {"esme": 201}),
    "meetings": (
        active,
        lambda w: {
            "kind": "conference_call",
            "scheduled_for": "2026-11-24T10:00:00Z",
            "attendees": "carla, esme",
        },
        {"esme": 201},
    ),
    "leadership-review": (ready_for_review, lambda w: {}, {"esme": 200, "erin": 200}),
    "brief": (in_review, lambda w: {"brief": "Short brief.", "ready": True}, {"tess": 200, "erin": 200}),
    "leadership-review/finish": (
        brief_ready,
        lambda w: {
            "internal_review": "Known bug.",
            "meeting_at": "2026-11-23T15:00:00Z",
            "attendees": "leah, carla",
            "outcome": "Hotfix agreed.",
        },
        {"leah": 200},
    ),
    "propose-de-escalation": (
        active,
        lambda w: {"action_plan_accepted": True, "rca_on_track": True},
        {"esme": 200},
    ),
    "de-escalation": (proposed, lambda w: {"agree": True}, {"carla": 200, "esme": 409}),
}
EXPECTED_STATUS = {
    "acknowledge": "acknowledged",
    "activate": "active",
    "leadership-review": "leadership_review",
    "brief": "leadership_review",
    "leadership-review/finish": "active",
    "propose-de-escalation": "de_escalation_proposed",
    "de-escalation": "de_escalated",
}
# Everyone else: the customer (and staff without the role) 403, another organisation's customer 404.
DEFAULTS = {"carla": 403, "olga": 404, "erin": 403, "ella": 403, "leah": 403, "esme": 403, None: 401}
MATRIX = [
    (step, persona, STEPS[step][2].get(persona, DEFAULTS[persona])) for step in STEPS for persona in DEFAULTS
]


@pytest.mark.parametrize(("step", "persona", "expected"), MATRIX, ids=[f"{s}-{p}-{e}" for s, p, e in MATRIX])
def test_each_step_with_each_persona(people: World, step: str, persona: str | None, expected: int) -> None:
    setup, payload, _ = STEPS[step]
    case = setup(people)
    before = case.status

    response = as_(people, persona).post(curl(case, step), payload(people), format="json")

    assert response.status_code == expected, response.json()
    case.refresh_from_db()
    if expected in (200, 201):
        assert case.status == EXPECTED_STATUS.get(step, before)
        if expected == 200:
            body = response.json()
            assert body["status"] == case.status
            assert (body.keys() >= INTERNAL_KEYS) is (persona != "carla")
    else:
        assert case.status == before


def test_an_unknown_case_answers_404(people: World) -> None:
    response = as_(people, "esme").post("/api/escalations/999999/acknowledge/", {}, format="json")

    assert (response.status_code, response.json()) == (404, {"detail": "No such escalation."})


def test_the_steps_leave_the_same_trail_as_the_console(people: World) -> None:
    case = requested(people)
    esme = as_(people, "esme")

    assert esme.post(curl(case, "acknowledge")).status_code == 200
    response = esme.post(
        curl(case, "activate"),
        {**ACTIVATE, "action_plan": [{**ACTIVATE["action_plan"][0], "owner": people["erin"].pk}]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [(i["owner"]["name"], i["step"], i["target_date"]) for i in body["action_plan"]] == [
        (str(people["erin"]), "Patch the outbox job", "2026-11-25")
    ]
    assert body["communication_plan"]["mode"] == "phone"
    assert [m["kind"] for m in body["meetings"]] == ["conference_call"]
    update = esme.post(curl(case, "updates"), {"mode": "email", "summary": "Patch in test."}, format="json")
    assert update.status_code == 201
    assert update.json()["summary"] == "Patch in test."
    assert (
        esme.post(
            curl(case, "propose-de-escalation"),
            {"action_plan_accepted": True, "rca_on_track": True},
            format="json",
        ).status_code
        == 200
    )
    answer = as_(people, "carla").post(
        curl(case, "de-escalation"), {"agree": True, "channel": "phone"}, format="json"
    )
    assert answer.status_code == 200
    assert not INTERNAL_KEYS & answer.json().keys()

    case.refresh_from_db()
    assert (case.status, case.agreement_channel, case.agreed_by) == ("de_escalated", "api", people["carla"])
    assert [e.kind for e in case.ticket.events.filter(kind__startswith="case_").order_by("at", "pk")] == [
        "case_requested",
        "case_participant",
        "case_participant",
        "case_acknowledged",
        "case_active",
        "case_update",
        "case_de_escalation_proposed",
        "case_de_escalated",
    ]


def test_an_escalation_manager_records_the_customers_answer_with_its_channel(people: World) -> None:
    case = proposed(people)
    esme = as_(people, "esme")

    refused = esme.post(curl(case, "de-escalation"), {"agree": True}, format="json")
    recorded = esme.post(curl(case, "de-escalation"), {"agree": True, "channel": "email"}, format="json")

    assert (refused.status_code, refused.json()) == (
        409,
        {
            "detail": "Recording the customer's answer refused",
            "missing": ["how the customer answered (phone or e-mail)"],
        },
    )
    assert recorded.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.agreement_channel) == ("de_escalated", "email")


def test_leadership_schedules_internal_meetings_but_not_conference_calls(people: World) -> None:
    case = active(people)
    leah = as_(people, "leah")

    internal = leah.post(
        curl(case, "meetings"),
        {"kind": "internal_review", "scheduled_for": "2026-11-24T09:00Z", "attendees": "leah, manny"},
        format="json",
    )
    call = leah.post(
        curl(case, "meetings"),
        {"kind": "conference_call", "scheduled_for": "2026-11-24T09:00Z", "attendees": "leah, carla"},
        format="json",
    )

    assert internal.status_code == 201
    assert internal.json()["kind"] == "internal_review"
    assert call.status_code == 403
    assert list(CaseMeeting.objects.filter(case=case).values_list("kind", flat=True)) == [
        "conference_call",
        "internal_review",
    ]


def test_a_meetings_outcome_and_a_done_step_are_recorded(people: World) -> None:
    case = active(people)
    call = case.meetings.get()
    item = case.action_items.get()
    outcome_url = f"/api/escalations/{case.pk}/meetings/{call.pk}/outcome/"
    done_url = f"/api/escalations/{case.pk}/action-items/{item.pk}/done/"

    refused = as_(people, "esme").post(outcome_url, {"outcome": " "}, format="json")
    by_customer = as_(people, "carla").post(outcome_url, {"outcome": "Agreed"}, format="json")
    recorded = as_(people, "esme").post(
        outcome_url, {"outcome": "Plan agreed; next call Wednesday"}, format="json"
    )
    elsewhere = as_(people, "esme").post(
        f"/api/escalations/{case.pk}/meetings/999999/outcome/", {"outcome": "x"}, format="json"
    )
    customer_done = as_(people, "carla").post(done_url)
    other_engineer = as_(people, "tom").post(done_url)
    owner_done = as_(people, "erin").post(done_url)

    assert (refused.status_code, refused.json()["missing"]) == (409, ["its outcome"])
    assert by_customer.status_code == 403
    assert (recorded.status_code, recorded.json()["outcome"]) == (200, "Plan agreed; next call Wednesday")
    assert elsewhere.status_code == 404
    assert customer_done.status_code == 403
    assert other_engineer.status_code == 403
    assert owner_done.status_code == 200 and owner_done.json()["done_at"]
    assert list(
        case.ticket.events.filter(kind__in=["case_meeting_outcome", "case_action_done"]).values_list(
            "kind", "reason"
        )
    ) == [
        ("case_meeting_outcome", "Plan agreed; next call Wednesday"),
        ("case_action_done", "Fix the outbox"),
    ]


# --- refusals: 409 with what is missing --------------------------------------------------------


def test_refusals_list_what_is_missing(people: World) -> None:
    case = acknowledged(people)
    esme = as_(people, "esme")

    again = esme.post(curl(case, "acknowledge"))
    empty_plan = esme.post(curl(case, "activate"), {}, format="json")
    too_early = esme.post(
        curl(case, "propose-de-escalation"),
        {"action_plan_accepted": True, "rca_on_track": True},
        format="json",
    )
    not_confirmed = esme.post(curl(case, "propose-de-escalation"), {}, format="json")

    assert (again.status_code, again.json()) == (
        409,
        {
            "detail": "Acknowledgement refused",
            "missing": [f"a case waiting to be acknowledged (this one is acknowledged, by {people['esme']})"],
        },
    )
    assert (empty_plan.status_code, empty_plan.json()) == (
        409,
        {
            "detail": "Activating the escalation refused",
            "missing": [
                "an action plan: at least one step with its owner and target date",
                "how updates are given (e-mail, phone, conference call)",
                "how often updates are given",
                "the required attendees of the updates",
                "when the first conference call takes place",
            ],
        },
    )
    assert (too_early.status_code, too_early.json()) == (
        409,
        {
            "detail": "Proposing de-escalation refused",
            "missing": ["an active escalation (this one is acknowledged)"],
        },
    )
    assert (not_confirmed.status_code, not_confirmed.json()) == (
        409,
        {
            "detail": "Proposing de-escalation refused",
            "missing": [
                "confirmation that the action plan is acceptable",
                "confirmation that troubleshooting or root cause analysis is on track",
            ],
        },
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED


def test_leadership_review_waits_for_the_team_leader_and_manager(people: World) -> None:
    case = active(people)  # the team leader only

    response = as_(people, "esme").post(curl(case, "leadership-review"))

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "Leadership review refused", "missing": ["the team manager engaged first"]},
    )


def test_the_review_waits_for_the_brief_marked_ready_by_all_three(people: World) -> None:
    case = in_review(people)
    leadership_review.case_edit_brief(case=case, actor=people["erin"], brief=case.brief, ready=True)

    response = as_(people, "leah").post(curl(case, "leadership-review/finish"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "Recording the review refused",
            "missing": [
                "the case brief marked ready by the team leader",
                "the case brief marked ready by the team manager",
                "the internal review",
                "when the stakeholder meeting took place",
                "who attended the stakeholder meeting",
                "the stakeholder meeting's outcome",
            ],
        },
    )


def test_keeping_the_escalation_needs_a_reason(people: World) -> None:
    case = proposed(people)
    carla = as_(people, "carla")

    refused = carla.post(curl(case, "de-escalation"), {"agree": False}, format="json")
    kept = carla.post(
        curl(case, "de-escalation"), {"agree": False, "comment": "Still failing."}, format="json"
    )

    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": "Keeping the escalation refused", "missing": ["why the request is not back on track"]},
    )
    assert kept.status_code == 200
    assert kept.json()["status"] == "active"


# --- bad input: 400, nothing changes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "setup", "payload", "field"),
    [
        ("activate", acknowledged, {**ACTIVATE, "first_call_at": "tomorrow afternoon"}, "first_call_at"),
        ("activate", acknowledged, {**ACTIVATE, "mode": "pigeon"}, "mode"),
        ("activate", acknowledged, {**ACTIVATE, "update_every_minutes": "often"}, "update_every_minutes"),
        (
            "activate",
            acknowledged,
            {**ACTIVATE, "action_plan": [{"owner": 999999, "step": "x", "target_date": "2026-11-25"}]},
            "action_plan",
        ),
        (
            "activate",
            acknowledged,
            {**ACTIVATE, "action_plan": [{"owner": "erin", "step": "x", "target_date": "2026-13-01"}]},
            "action_plan",
        ),
        ("activate", acknowledged, {**ACTIVATE, "action_plan": "do things"}, "action_plan"),
        ("engage", acknowledged, {"user": 999999, "role": "sme"}, "user"),
        ("engage", acknowledged, {"user": "tom", "role": "sme"}, "user"),
        ("engage", acknowledged, {"user": None, "role": "boss"}, "user"),
        ("updates", active, {"mode": "telepathy", "summary": "Hi."}, "mode"),
        (
            "meetings",
            active,
            {"kind": "party", "scheduled_for": "2026-11-24T10:00Z", "attendees": "all"},
            "kind",
        ),
        (
            "meetings",
            active,
            {"kind": "conference_call", "scheduled_for": "24/11/2026", "attendees": "all"},
            "scheduled_for",
        ),
        ("leadership-review/finish", in_review, {"meeting_at": "yesterday"}, "meeting_at"),
        (
            "propose-de-escalation",
            active,
            {"action_plan_accepted": "kind of", "rca_on_track": True},
            "action_plan_accepted",
        ),
        ("de-escalation", proposed, {"agree": "perhaps"}, "agree"),
        ("de-escalation", proposed, {}, "agree"),
    ],
)
def test_unreadable_input_answers_400(
    people: World, step: str, setup: Callable[[World], EscalationCase], payload: dict[str, Any], field: str
) -> None:
    case = setup(people)
    before = (
        case.status,
        CaseParticipant.objects.count(),
        CaseUpdate.objects.count(),
        CaseMeeting.objects.count(),
    )
    persona = {"leadership-review/finish": "leah", "de-escalation": "carla"}.get(step, "esme")

    response = as_(people, persona).post(curl(case, step), payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    case.refresh_from_db()
    assert (
        case.status,
        CaseParticipant.objects.count(),
        CaseUpdate.objects.count(),
        CaseMeeting.objects.count(),
    ) == before


def test_engaging_a_customer_answers_400(people: World) -> None:
    case = acknowledged(people)

    response = as_(people, "esme").post(
        curl(case, "engage"), {"user": people["olga"].pk, "role": "sme"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The input was not accepted.",
        "errors": {"user": [f"User {people['olga'].pk} is not active support staff."]},
    }


# --- the board and the daily report ------------------------------------------------------------------


def many_cases(world: World, count: int) -> list[EscalationCase]:
    made = []
    for n in range(count):
        ticket = worked_ticket(world)
        made.append(
            case_requests.case_request(
                ticket=ticket,
                actor=world["carla"],
                reason="critical_impact",
                level=["team_leader", "team_manager", "sme"][n % 3],
                review=REVIEW,
            )
        )
    return made


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("esme", 200), ("leah", 200), ("erin", 403), ("tess", 403), ("carla", 403), (None, 401)],
)
def test_the_board_is_for_escalation_managers_and_leadership(
    people: World, persona: str | None, expected: int
) -> None:
    first, second = many_cases(people, 2)
    done = proposed(people)
    case_de_escalation.case_answer_de_escalation(case=done, actor=people["carla"], agree=True)

    response = as_(people, persona).get("/api/escalations/")

    assert response.status_code == expected
    if expected == 200:
        rows = response.json()["results"]
        assert [r["id"] for r in rows] == [first.pk, second.pk]
        assert rows[0]["ticket"]["reference"] == first.ticket.reference
        assert rows[0]["acknowledge_due"] is not None
        assert rows[0]["status_display"] == "Requested"


def test_the_board_filters(people: World) -> None:
    a, b, c = many_cases(people, 3)  # team_leader, team_manager, sme
    case_plans.case_acknowledge(case=b, actor=people["esme"])
    api = as_(people, "esme")

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/escalations/?{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("state=acknowledged") == [b.pk]
    assert ids("state=requested,acknowledged") == [a.pk, b.pk, c.pk]
    assert ids("level=sme&level=team_leader") == [a.pk, c.pk]
    assert ids("mine=true") == [b.pk]
    assert ids("mine=false&state=requested") == [a.pk, c.pk]
    assert as_(people, "leah").get("/api/escalations/?mine=1").json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=closed", "state"),
        ("state=de_escalated", "state"),
        ("level=ceo", "level"),
        ("mine=maybe", "mine"),
    ],
)
def test_bad_board_filters_answer_400(people: World, query: str, field: str) -> None:
    response = as_(people, "esme").get(f"/api/escalations/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_daily_report(people: World) -> None:
    case = active(people)
    api = as_(people, "esme")

    monday = api.get("/api/escalations/report/?date=2026-11-23")
    sunday = api.get("/api/escalations/report/?date=2026-11-22")
    today = api.get("/api/escalations/report/")

    assert monday.status_code == 200
    assert monday.json()["date"] == "2026-11-23"
    [row] = monday.json()["rows"]
    assert (row["case"], row["status"], row["level"], row["manager"]["name"], row["breaches"]) == (
        case.pk,
        "Active",
        "The team leader",
        str(people["esme"]),
        0,
    )
    assert row["ticket"]["reference"] == case.ticket.reference
    assert row["next_update_due"] is not None
    assert sunday.json() == {"date": "2026-11-22", "rows": []}
    assert today.json()["date"] == "2026-11-23"


@pytest.mark.parametrize(
    ("persona", "query", "expected"),
    [
        ("erin", "date=2026-11-23", 403),
        ("carla", "", 403),
        ("esme", "date=2026-02-30", 400),
        ("leah", "date=yesterday", 400),
        ("leah", "date=23/11/2026", 400),
        ("leah", "date=2026-11-23", 200),
    ],
)
def test_the_report_refuses_others_and_bad_dates(
    people: World, persona: str, query: str, expected: int
) -> None:
    response = as_(people, persona).get(f"/api/escalations/report/?{query}")

    assert response.status_code == expected
    if expected == 400:
        assert list(response.json()["errors"]) == ["date"]


# --- fixed query counts ------------------------------------------------------------------------


def grow(world: World, case: EscalationCase, n: int) -> None:
    """More of every part of a case: participants, plan steps, meetings, updates, requests."""
    for i in range(n):
        case_participants.case_engage(
            case=case,
            actor=world["esme"],
            user=world[["tom", "rachel", "ella", "dan"][i % 4]],
            role=["sme", "next_tier"][i % 2],
        )
        case_updates.case_log_update(case=case, actor=world["esme"], mode="email", summary=f"Update {i}")
        case_updates.case_schedule_meeting(
            case=case,
            actor=world["esme"],
            kind="conference_call",
            scheduled_for=at(24, 10 + i % 6),
            attendees="carla, esme",
        )
        case_updates.case_schedule_meeting(
            case=case,
            actor=world["leah"],
            kind="internal_review",
            scheduled_for=at(24, 10 + i % 6),
            attendees="leah",
        )
        case_requests.case_request(
            ticket=case.ticket,
            actor=world["carla"],
            reason="responsiveness",
            level="team_leader",
            review=case_core.Review(
                problem_statement_correct=True,
                business_impact=f"Impact {i}",
                workaround_impractical_because="Slow.",
            ),
        )


def count_queries(api: APIClient, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["carla", "esme"])
def test_reading_an_escalation_takes_a_fixed_number_of_queries(people: World, persona: str) -> None:
    small, large = active(people), active(people)
    grow(people, large, 6)
    api = as_(people, persona)
    count_queries(api, f"/api/tickets/{small.ticket_id}/escalation/")  # warm the session and caches

    small_count = count_queries(api, f"/api/tickets/{small.ticket_id}/escalation/")
    large_count = count_queries(api, f"/api/tickets/{large.ticket_id}/escalation/")
    assert small_count == large_count
    assert count_queries(api, f"/api/escalations/{small.pk}/") == count_queries(
        api, f"/api/escalations/{large.pk}/"
    )
    body = api.get(f"/api/tickets/{large.ticket_id}/escalation/").json()
    assert len(body["updates"]) == 6
    assert len(body["meetings"]) == (7 if persona == "carla" else 13)


def test_the_board_and_the_report_take_a_fixed_number_of_queries(people: World) -> None:
    api = as_(people, "esme")
    many_cases(people, 1)
    count_queries(api, "/api/escalations/")
    small = count_queries(api, "/api/escalations/")
    small_report = count_queries(api, "/api/escalations/report/?date=2026-11-23")
    for case in many_cases(people, 7):
        case_plans.case_acknowledge(case=case, actor=people["esme"])
        activate(people, case)

    large = count_queries(api, "/api/escalations/")
    large_report = count_queries(api, "/api/escalations/report/?date=2026-11-23")

    assert (small, small_report) == (large, large_report)
    assert len(api.get("/api/escalations/").json()["results"]) == 8
    assert len(api.get("/api/escalations/report/?date=2026-11-23").json()["rows"]) == 8


# --- the schema ------------------------------------------------------------------------------------


def test_the_schema_documents_the_case_api(tmp_path: Any) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()

    for path in (
        "/api/tickets/{id}/escalation/:",
        "/api/tickets/{id}/escalation/request/:",
        "/api/escalations/:",
        "/api/escalations/report/:",
        "/api/escalations/{id}/activate/:",
        "/api/escalations/{id}/leadership-review/finish/:",
        "/api/escalations/{id}/de-escalation/:",
    ):
        assert path in schema
    assert "EscalationCaseView" in schema
    assert "RefusalSerializer" in schema or "Refusal" in schema
