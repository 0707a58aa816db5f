"""Demo customer escalations (SPEC §6, seeds 000 and 002): a case at each state of its life.

`stories(cast, now)` returns them as `demo.stories.Story` objects; `seed_demo` plays
them with the lifecycle and ladder stories (`demo.ladders`), in one order. Each story opens
its own ticket, moves it up the service request ladder with the ticket and escalation services,
then runs the customer's escalation only through `cases.services`, each step at its own
instant with time-machine; the deadline sweep runs at every story instant (`Scene.at`), so the
acknowledgement and update clocks did whatever they would have done meanwhile.

The stories end where nothing is due right after seeding, whatever the day and hour:

- a request still to acknowledge was filed within the last ~15 minutes, less wall-clock time
  (hence less business time) than the warning point of its acknowledgement time frame (75 % of
  `CASE_ACK_MINUTES`, 45 business minutes);
- on a case with a communication plan every period between two updates, and the time since
  the last one, is under three hours of wall-clock time: under the warning point of the plan's
  four business hours. The warnings come during the demo, as they would;
- each ticket's last tier stint (Tier 2 for a short story, Engineering for the long ones) is
  younger than the 75 % warning point of its P3 time frame (8 and 24 business hours).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from cases.models import (
    CaseLevel,
    CaseReason,
    CaseStatus,
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
from tickets.models import Channel, Priority, StepKind, Ticket

from .cast import Cast
from .ladders import Scene, timed_stories
from .stories import Story

EVERY_4_HOURS = 4 * 60  # business minutes between updates in the demo's communication plans


@dataclass(frozen=True)
class CaseStory:
    key: str
    requester: str  # a customer of demo.cast.ORGANISATIONS
    summary: str
    service: str
    category: str
    ends_hours_ago: float  # the story ends this long before the seeding
    length_hours: float  # from the ticket's opening to the story's end
    intake: dict[str, str]
    script: Callable[[Scene], None]
    expected_case: str
    expected_manager: str = "esme"


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


# --- the scripts -------------------------------------------------------------------------------------


def _requested(s: Scene) -> None:
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
    s.at(2.8)  # a quarter of an hour before the seeding (see the module's docstring)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["carla"],
        reason=CaseReason.CRITICAL_IMPACT,
        level=CaseLevel.TEAM_LEADER,
        review=Review(
            problem_statement_correct=True,
            business_impact="40 lorries a day wait at the Norwegian border for hand-keyed declarations.",
            workaround_impractical_because="Keying 40 declarations by hand takes two people all day.",
        ),
    )


def _active(s: Scene) -> None:
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
    s.at(2.5)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["priya"],
        reason=CaseReason.CRITICAL_IMPACT,
        level=CaseLevel.SME,
        review=Review(
            problem_statement_correct=True,
            business_impact="180 field engineers are paid on Friday; the bank needs the file by Thursday.",
            workaround_impractical_because="180 payments typed by hand risk paying someone twice.",
        ),
    )
    s.at(2.7)
    case = case_plans.case_acknowledge(case=_case(s), actor=s["esme"])
    s.at(2.8)
    case_participants.case_engage(case=case, actor=s["esme"], user=s["ella"], role=ParticipantRole.SME)
    s.at(3.0)
    case_plans.case_activate(
        case=case,
        actor=s["esme"],
        action_plan=_plan(
            s,
            ("jonas", "Write the payment file in the bank's ISO 20022 layout (pain.001).", 1),
            ("ella", "Review the new layout against the bank's validation rules.", 1),
            ("rachel", "Run Thursday's payroll file through the bank's test upload.", 2),
        ),
        mode=CommunicationMode.CONFERENCE,
        update_every_minutes=EVERY_4_HOURS,
        required_attendees="Priya Raman (Brightwater), Esme Holloway, Jonas Lindqvist, Ella Novak",
        first_call_at=_when(s, 3.5),
    )
    s.at(4.0)
    case_updates.case_record_meeting(
        meeting=case.meetings.get(kind=MeetingKind.CONFERENCE_CALL),
        actor=s["esme"],
        outcome="Plan agreed with Priya; the bank's test upload is booked for tomorrow.",
    )
    s.at(5.0).step(
        "jonas",
        StepKind.FIX_DEPLOYED,
        "Built the ISO 20022 writer in TEST-ERP.",
        "The bank's validator accepts the test file.",
    )
    s.at(5.2)
    case_updates.case_complete_action(item=case.action_items.get(owner=s["jonas"]), actor=s["jonas"])
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.CONFERENCE,
        summary="The new payment file passes the bank's validator; Ella reviews it next.",
        attendees="Priya Raman, Esme Holloway, Jonas Lindqvist",
    )
    s.at(7.5)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.CONFERENCE,
        summary="Ella's review found one field to fix (creditor reference); fixed and re-tested.",
        attendees="Priya Raman, Esme Holloway, Ella Novak",
    )


def _proposed(s: Scene) -> None:
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
    s.at(2.5)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["carla"],
        reason=CaseReason.RESPONSIVENESS,
        level=CaseLevel.SME,
        review=Review(
            problem_statement_correct=True,
            business_impact="Customers dispute deliveries we cannot prove; 12 invoices are on hold.",
            workaround_impractical_because="Our drivers' phones keep photos for two days only.",
        ),
    )
    s.at(2.7)
    case = case_plans.case_acknowledge(case=_case(s), actor=s["esme"])
    s.at(2.8)
    case_participants.case_engage(case=case, actor=s["esme"], user=s["ella"], role=ParticipantRole.SME)
    s.at(3.0)
    case_plans.case_activate(
        case=case,
        actor=s["esme"],
        action_plan=_plan(
            s,
            ("ella", "Fix the portal's photo index and re-index the week's uploads.", 0),
            ("tom", "Check the disputed deliveries' photos with Carla.", 1),
        ),
        mode=CommunicationMode.EMAIL,
        update_every_minutes=EVERY_4_HOURS,
        required_attendees="Carla Mendes (Harbourline), Esme Holloway, Ella Novak",
        first_call_at=_when(s, 3.5),
    )
    s.at(3.8)
    case_updates.case_record_meeting(
        meeting=case.meetings.get(kind=MeetingKind.CONFERENCE_CALL),
        actor=s["esme"],
        outcome="Carla agreed the plan; photos needed first for the 12 disputed invoices.",
    )
    s.at(4.6).step(
        "ella",
        StepKind.FIX_DEPLOYED,
        "Deployed portal 4.2.2: the photo index accepts the app's "
        "new file names; re-indexed the week's uploads.",
        "All 1,240 photos of the week show.",
    )
    s.at(4.8)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.EMAIL,
        summary="Fixed in portal 4.2.2: every photo of the week is back in the portal.",
    )
    s.at(6.2)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.EMAIL,
        summary="Tom checked the 12 disputed deliveries with Carla: every photo is there.",
    )
    s.at(6.4)
    case_de_escalation.case_propose_de_escalation(
        case=case,
        actor=s["esme"],
        action_plan_accepted=True,
        rca_on_track=True,
        note="The photos are back and the root cause is fixed.",
    )


def _de_escalated(s: Scene) -> None:
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
    s.at(2.5)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["felix"],
        reason=CaseReason.RESPONSIVENESS,
        level=CaseLevel.TEAM_MANAGER,
        review=Review(
            problem_statement_correct=True,
            business_impact="140 part-time staff got wrong payslips; the unions asked for an answer.",
            workaround_impractical_because="Correcting 140 payslips by hand takes three days.",
        ),
    )
    s.at(2.7)
    case = case_plans.case_acknowledge(case=_case(s), actor=s["esme"])
    s.at(3.0)
    case_plans.case_activate(
        case=case,
        actor=s["esme"],
        action_plan=_plan(
            s,
            ("jonas", "Pro-rate the holiday allowance by contracted hours.", 0),
            ("rachel", "Re-issue the November payslips of part-time staff.", 1),
        ),
        mode=CommunicationMode.PHONE,
        update_every_minutes=EVERY_4_HOURS,
        required_attendees="Felix Laurent (Meridian), Esme Holloway",
        first_call_at=_when(s, 3.5),
    )
    s.at(3.7)
    case_updates.case_record_meeting(
        meeting=case.meetings.get(kind=MeetingKind.CONFERENCE_CALL),
        actor=s["esme"],
        outcome="Felix agreed the plan; payslips re-issued once the fix is tested.",
    )
    s.at(5.0).step(
        "jonas",
        StepKind.FIX_DEPLOYED,
        "Deployed payroll 7.3.1: the allowance is pro-rated by contracted hours.",
        "Re-run of November: every part-time payslip is right.",
    )
    s.at(5.2)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.PHONE,
        summary="Fix deployed; re-run November's payslips are right.",
    )
    for item in case.action_items.all():
        case_updates.case_complete_action(item=item, actor=s["esme"])
    s.at(7.0)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.PHONE,
        summary="Corrected payslips re-issued to the 140 part-time staff.",
    )
    s.at(7.2)
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=s["esme"], action_plan_accepted=True, rca_on_track=True
    )
    s.at(8.5)
    case_de_escalation.case_answer_de_escalation(
        case=case, actor=s["felix"], agree=True, comment="Thank you, the staff have their corrected payslips."
    )


def _leadership(s: Scene) -> None:
    """(5) Seed 000: grace asks for the team leader (kenji), then the team manager (mara), then
    support leadership; esme starts the leadership review, ella, kenji and mara mark the brief
    ready, leah records the internal review and the stakeholder meeting: active again."""
    case = _leadership_with_the_team_leader(s)
    _leadership_with_the_team_manager(s, case)
    _leadership_asked_for(s)
    _leadership_reviews(s, case)


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
    s.at(2.5)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["grace"],
        reason=CaseReason.CRITICAL_IMPACT,
        level=CaseLevel.TEAM_LEADER,
        review=Review(
            problem_statement_correct=True,
            business_impact="Clients receive valuations with stale prices: a regulatory reporting risk.",
            workaround_impractical_because="The re-run delays 3,000 statements past the 08:00 deadline.",
        ),
    )
    s.at(2.7)
    case = case_plans.case_acknowledge(case=_case(s), actor=s["esme"])
    s.at(3.0)
    case_plans.case_activate(
        case=case,
        actor=s["esme"],
        action_plan=_plan(
            s,
            ("ella", "Make the statement run wait for the day's price feed.", 1),
            ("kenji", "Review the change and schedule an out-of-hours release.", 2),
        ),
        mode=CommunicationMode.CONFERENCE,
        update_every_minutes=EVERY_4_HOURS,
        required_attendees="Grace Whitfield (Castlegate), Esme Holloway, Ella Novak, Kenji Sato",
        first_call_at=_when(s, 3.5),
    )
    s.at(3.7)
    case_updates.case_record_meeting(
        meeting=case.meetings.get(kind=MeetingKind.CONFERENCE_CALL),
        actor=s["esme"],
        outcome="Grace wants a release date today; Kenji to confirm after the review.",
    )
    s.at(4.8)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.CONFERENCE,
        summary="The change is written and in review; release date to follow.",
        attendees="Grace Whitfield, Esme Holloway, Kenji Sato",
    )
    return case


def _leadership_with_the_team_manager(s: Scene, case: EscalationCase) -> None:
    """Grace asks for the team manager; mara joins the calls."""
    s.at(5.0)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["grace"],
        reason=CaseReason.RESPONSIVENESS,
        level=CaseLevel.TEAM_MANAGER,
        review=Review(
            problem_statement_correct=True,
            business_impact="Tomorrow's statements will be wrong again without a release date.",
            workaround_impractical_because="The re-run delays 3,000 statements past the 08:00 deadline.",
        ),
    )
    s.at(6.5)
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.CONFERENCE,
        summary="Mara joined: the release needs the change freeze lifted; asking for it.",
        attendees="Grace Whitfield, Esme Holloway, Mara Quinn",
    )


def _leadership_asked_for(s: Scene) -> None:
    """Grace asks for support leadership."""
    s.at(6.7)
    case_requests.case_request(
        ticket=s.ticket,
        actor=s["grace"],
        reason=CaseReason.CRITICAL_IMPACT,
        level=CaseLevel.LEADERSHIP,
        review=Review(
            problem_statement_correct=True,
            business_impact="Our regulator expects correct valuations; we need a commitment from "
            "your leadership.",
            workaround_impractical_because="The re-run delays 3,000 statements past the 08:00 deadline.",
        ),
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
    case_updates.case_log_update(
        case=case,
        actor=s["esme"],
        mode=CommunicationMode.CONFERENCE,
        summary="Leadership agreed tonight's 22:00 release with Grace; statements checked at 07:00.",
        attendees="Grace Whitfield, Esme Holloway, Leah Fischer",
    )


# --- the stories ------------------------------------------------------------------------------------

CASE_STORIES: list[CaseStory] = [
    CaseStory(
        "case-requested",
        "carla",
        "Customs declarations for Norway are rejected since the tariff update",
        service="ERP",
        category="Software",
        ends_hours_ago=0.05,
        length_hours=3.0,
        intake={
            "description": "Every export declaration for shipments to Norway is rejected by customs.",
            "symptoms": "The customs gateway rejects each declaration within a minute.",
            "replication_steps": "Shipping > Customs > Send declaration for any shipment to Norway.",
            "error_messages": "CUS-114 Commodity code length invalid",
            "recent_changes": "Norway's tariff update on the 1st.",
            "business_impact": "Lorries wait at the border until declarations are keyed by hand.",
            "workaround": "Key the declarations into the customs portal by hand.",
        },
        script=_requested,
        expected_case=CaseStatus.REQUESTED,
        expected_manager="",
    ),
    CaseStory(
        "case-active",
        "priya",
        "Bank rejects the payroll payment file since its ISO 20022 switch",
        service="Payroll",
        category="Software",
        ends_hours_ago=0.5,
        length_hours=7.8,
        intake={
            "description": "The payroll payment file is rejected by the bank's upload.",
            "symptoms": "Upload fails at once with a format error.",
            "replication_steps": "Payroll > Pay run > Export payments > upload to the bank.",
            "error_messages": "Bank: 'File format not supported (BACS18)'",
            "recent_changes": "The bank moved to ISO 20022 on the 1st.",
            "business_impact": "Field engineers will not be paid on Friday.",
            "workaround": "Enter every payment in online banking.",
        },
        script=_active,
        expected_case=CaseStatus.ACTIVE,
    ),
    CaseStory(
        "case-proposed",
        "carla",
        "Proof-of-delivery photos are missing from the customer portal",
        service="Customer portal",
        category="Software",
        ends_hours_ago=0.3,
        length_hours=6.5,
        intake={
            "description": "Delivery photos taken by drivers since Monday do not show in the portal.",
            "symptoms": "The 'Proof of delivery' tab says 'No photos' for this week's deliveries.",
            "replication_steps": "Portal > Deliveries > any delivery since Monday > Proof of delivery.",
            "error_messages": "none",
            "recent_changes": "New version of the drivers' app on Monday.",
            "business_impact": "Customers dispute deliveries we cannot prove.",
            "workaround": "E-mail the photos on request.",
        },
        script=_proposed,
        expected_case=CaseStatus.DE_ESCALATION_PROPOSED,
    ),
    CaseStory(
        "case-de-escalated",
        "felix",
        "Part-time payslips show the full-time holiday allowance",
        service="Payroll",
        category="Software",
        ends_hours_ago=1.0,
        length_hours=8.6,
        intake={
            "description": "November payslips of part-time staff show the full-time holiday allowance.",
            "symptoms": "Holiday allowance 28 days on every part-time payslip.",
            "replication_steps": "Payroll > Payslips > November > any part-time employee.",
            "error_messages": "none",
            "recent_changes": "Payroll 7.3 installed before the November run.",
            "business_impact": "140 staff got wrong payslips.",
            "workaround": "Correct the payslips by hand.",
        },
        script=_de_escalated,
        expected_case=CaseStatus.DE_ESCALATED,
    ),
    CaseStory(
        "case-leadership",
        "grace",
        "Client valuation statements use the previous day's prices",
        service="ERP",
        category="Software",
        ends_hours_ago=0.4,
        length_hours=8.7,
        intake={
            "description": "Some mornings the client valuation statements show yesterday's prices.",
            "symptoms": "Statements dated today, prices of the day before.",
            "replication_steps": "Reports > Client valuations > run for any client after a late price feed.",
            "error_messages": "none",
            "recent_changes": "The price feed provider moved its delivery to 01:30–03:00.",
            "business_impact": "Clients receive wrong valuations; a regulatory risk.",
            "workaround": "Re-run the statements by hand after 09:00.",
        },
        script=_leadership,
        expected_case=CaseStatus.ACTIVE,
    ),
]


def _play(spec: CaseStory, cast: Cast, start: datetime, clock: time_machine.Coordinates) -> Ticket:
    scene = Scene(cast, clock, start)
    requester = cast.users[spec.requester]
    scene.open_ticket(
        opener=requester,
        requester=requester,
        staff_set={"priority": Priority.P3, "category": cast.categories[spec.category]},
        summary=spec.summary,
        channel=Channel.PORTAL,
        service=cast.services[spec.service],
        **spec.intake,
    )
    spec.script(scene)
    scene.at(spec.length_hours)
    case = EscalationCase.objects.select_related("escalation_manager").get(ticket=scene.ticket)
    manager = case.escalation_manager.username if case.escalation_manager else ""
    if (case.status, manager) != (spec.expected_case, spec.expected_manager):  # pragma: no cover
        raise AssertionError(
            f"case story {spec.key} ended {case.status} with {manager or 'no manager'}, "
            f"not {spec.expected_case} with {spec.expected_manager or 'no manager'}"
        )
    return scene.ticket


def stories(cast: Cast, now: datetime) -> list[Story]:
    """The customer escalation stories, for `demo.seeding.seed(extra_stories=...)`."""
    return timed_stories(CASE_STORIES, _play, cast, now)
