"""The demo tickets someone is working on: in progress, and waiting on the customer.

The first one is the demo set's marker and its richest ticket (see `demo.stories.MARKER_SUMMARY`).
"""

from __future__ import annotations

from tickets.models import Channel, FixKind, Priority, Status, StepKind, StepState

from ..actions import DemoTicket, note, reopen, resolve, say, start, step, triage, wait

P = Priority
WORKAROUND = FixKind.WORKAROUND

AT_WORK: list[DemoTicket] = [
    # ---- in progress (the first one is the demo set's marker and the richest ticket) ----
    DemoTicket(
        "erp-lock",
        0,
        "carla",
        "erin",
        Channel.PHONE,
        6.2,
        "ERP shipment confirmation fails with 'Lock wait timeout exceeded'",
        description="Since Monday morning the warehouse team cannot confirm outbound shipments in "
        "the ERP. About one confirmation in three fails; retrying sometimes works.",
        symptoms="Confirm Shipment spins for ~50 s then shows an error. Trucks leave without "
        "dispatch notes; affected orders stay in status 'Picked'.",
        replication_steps="1. Shipping > Outbound > select any picked order at depot LHR-2\n"
        "2. Click Confirm Shipment\n3. Fails in about 1 of 3 attempts between 07:00 and 10:00",
        error_messages="SQLSTATE[HY000]: General error: 1205 Lock wait timeout exceeded; "
        "try restarting transaction (ShipmentConfirmService.java:214)",
        recent_changes="ERP patch 11.4.2 installed on Saturday; new handheld scanners at LHR-2.",
        business_impact="~140 shipments a day are delayed; two key customers have SLA penalties "
        "from the third late delivery this month.",
        workaround="Confirm shipments one at a time outside peak hours; slow and error-prone.",
        priority=P.P1,
        category="Software",
        service="ERP",
        critical_milestone_in_days=5,
        script=[
            triage(),
            start(),
            step(
                "erin",
                StepKind.BASIC_CHECK,
                "Checked ERP service health and user sessions.",
                "All ERP nodes up; 38 active warehouse sessions, nothing unusual.",
            ),
            step(
                "erin",
                StepKind.LOG_ANALYSIS,
                "Analysed the app server logs of the last three days for ShipmentConfirmService.",
                "212 lock wait timeouts, all on table STOCK_RESERVATION, "
                "all during the 07:00 batch 'ReplenishmentPlanner'.",
            ),
            step(
                "erin",
                StepKind.KNOWN_ISSUE,
                "Searched the knowledge base and vendor release notes for 11.4.2.",
                "Known issue KB-2291: planner holds row locks longer after 11.4.x.",
            ),
            say(
                "erin",
                "Hello Carla, we can see the lock timeouts in the logs and they match a known "
                "issue in the 11.4.2 patch. We are working on a workaround before the next morning peak.",
            ),
            note(
                "tom",
                "Replicated in TEST-ERP with the planner running: 3/10 confirmations time out. "
                "Looks like the planner's batch size change in 11.4.2.",
            ),
            step(
                "tom",
                StepKind.REPLICATION,
                "Replicated in TEST-ERP with a copy of Saturday's data.",
                "Reproduced: 3 of 10 confirmations time out while the planner runs.",
            ),
            step(
                "erin",
                StepKind.WORKAROUND,
                "Moved the ReplenishmentPlanner batch from 07:00 to 05:30 with the customer's agreement.",
                "In TEST-ERP the moved batch ends by 06:40; none of 20 confirmations after it timed out.",
                public=True,
            ),
            note("esme", "Customer flagged SLA penalties; keep me posted daily until fixed."),
            step(
                "tess",
                StepKind.SUGGESTED,
                "Check with DBA whether innodb_lock_wait_timeout was changed by the patch installer.",
                state=StepState.TO_DO,
            ),
            say(
                "carla",
                "Thanks, that should get us through the morning peaks. We need a permanent "
                "fix before the end of the month though.",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "outlook-mfa",
        1,
        "nadia",
        "nadia",
        Channel.PORTAL,
        4.5,
        "Outlook prompts for password repeatedly after MFA rollout",
        description="Since MFA was enabled for the clinics last week, Outlook on reception PCs asks "
        "for the password every few minutes.",
        symptoms="Credential prompt reappears every 5-10 minutes; mail stops syncing until entered.",
        replication_steps="Log on to any reception PC at the Salford clinic, open Outlook, wait 10 min.",
        error_messages="none",
        recent_changes="MFA enforced for all clinic accounts on the 3rd.",
        business_impact="Receptionists miss appointment e-mails; 12 clinics affected.",
        workaround="Use Outlook on the web in the browser.",
        priority=P.P2,
        category="Access & accounts",
        service="E-mail & collaboration",
        script=[
            triage(),
            start("omar"),
            step(
                "omar",
                StepKind.CONFIGURATION,
                "Verified modern authentication settings on the tenant and Outlook build on two PCs.",
                "Outlook build 16.0.10325 on reception PCs: modern auth disabled by an old registry policy.",
            ),
            step(
                "omar",
                StepKind.REMOTE_SESSION,
                "Remote session with Nadia on RECEP-SAL-02; removed the legacy EnableADAL=0 policy.",
                "Outlook reconnected with modern authentication; no prompt since.",
                public=True,
            ),
            say(
                "omar",
                "Nadia, the fix works on RECEP-SAL-02. We are preparing a group policy change "
                "for all reception PCs and will roll it out tonight.",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "vpn-frankfurt",
        3,
        "marco",
        "marco",
        Channel.API,
        8.0,
        "VPN tunnel to Frankfurt branch flaps during backup window",
        description="Site-to-site tunnel FRA-01 goes down and up several times between 01:00 and "
        "03:00 every night.",
        symptoms="Monitoring shows 6-10 tunnel down events per night; backup jobs to HQ fail.",
        replication_steps="Observe tunnel status during the nightly backup (01:00-03:00).",
        error_messages="IKEv2 DPD timeout, peer 203.0.113.45 not responding",
        recent_changes="ISP replaced the Frankfurt router last Thursday.",
        business_impact="Nightly backups of the Frankfurt file server failed three nights running "
        "(regulatory retention requirement).",
        workaround="Backups restarted manually in the morning; takes ~2 h.",
        priority=P.P2,
        category="Network",
        service="VPN",
        script=[
            triage(),
            start(),
            step(
                "erin",
                StepKind.LOG_ANALYSIS,
                "Analysed firewall logs for the FRA-01 tunnel.",
                "DPD timeouts coincide with link saturation at 95 Mbit/s during backup.",
            ),
            note(
                "erin", "Consulting Network Operations: could the new ISP router drop IKE packets under load?"
            ),
            step(
                "nils",
                StepKind.ROOT_CAUSE,
                "Compared QoS policy on the new ISP router with the old configuration.",
                "New router has no QoS class for IKE/ESP; keepalives are dropped when the link is full.",
            ),
            say(
                "erin",
                "Marco, our network team found that the new ISP router drops VPN keepalives "
                "when the link is saturated. Could you ask the ISP to restore the QoS profile?",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "overtime",
        2,
        "sean",
        "erin",
        Channel.EMAIL,
        5.0,
        "Payroll: overtime rates not applied to weekend shifts",
        description="Field engineers' Saturday and Sunday shifts are paid at the normal rate "
        "instead of 1.5x in the draft payroll for this month.",
        symptoms="Draft payslips show weekend hours under 'Basic' instead of 'Overtime 1.5'.",
        replication_steps="Payroll > Draft run > employee 40117 > Hours breakdown.",
        error_messages="none",
        recent_changes="New shift calendar 'Field 2025' assigned to field engineers last month.",
        business_impact="63 engineers underpaid if the run is approved; union agreement breach.",
        workaround="Payroll team could add manual adjustments, 63 employees.",
        priority=P.P2,
        category="Software",
        service="Payroll",
        critical_milestone_in_days=9,
        script=[
            triage(),
            start("lucy"),
            step(
                "lucy",
                StepKind.BASIC_CHECK,
                "Compared employee 40117 with an office employee.",
                "Only employees on calendar 'Field 2025' are affected.",
            ),
            step(
                "tom",
                StepKind.REPLICATION,
                "Replicated in the payroll test tenant with the Field 2025 calendar.",
                "Reproduced: weekend days in that calendar are typed 'Workday'.",
            ),
            note(
                "tom",
                "Calendar import mapped Sat/Sun to day type 'Workday'. Suspect the import "
                "template, not the payroll engine.",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "scanner-wifi",
        0,
        "hugo",
        "hugo",
        Channel.PORTAL,
        12.0,
        "Handheld scanners cannot sync after Wi-Fi change at depot LHR-2",
        description="Since the depot moved to the new WPA3 Wi-Fi, the Zebra handhelds fail to sync "
        "picking lists with the ERP.",
        symptoms="Sync icon stays red; pickers work from paper lists.",
        replication_steps="Take any handheld at LHR-2, tap Sync.",
        error_messages="SYNC-E17 host unreachable",
        recent_changes="Depot Wi-Fi moved to WPA3-Enterprise on the 2nd.",
        business_impact="Picking is 40% slower at LHR-2.",
        workaround="Paper picking lists.",
        priority=P.P3,
        category="Network",
        service="ERP",
        script=[
            triage(),
            start(),
            step(
                "erin",
                StepKind.CONFIGURATION,
                "Checked the handhelds' Wi-Fi profile.",
                "Profile still WPA2-PSK; devices never join the new SSID.",
            ),
            step(
                "erin",
                StepKind.FIX_DEPLOYED,
                "Pushed a WPA3 profile to the 24 handhelds via MDM.",
                "Devices joined the new SSID and synced.",
                public=True,
            ),
            resolve(
                "erin",
                "Pushed a WPA3-Enterprise Wi-Fi profile to all handhelds via MDM.",
                "Handheld Wi-Fi profile not updated when the depot moved to WPA3.",
            ),
            reopen(
                "hugo",
                "Six handhelds on the night shift still cannot sync; they were in the "
                "charging cradles when the profile was pushed.",
            ),
            say(
                "erin",
                "Thanks Hugo, those six were offline during the push. We will push again when "
                "they are docked tonight.",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "portal-safari",
        1,
        "felix",
        "felix",
        Channel.PORTAL,
        7.0,
        "Customer portal log-in loop for patients using Safari",
        description="Patients on iPhones are sent back to the log-in page after entering their code.",
        symptoms="After the one-time code the page reloads the log-in form; no error shown.",
        replication_steps="iPhone, Safari 17, open the portal, log in with a test patient account.",
        error_messages="none shown to the user",
        recent_changes="none that we know of",
        business_impact="Patients cannot book or cancel appointments online; phones are swamped.",
        workaround="Patients can use Chrome or call reception.",
        priority=P.P3,
        category="Software",
        service="Customer portal",
        script=[
            triage(),
            start("omar"),
            step(
                "omar",
                StepKind.BASIC_CHECK,
                "Tried with Safari on macOS and iOS test devices.",
                "Could not reproduce on our devices.",
            ),
            wait("omar", "Please send a HAR capture of the log-in attempt from an affected iPhone."),
            say(
                "felix",
                "HAR file captured on a clinic iPhone, uploaded to our share as requested. "
                "It seems the session cookie is dropped after the redirect.",
            ),
            step(
                "omar",
                StepKind.LOG_ANALYSIS,
                "Analysed the customer's HAR capture.",
                "Session cookie set with SameSite=None but without Secure; Safari drops it.",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "board-pack",
        3,
        "grace",
        "erin",
        Channel.PHONE,
        3.0,
        "Board pack report export times out",
        description="The quarterly board pack report in the ERP times out when exported to PDF.",
        symptoms="Export runs 5 minutes then the browser shows a gateway timeout.",
        replication_steps="Reports > Finance > Board pack Q3 > Export PDF.",
        error_messages="504 Gateway Time-out (nginx)",
        recent_changes="Two new subsidiaries added to the consolidation last month.",
        business_impact="Board meeting on Thursday needs the pack by Wednesday noon.",
        workaround="Export each subsidiary separately and merge by hand.",
        priority=P.P2,
        category="Performance",
        service="ERP",
        critical_milestone_in_days=2,
        script=[
            triage(),
            start("tess", assignee="lucy"),
            step(
                "lucy",
                StepKind.LOG_ANALYSIS,
                "Checked report server timings.",
                "Consolidation query takes 7 min; gateway timeout is 5 min.",
            ),
        ],
        expected=Status.IN_PROGRESS,
    ),
    # ---- waiting on customer ----
    DemoTicket(
        "ndr-auditors",
        2,
        "priya",
        "priya",
        Channel.PORTAL,
        9.0,
        "E-mails to external auditors rejected with 550 5.7.1",
        description="Mail from the finance team to our auditors bounces since yesterday.",
        symptoms="Immediate non-delivery report for every message to @auditfirm.example.",
        replication_steps="Send any mail to partner@auditfirm.example.",
        error_messages="550 5.7.1 Message rejected due to sender policy (SPF fail)",
        recent_changes="none on our side",
        business_impact="Year-end audit evidence cannot be sent; audit deadline in two weeks.",
        workaround="Sending files through the auditors' upload portal.",
        priority=P.P2,
        category="Network",
        service="E-mail & collaboration",
        script=[
            triage(),
            start(),
            step(
                "erin",
                StepKind.CONFIGURATION,
                "Checked SPF record for brightwater.example.",
                "SPF includes our gateways; passes from our side.",
            ),
            wait(
                "erin",
                "Please forward one complete bounce message as an attachment (.eml) so we "
                "can see the full headers.",
            ),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    DemoTicket(
        "drivers-locked",
        0,
        "carla",
        "carla",
        Channel.PORTAL,
        4.0,
        "Two drivers locked out of the customer portal",
        description="Drivers J. Okoro and P. Silva cannot log in to the portal to upload proof of delivery.",
        symptoms="'Your account is locked' after entering the password.",
        replication_steps="none",
        error_messages="Your account is locked. Contact your administrator.",
        recent_changes="none",
        business_impact="Proof of delivery uploaded a day late, delaying invoicing.",
        priority=P.P3,
        category="Access & accounts",
        service="Customer portal",
        script=[
            triage(),
            start("lucy"),
            step(
                "lucy",
                StepKind.BASIC_CHECK,
                "Looked up both accounts.",
                "Found 'jokoro' locked; no account matches 'P. Silva'.",
            ),
            wait(
                "lucy",
                "Please confirm P. Silva's username or e-mail address; we found no account with that name.",
            ),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    DemoTicket(
        "cost-centre",
        1,
        "nadia",
        "nadia",
        Channel.PORTAL,
        10.0,
        "Payslips show the wrong cost centre for the Bolton clinic",
        description="Staff who moved to the new Bolton clinic still have the Salford cost centre "
        "on their payslips.",
        symptoms="Cost centre 4100 (Salford) instead of 4170 (Bolton) on 9 payslips.",
        replication_steps="Payroll > Employees > filter location Bolton > Cost centre column.",
        error_messages="none",
        recent_changes="Bolton clinic opened on the 1st; staff transferred from Salford.",
        business_impact="Clinic budgets wrong in the monthly report.",
        priority=P.P3,
        category="Software",
        service="Payroll",
        script=[
            triage(),
            start("omar"),
            wait(
                "omar",
                "Please confirm the cost-centre mapping for the Bolton clinic (is it 4170 for "
                "all staff, including locums?).",
            ),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    DemoTicket(
        "vpn-install",
        3,
        "marco",
        "marco",
        Channel.EMAIL,
        3.5,
        "VPN client install fails on new laptops",
        description="The VPN client installer stops with an error on the new batch of laptops.",
        symptoms="Installer rolls back at 80%.",
        replication_steps="Run VPNClient-6.2.msi on a new laptop (model X13 Gen 5).",
        error_messages="Error 1722: a program run as part of the setup did not finish as expected",
        recent_changes="New laptop model delivered this week.",
        business_impact="Four new starters cannot work from home.",
        priority=P.P4,
        category="Software",
        service="VPN",
        script=[
            triage(),
            start(),
            wait(
                "erin",
                "Please run the installer with logging (msiexec /i VPNClient-6.2.msi /l*v "
                "vpn.log) and attach vpn.log.",
            ),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
]
