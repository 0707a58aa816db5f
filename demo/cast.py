"""The demo cast: organisations and their customers, staff, teams, categories and services.

`ensure_cast()` creates them (or finds them by name) and returns them as a `Cast`;
`DEMO_LOGINS` and `format_logins()` describe the fixed demo logins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Organisation, Role, Team, User
from accounts.roles import sync_role_groups
from clocks.models import BusinessCalendar, WorkingWindow
from tickets.models import Category, Service, SlaTarget

DEMO_PASSWORD = "demo"

# (username, role description): the fixed demo logins, all with the password DEMO_PASSWORD.
DEMO_LOGINS: list[tuple[str, str]] = [
    ("erin", "Engineer, Tier 1"),
    ("tom", "Engineer, Tier 2"),
    ("ella", "Engineer, Engineering"),
    ("tess", "Team leader, Tier 1"),
    ("ravi", "Team leader, Tier 2 (decides Tier 2's requests for the vendor tiers, e.g. Microsoft L3)"),
    ("kenji", "Team leader, Engineering (a request to send Onsite Support waits for him)"),
    ("manny", "Team manager, Tier 1 and Tier 2"),
    ("esme", "Escalation manager, Customer Escalations (the escalation board; a case to acknowledge)"),
    ("leah", "Support leadership; manages Customer Escalations (a leadership review was recorded)"),
    ("ivan", "IT manager, IT Management (a ticket waits at his decision point)"),
    ("admin", "Administrator (superuser, Django admin)"),
    ("carla", "Customer, Harbourline Logistics: the portal at /portal/ (a de-escalation to agree)"),
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
        "Harbourline Logistics",
        "harbourline.example",
        "+44 20 7946 0100",
        "Freight forwarding and warehousing, 4 depots. Premium support contract (24x7 for P1).",
        (
            Person("carla", "Carla", "Mendes", "Head of Operations", "+44 20 7946 0101"),
            Person("hugo", "Hugo", "Brandt", "IT Coordinator", "+44 20 7946 0102"),
        ),
    ),
    OrgSpec(
        "Meridian Health Partners",
        "meridianhealth.example",
        "+44 161 496 0200",
        "Network of 12 outpatient clinics. Standard support, business hours.",
        (
            Person("nadia", "Nadia", "Okafor", "Practice Manager", "+44 161 496 0201"),
            Person("felix", "Felix", "Laurent", "Systems Administrator", "+44 161 496 0202"),
        ),
    ),
    OrgSpec(
        "Brightwater Energy",
        "brightwater.example",
        "+44 117 496 0300",
        "Renewable energy operator; field engineers work remotely over VPN.",
        (
            Person("priya", "Priya", "Raman", "Finance Director", "+44 117 496 0301"),
            Person("sean", "Sean", "Gallagher", "Service Desk Lead", "+44 117 496 0302"),
        ),
    ),
    OrgSpec(
        "Castlegate Financial Services",
        "castlegate.example",
        "+44 131 496 0400",
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
    manager: str  # username of a person in MANAGERS (or OTHER_STAFF)
    requires_knowledge_update: bool = False


MANAGERS: list[Person] = [
    Person("manny", "Manny", "Ortiz", "Support Team Manager, Tier 1 & 2", "+44 20 7946 0910", (MANAGER,)),
    Person("mara", "Mara", "Quinn", "Engineering & Field Services Manager", "+44 20 7946 0911", (MANAGER,)),
    Person("gwen", "Gwen", "Ellis", "Infrastructure Operations Manager", "+44 20 7946 0912", (MANAGER,)),
]

ESME = Person(
    "esme",
    "Esme",
    "Holloway",
    "Customer Support Engineer (escalations)",
    "+44 20 7946 0980",
    (str(Role.ESCALATION_MANAGER),),
)
LEAH = Person(
    "leah", "Leah", "Fischer", "Director of Customer Support", "+44 20 7946 0981", (str(Role.LEADERSHIP),)
)
IVAN = Person("ivan", "Ivan", "Petrov", "IT Manager", "+44 20 7946 0982", (str(Role.IT_MANAGER),))

TEAMS: list[TeamSpec] = [
    TeamSpec(
        "Tier 1",
        "First point of contact: intake, triage, basic troubleshooting (seed 003).",
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
        "Tier 2",
        "Advanced troubleshooting, root cause analysis, replication in test.",
        f"tier2@{STAFF_DOMAIN}",
        (
            Person("tom", "Tom", "Becker", "Senior Support Engineer", "+44 20 7946 0930", (ENGINEER,)),
            Person("rachel", "Rachel", "Adeyemi", "Senior Support Engineer", "+44 20 7946 0931", (ENGINEER,)),
        ),
        Person("ravi", "Ravi", "Kapoor", "Tier 2 Team Leader", "+44 20 7946 0932", (LEADER,)),
        "manny",
    ),
    TeamSpec(
        "Engineering",
        "Code-level resolution; updates the knowledge base with new findings.",
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
        "Onsite Support",
        "Field engineers dispatched to customer sites (approval required).",
        f"onsite@{STAFF_DOMAIN}",
        (
            Person("dan", "Dan", "Fletcher", "Field Engineer", "+44 20 7946 0950", (ENGINEER,)),
            Person("aisha", "Aisha", "Karim", "Field Engineer", "+44 20 7946 0951", (ENGINEER,)),
        ),
        Person("beth", "Beth", "Ward", "Onsite Team Leader", "+44 20 7946 0952", (LEADER,)),
        "mara",
    ),
    TeamSpec(
        "Network Operations",
        "Consult team: WAN, VPN concentrators, firewalls, DNS.",
        f"netops@{STAFF_DOMAIN}",
        (
            Person("nils", "Nils", "Berg", "Network Engineer", "+44 20 7946 0960", (ENGINEER, SME)),
            Person("zoe", "Zoe", "Harper", "Network Engineer", "+44 20 7946 0961", (ENGINEER, SME)),
        ),
        Person("victor", "Victor", "Moreau", "Network Operations Lead", "+44 20 7946 0962", (LEADER,)),
        "gwen",
    ),
    TeamSpec(
        "Database Administration",
        "Consult team: ERP and payroll databases, performance, backups.",
        f"dba@{STAFF_DOMAIN}",
        (
            Person("sofia", "Sofia", "Romano", "Database Administrator", "+44 20 7946 0970", (ENGINEER, SME)),
            Person("kwame", "Kwame", "Mensah", "Database Administrator", "+44 20 7946 0971", (ENGINEER, SME)),
        ),
        Person("paula", "Paula", "Duarte", "DBA Team Leader", "+44 20 7946 0972", (LEADER,)),
        "gwen",
    ),
    # The last rung of the service request ladder (seed 001): the IT manager decides when every
    # tier failed. Ivan leads, staffs and manages it; he is defined with the other staff below.
    TeamSpec(
        "IT Management",
        "The IT manager's decision point: continue with the vendor, accept a known "
        "error, or close with the workaround.",
        f"it-management@{STAFF_DOMAIN}",
        (IVAN,),
        IVAN,
        "ivan",
    ),
    # The escalation managers (seed 002's Customer Support Engineers) and who they answer to: a
    # late acknowledgement or a missed update of a customer escalation notifies the manager of
    # their team (cases.services.managers_of), here leah, the Director of Customer Support.
    TeamSpec(
        "Customer Escalations",
        "Escalation managers: the customer's point of contact for an "
        "escalated request, its action plan, communication plan and de-escalation (seed 002).",
        f"escalations@{STAFF_DOMAIN}",
        (ESME,),
        LEAH,
        "leah",
    ),
]

OTHER_STAFF: list[Person] = [ESME, LEAH, IVAN]
ADMIN = Person(
    "admin", "Sam", "Rivera", "Systems Administrator", "+44 20 7946 0990", (str(Role.ADMINISTRATOR),)
)

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
    people = _People({g.name: g for g in Group.objects.all()})
    cast = people.cast
    _ensure_organisations(people)
    for person in MANAGERS + OTHER_STAFF:
        people.staff(person)
    people.staff(ADMIN, is_superuser=True)
    _ensure_teams(people)
    for name, description in CATEGORIES:
        cast.categories[name], _ = Category.objects.get_or_create(
            name=name, defaults={"description": description}
        )
    _ensure_services(cast)
    for priority, respond, resolve in SLA_TARGETS:
        SlaTarget.objects.get_or_create(
            priority=priority, defaults={"first_response_minutes": respond, "resolution_minutes": resolve}
        )
    return cast


class _People:
    """Makes (or finds) the demo's users into a cast, with one password hash for all of them."""

    def __init__(self, groups: dict[str, Group]) -> None:
        self.groups = groups
        self.cast = Cast()
        self._hash = ""

    def password_hash(self) -> str:
        # Same password for every demo account (PBKDF2 is slow on purpose): hashed once, and only
        # when a user is actually created.
        if not self._hash:
            self._hash = make_password(DEMO_PASSWORD)
        return self._hash

    def customer(self, person: Person, org: Organisation, domain: str) -> User:
        user = _ensure_user(
            Person(
                person.username,
                person.first_name,
                person.last_name,
                person.title,
                person.phone,
                (str(Role.CUSTOMER),),
            ),
            email=f"{person.first_name.lower()}.{person.last_name.lower()}@{domain}",
            password_hash=self.password_hash,
            is_staff=False,
            groups=self.groups,
            organisation=org,
        )
        self.cast.users[user.username] = user
        return user

    def staff(self, person: Person, **kwargs: Any) -> User:
        user = _ensure_user(
            person,
            email=f"{person.first_name.lower()}.{person.last_name.lower()}@{STAFF_DOMAIN}",
            password_hash=self.password_hash,
            is_staff=True,
            groups=self.groups,
            **kwargs,
        )
        self.cast.users[user.username] = user
        return user


