"""The demo tickets nobody has started: open (triaged, perhaps a first check), new, and cancelled."""

from __future__ import annotations

from tickets.models import CancelReason, Channel, Priority, Status, StepKind

from ..actions import DemoTicket, cancel, note, say, step, triage

P = Priority

BEFORE_WORK: list[DemoTicket] = [
    # ---- open (triaged, nobody has started yet) ----
    DemoTicket(
        "portal-styles", 0, "carla", "carla", Channel.PORTAL, 1.5,
        "Tracking page in the customer portal shows without styles",
        description="The shipment tracking page loads as plain text without colours or layout.",
        symptoms="Unstyled page; other portal pages look fine.",
        replication_steps="Portal > Track shipment > enter HL-2231877.",
        error_messages="Browser console: Refused to apply style ... MIME type ('text/html')",
        recent_changes="none",
        business_impact="Customers think the portal is broken; a few calls per hour.",
        priority=P.P3, category="Software", service="Customer portal",
        script=[triage()],
        expected=Status.OPEN,
    ),
    DemoTicket(
        "vpn-drops", 1, "felix", "felix", Channel.PORTAL, 2.0,
        "VPN drops every 20 minutes for remote clinicians",
        description="Remote clinicians working from home are disconnected from the VPN every ~20 "
        "minutes.",
        symptoms="VPN client shows 'Reconnecting' then drops; patient record app loses session.",
        replication_steps="Connect from home broadband and keep working 30 minutes.",
        error_messages="Peer not responding (code 412)",
        recent_changes="VPN client 5.2 pushed to laptops last week.",
        business_impact="Clinicians lose unsaved notes; 25 users affected.",
        workaround="Save notes every 10 minutes.",
        priority=P.P2, category="Network", service="VPN",
        script=[
            triage(),
            step("erin", StepKind.KNOWN_ISSUE, "Checked vendor advisories for client 5.2.",
                 "Advisory VPN-5.2-03: rekey failure with some home routers; fix in 5.2.1."),
        ],
        expected=Status.OPEN,
    ),
    DemoTicket(
        "payroll-preview", 3, "grace", "erin", Channel.EMAIL, 1.0,
        "Payroll preview totals differ from the approved timesheets",
        description="Preview totals for the London office are GBP 3,420 higher than the approved "
        "timesheets.",
        symptoms="Difference concentrated on 4 employees with mid-month contract changes.",
        replication_steps="Payroll > Preview > London > compare with the timesheet export.",
        error_messages="none",
        recent_changes="Mid-month contract changes for 4 employees.",
        business_impact="Payroll must be approved by the 25th; wrong payments would need recovery.",
        priority=P.P2, category="Software", service="Payroll", critical_milestone_in_days=4,
        script=[triage()],
        expected=Status.OPEN,
    ),
    DemoTicket(
        "invoice-run", 2, "priya", "priya", Channel.PORTAL, 2.5,
        "Monthly ERP invoice run much slower than usual",
        description="The invoice run took 6 hours this month instead of 90 minutes.",
        symptoms="Run finished at 08:10 instead of 03:30.",
        replication_steps="none (monthly batch)",
        error_messages="none",
        recent_changes="Invoice volume about the same; new tax code added.",
        business_impact="Invoices sent late; cash collection delayed by a day.",
        priority=P.P3, category="Performance", service="ERP",
        script=[triage(), note("erin", "Could be the new tax code lookup. Will check with DBA.")],
        expected=Status.OPEN,
    ),
    # ---- new ----
    DemoTicket(
        "label-printer", 0, "hugo", "hugo", Channel.PORTAL, 0.3,
        "Label printer in Dock 3 prints blank shipping labels",
        description="The Zebra label printer in Dock 3 feeds labels but nothing is printed.",
        symptoms="Blank labels; test print from the printer's menu also blank.",
        replication_steps="Print any shipping label to DOCK3-ZB01.",
        error_messages="none",
        recent_changes="Label rolls from a new supplier since Tuesday.",
        business_impact="Dock 3 ships by hand-written labels; slower and error-prone.",
        workaround="Print labels at Dock 2 and walk them over.",
        category="Hardware", service="ERP",
    ),
    DemoTicket(
        "calendar", 1, "nadia", "erin", Channel.PHONE, 0.2,
        "Cannot open the shared clinic calendar",
        description="Nadia called: the shared calendar of the Bolton clinic does not open.",
        symptoms="Outlook shows an error when opening the calendar.",
        service="E-mail & collaboration",
    ),
    DemoTicket(
        "dwh-sync", 3, "marco", "marco", Channel.API, 0.6,
        "Nightly ERP to data warehouse sync reports 0 rows",
        description="Our monitoring opened this ticket: the nightly sync job loaded 0 rows.",
        symptoms="Job status 'success' but 0 rows loaded for 2 nights.",
        replication_steps="Check job DWH_ERP_NIGHTLY in the scheduler.",
        error_messages="none (job reports success)",
        recent_changes="ERP API credentials rotated on Sunday.",
        business_impact="Management dashboards are two days stale.",
        priority=P.P2, category="Software", service="ERP",
    ),
    DemoTicket(
        "new-starters", 2, "sean", "erin", Channel.EMAIL, 0.9,
        "Accounts not provisioned for 3 new field engineers",
        description="Three field engineers start on Monday; their accounts and mailboxes do not "
        "exist yet.",
        symptoms="HR feed shows them, directory does not.",
        replication_steps="none",
        error_messages="none",
        recent_changes="HR system upgraded last week.",
        business_impact="New starters cannot work from day one.",
        priority=P.P3, category="Access & accounts", service="E-mail & collaboration",
        critical_milestone_in_days=3,
    ),
    # ---- cancelled ----
    DemoTicket(
        "erp-lock-dup", 0, "hugo", "hugo", Channel.PORTAL, 5.8,
        "Cannot confirm shipments in the ERP at LHR-2",
        description="Shipment confirmation fails with a database error at our depot.",
        symptoms="Error after a long wait when confirming shipments.",
        replication_steps="Confirm any shipment at LHR-2.",
        error_messages="Lock wait timeout exceeded",
        recent_changes="none",
        business_impact="Shipments delayed.",
        priority=P.P2, category="Software", service="ERP",
        script=[cancel("erin", CancelReason.DUPLICATE, "Same issue as Carla's ticket; following "
                       "up there.", duplicate_of="erp-lock")],
        expected=Status.CANCELLED,
    ),
    DemoTicket(
        "auto-reply", 3, "grace", "erin", Channel.EMAIL, 16.0,
        "Re: Re: Out of office",
        description="Automatic reply: I am out of the office until Monday.",
        script=[cancel("erin", CancelReason.SPAM, "Out-of-office auto-reply to a notification; "
                       "not a request.")],
        expected=Status.CANCELLED,
    ),
    DemoTicket(
        "monitor", 1, "felix", "felix", Channel.PORTAL, 20.0,
        "Second monitor for the reception desk at Salford",
        description="Reception would like a second monitor to see the appointment board.",
        symptoms="n/a",
        replication_steps="n/a",
        error_messages="none",
        recent_changes="none",
        business_impact="Minor; convenience.",
        priority=P.P4, category="Hardware", service="E-mail & collaboration",
        script=[
            triage(),
            say("felix", "Please cancel this, the clinic bought one locally."),
            cancel("erin", CancelReason.WITHDRAWN, "Withdrawn by Felix: bought locally."),
        ],
        expected=Status.CANCELLED,
    ),
]
