"""The deadline sweep (SPEC §4): claim due rows, fire each once and in order, retry failures with backoff.

Claiming: inside a transaction, pick due pending rows with ``select_for_update(skip_locked=True)``
(PostgreSQL; ignored on SQLite, which serialises writers), then claim them with a conditional
``update()`` that sets this batch's token and a lease only where no live lease exists. The
claim is the lock: the row is not locked before its handler runs (its fired mark, after the
handler, locks it), so a handler locks its subject first, as services do.

Order: a batch is fired in due order, and a clock's point is claimed only together with (or
after) every earlier point of the same clock still to fire, so a clock's warning always fires
before its breach, whatever the number of sweepers and wherever a batch ends. The sweeper
that fires the earlier point claims the later one in its next batch; the others pass it by.

Lease: CLOCKS_SWEEP_LEASE_SECONDS (default 30), renewed for the rest of the batch whenever a
third of it has gone by, so a live sweeper keeps its rows however long its batch takes and a
dead one's rows are free again one lease after its last renewal.

Firing: a batch runs in one transaction (committing early, and going on in the next, once it
has run BATCH_TRANSACTION_SECONDS or a third of the lease). Each row's handler runs in a
savepoint, and the row is marked fired in it by a conditional update (still pending, still
our token); if that matches nothing, the row was cancelled or re-claimed meanwhile and the
savepoint is rolled back, so each deadline fires exactly once. A handler that raises is
rolled back alone (its savepoint) and its row rescheduled with exponential backoff (1, 2, 4
... 32 min, then capped at 1 h), its neighbours staying fired; after MAX_ATTEMPTS failures it
stays pending but is only retried every GIVE_UP_BACKOFF, logged as an error each time, for a
person to look at.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from .batch import batch_context
from .calendar_cache import cached_specs
from .models import Clock, Deadline, DeadlineState
from .registry import around_sweep, deadline_handler_for

logger = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 8
GIVE_UP_BACKOFF = timedelta(hours=6)
# A batch fires in one transaction, committing early (and going on in a new one) once it has run
# this long or a third of the lease: rows and subjects are not held locked for long.
BATCH_TRANSACTION_SECONDS = 2.0


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did: handlers that fired, rows past MAX_ATTEMPTS, rows rescheduled."""

    fired: int = 0
    failed: int = 0
    retried: int = 0

    def __add__(self, other: SweepResult) -> SweepResult:
        return SweepResult(self.fired + other.fired, self.failed + other.failed, self.retried + other.retried)


class _StaleClaim(Exception):
    """The row was cancelled or re-claimed while its handler ran: undo the handler's work."""


def backoff_after(attempts: int) -> timedelta:
    """How long to wait before the next try, after `attempts` failed tries."""
    if attempts >= MAX_ATTEMPTS:
        return GIVE_UP_BACKOFF
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)


def lease() -> timedelta:
    """How long a claim holds without renewal (CLOCKS_SWEEP_LEASE_SECONDS)."""
    return timedelta(seconds=settings.CLOCKS_SWEEP_LEASE_SECONDS)


