"""Internal consults with their reply time frame, vendor engagements in vendor tiers, and the
IT manager's decision point (SPEC §3; seeds 001 and 003)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from approvals.services import approval_approve
from clocks.models import ClockState
from clocks.sweep import sweep_due_deadlines
from escalation_desk.domain import InvalidInput, Refused
from escalations import selectors
from escalations.models import ConsultStatus, DecisionOutcome, Direction, Handoff, ManagerDecision
from escalations.services import consults, decisions, handoffs, vendor
from notifications.models import Notification
from tickets.models import StepKind, Ticket
from tickets.services.lifecycle import ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines(now=moment)


def told(kind: str, key: str) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, dedup_key=key).values_list("recipient__username", flat=True)
    )


def in_tier_2(world: World) -> Ticket:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked the VPN",
            outcome="Connected",
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Timeouts to the ERP host.",
            criterion=world.tier("Tier 2").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["tom"])
    ticket.refresh_from_db()
    return ticket


# --- consults --------------------------------------------------------------------------------


def test_a_consult_warns_and_breaches_on_its_reply_time_frame_and_only_the_consulted_team_replies(
    world: World,
) -> None:
    ticket = in_tier_2(world)
    network = world.teams["Network Operations"]
    with pytest.raises(InvalidInput) as invalid:
        consults.consult_request(
            ticket=ticket, actor=world["tom"], team=network, question=" ", reply_minutes=0
        )
    assert set(invalid.value.errors) == {"question", "reply_minutes"}
    with pytest.raises(Refused) as refused:
        consults.consult_request(ticket=ticket, actor=world["tom"], team=world.teams["Tier 2"], question="?")
    assert refused.value.missing == ["another team than Tier 2, which already has the ticket"]
    with pytest.raises(PermissionDenied):
        consults.consult_request(ticket=ticket, actor=world["erin"], team=network, question="Firewall?")

    with time_machine.travel(at(23, 10), tick=False):
        consult = consults.consult_request(
            ticket=ticket,
            actor=world["tom"],
            team=network,
            question="Any firewall change on the ERP subnet?",
            reply_minutes=60,
        )
    assert (consult.state, consult.reply_minutes) == (ConsultStatus.OPEN, 60)
    assert told("escalations.consult_requested", f"consult:{consult.pk}:requested") == {"nils", "victor"}
    clock = consults._consult_clock(consult)
    assert (clock.warn_at, clock.due_at) == (at(23, 10, 45), at(23, 11))
    # The ticket stays where it is: a consult is not a hand-off.
    assert (selectors.current_stint(ticket).tier.name, Handoff.objects.filter(ticket=ticket).count()) == (
        "Tier 2",
        1,
    )

    sweep_at(at(23, 10, 44))
    assert ticket.events.filter(kind__startswith="consult_").exclude(kind="consult_requested").count() == 0
    sweep_at(at(23, 10, 45))
    assert told("escalations.consult_warning", f"clock:{clock.pk}:warning") == {"victor"}
    sweep_at(at(23, 11))
    assert told("escalations.consult_breach", f"clock:{clock.pk}:breach") == {"tom", "victor"}
    assert list(
        ticket.events.filter(kind__startswith="consult_").order_by("pk").values_list("kind", "at")
    ) == [
        ("consult_requested", at(23, 10)),
        ("consult_warning", at(23, 10, 45)),
        ("consult_breach", at(23, 11)),
    ]

    # Only the consulted team replies: not the asker, not another team.
    for outsider in ("tom", "erin", "ella"):
        with pytest.raises(PermissionDenied):
            consults.consult_reply(consult=consult, actor=world[outsider], reply="Nothing changed.")
    with pytest.raises(InvalidInput):
        consults.consult_reply(consult=consult, actor=world["nils"], reply="  ")
    with time_machine.travel(at(23, 11, 30), tick=False):
        consults.consult_reply(consult=consult, actor=world["nils"], reply="Yes: a rule changed on Friday.")
    consult.refresh_from_db()
    assert (consult.state, consult.replied_by, consult.replied_at) == (
        ConsultStatus.ANSWERED,
        world["nils"],
        at(23, 11, 30),
    )
    clock.refresh_from_db()
    assert clock.state == ClockState.STOPPED
    assert told("escalations.consult_answered", f"consult:{consult.pk}:answered") == {"tom"}
    answered = ticket.events.get(kind="consult_answered")
    assert (answered.actor, answered.source, answered.reason) == (
        world["nils"],
        "Network Operations",
        "Yes: a rule changed on Friday.",
    )
    with pytest.raises(Refused) as refused:
        consults.consult_reply(consult=consult, actor=world["victor"], reply="Again")
    assert refused.value.missing == ["an open consult (this one is answered)"]
    with pytest.raises(Refused):
        consults.consult_withdraw(consult=consult, actor=world["tom"])


def test_a_consult_answered_in_time_never_warns_and_one_can_be_withdrawn(world: World) -> None:
    ticket = in_tier_2(world)
    network = world.teams["Network Operations"]
    with time_machine.travel(at(23, 16), tick=False):  # default time frame: 240 business minutes
        consult = consults.consult_request(
            ticket=ticket, actor=world["tom"], team=network, question="Routes?"
        )
        other = consults.consult_request(
            ticket=ticket,
            actor=world["tom"],
            team=world.teams["Engineering"],
            question="Known bug?",
            reply_minutes=30,
        )
    clock = consults._consult_clock(consult)
    assert (consult.reply_minutes, clock.warn_at, clock.due_at) == (240, at(24, 11), at(24, 12))
    with pytest.raises(PermissionDenied):
        consults.consult_withdraw(consult=other, actor=world["nils"], reason="Not mine to withdraw.")
    with time_machine.travel(at(23, 16, 10), tick=False):
        consults.consult_withdraw(consult=other, actor=world["tom"], reason="Found it in the KB.")
    other.refresh_from_db()
    assert other.state == ConsultStatus.WITHDRAWN
    assert consults._consult_clock(other).state == ClockState.STOPPED
    with time_machine.travel(at(24, 10), tick=False):
        consults.consult_reply(consult=consult, actor=world["victor"], reply="Routes are fine.")
    with pytest.raises(Refused):
        consults.consult_reply(consult=other, actor=world["ella"], reply="Too late")
    sweep_at(at(24, 13))
    assert ticket.events.filter(kind__in=["consult_warning", "consult_breach"]).count() == 0
    assert ticket.events.get(kind="consult_withdrawn").reason == "Found it in the KB."
    assert not Notification.objects.filter(
        kind__in=["escalations.consult_warning", "escalations.consult_breach"]
    ).exists()


# --- vendor tiers ----------------------------------------------------------------------------


def test_vendor_engagement_only_in_a_vendor_tier_with_its_updates(world: World) -> None:
    ticket = in_tier_2(world)
    with pytest.raises(Refused) as refused:
        vendor.vendor_engage(
            ticket=ticket, actor=world["tom"], case_number="V-1", contact="desk@vendor.example"
        )
    assert refused.value.missing == ["the ticket to be in a vendor tier (after an approved hand-off)"]

    # Engineering documents, Tier 2 asks for the vendor (gated), the team leader approves.
    with time_machine.travel(at(23, 10), tick=False):
        ticket_add_step(
            ticket=ticket, actor=world["tom"], kind=StepKind.REPLICATION, action="Replicated", outcome="Same"
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Bug",
            criterion=world.tier("Engineering").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["ella"])
        ticket_add_step(
            ticket=ticket,
            actor=world["ella"],
            kind=StepKind.ROOT_CAUSE,
            action="Traced into the vendor's library",
            outcome="Fault in the library",
        )
        handoff = handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            to_tier=world.tier("Vendor"),
            findings="The vendor's library fails.",
            evidence_note="None: no logs exist.",
        )
    with pytest.raises(Refused):  # approval pending: not in the vendor tier yet
        vendor.vendor_engage(ticket=ticket, actor=world["ella"], case_number="V-1", contact="x")
    with time_machine.travel(at(23, 11), tick=False):
        approval_approve(request=handoff.approval, actor=world["kenji"], notes="Vendor it is.")
    ticket.refresh_from_db()
    assert (selectors.current_stint(ticket).tier.name, ticket.team.name) == ("Vendor", "Tier 2")

    with pytest.raises(PermissionDenied):  # Engineering no longer holds the ticket
        vendor.vendor_engage(ticket=ticket, actor=world["ella"], case_number="V-1", contact="x")
    with pytest.raises(Refused) as refused:
        vendor.vendor_engage(ticket=ticket, actor=world["tom"], case_number=" ", contact="")
    assert refused.value.missing == ["the vendor case number", "the vendor contact"]
    with time_machine.travel(at(23, 12), tick=False):
        engagement = vendor.vendor_engage(
            ticket=ticket,
            actor=world["tom"],
            case_number="VS-778",
            contact="L2 desk, +44 20 7946 0000",
            vendor_name="Acme ERP Ltd",
        )
    assert (engagement.vendor_name, engagement.case_number, engagement.engaged_at) == (
        "Acme ERP Ltd",
        "VS-778",
        at(23, 12),
    )

    with pytest.raises(InvalidInput):
        vendor.vendor_update(engagement=engagement, actor=world["tom"], summary="")
    with time_machine.travel(at(23, 15), tick=False):
        with pytest.raises(InvalidInput) as invalid:
            vendor.vendor_update(
                engagement=engagement,
                actor=world["tom"],
                summary="Patch",
                received_at=at(23, 15) + timedelta(hours=1),
            )
        assert list(invalid.value.errors) == ["received_at"]
        vendor.vendor_update(
            engagement=engagement,
            actor=world["tom"],
            summary="Reproduced on their side.",
            received_at=at(23, 14),
        )
        vendor.vendor_update(engagement=engagement, actor=world["rachel"], summary="Patch due Thursday.")
    assert list(engagement.updates.values_list("summary", "received_at", "recorded_by__username")) == [
        ("Reproduced on their side.", at(23, 14), "tom"),
        ("Patch due Thursday.", at(23, 15), "rachel"),
    ]
    assert list(
        ticket.events.filter(kind__in=["vendor_engaged", "vendor_update"]).values_list("kind", "source")
    ) == [("vendor_engaged", ""), ("vendor_update", "Acme ERP Ltd"), ("vendor_update", "Acme ERP Ltd")]
    # The vendor tier's own time frame runs like any other (P2: 16 business hours from Monday 11:00).
    assert selectors.current_stint(ticket).clock.due_at == at(25, 11)


# --- the IT manager's decision point ---------------------------------------------------------


def at_decision_point(world: World) -> Ticket:
    """Tier 1 → Tier 2 → Engineering by hand; Engineering escalates past the last tier."""
    ticket = in_tier_2(world)
    with time_machine.travel(at(23, 10), tick=False):
        ticket_add_step(
            ticket=ticket, actor=world["tom"], kind=StepKind.REPLICATION, action="Replicated", outcome="Same"
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Bug",
            criterion=world.tier("Engineering").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["ella"])
        ticket_add_step(
            ticket=ticket,
            actor=world["ella"],
            kind=StepKind.ROOT_CAUSE,
            action="Profiled",
            outcome="Design limit of the product",
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            to_tier=world.tier("IT Manager decision"),
            findings="Nothing any tier can change.",
        )
    ticket.refresh_from_db()
    assert (selectors.current_stint(ticket).tier.name, ticket.team.name) == (
        "IT Manager decision",
        "IT Management",
    )
    assert "ivan" in told(
        "escalations.handoff_received", f"handoff:{Handoff.objects.filter(ticket=ticket).last().pk}:completed"
    )
    return ticket


def test_only_the_it_manager_decides_and_only_at_the_decision_point(world: World) -> None:
    ticket = in_tier_2(world)
    with pytest.raises(Refused) as refused:
        decisions.record_decision(
            ticket=ticket, actor=world["ivan"], outcome=DecisionOutcome.KNOWN_ERROR, notes="x", root_cause="y"
        )
    assert refused.value.missing == ["the ticket to be at the IT manager decision point"]

    ticket = at_decision_point(world)
    for outsider in ("ella", "kenji", "mara", "tom"):
        with pytest.raises(PermissionDenied):
            decisions.record_decision(
                ticket=ticket,
                actor=world[outsider],
                outcome=DecisionOutcome.KNOWN_ERROR,
                notes="Accept it",
                root_cause="Design limit",
            )
    with pytest.raises(InvalidInput):
        decisions.record_decision(ticket=ticket, actor=world["ivan"], outcome="shrug", notes="x")
    with pytest.raises(Refused) as refused:
        decisions.record_decision(
            ticket=ticket, actor=world["ivan"], outcome=DecisionOutcome.KNOWN_ERROR, notes=" "
        )
    assert refused.value.missing == ["decision notes", "the root cause as far as it is known"]
    assert not ManagerDecision.objects.exists()


def test_continue_with_the_vendor_returns_the_ticket_to_the_vendor_tier(world: World) -> None:
    ticket = at_decision_point(world)
    with time_machine.travel(at(23, 14), tick=False):
        decision = decisions.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=DecisionOutcome.CONTINUE_WITH_VENDOR,
            notes="The vendor has a fix in test; give them a week.",
        )
    ticket.refresh_from_db()
    assert (selectors.current_stint(ticket).tier.name, ticket.team.name, ticket.status) == (
        "Vendor",
        "Tier 2",
        "open",
    )
    back = Handoff.objects.filter(ticket=ticket).last()
    assert (back.direction, back.from_tier.name, back.to_tier.name, back.requested_by) == (
        Direction.RETURN,
        "IT Manager decision",
        "Vendor",
        world["ivan"],
    )
    assert back.findings == (
        "IT manager's decision: Continue with the vendor. The vendor has a fix in test; give them a week."
    )
    # The activity record the decision was taken on: every tier's steps and every hand-off.
    record = decision.activity_record
    assert [g["tier"] for g in record["tiers"]] == ["Tier 1", "Tier 2", "Engineering"]
    assert [(h["from"], h["to"]) for h in record["handoffs"]] == [
        ("Tier 1", "Tier 2"),
        ("Tier 2", "Engineering"),
        ("Engineering", "IT Manager decision"),
    ]
    assert list(
        ticket.events.filter(kind__in=["it_manager_decision", "returned"]).values_list(
            "kind", "actor__username", "target"
        )
    ) == [("it_manager_decision", "ivan", ""), ("returned", "ivan", "Vendor")]
    event = ticket.events.get(kind="it_manager_decision")
    assert (event.reason, event.details["outcome"]) == (
        "The vendor has a fix in test; give them a week.",
        "continue_with_vendor",
    )


@pytest.mark.parametrize(
    ("outcome", "fix_kind"),
    [(DecisionOutcome.KNOWN_ERROR, "known_error"), (DecisionOutcome.CLOSE_WITH_WORKAROUND, "workaround")],
)
def test_known_error_or_workaround_resolves_the_ticket(world: World, outcome: str, fix_kind: str) -> None:
    ticket = at_decision_point(world)
    # Engineering worked the ticket: the knowledge base must be updated, or why not stated.
    with pytest.raises(Refused) as refused:
        decisions.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=outcome,
            notes="Live with the nightly restart.",
            root_cause="Design limit",
        )
    assert refused.value.missing == [
        "knowledge-base update, or the reason none is needed (Engineering worked it)"
    ]
    assert not ManagerDecision.objects.exists()
    with time_machine.travel(at(23, 15), tick=False):
        decisions.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=outcome,
            notes="Live with the nightly restart.",
            root_cause="Design limit",
            knowledge_article="KB-77 Nightly restart",
        )
    ticket.refresh_from_db()
    assert (
        ticket.status,
        ticket.fix_kind,
        ticket.root_cause,
        ticket.resolution_summary,
        ticket.assignee,
    ) == ("resolved", fix_kind, "Design limit", "Live with the nightly restart.", world["ivan"])
    assert ManagerDecision.objects.get(ticket=ticket).outcome == outcome
    assert list(
        ticket.events.filter(kind__in=["it_manager_decision", "start", "resolve"])
        .filter(at=at(23, 15))
        .values_list("kind", flat=True)
    ) == ["it_manager_decision", "start", "resolve"]


def test_return_to_a_tier_for_more_work_needs_the_tier(world: World) -> None:
    ticket = at_decision_point(world)
    with pytest.raises(Refused) as refused:
        decisions.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=DecisionOutcome.RETURN_TO_TIER,
            notes="Engineering should profile it again.",
        )
    assert refused.value.missing == ["the tier to return the ticket to"]
    with time_machine.travel(at(23, 14), tick=False):
        decisions.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=DecisionOutcome.RETURN_TO_TIER,
            notes="Engineering should profile it again.",
            to_tier=world.tier("Engineering"),
        )
    ticket.refresh_from_db()
    assert (selectors.current_stint(ticket).tier.name, ticket.team.name, ticket.status) == (
        "Engineering",
        "Engineering",
        "open",
    )
    # Engineering's time frame starts afresh (P2: 8 business hours from Monday 14:00).
    assert selectors.current_stint(ticket).clock.due_at == at(24, 14)
