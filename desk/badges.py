"""A page of tickets' SLA and tier badges in one pass, from their prefetched clocks.

Each running clock's badge needs the business time counted since it last started. Walked per
clock (``clocks.services.elapsed_seconds``), a months-old clock walks every working day since;
here each calendar's timeline is walked once per page, from its earliest running clock to now
(``clocks.business_time.BusinessTimeline``), and each clock reads its figure off it. The rows
then show ``ticket.badges`` as they are: the row template does no work of its own per badge.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.translation import gettext

from clocks.business_time import BusinessTimeline
from clocks.models import Clock, ClockState
from tickets.sla import clock_badges

T = TypeVar("T", bound=Iterable[Any])


def business_duration(seconds: int) -> str:
    """'2h 05m' / '3d 4h' of business time, for badges."""
    seconds = abs(int(seconds))
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return gettext("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": f"{minutes:02d}"}
    return gettext("%(minutes)sm") % {"minutes": minutes}


def with_texts(badges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each badge's words: "met", "breached 2h 05m ago", "paused, 3d 4h left", "45m left"."""
    for badge in badges:
        badge["label"] = str(badge["label"])  # translated once, shown twice (title and text)
        left = business_duration(badge["remaining"])
        badge["text"] = {
            "met": gettext("met"),
            "breached": (
                gettext("breached %(time)s ago") % {"time": left}
                if badge["remaining"] < 0
                else gettext("breached")
            ),
            "paused": gettext("paused, %(time)s left") % {"time": left},
        }.get(badge["state"], gettext("%(time)s left") % {"time": left})
    return badges


def _running(clock: Clock) -> bool:
    return clock.state == ClockState.RUNNING and clock.running_since is not None


def timelines(clocks: Iterable[Clock], now: datetime) -> dict[int, BusinessTimeline]:
    """One timeline per calendar of the running clocks, from the earliest of them to now."""
    earliest: dict[int, Clock] = {}
    for clock in clocks:
        if _running(clock):
            first = earliest.get(clock.calendar_id)
            if first is None or clock.running_since < first.running_since:
                earliest[clock.calendar_id] = clock
    return {
        calendar_id: BusinessTimeline(clock.calendar.spec(), clock.running_since, now)
        for calendar_id, clock in earliest.items()
    }


def attach_badges(tickets: T, now: datetime | None = None) -> T:
    """Set `badges` on each open ticket (with `sla_clocks` prefetched), as the row shows them."""
    now = now or timezone.now()
    open_tickets = [t for t in tickets if t.is_open]
    by_calendar = timelines((c for t in open_tickets for c in getattr(t, "sla_clocks", [])), now)

    def elapsed(clock: Clock) -> int:
        counted = clock.accumulated_seconds
        if _running(clock):
            counted += by_calendar[clock.calendar_id].seconds_since(clock.running_since)
        return counted

    for ticket in tickets:
        ticket.badges = with_texts(clock_badges(ticket, now, elapsed=elapsed)) if ticket.is_open else []
    return tickets
