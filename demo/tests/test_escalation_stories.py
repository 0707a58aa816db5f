"""The demo shows the ladder working: `seed_demo` loads the presets before any ticket is played,
tickets sit visibly at each rung, the lifecycle tickets left open or in progress are still in
their first tier, and the sweep right after seeding has nothing left to do. The customer
escalation stories (`demo.cases`) leave a case at each state, with no clock about to
warn or breach right after seeding, whatever the hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Team
from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.permissions import can_decide
from cases.models import (
    ActionItem,
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
    MeetingKind,
)
from cases.permissions import can_answer_de_escalation
from cases.services import core as case_core
from cases.services import review as leadership_review
from clocks.models import Clock, ClockState
from clocks.sweep import sweep_due_deadlines
from demo import cases as demo_cases
from demo import ladders
from demo.stories import LIVE_STATUSES
from demo.stories_data import DEMO_TICKETS
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
from escalations.selectors import current_stint, steps_to_do
from notifications.models import Notification
from tickets.models import Channel, Service, Status, StepKind, Ticket, TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> dict[str, Ticket]:
    call_command("seed_demo", stdout=StringIO())
    return {spec.key: Ticket.objects.get(summary=spec.summary) for spec in ladders.ESCALATION_STORIES}


def _tiers(ticket: Ticket) -> list[str]:
    return list(
        TierStint.objects.filter(ticket=ticket)
        .order_by("entered_at", "pk")
        .values_list("tier__name", flat=True)
    )


def _kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "pk").values_list("kind", flat=True))


def _assert_tier2_with_its_package(ticket: Ticket) -> None:
    """Tier 1 → Tier 2 with a criterion, findings, workaround and the package of Tier 1's steps."""
    assert (_tiers(ticket), ticket.team.name, ticket.assignee.username, ticket.status) == (
        ["Tier 1", "Tier 2"],
        "Tier 2",
        "rachel",
        Status.IN_PROGRESS,
    )
    handoff = Handoff.objects.get(ticket=ticket)
    assert (handoff.status, handoff.criterion_text, handoff.requested_by.username) == (
        HandoffStatus.COMPLETED,
        "Potential bug",
        "erin",
    )
    assert handoff.workaround and handoff.findings.startswith("Import rejects")
    assert [g["tier"] for g in handoff.package["tiers"]] == ["Tier 1"]
    assert [s["kind"] for s in handoff.package["tiers"][0]["steps"]] == [
        StepKind.BASIC_CHECK,
        StepKind.KNOWN_ISSUE,
    ]


def _assert_engineering_with_a_consult(ticket: Ticket) -> None:
    """Engineering via Tier 2, with a consult to Database Administration answered."""
    assert (_tiers(ticket), ticket.assignee.username) == (["Tier 1", "Tier 2", "Engineering"], "ella")
    consult = ticket.consults.get()
    assert (consult.team.name, consult.state, consult.replied_by.username) == (
        "Database Administration",
        ConsultStatus.ANSWERED,
        "sofia",
    )
    kinds = _kinds(ticket)
    assert kinds.index("consult_requested") < kinds.index("consult_answered")


def _assert_returned_to_tier1(ticket: Ticket) -> None:
    """Engineering returns the fixed ticket to Tier 1, which resolves it with the knowledge article."""
    assert (_tiers(ticket), ticket.status, ticket.team.name) == (
        ["Tier 1", "Tier 2", "Engineering", "Tier 1"],
        Status.RESOLVED,
        "Tier 1",
    )
    back = Handoff.objects.get(ticket=ticket, direction=Direction.RETURN)
    assert (back.from_tier.name, back.to_tier.name, back.requested_by.username) == (
        "Engineering",
        "Tier 1",
        "ella",
    )
    assert ticket.knowledge_article.startswith("KB-3107")
    assert current_stint(ticket).clock.state == ClockState.PAUSED  # resolution pauses the tier's time frame


def _assert_onsite_waits_for_approval(ticket: Ticket) -> None:
    """A request to send Onsite Support waits for Engineering's team leader or manager."""
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Onsite Support")
    assert (handoff.status, handoff.requested_by.username, current_stint(ticket).tier.name) == (
        HandoffStatus.PENDING_APPROVAL,
        "ella",
        "Engineering",
    )
    approval = handoff.approval
    assert approval.status == ApprovalStatus.PENDING
    assert sorted(approval.approvers.values_list("username", flat=True)) == ["kenji", "mara"]
    users = {u.username: u for u in approval.approvers.all()} | {"ella": handoff.requested_by}
    assert can_decide(approval, users["kenji"]) and not can_decide(approval, users["ella"])
    assert approval in ApprovalRequest.objects.decidable_by(users["kenji"])


