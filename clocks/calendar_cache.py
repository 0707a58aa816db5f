"""A per-sweep cache of calendar specs: a batch of deadlines reads each calendar once.

``BusinessCalendar.spec()`` reads the calendar's working windows and holidays (two queries).
Inside ``cached_specs()`` the spec of a calendar is read once and reused, keyed by the
calendar's id, until the block ends; outside it nothing is cached, so a calendar edited
in the admin is read afresh by the next sweep (each batch transaction opens its own cache).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .business_time import CalendarSpec

_specs: ContextVar[dict[int, CalendarSpec] | None] = ContextVar("clocks_calendar_specs", default=None)


@contextmanager
def cached_specs() -> Iterator[dict[int, CalendarSpec]]:
    """Within the block, each calendar's spec is read from the database once."""
    token = _specs.set({})
    try:
        yield _specs.get() or {}
    finally:
        _specs.reset(token)


def spec_of(calendar_id: int | None, read: Callable[[], CalendarSpec]) -> CalendarSpec:
    """The cached spec of a calendar inside ``cached_specs()``; read() it otherwise (or first)."""
    cache = _specs.get()
    if cache is None or calendar_id is None:
        return read()
    spec = cache.get(calendar_id)
    if spec is None:
        spec = cache[calendar_id] = read()
    return spec
