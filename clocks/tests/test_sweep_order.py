"""After an outage, concurrent sweeps fire each clock's warning before its breach (PostgreSQL only)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from clocks.models import BusinessCalendar, Clock, Deadline, DeadlineState
from clocks.registry import register_clock_handlers
from clocks.services import CLOCK_BREACH, CLOCK_WARNING, clock_start, deadlines_of
from clocks.sweep import SweepResult, sweep_due_deadlines

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers and ignores SELECT … FOR UPDATE SKIP LOCKED "
        "(set DATABASE_URL=postgres://…)",
    ),
]

CLOCKS = 120


def started_during_an_outage(calendar: BusinessCalendar, subject: Group, spacing: timedelta) -> list[Clock]:
    """120 one-hour clocks (warning at 45 min) started `spacing` apart, all past their breach now.

    1 s apart: every warning is due before every breach (one batch of 200 ends among the breaches);
    1 min apart: warnings and breaches interleave, so small batches split clocks across batches.
    """
    first_start = timezone.now() - timedelta(hours=1, minutes=5) - spacing * CLOCKS
    return [
        clock_start(
            subject=subject,
            kind="test.outage",
            calendar=calendar,
            target_seconds=3600,
            at=first_start + spacing * i,
        )
        for i in range(CLOCKS)
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "spacing", [timedelta(seconds=1), timedelta(minutes=1)], ids=["tight", "interleaved"]
)
@pytest.mark.parametrize("batch_size", [200, 7])
@pytest.mark.parametrize("sweepers", [2, 4, 8])
def test_it_fires_every_clocks_warning_before_its_breach_with_concurrent_sweeps(
    around_the_clock: BusinessCalendar, subject: Group, sweepers: int, batch_size: int, spacing: timedelta
) -> None:
    committed: list[tuple[int, str]] = []  # (clock, point) in the order their firing committed
    log_lock = threading.Lock()

    def record(point: str) -> object:
        def on_point(clock: Clock) -> None:
            def log() -> None:
                with log_lock:
                    committed.append((clock.pk, point))

            transaction.on_commit(log)

        return on_point

    register_clock_handlers("test.outage", on_warning=record("warning"), on_breach=record("breach"))
    clocks = started_during_an_outage(around_the_clock, subject, spacing)
    assert (
        Deadline.objects.filter(state=DeadlineState.PENDING, due_at__lte=timezone.now()).count() == 2 * CLOCKS
    )

    barrier = threading.Barrier(sweepers)
    results: list[SweepResult] = []
    errors: list[str] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(sweep_due_deadlines(batch_size=batch_size))
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(sweepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(r.fired for r in results) == 2 * CLOCKS
    assert sum(r.retried + r.failed for r in results) == 0
    # Exactly once: every point committed once, every row fired once.
    assert Counter(committed) == {(clock.pk, point): 1 for clock in clocks for point in ("warning", "breach")}
    assert Deadline.objects.filter(state=DeadlineState.FIRED, attempts=1).count() == 2 * CLOCKS
    position = {entry: index for index, entry in enumerate(committed)}
    out_of_order = [c.pk for c in clocks if position[(c.pk, "breach")] < position[(c.pk, "warning")]]
    assert out_of_order == [], f"{len(out_of_order)} of {CLOCKS} clocks breached before their warning"
    for clock in Clock.objects.filter(pk__in=[c.pk for c in clocks]):
        rows = {row.kind: row for row in deadlines_of(clock)}
        assert clock.warned_at < clock.breached_at
        assert rows[CLOCK_WARNING].fired_at < rows[CLOCK_BREACH].fired_at