def _assert_microsoft_approved_with_vendor_work(ticket: Ticket) -> None:
    """Seed 000: Microsoft L3 approved by Tier 2's team leader with notes; the vendor's case and
    updates."""
    assert (_tiers(ticket), ticket.status) == (["L1", "L2", "Microsoft L3"], Status.IN_PROGRESS)
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Microsoft L3")
    assert (handoff.status, handoff.approval.status, handoff.approval.decided_by.username) == (
        HandoffStatus.COMPLETED,
        ApprovalStatus.APPROVED,
        "ravi",
    )
    granted = ticket.events.get(kind="approval_granted")
    assert granted.reason == handoff.approval.decision_notes != ""
    engagement = VendorEngagement.objects.get(ticket=ticket)
    assert (engagement.vendor_name, engagement.case_number, engagement.updates.count()) == (
        "Microsoft",
        "2511230040001234",
        2,
    )


def _assert_sent_back_with_steps_to_do(ticket: Ticket) -> None:
    """Sent back with the steps to do first, on the ticket as to-do steps."""
    handoff = Handoff.objects.get(ticket=ticket, to_tier__name="Microsoft L3")
    assert (handoff.status, handoff.approval.status, current_stint(ticket).tier.name) == (
        HandoffStatus.SENT_BACK,
        ApprovalStatus.CHANGES_REQUESTED,
        "L2",
    )
    to_do = steps_to_do(ticket)
    assert [s.action for s in to_do] == handoff.approval.suggested_steps and len(to_do) == 2
    assert {s.kind for s in to_do} == {StepKind.SUGGESTED}


def _assert_at_the_decision_point(ticket: Ticket) -> None:
    """The IT manager's decision point, with ivan to decide."""
    stint = current_stint(ticket)
    assert (_tiers(ticket)[-1], ticket.team.name, ticket.status) == (
        "IT Manager decision",
        "IT Management",
        Status.OPEN,
    )
    ivan = Team.objects.get(name="IT Management").leaders.get()
    assert ivan.username == "ivan" and can_decide_at(stint.tier, ivan)


def test_tickets_stand_at_each_rung_of_the_ladders(seeded: dict[str, Ticket]) -> None:
    assert Ticket.objects.count() == len(DEMO_TICKETS) + len(ladders.ESCALATION_STORIES) + len(
        demo_cases.CASE_STORIES
    )

    _assert_tier2_with_its_package(seeded["esc-tier2"])
    _assert_engineering_with_a_consult(seeded["esc-consult"])
    _assert_returned_to_tier1(seeded["esc-returned"])
    _assert_onsite_waits_for_approval(seeded["esc-onsite"])
    _assert_microsoft_approved_with_vendor_work(seeded["esc-microsoft"])
    _assert_sent_back_with_steps_to_do(seeded["esc-sent-back"])
    _assert_at_the_decision_point(seeded["esc-decision"])


def test_the_ladders_are_loaded_first_and_the_clocks_are_up_to_date(seeded: dict[str, Ticket]) -> None:
    # Every service is on a ladder: e-mail on Microsoft 365, the rest on the service request ladder.
    ladders = dict(ServiceLadder.objects.values_list("service__name", "path__name"))
    assert ladders == {
        name: (
            "Microsoft 365 escalation" if name == "E-mail & collaboration" else "Service request escalation"
        )
        for name in Service.objects.values_list("name", flat=True)
    }
    assert [created for _, created in load_presets()] == [False, False]
    team = Team.objects.get(name="IT Management")
    assert (
        list(team.members.values_list("username", flat=True)) == ["ivan"] and team.manager.username == "ivan"
    )

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


# --- customer escalations (demo.cases) --------------------------------------------------------

CLOCK_EVENTS = ["case_ack_warning", "case_ack_breach", "case_update_due", "case_update_missed"]


def _cases() -> dict[str, EscalationCase]:
    return {
        spec.key: EscalationCase.objects.select_related("ticket", "escalation_manager").get(
            ticket__summary=spec.summary
        )
        for spec in demo_cases.CASE_STORIES
    }


def _case_clocks(case: EscalationCase) -> list[Clock]:
    return list(Clock.objects.filter(content_type__model="escalationcase", object_id=case.pk).order_by("pk"))


def _case_kinds(case: EscalationCase) -> list[str]:
    return [k for k in _kinds(case.ticket) if k.startswith("case")]


