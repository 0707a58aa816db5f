"""The scripts of the customer escalation stories (`demo.cases`): what happens on each story's
ticket and its case, in hours after the ticket's opening, through the ticket, escalation and
`cases.services` services.

Four of the five cases get going the same way (seed 002): the ticket climbs Tier 1 → Tier 2 →
Engineering (`_to_engineering`), the customer asks to escalate at 2.5 h, esme acknowledges at
2.7 h (and may engage a subject matter expert at 2.8 h), the action and communication plans are
agreed at 3.0 h with the first conference call at 3.5 h, and the call's outcome is recorded
(`_case_with_its_first_call`, from a `CaseStart`). Each script then only says what differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from cases.models import (
    CaseLevel,
    CaseReason,
    CommunicationMode,
    EscalationCase,
    MeetingKind,
    ParticipantRole,
)
from cases.services import core as case_core
from cases.services import de_escalation as case_de_escalation
from cases.services import participants as case_participants
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import review as leadership_review
from cases.services import updates as case_updates
from cases.services.core import PlanItem, Review
from tickets.models import StepKind

from .scene import Scene

EVERY_4_HOURS = 4 * 60  # business minutes between updates in the demo's communication plans


# --- the scene helpers ----------------------------------------------------------------------------


def _when(s: Scene, hours: float) -> datetime:
    return s.start + timedelta(hours=hours)


def _case(s: Scene) -> EscalationCase:
    case = case_core.open_case(s.ticket)
    if case is None:  # pragma: no cover - a story that never asked
        raise AssertionError("no open escalation on the story's ticket")
    return case


def _to_engineering(
    s: Scene, *, tier2: str, engineer: str, criterion: str, findings: str, workaround: str
) -> None:
    """Tier 1 (erin) → Tier 2 → Engineering within the first 2.5 hours of the story."""
    s.at(0.1).triage("erin")
    s.at(0.2).start_work("erin")
    s.at(0.3).say("erin", "Thank you, we are looking into it now and will keep you posted here.")
    s.at(0.5).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Reproduced the customer's steps with their data in the test company.",
        "Reproduced every time.",
    )
    s.at(0.8).escalate("erin", "Tier 2", criterion="Potential bug", findings=findings, workaround=workaround)
    s.at(1.0).start_work(tier2)
    s.at(1.6).step(
        tier2,
        StepKind.REPLICATION,
        "Replayed the failing case in TEST-ERP with logging on.",
        "Reproduced; the fault is in the application code, not in the data.",
    )
    s.at(2.0).escalate(tier2, "Engineering", criterion=criterion, findings=findings, workaround=workaround)
    s.at(2.2).start_work(engineer)


def _plan(s: Scene, *items: tuple[str, str, int]) -> list[PlanItem]:
    today = timezone.localdate()
    return [
        PlanItem(owner=s[owner], step=step, target_date=today + timedelta(days=days))
        for owner, step, days in items
    ]


def _asks(s: Scene, who: str, reason: str, level: str, *, impact: str, impractical_because: str) -> None:
    """The customer asks to escalate, the problem statement confirmed, now."""
    case_requests.case_request(
        ticket=s.ticket,
        actor=s[who],
        reason=reason,
        level=level,
        review=Review(
            problem_statement_correct=True,
            business_impact=impact,
            workaround_impractical_because=impractical_because,
        ),
    )


def _update(s: Scene, case: EscalationCase, summary: str, attendees: str = "") -> None:
    """esme gives an update now, the way the communication plan says."""
    case_updates.case_log_update(
        case=case, actor=s["esme"], mode=case.communication_mode, summary=summary, attendees=attendees
    )


@dataclass(frozen=True)
class CaseStart:
    """How a story's case gets going: who asks for what and why, the plans esme agrees with them,
    and what the first conference call concluded."""

    requester: str
    reason: str
    level: str
    impact: str
    impractical_because: str
    steps: tuple[tuple[str, str, int], ...]  # (owner, step, days until its target date)
    mode: str
    required_attendees: str
    outcome_at: float  # when the first call's outcome is recorded (hours)
    outcome: str
    sme: str = ""  # engaged as subject matter expert right after the acknowledgement


def _case_with_its_first_call(s: Scene, start: CaseStart) -> EscalationCase:
    """The request (2.5 h), esme's acknowledgement (2.7 h) and the expert engaged (2.8 h), the
    plans agreed (3.0 h) with the first call at 3.5 h, and that call's outcome."""
    s.at(2.5)
    _asks(
        s,
        start.requester,
        start.reason,
        start.level,
        impact=start.impact,
        impractical_because=start.impractical_because,
    )
    s.at(2.7)
    case = case_plans.case_acknowledge(case=_case(s), actor=s["esme"])
    if start.sme:
        s.at(2.8)
        case_participants.case_engage(case=case, actor=s["esme"], user=s[start.sme], role=ParticipantRole.SME)
    s.at(3.0)
    case_plans.case_activate(
        case=case,
        actor=s["esme"],
        action_plan=_plan(s, *start.steps),
        mode=start.mode,
        update_every_minutes=EVERY_4_HOURS,
        required_attendees=start.required_attendees,
        first_call_at=_when(s, 3.5),
    )
    s.at(start.outcome_at)
    case_updates.case_record_meeting(
        meeting=case.meetings.get(kind=MeetingKind.CONFERENCE_CALL), actor=s["esme"], outcome=start.outcome
    )
    return case


