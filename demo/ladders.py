"""Demo escalation stories: tickets visibly at each rung of the ladders (seeds 000, 001, 003).

`stories(cast, now)` returns them as `demo.stories.Story` objects; `seed_demo`
plays them with the lifecycle stories, after `load_presets()`, so triage puts each ticket in
the first tier of its service's ladder. Every move goes through the services (tickets,
escalations, approvals), each at its own date with time-machine, and the deadline sweep runs
at every story instant (`Scene.at`), so whatever a time frame would have done meanwhile is in
the story where it fell due.

Each story keeps every stint shorter (in wall-clock time, hence in business time) than its
tier's time frame, and ends on a rung that stays put when the sweep runs after seeding: a stint
younger than its time frame, a hand-off waiting for approval (an automatic escalation is then
skipped), a vendor tier that only notifies, the IT manager's decision point, or a resolved ticket
(every ticket clock pauses). Later, time frames keep running like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from approvals.services import approval_approve, approval_request_changes
from escalations import selectors
from escalations.models import EscalationCriterion, Handoff, HandoffStatus, Tier
from escalations.services import consults, handoffs, vendor
from tickets import permissions as ticket_permissions
from tickets.models import Channel, FixKind, Priority, Status, StepKind, Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import ticket_resolve, ticket_start, ticket_triage
from tickets.services.steps import ticket_add_step

from .cast import Cast
from .stories import Story, run_clocks_until


class Scene:
    """A story's stage: the clock, the cast and the ticket; `at(h)` moves on to `h` hours after
    the opening, firing on the way every deadline that falls due, at its own instant."""

    def __init__(self, cast: Cast, clock: time_machine.Coordinates, start: datetime) -> None:
        self.cast = cast
        self.clock = clock
        self.start = start
        self.hours = 0.0
        self.ticket: Ticket | None = None
        # Staff-only intake (priority, category) of a customer's request, given at triage.
        self.at_triage: dict[str, Any] = {}

    def at(self, hours: float) -> Scene:
        if hours < self.hours:  # pragma: no cover - a story written backwards
            raise AssertionError("a demo story cannot go back in time")
        self.hours = hours
        moment = self.start + timedelta(hours=hours)
        run_clocks_until(moment)
        self.clock.move_to(moment)
        return self

    def __getitem__(self, username: str) -> User:
        return self.cast.users[username]

    def tier(self, name: str) -> Tier:
        path = selectors.path_for(self.ticket)
        return path.tiers.get(name=name)

    def criterion(self, tier: str, text: str) -> EscalationCriterion:
        return self.tier(tier).criteria.get(text=text)

    # --- the ticket services, by username -----------------------------------------------------

    def triage(self, by: str) -> None:
        ticket_triage(ticket=self.ticket, actor=self[by], **self.at_triage)
        self.at_triage = {}

    def open_ticket(
        self, *, opener: User, requester: User, staff_set: dict[str, Any], **intake: Any
    ) -> Ticket:
        """Open the story's ticket; a customer's gets the staff-only intake at its triage."""
        if not ticket_permissions.may_set_staff_only_intake(opener):
            self.at_triage, staff_set = staff_set, {}
        self.ticket = ticket_create(
            actor=opener, organisation=requester.organisation, requester=requester, **staff_set, **intake
        )
        return self.ticket

    def start_work(self, by: str) -> None:
        ticket_start(ticket=self.ticket, actor=self[by])

    def step(
        self,
        by: str,
        kind: str,
        action: str,
        outcome: str,
        *,
        public: bool = False,
        log: tuple[str, str] | None = None,
    ) -> None:
        files = [SimpleUploadedFile(log[0], log[1].encode(), content_type="text/plain")] if log else []
        ticket_add_step(
            ticket=self.ticket,
            actor=self[by],
            kind=kind,
            action=action,
            outcome=outcome,
            is_public=public,
            files=files,
        )

    def say(self, by: str, body: str, *, internal: bool = False) -> None:
        ticket_comment(ticket=self.ticket, actor=self[by], body=body, is_internal=internal)

    # --- the escalation services -------------------------------------------------------------

    def escalate(
        self,
        by: str,
        to: str,
        findings: str,
        *,
        criterion: str = "",
        workaround: str = "",
        evidence_note: str = "",
    ) -> Handoff:
        return handoffs.escalate(
            ticket=self.ticket,
            actor=self[by],
            to_tier=self.tier(to),
            criterion=self.criterion(to, criterion) if criterion else None,
            findings=findings,
            workaround=workaround,
            evidence_note=evidence_note,
        )


@dataclass(frozen=True)
class EscalationStory:
    key: str
    org: int  # index in demo.cast.ORGANISATIONS
    requester: str
    channel: str
    summary: str
    service: str
    category: str
    priority: str
    ends_hours_ago: float  # the story ends this long before the seeding
    length_hours: float  # from the ticket's opening to the story's end
    intake: dict[str, str]
    script: Callable[[Scene], None]
    expected_tier: str
    expected_status: str
    created_by: str = ""
    expected_handoff: str = ""  # the status of the ticket's last hand-off


# --- the scripts -----------------------------------------------------------------------------------


def _tier2_with_criterion(s: Scene) -> None:
    """Tier 1 → Tier 2 with a criterion, findings, workaround and the package; Tier 2 works on it."""
    s.at(0.2).triage("erin")
    s.at(0.3).start_work("erin")
    s.at(0.8).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Re-ran the import with the customer's file in the ERP test company.",
        "Same rejection: 37 of 412 lines refused, all with cost centre 4410.",
    )
    s.at(1.4).step(
        "erin",
        StepKind.KNOWN_ISSUE,
        "Searched the knowledge base and the ERP release notes for 'cost centre' and 'GL-207'.",
        "Nothing known; 4410 was created last week.",
    )
    s.at(1.6).say(
        "erin",
        "Marco, we can reproduce the rejection and are handing it to our Tier 2 "
        "specialists. In the meantime the 37 lines can be posted by hand (see workaround).",
    )
    s.at(2.0).escalate(
        "erin",
        "Tier 2",
        criterion="Potential bug",
        findings="Import rejects every line with cost centre 4410 (GL-207 'cost centre closed'), although "
        "4410 is open in the master data. Reproduced in the test company; other cost centres import.",
        workaround="Post the 37 lines by hand in the journal (about 30 minutes).",
    )
    s.at(2.5).start_work("rachel")
    s.at(3.5).step(
        "rachel",
        StepKind.REPLICATION,
        "Traced the import of one line in the test company with SQL logging on.",
        "The validation reads cost centres from a nightly cache; 4410 was created after the last refresh.",
    )


def _engineering_with_consult(s: Scene) -> None:
    """Tier 1 → Tier 2 → Engineering; Engineering consults Database Administration, who answer."""
    s.at(0.2).triage("erin")
    s.at(0.3).start_work("erin")
    s.at(0.7).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Ran the stock valuation report for depot LHR-2 and for all depots.",
        "LHR-2 alone: 3 minutes. All depots: 41 minutes (was 2 last month).",
    )
    s.at(1.5).escalate(
        "erin",
        "Tier 2",
        criterion="Needs more in-depth technical knowledge",
        findings="Stock valuation for all depots went from 2 to 41 minutes since the month started; "
        "single depots are fine.",
        workaround="Run it per depot and add up the totals.",
    )
    s.at(2.0).start_work("tom")
    s.at(3.0).step(
        "tom",
        StepKind.REPLICATION,
        "Ran the report in TEST-ERP on a copy of yesterday's data with the query log on.",
        "Reproduced: 39 minutes; one query on STOCK_MOVE accounts for 37 of them.",
    )
    s.at(5.0).escalate(
        "tom",
        "Engineering",
        criterion="System performance concern",
        findings="The valuation query scans STOCK_MOVE (48 M rows) once per depot since the "
        "multi-depot change in ERP 11.4; plan attached to the step.",
        workaround="Per-depot runs, added up in Excel.",
    )
    s.at(5.5).start_work("ella")
    consult = consults.consult_request(
        ticket=s.ticket,
        actor=s["ella"],
        team=s.cast.teams["Database Administration"],
        question="Can STOCK_MOVE get an index on (depot_id, moved_at) on production without locking "
        "the warehouse out during the day? It has 48 M rows.",
    )
    s.at(8.0)
    consults.consult_reply(
        consult=consult,
        actor=s["sofia"],
        reply="Yes: CREATE INDEX CONCURRENTLY takes about 20 minutes and does not block writes. We can "
        "run it tonight at 22:00; please confirm the column order with the new query plan.",
    )
    s.at(9.0).step(
        "ella",
        StepKind.ROOT_CAUSE,
        "Rewrote the valuation query to read STOCK_MOVE once "
        "for all depots; tested with the proposed index in TEST-ERP.",
        "41 minutes → 95 seconds. Fix in review for release 11.4.3.",
    )


def _returned_and_resolved(s: Scene) -> None:
    """Engineering fixes, returns the ticket to Tier 1 to verify with the customer, Tier 1 resolves
    (the knowledge article Engineering's work requires)."""
    s.at(0.1).triage("erin")
    s.at(0.2).start_work("erin")
    s.at(0.5).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Downloaded three invoices of Irish customers from the portal and compared them with the ERP.",
        "Portal PDF shows 20 % VAT, ERP has 23 %.",
    )
    s.at(0.8).escalate(
        "erin",
        "Tier 2",
        criterion="Potential bug",
        findings="Portal invoice PDFs use the UK VAT rate for customers in Ireland; the ERP invoice is "
        "right.",
        workaround="Send the ERP invoice by e-mail on request.",
    )
    s.at(1.0).start_work("tom")
    s.at(2.0).step(
        "tom",
        StepKind.REPLICATION,
        "Generated an invoice for a test customer in Dublin on the portal staging site.",
        "Reproduced: the PDF template reads the seller's VAT rate.",
    )
    s.at(3.0).escalate(
        "tom",
        "Engineering",
        criterion="Software bug",
        findings="The invoice PDF template takes the VAT rate of the seller's country instead of the "
        "rate on the invoice line (template invoice_v3.html, line 88).",
        workaround="Send the ERP invoice by e-mail on request.",
    )
    s.at(3.3).start_work("ella")
    s.at(4.5).step(
        "ella",
        StepKind.ROOT_CAUSE,
        "Read the template and its tests.",
        "No test covers a buyer outside the UK; the template used settings.VAT_RATE.",
    )
    s.at(7.0).step(
        "ella",
        StepKind.FIX_DEPLOYED,
        "Deployed portal 4.2.1: the PDF uses each line's VAT rate; regression test added.",
        "Staging and production PDFs for Dublin show 23 %.",
    )
    s.at(7.5)
    handoffs.return_to_tier(
        ticket=s.ticket,
        actor=s["ella"],
        to_tier=s.tier("Tier 1"),
        findings="Fixed in portal 4.2.1 (deployed). Please check Felix's invoices with him and resolve; "
        "knowledge article KB-3107 describes the fault and the fix.",
    )
    s.at(7.7).start_work("erin")
    s.at(7.9).say(
        "erin",
        "Felix, the portal now shows the right VAT rate on invoices for Ireland "
        "(fixed in version 4.2.1). Could you download one of yours and check?",
    )
    s.at(8.3)
    ticket_resolve(
        ticket=s.ticket,
        actor=s["erin"],
        resolution_summary="Portal 4.2.1 uses each invoice line's VAT rate in the PDF.",
        root_cause="The PDF template used the seller's VAT rate instead of the line's.",
        fix_kind=FixKind.PERMANENT,
        knowledge_article="KB-3107 Portal invoices showed the UK VAT rate",
    )


