"""Who handles which deadline: each app registers its handlers in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import Clock, Deadline

DeadlineHandler = Callable[["Deadline"], None]
ClockCallback = Callable[["Clock"], None]


@dataclass(frozen=True)
class ClockHandlers:
    """An app's callbacks for one kind of clock, called inside the sweep's transaction."""

    on_warning: ClockCallback
    on_breach: ClockCallback


_deadline_handlers: dict[str, DeadlineHandler] = {}
_clock_handlers: dict[str, ClockHandlers] = {}


def register_deadline_handler(kind: str, handler: DeadlineHandler) -> None:
    """Let the sweep call handler(deadline) for each due deadline of this kind."""
    existing = _deadline_handlers.get(kind)
    if existing is not None and existing is not handler:
        raise ImproperlyConfigured(f"deadline kind {kind!r} already has a handler: {existing!r}")
    _deadline_handlers[kind] = handler


def register_clock_handlers(clock_kind: str, *, on_warning: ClockCallback, on_breach: ClockCallback) -> None:
    """Let the built-in clock deadlines call these when a clock of this kind warns or breaches."""
    handlers = ClockHandlers(on_warning=on_warning, on_breach=on_breach)
    existing = _clock_handlers.get(clock_kind)
    if existing is not None and existing != handlers:
        raise ImproperlyConfigured(f"clock kind {clock_kind!r} already has handlers: {existing!r}")
    _clock_handlers[clock_kind] = handlers


def deadline_handler_for(kind: str) -> DeadlineHandler:
    """The handler registered for a deadline kind; LookupError when none is."""
    try:
        return _deadline_handlers[kind]
    except KeyError:
        raise LookupError(f"no handler registered for deadline kind {kind!r}") from None


def clock_handlers_for(clock_kind: str) -> ClockHandlers | None:
    """The callbacks registered for a clock kind, or None (the clock only records the instant)."""
    return _clock_handlers.get(clock_kind)
