"""The demo shows the ladder working: `seed_demo` loads the presets before any ticket is played,
tickets sit visibly at each rung, the lifecycle tickets left open or in progress are still in
their first tier, and the sweep right after seeding has nothing left to do."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Team
from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.permissions import can_decide
from clocks.models import ClockState
from clocks.sweep import sweep_due_deadlines
from escalations import demo
from escalations.models import (
    ConsultStatus,
    Direction,
    Handoff,
    HandoffStatus,
    ServiceLadder,
    TierStint,
    VendorEngagement,
)
from escalations.permissions import can_decide_at
from escalations.presets import load_presets
from escalations.services import current_stint, steps_to_do
from tickets.demo import DEMO_TICKETS
from tickets.demo.stories import LIVE_STATUSES
from tickets.models import Service, Status, StepKind, Ticket, TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> dict[str, Ticket]:
    call_command("seed_demo", stdout=StringIO())
    return {spec.key: Ticket.objects.get(summary=spec.summary) for spec in demo.ESCALATION_STORIES}


def _tiers(ticket: Ticket) -> list[str]:
    return list(TierStint.objects.filter(ticket=ticket).order_by("entered_at", "pk")
                .values_list("tier__name", flat=True))


def _kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "pk").values_list("kind", flat=True))


def test_tickets_stand_at_each_rung_of_the_ladders(seeded: dict[str, Ticket]) -> None:
    assert Ticket.objects.count() == len(DEMO_TICKETS) + len(demo.ESCALATION_STORIES)

    # Tier 1 → Tier 2 with a criterion, findings, workaround and the package of Tier 1's steps.
    ticket = seeded["esc-tier2"]
    assert (_tiers(ticket), ticket.team.name, ticket.assignee.username, ticket.status) == (
        ["Tier 1", "Tier 2"], "Tier 2", "rachel", Status.IN_PROGRESS)
    handoff = Handoff.objects.get(ticket=ticket)
    assert (handoff.status, handoff.criterion_text, handoff.requested_by.username) == (
        HandoffStatus.COMPLETED, "Potential bug", "erin")
    assert handoff.workaround and handoff.findings.startswith("Import rejects")
    assert [g["tier"] for g in handoff.package["tiers"]] == ["Tier 1"]
    assert [s["kind"] for s in handoff.package["tiers"][0]["steps"]] == [StepKind.BASIC_CHECK,
                                                                         StepKind.KNOWN_ISSUE]

    # Engineering via Tier 2, with a consult to Database Administration answered.
    ticket = seeded["esc-consult"]
    assert (_tiers(ticket), ticket.assignee.username) == (["Tier 1", "Tier 2", "Engineering"], "ella")
    consult = ticket.consults.get()
    assert (consult.team.name, consult.state, consult.replied_by.username) == (
        "Database Administration", ConsultStatus.ANSWERED, "sofia")
    kinds = _kinds(ticket)
    assert kinds.index("consult_requested") < kinds.index("consult_answered")

    # Engineering returns the fixed ticket to Tier 1, which resolves it with the knowledge article.
    ticket = seeded["esc-returned"]
    assert (_tiers(ticket), ticket.status, ticket.team.name) == (
        ["Tier 1", "Tier 2", "Engineering", "Tier 1"], Status.RESOLVED, "Tier 1")
    back = Handoff.objects.get(ticket=ticket, direction=Direction.RETURN)
    assert (back.from_tier.name, back.to_tier.name, back.requested_by.username) == ("Engineering", "Tier 1", "ella")
    assert ticket.knowledge_article.startswith("KB-3107")
    assert current_stint(ticket).clock.state == ClockState.PAUSED  # resolution pauses the tier's time frame

    # A request to send Onsite Support waits for Engineering's team leader or manager.
    ticket = seeded["esc-onsite"]
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Onsite Support")
    assert (handoff.status, handoff.requested_by.username, current_stint(ticket).tier.name) == (
        HandoffStatus.PENDING_APPROVAL, "ella", "Engineering")
    approval = handoff.approval
    assert approval.status == ApprovalStatus.PENDING
    assert sorted(approval.approvers.values_list("username", flat=True)) == ["kenji", "mara"]
    users = {u.username: u for u in approval.approvers.all()} | {"ella": handoff.requested_by}
    assert can_decide(approval, users["kenji"]) and not can_decide(approval, users["ella"])
    assert approval in ApprovalRequest.objects.decidable_by(users["kenji"])

    # Seed 000: Microsoft L3 approved by Tier 2's team leader with notes; the vendor's case and updates.
    ticket = seeded["esc-microsoft"]
    assert (_tiers(ticket), ticket.status) == (["L1", "L2", "Microsoft L3"], Status.IN_PROGRESS)
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Microsoft L3")
    assert (handoff.status, handoff.approval.status, handoff.approval.decided_by.username) == (
        HandoffStatus.COMPLETED, ApprovalStatus.APPROVED, "ravi")
    granted = ticket.events.get(kind="approval_granted")
    assert granted.reason == handoff.approval.decision_notes != ""
    engagement = VendorEngagement.objects.get(ticket=ticket)
    assert (engagement.vendor_name, engagement.case_number, engagement.updates.count()) == (
        "Microsoft", "2511230040001234", 2)

    # Sent back with the steps to do first, on the ticket as to-do steps.
    ticket = seeded["esc-sent-back"]
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Microsoft L3")
    assert (handoff.status, handoff.approval.status, current_stint(ticket).tier.name) == (
        HandoffStatus.SENT_BACK, ApprovalStatus.CHANGES_REQUESTED, "L2")
    to_do = steps_to_do(ticket)
    assert [s.action for s in to_do] == handoff.approval.suggested_steps and len(to_do) == 2
    assert {s.kind for s in to_do} == {StepKind.SUGGESTED}

    # The IT manager's decision point, with ivan to decide.
    ticket = seeded["esc-decision"]
    stint = current_stint(ticket)
    assert (_tiers(ticket)[-1], ticket.team.name, ticket.status) == (
        "IT Manager decision", "IT Management", Status.OPEN)
    ivan = Team.objects.get(name="IT Management").leaders.get()
    assert ivan.username == "ivan" and can_decide_at(stint.tier, ivan)


def test_the_ladders_are_loaded_first_and_the_clocks_are_up_to_date(seeded: dict[str, Ticket]) -> None:
    # Every service is on a ladder: e-mail on Microsoft 365, the rest on the service request ladder.
    ladders = dict(ServiceLadder.objects.values_list("service__name", "path__name"))
    assert ladders == {name: ("Microsoft 365 escalation" if name == "E-mail & collaboration"
                              else "Service request escalation")
                       for name in Service.objects.values_list("name", flat=True)}
    assert [created for _, created in load_presets()] == [False, False]
    team = Team.objects.get(name="IT Management")
    assert list(team.members.values_list("username", flat=True)) == ["ivan"] and team.manager.username == "ivan"

    # Triage placed every triaged ticket in the first tier of its service's ladder.
    for ticket in Ticket.objects.filter(events__kind="triage").distinct():
        first = TierStint.objects.filter(ticket=ticket).order_by("entered_at", "pk").first()
        assert first is not None and first.tier.level == 1, ticket.summary

    # The time frames ran on while the stories were played, and none of the tiers' passed: the
    # lifecycle tickets left open or in progress were played within their first tier's time
    # frame and the escalation stories keep every stint shorter than its time frame, so nothing
    # moved up a ladder by itself...
    assert not Handoff.objects.filter(automatic=True).exists()
    assert not TimelineEvent.objects.filter(kind="tier_breach").exists()
    live = Ticket.objects.filter(summary__in=[s.summary for s in DEMO_TICKETS if s.expected in LIVE_STATUSES])
    assert live.count() >= 10
    now = timezone.now()
    for ticket in live:
        stint = current_stint(ticket)
        assert (stint.tier.level, stint.clock.state) == (1, ClockState.RUNNING), ticket.summary
        assert stint.clock.due_at > now, ticket.summary
    # ...and the only approval waiting is the one a person asked for (Onsite Support).
    pending = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING)
    assert [h.ticket for h in Handoff.objects.filter(approval__in=pending)] == [seeded["esc-onsite"]]
    # ...and the sweep right after seeding has nothing left to do.
    events = TimelineEvent.objects.count()
    assert sweep_due_deadlines().fired == 0
    assert TimelineEvent.objects.count() == events

    # Seeding again changes nothing.
    counts = (TierStint.objects.count(), Handoff.objects.count(), ApprovalRequest.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (TierStint.objects.count(), Handoff.objects.count(), ApprovalRequest.objects.count()) == counts
    assert dict(Handoff.objects.values_list("status").annotate(n=Count("pk")))[HandoffStatus.SENT_BACK] == 1