@dataclass
class _SweepClock:
    """The sweep's `now` moving on with real elapsed time: leases are counted from the present."""

    start: datetime
    started: float = field(default_factory=lambda: time.monotonic())

    def current(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def due_deadlines(now: datetime) -> QuerySet[Deadline]:
    """Pending rows whose next attempt (or due instant) has come, earliest first."""
    return (
        Deadline.objects.filter(state=DeadlineState.PENDING)
        .alias(next_due=Coalesce("next_attempt_at", "due_at"))
        .filter(next_due__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_due", "pk")
    )


def _still_to_fire(now: datetime) -> Q:
    """Pending and due, or claimed by a sweeper; not a failing row waiting out its backoff
    (that one does not hold the clock's later points back for hours)."""
    return Q(state=DeadlineState.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now) | Q(claimed_until__gte=now)
    )


def _in_clock_order(candidates: list[tuple[int, int, int, datetime]], now: datetime) -> list[int]:
    """Of the candidates (pk, content type, object, due_at), the rows this batch may claim: a
    clock's point only together with every earlier point of that clock still to fire. An
    earlier point nobody holds joins the batch; one claimed (or being claimed) by another
    sweeper holds the later points back for that sweeper's next batch."""
    clock_type = ContentType.objects.get_for_model(Clock).pk
    clocks = {object_id for _, content_type, object_id, _ in candidates if content_type == clock_type}
    if not clocks:
        return [pk for pk, *_ in candidates]
    blockers = list(
        Deadline.objects.filter(content_type_id=clock_type, object_id__in=clocks)
        .filter(_still_to_fire(now))
        .exclude(pk__in=[pk for pk, *_ in candidates])
        .values_list("pk", "object_id", "due_at", "claimed_until")
    )
    free = [pk for pk, _, _, claimed_until in blockers if claimed_until is None or claimed_until < now]
    if free:
        joined = set(
            due_deadlines(now)
            .filter(pk__in=free)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        candidates = candidates + [
            (pk, clock_type, object_id, due_at) for pk, object_id, due_at, _ in blockers if pk in joined
        ]
        blockers = [row for row in blockers if row[0] not in joined]
    first_blocker: dict[int, tuple[datetime, int]] = {}
    for pk, object_id, due_at, _ in blockers:
        first_blocker[object_id] = min(first_blocker.get(object_id, (due_at, pk)), (due_at, pk))
    return [
        pk
        for pk, content_type, object_id, due_at in candidates
        if content_type != clock_type
        or object_id not in first_blocker
        or (due_at, pk) < first_blocker[object_id]
    ]


def _claim_batch(
    now: datetime, batch_size: int, clock: _SweepClock
) -> tuple[uuid.UUID, list[Deadline]] | None:
    """Claim up to batch_size due rows for this sweeper: its token and the rows, in their points'
    own order (due instant, then pk); None when nothing is left to claim.

    A clock's point whose earlier point is claimed by another sweeper (or locked by its claim,
    which SKIP LOCKED passes by) is left for whoever fires that earlier point: it claims the
    later one in its next batch, at once. The rows locked by the claim are the batch's rows
    (no read-back), unless earlier points of their clocks joined them."""
    token = uuid.uuid4()
    with transaction.atomic():
        locked = {row.pk: row for row in due_deadlines(now).select_for_update(skip_locked=True)[:batch_size]}
        if not locked:
            return None
        candidates = [(row.pk, row.content_type_id, row.object_id, row.due_at) for row in locked.values()]
        pks = _in_clock_order(candidates, now)
        if not pks:
            return None
        until = clock.current() + lease()
        claimed = (
            Deadline.objects.filter(pk__in=pks, state=DeadlineState.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claim_token=token, claimed_until=until)
        )
    if not claimed:
        return None
    if claimed != len(pks) or not locked.keys() >= set(pks):
        return token, list(Deadline.objects.filter(claim_token=token).order_by("due_at", "pk"))
    rows = sorted((locked[pk] for pk in pks), key=lambda row: (row.due_at, row.pk))
    for row in rows:
        row.claim_token, row.claimed_until = token, until
    return token, rows


def _renew(token: uuid.UUID, clock: _SweepClock) -> datetime:
    """Extend the lease of the batch's rows not fired yet; returns when it was renewed."""
    renewed_at = clock.current()
    Deadline.objects.filter(claim_token=token, state=DeadlineState.PENDING).update(
        claimed_until=renewed_at + lease()
    )
    return renewed_at


def _fired_fields() -> dict[str, object]:
    return {
        "state": DeadlineState.FIRED,
        "fired_at": timezone.now(),
        "attempts": F("attempts") + 1,
        "claimed_until": None,
        "claim_token": None,
        "last_error": "",
    }


def _mark_fired(deadline: Deadline, token: uuid.UUID) -> bool:
    """Mark the row fired if it is still pending and still ours; the row stays locked until commit."""
    return bool(
        Deadline.objects.filter(pk=deadline.pk, state=DeadlineState.PENDING, claim_token=token).update(
            **_fired_fields()
        )
    )


def _mark_all_fired(pks: list[int], token: uuid.UUID) -> int:
    """Mark, in one UPDATE, the rows whose handlers ran no SQL; how many were still pending and ours."""
    if not pks:
        return 0
    return Deadline.objects.filter(pk__in=pks, state=DeadlineState.PENDING, claim_token=token).update(
        **_fired_fields()
    )


class _LazySavepoint:
    """A handler's savepoint, opened just before the handler's first SQL statement (an
    execute_wrapper): a handler that runs none has nothing to undo and costs no savepoint.

    It is Django's own ``atomic()`` entered then, so the savepoint stack, a failure's rollback
    and the on_commit callbacks registered inside it behave as in a ``with atomic():`` block
    around the handler; it is entered inside whatever the handler's first statement is part of
    (its own atomic block's SAVEPOINT included) and left after the handler, in stack order."""

    def __init__(self) -> None:
        self.block: transaction.Atomic | None = None
        self._opening = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.block is None and not self._opening:
            self._opening = True  # the SAVEPOINT statement passes through this wrapper too
            try:
                block = transaction.atomic()
                block.__enter__()
                self.block = block
            finally:
                self._opening = False
        return execute(sql, params, many, context)

    def close(self, error: BaseException | None = None) -> None:
        """Release the savepoint, or roll back to it when `error` is given (no-op if none opened)."""
        block, self.block = self.block, None
        if block is not None:
            if error is None:
                block.__exit__(None, None, None)
            else:
                block.__exit__(type(error), error, error.__traceback__)


def _run_handler(deadline: Deadline) -> tuple[_LazySavepoint, Exception | None]:
    """Run the row's handler; its savepoint (if it ran SQL) is left open for the fired mark.
    A handler that raised is rolled back to its savepoint, and without one (it ran no SQL) the
    on_commit callbacks it registered are dropped, as a savepoint's rollback drops them."""
    savepoint = _LazySavepoint()
    callbacks = len(connection.run_on_commit)
    try:
        with connection.execute_wrapper(savepoint):
            deadline_handler_for(deadline.kind)(deadline)
    except Exception as error:
        if savepoint.block is None:
            del connection.run_on_commit[callbacks:]
        savepoint.close(error)
        return savepoint, error
    except BaseException as error:  # a dying worker: leave the stack of savepoints in order
        savepoint.close(error)
        raise
    return savepoint, None


def _fire_in_savepoint(deadline: Deadline, token: uuid.UUID, unmarked: list[int]) -> str | Exception:
    """Run one claimed row's handler in a savepoint of the batch transaction, then mark it fired;
    returns "fired", "stale" (its work undone), "unmarked" (its handler ran no SQL: the row is
    marked with the chunk's others, ``_mark_all_fired``) or the exception the handler raised (its
    work undone).

    The row is marked after its handler, so it is locked after whatever the handler locks (a
    clock, a ticket), in the order the services lock them: no deadlock with a service that
    cancels the row under that lock."""
    savepoint, error = _run_handler(deadline)
    if error is not None:
        return error
    if savepoint.block is None:
        unmarked.append(deadline.pk)
        return "unmarked"
    try:
        marked = _mark_fired(deadline, token)
    except BaseException as failure:
        savepoint.close(failure)
        raise
    if not marked:
        savepoint.close(_StaleClaim())
        logger.info(
            "deadline %s (%s) was cancelled or re-claimed while firing; skipped", deadline.pk, deadline.kind
        )
        return "stale"
    savepoint.close()
    return "fired"


def _reschedule(deadline: Deadline, token: uuid.UUID, now: datetime, error: Exception) -> str:
    """A handler raised: record the attempt and try again after the backoff; "retried" or "failed"."""
    attempts = deadline.attempts + 1
    wait = backoff_after(attempts)
    Deadline.objects.filter(pk=deadline.pk, state=DeadlineState.PENDING, claim_token=token).update(
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:4000],
        next_attempt_at=now + wait,
        claimed_until=None,
        claim_token=None,
    )
    outcome = "failed" if attempts >= MAX_ATTEMPTS else "retried"
    log = logger.error if outcome == "failed" else logger.warning
    log(
        "deadline %s (%s) handler raised on attempt %s; next try in %s: %r",
        deadline.pk,
        deadline.kind,
        attempts,
        wait,
        error,
        exc_info=(type(error), error, error.__traceback__) if outcome == "failed" else False,
    )
    return outcome


def _transaction_cap() -> timedelta:
    """How long one batch transaction may run before it commits and the batch goes on in the next."""
    return min(timedelta(seconds=BATCH_TRANSACTION_SECONDS), lease() / 3)


def _fire_chunk(
    rows: list[Deadline], token: uuid.UUID, now: datetime, clock: _SweepClock, counts: dict[str, int]
) -> list[Deadline]:
    """Fire rows in one transaction (a savepoint each) until the time cap; returns the rows left.

    Nothing of the chunk is visible before its commit, and a sweeper that dies in it leaves
    nothing applied: its rows keep their claim until the lease passes, then another fires them.
    Each calendar is read once for the whole chunk (``cached_specs``), and what the handlers
    read about the rows' clocks and subjects once for the chunk (``clocks.batch``). The rows
    whose handlers ran no SQL are marked fired together, at the chunk's end."""
    opened = clock.current()
    left: list[Deadline] = []
    unmarked: list[int] = []
    with transaction.atomic(), cached_specs(), batch_context(rows):
        for index, deadline in enumerate(rows):
            if index and clock.current() - opened >= _transaction_cap():
                left = rows[index:]
                break
            outcome = _fire_in_savepoint(deadline, token, unmarked)
            if isinstance(outcome, Exception):
                outcome = _reschedule(deadline, token, now, outcome)
            if outcome != "unmarked":
                counts[outcome] += 1
        marked = _mark_all_fired(unmarked, token)
    counts["fired"] += marked
    counts["stale"] += len(unmarked) - marked
    return left


@around_sweep
def sweep_due_deadlines(
    *, now: datetime | None = None, batch_size: int = 200, max_batches: int | None = None
) -> SweepResult:
    """Fire every deadline due at `now` (default: now) once, in batches; safe to run concurrently."""
    now = now if now is not None else timezone.now()
    clock = _SweepClock(now)
    result = SweepResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        claim = _claim_batch(now, batch_size, clock)
        if claim is None:
            break
        # In the points' own order: a retried row keeps its place before a clock's later point.
        token, rows = claim
        renewed_at = clock.current()
        batches += 1
        counts = {"fired": 0, "failed": 0, "retried": 0, "stale": 0}
        while rows:
            if clock.current() - renewed_at >= lease() / 3:
                renewed_at = _renew(token, clock)
            rows = _fire_chunk(rows, token, now, clock, counts)
        result += SweepResult(counts["fired"], counts["failed"], counts["retried"])
    if result.fired or result.failed or result.retried:
        logger.info(
            "deadline sweep at %s: %s fired, %s retried later, %s failing past %s attempts",
            now.isoformat(),
            result.fired,
            result.retried,
            result.failed,
            MAX_ATTEMPTS,
        )
    return result
