"""Hand-offs (SPEC §3): the package, return, withdraw, the follow-up request, to-do steps,
refusals that list what is missing, and how the tier time frame follows the ticket
(priority change, waiting on the customer) and ends with it (cancel, close)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import approval_approve, approval_request_changes
from clocks.models import ClockState
from clocks.sweep import sweep_due_deadlines
from escalation_desk.domain import InvalidInput, Refused
from escalations import selectors
from escalations.models import Handoff, HandoffStatus
from escalations.services import handoffs
from notifications.models import Notification
from tickets.models import Status, StepKind, StepState, Ticket
from tickets.services.attachments import ticket_attach
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_update_intake
from tickets.services.lifecycle import (
    ticket_await_customer,
    ticket_cancel,
    ticket_confirm_resolution,
    ticket_customer_replied,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
)
from tickets.services.steps import ticket_add_step, ticket_complete_step

from .conftest import World, at, new_ticket, triaged

pytestmark = pytest.mark.django_db


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines(now=moment)


def step(ticket: Ticket, actor, action: str, outcome: str = "Done", **kwargs):
    return ticket_add_step(
        ticket=ticket,
        actor=actor,
        kind=kwargs.pop("kind", StepKind.OTHER),
        action=action,
        outcome=outcome,
        **kwargs,
    )


def in_engineering(world: World) -> Ticket:
    """An ERP ticket worked by Tier 1, Tier 2 and Engineering, now in Engineering (Monday)."""
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        step(ticket, world["erin"], "Checked the known issues", "None match")
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Posting fails.",
            criterion=world.tier("Tier 2").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["tom"])
        step(ticket, world["tom"], "Replicated in test", "Fails in test too")
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Code-level fault.",
            criterion=world.tier("Engineering").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["ella"])
        step(ticket, world["ella"], "Read the stack trace", "Lock timeout on the line controller")
    ticket.refresh_from_db()
    return ticket


def pending_onsite(world: World) -> tuple[Ticket, Handoff]:
    ticket = in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        handoff = handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            findings="Needs hands on the controller.",
            evidence_note="None: the controller keeps no log.",
        )
    assert handoff.status == HandoffStatus.PENDING_APPROVAL
    return ticket, handoff


# --- the package -----------------------------------------------------------------------------


def test_the_package_carries_the_intake_every_step_with_its_files_per_tier_and_the_ticket_files(
    world: World,
) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(
            world,
            symptoms="Posting hangs",
            business_impact="Month-end close blocked",
            workaround="Post in small batches",
        )
        ticket_start(ticket=ticket, actor=world["erin"])
        first = step(
            ticket,
            world["erin"],
            "Checked the service status",
            "All green",
            kind=StepKind.BASIC_CHECK,
            files=[SimpleUploadedFile("status.png", b"\x89PNG")],
        )
        attachment = ticket_attach(
            ticket=ticket, actor=world["erin"], upload=SimpleUploadedFile("erp.log", b"ERR 42")
        )
        ticket_comment(
            ticket=ticket,
            actor=world["erin"],
            body="See the screenshot",
            files=[SimpleUploadedFile("comment.txt", b"not evidence")],
        )
        pending = step(ticket, world["tess"], "Check the batch size", "", state=StepState.TO_DO)
    criterion = world.tier("Tier 2").criteria.get(text="Potential bug")
    with pytest.raises(Refused) as refused:  # a to-do step must be done before the ticket leaves
        handoffs.escalate(
            ticket=ticket, actor=world["erin"], criterion=criterion, findings="Hangs at 10k lines."
        )
    assert refused.value.missing == ["the suggested troubleshooting steps done first: Check the batch size"]
    with time_machine.travel(at(23, 9, 30), tick=False):
        ticket_complete_step(step=pending, actor=world["erin"], outcome="Hangs from 10,000 lines")
        handoff = handoffs.escalate(
            ticket=ticket, actor=world["erin"], criterion=criterion, findings="Hangs at 10k lines."
        )
    package = handoff.package
    assert {
        k: package[k]
        for k in (
            "from_tier",
            "to_tier",
            "criterion",
            "findings",
            "workaround",
            "evidence_note",
            "assembled_at",
        )
    } == {
        "from_tier": "Tier 1",
        "to_tier": "Tier 2",
        "criterion": "Potential bug",
        "findings": "Hangs at 10k lines.",
        "workaround": "Post in small batches",
        "evidence_note": "",
        "assembled_at": at(23, 9, 30).isoformat(),
    }
    assert package["intake"]["symptoms"] == "Posting hangs"
    assert package["intake"]["business_impact"] == "Month-end close blocked"
    [group] = package["tiers"]
    assert group["tier"] == "Tier 1"
    assert [(s["id"], s["action"], s["outcome"], s["state"]) for s in group["steps"]] == [
        (first.pk, "Checked the service status", "All green", "done"),
        (pending.pk, "Check the batch size", "Hangs from 10,000 lines", "done"),
    ]
    assert [a["name"] for a in group["steps"][0]["attachments"]] == ["status.png"]
    # Files on the ticket itself; those on a comment are conversation, not the package's evidence.
    assert package["files"] == [{"id": attachment.pk, "name": "erp.log"}]
    # The receiving team hears of it.
    told = set(
        Notification.objects.filter(
            kind="escalations.handoff_received", dedup_key=f"handoff:{handoff.pk}:completed"
        ).values_list("recipient__username", flat=True)
    )
    assert told == {"tom", "rachel", "ravi"}


def test_a_chosen_higher_tier_is_allowed_and_the_package_groups_steps_by_tier(world: World) -> None:
    ticket = in_engineering(world)
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Engineering")
    assert [(g["tier"], [s["action"] for s in g["steps"]]) for g in handoff.package["tiers"]] == [
        ("Tier 1", ["Checked the known issues"]),
        ("Tier 2", ["Replicated in test"]),
    ]
    # Skipping Tier 2: straight from Tier 1 to Engineering with one of its criteria.
    with time_machine.travel(at(23, 9), tick=False):
        other = triaged(world)
        ticket_start(ticket=other, actor=world["erin"])
        step(other, world["erin"], "Found a security advisory", "Matches the version")
        jump = handoffs.escalate(
            ticket=other,
            actor=world["erin"],
            to_tier=world.tier("Engineering"),
            criterion=world.tier("Engineering").criteria.get(text="Security concern"),
            findings="Known CVE on this version.",
        )
    assert (jump.status, selectors.current_stint(other).tier.name) == (HandoffStatus.COMPLETED, "Engineering")


# --- refusals and bad input ------------------------------------------------------------------


def test_escalation_refusals_list_what_is_missing_and_leave_nothing_behind(world: World) -> None:
    untriaged = new_ticket(world)
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=untriaged, actor=world["erin"], findings="x")
    assert refused.value.missing == ["a ticket that is open or in progress (this one is new)"]

    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
    # Nothing: no findings, no criterion, no Tier 1 step.
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=world["erin"], findings="  ")
    assert refused.value.missing == [
        "a summary of findings",
        'an escalation criterion for Tier 2: one of "Needs more in-depth technical knowledge"; '
        '"Potential bug"',
        "at least 1 troubleshooting step(s) with outcome documented in Tier 1 (there are 0)",
    ]
    assert refused.value.missing == selectors.handoff_missing(
        ticket, world.tier("Tier 1"), world.tier("Tier 2"), criterion=None, findings="", evidence_note=""
    )
    assert selectors.requirements_of(world.tier("Onsite Support")) == [
        "a summary of findings",
        "at least 1 troubleshooting step(s) with outcome documented by the tier it leaves",
        "troubleshooting documented by every internal tier below it",
        'logs and screenshots attached, or "none" stated',
        "a team leader's approval",
    ]
    # Who may not: an engineer of another team, the customer.
    with pytest.raises(PermissionDenied):
        handoffs.escalate(ticket=ticket, actor=world["tom"], findings="x")
    with pytest.raises(PermissionDenied):
        handoffs.escalate(ticket=ticket, actor=world["carla"], findings="x")
    # Bad input: a lower or same tier, another ladder's tier, a criterion of another tier.
    with pytest.raises(InvalidInput) as invalid:
        handoffs.escalate(ticket=ticket, actor=world["erin"], to_tier=world.tier("Tier 1"), findings="x")
    assert invalid.value.errors == {"to_tier": ["Tier 1 is not above Tier 1 on this ticket's ladder."]}
    with pytest.raises(InvalidInput):
        handoffs.escalate(
            ticket=ticket, actor=world["erin"], to_tier=world.tier("L2", world.microsoft), findings="x"
        )
    with pytest.raises(InvalidInput):
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            criterion=world.tier("Engineering").criteria.first(),
            findings="x",
        )
    # A stale form: the ticket moved on since the page was loaded.
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=world["erin"], from_tier=world.tier("Tier 2"), findings="x")
    assert refused.value.missing == ["the ticket to still be in Tier 2: it is now in Tier 1"]
    assert not Handoff.objects.exists()
    assert ticket.events.filter(kind__in=["handoff_requested", "escalated"]).count() == 0


def test_one_hand_off_in_flight_at_a_time_and_nothing_above_the_last_tier(world: World) -> None:
    ticket, _ = pending_onsite(world)
    with pytest.raises(Refused) as refused:
        handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            to_tier=world.tier("Vendor"),
            findings="Vendor now",
            evidence_note="none",
        )
    assert refused.value.missing == [
        "no other hand-off in flight: Engineering → Onsite Support is pending approval (withdraw it first)"
    ]
    with pytest.raises(Refused):
        handoffs.return_to_tier(
            ticket=ticket, actor=world["ella"], to_tier=world.tier("Tier 1"), findings="Back"
        )

    # Past every tier (an engineer may escalate past the last one): no tier above the decision point.
    with time_machine.travel(at(23, 9), tick=False):
        top = triaged(world)
        ticket_start(ticket=top, actor=world["erin"])
        handoffs.escalate(
            ticket=top,
            actor=world["erin"],
            to_tier=world.tier("IT Manager decision"),
            findings="Nothing any tier can do.",
        )
    top.refresh_from_db()
    assert (selectors.current_stint(top).tier.name, top.team.name) == ("IT Manager decision", "IT Management")
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=top, actor=world["ivan"], findings="Up")
    assert refused.value.missing == ["a tier above IT Manager decision on the ladder"]


def test_a_ticket_waiting_on_the_customer_or_resolved_cannot_be_escalated(world: World) -> None:
    ticket = in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        ticket_await_customer(ticket=ticket, actor=world["ella"], reason="Controller model?")
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=world["ella"], findings="More", evidence_note="none")
    assert refused.value.missing == ["a ticket that is open or in progress (this one is waiting on customer)"]
    with time_machine.travel(at(23, 10, 30), tick=False):
        ticket_customer_replied(ticket=ticket, actor=world["ella"], note="Phoned: model X200.")
    with time_machine.travel(at(23, 11), tick=False):
        ticket_resolve(
            ticket=ticket,
            actor=world["ella"],
            resolution_summary="Fixed",
            root_cause="Lock",
            fix_kind="permanent",
            knowledge_article="KB-1",
        )
    ticket.refresh_from_db()
    # A resolved ticket is not worked any more: the refusal says why.
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=world["ella"], findings="More", evidence_note="none")
    assert refused.value.missing == ["a ticket that is open or in progress (this one is resolved)"]


# --- withdraw, send back and the follow-up --------------------------------------------------


def test_withdrawing_a_pending_hand_off_cancels_its_approval_request(world: World) -> None:
    ticket, handoff = pending_onsite(world)
    request = handoff.approval
    with pytest.raises(Refused) as refused:
        handoffs.handoff_withdraw(handoff=handoff, actor=world["ella"], reason=" ")
    assert refused.value.missing == ["the reason for withdrawing"]
    with pytest.raises(PermissionDenied):
        handoffs.handoff_withdraw(handoff=handoff, actor=world["erin"], reason="Not mine")
    with time_machine.travel(at(23, 11), tick=False):
        handoffs.handoff_withdraw(handoff=handoff, actor=world["ella"], reason="Found the fix ourselves.")
    handoff.refresh_from_db()
    request.refresh_from_db()
    assert (handoff.status, handoff.withdrawn_reason) == (HandoffStatus.WITHDRAWN, "Found the fix ourselves.")
    assert (request.status, request.cancel_reason) == (
        ApprovalStatus.CANCELLED,
        "Hand-off withdrawn: Found the fix ourselves.",
    )
    assert list(ApprovalRequest.objects.decidable_by(world["kenji"])) == []
    event = ticket.events.get(kind="handoff_withdrawn")
    assert (event.actor, event.source, event.target, event.reason) == (
        world["ella"],
        "Engineering",
        "Onsite Support",
        "Found the fix ourselves.",
    )
    assert selectors.current_stint(ticket).tier.name == "Engineering"
    with pytest.raises(Refused) as refused:
        handoffs.handoff_withdraw(handoff=handoff, actor=world["ella"], reason="Again")
    assert refused.value.missing == ["a hand-off still in flight (this one is withdrawn)"]
    with pytest.raises(Refused):
        approval_approve(request=request, actor=world["kenji"], notes="Too late")

    # A new request after a withdrawal is a fresh one, not a follow-up.
    with time_machine.travel(at(23, 12), tick=False):
        again = handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            findings="It came back.",
            evidence_note="None: the controller keeps no log.",
        )
    assert (again.previous, again.approval.previous, again.status) == (
        None,
        None,
        HandoffStatus.PENDING_APPROVAL,
    )


def test_request_changes_gives_to_do_steps_and_the_next_request_follows_the_previous(world: World) -> None:
    ticket, handoff = pending_onsite(world)
    with pytest.raises(Refused) as refused:
        approval_request_changes(request=handoff.approval, actor=world["kenji"], steps=["", "  "])
    assert refused.value.missing == ["the additional troubleshooting steps to perform"]
    with time_machine.travel(at(23, 11), tick=False):
        approval_request_changes(
            request=handoff.approval,
            actor=world["kenji"],
            steps=["Power-cycle the controller remotely"],
            notes="Try remotely first.",
        )
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.SENT_BACK
    [to_do] = selectors.steps_to_do(ticket)
    assert (to_do.kind, to_do.state, to_do.action, to_do.outcome) == (
        StepKind.SUGGESTED,
        StepState.TO_DO,
        "Power-cycle the controller remotely",
        "",
    )

    with pytest.raises(InvalidInput):
        ticket_complete_step(step=to_do, actor=world["ella"], outcome="")
    with time_machine.travel(at(23, 12), tick=False):
        ticket_complete_step(step=to_do, actor=world["ella"], outcome="Still hangs after power-cycle")
    with pytest.raises(Refused):
        ticket_complete_step(step=to_do, actor=world["ella"], outcome="Twice")
    to_do.refresh_from_db()
    assert (to_do.state, to_do.team.name) == (StepState.DONE, "Engineering")
    assert ticket.events.filter(kind="step_done", details__step=to_do.pk).count() == 1

    with time_machine.travel(at(23, 13), tick=False):
        follow = handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            findings="Remote power-cycle did not help.",
            evidence_note="None: the controller keeps no log.",
        )
    assert (follow.previous, follow.approval.previous) == (handoff, handoff.approval)
    requested = ticket.events.filter(kind="approval_requested").order_by("pk").last()
    assert requested.details["previous_approval"] == handoff.approval.pk
    # A sent-back request has had its follow-up: a third request would link to the second.
    with time_machine.travel(at(23, 14), tick=False):
        approval_request_changes(request=follow.approval, actor=world["mara"], steps=["Call the plant"])
        ticket_complete_step(
            step=selectors.steps_to_do(ticket)[0],
            actor=world["ella"],
            outcome="Plant confirms the controller is frozen",
        )
        third = handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            findings="Frozen controller.",
            evidence_note="None: the controller keeps no log.",
        )
    assert (third.previous, third.approval.previous) == (follow, follow.approval)


# --- the tier time frame follows the ticket ---------------------------------------------------


def test_a_priority_change_retargets_the_tier_time_frame(world: World) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)  # P2: Tier 1 has an hour
        ticket_start(ticket=ticket, actor=world["erin"])
        step(ticket, world["erin"], "Checked", "Nothing")
    clock = selectors.current_stint(ticket).clock
    assert clock.due_at == at(23, 10)
    with time_machine.travel(at(23, 9, 20), tick=False):
        ticket_update_intake(ticket=ticket, actor=world["erin"], priority="P3")  # 4 h
    clock.refresh_from_db()
    assert (clock.target_seconds, clock.warn_at, clock.due_at) == (4 * 3600, at(23, 12), at(23, 13))
    with time_machine.travel(at(23, 9, 25), tick=False):
        ticket_update_intake(ticket=ticket, actor=world["erin"], priority="P1")  # 30 min
    clock.refresh_from_db()
    # 25 minutes used of 30: the warning point (22.5 min) is already behind, so it is due now.
    assert (clock.target_seconds, clock.warn_at, clock.due_at) == (30 * 60, at(23, 9, 25), at(23, 9, 30))
    sweep_at(at(23, 9, 29))
    assert selectors.current_stint(ticket).tier.name == "Tier 1"
    assert ticket.events.filter(kind="tier_warning").count() == 1
    sweep_at(at(23, 9, 30))
    stint = selectors.current_stint(ticket)
    assert stint.tier.name == "Tier 2"
    # The next tier takes the new priority's time frame: P1 in Tier 2 is 2 h.
    assert (stint.clock.target_seconds, stint.clock.due_at) == (2 * 3600, at(23, 11, 30))


def test_waiting_on_the_customer_pauses_the_tier_time_frame(world: World) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
    with time_machine.travel(at(23, 9, 30), tick=False):  # 30 of Tier 1's 60 minutes used
        ticket_await_customer(ticket=ticket, actor=world["erin"], reason="Send the error screen")
    clock = selectors.current_stint(ticket).clock
    clock.refresh_from_db()
    assert clock.state == ClockState.PAUSED
    sweep_at(at(23, 16))  # long past 10:00: nothing fires while waiting
    assert ticket.events.filter(kind__in=["tier_warning", "tier_breach"]).count() == 0
    assert selectors.current_stint(ticket).tier.name == "Tier 1"
    with time_machine.travel(at(24, 9), tick=False):  # Tuesday: the customer answers
        ticket_comment(ticket=ticket, actor=world["carla"], body="Screenshot attached.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    clock.refresh_from_db()
    assert (clock.state, clock.warn_at, clock.due_at) == (ClockState.RUNNING, at(24, 9, 15), at(24, 9, 30))
    step(ticket, world["erin"], "Read the screenshot", "Posting error 504")
    sweep_at(at(24, 9, 14))
    assert ticket.events.filter(kind="tier_warning").count() == 0
    sweep_at(at(24, 9, 15))
    sweep_at(at(24, 9, 30))
    assert selectors.current_stint(ticket).tier.name == "Tier 2"
    assert list(ticket.events.filter(kind__in=["tier_warning", "tier_breach"]).values_list("kind", "at")) == [
        ("tier_warning", at(24, 9, 15)),
        ("tier_breach", at(24, 9, 30)),
    ]


# --- the ticket ends: nothing stays in flight -------------------------------------------------


def test_cancelling_the_ticket_withdraws_the_pending_hand_off_and_cancels_its_approval(world: World) -> None:
    ticket, handoff = pending_onsite(world)
    with time_machine.travel(at(23, 11), tick=False):
        ticket_cancel(
            ticket=ticket,
            actor=world["ella"],
            reason="withdrawn",
            note="The customer replaced the controller.",
        )
    handoff.refresh_from_db()
    handoff.approval.refresh_from_db()
    assert (handoff.status, handoff.withdrawn_reason) == (
        HandoffStatus.WITHDRAWN,
        "The ticket was cancelled.",
    )
    assert (handoff.approval.status, handoff.approval.cancel_reason) == (
        ApprovalStatus.CANCELLED,
        "The ticket was cancelled.",
    )
    assert ticket.events.filter(kind="handoff_withdrawn", reason="The ticket was cancelled.").count() == 1
    assert selectors.current_stint(ticket).clock.state == ClockState.STOPPED
    # Nothing fires later: the tier clock and the approval's decision clock are stopped.
    sweep_at(at(30, 12))
    assert (
        ticket.events.filter(
            kind__in=["tier_warning", "tier_breach", "approval_reminder", "approval_overdue"]
        ).count()
        == 0
    )
    assert not Notification.objects.filter(kind__in=["approvals.reminder", "approvals.overdue"]).exists()


def test_closing_the_ticket_withdraws_the_pending_hand_off_and_an_approval_after_resolve_is_refused(
    world: World,
) -> None:
    ticket, handoff = pending_onsite(world)
    with time_machine.travel(at(23, 11), tick=False):
        ticket_resolve(
            ticket=ticket,
            actor=world["ella"],
            resolution_summary="Fixed remotely",
            root_cause="Frozen controller",
            fix_kind="workaround",
            knowledge_none_reason="Hardware fault, nothing to document",
        )
    # Resolved meanwhile: the escalation can no longer be approved (nothing is changed).
    with pytest.raises(Refused) as refused:
        approval_approve(request=handoff.approval, actor=world["kenji"], notes="Go")
    assert refused.value.missing == ["a ticket that is open or in progress (this one is resolved)"]
    handoff.refresh_from_db()
    handoff.approval.refresh_from_db()
    assert (handoff.status, handoff.approval.status) == (
        HandoffStatus.PENDING_APPROVAL,
        ApprovalStatus.PENDING,
    )
    with time_machine.travel(at(23, 12), tick=False):
        ticket_confirm_resolution(ticket=ticket, actor=world["carla"])
    handoff.refresh_from_db()
    handoff.approval.refresh_from_db()
    assert (handoff.status, handoff.withdrawn_reason) == (HandoffStatus.WITHDRAWN, "The ticket was closed.")
    assert handoff.approval.status == ApprovalStatus.CANCELLED
    assert selectors.current_stint(ticket).tier.name == "Engineering"


def test_a_team_leaders_own_request_goes_to_the_manager_and_the_requester_hears_the_decision(
    world: World,
) -> None:
    ticket = in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        handoff = handoffs.escalate(
            ticket=ticket,
            actor=world["kenji"],
            findings="I want Dan there.",
            evidence_note="None: the controller keeps no log.",
        )
    request = handoff.approval
    assert {u.username for u in request.approvers.all()} == {"mara"}
    with pytest.raises(PermissionDenied, match="your own request"):
        approval_approve(request=request, actor=world["kenji"], notes="Obviously")
    with time_machine.travel(at(23, 11), tick=False):
        approval_approve(request=request, actor=world["mara"], notes="Agreed: on site tomorrow.")
    assert set(
        Notification.objects.filter(kind="escalations.approval_decided").values_list(
            "recipient__username", flat=True
        )
    ) == {"kenji"}
    message = Notification.objects.filter(kind="escalations.approval_decided").first().context["message"]
    assert "approved" in message and "Agreed: on site tomorrow." in message


def test_an_automatic_request_without_evidence_is_replaced_by_one_that_states_there_is_none(
    world: World,
) -> None:
    """The system cannot say "there are no logs": the engineer withdraws its request and files
    their own with the evidence note; the approver then approves the complete one."""
    ticket = in_engineering(world)  # in Engineering since Monday 09:00: 8 h → Tuesday 09:00
    sweep_at(at(24, 9))
    automatic = Handoff.objects.get(ticket=ticket, to_tier__name="Onsite Support")
    assert (automatic.automatic, automatic.missing) == (
        True,
        ["logs and screenshots attached, or a statement that there are none"],
    )
    with pytest.raises(Refused) as refused:
        approval_approve(request=automatic.approval, actor=world["kenji"], notes="Go")
    assert refused.value.missing == ["logs and screenshots attached, or a statement that there are none"]
    with time_machine.travel(at(24, 9, 30), tick=False):
        handoffs.handoff_withdraw(handoff=automatic, actor=world["ella"], reason="Replaced: no logs exist.")
        mine = handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            findings="Controller frozen.",
            evidence_note="None: the controller keeps no log.",
        )
    assert ({u.username for u in mine.approval.approvers.all()}, mine.missing) == ({"kenji", "mara"}, [])
    with time_machine.travel(at(24, 10), tick=False):
        approval_approve(request=mine.approval, actor=world["kenji"], notes="Go")
    assert selectors.current_stint(ticket).tier.name == "Onsite Support"
    automatic.refresh_from_db()
    assert (automatic.status, automatic.approval.status) == (
        HandoffStatus.WITHDRAWN,
        ApprovalStatus.CANCELLED,
    )


def test_a_follow_up_that_was_withdrawn_leaves_the_next_request_unlinked_on_both_sides(world: World) -> None:
    """Sent back → follow-up filed → follow-up withdrawn → a third request: the sent-back request
    already had its follow-up, so the third links to nothing — the hand-off and the approval agree."""
    ticket, first = pending_onsite(world)
    with time_machine.travel(at(23, 11), tick=False):
        approval_request_changes(request=first.approval, actor=world["kenji"], steps=["Call the plant"])
        ticket_complete_step(step=selectors.steps_to_do(ticket)[0], actor=world["ella"], outcome="Frozen")
        second = handoffs.escalate(
            ticket=ticket, actor=world["ella"], findings="Frozen", evidence_note="none"
        )
        handoffs.handoff_withdraw(handoff=second, actor=world["ella"], reason="Trying one more thing")
        third = handoffs.escalate(
            ticket=ticket, actor=world["ella"], findings="Still frozen", evidence_note="none"
        )
    assert (second.previous, second.approval.previous) == (first, first.approval)
    assert (third.previous, third.approval.previous) == (None, None)


def test_resolving_pauses_the_tier_time_frame_and_reopening_resumes_it(world: World) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
    with time_machine.travel(at(23, 9, 20), tick=False):  # 20 of Tier 1's 60 minutes used
        ticket_resolve(
            ticket=ticket,
            actor=world["erin"],
            resolution_summary="Cleared the cache",
            root_cause="Stale cache",
            fix_kind="workaround",
        )
    clock = selectors.current_stint(ticket).clock
    clock.refresh_from_db()
    assert clock.state == ClockState.PAUSED
    sweep_at(at(23, 12))
    assert ticket.events.filter(kind__in=["tier_warning", "tier_breach"]).count() == 0
    with time_machine.travel(at(23, 14), tick=False):
        ticket_reopen(ticket=ticket, actor=world["carla"], reason="It is back")
    clock.refresh_from_db()
    assert (clock.state, clock.warn_at, clock.due_at) == (ClockState.RUNNING, at(23, 14, 25), at(23, 14, 40))