def _onsite_waiting_for_approval(s: Scene) -> None:
    """Tier 1 → Tier 2 → Engineering; Engineering asks to send Onsite Support (gated): the request
    waits for Engineering's team leader (kenji) or manager (mara)."""
    s.at(0.1).triage("erin")
    s.at(0.2).start_work("erin")
    s.at(0.5).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Printed a test label from the ERP and from Windows on the depot's label printers.",
        "ERP labels blank on all 6 printers; the Windows test page prints.",
        log=("lhr2-print-test.txt", "PRN-01..06 ERP label job: 0 bytes rendered\n"),
    )
    s.at(0.8).escalate(
        "erin",
        "Tier 2",
        criterion="Needs more in-depth technical knowledge",
        findings="Since the print server moved, ERP shipping labels print blank at depot LHR-2; "
        "Windows test pages print.",
        workaround="Hand-written labels; about 200 a day.",
    )
    s.at(1.0).start_work("tom")
    s.at(2.0).step(
        "tom",
        StepKind.LOG_ANALYSIS,
        "Read the new print server's spooler log for the depot's queues.",
        "Jobs arrive as ZPL II; the printers' firmware (2017) expects ZPL.",
    )
    s.at(3.5).escalate(
        "tom",
        "Engineering",
        criterion="Software bug",
        findings="The ERP's new label driver sends ZPL II commands the depot printers' 2017 firmware "
        "cannot render.",
        workaround="Hand-written labels.",
    )
    s.at(3.8).start_work("ella")
    s.at(5.0).step(
        "ella",
        StepKind.REPLICATION,
        "Printed the ERP label on the lab's printer of the same model, before and after a firmware update.",
        "Blank with the 2017 firmware, correct after updating to V84.20.",
    )
    s.at(6.0).escalate(
        "ella",
        "Onsite Support",
        findings="The six LHR-2 label printers need firmware V84.20, which has to be installed at the "
        "printer (USB, 15 minutes each). Everything else was checked remotely.",
        workaround="Hand-written labels.",
    )


