"""Seed 000's customer escalation: the customer asks for the team leader, then the team manager,
then support leadership. Leadership is engaged only after the team leader and the team manager;
the engineer, team leader and team manager prepare the case brief (generated from the whole
history) and mark it ready; leadership records its internal review and the stakeholder
meeting, and the case goes on."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from approvals.services import approval_approve
from cases.models import CaseMeeting, CaseStatus, EscalationCase, MeetingKind
from cases.services import core as case_core
from cases.services import participants as case_participants
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import review as leadership_review
from cases.services import updates as case_updates
from cases.services.core import PlanItem, Review
from escalation_desk.domain import Refused
from escalations.models import HandoffStatus
from escalations.services import handoffs
from notifications.models import Notification
from tests_support.factories import make_agent
from tickets.models import StepKind, Ticket
from tickets.services.lifecycle import ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

REVIEW = Review(problem_statement_correct=True, business_impact="Sales cannot e-mail customers.")
APPROVAL_NOTES = "L1/L2 documented with the message trace; engage Microsoft."


def mail_ticket_with_vendor_hand_off(world: World) -> Ticket:
    """Seed 000's ticket: L1 and L2 troubleshooting, then the gated hand-off to Microsoft approved."""
    tom = world["tom"]
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(
            world,
            service=world.mail,
            summary="Outlook cannot send to external recipients",
            description="Every message to an external address bounces.",
        )
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked the mailbox quota and the account",
            outcome="Both fine",
        )
        handoffs.escalate(ticket=ticket, actor=world["erin"], findings="Not a client problem; needs L2.")
        travel.move_to(at(23, 9, 30))
        ticket_start(ticket=ticket, actor=tom)
        ticket_add_step(
            ticket=ticket,
            actor=tom,
            kind=StepKind.LOG_ANALYSIS,
            action="Ran a message trace",
            outcome="550 5.7.1 from Exchange Online",
            files=[SimpleUploadedFile("trace.png", b"\x89PNG")],
        )
        handoff = handoffs.escalate(
            ticket=ticket,
            actor=tom,
            to_tier=world.tier("Microsoft L3", world.microsoft),
            findings="Rejected inside Exchange Online.",
        )
        assert handoff.status == HandoffStatus.PENDING_APPROVAL
        travel.move_to(at(23, 9, 45))
        approval_approve(request=handoff.approval, actor=world["ravi"], notes=APPROVAL_NOTES)
        # Tom keeps working it with Microsoft: he is the engineer of the brief.
        ticket_start(ticket=ticket, actor=tom)
    ticket.refresh_from_db()
    return ticket


def running_case(ticket: Ticket, esme: User, carla: User, owner: User, level: str) -> object:
    case = case_requests.case_request(
        ticket=ticket, actor=carla, reason="critical_impact", level=level, review=REVIEW
    )
    case_plans.case_acknowledge(case=case, actor=esme)
    case_plans.case_activate(
        case=case,
        actor=esme,
        action_plan=[PlanItem(owner, "Work with Microsoft on the rule", date(2026, 11, 24))],
        mode="phone",
        update_every_minutes=240,
        required_attendees="Carla, Esme",
        first_call_at=at(23, 15),
    )
    return case


def test_leadership_review_is_refused_until_the_team_leader_and_the_manager_were_engaged(
    world: World,
) -> None:
    esme = make_agent("Escalation manager", username="esme")
    make_agent("Leadership", username="leah")
    with time_machine.travel(at(23, 10), tick=False):
        ticket = triaged(world)
        # Asked for a subject matter expert: nobody is engaged automatically.
        case = running_case(ticket, esme, world["carla"], world["erin"], level="sme")
        assert leadership_review.engaged_roles(case) == {"escalation_manager"}
        with pytest.raises(Refused) as refused:
            leadership_review.case_start_leadership_review(case=case, actor=esme)
        assert refused.value.missing == ["the team leader engaged first", "the team manager engaged first"]
        with pytest.raises(PermissionDenied):
            leadership_review.case_start_leadership_review(case=case, actor=world["carla"])
        case_participants.case_engage(case=case, actor=world["erin"], user=world["tess"], role="team_leader")
        with pytest.raises(Refused) as refused:
            leadership_review.case_start_leadership_review(case=case, actor=esme)
        assert refused.value.missing == ["the team manager engaged first"]
        case.refresh_from_db()
        assert case.status == CaseStatus.ACTIVE
        assert not ticket.events.filter(kind="case_leadership_review").exists()
        case_participants.case_engage(case=case, actor=esme, user=world["manny"], role="team_manager")
        leadership_review.case_start_leadership_review(case=case, actor=esme)
    case.refresh_from_db()
    assert case.status == CaseStatus.LEADERSHIP_REVIEW


