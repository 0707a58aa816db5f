"""The console's customer escalation cases (SPEC §6, seeds 000 and 002): the ticket page's
Escalation panel and its forms, the escalation board and the daily report, persona by persona.

Every test starts from the escalations app's staffed `world` plus two escalation managers
(esme, eddie) and a support leader (leah). A refusal re-renders the ticket page with what is
missing and what was typed; a denial (403/404/sign-in) changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    ActionItem,
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
)
from cases.services import daily_report as case_daily_report
from cases.services import de_escalation as case_de_escalation
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import review as leadership_review
from cases.services.core import PlanItem, Review
from clocks.sweep import sweep_due_deadlines
from desk.tests.test_pages import event_kinds, page
from escalations.tests.conftest import World, at, new_ticket, triaged
from tests_support.factories import make_agent
from tickets.models import Ticket
from tickets.services.lifecycle import ticket_cancel, ticket_start

REVIEW = Review(problem_statement_correct=True, business_impact="Payroll is blocked for 400 staff.")


@pytest.fixture
def cw(world: World) -> World:
    """The world with two escalation managers and a support leader."""
    world.users["esme"] = make_agent("Escalation manager", username="esme")
    world.users["eddie"] = make_agent("Escalation manager", username="eddie")
    world.users["leah"] = make_agent("Leadership", username="leah")
    return world


def days_from_today(days: int) -> date:
    """A day relative to today: the tests post no fixed calendar date, so they pass on any day."""
    return timezone.localdate() + timedelta(days=days)


def as_user(world: World, username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(world[username])
    return client


def ticket_url(ticket: Ticket) -> str:
    return reverse("desk:ticket", args=[ticket.pk])


def url(name: str, case: EscalationCase, *extra: int) -> str:
    return reverse(f"desk:{name}", args=[case.ticket_id, case.pk, *extra])


def requested(
    world: World, level: str = "next_tier", *, started: bool = True
) -> tuple[Ticket, EscalationCase]:
    """A triaged ERP ticket erin works, whose customer carla asked to escalate (portal)."""
    ticket = triaged(world)
    if started:
        ticket_start(ticket=ticket, actor=world["erin"])
    case = case_requests.case_request(
        ticket=ticket, actor=world["carla"], reason="critical_impact", level=level, review=REVIEW
    )
    ticket.refresh_from_db()
    return ticket, case


def acknowledged(world: World, level: str = "next_tier") -> tuple[Ticket, EscalationCase]:
    ticket, case = requested(world, level)
    case_plans.case_acknowledge(case=case, actor=world["esme"])
    return ticket, case


def active(world: World, level: str = "next_tier") -> tuple[Ticket, EscalationCase]:
    ticket, case = acknowledged(world, level)
    case_plans.case_activate(
        case=case,
        actor=world["esme"],
        action_plan=[PlanItem(world["erin"], "Patch the tax connector", days_from_today(9))],
        mode="conference",
        update_every_minutes=120,
        required_attendees="carla, esme, erin",
        first_call_at=timezone.now() + timedelta(hours=2),
    )
    return ticket, case


def in_leadership_review(world: World) -> tuple[Ticket, EscalationCase]:
    ticket, case = active(world, "team_manager")  # engages the team leader and manager
    leadership_review.case_start_leadership_review(case=case, actor=world["esme"])
    case.refresh_from_db()
    return ticket, case


def case_of(ticket: Ticket) -> EscalationCase:
    return EscalationCase.objects.get(ticket=ticket)


def refusals(response: Any) -> list[str]:
    return page(response).refusals(page(response).one(id="case"))


# --- who sees what --------------------------------------------------------------------------


PANEL_FORMS = {
    # persona: the case forms offered on a just-requested case (None: the page is refused)
    "esme": ["case_ack", "case_engage", "case_meeting", "case_request"],
    "leah": ["case_meeting", "case_request"],
    "erin": ["case_engage", "case_request"],  # the assigned engineer
    "tess": ["case_engage", "case_request"],  # Tier 1's team leader
    "tom": ["case_request"],  # staff of another team: may record a request, not engage
}


def offered(response: Any) -> list[str]:
    """The case-wide forms offered (not those of one meeting or one action)."""
    return sorted(
        n.attrs["id"]
        for n in page(response).one(id="case").select("details", cls="case-form")
        if "-" not in n.attrs["id"]
    )


@pytest.mark.parametrize("persona", list(PANEL_FORMS))
def test_it_shows_the_escalation_panel_with_the_steps_each_persona_may_take(cw: World, persona: str) -> None:
    ticket, _case = requested(cw)

    response = as_user(cw, persona).get(ticket_url(ticket))

    assert response.status_code == 200
    html = page(response)
    assert html.one(id="case-status").text == "Requested"
    assert "must acknowledge" in html.one(id="case-words").text
    assert html.one(id="case-level").text == "The next support tier"
    assert html.one(id="case-manager").text == "not acknowledged yet"
    assert html.by_id("case-ack-due") is not None
    request = html.one(id="case-requests").select("li", cls="case-request")
    assert len(request) == 1 and "Critical business impact" in request[0].text
    assert "Payroll is blocked for 400 staff." in request[0].text and "the portal" in request[0].text
    assert offered(response) == sorted(PANEL_FORMS[persona])


def test_it_refuses_the_panels_actions_to_customers_and_sends_visitors_to_sign_in(cw: World) -> None:
    ticket, case = requested(cw)
    before = event_kinds(ticket)

    customer = as_user(cw, "carla").post(url("case_acknowledge", case), {})
    visitor = as_user(cw, None).post(url("case_acknowledge", case), {})

    assert customer.status_code == 403
    assert visitor.status_code == 302 and visitor.url.startswith("/desk/login/")
    assert as_user(cw, "carla").get(ticket_url(ticket)).status_code == 403
    assert case_of(ticket).status == CaseStatus.REQUESTED and event_kinds(ticket) == before


@pytest.mark.parametrize(
    ("persona", "name", "args"),
    [
        ("erin", "case_acknowledge", ()),
        ("tess", "case_activate", ()),
        ("erin", "case_update", ()),
        ("tom", "case_engage", ()),
        ("erin", "case_meeting", ()),
        ("erin", "case_review", ()),
        ("leah", "case_propose", ()),
        ("tess", "case_answer", ()),
        ("tom", "case_brief", ()),
        ("tom", "case_leadership", ()),
    ],
)
def test_it_denies_each_step_to_who_may_not_take_it_before_reading_input(
    cw: World, persona: str, name: str, args: tuple[int, ...]
) -> None:
    ticket, case = requested(cw)
    before = event_kinds(ticket)

    response = as_user(cw, persona).post(url(name, case, *args), {"anything": "x"})

    assert response.status_code == 403
    assert event_kinds(ticket) == before and case_of(ticket).status == CaseStatus.REQUESTED


def test_it_answers_404_for_a_case_of_another_ticket(cw: World) -> None:
    ticket, case = requested(cw)
    other = triaged(cw)

    response = as_user(cw, "esme").post(reverse("desk:case_acknowledge", args=[other.pk, case.pk]), {})

    assert response.status_code == 404
    assert case_of(ticket).status == CaseStatus.REQUESTED


# --- recording a request made by phone or e-mail ----------------------------------------------


def request_input(**overrides: str) -> dict[str, str]:
    data = {
        "channel": "phone",
        "reason": "production_down",
        "reason_detail": "",
        "level": "team_leader",
        "problem_statement_correct": "no",
        "corrected_problem_statement": "Every export fails, not one.",
        "business_impact": "Payroll is blocked.",
        "workaround_impractical_because": "",
        "critical_milestone": days_from_today(4).isoformat(),
    }
    data.update(overrides)
    return {f"case_request-{k}": v for k, v in data.items()}


def test_it_prefills_the_request_form_from_the_ticket(cw: World) -> None:
    ticket = triaged(cw)

    html = page(as_user(cw, "erin").get(ticket_url(ticket)))

    assert html.by_id("case-none") is not None
    assert html.value("case_request-business_impact") == ticket.business_impact
    assert ticket.summary in html.one(id="case_request").text


def test_it_records_a_customers_request_made_by_phone(cw: World) -> None:
    ticket = triaged(cw)

    response = as_user(cw, "erin").post(reverse("desk:case_request", args=[ticket.pk]), request_input())

    assert response.status_code == 302 and response.url.endswith("#case")
    case = case_of(ticket)
    request = CaseRequest.objects.get(case=case)
    assert (case.status, case.level, request.channel) == ("requested", "team_leader", "phone")
    assert (request.requested_by, request.recorded_by) == (cw["carla"], cw["erin"])
    assert (request.problem_statement_correct, request.corrected_problem_statement) == (
        False,
        "Every export fails, not one.",
    )
    assert request.critical_milestone == days_from_today(4)
    # A team leader was asked for: Tier 1's leader tess is engaged at once.
    assert list(CaseParticipant.objects.filter(case=case).values_list("user__username", "role")) == [
        ("tess", "team_leader")
    ]
    assert event_kinds(ticket)[-2:] == ["case_requested", "case_participant"]
    html = page(as_user(cw, "erin").get(ticket_url(ticket)))
    assert "recorded by erin" in html.one(id="case-requests").text.replace(str(cw["erin"]), "erin")


def test_it_refuses_a_request_without_its_channel_and_review_and_keeps_the_input(cw: World) -> None:
    ticket = triaged(cw)
    before = event_kinds(ticket)

    response = as_user(cw, "erin").post(
        reverse("desk:case_request", args=[ticket.pk]),
        request_input(
            channel="",
            business_impact="",
            problem_statement_correct="no",
            corrected_problem_statement="",
            reason="other",
            reason_detail="",
        ),
    )

    assert response.status_code == 200
    assert refusals(response) == [
        "Escalation request refused",
        "Missing: what the reason is (you chose “other”)",
        "Missing: the corrected problem statement",
        "Missing: the business impact",
        "Missing: how the customer asked (phone or e-mail)",
    ]
    html = page(response)
    assert "open" in html.one(id="case_request").attrs
    assert html.value("case_request-reason") == ["other"]
    assert html.value("case_request-level") == ["team_leader"]
    assert html.value("case_request-critical_milestone") == days_from_today(4).isoformat()
    assert not EscalationCase.objects.filter(ticket=ticket).exists() and event_kinds(ticket) == before


# --- acknowledging, engaging, activating ------------------------------------------------------


def test_it_lets_an_escalation_manager_acknowledge(cw: World) -> None:
    ticket, case = requested(cw)

    response = as_user(cw, "esme").post(url("case_acknowledge", case), {})

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.escalation_manager) == ("acknowledged", cw["esme"])
    html = page(as_user(cw, "esme").get(ticket_url(ticket)))
    assert html.one(id="case-status").text == "Acknowledged"
    assert str(cw["esme"]) in html.one(id="case-manager").text
    assert offered(as_user(cw, "esme").get(ticket_url(ticket))) == [
        "case_activate",
        "case_engage",
        "case_meeting",
        "case_request",
    ]


def test_it_shows_why_a_second_acknowledgement_is_refused(cw: World) -> None:
    _ticket, case = acknowledged(cw)

    response = as_user(cw, "eddie").post(url("case_acknowledge", case), {})

    assert response.status_code == 200
    assert refusals(response) == [
        "Acknowledgement refused",
        f"Missing: a case waiting to be acknowledged (this one is acknowledged, by {cw['esme']})",
    ]
    assert "open" in page(response).one(id="case_ack").attrs
    case.refresh_from_db()
    assert case.escalation_manager == cw["esme"]


def test_it_lets_the_engineer_engage_a_subject_matter_expert(cw: World) -> None:
    ticket, case = acknowledged(cw)

    response = as_user(cw, "erin").post(
        url("case_engage", case), {"case_engage-user": str(cw["ella"].pk), "case_engage-role": "sme"}
    )

    assert response.status_code == 302
    assert CaseParticipant.objects.filter(case=case, user=cw["ella"], role="sme").exists()
    html = page(as_user(cw, "erin").get(ticket_url(ticket)))
    assert [
        (p.attrs["data-username"], p.attrs["data-role"]) for p in html.select("li", cls="participant")
    ] == [("esme", "escalation_manager"), ("ella", "sme")]


def test_it_refuses_engaging_nobody_and_keeps_the_role(cw: World) -> None:
    _ticket, case = acknowledged(cw)

    response = as_user(cw, "erin").post(
        url("case_engage", case), {"case_engage-user": "", "case_engage-role": "sme"}
    )

    assert response.status_code == 200
    assert page(response).errors(page(response).one(id="case_engage")) == ["Choose who to engage."]
    assert page(response).value("case_engage-role") == ["sme"]
    assert CaseParticipant.objects.filter(case=case).count() == 1


def test_it_refuses_engaging_on_a_finished_escalation(cw: World) -> None:
    _ticket, case = active(cw)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=cw["esme"], action_plan_accepted=True, rca_on_track=True
    )
    case_de_escalation.case_answer_de_escalation(case=case, actor=cw["carla"], agree=True)

    response = as_user(cw, "esme").post(
        url("case_engage", case), {"case_engage-user": str(cw["ella"].pk), "case_engage-role": "sme"}
    )

    assert response.status_code == 200
    assert refusals(response) == ["Engaging refused", "Missing: an open escalation"]
    assert page(response).value("case_engage-user") == [str(cw["ella"].pk)]


def activate_input(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "owner_0": str(world["erin"].pk),
        "step_0": "Patch the tax connector",
        "target_0": days_from_today(9).isoformat(),
        "owner_1": str(world["carla"].pk),
        "step_1": "Send the failing export file",
        "target_1": days_from_today(2).isoformat(),
        "mode": "conference",
        "update_every_minutes": "120",
        "required_attendees": "Carla, Esme, Erin",
        "first_call_at": f"{days_from_today(1):%Y-%m-%d}T14:00",
        "first_call_attendees": "",
    }
    data.update(overrides)
    return {f"case_activate-{k}": v for k, v in data.items()}


def test_it_lets_the_escalation_manager_agree_the_action_and_communication_plans(cw: World) -> None:
    ticket, case = acknowledged(cw)

    response = as_user(cw, "esme").post(url("case_activate", case), activate_input(cw))

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.communication_mode, case.update_every_minutes) == ("active", "conference", 120)
    assert list(
        ActionItem.objects.filter(case=case).values_list("owner__username", "step", "target_date")
    ) == [
        ("carla", "Send the failing export file", days_from_today(2)),
        ("erin", "Patch the tax connector", days_from_today(9)),
    ]
    call = CaseMeeting.objects.get(case=case)
    assert (call.kind, call.attendees) == ("conference_call", "Carla, Esme, Erin")
    assert event_kinds(ticket)[-1] == "case_active"
    html = page(as_user(cw, "esme").get(ticket_url(ticket)))
    assert len(html.one(id="case-actions").select("tr", cls="action-item")) == 2
    assert "Conference call every 2 business hours" in html.one(id="case-plan").text
    assert html.by_id("case-next-update") is not None
    assert len(html.one(id="case-meetings").select("li", cls="meeting")) == 1


def test_it_refuses_plans_without_their_parts_and_keeps_the_input(cw: World) -> None:
    _ticket, case = acknowledged(cw)

    response = as_user(cw, "esme").post(
        url("case_activate", case),
        activate_input(
            cw,
            owner_0="",
            step_0="",
            target_0="",
            owner_1="",
            step_1="",
            target_1="",
            mode="",
            update_every_minutes="",
            first_call_at="",
        ),
    )

    assert response.status_code == 200
    assert refusals(response) == [
        "Activating the escalation refused",
        "Missing: an action plan: at least one step with its owner and target date",
        "Missing: how updates are given (e-mail, phone, conference call)",
        "Missing: how often updates are given",
        "Missing: when the first conference call takes place",
    ]
    assert page(response).value("case_activate-required_attendees") == "Carla, Esme, Erin"
    case.refresh_from_db()
    assert case.status == "acknowledged" and not ActionItem.objects.filter(case=case).exists()


def test_it_asks_for_the_owner_and_date_of_each_step_typed(cw: World) -> None:
    ticket, case = acknowledged(cw)

    response = as_user(cw, "esme").post(
        url("case_activate", case), activate_input(cw, owner_1="", target_1="")
    )

    assert response.status_code == 200
    form = page(response).one(id="case_activate")
    assert page(response).errors(form) == ["Who owns this step?", "By when?"]
    assert page(response).value("case_activate-step_1") == "Send the failing export file"
    assert case_of(ticket).status == "acknowledged"


# --- running the active case ----------------------------------------------------------------------


def test_it_logs_an_update_and_marks_a_late_one(cw: World) -> None:
    with time_machine.travel(at(23, 9), tick=False) as clock:
        ticket, case = active(cw)
        client = as_user(cw, "esme")
        response = client.post(
            url("case_update", case),
            {
                "case_update-mode": "phone",
                "case_update-summary": "Patch in test.",
                "case_update-attendees": "Carla",
            },
        )
        assert response.status_code == 302
        clock.move_to(at(23, 15))  # two business hours later: the next update is overdue
        sweep_due_deadlines()
        html = page(client.get(ticket_url(ticket)))
        assert "overdue" in html.one(id="case-next-update").text
        client.post(
            url("case_update", case), {"case_update-mode": "email", "case_update-summary": "Deployed."}
        )

    assert list(CaseUpdate.objects.filter(case=case).values_list("summary", "was_late")) == [
        ("Patch in test.", False),
        ("Deployed.", True),
    ]
    updates = (
        page(as_user(cw, "esme").get(ticket_url(ticket)))
        .one(id="case-updates")
        .select("li", cls="case-update")
    )
    assert ["late" in u.classes for u in updates] == [False, True]


def test_it_refuses_an_empty_update_and_keeps_the_mode(cw: World) -> None:
    _ticket, case = active(cw)

    response = as_user(cw, "esme").post(
        url("case_update", case),
        {"case_update-mode": "email", "case_update-summary": " ", "case_update-attendees": "Carla"},
    )

    assert response.status_code == 200
    assert refusals(response) == ["Logging the update refused", "Missing: what the customer was told"]
    assert page(response).value("case_update-mode") == ["email"]
    assert page(response).value("case_update-attendees") == "Carla"
    assert not CaseUpdate.objects.filter(case=case).exists()


def test_it_schedules_a_meeting_and_records_its_outcome(cw: World) -> None:
    ticket, case = active(cw)
    client = as_user(cw, "esme")
    # Two days from now, after the first call the plans scheduled (whatever day the test runs).
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )

    response = client.post(
        url("case_meeting", case),
        {
            "case_meeting-kind": "conference_call",
            "case_meeting-scheduled_for": f"{when:%Y-%m-%dT%H:%M}",
            "case_meeting-attendees": "Carla, Esme",
            "case_meeting-notes": "Review the patch",
        },
    )
    assert response.status_code == 302
    meeting = CaseMeeting.objects.filter(case=case).latest("scheduled_for")
    assert meeting.scheduled_for == when
    response = client.post(
        url("case_meeting_outcome", case, meeting.pk),
        {f"case_meeting_outcome-{meeting.pk}-outcome": "Patch accepted."},
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.attendees, meeting.notes, meeting.outcome) == (
        "Carla, Esme",
        "Review the patch",
        "Patch accepted.",
    )
    assert event_kinds(ticket)[-2:] == ["case_meeting", "case_meeting_outcome"]


def test_it_refuses_a_meeting_without_time_and_attendees_and_keeps_the_notes(cw: World) -> None:
    _ticket, case = active(cw)

    response = as_user(cw, "leah").post(
        url("case_meeting", case),
        {
            "case_meeting-kind": "stakeholder_meeting",
            "case_meeting-scheduled_for": "",
            "case_meeting-attendees": "",
            "case_meeting-notes": "With Acme's CFO",
        },
    )

    assert response.status_code == 200
    assert refusals(response) == [
        "Scheduling refused",
        "Missing: when it takes place",
        "Missing: who attends",
    ]
    assert page(response).value("case_meeting-notes") == "With Acme's CFO"
    assert CaseMeeting.objects.filter(case=case).count() == 1


def test_it_lets_leadership_schedule_only_internal_meetings(cw: World) -> None:
    _ticket, case = active(cw)

    response = as_user(cw, "leah").post(
        url("case_meeting", case),
        {
            "case_meeting-kind": "conference_call",
            "case_meeting-scheduled_for": f"{days_from_today(2):%Y-%m-%d}T10:00",
            "case_meeting-attendees": "Carla",
        },
    )

    # The leadership form offers no conference call; a forged one is refused by the service.
    assert response.status_code == 200
    assert refusals(response) == ["Only an escalation manager may do this."]
    assert page(response).value("case_meeting-attendees") == "Carla"
    assert CaseMeeting.objects.filter(case=case).count() == 1


def test_it_refuses_a_meeting_outcome_left_empty(cw: World) -> None:
    _ticket, case = active(cw)
    meeting = CaseMeeting.objects.get(case=case)
    name = f"case_meeting_outcome-{meeting.pk}"

    response = as_user(cw, "esme").post(
        url("case_meeting_outcome", case, meeting.pk),
        {f"{name}-outcome": "", f"{name}-notes": "Carla joined late"},
    )

    assert response.status_code == 200
    assert refusals(response) == ["Recording the meeting refused", "Missing: its outcome"]
    assert page(response).value(f"{name}-notes") == "Carla joined late"
    meeting.refresh_from_db()
    assert meeting.outcome == ""


def test_it_lets_the_owner_mark_their_action_done_and_nobody_else(cw: World) -> None:
    ticket, case = active(cw)
    item = ActionItem.objects.get(case=case)

    denied = as_user(cw, "omar").post(url("case_action_done", case, item.pk), {})
    done = as_user(cw, "erin").post(url("case_action_done", case, item.pk), {})

    assert denied.status_code == 403
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None
    assert event_kinds(ticket).count("case_action_done") == 1
    row = page(as_user(cw, "esme").get(ticket_url(ticket))).one(id=f"action-{item.pk}")
    assert "done" in row.classes and "✓" in row.text


# --- leadership review (seed 000) ------------------------------------------------------------------


def test_it_refuses_a_leadership_review_before_the_team_leader_and_manager_are_engaged(cw: World) -> None:
    ticket, case = active(cw)

    html = page(as_user(cw, "erin").get(ticket_url(ticket)))
    assert "the team leader engaged first" in html.one(id="leadership-needs").text
    response = as_user(cw, "erin").post(url("case_leadership", case), {})

    assert response.status_code == 200
    assert refusals(response) == [
        "Leadership review refused",
        "Missing: the team leader engaged first",
        "Missing: the team manager engaged first",
    ]
    assert case_of(ticket).status == "active"


def test_it_starts_a_leadership_review_and_shows_the_brief(cw: World) -> None:
    ticket, case = active(cw, "team_manager")

    response = as_user(cw, "erin").post(url("case_leadership", case), {})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "leadership_review" and ticket.reference in case.brief
    html = page(as_user(cw, "erin").get(ticket_url(ticket)))
    assert ticket.reference in html.one(id="case-brief").text
    assert [li.text for li in html.select("ul", cls="brief-ready")[0].select("li")] == [
        "Engineer: not marked ready",
        "Team leader: not marked ready",
        "Team manager: not marked ready",
    ]
    assert "case_brief" in offered(as_user(cw, "erin").get(ticket_url(ticket)))


def test_it_lets_the_engineer_team_leader_and_manager_mark_the_brief_ready(cw: World) -> None:
    ticket, case = in_leadership_review(cw)
    brief = case.brief + "\nThe customer's CFO is involved."

    for username in ("erin", "tess", "manny"):
        response = as_user(cw, username).post(
            url("case_brief", case), {"case_brief-brief": brief, "case_brief-ready": "on"}
        )
        assert response.status_code == 302

    case.refresh_from_db()
    assert case.brief == brief.strip()
    assert (case.brief_ready_engineer, case.brief_ready_team_leader, case.brief_ready_team_manager) == (
        cw["erin"],
        cw["tess"],
        cw["manny"],
    )
    html = page(as_user(cw, "leah").get(ticket_url(ticket)))
    assert html.by_id("review-needs") is None


def test_it_refuses_an_empty_brief_and_keeps_the_ready_mark(cw: World) -> None:
    _ticket, case = in_leadership_review(cw)

    response = as_user(cw, "tess").post(
        url("case_brief", case), {"case_brief-brief": "", "case_brief-ready": "on"}
    )

    assert response.status_code == 200
    assert refusals(response) == ["Editing the brief refused", "Missing: the brief's text"]
    assert page(response).value("case_brief-ready") == "on"
    case.refresh_from_db()
    assert case.brief_ready_team_leader is None


def review_input(**overrides: str) -> dict[str, str]:
    data = {
        "internal_review": "The connector lacks retries.",
        "meeting_at": f"{days_from_today(-1):%Y-%m-%d}T16:00",
        "attendees": "Leah, Acme's CFO",
        "outcome": "Fix by Friday agreed.",
    }
    data.update(overrides)
    return {f"case_review-{k}": v for k, v in data.items()}


def test_it_refuses_the_leadership_review_until_the_brief_is_ready_and_keeps_the_input(cw: World) -> None:
    ticket, case = in_leadership_review(cw)
    leadership_review.case_edit_brief(case=case, actor=cw["erin"], brief=case.brief, ready=True)

    response = as_user(cw, "leah").post(url("case_review", case), review_input(outcome=""))

    assert response.status_code == 200
    assert refusals(response) == [
        "Recording the review refused",
        "Missing: the case brief marked ready by the team leader",
        "Missing: the case brief marked ready by the team manager",
        "Missing: the stakeholder meeting's outcome",
    ]
    assert page(response).value("case_review-internal_review") == "The connector lacks retries."
    assert case_of(ticket).status == "leadership_review"


def test_it_lets_leadership_record_the_review_and_the_stakeholder_meeting(cw: World) -> None:
    ticket, case = in_leadership_review(cw)
    for username in ("erin", "tess", "manny"):
        leadership_review.case_edit_brief(case=case, actor=cw[username], brief=case.brief, ready=True)

    response = as_user(cw, "leah").post(url("case_review", case), review_input())

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.internal_review) == ("active", "The connector lacks retries.")
    meeting = CaseMeeting.objects.get(case=case, kind="stakeholder_meeting")
    assert (meeting.attendees, meeting.outcome) == ("Leah, Acme's CFO", "Fix by Friday agreed.")
    html = page(as_user(cw, "esme").get(ticket_url(ticket)))
    assert "The connector lacks retries." in html.one(id="case-internal-review").text
    assert event_kinds(ticket)[-1] == "case_leadership_done"


# --- de-escalation (seed 002) ----------------------------------------------------------------------


def test_it_refuses_de_escalation_without_both_confirmations_and_keeps_the_note(cw: World) -> None:
    ticket, case = active(cw)

    response = as_user(cw, "esme").post(
        url("case_propose", case),
        {"case_propose-action_plan_accepted": "on", "case_propose-note": "Patch deployed."},
    )

    assert response.status_code == 200
    assert refusals(response) == [
        "Proposing de-escalation refused",
        "Missing: confirmation that troubleshooting or root cause analysis is on track",
    ]
    assert page(response).value("case_propose-action_plan_accepted") == "on"
    assert page(response).value("case_propose-note") == "Patch deployed."
    assert case_of(ticket).status == "active"


def test_it_proposes_de_escalation_and_records_the_customers_answer_by_email(cw: World) -> None:
    ticket, case = active(cw)
    client = as_user(cw, "esme")

    proposed = client.post(
        url("case_propose", case),
        {
            "case_propose-action_plan_accepted": "on",
            "case_propose-rca_on_track": "on",
            "case_propose-note": "Patch deployed.",
        },
    )
    assert proposed.status_code == 302
    assert offered(client.get(ticket_url(ticket))) == [
        "case_answer",
        "case_engage",
        "case_meeting",
        "case_request",
        "case_update",
    ]
    answered = client.post(
        url("case_answer", case),
        {"case_answer-agree": "yes", "case_answer-channel": "email", "case_answer-comment": "Thanks."},
    )

    assert answered.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.agreed_by, case.agreement_channel) == ("de_escalated", cw["esme"], "email")
    assert event_kinds(ticket)[-2:] == ["case_de_escalation_proposed", "case_de_escalated"]
    html = page(client.get(ticket_url(ticket)))
    assert html.one(id="case-status").text == "De-escalated"
    assert "by e-mail" in html.one(id="case-agreed").text
    assert offered(client.get(ticket_url(ticket))) == ["case_request"]


def test_it_refuses_an_answer_without_its_channel_and_keeps_the_comment(cw: World) -> None:
    ticket, case = active(cw)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=cw["esme"], action_plan_accepted=True, rca_on_track=True
    )

    response = as_user(cw, "esme").post(
        url("case_answer", case),
        {
            "case_answer-agree": "no",
            "case_answer-channel": "",
            "case_answer-comment": "Still failing at night.",
        },
    )

    assert response.status_code == 200
    assert refusals(response) == [
        "Recording the customer's answer refused",
        "Missing: how the customer answered (phone or e-mail)",
    ]
    assert page(response).value("case_answer-comment") == "Still failing at night."
    assert page(response).value("case_answer-agree") == ["no"]
    assert case_of(ticket).status == "de_escalation_proposed"


def test_it_labels_the_case_events_in_the_timeline(cw: World) -> None:
    ticket, _case = active(cw)

    html = page(as_user(cw, "esme").get(ticket_url(ticket)))

    events = [
        li
        for li in html.one(id="timeline").select("li", cls="event")
        if li.attrs["data-kind"].startswith("case_")
    ]
    # case_plans.case_acknowledge records esme joining as escalation manager before the acknowledgement.
    assert [li.select("strong")[0].text for li in events] == [
        "Escalation requested",
        "Engaged in the escalation",
        "Escalation acknowledged",
        "Escalation plans agreed",
    ]
    assert "Requested → Acknowledged" in events[2].text
    assert "Escalation manager" in events[1].text and "escalation_manager" not in events[1].text


# --- the escalation board and the daily report -----------------------------------------------------


BOARD = reverse("desk:escalation_board")
REPORT = reverse("desk:escalation_report")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("esme", 200), ("leah", 200), ("erin", 403), ("tess", 403), ("manny", 403), ("carla", 403), (None, 302)],
)
def test_it_opens_the_board_and_the_report_to_escalation_managers_and_leadership(
    cw: World, persona: str | None, status: int
) -> None:
    client = as_user(cw, persona)

    for address in (BOARD, REPORT):
        response = client.get(address)
        assert response.status_code == status
        if persona is None:
            assert response.url == f"/desk/login/?next={address}"
    if status == 200 or persona in ("erin", "tess", "manny"):
        header = page(client.get(reverse("desk:my_work")))
        assert bool(header.select("a", cls="escalations-link")) == (status == 200)


def board_refs(response: Any) -> list[str]:
    return [td.select("a")[0].text for td in page(response).one(id="board").select("td", cls="ref")]


def test_it_lists_the_open_escalations_with_their_state_level_manager_and_breaches(cw: World) -> None:
    with time_machine.travel(at(23, 9), tick=False) as clock:
        first, _waiting = requested(cw)
        second, _running = active(cw, "team_leader")
        _third, done = active(cw)
        case_de_escalation.case_propose_de_escalation(
            case=done, actor=cw["esme"], action_plan_accepted=True, rca_on_track=True
        )
        case_de_escalation.case_answer_de_escalation(case=done, actor=cw["carla"], agree=True)
        clock.move_to(at(23, 16))  # the first was never acknowledged; the second's update is late
        sweep_due_deadlines()
        client = as_user(cw, "esme")

        response = client.get(BOARD)

        assert board_refs(response) == [first.reference, second.reference]
        rows = page(response).one(id="board").select("tr", cls="case-row")
        assert [r.select("td", cls="state")[0].text for r in rows] == ["Requested", "Active"]
        assert [r.select("td", cls="level")[0].text for r in rows] == [
            "The next support tier",
            "The team leader",
        ]
        assert [r.select("td", cls="manager")[0].text for r in rows] == ["not assigned", str(cw["esme"])]
        assert [r.select("td", cls="breaches")[0].text for r in rows] == ["1", "1"]
        assert [r.select("td", cls="age")[0].text for r in rows] == ["7 h", "7 h"]
        assert "overdue" in rows[1].select("td", cls="next-update")[0].text
        assert board_refs(client.get(BOARD, {"state": "active"})) == [second.reference]
        assert board_refs(client.get(BOARD, {"level": "team_leader"})) == [second.reference]
        assert board_refs(client.get(BOARD, {"mine": "on"})) == [second.reference]
        assert board_refs(as_user(cw, "eddie").get(BOARD, {"mine": "on"})) == []


def test_it_shows_the_daily_report_of_a_day_as_the_email_lists_it(cw: World) -> None:
    with time_machine.travel(at(23, 9), tick=False) as clock:
        first, _case = requested(cw)
        clock.move_to(at(24, 9))
        second, _ = requested(cw)
        case_daily_report.daily_report_send()
        client = as_user(cw, "esme")

        monday = client.get(REPORT, {"date": "2026-11-23"})
        today = client.get(REPORT)

    assert monday.status_code == 200 and today.status_code == 200
    assert [td.select("a")[0].text for td in page(monday).one(id="report").select("td", cls="ref")] == [
        first.reference
    ]
    assert (
        [td.select("a")[0].text for td in page(today).one(id="report").select("td", cls="ref")]
        == [r["ticket"].reference for r in case_daily_report.report_rows(date(2026, 11, 24))]
        == [first.reference, second.reference]
    )
    assert "e-mailed" in page(today).one(id="report-summary").text
    assert "e-mailed" not in page(monday).one(id="report-summary").text
    assert page(today).one("h1").text == "Daily escalation report, Tuesday 24 November 2026"


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30", "20261124", "0001-01-01", "2026-11-24'"])
def test_it_explains_a_bad_report_date_instead_of_failing(cw: World, bad: str) -> None:
    response = as_user(cw, "esme").get(REPORT, {"date": bad})

    assert response.status_code == 400
    error = page(response).one(id="report-error").text
    assert bad in error and "YYYY-MM-DD" in error


def test_the_report_link_of_the_daily_email_opens_the_report(cw: World) -> None:
    with time_machine.travel(at(24, 9), tick=False):
        requested(cw)
        case_daily_report.daily_report_send()
        from notifications.models import Notification

        links = set(
            Notification.objects.filter(kind="escalations.daily_report", recipient=cw["esme"]).values_list(
                "link", flat=True
            )
        )
        assert len(links) == 1
        link = links.pop()
        response = as_user(cw, "esme").get(link)

    assert link == f"{REPORT}?date=2026-11-24"
    assert response.status_code == 200
    assert len(page(response).one(id="report").select("tr", cls="case-row")) == 1


def test_it_keeps_a_started_ticket_escalatable_from_the_console_only_while_open(cw: World) -> None:
    ticket = new_ticket(cw)
    ticket_cancel(ticket=ticket, actor=cw["erin"], reason="withdrawn", note="", duplicate_of=None)

    html = page(as_user(cw, "erin").get(ticket_url(ticket)))

    assert html.by_id("case_request") is None


def test_it_offers_the_customer_as_an_owner_of_a_plan_step_but_not_as_a_participant(cw: World) -> None:
    ticket, case = acknowledged(cw)

    html = page(as_user(cw, "esme").get(ticket_url(ticket)))
    engage = [o.attrs.get("value") for o in html.one(name="case_engage-user").select("option")]
    owners = [o.attrs.get("value") for o in html.one(name="case_activate-owner_0").select("option")]

    assert str(cw["carla"].pk) in owners and str(cw["erin"].pk) in owners
    assert str(cw["carla"].pk) not in engage and str(cw["erin"].pk) in engage
    forged = as_user(cw, "esme").post(
        url("case_engage", case), {"case_engage-user": str(cw["carla"].pk), "case_engage-role": "sme"}
    )
    assert forged.status_code == 200
    assert page(forged).errors(page(forged).one(id="case_engage")) == [
        f"Select a valid choice. {cw['carla'].pk} is not one of the available choices."
    ]
    assert not CaseParticipant.objects.filter(case=case, user=cw["carla"]).exists()
