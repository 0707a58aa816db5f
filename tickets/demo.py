"""Demo data: the people, teams and catalogue of a small support organisation, and tickets.

`seed()` is what `manage.py seed_demo` runs. It is idempotent: people, teams, categories and
services are looked up by name before they are created, and the hand-written demo tickets
are only created when the demo set is not there yet (its first ticket is the marker).

The ~30 demo tickets are created and moved through their lifecycle only with the services of
`tickets.services`, so their timelines are exactly what the application writes. The only
field written afterwards is `Ticket.created_at` (spread over the last weeks).

`--tickets N` tops the database up to N tickets with `bulk_create` (see
`bulk_create_tickets`): the benchmarks need 10,000 to 100,000 tickets and the services,
one locked transaction per change, would take hours for that.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organisation, Role, Team, User
from accounts.roles import sync_role_groups

from . import services
from .models import (
    CancelReason,
    Category,
    Channel,
    CloseKind,
    Comment,
    FixKind,
    Priority,
    Service,
    Status,
    StepKind,
    StepState,
    Ticket,
    TimelineEvent,
    TroubleshootingStep,
)

DEMO_PASSWORD = "demo"

# (username, role description): the fixed demo logins, all with the password DEMO_PASSWORD.
DEMO_LOGINS: list[tuple[str, str]] = [
    ("erin", "Engineer, Tier 1"),
    ("tom", "Engineer, Tier 2"),
    ("ella", "Engineer, Engineering"),
    ("tess", "Team leader, Tier 1"),
    ("manny", "Team manager, Tier 1 and Tier 2"),
    ("esme", "Escalation manager (Customer Support Engineer)"),
    ("leah", "Support leadership"),
    ("ivan", "IT manager (final decision point)"),
    ("admin", "Administrator (superuser, Django admin)"),
    ("carla", "Customer, Harbourline Logistics"),
]

STAFF_DOMAIN = "escalationdesk.example"

# --- people and organisations ----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    title: str
    phone: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgSpec:
    name: str
    domain: str
    phone: str
    notes: str
    customers: tuple[Person, ...]


ORGANISATIONS: list[OrgSpec] = [
    OrgSpec(
        "Harbourline Logistics", "harbourline.example", "+44 20 7946 0100",
        "Freight forwarding and warehousing, 4 depots. Premium support contract (24x7 for P1).",
        (
            Person("carla", "Carla", "Mendes", "Head of Operations", "+44 20 7946 0101"),
            Person("hugo", "Hugo", "Brandt", "IT Coordinator", "+44 20 7946 0102"),
        ),
    ),
    OrgSpec(
        "Meridian Health Partners", "meridianhealth.example", "+44 161 496 0200",
        "Network of 12 outpatient clinics. Standard support, business hours.",
        (
            Person("nadia", "Nadia", "Okafor", "Practice Manager", "+44 161 496 0201"),
            Person("felix", "Felix", "Laurent", "Systems Administrator", "+44 161 496 0202"),
        ),
    ),
    OrgSpec(
        "Brightwater Energy", "brightwater.example", "+44 117 496 0300",
        "Renewable energy operator; field engineers work remotely over VPN.",
        (
            Person("priya", "Priya", "Raman", "Finance Director", "+44 117 496 0301"),
            Person("sean", "Sean", "Gallagher", "Service Desk Lead", "+44 117 496 0302"),
        ),
    ),
    OrgSpec(
        "Castlegate Financial Services", "castlegate.example", "+44 131 496 0400",
        "Wealth management firm, regulated; change freeze on month-end days.",
        (
            Person("grace", "Grace", "Whitfield", "Chief Operating Officer", "+44 131 496 0401"),
            Person("marco", "Marco", "Bellini", "Infrastructure Engineer", "+44 131 496 0402"),
        ),
    ),
]

ENGINEER = str(Role.ENGINEER)
SME = str(Role.SME)
LEADER = str(Role.TEAM_LEADER)
MANAGER = str(Role.TEAM_MANAGER)


@dataclass(frozen=True)
class TeamSpec:
    name: str
    description: str
    email: str
    members: tuple[Person, ...]
    leader: Person
    manager: str  # username of a person in MANAGERS
    requires_knowledge_update: bool = False


MANAGERS: list[Person] = [
    Person("manny", "Manny", "Ortiz", "Support Team Manager, Tier 1 & 2", "+44 20 7946 0910", (MANAGER,)),
    Person("mara", "Mara", "Quinn", "Engineering & Field Services Manager", "+44 20 7946 0911", (MANAGER,)),
    Person("gwen", "Gwen", "Ellis", "Infrastructure Operations Manager", "+44 20 7946 0912", (MANAGER,)),
]

TEAMS: list[TeamSpec] = [
    TeamSpec(
        "Tier 1", "First point of contact: intake, triage, basic troubleshooting (seed 003).",
        f"tier1@{STAFF_DOMAIN}",
        (
            Person("erin", "Erin", "Walsh", "Support Engineer", "+44 20 7946 0920", (ENGINEER,)),
            Person("omar", "Omar", "Haddad", "Support Engineer", "+44 20 7946 0921", (ENGINEER,)),
            Person("lucy", "Lucy", "Chen", "Support Engineer", "+44 20 7946 0922", (ENGINEER,)),
        ),
        Person("tess", "Tess", "Morgan", "Tier 1 Team Leader", "+44 20 7946 0923", (LEADER,)),
        "manny",
    ),
    TeamSpec(
        "Tier 2", "Advanced troubleshooting, root cause analysis, replication in test.",
        f"tier2@{STAFF_DOMAIN}",
        (
            Person("tom", "Tom", "Becker", "Senior Support Engineer", "+44 20 7946 0930", (ENGINEER,)),
            Person("rachel", "Rachel", "Adeyemi", "Senior Support Engineer", "+44 20 7946 0931",
                   (ENGINEER,)),
        ),
        Person("ravi", "Ravi", "Kapoor", "Tier 2 Team Leader", "+44 20 7946 0932", (LEADER,)),
        "manny",
    ),
    TeamSpec(
        "Engineering", "Code-level resolution; updates the knowledge base with new findings.",
        f"engineering@{STAFF_DOMAIN}",
        (
            Person("ella", "Ella", "Novak", "Software Engineer", "+44 20 7946 0940", (ENGINEER, SME)),
            Person("jonas", "Jonas", "Lindqvist", "Software Engineer", "+44 20 7946 0941", (ENGINEER,)),
        ),
        Person("kenji", "Kenji", "Sato", "Engineering Team Leader", "+44 20 7946 0942", (LEADER,)),
        "mara",
        requires_knowledge_update=True,
    ),
    TeamSpec(
        "Onsite Support", "Field engineers dispatched to customer sites (approval required).",
        f"onsite@{STAFF_DOMAIN}",
        (
            Person("dan", "Dan", "Fletcher", "Field Engineer", "+44 20 7946 0950", (ENGINEER,)),
            Person("aisha", "Aisha", "Karim", "Field Engineer", "+44 20 7946 0951", (ENGINEER,)),
        ),
        Person("beth", "Beth", "Ward", "Onsite Team Leader", "+44 20 7946 0952", (LEADER,)),
        "mara",
    ),
    TeamSpec(
        "Network Operations", "Consult team: WAN, VPN concentrators, firewalls, DNS.",
        f"netops@{STAFF_DOMAIN}",
        (
            Person("nils", "Nils", "Berg", "Network Engineer", "+44 20 7946 0960", (ENGINEER, SME)),
            Person("zoe", "Zoe", "Harper", "Network Engineer", "+44 20 7946 0961", (ENGINEER, SME)),
        ),
        Person("victor", "Victor", "Moreau", "Network Operations Lead", "+44 20 7946 0962", (LEADER,)),
        "gwen",
    ),
    TeamSpec(
        "Database Administration", "Consult team: ERP and payroll databases, performance, backups.",
        f"dba@{STAFF_DOMAIN}",
        (
            Person("sofia", "Sofia", "Romano", "Database Administrator", "+44 20 7946 0970",
                   (ENGINEER, SME)),
            Person("kwame", "Kwame", "Mensah", "Database Administrator", "+44 20 7946 0971",
                   (ENGINEER, SME)),
        ),
        Person("paula", "Paula", "Duarte", "DBA Team Leader", "+44 20 7946 0972", (LEADER,)),
        "gwen",
    ),
]

OTHER_STAFF: list[Person] = [
    Person("esme", "Esme", "Holloway", "Customer Support Engineer (escalations)", "+44 20 7946 0980",
           (str(Role.ESCALATION_MANAGER),)),
    Person("leah", "Leah", "Fischer", "Director of Customer Support", "+44 20 7946 0981",
           (str(Role.LEADERSHIP),)),
    Person("ivan", "Ivan", "Petrov", "IT Manager", "+44 20 7946 0982", (str(Role.IT_MANAGER),)),
]
ADMIN = Person("admin", "Sam", "Rivera", "Systems Administrator", "+44 20 7946 0990",
               (str(Role.ADMINISTRATOR),))

CATEGORIES: list[tuple[str, str]] = [
    ("Software", "Application errors, bugs, wrong results."),
    ("Hardware", "Laptops, printers, scanners, handhelds, peripherals."),
    ("Network", "Connectivity, VPN, Wi-Fi, DNS, mail flow."),
    ("Access & accounts", "Log-in, passwords, MFA, permissions, new starters and leavers."),
    ("Performance", "Slowness, time-outs, batch jobs overrunning."),
]

SERVICES: list[tuple[str, str]] = [
    ("Payroll", "Payroll calculation, payslips and the bank export."),
    ("E-mail & collaboration", "Mail, calendars, shared mailboxes, Teams meetings."),
    ("ERP", "Orders, shipping, purchasing, finance and reporting."),
    ("Customer portal", "The customer-facing web portal and its log-in."),
    ("VPN", "Remote access for staff, branch site-to-site tunnels."),
]


@dataclass
class Cast:
    """Everything the demo tickets refer to, by name."""

    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    orgs: list[Organisation] = field(default_factory=list)
    customers: dict[int, list[User]] = field(default_factory=dict)  # organisation pk -> contacts
    categories: dict[str, Category] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)


def _ensure_user(
    person: Person,
    *,
    email: str,
    password_hash: Callable[[], str],
    is_staff: bool,
    groups: dict[str, Group],
    organisation: Organisation | None = None,
    is_superuser: bool = False,
) -> User:
    user = User.objects.filter(username=person.username).first()
    if user is None:
        user = User.objects.create(
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            title=person.title,
            phone=person.phone,
            email=email,
            is_staff=is_staff,
            is_superuser=is_superuser,
            organisation=organisation,
            # The demo password, whatever the validators say (it is a demo). Existing users
            # keep theirs: seeding again never resets a password someone changed.
            password=password_hash(),
        )
    if person.roles:
        user.groups.add(*(groups[r] for r in person.roles))
    return user


def ensure_cast() -> Cast:
    """Create (or find) organisations, people, teams, categories and services."""
    sync_role_groups()
    groups = {g.name: g for g in Group.objects.all()}
    # One hash for every demo account (same password; PBKDF2 is slow on purpose), made only
    # when a user is actually created.
    hashes: list[str] = []

    def password_hash() -> str:
        if not hashes:
            hashes.append(make_password(DEMO_PASSWORD))
        return hashes[0]
    cast = Cast()

    for spec in ORGANISATIONS:
        org, _ = Organisation.objects.get_or_create(
            name=spec.name, defaults={"domain": spec.domain, "phone": spec.phone, "notes": spec.notes}
        )
        cast.orgs.append(org)
        contacts = []
        for person in spec.customers:
            user = _ensure_user(
                Person(person.username, person.first_name, person.last_name, person.title,
                       person.phone, (str(Role.CUSTOMER),)),
                email=f"{person.first_name.lower()}.{person.last_name.lower()}@{spec.domain}",
                password_hash=password_hash, is_staff=False, groups=groups, organisation=org,
            )
            cast.users[user.username] = user
            contacts.append(user)
        cast.customers[org.pk] = contacts

    def staff(person: Person, **kwargs: Any) -> User:
        user = _ensure_user(
            person,
            email=f"{person.first_name.lower()}.{person.last_name.lower()}@{STAFF_DOMAIN}",
            password_hash=password_hash, is_staff=True, groups=groups, **kwargs,
        )
        cast.users[user.username] = user
        return user

    for person in MANAGERS + OTHER_STAFF:
        staff(person)
    staff(ADMIN, is_superuser=True)

    for spec in TEAMS:
        team, _ = Team.objects.get_or_create(
            name=spec.name,
            defaults={
                "description": spec.description,
                "email": spec.email,
                "requires_knowledge_update": spec.requires_knowledge_update,
                "manager": cast.users[spec.manager],
            },
        )
        cast.teams[team.name] = team
        team.members.add(*(staff(p) for p in spec.members))
        team.leaders.add(staff(spec.leader))

    for name, description in CATEGORIES:
        cast.categories[name], _ = Category.objects.get_or_create(
            name=name, defaults={"description": description}
        )
    for name, description in SERVICES:
        cast.services[name], _ = Service.objects.get_or_create(
            name=name, defaults={"description": description, "default_team": cast.teams["Tier 1"]}
        )
    return cast


def format_logins() -> str:
    """The demo logins as a small text table."""
    width = max(len(u) for u, _ in DEMO_LOGINS)
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD!r})", ""]
    lines += [f"  {username:<{width}}  {role}" for username, role in DEMO_LOGINS]
    return "\n".join(lines)


# --- progress bar -------------------------------------------------------------------------------


class ProgressBar:
    """A one-line text progress bar: `label [#####.....]  50%  5/10`."""

    def __init__(
        self, write: Callable[[str], None] | None, label: str, total: int, width: int = 30
    ) -> None:
        self.write = write
        self.label = label
        self.total = max(total, 0)
        self.width = width
        self.done = 0
        self._drawn = -1

    def advance(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if self.write is None:
            return
        permille = (self.done * 1000 // self.total) if self.total else 1000
        if permille == self._drawn and not force:
            return
        self._drawn = permille
        filled = self.width * permille // 1000
        bar = "#" * filled + "." * (self.width - filled)
        self.write(f"\r{self.label} [{bar}] {permille // 10:3d}%  {self.done}/{self.total}")

    def finish(self) -> None:
        self.done = self.total
        self._draw(force=True)
        if self.write is not None:
            self.write("\n")


# --- the hand-written demo tickets --------------------------------------------------------------

Action = tuple[Any, ...]


def triage(by: str = "erin", **kw: Any) -> Action:
    return ("triage", by, kw)


def start(by: str = "erin", assignee: str | None = None) -> Action:
    return ("start", by, assignee)


def step(by: str, kind: str, action: str, outcome: str = "", public: bool = False,
         state: str = StepState.DONE) -> Action:
    return ("step", by, kind, action, outcome, public, state)


def say(by: str, body: str) -> Action:
    """A public comment (by staff or the customer)."""
    return ("comment", by, body, False)


def note(by: str, body: str) -> Action:
    """An internal comment."""
    return ("comment", by, body, True)


def wait(by: str, reason: str) -> Action:
    return ("await", by, reason)


def resolve(by: str, summary: str, root_cause: str, fix_kind: str = FixKind.PERMANENT,
            kb: str = "", kb_none: str = "") -> Action:
    return ("resolve", by, summary, root_cause, fix_kind, kb, kb_none)


def confirm(by: str, note_text: str, channel: str = "") -> Action:
    return ("confirm", by, note_text, channel)


def reopen(by: str, reason: str) -> Action:
    return ("reopen", by, reason)


def cancel(by: str, reason: str, note_text: str, duplicate_of: str | None = None) -> Action:
    return ("cancel", by, reason, note_text, duplicate_of)


@dataclass
class DemoTicket:
    key: str
    org: int  # index in ORGANISATIONS
    requester: str
    created_by: str  # username; the requester for portal/API tickets
    channel: str
    days_ago: float
    summary: str
    description: str = ""
    symptoms: str = ""
    replication_steps: str = ""
    error_messages: str = ""
    recent_changes: str = ""
    business_impact: str = ""
    workaround: str = ""
    priority: str = ""
    category: str | None = None
    service: str | None = None
    critical_milestone_in_days: int | None = None
    script: list[Action] = field(default_factory=list)
    expected: str = Status.NEW


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
            step("erin", StepKind.LOG_ANALYSIS, "Analysed app server logs 06:30-10:30 for "
                 "ShipmentConfirmService.", "212 lock wait timeouts, all on table STOCK_RESERVATION, "
                 "all during the 07:00 batch 'ReplenishmentPlanner'."),
            step("erin", StepKind.KNOWN_ISSUE, "Searched the knowledge base and vendor release notes "
                 "for 11.4.2.", "Known issue KB-2291: planner holds row locks longer after 11.4.x."),
            say("erin", "Hello Carla, we can see the lock timeouts in the logs and they match a known "
                "issue in the 11.4.2 patch. We are working on a workaround for this morning's peak."),
            note("tom", "Replicated in TEST-ERP with the planner running: 3/10 confirmations time out. "
                 "Looks like the planner's batch size change in 11.4.2."),
            step("tom", StepKind.REPLICATION, "Replicated in TEST-ERP with a copy of Saturday's data.",
                 "Reproduced: 3 of 10 confirmations time out while the planner runs."),
            step("erin", StepKind.WORKAROUND, "Moved the ReplenishmentPlanner batch from 07:00 to "
                 "05:30 with the customer's agreement.", "No timeouts between 07:00 and 08:30 today.",
                 public=True),
            note("esme", "Customer flagged SLA penalties; keep me posted daily until fixed."),
            step("tess", StepKind.SUGGESTED, "Check with DBA whether innodb_lock_wait_timeout was "
                 "changed by the patch installer.", state=StepState.TO_DO),
            say("carla", "Thanks, this morning was much better. We need a permanent fix before the "
                "end of the month though."),
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
                 "the legacy EnableADAL=0 policy.", "No prompt for 30 minutes on that PC.", public=True),
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

MARKER_SUMMARY = DEMO_TICKETS[0].summary


def demo_set_exists() -> bool:
    return Ticket.objects.filter(
        summary=MARKER_SUMMARY, organisation__name=ORGANISATIONS[0].name
    ).exists()


def _run_action(ticket: Ticket, action: Action, cast: Cast, by_key: dict[str, Ticket]) -> None:
    name, by, *args = action
    actor = cast.users[by]
    if name == "triage":
        services.ticket_triage(ticket=ticket, actor=actor, **args[0])
    elif name == "start":
        assignee = cast.users[args[0]] if args[0] else None
        services.ticket_start(ticket=ticket, actor=actor, assignee=assignee)
    elif name == "step":
        kind, text, outcome, public, state = args
        services.ticket_add_step(ticket=ticket, actor=actor, kind=kind, action=text, outcome=outcome,
                                 is_public=public, state=state)
    elif name == "comment":
        body, internal = args
        services.ticket_comment(ticket=ticket, actor=actor, body=body, is_internal=internal)
    elif name == "await":
        services.ticket_await_customer(ticket=ticket, actor=actor, reason=args[0])
    elif name == "resolve":
        summary, root_cause, fix_kind, kb, kb_none = args
        services.ticket_resolve(ticket=ticket, actor=actor, resolution_summary=summary,
                                root_cause=root_cause, fix_kind=fix_kind, knowledge_article=kb,
                                knowledge_none_reason=kb_none)
    elif name == "confirm":
        text, channel = args
        services.ticket_confirm_resolution(ticket=ticket, actor=actor, note=text, channel=channel)
    elif name == "reopen":
        services.ticket_reopen(ticket=ticket, actor=actor, reason=args[0])
    elif name == "cancel":
        reason, text, duplicate_key = args
        services.ticket_cancel(ticket=ticket, actor=actor, reason=reason, note=text,
                               duplicate_of=by_key[duplicate_key] if duplicate_key else None)
    else:  # pragma: no cover - a typo in the table above
        raise ValueError(f"unknown demo action {name!r}")


def create_demo_tickets(cast: Cast, progress: ProgressBar | None = None) -> int:
    """Create the hand-written demo tickets through the services (all or nothing)."""
    if demo_set_exists():
        return 0
    now = timezone.now()
    by_key: dict[str, Ticket] = {}
    with transaction.atomic():
        for spec in DEMO_TICKETS:
            org = cast.orgs[spec.org]
            milestone = (
                date.today() + timedelta(days=spec.critical_milestone_in_days)
                if spec.critical_milestone_in_days is not None
                else None
            )
            ticket = services.ticket_create(
                actor=cast.users[spec.created_by],
                organisation=org,
                requester=cast.users[spec.requester],
                summary=spec.summary,
                channel=spec.channel,
                description=spec.description,
                symptoms=spec.symptoms,
                replication_steps=spec.replication_steps,
                error_messages=spec.error_messages,
                recent_changes=spec.recent_changes,
                business_impact=spec.business_impact,
                workaround=spec.workaround,
                critical_milestone=milestone,
                priority=spec.priority,
                category=cast.categories[spec.category] if spec.category else None,
                service=cast.services[spec.service] if spec.service else None,
            )
            by_key[spec.key] = ticket
            for action in spec.script:
                _run_action(ticket, action, cast, by_key)
            ticket.refresh_from_db()
            if ticket.status != spec.expected:  # pragma: no cover - the table is wrong
                raise AssertionError(f"demo ticket {spec.key} ended {ticket.status}, not {spec.expected}")
            # Only created_at is back-dated; the timeline keeps the real times it was written.
            Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(days=spec.days_ago))
            if progress is not None:
                progress.advance()
    if progress is not None:
        progress.finish()
    return len(DEMO_TICKETS)


# --- bulk tickets for volume ----------------------------------------------------------------------

# Target share of each state among bulk tickets (roughly a real desk: most work is finished).
STATE_MIX: list[tuple[str, int]] = [
    (Status.NEW, 7),
    (Status.OPEN, 9),
    (Status.IN_PROGRESS, 18),
    (Status.WAITING_ON_CUSTOMER, 9),
    (Status.RESOLVED, 10),
    (Status.CLOSED, 40),
    (Status.CANCELLED, 7),
]

SITES = [
    "London office", "Manchester depot", "Bristol HQ", "Edinburgh branch", "Leeds clinic",
    "Frankfurt branch", "LHR-2 depot", "Salford clinic", "Bolton clinic", "remote staff",
    "finance team", "night shift", "warehouse", "reception", "field engineers",
]

STEP_TEXTS: list[tuple[str, str, str]] = [
    (StepKind.BASIC_CHECK, "Checked service health and the user's session.", "Service up; issue is "
     "specific to the affected users."),
    (StepKind.CONFIGURATION, "Verified the relevant configuration against the baseline.",
     "One setting differs from the baseline; noted."),
    (StepKind.LOG_ANALYSIS, "Analysed application and gateway logs for the reported time window.",
     "Errors found matching the reported symptoms."),
    (StepKind.KNOWN_ISSUE, "Searched the knowledge base and vendor advisories.",
     "Possible match with a known issue; comparing versions."),
    (StepKind.REMOTE_SESSION, "Remote screen-sharing session with the user.",
     "Observed the problem live and captured screenshots."),
    (StepKind.REPLICATION, "Tried to replicate in the test environment.",
     "Reproduced with production-like data."),
    (StepKind.ROOT_CAUSE, "Root cause analysis with the owning team.",
     "Cause identified; fix being prepared."),
    (StepKind.WORKAROUND, "Provided a temporary workaround.", "Customer can continue working."),
]

PUBLIC_COMMENTS = [
    "Thanks for the details, we are looking into it now.",
    "We have reproduced the problem and are working on a fix.",
    "Could you tell us whether other colleagues are affected too?",
    "A workaround is in place while we prepare a permanent fix.",
    "We will update you again by the end of the day.",
]
CUSTOMER_COMMENTS = [
    "It happened again this morning at around 09:15.",
    "Here is the information you asked for.",
    "Any update? This is holding up the team.",
    "Thanks, the workaround helps for now.",
]
INTERNAL_COMMENTS = [
    "Looks similar to last month's incident; check the change log.",
    "Consulted DBA: no locking issues on their side.",
    "Customer is sensitive about this one; keep updates frequent.",
    "Network Operations confirmed no outage in that window.",
]
RESOLUTIONS = [
    ("Configuration corrected and verified with the customer.", "Configuration drift after a change."),
    ("Patch applied; problem no longer reproducible.", "Software defect fixed in the latest patch."),
    ("Permissions re-granted to the correct group.", "Group membership changed during a re-organisation."),
    ("Cache cleared and job rescheduled.", "Stale cache after deployment."),
    ("Certificate chain completed on the servers.", "Missing intermediate certificate."),
]
WAIT_REASONS = [
    "Please send a screenshot of the error and the time it happened.",
    "Please confirm the affected usernames.",
    "Please attach the application log from an affected PC.",
    "Please confirm whether the workaround is acceptable until the fix.",
]


@dataclass
class _Planned:
    """One bulk ticket before insertion: the ticket, and its timeline in order."""

    ticket: Ticket
    entries: list[tuple[str, dict[str, Any]]]  # ("event"|"step"|"comment", fields)


def _times(rng: random.Random, start: datetime, count: int, now: datetime) -> list[datetime]:
    """`count` increasing times from `start`, hours to days apart, never after now."""
    gaps = [timedelta(minutes=rng.randint(5, 60 * 30)) for _ in range(count - 1)]
    span = sum(gaps, timedelta())
    room = now - timedelta(minutes=1) - start
    if span > room:
        factor = max(room, timedelta(seconds=count)) / span
        gaps = [g * factor for g in gaps]
    times = [start]
    for gap in gaps:
        times.append(times[-1] + gap + timedelta(microseconds=1))
    return times


class _BulkPlanner:
    def __init__(
        self, cast: Cast, rng: random.Random, now: datetime, duplicate_pool: list[int]
    ) -> None:
        self.cast = cast
        self.rng = rng
        self.now = now
        self.duplicate_pool = duplicate_pool
        self.templates = [t for t in DEMO_TICKETS if t.category and t.service]
        tier1 = cast.teams["Tier 1"]
        self.tier1 = tier1
        self.tier1_engineers = [cast.users[u] for u in ("erin", "omar", "lucy")]
        self.helpers = [cast.users[u] for u in ("tom", "rachel", "tess", "nils", "sofia", "ella")]
        self.tier1_ids = {u.pk for u in self.tier1_engineers} | {cast.users["tess"].pk}
        self.states = [s for s, _ in STATE_MIX]
        self.weights = [w for _, w in STATE_MIX]

    def plan(self) -> _Planned:
        rng, cast = self.rng, self.cast
        status = rng.choices(self.states, self.weights)[0]
        spec = rng.choice(self.templates)
        org = cast.orgs[rng.randrange(len(cast.orgs))]
        requester = rng.choice(cast.customers[org.pk])
        channel = rng.choice([Channel.PORTAL, Channel.PORTAL, Channel.PHONE, Channel.EMAIL, Channel.API])
        engineer = rng.choice(self.tier1_engineers)
        creator = requester if channel in (Channel.PORTAL, Channel.API) else engineer
        created_at = self.now - timedelta(days=rng.uniform(0.05, 182))
        priority = spec.priority or rng.choice(Priority.values)
        if status == Status.NEW and channel == Channel.PORTAL and rng.random() < 0.5:
            priority = ""  # customers often leave it to triage

        # The transitions that lead to `status`, in order: (name, actor, fields for the event).
        chain: list[tuple[str, User, dict[str, Any]]] = []
        fields: dict[str, Any] = {}
        cancel_from_new = status == Status.CANCELLED and rng.random() < 0.4
        if status != Status.NEW and not cancel_from_new:
            chain.append(("triage", engineer, {"details": {"changed": {}, "priority": priority}}))
        started = status in (Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.RESOLVED,
                             Status.CLOSED) or (status == Status.CANCELLED and not cancel_from_new
                                                and rng.random() < 0.5)
        if started:
            chain.append(("start", engineer, {"details": {"assignee": engineer.pk,
                                                          "assignee_name": str(engineer)}}))
        # Steps and comments happen while the ticket is being worked.
        work: list[tuple[str, dict[str, Any]]] = []
        for _ in range(rng.randint(1, 3)):
            kind, action, outcome = rng.choice(STEP_TEXTS)
            by = engineer if rng.random() < 0.7 else rng.choice(self.helpers)
            team = self.tier1 if (status != Status.NEW and by.pk in self.tier1_ids
                                  and not cancel_from_new) else None
            work.append(("step", {"kind": kind, "action": action, "outcome": outcome, "engineer": by,
                                  "team": team, "is_public": rng.random() < 0.3}))
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.35:
                work.append(("comment", {"author": engineer, "is_internal": True,
                                         "body": rng.choice(INTERNAL_COMMENTS)}))
            elif roll < 0.7:
                work.append(("comment", {"author": engineer, "is_internal": False,
                                         "body": rng.choice(PUBLIC_COMMENTS)}))
            else:
                work.append(("comment", {"author": requester, "is_internal": False,
                                         "body": rng.choice(CUSTOMER_COMMENTS)}))
        tail: list[tuple[str, User, dict[str, Any]]] = []
        if started and status != Status.CANCELLED and rng.random() < 0.25:
            # A finished wait: the customer's comment resumes the ticket (as ticket_comment does).
            reason = rng.choice(WAIT_REASONS)
            tail.append(("await_customer", engineer, {"reason": reason}))
            tail.append(("comment", requester, {"body": rng.choice(CUSTOMER_COMMENTS)}))
            tail.append(("customer_replied", requester, {"reason": "Customer replied with a comment."}))
        if status == Status.WAITING_ON_CUSTOMER:
            reason = rng.choice(WAIT_REASONS)
            fields["waiting_reason"] = reason
            tail.append(("await_customer", engineer, {"reason": reason}))
        if status in (Status.RESOLVED, Status.CLOSED):
            summary, root_cause = rng.choice(RESOLUTIONS)
            fix_kind = FixKind.PERMANENT if rng.random() < 0.8 else FixKind.WORKAROUND
            fields.update(resolution_summary=summary, root_cause=root_cause, fix_kind=fix_kind)
            resolve_event = ("resolve", engineer, {"reason": summary, "details": {
                "fix_kind": fix_kind, "knowledge_article": ""}})
            tail.append(resolve_event)
            if rng.random() < 0.1:
                reason = "The problem came back the next day."
                fields.update(reopen_reason=reason, reopen_count=1)
                tail.append(("reopen", requester, {"reason": reason}))
                tail.append(resolve_event)
        if status == Status.CLOSED:
            if rng.random() < 0.6:
                kind, actor, ch, text = CloseKind.CONFIRMED_BY_CUSTOMER, requester, Channel.PORTAL, ""
            else:
                ch = rng.choice([Channel.PHONE, Channel.EMAIL])
                kind, actor, text = CloseKind.CONFIRMED_ON_BEHALF, engineer, f"Customer confirmed by {ch}."
            fields.update(close_kind=kind, confirmation_note=text)
            tail.append(("confirm_resolution", actor, {"reason": text, "details": {
                "close_kind": kind, "channel": ch}}))
        if status == Status.CANCELLED:
            reasons = [CancelReason.WITHDRAWN, CancelReason.SPAM]
            if self.duplicate_pool:
                reasons.append(CancelReason.DUPLICATE)
            reason = rng.choice(reasons)
            dup = rng.choice(self.duplicate_pool) if reason == CancelReason.DUPLICATE else None
            text = {CancelReason.WITHDRAWN: "Withdrawn by the customer.",
                    CancelReason.SPAM: "Not a support request.",
                    CancelReason.DUPLICATE: "Duplicate of an existing ticket."}[reason]
            fields.update(cancel_reason=reason, cancel_note=text, duplicate_of_id=dup)
            tail.append(("cancel", engineer, {"reason": text, "details": {
                "cancel_reason": reason, "duplicate_of": dup}}))

        n = 1 + len(chain) + len(work) + len(tail)
        times = iter(_times(rng, created_at, n, self.now))
        entries: list[tuple[str, dict[str, Any]]] = []
        created_details: dict[str, Any] = {"channel": channel}
        if creator.pk != requester.pk:
            created_details["on_behalf_of"] = requester.pk
        entries.append(("event", {"kind": "created", "actor_id": creator.pk, "at": next(times),
                                  "target": Status.NEW, "details": created_details, "is_public": True}))
        state = Status.NEW
        for name, actor, extra in chain:
            state = self._transition(entries, name, actor, state, next(times), extra, fields)
        for kind, data in work:
            entries.append((kind, {**data, "at": next(times)}))
        for name, actor, extra in tail:
            if name == "comment":
                entries.append(("comment", {"author": actor, "is_internal": False,
                                            "body": extra["body"], "at": next(times)}))
            else:
                state = self._transition(entries, name, actor, state, next(times), extra, fields)
        assert state == status, (state, status)

        suffix = rng.choice(SITES)
        # *_id fields rather than objects: the related descriptors are slow at this volume.
        ticket = Ticket(
            organisation_id=org.pk, requester_id=requester.pk, created_by_id=creator.pk, channel=channel,
            summary=f"{spec.summary} ({suffix})"[:200],
            description=spec.description, symptoms=spec.symptoms,
            replication_steps=spec.replication_steps, error_messages=spec.error_messages,
            recent_changes=spec.recent_changes, business_impact=spec.business_impact,
            workaround=spec.workaround, priority=priority,
            category_id=cast.categories[spec.category or "Software"].pk,
            service_id=cast.services[spec.service or "ERP"].pk,
            created_at=created_at,
            status=status,  # allowed in the constructor; only assignment on a loaded row is refused
            **fields,
        )
        return _Planned(ticket, entries)

    def _transition(self, entries: list[tuple[str, dict[str, Any]]], name: str, actor: User,
                    source: str, at: datetime, extra: dict[str, Any], fields: dict[str, Any]) -> str:
        target = {
            "triage": Status.OPEN, "start": Status.IN_PROGRESS,
            "await_customer": Status.WAITING_ON_CUSTOMER, "customer_replied": Status.IN_PROGRESS,
            "resolve": Status.RESOLVED, "reopen": Status.IN_PROGRESS,
            "confirm_resolution": Status.CLOSED, "cancel": Status.CANCELLED,
        }[name]
        # The timestamps the model's transition methods set.
        if name == "triage":
            fields["triaged_at"] = at
            fields["team_id"] = self.tier1.pk
        elif name == "start":
            fields["assignee_id"] = actor.pk
            fields.setdefault("started_at", at)
        elif name == "resolve":
            fields["resolved_at"] = at
        elif name == "reopen":
            fields["resolved_at"] = None
        elif name in ("confirm_resolution", "cancel"):
            fields["closed_at"] = at
        entries.append(("event", {
            "kind": name, "actor_id": actor.pk, "at": at, "source": source, "target": target,
            "reason": extra.get("reason", ""), "details": extra.get("details", {}), "is_public": True,
        }))
        return target


BULK_BATCH = 2000


def bulk_create_tickets(
    cast: Cast, count: int, progress: ProgressBar | None = None, seed: int | None = None
) -> int:
    """Insert `count` tickets with bulk_create, in batches, for volume (benchmarks).

    Why this path exists: `--tickets 100000` must finish in minutes on PostgreSQL, and the
    services (one locked transaction and several queries per change) would need hours.
    It writes the same rows the services would for the same history: the ticket with the
    fields each transition sets (team, assignee, triaged/started/resolved/closed times,
    resolution, close kind, cancel reason…), 1-3 troubleshooting steps and 1-3 comments (some
    internal), and the timeline: a 'created' event, one event per step and per comment, and
    every transition event from 'new' to the ticket's state with its source and target, in
    time order. `status` is passed to the Ticket constructor (never assigned to a loaded row).
    """
    if count <= 0:
        return 0
    rng = random.Random(seed if seed is not None else Ticket.objects.count())
    now = timezone.now()
    pool = list(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[:200])
    planner = _BulkPlanner(cast, rng, now, pool)
    created = 0
    while created < count:
        size = min(BULK_BATCH, count - created)
        plans = [planner.plan() for _ in range(size)]
        with transaction.atomic():
            Ticket.objects.bulk_create([p.ticket for p in plans])
            steps: list[TroubleshootingStep] = []
            comments: list[Comment] = []
            for p in plans:
                for i, (kind, data) in enumerate(p.entries):
                    if kind == "step":
                        obj: Any = TroubleshootingStep(
                            ticket_id=p.ticket.pk, kind=data["kind"], action=data["action"],
                            outcome=data["outcome"], state=StepState.DONE,
                            engineer_id=data["engineer"].pk,
                            team_id=data["team"].pk if data["team"] else None,
                            is_public=data["is_public"], performed_at=data["at"],
                        )
                        steps.append(obj)
                        p.entries[i] = ("step", {**data, "obj": obj})
                    elif kind == "comment":
                        obj = Comment(ticket_id=p.ticket.pk, author_id=data["author"].pk, body=data["body"],
                                      is_internal=data["is_internal"], created_at=data["at"])
                        comments.append(obj)
                        p.entries[i] = ("comment", {**data, "obj": obj})
            TroubleshootingStep.objects.bulk_create(steps)
            Comment.objects.bulk_create(comments)
            events: list[TimelineEvent] = []
            for p in plans:
                for kind, data in p.entries:
                    if kind == "event":
                        events.append(TimelineEvent(ticket_id=p.ticket.pk, **data))
                    elif kind == "step":
                        events.append(TimelineEvent(
                            ticket_id=p.ticket.pk, kind="step", actor_id=data["engineer"].pk, at=data["at"],
                            details={"step": data["obj"].pk, "step_kind": data["kind"], "files": 0,
                                     "state": StepState.DONE},
                            is_public=data["is_public"],
                        ))
                    else:
                        events.append(TimelineEvent(
                            ticket_id=p.ticket.pk, kind="comment", actor_id=data["author"].pk,
                            at=data["at"],
                            details={"comment": data["obj"].pk, "internal": data["is_internal"],
                                     "files": 0},
                            is_public=not data["is_internal"],
                        ))
            TimelineEvent.objects.bulk_create(events)
        if len(pool) < 200:
            pool.extend(p.ticket.pk for p in plans[: 200 - len(pool)])
        created += size
        if progress is not None:
            progress.advance(size)
    if progress is not None:
        progress.finish()
    _analyze([Ticket, TroubleshootingStep, Comment, TimelineEvent])
    return created


def _analyze(models: list[type[Any]]) -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would do later.

    Without it PostgreSQL plans the first queries on 100,000 fresh rows with the estimates of
    an empty table (nested loops where a hash join is due), and benchmarks measure that.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


# --- entry point ----------------------------------------------------------------------------------


@dataclass
class SeedReport:
    demo_tickets: int = 0
    bulk_tickets: int = 0
    total_tickets: int = 0


def seed(*, tickets: int = 0, write: Callable[[str], None] | None = None) -> SeedReport:
    """Seed the demo data; with `tickets`, top the database up to at least that many tickets."""
    report = SeedReport()
    cast = ensure_cast()
    if not demo_set_exists():
        bar = ProgressBar(write, "Demo tickets ", len(DEMO_TICKETS)) if write else None
        report.demo_tickets = create_demo_tickets(cast, bar)
    missing = tickets - Ticket.objects.count()
    if missing > 0:
        bar = ProgressBar(write, "Bulk tickets ", missing) if write else None
        report.bulk_tickets = bulk_create_tickets(cast, missing, bar)
    report.total_tickets = Ticket.objects.count()
    return report
