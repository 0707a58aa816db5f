"""The scripts of the ladder stories (`demo.ladders`): what happens on each story's ticket, in
hours after its opening, through the ticket, escalation and approval services.

Each script is played on a `demo.scene.Scene`; `demo.ladders.ESCALATION_STORIES` says which
ticket it is played on and where the ticket must end.
"""

from __future__ import annotations

from approvals.services import approval_approve, approval_request_changes
from escalations.services import consults, handoffs, vendor
from tickets.models import FixKind, StepKind
from tickets.services.lifecycle import ticket_resolve

from .scene import Scene


def tier2_with_criterion(s: Scene) -> None:
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


def engineering_with_consult(s: Scene) -> None:
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


def returned_and_resolved(s: Scene) -> None:
    """Engineering fixes, returns the ticket to Tier 1 to verify with the customer, Tier 1 resolves
    (the knowledge article Engineering's work requires)."""
    _vat_rate_to_engineering(s)
    _engineering_fixes_and_returns(s)
    _tier1_verifies_and_resolves(s)


def _vat_rate_to_engineering(s: Scene) -> None:
    """Tier 1 → Tier 2 → Engineering: the portal's invoices show the UK VAT rate for Ireland."""
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


def _engineering_fixes_and_returns(s: Scene) -> None:
    """Engineering finds the fault, deploys the fix and returns the ticket to Tier 1."""
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


def _tier1_verifies_and_resolves(s: Scene) -> None:
    """Tier 1 asks Felix to check his invoices and resolves with the knowledge article."""
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


def onsite_waiting_for_approval(s: Scene) -> None:
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


def microsoft_l3(s: Scene) -> None:
    """Seed 000: L1 → L2 → Microsoft L3, approved by Tier 2's team leader with notes; the vendor's
    case number and two vendor updates are recorded."""
    _invitations_to_l2(s)
    _l2_checks_the_tenant(s)
    _microsoft_l3_approved(s)
    _microsoft_works_the_case(s)


def _invitations_to_l2(s: Scene) -> None:
    """L1 traces the invitations and hands the ticket to L2 with the message trace."""
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


def _l2_checks_the_tenant(s: Scene) -> None:
    """L2 finds nothing wrong in the tenant's configuration and reproduces it with a new mailbox."""
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


def _microsoft_l3_approved(s: Scene) -> None:
    """L2 asks for Microsoft L3; Tier 2's team leader (ravi) approves with notes."""
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


def _microsoft_works_the_case(s: Scene) -> None:
    """The vendor's case number, and two of Microsoft's updates until the fix is deployed."""
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


def sent_back(s: Scene) -> None:
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


def it_manager_decision(s: Scene) -> None:
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
