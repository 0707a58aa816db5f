"""Seed 000 on the Microsoft 365 ladder (L1 → L2 → Microsoft L3): the vendor hand-off needs
L1/L2 troubleshooting documented with evidence, a team leader of the requester's team decides
(never the requester, never another team's leader); request changes puts the suggested steps
on the ticket as to-do steps; the follow-up request links to the previous; approve records the
notes on the ticket and completes the hand-off; then the vendor's case is recorded (SPEC §5)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import approval_approve, approval_request_changes
from escalation_desk.domain import Refused
from escalations import selectors
from escalations.models import Handoff, HandoffStatus, Tier, VendorEngagement
from escalations.services import handoffs, vendor
from notifications.models import Notification
from tickets.models import StepKind, StepState, Ticket, TroubleshootingStep
from tickets.services.lifecycle import ticket_start
from tickets.services.steps import ticket_add_step, ticket_complete_step

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

EVIDENCE = "logs and screenshots attached, or a statement that there are none"


def mail_ticket_in_l2(world: World) -> Ticket:
    """Triaged on the Microsoft ladder; L1 documented a step and escalated to L2."""
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world, service=world.mail, summary="Outlook cannot send to external recipients")
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked the mailbox quota and the account",
            outcome="Both fine",
        )
        handoffs.escalate(ticket=ticket, actor=world["erin"], findings="Not a client problem; needs L2.")
    ticket.refresh_from_db()
    return ticket


def test_a_vendor_hand_off_without_l1_and_l2_troubleshooting_is_refused_with_what_is_missing(
    world: World,
) -> None:
    l3 = world.tier("Microsoft L3", world.microsoft)
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world, service=world.mail)
        ticket_start(ticket=ticket, actor=world["erin"])
    assert selectors.current_stint(ticket).tier.name == "L1"

    # Straight from L1 to Microsoft, nothing documented.
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=world["erin"], to_tier=l3, findings="Microsoft must look.")
    assert refused.value.missing == [
        "at least 1 troubleshooting step(s) with outcome documented in L1 (there are 0)",
        "L2 troubleshooting: steps performed, with their outcome",
        EVIDENCE,
    ]
    assert not Handoff.objects.filter(ticket=ticket).exists()
    assert not ApprovalRequest.objects.exists()
    assert selectors.current_stint(ticket).tier.name == "L1"


def test_the_seed_000_gate_request_changes_follow_up_approve_and_vendor_case(world: World) -> None:
    l3 = world.tier("Microsoft L3", world.microsoft)
    ticket = mail_ticket_in_l2(world)
    assert (selectors.current_stint(ticket).tier.name, ticket.team.name) == ("L2", "Tier 2")
    l2_without_steps_or_evidence_is_refused(world, ticket, l3)
    first = l2_documents_and_the_gate_files_a_request(world, ticket, l3)
    only_an_eligible_leader_decides(world, first.approval)
    suggested, to_do = ravi_sends_it_back_with_two_steps(world, ticket, first)
    asking_again_before_doing_them_is_refused(world, ticket, l3, suggested)
    second = the_steps_done_a_follow_up_is_filed(world, ticket, l3, first, to_do)
    ravi_approves_with_notes_and_the_ticket_enters_l3(world, ticket, second)
    microsoft_is_engaged_and_sends_an_update(world, ticket, l3)


def l2_without_steps_or_evidence_is_refused(world: World, ticket: Ticket, l3: Tier) -> None:
    tom = world["tom"]
    with time_machine.travel(at(23, 10), tick=False):
        ticket_start(ticket=ticket, actor=tom)
    # L2 has done nothing yet, and nothing is attached.
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=tom, to_tier=l3, findings="Transport rule? Ask Microsoft.")
    assert refused.value.missing == [
        "at least 1 troubleshooting step(s) with outcome documented in L2 (there are 0)",
        EVIDENCE,
    ]
    assert refused.value.missing == selectors.handoff_missing(
        ticket,
        selectors.current_stint(ticket).tier,
        l3,
        criterion=None,
        findings="Transport rule? Ask Microsoft.",
        evidence_note="",
    )


def l2_documents_and_the_gate_files_a_request(world: World, ticket: Ticket, l3: Tier) -> Handoff:
    tom = world["tom"]
    with time_machine.travel(at(23, 11), tick=False):
        ticket_add_step(
            ticket=ticket,
            actor=tom,
            kind=StepKind.LOG_ANALYSIS,
            action="Ran a message trace",
            outcome="550 5.7.1 from Exchange Online",
            files=[SimpleUploadedFile("trace.png", b"\x89PNG")],
        )
        first = handoffs.escalate(
            ticket=ticket,
            actor=tom,
            to_tier=l3,
            findings="Rejected inside Exchange Online.",
            workaround="Send from OWA",
        )
    assert first.status == HandoffStatus.PENDING_APPROVAL
    request = first.approval
    assert (request.status, request.requested_by, request.previous) == (ApprovalStatus.PENDING, tom, None)
    assert {u.username for u in request.approvers.all()} == {"ravi", "manny"}
    # The package shows each tier's steps and the evidence to the approver.
    titles = [section["title"] for section in request.package]
    assert titles == [
        "Hand-off",
        "Intake",
        "Troubleshooting – L1",
        "Troubleshooting – L2",
        "Evidence on the ticket",
    ]
    assert any("trace.png" in item["text"] for item in request.package[3]["items"])
    return first


def only_an_eligible_leader_decides(world: World, request: ApprovalRequest) -> None:
    tom, ravi = world["tom"], world["ravi"]
    # The requester cannot decide their own request; a leader of another team cannot either.
    with pytest.raises(PermissionDenied, match="your own request"):
        approval_approve(request=request, actor=tom, notes="Looks fine to me.")
    with pytest.raises(PermissionDenied):
        approval_approve(request=request, actor=world["tess"], notes="Go ahead.")
    with pytest.raises(PermissionDenied):
        approval_request_changes(request=request, actor=world["kenji"], steps=["Something"])
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING
    assert request not in ApprovalRequest.objects.decidable_by(tom)
    assert list(ApprovalRequest.objects.decidable_by(ravi)) == [request]


def ravi_sends_it_back_with_two_steps(
    world: World, ticket: Ticket, first: Handoff
) -> tuple[list[str], list[TroubleshootingStep]]:
    ravi = world["ravi"]
    request = first.approval
    # Ravi sends it back with two more steps: they become to-do steps on the ticket.
    suggested = ["Test with a new Outlook profile", "Check the tenant's outbound spam policy"]
    with time_machine.travel(at(23, 12), tick=False):
        approval_request_changes(request=request, actor=ravi, steps=suggested, notes="Rule out the client.")
    request.refresh_from_db()
    first.refresh_from_db()
    assert (request.status, request.suggested_steps) == (ApprovalStatus.CHANGES_REQUESTED, suggested)
    assert first.status == HandoffStatus.SENT_BACK
    to_do = selectors.steps_to_do(ticket)
    assert [(s.kind, s.state, s.action) for s in to_do] == [
        (StepKind.SUGGESTED, StepState.TO_DO, suggested[0]),
        (StepKind.SUGGESTED, StepState.TO_DO, suggested[1]),
    ]
    assert all(s.engineer == ravi for s in to_do)
    sent_back = ticket.events.get(kind="approval_changes_requested")
    assert (sent_back.actor, sent_back.reason, sent_back.details["steps"]) == (
        ravi,
        "Rule out the client.",
        suggested,
    )
    assert selectors.current_stint(ticket).tier.name == "L2"
    return suggested, to_do


def asking_again_before_doing_them_is_refused(
    world: World, ticket: Ticket, l3: Tier, suggested: list[str]
) -> None:
    tom = world["tom"]
    # Asking again before doing them is refused with the steps still to do.
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=tom, to_tier=l3, findings="Please approve.")
    assert refused.value.missing == [
        "the suggested troubleshooting steps done first: " + "; ".join(suggested)
    ]


def the_steps_done_a_follow_up_is_filed(
    world: World, ticket: Ticket, l3: Tier, first: Handoff, to_do: list[TroubleshootingStep]
) -> Handoff:
    tom = world["tom"]
    request = first.approval
    with time_machine.travel(at(23, 13), tick=False):
        for step, outcome in zip(
            to_do, ["Same error with a new profile", "Policy allows external mail"], strict=True
        ):
            ticket_complete_step(step=step, actor=tom, outcome=outcome)
        second = handoffs.escalate(
            ticket=ticket, actor=tom, to_tier=l3, findings="Not the client nor the policy."
        )
    assert selectors.steps_to_do(ticket) == []
    assert (
        TroubleshootingStep.objects.filter(
            ticket=ticket, kind=StepKind.SUGGESTED, state=StepState.DONE, engineer=tom
        ).count()
        == 2
    )
    assert (second.previous, second.status) == (first, HandoffStatus.PENDING_APPROVAL)
    follow_up = second.approval
    assert follow_up.previous == request
    assert follow_up.pk != request.pk
    l2_section = next(s for s in follow_up.package if s["title"] == "Troubleshooting – L2")
    assert [item["text"] for item in l2_section["items"]] == [
        f"Log analysis: Ran a message trace → 550 5.7.1 from Exchange Online ({tom})",
        "Attachment: trace.png",
        f"{StepKind.SUGGESTED.label}: Test with a new Outlook profile → "
        f"Same error with a new profile ({tom})",
        f"{StepKind.SUGGESTED.label}: Check the tenant's outbound spam policy → Policy allows external "
        f"mail ({tom})",
    ]
    return second


def ravi_approves_with_notes_and_the_ticket_enters_l3(world: World, ticket: Ticket, second: Handoff) -> None:
    tom, ravi = world["tom"], world["ravi"]
    follow_up = second.approval
    # Approve needs notes; with them the notes are on the ticket and the hand-off completes.
    with pytest.raises(Refused) as refused:
        approval_approve(request=follow_up, actor=ravi, notes="  ")
    assert refused.value.missing == ["approval notes (what was reviewed and why it may go ahead)"]
    notes = "L1/L2 documented with the message trace; engage Microsoft."
    with time_machine.travel(at(23, 14), tick=False):
        approval_approve(request=follow_up, actor=ravi, notes=notes)
    second.refresh_from_db()
    ticket.refresh_from_db()
    assert second.status == HandoffStatus.COMPLETED
    assert (selectors.current_stint(ticket).tier.name, ticket.team.name) == ("Microsoft L3", "Tier 2")
    granted = ticket.events.get(kind="approval_granted")
    assert (granted.actor, granted.reason, granted.target, granted.at) == (
        ravi,
        notes,
        "Microsoft L3",
        at(23, 14),
    )
    assert list(
        ticket.events.filter(
            kind__in=[
                "handoff_requested",
                "approval_requested",
                "approval_changes_requested",
                "approval_granted",
                "escalated",
            ]
        )
        .order_by("at", "pk")
        .values_list("kind", "target")
    ) == [
        ("handoff_requested", "L2"),
        ("escalated", "L2"),
        ("handoff_requested", "Microsoft L3"),
        ("approval_requested", "Microsoft L3"),
        ("approval_changes_requested", "Microsoft L3"),
        ("handoff_requested", "Microsoft L3"),
        ("approval_requested", "Microsoft L3"),
        ("approval_granted", "Microsoft L3"),
        ("escalated", "Microsoft L3"),
    ]
    # The engineer heard both decisions.
    assert list(
        Notification.objects.filter(kind="escalations.approval_decided", recipient=tom, channel="in_app")
        .order_by("pk")
        .values_list("context__outcome", flat=True)
    ) == ["sent back with steps to do", "approved"]
    # A decided request cannot be decided again.
    with pytest.raises(Refused):
        approval_approve(request=follow_up, actor=world["manny"], notes="Again")


def microsoft_is_engaged_and_sends_an_update(world: World, ticket: Ticket, l3: Tier) -> None:
    tom = world["tom"]
    # Vendor engagement: Microsoft's case number and contact, then an update.
    with pytest.raises(Refused) as refused:
        vendor.vendor_engage(ticket=ticket, actor=tom, case_number="", contact="")
    assert refused.value.missing == ["the vendor case number", "the vendor contact"]
    with time_machine.travel(at(23, 15), tick=False):
        engagement = vendor.vendor_engage(
            ticket=ticket, actor=tom, case_number="2611230040001234", contact="Priya S., Microsoft Support"
        )
        vendor.vendor_update(
            engagement=engagement, actor=tom, summary="Microsoft found a stuck transport rule."
        )
    assert (engagement.vendor_name, engagement.tier, engagement.case_number) == (
        "Microsoft",
        l3,
        "2611230040001234",
    )
    assert (
        VendorEngagement.objects.get(ticket=ticket).updates.get().summary
        == "Microsoft found a stuck transport rule."
    )
    assert list(
        ticket.events.filter(kind__in=["vendor_engaged", "vendor_update"]).values_list("kind", "reason")
    ) == [
        ("vendor_engaged", "Microsoft case 2611230040001234, contact Priya S., Microsoft Support."),
        ("vendor_update", "Microsoft found a stuck transport rule."),
    ]