def _microsoft_l3(s: Scene) -> None:
    """Seed 000: L1 → L2 → Microsoft L3, approved by Tier 2's team leader with notes; the vendor's
    case number and two vendor updates are recorded."""
    s.at(0.1).triage("omar")
    s.at(0.2).start_work("omar")
    s.at(0.5).step(
        "omar",
        StepKind.BASIC_CHECK,
        "Sent a Teams meeting invitation to a test address at a partner's domain.",
        "Partner receives winmail.dat instead of the invitation.",
    )
    s.at(0.8).step(
        "omar",
        StepKind.LOG_ANALYSIS,
        "Ran a message trace for the last 48 hours.",
        "All external invitations since Tuesday carry TNEF; internal ones do not.",
        log=(
            "message-trace.csv",
            "received,sender,recipient,status,format\n"
            "2026-11-20T09:14,priya@brightwater.example,ops@partner.example,Delivered,TNEF\n",
        ),
    )
    s.at(1.0).escalate(
        "omar",
        "L2",
        findings="External recipients get Teams invitations as winmail.dat since Tuesday; internal "
        "recipients are fine. Message trace attached.",
        workaround="Forward the invitation as .ics.",
    )
    s.at(1.2).start_work("tom")
    s.at(2.0).step(
        "tom",
        StepKind.CONFIGURATION,
        "Checked the remote domain settings and transport rules of the tenant.",
        "TNEF disabled for the default remote domain; no rule changed.",
    )
    s.at(3.0).step(
        "tom",
        StepKind.REPLICATION,
        "Reproduced with a fresh mailbox and the new Outlook.",
        "Reproduced: the service itself encodes the invitation; nothing on our side.",
    )
    s.at(3.5)
    handoff = handoffs.escalate(
        ticket=s.ticket,
        actor=s["tom"],
        to_tier=s.tier("Microsoft L3"),
        findings="Exchange Online sends Teams invitations to external domains as TNEF although the tenant "
        "disables it; reproduced with a new mailbox. Service-side: needs Microsoft.",
        workaround="Forward the invitation as an .ics file.",
    )
    s.at(4.0)
    approval_approve(
        request=handoff.approval,
        actor=s["ravi"],
        notes="Reviewed L1's message trace and L2's configuration check and reproduction: nothing left to "
        "try on our side. Open a Microsoft case at severity B.",
    )
    s.at(4.2).start_work("tom")
    s.at(4.5)
    engagement = vendor.vendor_engage(
        ticket=s.ticket,
        actor=s["tom"],
        case_number="2511230040001234",
        contact="Microsoft Support, Exchange Online: Ana Ruiz (ana.ruiz@support.microsoft.example)",
    )
    s.at(8.0)
    vendor.vendor_update(
        engagement=engagement,
        actor=s["tom"],
        summary="Microsoft reproduced it in their lab; known regression in the "
        "calendar sharing service, fix being rolled out.",
    )
    s.at(20.0)
    vendor.vendor_update(
        engagement=engagement,
        actor=s["tom"],
        summary="Fix deployed to the tenant's region; Microsoft asks us to test and "
        "confirm before they close the case.",
    )


