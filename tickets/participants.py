"""Who else is engaged on a ticket, as other apps know it (seed 000: the escalation resource
"joins the active communication channel").

Tickets knows its assignee, team and watchers; escalations knows the participants of a
customer escalation case. It registers a function here from its AppConfig.ready(), so
tickets can tell everyone engaged without importing escalations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Ticket

EngagedPeople = Callable[["Ticket"], Iterable["User"]]

_SOURCES: dict[str, EngagedPeople] = {}


def register_engaged(name: str, people: EngagedPeople) -> None:
    """Register (idempotently, by name) a source of people engaged on a ticket."""
    _SOURCES[name] = people


def engaged_people(ticket: Ticket) -> list[User]:
    """Everyone the registered sources name as engaged on the ticket (staff), once each."""
    found: dict[int, User] = {}
    for source in _SOURCES.values():
        for user in source(ticket):
            found.setdefault(user.pk, user)
    return list(found.values())