# --- the scripts -----------------------------------------------------------------------------------


def requested(s: Scene) -> None:
    """(1) carla asks to escalate (critical business impact, the team leader): ravi, Tier 2's
    leader, is engaged at once; the case waits for an escalation manager (esme) to acknowledge."""
    s.at(0.1).triage("erin")
    s.at(0.2).start_work("erin")
    s.at(0.3).say("erin", "Carla, we are looking into the rejected declarations now.")
    s.at(0.6).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Exported one Norwegian shipment's declaration again from the ERP.",
        "Rejected again by the customs gateway: 'commodity code length'.",
    )
    s.at(0.8).escalate(
        "erin",
        "Tier 2",
        criterion="Potential bug",
        findings="Every customs declaration for Norway is rejected since the tariff update: "
        "the export sends 8-digit commodity codes, Norway expects 10.",
        workaround="Key the declarations into the customs portal by hand.",
    )
    s.at(1.0).start_work("tom")
    s.at(2.0).step(
        "tom",
        StepKind.REPLICATION,
        "Sent a test declaration to the customs gateway's test endpoint with a 10-digit code.",
        "Accepted: the export's code mapping is the fault.",
    )
    s.at(2.8)  # a quarter of an hour before the seeding (see demo.cases' docstring)
    _asks(
        s,
        "carla",
        CaseReason.CRITICAL_IMPACT,
        CaseLevel.TEAM_LEADER,
        impact="40 lorries a day wait at the Norwegian border for hand-keyed declarations.",
        impractical_because="Keying 40 declarations by hand takes two people all day.",
    )


ACTIVE_START = CaseStart(
    requester="priya",
    reason=CaseReason.CRITICAL_IMPACT,
    level=CaseLevel.SME,
    impact="180 field engineers are paid on Friday; the bank needs the file by Thursday.",
    impractical_because="180 payments typed by hand risk paying someone twice.",
    sme="ella",
    steps=(
        ("jonas", "Write the payment file in the bank's ISO 20022 layout (pain.001).", 1),
        ("ella", "Review the new layout against the bank's validation rules.", 1),
        ("rachel", "Run Thursday's payroll file through the bank's test upload.", 2),
    ),
    mode=CommunicationMode.CONFERENCE,
    required_attendees="Priya Raman (Brightwater), Esme Holloway, Jonas Lindqvist, Ella Novak",
    outcome_at=4.0,
    outcome="Plan agreed with Priya; the bank's test upload is booked for tomorrow.",
)


def active(s: Scene) -> None:
    """(2) priya's request is acknowledged by esme, who engages ella as subject matter expert and
    agrees the action plan and the communication plan (a conference call every 4 business hours);
    the first call took place and two updates were given."""
    _to_engineering(
        s,
        tier2="rachel",
        engineer="jonas",
        criterion="Requires code changes",
        findings="The bank rejects the payroll payment file since the bank's switch to ISO 20022: the "
        "export still writes the old BACS layout.",
        workaround="Enter the payments in online banking.",
    )
    case = _case_with_its_first_call(s, ACTIVE_START)
    s.at(5.0).step(
        "jonas",
        StepKind.FIX_DEPLOYED,
        "Built the ISO 20022 writer in TEST-ERP.",
        "The bank's validator accepts the test file.",
    )
    s.at(5.2)
    case_updates.case_complete_action(item=case.action_items.get(owner=s["jonas"]), actor=s["jonas"])
    _update(
        s,
        case,
        "The new payment file passes the bank's validator; Ella reviews it next.",
        "Priya Raman, Esme Holloway, Jonas Lindqvist",
    )
    s.at(7.5)
    _update(
        s,
        case,
        "Ella's review found one field to fix (creditor reference); fixed and re-tested.",
        "Priya Raman, Esme Holloway, Ella Novak",
    )


