"""The built-in handlers of the clocks' own deadlines: record the instant, then call the app."""

from __future__ import annotations

from django.utils import timezone

from .models import Clock, ClockState, Deadline
from .registry import clock_handlers_for, register_deadline_handler
from .services import CLOCK_BREACH, CLOCK_WARNING


def _locked_clock_for(deadline: Deadline) -> Clock | None:
    """Lock the deadline's clock, or None when it no longer runs.

    A service that paused or retargeted the clock cancelled this row under the clock lock: the
    sweep's fired mark (after this handler) then matches nothing and the handler's work is undone."""
    clock = Clock.objects.select_for_update().filter(pk=deadline.object_id).first()
    if clock is None or clock.state != ClockState.RUNNING:
        return None
    return clock


def _fire(deadline: Deadline, *, point: str) -> None:
    """Mark the clock's warning or breach instant (once) and call its app's callback."""
    clock = _locked_clock_for(deadline)
    field = f"{'warned' if point == 'warning' else 'breached'}_at"
    if clock is None or getattr(clock, field) is not None:
        return
    setattr(clock, field, timezone.now())
    clock.save(update_fields=[field])
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