def _sent_back(s: Scene) -> None:
    """Seed 000: the request for Microsoft L3 is sent back by the team leader with the steps to do
    first; they are on the ticket as to-do steps."""
    s.at(0.1).triage("omar")
    s.at(0.2).start_work("omar")
    s.at(0.6).step(
        "omar",
        StepKind.BASIC_CHECK,
        "Searched for a 2025 e-mail in Marco's Outlook and in Outlook on the web.",
        "Outlook: no results. Outlook on the web: found.",
    )
    s.at(1.0).escalate(
        "omar",
        "L2",
        findings="Outlook desktop search finds nothing older than 3 months; Outlook on the web finds "
        "everything.",
        workaround="Search in Outlook on the web.",
    )
    s.at(1.3).start_work("rachel")
    s.at(2.0).step(
        "rachel",
        StepKind.CONFIGURATION,
        "Checked the 'mail to keep offline' setting.",
        "Set to 3 months by the new laptop image, so older mail is only on the server.",
    )
    s.at(2.8).step(
        "rachel",
        StepKind.CONFIGURATION,
        "Checked 'Include results from the server' in search options.",
        "Enabled; search still returns nothing from the server.",
    )
    s.at(3.2)
    handoff = handoffs.escalate(
        ticket=s.ticket,
        actor=s["rachel"],
        to_tier=s.tier("Microsoft L3"),
        findings="Server-side search from Outlook returns nothing for Marco's mailbox; Outlook on the "
        "web finds the same messages.",
        workaround="Search in Outlook on the web.",
        evidence_note="None: Outlook logs nothing for an empty search result.",
    )
    s.at(4.0)
    approval_request_changes(
        request=handoff.approval,
        actor=s["ravi"],
        steps=[
            "Test with a new Outlook profile on Marco's laptop.",
            "Check the mailbox's search index state (Get-MailboxStatistics) and attach the output.",
        ],
        notes="Microsoft will ask for both first; do them and file the request again.",
    )