def test_seed_000_team_leader_then_team_manager_then_leadership(world: World) -> None:
    esme = make_agent("Escalation manager", username="esme")
    leah = make_agent("Leadership", username="leah")
    ticket = mail_ticket_with_vendor_hand_off(world)
    assert (ticket.team.name, ticket.assignee) == ("Tier 2", world["tom"])

    with time_machine.travel(at(23, 10), tick=False) as travel:
        case = running_case(ticket, esme, world["carla"], world["tom"], level="team_leader")
        each_request_engages_the_next_level(world, esme, case, ticket, travel)
        leadership_review_starts_with_the_generated_brief(esme, case, travel)
        leadership_cannot_finish_before_the_brief_and_the_meeting(esme, leah, case)
        the_engineer_leader_and_manager_prepare_the_brief(world, case, leah, travel)
        # Leadership: an internal review meeting, then the review and the stakeholder meeting.
        travel.move_to(at(23, 14))
        internal = case_updates.case_schedule_meeting(
            case=case,
            actor=leah,
            kind=MeetingKind.INTERNAL_REVIEW,
            scheduled_for=at(23, 14, 30),
            attendees="Leah, Manny, Esme",
        )
        travel.move_to(at(23, 16))
        leadership_review.case_finish_leadership_review(
            case=case,
            actor=leah,
            internal_review="The rule change was not announced; process fixed.",
            meeting_at=at(23, 15, 30),
            attendees="Carla, Leah, Esme",
            outcome="Credit offered; weekly check-in.",
        )
    assert internal.kind == MeetingKind.INTERNAL_REVIEW
    the_case_is_active_again_with_the_review_recorded(esme, leah, case, ticket)


def each_request_engages_the_next_level(
    world: World, esme: User, case: EscalationCase, ticket: Ticket, travel: Any
) -> None:
    """The team leader requested is engaged at once; each further request adds to the case and engages
    the next level."""
    carla = world["carla"]
    assert [(p.user.username, p.role) for p in case.participants.all()] == [
        ("ravi", "team_leader"),
        ("esme", "escalation_manager"),
    ]
    travel.move_to(at(23, 10, 30))
    case_updates.case_log_update(
        case=case, actor=esme, mode="phone", summary="Microsoft is tracing the rule."
    )
    travel.move_to(at(23, 11))
    case_requests.case_request(
        ticket=ticket, actor=carla, reason="responsiveness", level="team_manager", review=REVIEW
    )
    travel.move_to(at(23, 11, 30))
    case_requests.case_request(
        ticket=ticket, actor=carla, reason="responsiveness", level="leadership", review=REVIEW
    )
    case.refresh_from_db()
    assert (case.level, case.status) == ("leadership", CaseStatus.ACTIVE)
    assert [(p.user.username, p.role) for p in case.participants.all()] == [
        ("ravi", "team_leader"),
        ("esme", "escalation_manager"),
        ("manny", "team_manager"),
    ]


def leadership_review_starts_with_the_generated_brief(esme: User, case: EscalationCase, travel: Any) -> None:
    """Leadership review engages leadership and generates the brief from the ticket's history."""
    travel.move_to(at(23, 12))
    leadership_review.case_start_leadership_review(case=case, actor=esme)
    case.refresh_from_db()
    assert case.status == CaseStatus.LEADERSHIP_REVIEW
    assert ("leah", "leadership") in [(p.user.username, p.role) for p in case.participants.all()]
    brief = case.brief
    for part in (
        "Outlook cannot send to external recipients",
        "Every message to an external address bounces.",
        "Troubleshooting (2 step(s))",
        "Checked the mailbox quota and the account → Both fine",
        "Ran a message trace → 550 5.7.1 from Exchange Online",
        "L1 → L2: completed",
        f"L2 → Microsoft L3: completed; approval notes: {APPROVAL_NOTES}",
        "Now in Microsoft L3.",
        "23 Nov 10:00 Critical business impact: The team leader requested (portal)",
        "23 Nov 11:00 Dissatisfied with responsiveness: The team manager requested (portal)",
        "23 Nov 11:30 Dissatisfied with responsiveness: Support leadership requested (portal)",
        "impact: Sales cannot e-mail customers.",
        "- engaged: ",
        "(team manager)",
        "- update 23 Nov 10:30 (phone call): Microsoft is tracing the rule.",
    ):
        assert part in brief, part
    assert (
        brief.index("Intake")
        < brief.index("Troubleshooting")
        < brief.index("Hand-offs")
        < brief.index("Escalation")
    )


def leadership_cannot_finish_before_the_brief_and_the_meeting(
    esme: User, leah: User, case: EscalationCase
) -> None:
    """Leadership cannot finish before the brief is ready and the meeting recorded."""
    with pytest.raises(Refused) as refused:
        leadership_review.case_finish_leadership_review(
            case=case, actor=leah, internal_review="", meeting_at=None, attendees="", outcome=""
        )
    assert refused.value.missing == [
        "the case brief marked ready by the engineer",
        "the case brief marked ready by the team leader",
        "the case brief marked ready by the team manager",
        "the internal review",
        "when the stakeholder meeting took place",
        "who attended the stakeholder meeting",
        "the stakeholder meeting's outcome",
    ]
    with pytest.raises(PermissionDenied):
        leadership_review.case_finish_leadership_review(
            case=case, actor=esme, internal_review="x", meeting_at=at(23, 15), attendees="x", outcome="x"
        )