def _participants(case: EscalationCase) -> list[tuple[str, str]]:
    return sorted(case.participants.values_list("user__username", "role"))


def _assert_nothing_due_right_after_seeding() -> None:
    """No acknowledgement or update clock warned or breached (no story misses one on purpose),
    none warns within the next twenty minutes (two hours for an update), the sweep has nothing to do."""
    now = timezone.now()
    assert not TimelineEvent.objects.filter(kind__in=CLOCK_EVENTS).exists()
    running = []
    for case in EscalationCase.objects.all():
        for clock in _case_clocks(case):
            assert (clock.warned_at, clock.breached_at) == (None, None), (case, clock.kind)
            if clock.state == ClockState.RUNNING:
                running.append((case.status, clock.kind))
                # A request is filed a quarter of an hour before the seeding (warning at 45 business
                # minutes); the last update of a plan under an hour before (warning at 3 business hours).
                margin = timedelta(minutes=20) if clock.kind == case_core.ACK_CLOCK else timedelta(hours=2)
                assert clock.warn_at > now + margin, (case, clock.kind, clock.warn_at)
    assert sorted(running) == [
        (CaseStatus.ACTIVE, case_core.UPDATE_CLOCK),
        (CaseStatus.ACTIVE, case_core.UPDATE_CLOCK),
        (CaseStatus.DE_ESCALATION_PROPOSED, case_core.UPDATE_CLOCK),
        (CaseStatus.REQUESTED, case_core.ACK_CLOCK),
    ]
    assert not CaseUpdate.objects.filter(was_late=True).exists()
    assert not Handoff.objects.filter(automatic=True).exists()
    assert not TimelineEvent.objects.filter(kind="tier_breach").exists()
    assert sweep_due_deadlines().fired == 0


def _assert_fresh_request(case: EscalationCase, now: datetime) -> None:
    """(1) carla's fresh request: the team leader (Tier 2's ravi) engaged at once, waiting for esme."""
    request = case.requests.get()
    assert (case.status, case.level, case.escalation_manager, case.ticket.team.name) == (
        CaseStatus.REQUESTED,
        "team_leader",
        None,
        "Tier 2",
    )
    assert (request.requested_by.username, request.channel, request.reason) == (
        "carla",
        Channel.PORTAL,
        "critical_impact",
    )
    assert _participants(case) == [("ravi", "team_leader")]
    assert now - timedelta(minutes=20) <= case.requested_at <= now
    assert _case_kinds(case) == ["case_requested", "case_participant"]
    [ack] = _case_clocks(case)
    assert (ack.kind, ack.state) == (case_core.ACK_CLOCK, ClockState.RUNNING)


def _assert_active_case(case: EscalationCase) -> None:
    """(2) esme runs an active case: plan, conference calls every 4 business hours, a first call, two
    updates."""
    assert (
        case.status,
        case.escalation_manager.username,
        case.communication_mode,
        case.update_every_minutes,
    ) == (CaseStatus.ACTIVE, "esme", "conference", 240)
    assert "Priya Raman" in case.required_attendees
    assert _participants(case) == [("ella", "sme"), ("esme", "escalation_manager")]
    items = list(case.action_items.order_by("pk").values_list("owner__username", "done_at"))
    assert [owner for owner, _ in items] == ["jonas", "ella", "rachel"]
    assert [done is not None for _, done in items] == [True, False, False]
    call = case.meetings.get()
    assert (call.kind, call.scheduled_for > case.activated_at, bool(call.outcome)) == (
        MeetingKind.CONFERENCE_CALL,
        True,
        True,
    )
    assert list(case.updates.values_list("mode", "was_late")) == [("conference", False)] * 2
    assert _case_kinds(case) == [
        "case_requested",
        "case_participant",
        "case_acknowledged",
        "case_participant",
        "case_active",
        "case_meeting_outcome",
        "case_action_done",
        "case_update",
        "case_update",
    ]


def _assert_de_escalation_proposed(case: EscalationCase) -> None:
    """(3) esme proposed to de-escalate carla's case: carla agrees (or not) in the portal."""
    carla = case.ticket.requester
    assert (case.status, case.escalation_manager.username, carla.username) == (
        CaseStatus.DE_ESCALATION_PROPOSED,
        "esme",
        "carla",
    )
    assert case.action_plan_accepted and case.rca_on_track and case.proposed_at is not None
    assert can_answer_de_escalation(case.ticket, carla)
    assert _participants(case) == [("ella", "sme"), ("esme", "escalation_manager")]
    assert _case_kinds(case)[-3:] == ["case_update", "case_update", "case_de_escalation_proposed"]