def _it_manager_decision(s: Scene) -> None:
    """Seed 001: every tier failed; Engineering escalates past Onsite and the vendor (neither can
    help) to the IT manager, who decides with the complete activity record."""
    s.at(0.2).triage("erin")
    s.at(0.3).start_work("erin")
    s.at(1.0).step(
        "erin",
        StepKind.BASIC_CHECK,
        "Opened last week's rota export in Excel and in the payroll import.",
        "Both report a corrupt file; exports made before the 12th open.",
    )
    s.at(2.0).escalate(
        "erin",
        "Tier 2",
        criterion="Needs more in-depth technical knowledge",
        findings="The weekly rota export is corrupt since the ERP servers moved to Windows Server 2025.",
        workaround="The clinics' managers type the rota into payroll by hand (4 hours a week).",
    )
    s.at(2.5).start_work("rachel")
    s.at(4.0).step(
        "rachel",
        StepKind.ROOT_CAUSE,
        "Compared exports from the old and new server byte by byte.",
        "The new server writes UTF-16 where the export component expects ANSI.",
    )
    s.at(6.0).escalate(
        "rachel",
        "Engineering",
        criterion="Requires code changes",
        findings="The rota export (an in-house VB6 component from 2014) writes UTF-16 on Windows Server "
        "2025; it needs a code change.",
        workaround="Typing the rota by hand.",
    )
    s.at(6.5).start_work("jonas")
    s.at(8.0).step(
        "jonas",
        StepKind.REPLICATION,
        "Built the 2014 component on a Server 2025 test VM.",
        "Reproduced; the VB6 runtime's string conversion is the cause.",
    )
    s.at(20.0).step(
        "jonas",
        StepKind.OTHER,
        "Estimated the options: rewrite the export in the ERP's "
        "report engine, or keep one Server 2019 VM for the component.",
        "Rewrite: about 6 weeks. Server 2019 VM: 1 day, supported until January 2029.",
    )
    s.at(24.0).escalate(
        "jonas",
        "IT Manager decision",
        findings="Onsite Support cannot help (nothing at the clinics is at fault) and there is no vendor "
        "(in-house component). Options: rewrite (6 weeks) or run the component on a Server 2019 VM as a "
        "known error until the rewrite. A decision is needed.",
        workaround="Typing the rota by hand.",
    )


# --- the stories ------------------------------------------------------------------------------------

P = Priority

