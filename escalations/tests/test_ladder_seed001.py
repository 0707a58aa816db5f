"""Seed 001, the whole ladder by time travel: a P2 ticket that nobody resolves climbs by tier
time-frame breaches alone, stops at each gate with an approval request, and reaches the IT
manager only after the vendor tier's time frame passed (SPEC §3–§5).

Time frames (escalations/presets.py, P2) on the office calendar Mon–Fri 09:00–17:00 London,
warning at 75 %: Tier 1 1 h, Tier 2 4 h, Engineering 8 h, Onsite 8 h, Vendor 16 h, IT Manager
decision 4 h; an approval's decision time frame is 240 business minutes (reminder at 75 %).

The gates of Onsite and Vendor need every internal tier's troubleshooting documented and
evidence attached (or "none" stated). An automatic request is filed even when the package
misses some of it (the time frame passed: a person must look now) and records what is
missing; approving re-checks the gate, so the approver cannot wave an incomplete package
through. The engineers therefore document their work in each tier, Engineering only after
the approver was refused — which is what a team leader reading "still missing" would ask.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import approval_approve
from clocks.sweep import sweep_due_deadlines
from escalation_desk.domain import Refused
from escalations.models import Handoff, HandoffStatus, TierStint
from escalations.selectors import current_stint
from escalations.services.tiers import TIER_CLOCK
from notifications.models import Notification
from tickets.models import StepKind, Ticket
from tickets.services.lifecycle import ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

LADDER_KINDS = {
    "tier_entered",
    "tier_warning",
    "tier_breach",
    "handoff_requested",
    "escalated",
    "returned",
    "approval_requested",
    "approval_reminder",
    "approval_overdue",
    "approval_granted",
    "approval_changes_requested",
    "auto_escalation_skipped",
}


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines(now=moment)


def ladder_events(ticket: Ticket) -> list[tuple[str, str, str, datetime]]:
    return [
        (e.kind, e.source, e.target, e.at)
        for e in ticket.events.filter(kind__in=LADDER_KINDS).order_by("at", "pk")
    ]


def tier_of(ticket: Ticket) -> str:
    return current_stint(ticket).tier.name


def tier_clock(ticket: Ticket):
    return current_stint(ticket).clock


def recipients(kind: str, approval: ApprovalRequest) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, dedup_key__startswith=f"approval:{approval.pk}:").values_list(
            "recipient__username", flat=True
        )
    )


def test_an_unresolved_p2_ticket_climbs_the_whole_ladder_by_time_frames_alone(world: World) -> None:
    ticket = placed_in_tier_1(world)
    tier_1_works_without_resolving(world, ticket)
    tier_1_breaches_and_the_ticket_climbs_to_tier_2(ticket)
    tier_2_works_and_breaches_to_engineering(world, ticket)
    onsite, approval = engineering_breaches_into_the_onsite_gate(ticket)
    nobody_decides_and_the_ticket_waits_at_the_gate(ticket, approval)
    the_approver_cannot_approve_an_incomplete_package(world, onsite, approval)
    engineering_documents_and_the_onsite_gate_opens(world, ticket, onsite, approval)
    onsite_breaches_into_the_vendor_gate_and_it_is_approved(world, ticket)
    last = the_vendor_breach_alone_reaches_the_it_manager(ticket)
    the_stints_follow_the_ladder(ticket)
    the_timeline_tells_the_story(ticket, last)


def placed_in_tier_1(world: World) -> Ticket:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)  # P2 on ERP: the service request ladder
    assert tier_of(ticket) == "Tier 1"
    clock = tier_clock(ticket)
    assert (clock.kind, clock.warn_at, clock.due_at) == (TIER_CLOCK, at(23, 9, 45), at(23, 10))
    return ticket


def tier_1_works_without_resolving(world: World, ticket: Ticket) -> None:
    # Tier 1 works the ticket but does not resolve it.
    with time_machine.travel(at(23, 9, 10), tick=False):
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.KNOWN_ISSUE,
            action="Searched the known issues",
            outcome="Nothing matches",
        )
    sweep_at(at(23, 9, 44))
    assert ticket.events.filter(kind="tier_warning").count() == 0
    sweep_at(at(23, 9, 45))
    assert ticket.events.filter(kind="tier_warning").count() == 1
    sweep_at(at(23, 9, 59))
    assert tier_of(ticket) == "Tier 1"


def tier_1_breaches_and_the_ticket_climbs_to_tier_2(ticket: Ticket) -> None:
    # 10:00 Tier 1's hour passed: breach, then the automatic escalation in the sweep's next batch.
    sweep_at(at(23, 10))
    ticket.refresh_from_db()
    assert (tier_of(ticket), ticket.team.name, ticket.status, ticket.assignee) == (
        "Tier 2",
        "Tier 2",
        "open",
        None,
    )
    first = Handoff.objects.get(ticket=ticket, to_tier__name="Tier 2")
    assert (first.automatic, first.status, first.requested_by) == (True, HandoffStatus.COMPLETED, None)
    # Automatic: what a person would have had to give is recorded, not used as a refusal.
    assert first.missing == [
        'an escalation criterion for Tier 2: one of "Needs more in-depth technical knowledge"; '
        '"Potential bug"'
    ]
    assert [g["tier"] for g in first.package["tiers"]] == ["Tier 1"]
    clock = tier_clock(ticket)
    assert (clock.warn_at, clock.due_at) == (at(23, 13), at(23, 14))


def tier_2_works_and_breaches_to_engineering(world: World, ticket: Ticket) -> None:
    with time_machine.travel(at(23, 10, 30), tick=False):
        ticket_start(ticket=ticket, actor=world["tom"])
        ticket_add_step(
            ticket=ticket,
            actor=world["tom"],
            kind=StepKind.REPLICATION,
            action="Replicated the posting in the test ERP",
            outcome="Fails the same way in test",
        )
    sweep_at(at(23, 13))
    sweep_at(at(23, 14))
    ticket.refresh_from_db()
    assert (tier_of(ticket), ticket.team.name) == ("Engineering", "Engineering")
    # 8 business hours from Monday 14:00: Tuesday 12:00 (warning) and 14:00 (breach).
    clock = tier_clock(ticket)
    assert (clock.warn_at, clock.due_at) == (at(24, 12), at(24, 14))


def engineering_breaches_into_the_onsite_gate(ticket: Ticket) -> tuple[Handoff, ApprovalRequest]:
    # Tuesday 14:00: Engineering's time frame passed; Onsite Support is gated → an approval request.
    sweep_at(at(24, 12))
    sweep_at(at(24, 14))
    ticket.refresh_from_db()
    assert (tier_of(ticket), ticket.team.name) == ("Engineering", "Engineering")
    onsite = Handoff.objects.get(ticket=ticket, to_tier__name="Onsite Support")
    assert (onsite.status, onsite.automatic) == (HandoffStatus.PENDING_APPROVAL, True)
    assert onsite.missing == [
        "at least 1 troubleshooting step(s) with outcome documented in Engineering (there are 0)",
        "logs and screenshots attached, or a statement that there are none",
    ]
    approval = onsite.approval
    assert approval.status == ApprovalStatus.PENDING
    assert approval.requested_by is None
    assert approval.missing == onsite.missing
    assert {u.username for u in approval.approvers.all()} == {"kenji", "mara"}
    assert {u.username for u in approval.overdue_recipients.all()} == {"mara"}
    assert recipients("approvals.requested", approval) == {"kenji", "mara"}
    # The approvers' mail threads with the ticket's other mails.
    assert set(Notification.objects.filter(kind="approvals.requested").values_list("thread", flat=True)) == {
        f"ticket-{ticket.pk}"
    }
    return onsite, approval


def nobody_decides_and_the_ticket_waits_at_the_gate(ticket: Ticket, approval: ApprovalRequest) -> None:
    # Nobody decides: reminder at Tuesday 17:00 (180 min), overdue Wednesday 10:00 (240 min);
    # the ticket waits at the gate, it does not slip past it to the IT manager.
    sweep_at(at(24, 16, 59))
    assert recipients("approvals.reminder", approval) == set()
    sweep_at(at(24, 17))
    assert recipients("approvals.reminder", approval) == {"kenji", "mara"}
    sweep_at(at(25, 10))
    assert recipients("approvals.overdue", approval) == {"mara"}
    sweep_at(at(25, 10, 20))
    ticket.refresh_from_db()
    assert tier_of(ticket) == "Engineering"
    assert not TierStint.objects.filter(
        ticket=ticket, tier__name__in=["Onsite Support", "IT Manager decision"]
    ).exists()
    assert Handoff.objects.filter(ticket=ticket).count() == 3


def the_approver_cannot_approve_an_incomplete_package(
    world: World, onsite: Handoff, approval: ApprovalRequest
) -> None:
    # The approver reads "still missing" and cannot approve an incomplete package.
    with time_machine.travel(at(25, 10, 30), tick=False), pytest.raises(Refused) as refused:
        approval_approve(request=approval, actor=world["kenji"], notes="Send Dan to the plant.")
    assert refused.value.missing == onsite.missing
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def engineering_documents_and_the_onsite_gate_opens(
    world: World, ticket: Ticket, onsite: Handoff, approval: ApprovalRequest
) -> None:
    # Engineering documents its work with the log; now the gate is met.
    with time_machine.travel(at(25, 11), tick=False):
        ticket_start(ticket=ticket, actor=world["ella"])
        ticket_add_step(
            ticket=ticket,
            actor=world["ella"],
            kind=StepKind.LOG_ANALYSIS,
            action="Read the posting service log",
            outcome="Lock timeouts on the plant's line controller",
            files=[SimpleUploadedFile("posting.log", b"ERR")],
        )
    with time_machine.travel(at(25, 11, 30), tick=False):
        approval_approve(request=approval, actor=world["kenji"], notes="Documented by all tiers; send Dan.")
    ticket.refresh_from_db()
    assert (tier_of(ticket), ticket.team.name) == ("Onsite Support", "Onsite Support")
    onsite.refresh_from_db()
    assert onsite.status == HandoffStatus.COMPLETED
    # 8 business hours from Wednesday 11:30: Thursday 09:30 (warning) and 11:30 (breach).
    clock = tier_clock(ticket)
    assert (clock.warn_at, clock.due_at) == (at(26, 9, 30), at(26, 11, 30))


def onsite_breaches_into_the_vendor_gate_and_it_is_approved(world: World, ticket: Ticket) -> None:
    sweep_at(at(26, 9, 30))
    sweep_at(at(26, 11, 30))
    ticket.refresh_from_db()
    assert tier_of(ticket) == "Onsite Support"
    vendor = Handoff.objects.get(ticket=ticket, to_tier__name="Vendor")
    assert (vendor.status, vendor.automatic, vendor.missing) == (HandoffStatus.PENDING_APPROVAL, True, [])
    assert {u.username for u in vendor.approval.approvers.all()} == {"beth", "mara"}
    with time_machine.travel(at(26, 12), tick=False):
        approval_approve(
            request=vendor.approval, actor=world["beth"], notes="Onsite could not fix it: vendor."
        )
    ticket.refresh_from_db()
    assert (tier_of(ticket), ticket.team.name) == ("Vendor", "Tier 2")
    # 16 business hours from Thursday 12:00: Friday 16:00 (warning, 12 h), Monday 30th 12:00 (breach).
    clock = tier_clock(ticket)
    assert (clock.warn_at, clock.due_at) == (at(27, 16), at(30, 12))


def the_vendor_breach_alone_reaches_the_it_manager(ticket: Ticket) -> Handoff:
    sweep_at(at(27, 16))
    sweep_at(at(30, 11, 59))
    assert tier_of(ticket) == "Vendor"
    assert not TierStint.objects.filter(ticket=ticket, tier__name="IT Manager decision").exists()

    # Only when the last tier's time frame passed does the ticket reach the IT manager.
    sweep_at(at(30, 12))
    ticket.refresh_from_db()
    assert (tier_of(ticket), ticket.team.name) == ("IT Manager decision", "IT Management")
    last = Handoff.objects.get(ticket=ticket, to_tier__name="IT Manager decision")
    assert (last.automatic, last.status, last.completed_at) == (True, HandoffStatus.COMPLETED, at(30, 12))
    return last


def the_stints_follow_the_ladder(ticket: Ticket) -> None:
    assert [(s.tier.name, s.entered_at, s.left_at) for s in TierStint.objects.filter(ticket=ticket)] == [
        ("Tier 1", at(23, 9), at(23, 10)),
        ("Tier 2", at(23, 10), at(23, 14)),
        ("Engineering", at(23, 14), at(25, 11, 30)),
        ("Onsite Support", at(25, 11, 30), at(26, 12)),
        ("Vendor", at(26, 12), at(30, 12)),
        ("IT Manager decision", at(30, 12), None),
    ]


def the_timeline_tells_the_story(ticket: Ticket, last: Handoff) -> None:
    """In order, at the instants computed above."""
    assert ladder_events(ticket) == [
        ("tier_entered", "", "Tier 1", at(23, 9)),
        ("tier_warning", "Tier 1", "", at(23, 9, 45)),
        ("tier_breach", "Tier 1", "", at(23, 10)),
        ("handoff_requested", "Tier 1", "Tier 2", at(23, 10)),
        ("escalated", "Tier 1", "Tier 2", at(23, 10)),
        ("tier_warning", "Tier 2", "", at(23, 13)),
        ("tier_breach", "Tier 2", "", at(23, 14)),
        ("handoff_requested", "Tier 2", "Engineering", at(23, 14)),
        ("escalated", "Tier 2", "Engineering", at(23, 14)),
        ("tier_warning", "Engineering", "", at(24, 12)),
        ("tier_breach", "Engineering", "", at(24, 14)),
        ("handoff_requested", "Engineering", "Onsite Support", at(24, 14)),
        ("approval_requested", "", "Onsite Support", at(24, 14)),
        ("approval_reminder", "", "", at(24, 17)),
        ("approval_overdue", "", "", at(25, 10)),
        ("approval_granted", "", "Onsite Support", at(25, 11, 30)),
        ("escalated", "Engineering", "Onsite Support", at(25, 11, 30)),
        ("tier_warning", "Onsite Support", "", at(26, 9, 30)),
        ("tier_breach", "Onsite Support", "", at(26, 11, 30)),
        ("handoff_requested", "Onsite Support", "Vendor", at(26, 11, 30)),
        ("approval_requested", "", "Vendor", at(26, 11, 30)),
        ("approval_granted", "", "Vendor", at(26, 12)),
        ("escalated", "Onsite Support", "Vendor", at(26, 12)),
        ("tier_warning", "Vendor", "", at(27, 16)),
        ("tier_breach", "Vendor", "", at(30, 12)),
        ("handoff_requested", "Vendor", "IT Manager decision", at(30, 12)),
        ("escalated", "Vendor", "IT Manager decision", at(30, 12)),
    ]
    granted = ticket.events.get(kind="approval_granted", target="Onsite Support")
    assert (granted.actor.username, granted.reason) == ("kenji", "Documented by all tiers; send Dan.")
    # Each breach says it escalated automatically; nobody escalated by hand.
    assert all(h.automatic and h.requested_by is None for h in Handoff.objects.filter(ticket=ticket))
    assert ticket.events.filter(kind="auto_escalation_skipped").count() == 0
    # The IT manager is told, and the decision point has its own time frame (P2: 4 h → 16:00).
    assert Notification.objects.filter(
        kind="escalations.handoff_received",
        recipient__username="ivan",
        dedup_key=f"handoff:{last.pk}:completed",
    ).exists()
    assert tier_clock(ticket).due_at == at(30, 16)
