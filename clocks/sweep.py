"""The deadline sweep (SPEC §4): claim due rows, fire each once, retry failures with backoff.

Claiming: inside a transaction, pick due pending rows with ``select_for_update(skip_locked=True)``
(PostgreSQL; ignored on SQLite, which serialises writers), then claim them with a conditional
``update()`` that sets this batch's token and a lease only where no live lease exists. The
claim is the lock: the row is not held locked while its handler runs, so a handler may lock
its subject first (as services do) without deadlocks.

Firing: each row runs in its own transaction; the handler runs in it and the row is marked
fired by a conditional update (still pending, still our token). If that update matches
nothing, the row was cancelled or re-claimed meanwhile and the handler's work is rolled
back, so each deadline fires exactly once. A handler that raises is rolled back, and the
row is rescheduled with exponential backoff (1, 2, 4 ... 32 min, then capped at 1 h); after
MAX_ATTEMPTS failures it stays pending but is only retried every GIVE_UP_BACKOFF, logged
as an error each time, for a person to look at.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Deadline, DeadlineState
from .registry import deadline_handler_for

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 8
GIVE_UP_BACKOFF = timedelta(hours=6)


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


def due_deadlines(now: datetime) -> QuerySet[Deadline]:
    """Pending rows whose next attempt (or due instant) has come, earliest first."""
    return (
        Deadline.objects.filter(state=DeadlineState.PENDING)
        .alias(next_due=Coalesce("next_attempt_at", "due_at"))
        .filter(next_due__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_due", "pk")
    )


def _claim_batch(now: datetime, batch_size: int) -> uuid.UUID | None:
    token = uuid.uuid4()
    with transaction.atomic():
        pks = list(due_deadlines(now).select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size])
        if not pks:
            return None
        claimed = (
            Deadline.objects.filter(pk__in=pks, state=DeadlineState.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claim_token=token, claimed_until=now + LEASE)
        )
    return token if claimed else None


def _fire_one(deadline: Deadline, token: uuid.UUID, now: datetime) -> str:
    """Run one claimed row's handler in its own transaction; returns fired/retried/failed/stale."""
    try:
        with transaction.atomic():
            deadline_handler_for(deadline.kind)(deadline)
            marked = Deadline.objects.filter(pk=deadline.pk, state=DeadlineState.PENDING, claim_token=token).update(
                state=DeadlineState.FIRED,
                fired_at=timezone.now(),
                attempts=F("attempts") + 1,
                claimed_until=None,
                claim_token=None,
                last_error="",
            )
            if not marked:
                raise _StaleClaim
        return "fired"
    except _StaleClaim:
        logger.info("deadline %s (%s) was cancelled or re-claimed while firing; skipped", deadline.pk, deadline.kind)
        return "stale"
    except Exception as error:
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
            deadline.pk, deadline.kind, attempts, wait, error, exc_info=outcome == "failed",
        )
        return outcome


def sweep_due_deadlines(
    *, now: datetime | None = None, batch_size: int = 200, max_batches: int | None = None
) -> SweepResult:
    """Fire every deadline due at `now` (default: now) once, in batches; safe to run concurrently."""
    now = now if now is not None else timezone.now()
    result = SweepResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        token = _claim_batch(now, batch_size)
        if token is None:
            break
        batches += 1
        counts = {"fired": 0, "failed": 0, "retried": 0, "stale": 0}
        for deadline in Deadline.objects.filter(claim_token=token).order_by(Coalesce("next_attempt_at", "due_at"), "pk"):
            counts[_fire_one(deadline, token, now)] += 1
        result += SweepResult(counts["fired"], counts["failed"], counts["retried"])
    if result.fired or result.failed or result.retried:
        logger.info(
            "deadline sweep at %s: %s fired, %s retried later, %s failing past %s attempts",
            now.isoformat(), result.fired, result.retried, result.failed, MAX_ATTEMPTS,
        )
    return result