ESCALATION_STORIES: list[EscalationStory] = [
    EscalationStory(
        "esc-tier2",
        3,
        "marco",
        Channel.EMAIL,
        "ERP journal import rejects every line with cost centre 4410",
        service="ERP",
        category="Software",
        priority=P.P3,
        ends_hours_ago=1.5,
        length_hours=3.6,
        intake={
            "description": "Month-end journal import refuses 37 of 412 lines, all on the new cost "
            "centre 4410.",
            "symptoms": "Import log shows GL-207 'cost centre closed' for every line with 4410.",
            "replication_steps": "Finance > Journals > Import > file JE-2026-11.csv",
            "error_messages": "GL-207 Cost centre 4410 is closed for posting",
            "recent_changes": "Cost centre 4410 created last week for the new Leeds office.",
            "business_impact": "Month-end close is blocked until the lines are posted.",
            "workaround": "Post the 37 lines by hand.",
        },
        script=_tier2_with_criterion,
        expected_tier="Tier 2",
        expected_status=Status.IN_PROGRESS,
        created_by="erin",
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-consult",
        0,
        "hugo",
        Channel.PORTAL,
        "Stock valuation report takes 40 minutes instead of 2",
        service="ERP",
        category="Performance",
        priority=P.P3,
        ends_hours_ago=10.0,
        length_hours=9.5,
        intake={
            "description": "The month-end stock valuation for all depots has become very slow.",
            "symptoms": "Report runs 40+ minutes; the finance team waits for it every morning.",
            "replication_steps": "Reports > Stock valuation > All depots > Run",
            "error_messages": "none",
            "recent_changes": "ERP 11.4 with multi-depot stock moves, three weeks ago.",
            "business_impact": "Finance cannot close the day's books before 10:00.",
            "workaround": "Run per depot and add up.",
        },
        script=_engineering_with_consult,
        expected_tier="Engineering",
        expected_status=Status.IN_PROGRESS,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-returned",
        1,
        "felix",
        Channel.PORTAL,
        "Portal invoices show the UK VAT rate for customers in Ireland",
        service="Customer portal",
        category="Software",
        priority=P.P2,
        ends_hours_ago=26.0,
        length_hours=8.5,
        intake={
            "description": "Invoices downloaded from the portal for our Dublin clinics show 20 % VAT.",
            "symptoms": "PDF invoice total differs from the ERP invoice by the VAT difference.",
            "replication_steps": "Portal > Invoices > any invoice of a Dublin clinic > Download PDF",
            "error_messages": "none",
            "recent_changes": "Portal 4.2 released two weeks ago.",
            "business_impact": "Our accounts team cannot book the invoices; Irish VAT returns are due.",
            "workaround": "Ask for the ERP invoice by e-mail.",
        },
        script=_returned_and_resolved,
        expected_tier="Tier 1",
        expected_status=Status.RESOLVED,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-onsite",
        0,
        "carla",
        Channel.PHONE,
        "Depot LHR-2 label printers print blank shipping labels",
        service="ERP",
        category="Hardware",
        priority=P.P2,
        ends_hours_ago=1.0,
        length_hours=6.5,
        intake={
            "description": (
                "Since the print server moved on Saturday, shipping labels from the ERP are blank."
            ),
            "symptoms": "Label comes out blank; the printer shows no error.",
            "replication_steps": "Shipping > Outbound > Print label, any order at LHR-2",
            "error_messages": "none",
            "recent_changes": "Print server moved to the new data centre on Saturday.",
            "business_impact": "About 200 parcels a day are labelled by hand; two mis-deliveries already.",
            "workaround": "Hand-written labels.",
        },
        script=_onsite_waiting_for_approval,
        expected_tier="Engineering",
        expected_status=Status.IN_PROGRESS,
        created_by="erin",
        expected_handoff=HandoffStatus.PENDING_APPROVAL,
    ),
    EscalationStory(
        "esc-microsoft",
        2,
        "priya",
        Channel.PORTAL,
        "Teams invitations reach external partners as winmail.dat",
        service="E-mail & collaboration",
        category="Network",
        priority=P.P2,
        ends_hours_ago=5.0,
        length_hours=20.5,
        intake={
            "description": "Partners cannot accept our meeting invitations: they receive winmail.dat.",
            "symptoms": "External recipients get an attachment winmail.dat and no invitation.",
            "replication_steps": "Schedule a Teams meeting with any external address.",
            "error_messages": "none",
            "recent_changes": "none on our side",
            "business_impact": "Investor and supplier meetings are missed; the board meets partners weekly.",
            "workaround": "Send the invitation as an .ics file.",
        },
        script=_microsoft_l3,
        expected_tier="Microsoft L3",
        expected_status=Status.IN_PROGRESS,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-sent-back",
        3,
        "marco",
        Channel.EMAIL,
        "Outlook search finds nothing older than three months",
        service="E-mail & collaboration",
        category="Software",
        priority=P.P3,
        ends_hours_ago=1.0,
        length_hours=4.5,
        intake={
            "description": "Searching in Outlook returns nothing older than about three months.",
            "symptoms": "No results for older mail; the messages are there when browsing the folders.",
            "replication_steps": "Outlook > search 'Q2 forecast' (May 2026 e-mails) on Marco's laptop.",
            "error_messages": "none",
            "recent_changes": "New laptop image rolled out last month.",
            "business_impact": "Compliance requests for old correspondence take hours.",
            "workaround": "Search in Outlook on the web.",
        },
        script=_sent_back,
        expected_tier="L2",
        expected_status=Status.IN_PROGRESS,
        created_by="omar",
        expected_handoff=HandoffStatus.SENT_BACK,
    ),
    EscalationStory(
        "esc-decision",
        1,
        "nadia",
        Channel.PORTAL,
        "Weekly clinic rota export is corrupt since the server upgrade",
        service="Payroll",
        category="Software",
        priority=P.P3,
        ends_hours_ago=2.0,
        length_hours=24.5,
        intake={
            "description": "The rota export that feeds payroll produces files nobody can open.",
            "symptoms": "Excel and the payroll import both report a corrupt file.",
            "replication_steps": "Rota > Export week > open the file.",
            "error_messages": "Payroll import: 'Unexpected character at line 1'",
            "recent_changes": "ERP servers upgraded to Windows Server 2025 on the 12th.",
            "business_impact": "Clinic managers type 300 shifts a week into payroll by hand.",
            "workaround": "Type the rota by hand.",
        },
        script=_it_manager_decision,
        expected_tier="IT Manager decision",
        expected_status=Status.OPEN,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
]


def _play(spec: EscalationStory, cast: Cast, start: datetime, clock: time_machine.Coordinates) -> Ticket:
    scene = Scene(cast, clock, start)
    requester = cast.users[spec.requester]
    scene.open_ticket(
        opener=cast.users[spec.created_by or spec.requester],
        requester=requester,
        staff_set={"priority": spec.priority, "category": cast.categories[spec.category]},
        summary=spec.summary,
        channel=spec.channel,
        service=cast.services[spec.service],
        **spec.intake,
    )
    spec.script(scene)
    scene.at(spec.length_hours)
    ticket = scene.ticket
    ticket.refresh_from_db()
    stint = selectors.current_stint(ticket)
    last = Handoff.objects.filter(ticket=ticket).order_by("-pk").first()
    if (ticket.status, stint.tier.name if stint else None, last.status if last else None) != (
        spec.expected_status,
        spec.expected_tier,
        spec.expected_handoff or None,
    ):  # pragma: no cover - a story or a preset changed
        raise AssertionError(
            f"escalation story {spec.key} ended {ticket.status} in {stint.tier if stint else None} "
            f"(last hand-off {last.status if last else None}), not {spec.expected_status} in "
            f"{spec.expected_tier} ({spec.expected_handoff})"
        )
    return ticket


def timed_stories(
    specs: Iterable[Any], play: Callable[..., Ticket], cast: Cast, now: datetime
) -> list[Story]:
    """Each spec as a `Story` ending `spec.ends_hours_ago` before now and lasting `spec.length_hours`,
    played by `play(spec, cast, start, clock)` (this module's and `demo.cases`' stories)."""
    result = []
    for spec in specs:
        end = now - timedelta(hours=spec.ends_hours_ago)
        start = end - timedelta(hours=spec.length_hours)
        result.append(Story(key=spec.key, start=start, end=end, play=partial(play, spec, cast, start)))
    return result


def stories(cast: Cast, now: datetime) -> list[Story]:
    """The escalation stories, for `demo.seeding.seed(extra_stories=...)`."""
    return timed_stories(ESCALATION_STORIES, _play, cast, now)