PROPOSED_START = CaseStart(
    requester="carla",
    reason=CaseReason.RESPONSIVENESS,
    level=CaseLevel.SME,
    impact="Customers dispute deliveries we cannot prove; 12 invoices are on hold.",
    impractical_because="Our drivers' phones keep photos for two days only.",
    sme="ella",
    steps=(
        ("ella", "Fix the portal's photo index and re-index the week's uploads.", 0),
        ("tom", "Check the disputed deliveries' photos with Carla.", 1),
    ),
    mode=CommunicationMode.EMAIL,
    required_attendees="Carla Mendes (Harbourline), Esme Holloway, Ella Novak",
    outcome_at=3.8,
    outcome="Carla agreed the plan; photos needed first for the 12 disputed invoices.",
)


def proposed(s: Scene) -> None:
    """(3) esme ran carla's case to a fix and proposed to de-escalate; carla agrees (or not) in
    the portal."""
    _to_engineering(
        s,
        tier2="tom",
        engineer="ella",
        criterion="Software bug",
        findings="Proof-of-delivery photos uploaded from the drivers' app since Monday are missing "
        "from the portal; the files are in storage.",
        workaround="E-mail the photos on request.",
    )
    case = _case_with_its_first_call(s, PROPOSED_START)
    s.at(4.6).step(
        "ella",
        StepKind.FIX_DEPLOYED,
        "Deployed portal 4.2.2: the photo index accepts the app's "
        "new file names; re-indexed the week's uploads.",
        "All 1,240 photos of the week show.",
    )
    s.at(4.8)
    _update(s, case, "Fixed in portal 4.2.2: every photo of the week is back in the portal.")
    s.at(6.2)
    _update(s, case, "Tom checked the 12 disputed deliveries with Carla: every photo is there.")
    s.at(6.4)
    case_de_escalation.case_propose_de_escalation(
        case=case,
        actor=s["esme"],
        action_plan_accepted=True,
        rca_on_track=True,
        note="The photos are back and the root cause is fixed.",
    )


DE_ESCALATED_START = CaseStart(
    requester="felix",
    reason=CaseReason.RESPONSIVENESS,
    level=CaseLevel.TEAM_MANAGER,
    impact="140 part-time staff got wrong payslips; the unions asked for an answer.",
    impractical_because="Correcting 140 payslips by hand takes three days.",
    steps=(
        ("jonas", "Pro-rate the holiday allowance by contracted hours.", 0),
        ("rachel", "Re-issue the November payslips of part-time staff.", 1),
    ),
    mode=CommunicationMode.PHONE,
    required_attendees="Felix Laurent (Meridian), Esme Holloway",
    outcome_at=3.7,
    outcome="Felix agreed the plan; payslips re-issued once the fix is tested.",
)


def de_escalated(s: Scene) -> None:
    """(4) felix's case (the team manager asked for) went through its plan; esme proposed to
    de-escalate and felix agreed in the portal."""
    _to_engineering(
        s,
        tier2="rachel",
        engineer="jonas",
        criterion="Requires code changes",
        findings="Payslips of part-time staff show the full-time holiday allowance since the November "
        "pay run.",
        workaround="Correct the payslips by hand before they are sent.",
    )
    case = _case_with_its_first_call(s, DE_ESCALATED_START)
    s.at(5.0).step(
        "jonas",
        StepKind.FIX_DEPLOYED,
        "Deployed payroll 7.3.1: the allowance is pro-rated by contracted hours.",
        "Re-run of November: every part-time payslip is right.",
    )
    s.at(5.2)
    _update(s, case, "Fix deployed; re-run November's payslips are right.")
    for item in case.action_items.all():
        case_updates.case_complete_action(item=item, actor=s["esme"])
    s.at(7.0)
    _update(s, case, "Corrected payslips re-issued to the 140 part-time staff.")
    s.at(7.2)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=s["esme"], action_plan_accepted=True, rca_on_track=True
    )
    s.at(8.5)
    case_de_escalation.case_answer_de_escalation(
        case=case, actor=s["felix"], agree=True, comment="Thank you, the staff have their corrected payslips."
    )


