"""What a batch's handlers read, read once per batch (issue 12, point 7).

The sweep fires a chunk of claimed rows inside ``batch_context(rows)``. There, the clocks of
the chunk's clock deadlines are read in one query (``clock_of``), and what each app's handlers
read about their subjects (tickets with their team and assignee, tier stints, team leaders…)
is read in one go by the loaders apps register with ``clocks.registry.register_batch_loader``:
a loader gets the ``Batch`` (its rows and clocks) and returns ``{key: row}``; a handler asks
``prefetched(name, key)`` and reads the row itself when that answers None (outside a sweep, or
a subject the loader did not cover). A loader runs on first use, once per chunk.

What is read is not locked: it is what the handlers read without a lock today, read a little
earlier. Whatever cancels a deadline (a clock paused, retargeted, stopped) makes its fired mark
match nothing, so its handler's work is undone whatever it read. A service that changes a
subject during the chunk drops its copy (``forget``: ``lock_ticket`` does for tickets), so a
later handler of the same chunk reads it afresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType

from .models import Clock, Deadline
from .registry import batch_loader_for


@dataclass
class Batch:
    """The rows of one chunk and what was read for them."""

    deadlines: list[Deadline]
    loaded: dict[str, dict[Any, Any]] = field(default_factory=dict)
    _clocks: dict[int, Clock] | None = None

    def clocks(self) -> dict[int, Clock]:
        """The clocks of the chunk's clock deadlines, with their calendars (one query)."""
        if self._clocks is None:
            clock_type = ContentType.objects.get_for_model(Clock).pk
            ids = {row.object_id for row in self.deadlines if row.content_type_id == clock_type}
            self._clocks = (
                {clock.pk: clock for clock in Clock.objects.filter(pk__in=ids).select_related("calendar")}
                if ids
                else {}
            )
        return self._clocks


_batch: ContextVar[Batch | None] = ContextVar("clocks_batch", default=None)


@contextmanager
def batch_context(deadlines: list[Deadline]) -> Iterator[Batch]:
    """Within the block, handlers find what the chunk's rows need read once."""
    batch = Batch(deadlines=list(deadlines))
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)


def clock_of(deadline: Deadline) -> Clock | None:
    """The deadline's clock as the chunk read it, or None outside a sweep or when it is gone."""
    batch = _batch.get()
    if batch is None:
        return Clock.objects.select_related("calendar").filter(pk=deadline.object_id).first()
    return batch.clocks().get(deadline.object_id)


def prefetched(name: str, key: Any) -> Any | None:
    """The row the loader `name` read for `key` in this chunk; None outside a sweep or if unread."""
    batch = _batch.get()
    if batch is None:
        return None
    rows = batch.loaded.get(name)
    if rows is None:
        loader = batch_loader_for(name)
        rows = batch.loaded[name] = loader(batch) if loader is not None else {}
    return rows.get(key)


def forget(name: str, key: Any) -> None:
    """The row changed (or is about to): a later handler of the chunk reads it afresh."""
    batch = _batch.get()
    if batch is not None and name in batch.loaded:
        batch.loaded[name].pop(key, None)
