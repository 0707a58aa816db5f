"""The hand-written demo tickets (data only): each one with its script of actions.

The first ticket is the demo set's marker (see `demo.stories.MARKER_SUMMARY`).
"""

from __future__ import annotations

from tickets.models import CancelReason, Channel, FixKind, Priority, Status, StepKind, StepState

from .actions import DemoTicket, cancel, confirm, note, reopen, resolve, say, start, step, triage, wait

P = Priority
FIX = FixKind.PERMANENT
WORKAROUND = FixKind.WORKAROUND

DEMO_TICKETS: list[DemoTicket] = [
    # ---- in progress (the first one is the demo set's marker and the richest ticket) ----
    DemoTicket(
        "erp-lock", 0, "carla", "erin", Channel.PHONE, 6.2,
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
        priority=P.P1, category="Software", service="ERP", critical_milestone_in_days=5,
        script=[
            triage(),
            start(),
            step("erin", StepKind.BASIC_CHECK, "Checked ERP service health and user sessions.",
                 "All ERP nodes up; 38 active warehouse sessions, nothing unusual."),
            step("erin", StepKind.LOG_ANALYSIS, "Analysed the app server logs of the last three days "
                 "for ShipmentConfirmService.", "212 lock wait timeouts, all on table STOCK_RESERVATION, "
                 "all during the 07:00 batch 'ReplenishmentPlanner'."),
            step("erin", StepKind.KNOWN_ISSUE, "Searched the knowledge base and vendor release notes "
                 "for 11.4.2.", "Known issue KB-2291: planner holds row locks longer after 11.4.x."),
            say("erin", "Hello Carla, we can see the lock timeouts in the logs and they match a known "
                "issue in the 11.4.2 patch. We are working on a workaround before the next morning peak."),
            note("tom", "Replicated in TEST-ERP with the planner running: 3/10 confirmations time out. "
                 "Looks like the planner's batch size change in 11.4.2."),
            step("tom", StepKind.REPLICATION, "Replicated in TEST-ERP with a copy of Saturday's data.",
                 "Reproduced: 3 of 10 confirmations time out while the planner runs."),
            step("erin", StepKind.WORKAROUND, "Moved the ReplenishmentPlanner batch from 07:00 to "
                 "05:30 with the customer's agreement.", "In TEST-ERP the moved batch ends by 06:40; "
                 "none of 20 confirmations after it timed out.", public=True),
            note("esme", "Customer flagged SLA penalties; keep me posted daily until fixed."),
            step("tess", StepKind.SUGGESTED, "Check with DBA whether innodb_lock_wait_timeout was "
                 "changed by the patch installer.", state=StepState.TO_DO),
            say("carla", "Thanks, that should get us through the morning peaks. We need a permanent "
                "fix before the end of the month though."),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "outlook-mfa", 1, "nadia", "nadia", Channel.PORTAL, 4.5,
        "Outlook prompts for password repeatedly after MFA rollout",
        description="Since MFA was enabled for the clinics last week, Outlook on reception PCs asks "
        "for the password every few minutes.",
        symptoms="Credential prompt reappears every 5-10 minutes; mail stops syncing until entered.",
        replication_steps="Log on to any reception PC at the Salford clinic, open Outlook, wait 10 min.",
        error_messages="none",
        recent_changes="MFA enforced for all clinic accounts on the 3rd.",
        business_impact="Receptionists miss appointment e-mails; 12 clinics affected.",
        workaround="Use Outlook on the web in the browser.",
        priority=P.P2, category="Access & accounts", service="E-mail & collaboration",
        script=[
            triage(),
            start("omar"),
            step("omar", StepKind.CONFIGURATION, "Verified modern authentication settings on the "
                 "tenant and Outlook build on two PCs.", "Outlook build 16.0.10325 on reception PCs: "
                 "modern auth disabled by an old registry policy."),
            step("omar", StepKind.REMOTE_SESSION, "Remote session with Nadia on RECEP-SAL-02; removed "
                 "the legacy EnableADAL=0 policy.", "Outlook reconnected with modern authentication; no "
                 "prompt since.", public=True),
            say("omar", "Nadia, the fix works on RECEP-SAL-02. We are preparing a group policy change "
                "for all reception PCs and will roll it out tonight."),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "vpn-frankfurt", 3, "marco", "marco", Channel.API, 8.0,
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
        priority=P.P2, category="Network", service="VPN",
        script=[
            triage(),
            start(),
            step("erin", StepKind.LOG_ANALYSIS, "Analysed firewall logs for the FRA-01 tunnel.",
                 "DPD timeouts coincide with link saturation at 95 Mbit/s during backup."),
            note("erin", "Consulting Network Operations: could the new ISP router drop IKE packets "
                 "under load?"),
            step("nils", StepKind.ROOT_CAUSE, "Compared QoS policy on the new ISP router with the old "
                 "configuration.", "New router has no QoS class for IKE/ESP; keepalives are dropped "
                 "when the link is full."),
            say("erin", "Marco, our network team found that the new ISP router drops VPN keepalives "
                "when the link is saturated. Could you ask the ISP to restore the QoS profile?"),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "overtime", 2, "sean", "erin", Channel.EMAIL, 5.0,
        "Payroll: overtime rates not applied to weekend shifts",
        description="Field engineers' Saturday and Sunday shifts are paid at the normal rate "
        "instead of 1.5x in the draft payroll for this month.",
        symptoms="Draft payslips show weekend hours under 'Basic' instead of 'Overtime 1.5'.",
        replication_steps="Payroll > Draft run > employee 40117 > Hours breakdown.",
        error_messages="none",
        recent_changes="New shift calendar 'Field 2025' assigned to field engineers last month.",
        business_impact="63 engineers underpaid if the run is approved; union agreement breach.",
        workaround="Payroll team could add manual adjustments, 63 employees.",
        priority=P.P2, category="Software", service="Payroll", critical_milestone_in_days=9,
        script=[
            triage(),
            start("lucy"),
            step("lucy", StepKind.BASIC_CHECK, "Compared employee 40117 with an office employee.",
                 "Only employees on calendar 'Field 2025' are affected."),
            step("tom", StepKind.REPLICATION, "Replicated in the payroll test tenant with the Field "
                 "2025 calendar.", "Reproduced: weekend days in that calendar are typed 'Workday'."),
            note("tom", "Calendar import mapped Sat/Sun to day type 'Workday'. Suspect the import "
                 "template, not the payroll engine."),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "scanner-wifi", 0, "hugo", "hugo", Channel.PORTAL, 12.0,
        "Handheld scanners cannot sync after Wi-Fi change at depot LHR-2",
        description="Since the depot moved to the new WPA3 Wi-Fi, the Zebra handhelds fail to sync "
        "picking lists with the ERP.",
        symptoms="Sync icon stays red; pickers work from paper lists.",
        replication_steps="Take any handheld at LHR-2, tap Sync.",
        error_messages="SYNC-E17 host unreachable",
        recent_changes="Depot Wi-Fi moved to WPA3-Enterprise on the 2nd.",
        business_impact="Picking is 40% slower at LHR-2.",
        workaround="Paper picking lists.",
        priority=P.P3, category="Network", service="ERP",
        script=[
            triage(),
            start(),
            step("erin", StepKind.CONFIGURATION, "Checked the handhelds' Wi-Fi profile.",
                 "Profile still WPA2-PSK; devices never join the new SSID."),
            step("erin", StepKind.FIX_DEPLOYED, "Pushed a WPA3 profile to the 24 handhelds via MDM.",
                 "Devices joined the new SSID and synced.", public=True),
            resolve("erin", "Pushed a WPA3-Enterprise Wi-Fi profile to all handhelds via MDM.",
                    "Handheld Wi-Fi profile not updated when the depot moved to WPA3."),
            reopen("hugo", "Six handhelds on the night shift still cannot sync; they were in the "
                   "charging cradles when the profile was pushed."),
            say("erin", "Thanks Hugo, those six were offline during the push. We will push again when "
                "they are docked tonight."),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "portal-safari", 1, "felix", "felix", Channel.PORTAL, 7.0,
        "Customer portal log-in loop for patients using Safari",
        description="Patients on iPhones are sent back to the log-in page after entering their "
        "code.",
        symptoms="After the one-time code the page reloads the log-in form; no error shown.",
        replication_steps="iPhone, Safari 17, open the portal, log in with a test patient account.",
        error_messages="none shown to the user",
        recent_changes="none that we know of",
        business_impact="Patients cannot book or cancel appointments online; phones are swamped.",
        workaround="Patients can use Chrome or call reception.",
        priority=P.P3, category="Software", service="Customer portal",
        script=[
            triage(),
            start("omar"),
            step("omar", StepKind.BASIC_CHECK, "Tried with Safari on macOS and iOS test devices.",
                 "Could not reproduce on our devices."),
            wait("omar", "Please send a HAR capture of the log-in attempt from an affected iPhone."),
            say("felix", "HAR file captured on a clinic iPhone, uploaded to our share as requested. "
                "It seems the session cookie is dropped after the redirect."),
            step("omar", StepKind.LOG_ANALYSIS, "Analysed the customer's HAR capture.",
                 "Session cookie set with SameSite=None but without Secure; Safari drops it."),
        ],
        expected=Status.IN_PROGRESS,
    ),
    DemoTicket(
        "board-pack", 3, "grace", "erin", Channel.PHONE, 3.0,
        "Board pack report export times out",
        description="The quarterly board pack report in the ERP times out when exported to PDF.",
        symptoms="Export runs 5 minutes then the browser shows a gateway timeout.",
        replication_steps="Reports > Finance > Board pack Q3 > Export PDF.",
        error_messages="504 Gateway Time-out (nginx)",
        recent_changes="Two new subsidiaries added to the consolidation last month.",
        business_impact="Board meeting on Thursday needs the pack by Wednesday noon.",
        workaround="Export each subsidiary separately and merge by hand.",
        priority=P.P2, category="Performance", service="ERP", critical_milestone_in_days=2,
        script=[
            triage(),
            start("tess", assignee="lucy"),
            step("lucy", StepKind.LOG_ANALYSIS, "Checked report server timings.",
                 "Consolidation query takes 7 min; gateway timeout is 5 min."),
        ],
        expected=Status.IN_PROGRESS,
    ),
    # ---- waiting on customer ----
    DemoTicket(
        "ndr-auditors", 2, "priya", "priya", Channel.PORTAL, 9.0,
        "E-mails to external auditors rejected with 550 5.7.1",
        description="Mail from the finance team to our auditors bounces since yesterday.",
        symptoms="Immediate non-delivery report for every message to @auditfirm.example.",
        replication_steps="Send any mail to partner@auditfirm.example.",
        error_messages="550 5.7.1 Message rejected due to sender policy (SPF fail)",
        recent_changes="none on our side",
        business_impact="Year-end audit evidence cannot be sent; audit deadline in two weeks.",
        workaround="Sending files through the auditors' upload portal.",
        priority=P.P2, category="Network", service="E-mail & collaboration",
        script=[
            triage(),
            start(),
            step("erin", StepKind.CONFIGURATION, "Checked SPF record for brightwater.example.",
                 "SPF includes our gateways; passes from our side."),
            wait("erin", "Please forward one complete bounce message as an attachment (.eml) so we "
                 "can see the full headers."),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    DemoTicket(
        "drivers-locked", 0, "carla", "carla", Channel.PORTAL, 4.0,
        "Two drivers locked out of the customer portal",
        description="Drivers J. Okoro and P. Silva cannot log in to the portal to upload proof of "
        "delivery.",
        symptoms="'Your account is locked' after entering the password.",
        replication_steps="none",
        error_messages="Your account is locked. Contact your administrator.",
        recent_changes="none",
        business_impact="Proof of delivery uploaded a day late, delaying invoicing.",
        priority=P.P3, category="Access & accounts", service="Customer portal",
        script=[
            triage(),
            start("lucy"),
            step("lucy", StepKind.BASIC_CHECK, "Looked up both accounts.",
                 "Found 'jokoro' locked; no account matches 'P. Silva'."),
            wait("lucy", "Please confirm P. Silva's username or e-mail address; we found no account "
                 "with that name."),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    DemoTicket(
        "cost-centre", 1, "nadia", "nadia", Channel.PORTAL, 10.0,
        "Payslips show the wrong cost centre for the Bolton clinic",
        description="Staff who moved to the new Bolton clinic still have the Salford cost centre "
        "on their payslips.",
        symptoms="Cost centre 4100 (Salford) instead of 4170 (Bolton) on 9 payslips.",
        replication_steps="Payroll > Employees > filter location Bolton > Cost centre column.",
        error_messages="none",
        recent_changes="Bolton clinic opened on the 1st; staff transferred from Salford.",
        business_impact="Clinic budgets wrong in the monthly report.",
        priority=P.P3, category="Software", service="Payroll",
        script=[
            triage(),
            start("omar"),
            wait("omar", "Please confirm the cost-centre mapping for the Bolton clinic (is it 4170 for "
                 "all staff, including locums?)."),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    DemoTicket(
        "vpn-install", 3, "marco", "marco", Channel.EMAIL, 3.5,
        "VPN client install fails on new laptops",
        description="The VPN client installer stops with an error on the new batch of laptops.",
        symptoms="Installer rolls back at 80%.",
        replication_steps="Run VPNClient-6.2.msi on a new laptop (model X13 Gen 5).",
        error_messages="Error 1722: a program run as part of the setup did not finish as expected",
        recent_changes="New laptop model delivered this week.",
        business_impact="Four new starters cannot work from home.",
        priority=P.P4, category="Software", service="VPN",
        script=[
            triage(),
            start(),
            wait("erin", "Please run the installer with logging (msiexec /i VPNClient-6.2.msi /l*v "
                 "vpn.log) and attach vpn.log."),
        ],
        expected=Status.WAITING_ON_CUSTOMER,
    ),
    # ---- resolved, waiting for the customer's confirmation ----
    DemoTicket(
        "shared-mailbox", 2, "sean", "sean", Channel.PORTAL, 11.0,
        "Shared mailbox 'Field Ops' not visible in Outlook",
        description="Three dispatchers no longer see the Field Ops shared mailbox in Outlook.",
        symptoms="Mailbox missing from the folder pane; OWA also refuses to open it.",
        replication_steps="Log in as a dispatcher, look for Field Ops in Outlook.",
        error_messages="You don't have permission to open this mailbox.",
        recent_changes="Dispatchers moved to a new security group last week.",
        business_impact="Dispatch requests from field engineers are missed.",
        workaround="One supervisor forwards the mails by hand.",
        priority=P.P3, category="Access & accounts", service="E-mail & collaboration",
        script=[
            triage(),
            start(),
            step("erin", StepKind.CONFIGURATION, "Checked mailbox permissions.",
                 "Full access was granted to the old group, which was emptied."),
            step("erin", StepKind.FIX_DEPLOYED, "Granted Full Access with automapping to the new "
                 "group 'SG-Dispatch'.", "Mailbox reappears after Outlook restart.", public=True),
            resolve("erin", "Granted Full Access (automapping) on Field Ops to SG-Dispatch.",
                    "Permissions were assigned to the old security group that was retired."),
            say("erin", "Sean, the mailbox should appear after restarting Outlook. Please confirm it "
                "works for all three dispatchers."),
        ],
        expected=Status.RESOLVED,
    ),
    DemoTicket(
        "portal-logo", 3, "grace", "grace", Channel.PORTAL, 13.0,
        "Customer portal invoice PDFs show the old logo",
        description="Invoices downloaded from the portal still carry the logo from before the "
        "rebrand.",
        symptoms="Old logo on PDFs; the web pages show the new one.",
        replication_steps="Portal > Invoices > download any invoice.",
        error_messages="none",
        recent_changes="Rebrand went live on Monday.",
        business_impact="Clients question the invoices' authenticity.",
        priority=P.P3, category="Software", service="Customer portal",
        script=[
            triage(),
            start("lucy"),
            step("lucy", StepKind.KNOWN_ISSUE, "Checked known issues for PDF templates.",
                 "PDF renderer caches template assets for 30 days."),
            resolve("lucy", "Purged the PDF template cache and regenerated this month's invoices.",
                    "Template asset cache kept the old logo."),
        ],
        expected=Status.RESOLVED,
    ),
    DemoTicket(
        "goods-receipt", 0, "hugo", "erin", Channel.PHONE, 14.0,
        "ERP goods receipt screen takes 40 seconds to open",
        description="Opening Purchasing > Goods receipt takes 30-40 seconds at all depots.",
        symptoms="Spinner for 30-40 s; then normal.",
        replication_steps="Purchasing > Goods receipt > open.",
        error_messages="none",
        recent_changes="none",
        business_impact="Inbound trucks wait at the gate; demurrage charges.",
        priority=P.P2, category="Performance", service="ERP",
        script=[
            triage(),
            start(),
            step("erin", StepKind.LOG_ANALYSIS, "Reviewed slow query log.",
                 "Query on PO_LINE full-scans 9M rows."),
            note("erin", "Asked DBA to look at PO_LINE statistics."),
            step("sofia", StepKind.ROOT_CAUSE, "Checked index statistics on PO_LINE.",
                 "Statistics stale since the archive job was disabled; optimiser ignores the index."),
            step("sofia", StepKind.WORKAROUND, "Rebuilt statistics on PO_LINE.",
                 "Screen opens in 2 s.", public=True),
            resolve("erin", "Statistics on PO_LINE rebuilt; weekly statistics job re-enabled.",
                    "Stale optimiser statistics after the archive job was disabled.",
                    WORKAROUND, kb="KB-2310 Slow goods receipt after archive job disabled"),
        ],
        expected=Status.RESOLVED,
    ),
    DemoTicket(
        "iban", 1, "felix", "felix", Channel.PORTAL, 15.0,
        "Payroll bank file rejected: invalid IBAN checksum",
        description="The bank rejected this month's payroll file.",
        symptoms="Bank portal shows the file as rejected, one record flagged.",
        replication_steps="none",
        error_messages="AC01 IncorrectAccountNumber, record 212",
        recent_changes="none",
        business_impact="Salaries for all 310 staff delayed until the file is accepted.",
        priority=P.P1, category="Software", service="Payroll",
        script=[
            triage(),
            start(),
            step("erin", StepKind.BASIC_CHECK, "Validated the IBANs in the export.",
                 "Record 212 has a transposed digit, entered on the 28th."),
            resolve("erin", "Corrected the IBAN of record 212 with the payroll team and re-sent the "
                    "file; the bank accepted it.", "Data entry error in one employee's bank details.",
                    kb_none="Data entry error; validation already exists in the new release."),
        ],
        expected=Status.RESOLVED,
    ),
    # ---- closed ----
    DemoTicket(
        "reset-mails", 0, "carla", "carla", Channel.PORTAL, 30.0,
        "Password reset e-mails from the portal are not arriving",
        description="Customers who click 'Forgot password' never receive the e-mail.",
        symptoms="No e-mail, not even in spam.",
        replication_steps="Portal > Forgot password > enter a customer e-mail.",
        error_messages="none",
        recent_changes="Mail relay certificate renewed last week.",
        business_impact="Customers cannot reach their tracking pages; calls to the depot.",
        priority=P.P2, category="Software", service="Customer portal",
        script=[
            triage(),
            start(),
            step("erin", StepKind.LOG_ANALYSIS, "Checked the portal mail queue.",
                 "1,204 messages deferred: TLS handshake failure with the relay."),
            step("erin", StepKind.FIX_DEPLOYED, "Installed the relay's new intermediate certificate "
                 "on the portal servers.", "Queue flushed within 5 minutes.", public=True),
            resolve("erin", "Installed the missing intermediate certificate; queued mails delivered.",
                    "Intermediate certificate missing after the relay certificate renewal."),
            confirm("carla", "Customers are receiving the e-mails again, thank you."),
        ],
        expected=Status.CLOSED,
    ),
    DemoTicket(
        "teams-audio", 1, "nadia", "erin", Channel.PHONE, 25.0,
        "Teams meetings drop audio after 10 minutes",
        description="Clinicians lose audio in Teams video consultations after about 10 minutes.",
        symptoms="Audio stops; video continues; rejoining fixes it for another 10 minutes.",
        replication_steps="Start a Teams meeting from a clinic PC and wait 10 minutes.",
        error_messages="none",
        recent_changes="New firewall at the clinics in March.",
        business_impact="Remote consultations interrupted; patient complaints.",
        priority=P.P2, category="Network", service="E-mail & collaboration",
        script=[
            triage(),
            start("omar"),
            step("omar", StepKind.LOG_ANALYSIS, "Checked firewall session logs for UDP 3478-3481.",
                 "UDP sessions time out after 600 s of the firewall's default policy."),
            step("nils", StepKind.FIX_DEPLOYED, "Raised the UDP timeout for Teams media ranges to "
                 "3600 s.", "Test call ran 45 minutes without loss.", public=True),
            resolve("omar", "UDP session timeout for Teams media raised to 1 hour on clinic firewalls.",
                    "Firewall UDP idle timeout shorter than Teams media keepalive interval."),
            confirm("omar", "Nadia confirmed by phone that a full day of consultations went fine.",
                    Channel.PHONE),
        ],
        expected=Status.CLOSED,
    ),
    DemoTicket(
        "po-approval", 3, "marco", "marco", Channel.PORTAL, 21.0,
        "ERP user cannot approve purchase orders over 10k",
        description="Our procurement lead cannot approve POs above GBP 10,000 since her promotion.",
        symptoms="Approve button greyed out for POs over 10k.",
        replication_steps="Log in as lhayes, open PO 88123, try Approve.",
        error_messages="Approval limit exceeded for your role",
        recent_changes="User moved to role 'Procurement Lead' on the 1st.",
        business_impact="Supplier orders delayed; one supplier threatened to stop deliveries.",
        priority=P.P3, category="Access & accounts", service="ERP",
        script=[
            triage(),
            start("lucy"),
            step("lucy", StepKind.CONFIGURATION, "Checked the approval limits of role Procurement "
                 "Lead.", "Role has a 10k limit; the customer's policy says 50k."),
            resolve("lucy", "Approval limit of Procurement Lead set to 50k as per the customer's "
                    "signed delegation of authority.", "Role created with the default limit."),
            confirm("marco", "Confirmed, PO 88123 approved."),
        ],
        expected=Status.CLOSED,
    ),
    DemoTicket(
        "split-tunnel", 2, "priya", "erin", Channel.EMAIL, 18.0,
        "VPN split tunnel blocks access to the intranet",
        description="Since the VPN profile update, staff on VPN cannot open the intranet.",
        symptoms="intranet.brightwater.example does not resolve on VPN.",
        replication_steps="Connect the VPN, browse to the intranet.",
        error_messages="DNS_PROBE_FINISHED_NXDOMAIN",
        recent_changes="VPN profile 6.2 with split tunnelling rolled out.",
        business_impact="Timesheets and H&S forms unavailable to 200 remote staff.",
        workaround="Disconnect VPN and use the public intranet mirror (read-only).",
        priority=P.P2, category="Network", service="VPN",
        script=[
            triage(),
            start(),
            step("erin", StepKind.CONFIGURATION, "Compared split-DNS domains in profiles 6.1 and 6.2.",
                 "brightwater.example missing from the split-DNS list in 6.2."),
            resolve("erin", "Added brightwater.example to the split-DNS domains and republished the "
                    "profile.", "Domain omitted when the profile was rebuilt."),
            confirm("erin", "Priya confirmed by e-mail that remote staff can reach the intranet.",
                    Channel.EMAIL),
        ],
        expected=Status.CLOSED,
    ),
    DemoTicket(
        "holiday-accrual", 0, "hugo", "hugo", Channel.PORTAL, 35.0,
        "Payroll: holiday accrual reset to zero for part-time staff",
        description="Part-time warehouse staff show 0 days of holiday after the payroll upgrade.",
        symptoms="Holiday balance 0.0 on payslips and in self-service.",
        replication_steps="Self-service > Holiday > any part-time employee.",
        error_messages="none",
        recent_changes="Payroll upgraded to 2025.1 two weeks ago.",
        business_impact="Staff cannot book summer holidays; HR flooded with queries.",
        priority=P.P2, category="Software", service="Payroll",
        script=[
            triage(),
            start(),
            step("erin", StepKind.KNOWN_ISSUE, "Checked 2025.1 release notes.",
                 "No known issue listed."),
            step("tom", StepKind.REPLICATION, "Upgraded a test tenant from 2024.4 to 2025.1.",
                 "Reproduced: pro-rata accrual rule dropped during migration."),
            step("ella", StepKind.FIX_DEPLOYED, "Patched the migration script to keep pro-rata rules "
                 "and re-ran the accrual for 2025.", "Balances restored in test.", public=True),
            resolve("erin", "Pro-rata accrual rules restored and balances recalculated.",
                    "Migration script of 2025.1 dropped pro-rata accrual rules.",
                    kb="KB-2298 Holiday accrual zero after 2025.1 upgrade"),
            reopen("hugo", "Balances are back but staff who joined this year still show zero."),
            step("ella", StepKind.FIX_DEPLOYED, "Re-ran the accrual for joiners with a start date in "
                 "2025.", "All 48 joiners have correct balances.", public=True),
            resolve("erin", "Accrual recalculated for 2025 joiners as well.",
                    "Migration script of 2025.1 dropped pro-rata accrual rules.",
                    kb="KB-2298 Holiday accrual zero after 2025.1 upgrade"),
            confirm("hugo", "All balances correct now, thanks."),
        ],
        expected=Status.CLOSED,
    ),
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
