"""Four and eight sweepers at once over 5,000 due deadlines: each fires exactly once (PostgreSQL only)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from clocks.models import Deadline, DeadlineState
from clocks.registry import register_deadline_handler
from clocks.sweep import SweepResult, sweep_due_deadlines

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers and ignores SELECT … FOR UPDATE SKIP LOCKED "
        "(set DATABASE_URL=postgres://…)",
    ),
]

DEADLINES = 5000
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def sweep_in_own_connection(
    barrier: threading.Barrier, results: list[SweepResult], errors: list[str]
) -> None:
    try:
        barrier.wait(timeout=30)
        results.append(sweep_due_deadlines(now=NOW, batch_size=100))
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sweepers", [4, 8])
def test_it_fires_each_of_5000_deadlines_exactly_once_with_concurrent_sweepers(sweepers: int) -> None:
    calls: Counter[int] = Counter()
    lock = threading.Lock()

    def record_once(deadline: Deadline) -> None:
        with lock:
            calls[deadline.pk] += 1
        # Group.name is unique: a second firing of the same deadline would raise IntegrityError.
        Group.objects.create(name=f"deadline {deadline.pk}")

    register_deadline_handler("test.concurrent", record_once)
    subject = Group.objects.create(name="subject")
    content_type = ContentType.objects.get_for_model(Group)
    Deadline.objects.bulk_create(
        Deadline(
            content_type=content_type,
            object_id=subject.pk,
            kind="test.concurrent",
            due_at=NOW - timedelta(seconds=i),
        )
        for i in range(DEADLINES)
    )

    barrier = threading.Barrier(sweepers)
    results: list[SweepResult] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=sweep_in_own_connection, args=(barrier, results, errors))
        for _ in range(sweepers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert len(results) == sweepers
    assert sum(r.fired for r in results) == DEADLINES
    assert sum(r.retried + r.failed for r in results) == 0
    # Every sweeper took a share: they really ran at the same time.
    assert all(r.fired > 0 for r in results), results
    assert len(calls) == DEADLINES and set(calls.values()) == {1}
    assert Group.objects.filter(name__startswith="deadline ").count() == DEADLINES
    assert Deadline.objects.filter(state=DeadlineState.FIRED, attempts=1).count() == DEADLINES