def leadership(s: Scene) -> None:
    """(5) Seed 000: grace asks for the team leader (kenji), then the team manager (mara), then
    support leadership; esme starts the leadership review, ella, kenji and mara mark the brief
    ready, leah records the internal review and the stakeholder meeting: active again."""
    case = _leadership_with_the_team_leader(s)
    _leadership_with_the_team_manager(s, case)
    _leadership_asked_for(s)
    _leadership_reviews(s, case)


LEADERSHIP_START = CaseStart(
    requester="grace",
    reason=CaseReason.CRITICAL_IMPACT,
    level=CaseLevel.TEAM_LEADER,
    impact="Clients receive valuations with stale prices: a regulatory reporting risk.",
    impractical_because="The re-run delays 3,000 statements past the 08:00 deadline.",
    steps=(
        ("ella", "Make the statement run wait for the day's price feed.", 1),
        ("kenji", "Review the change and schedule an out-of-hours release.", 2),
    ),
    mode=CommunicationMode.CONFERENCE,
    required_attendees="Grace Whitfield (Castlegate), Esme Holloway, Ella Novak, Kenji Sato",
    outcome_at=3.7,
    outcome="Grace wants a release date today; Kenji to confirm after the review.",
)


def _leadership_with_the_team_leader(s: Scene) -> EscalationCase:
    """Grace asks for the team leader; esme acknowledges and activates the case with a plan and a
    conference call."""
    _to_engineering(
        s,
        tier2="rachel",
        engineer="ella",
        criterion="Software bug",
        findings="Client valuation statements use the previous day's prices when the overnight price "
        "feed arrives after 02:00.",
        workaround="Re-run the statements by hand after 09:00.",
    )
    case = _case_with_its_first_call(s, LEADERSHIP_START)
    s.at(4.8)
    _update(
        s,
        case,
        "The change is written and in review; release date to follow.",
        "Grace Whitfield, Esme Holloway, Kenji Sato",
    )
    return case


def _leadership_with_the_team_manager(s: Scene, case: EscalationCase) -> None:
    """Grace asks for the team manager; mara joins the calls."""
    s.at(5.0)
    _asks(
        s,
        "grace",
        CaseReason.RESPONSIVENESS,
        CaseLevel.TEAM_MANAGER,
        impact="Tomorrow's statements will be wrong again without a release date.",
        impractical_because="The re-run delays 3,000 statements past the 08:00 deadline.",
    )
    s.at(6.5)
    _update(
        s,
        case,
        "Mara joined: the release needs the change freeze lifted; asking for it.",
        "Grace Whitfield, Esme Holloway, Mara Quinn",
    )


def _leadership_asked_for(s: Scene) -> None:
    """Grace asks for support leadership."""
    s.at(6.7)
    _asks(
        s,
        "grace",
        CaseReason.CRITICAL_IMPACT,
        CaseLevel.LEADERSHIP,
        impact="Our regulator expects correct valuations; we need a commitment from your leadership.",
        impractical_because="The re-run delays 3,000 statements past the 08:00 deadline.",
    )


def _leadership_reviews(s: Scene, case: EscalationCase) -> None:
    """esme starts the leadership review; ella, kenji and mara mark the brief ready; leah records
    the internal review and the stakeholder meeting."""
    s.at(6.8)
    case = leadership_review.case_start_leadership_review(case=case, actor=s["esme"])
    s.at(7.0)
    brief = case.brief + (
        "\n\nEngineer's note: the fix is ready and tested; it needs a release during "
        "Castlegate's month-end change freeze, which only leadership can agree."
    )
    leadership_review.case_edit_brief(case=case, actor=s["ella"], brief=brief, ready=True)
    s.at(7.2)
    leadership_review.case_edit_brief(case=case, actor=s["kenji"], brief=brief, ready=True)
    s.at(7.4)
    leadership_review.case_edit_brief(case=case, actor=s["mara"], brief=brief, ready=True)
    s.at(8.2)
    leadership_review.case_finish_leadership_review(
        case=case,
        actor=s["leah"],
        internal_review="Root cause understood and fixed; the risk is the release in a change freeze. "
        "Agreed: release tonight at 22:00 with Castlegate's approval, Engineering on call.",
        meeting_at=_when(s, 8.0),
        attendees="Grace Whitfield (Castlegate), Leah Fischer, Mara Quinn, Esme Holloway",
        outcome="Castlegate approves tonight's release; leadership follows up after tomorrow's statements.",
    )
    s.at(8.5)
    _update(
        s,
        case,
        "Leadership agreed tonight's 22:00 release with Grace; statements checked at 07:00.",
        "Grace Whitfield, Esme Holloway, Leah Fischer",
    )