def _ensure_organisations(people: _People) -> None:
    """The customer organisations and their contacts."""
    cast = people.cast
    for spec in ORGANISATIONS:
        org, _ = Organisation.objects.get_or_create(
            name=spec.name, defaults={"domain": spec.domain, "phone": spec.phone, "notes": spec.notes}
        )
        cast.orgs.append(org)
        cast.customers[org.pk] = [people.customer(person, org, spec.domain) for person in spec.customers]


def _ensure_teams(people: _People) -> None:
    """The support teams with their manager, members and leader."""
    cast = people.cast
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
        if team.manager_id is None:  # created empty before, e.g. by `manage.py load_presets`
            team.manager = cast.users[spec.manager]
            team.save(update_fields=["manager"])
        cast.teams[team.name] = team
        team.members.add(*(people.staff(p) for p in spec.members))
        team.leaders.add(people.staff(spec.leader))


def _ensure_services(cast: Cast) -> None:
    calendars = ensure_calendars()
    for name, description in SERVICES:
        cast.services[name], _ = Service.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "default_team": cast.teams["Tier 1"],
                # Remote access is supported around the clock; the rest in office hours.
                "calendar": calendars["24×7" if name == "VPN" else "UK office hours"],
            },
        )


# (priority, first response, resolution) in business minutes.
SLA_TARGETS = [
    ("P1", 30, 4 * 60),
    ("P2", 2 * 60, 2 * 8 * 60),
    ("P3", 4 * 60, 5 * 8 * 60),
    ("P4", 8 * 60, 10 * 8 * 60),
]


def ensure_calendars() -> dict[str, BusinessCalendar]:
    """UK office hours (Mon–Fri 08:00–18:00, England's bank holidays) and 24×7."""
    office, created = BusinessCalendar.objects.get_or_create(
        name="UK office hours",
        defaults={"time_zone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG"},
    )
    if created:
        WorkingWindow.objects.bulk_create(
            WorkingWindow(calendar=office, weekday=day, start=time(8), end=time(18)) for day in range(5)
        )
    around_the_clock, _ = BusinessCalendar.objects.get_or_create(
        name="24×7", defaults={"is_24x7": True, "time_zone": "Europe/London"}
    )
    return {"UK office hours": office, "24×7": around_the_clock}


def format_logins() -> str:
    """The demo logins as a small text table."""
    width = max(len(u) for u, _ in DEMO_LOGINS)
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD!r})", ""]
    lines += [f"  {username:<{width}}  {role}" for username, role in DEMO_LOGINS]
    return "\n".join(lines)
