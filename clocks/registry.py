"""Who handles which deadline: each app registers its handlers in its AppConfig.ready()."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .batch import Batch
    from .models import Clock, Deadline

DeadlineHandler = Callable[["Deadline"], None]
SweepWrapper = Callable[[], AbstractContextManager[object]]
P = ParamSpec("P")
R = TypeVar("R")
ClockCallback = Callable[["Clock"], None]
BatchLoader = Callable[["Batch"], dict[object, object]]


@dataclass(frozen=True)
class ClockHandlers:
    """An app's callbacks for one kind of clock, called inside the sweep's transaction."""

    on_warning: ClockCallback
    on_breach: ClockCallback


_deadline_handlers: dict[str, DeadlineHandler] = {}
_clock_handlers: dict[str, ClockHandlers] = {}
_sweep_wrappers: list[SweepWrapper] = []
_batch_loaders: dict[str, BatchLoader] = {}


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


def register_batch_loader(name: str, loader: BatchLoader) -> None:
    """Let the sweep read, once per batch, what handlers ask `clocks.batch.prefetched(name, key)`
    for: loader(batch) returns {key: row} for the batch's rows (clocks.batch)."""
    existing = _batch_loaders.get(name)
    if existing is not None and existing is not loader:
        raise ImproperlyConfigured(f"batch loader {name!r} already registered: {existing!r}")
    _batch_loaders[name] = loader


def batch_loader_for(name: str) -> BatchLoader | None:
    return _batch_loaders.get(name)


def register_sweep_wrapper(wrapper: SweepWrapper) -> None:
    """Let every deadline sweep run inside `with wrapper():` (e.g. the notifications' one
    e-mail per person per sweep); registering the same wrapper again changes nothing."""
    if wrapper not in _sweep_wrappers:
        _sweep_wrappers.append(wrapper)


def around_sweep(sweep: Callable[P, R]) -> Callable[P, R]:
    """The sweep's entry point, run inside the registered sweep wrappers."""

    @functools.wraps(sweep)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with ExitStack() as stack:
            for wrapper in _sweep_wrappers:
                stack.enter_context(wrapper())
            return sweep(*args, **kwargs)

    return wrapped
