"""A staffed world with the seeds' ladders: every escalations test starts from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Team, User
from escalations.models import EscalationPath, Tier
from escalations.presets import MICROSOFT, SERVICE_REQUEST, load_preset, load_presets
from tests_support.factories import (
    CategoryFactory,
    OrganisationFactory,
    ServiceFactory,
    TicketFactory,
    make_agent,
    make_customer,
    office_calendar,
)
from tickets.models import Service, Ticket
from tickets.services.lifecycle import ticket_triage

LONDON = ZoneInfo("Europe/London")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """An instant in London; 23 November 2026 is a Monday."""
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    erp: Service | None = None  # on the service request ladder (seed 001/003)
    mail: Service | None = None  # on the Microsoft ladder (seed 000)
    ladder: EscalationPath | None = None
    microsoft: EscalationPath | None = None

    def tier(self, name: str, path: EscalationPath | None = None) -> Tier:
        return (path or self.ladder).tiers.get(name=name)

    def __getitem__(self, username: str) -> User:
        return self.users[username]


STAFF = {
    # team: (members, leader, manager)
    "Tier 1": (["erin", "omar"], "tess", "manny"),
    "Tier 2": (["tom", "rachel"], "ravi", "manny"),
    "Engineering": (["ella"], "kenji", "mara"),
    "Onsite Support": (["dan"], "beth", "mara"),
    "IT Management": ([], "ivan", None),
    "Network Operations": (["nils"], "victor", "gwen"),
}


@pytest.fixture
def world(db) -> World:
    w = World()
    for name in ("manny", "mara", "gwen"):
        w.users[name] = make_agent("Team manager", username=name)
    for team_name, (members, leader, manager) in STAFF.items():
        team, _ = Team.objects.get_or_create(name=team_name)
        if team_name == "Engineering":
            team.requires_knowledge_update = True
        team.manager = w.users[manager] if manager else None
        team.save()
        w.teams[team_name] = team
        for username in members:
            w.users[username] = make_agent("Engineer", team=team, username=username)
        role = "IT manager" if team_name == "IT Management" else "Team leader"
        w.users[leader] = make_agent(role, username=leader)
        team.leaders.add(w.users[leader])
        if team_name == "IT Management":
            team.members.add(w.users[leader])
    calendar = office_calendar()
    w.erp = ServiceFactory(name="ERP", calendar=calendar, default_team=w.teams["Tier 1"])
    w.mail = ServiceFactory(name="E-mail & collaboration", calendar=calendar, default_team=w.teams["Tier 1"])
    load_presets()
    w.ladder = EscalationPath.objects.get(name=SERVICE_REQUEST.name)
    w.microsoft = EscalationPath.objects.get(name=MICROSOFT.name)
    org = OrganisationFactory(name="Acme Manufacturing")
    w.users["carla"] = make_customer(org, username="carla")
    return w


def new_ticket(world: World, *, service: Service | None = None, priority: str = "P2", **kwargs) -> Ticket:
    customer = world["carla"]
    return TicketFactory(
        organisation=customer.organisation,
        requester=customer,
        created_by=customer,
        service=service or world.erp,
        priority=priority,
        category=CategoryFactory(name="Software"),
        **kwargs,
    )


def triaged(world: World, **kwargs) -> Ticket:
    ticket = new_ticket(world, **kwargs)
    ticket_triage(ticket=ticket, actor=world["erin"])
    return ticket


__all__ = ["World", "at", "load_preset", "new_ticket", "triaged"]