def the_engineer_leader_and_manager_prepare_the_brief(
    world: World, case: EscalationCase, leah: User, travel: Any
) -> None:
    """The engineer, the team leader and the team manager edit the brief and mark it ready."""
    tom, ravi, manny, brief = world["tom"], world["ravi"], world["manny"], case.brief
    with pytest.raises(PermissionDenied):
        leadership_review.case_edit_brief(case=case, actor=world["erin"], brief=brief, ready=True)
    travel.move_to(at(23, 13))
    edited = brief + "\n\nEngineer: Microsoft confirmed a stuck transport rule."
    leadership_review.case_edit_brief(case=case, actor=tom, brief=edited, ready=True)
    leadership_review.case_edit_brief(case=case, actor=ravi, brief=edited, ready=True)
    case.refresh_from_db()
    assert (case.brief_ready_engineer, case.brief_ready_team_leader, case.brief_ready_team_manager) == (
        tom,
        ravi,
        None,
    )
    # A change by the manager: everyone looks again.
    final = edited + "\nManager: a credit is offered."
    leadership_review.case_edit_brief(case=case, actor=manny, brief=final, ready=True)
    case.refresh_from_db()
    assert (
        case.brief,
        case.brief_ready_engineer,
        case.brief_ready_team_leader,
        case.brief_ready_team_manager,
    ) == (final, None, None, manny)
    with pytest.raises(Refused) as refused:
        leadership_review.case_finish_leadership_review(
            case=case,
            actor=leah,
            internal_review="Reviewed",
            meeting_at=at(23, 15),
            attendees="Carla, Leah",
            outcome="OK",
        )
    assert refused.value.missing == [
        "the case brief marked ready by the engineer",
        "the case brief marked ready by the team leader",
    ]
    leadership_review.case_edit_brief(case=case, actor=tom, brief=final, ready=True)
    leadership_review.case_edit_brief(case=case, actor=ravi, brief=final, ready=True)


def the_case_is_active_again_with_the_review_recorded(
    esme: User, leah: User, case: EscalationCase, ticket: Ticket
) -> None:
    """Back to active with the internal review, the meetings and every step on the timeline; updates go on."""
    case.refresh_from_db()
    assert (case.status, case.internal_review) == (
        CaseStatus.ACTIVE,
        "The rule change was not announced; process fixed.",
    )
    meetings = list(
        CaseMeeting.objects.filter(case=case).values_list("kind", "scheduled_for", "attendees", "outcome")
    )
    assert meetings == [
        (MeetingKind.INTERNAL_REVIEW, at(23, 14, 30), "Leah, Manny, Esme", ""),
        (MeetingKind.CONFERENCE_CALL, at(23, 15), "Carla, Esme", ""),
        (
            MeetingKind.STAKEHOLDER_MEETING,
            at(23, 15, 30),
            "Carla, Leah, Esme",
            "Credit offered; weekly check-in.",
        ),
    ]
    assert [
        (e.kind, e.is_public, e.at)
        for e in case_core.case_events(ticket)
        if e.kind not in ("case_participant",)
    ] == [
        ("case_requested", True, at(23, 10)),
        ("case_acknowledged", True, at(23, 10)),
        ("case_active", True, at(23, 10)),
        ("case_update", True, at(23, 10, 30)),
        ("case_request_added", True, at(23, 11)),
        ("case_request_added", True, at(23, 11, 30)),
        ("case_leadership_review", True, at(23, 12)),
        ("case_brief", False, at(23, 13)),
        ("case_brief", False, at(23, 13)),
        ("case_brief", False, at(23, 13)),
        ("case_brief", False, at(23, 13)),
        ("case_brief", False, at(23, 13)),
        ("case_meeting", False, at(23, 14)),
        ("case_leadership_done", True, at(23, 16)),
    ]
    assert [
        (e.details["role"], e.at) for e in ticket.events.filter(kind="case_participant").order_by("at", "pk")
    ] == [
        ("team_leader", at(23, 10)),
        ("escalation_manager", at(23, 10)),
        ("team_manager", at(23, 11)),
        ("leadership", at(23, 12)),
    ]
    done = ticket.events.get(kind="case_leadership_done")
    assert (done.actor, done.source, done.target, done.reason) == (
        leah,
        "leadership_review",
        "active",
        "Stakeholder meeting: Credit offered; weekly check-in.",
    )
    # Leadership was told it was engaged.
    assert (
        Notification.objects.filter(kind="escalations.case_engaged", recipient=leah, channel="in_app").count()
        == 1
    )
    # Back to active: updates go on.
    with time_machine.travel(at(23, 16, 30), tick=False):
        case_updates.case_log_update(case=case, actor=esme, mode="phone", summary="Leadership review done.")
    assert case.updates.count() == 2
