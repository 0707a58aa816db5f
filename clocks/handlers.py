"""The built-in handlers of the clocks' own deadlines: record the instant, then call the app."""

from __future__ import annotations

from django.utils import timezone

from .batch import clock_of
from .models import Clock, ClockState, Deadline
from .registry import clock_handlers_for, register_deadline_handler
from .services import CLOCK_BREACH, CLOCK_WARNING


def _mark_point(deadline: Deadline, field: str) -> Clock | None:
    """Record the instant on the running clock, once; the clock (as the batch read it, with the
    instant set), or None when it no longer runs or the point was recorded already.

    The conditional UPDATE is the clock's lock (taken, as before, before the row's fired mark).
    A service that paused, retargeted or stopped the clock cancelled this row under that lock: the
    sweep's fired mark (after this handler) then matches nothing and the handler's work is undone,
    so the clock read at the batch's start is current for everything this handler goes on to do."""
    clock = clock_of(deadline)
    if clock is None:
        return None
    now = timezone.now()
    marked = Clock.objects.filter(
        pk=deadline.object_id, state=ClockState.RUNNING, **{f"{field}__isnull": True}
    ).update(**{field: now})
    if not marked:
        return None
    setattr(clock, field, now)
    clock.state = ClockState.RUNNING
    return clock


def _fire(deadline: Deadline, *, point: str) -> None:
    """Mark the clock's warning or breach instant (once) and call its app's callback."""
    clock = _mark_point(deadline, f"{'warned' if point == 'warning' else 'breached'}_at")
    if clock is None:
        return
    handlers = clock_handlers_for(clock.kind)
    if handlers is not None:
        (handlers.on_warning if point == "warning" else handlers.on_breach)(clock)


def fire_clock_warning(deadline: Deadline) -> None:
    _fire(deadline, point="warning")


def fire_clock_breach(deadline: Deadline) -> None:
    _fire(deadline, point="breach")


def register_builtin_handlers() -> None:
    register_deadline_handler(CLOCK_WARNING, fire_clock_warning)
    register_deadline_handler(CLOCK_BREACH, fire_clock_breach)