def _assert_de_escalated(case: EscalationCase) -> None:
    """(4) felix agreed in the portal: de-escalated, its update clock stopped."""
    assert (case.status, case.agreed_by.username, case.agreement_channel, case.level) == (
        CaseStatus.DE_ESCALATED,
        "felix",
        Channel.PORTAL,
        "team_manager",
    )
    assert _participants(case) == [
        ("esme", "escalation_manager"),
        ("kenji", "team_leader"),
        ("mara", "team_manager"),
    ]
    assert {c.state for c in _case_clocks(case)} == {ClockState.STOPPED}
    assert _case_kinds(case)[-2:] == ["case_de_escalation_proposed", "case_de_escalated"]
    assert case.ticket.status == Status.IN_PROGRESS


def _assert_leadership_reviewed(case: EscalationCase) -> None:
    """(5) Seed 000: team leader → team manager → leadership review, the brief ready, back to active."""
    assert list(case.requests.order_by("pk").values_list("level", "requested_by__username")) == [
        ("team_leader", "grace"),
        ("team_manager", "grace"),
        ("leadership", "grace"),
    ]
    assert (case.status, case.level, case.ticket.team.name) == (
        CaseStatus.ACTIVE,
        "leadership",
        "Engineering",
    )
    assert _participants(case) == [
        ("esme", "escalation_manager"),
        ("kenji", "team_leader"),
        ("leah", "leadership"),
        ("mara", "team_manager"),
    ]
    assert (
        case.brief_ready_engineer.username,
        case.brief_ready_team_leader.username,
        case.brief_ready_team_manager.username,
    ) == ("ella", "kenji", "mara")
    assert leadership_review.brief_missing(case) == [] and case.internal_review
    assert case.brief.startswith(case.ticket.reference) and "Engineer's note" in case.brief
    meeting = case.meetings.get(kind=MeetingKind.STAKEHOLDER_MEETING)
    assert (meeting.recorded_by.username, "Leah Fischer" in meeting.attendees, bool(meeting.outcome)) == (
        "leah",
        True,
        True,
    )
    kinds = _case_kinds(case)
    assert kinds[kinds.index("case_leadership_review") :] == [
        "case_leadership_review",
        "case_brief",
        "case_brief",
        "case_brief",
        "case_leadership_done",
        "case_update",
    ]
    assert case.updates.count() == 3


def test_customer_escalations_stand_at_each_state(seeded: dict[str, Ticket]) -> None:
    found = _cases()
    now = timezone.now()
    assert EscalationCase.objects.count() == len(demo_cases.CASE_STORIES) == 5
    team = Team.objects.get(name="Customer Escalations")
    assert (list(team.members.values_list("username", flat=True)), team.manager.username) == (
        ["esme"],
        "leah",
    )
    assert [u.username for u in case_core.managers_of(team.members.get())] == ["leah"]

    _assert_fresh_request(found["case-requested"], now)
    _assert_active_case(found["case-active"])
    _assert_de_escalation_proposed(found["case-proposed"])
    _assert_de_escalated(found["case-de-escalated"])
    _assert_leadership_reviewed(found["case-leadership"])

    _assert_nothing_due_right_after_seeding()


def test_seeding_again_adds_no_case_data(seeded: dict[str, Ticket]) -> None:
    def counts() -> list[int]:
        return [
            m.objects.count()
            for m in (
                EscalationCase,
                CaseRequest,
                CaseParticipant,
                ActionItem,
                CaseMeeting,
                CaseUpdate,
                TimelineEvent,
                Notification,
                Clock,
            )
        ]

    before = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == before


@pytest.mark.parametrize(
    "local",
    [
        datetime(
            2026, 11, 26, 17, 50
        ),  # Thursday, ten minutes before the office closes: every story hour counts
        datetime(
            2026, 11, 30, 8, 20
        ),  # Monday, twenty minutes after opening: the stories ran over the weekend
    ],
)
def test_nothing_is_due_right_after_seeding_whatever_the_hour(local: datetime) -> None:
    with time_machine.travel(local.replace(tzinfo=ZoneInfo("Europe/London")), tick=True):
        call_command("seed_demo", stdout=StringIO())
        assert dict(EscalationCase.objects.values_list("status").annotate(n=Count("pk"))) == {
            CaseStatus.REQUESTED: 1,
            CaseStatus.ACTIVE: 2,
            CaseStatus.DE_ESCALATION_PROPOSED: 1,
            CaseStatus.DE_ESCALATED: 1,
        }
        _assert_nothing_due_right_after_seeding()
