"""A batch fires in one transaction with a savepoint per handler: a failure is undone alone, a
crash undoes the whole batch transaction, and each calendar is read once per batch."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clocks import sweep
from clocks.models import BusinessCalendar, Clock, Deadline, DeadlineState
from clocks.registry import register_clock_handlers, register_deadline_handler
from clocks.services import clock_start, elapsed_seconds
from clocks.sweep import SweepResult, sweep_due_deadlines

T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # a Monday


class Killed(BaseException):
    """What a sweeper process dying mid-batch looks like to the code around it."""


def due_rows(subject: Group, count: int, kind: str) -> list[Deadline]:
    content_type = ContentType.objects.get_for_model(subject)
    return [
        Deadline.objects.create(
            content_type=content_type,
            object_id=subject.pk,
            kind=kind,
            due_at=T0 - timedelta(minutes=count - i),
        )
        for i in range(count)
    ]


def test_a_failing_handler_in_a_batch_leaves_its_neighbours_fired_and_alone_is_retried(
    subject: Group,
) -> None:
    calls: Counter[int] = Counter()
    failing: set[int] = set()

    def write_then_maybe_fail(deadline: Deadline) -> None:
        calls[deadline.pk] += 1
        Group.objects.create(name=f"work of {deadline.pk}")
        if deadline.pk in failing:
            raise RuntimeError("the mail server is down")

    register_deadline_handler("test.batch", write_then_maybe_fail)
    rows = due_rows(subject, 5, "test.batch")
    failing.add(rows[2].pk)

    assert sweep_due_deadlines(now=T0) == SweepResult(fired=4, retried=1)
    states = dict(Deadline.objects.values_list("pk", "state"))
    assert [states[row.pk] for row in rows] == ["fired", "fired", "pending", "fired", "fired"]
    # The failing handler's own work was rolled back (its savepoint), its neighbours' kept.
    assert set(Group.objects.filter(name__startswith="work of ").values_list("name", flat=True)) == {
        f"work of {row.pk}" for row in rows if row.pk not in failing
    }
    retried = Deadline.objects.get(pk=rows[2].pk)
    assert (retried.attempts, retried.claim_token, retried.next_attempt_at) == (
        1,
        None,
        T0 + sweep.FIRST_BACKOFF,
    )
    assert "mail server is down" in retried.last_error

    failing.clear()
    assert sweep_due_deadlines(now=T0 + sweep.FIRST_BACKOFF) == SweepResult(fired=1)
    assert calls == {rows[0].pk: 1, rows[1].pk: 1, rows[2].pk: 2, rows[3].pk: 1, rows[4].pk: 1}
    assert Group.objects.filter(name=f"work of {rows[2].pk}").exists()


def test_a_sweeper_killed_mid_batch_leaves_nothing_half_applied(subject: Group) -> None:
    calls: Counter[int] = Counter()
    kill_at: list[int] = []

    def write(deadline: Deadline) -> None:
        if deadline.pk in kill_at:
            raise Killed
        calls[deadline.pk] += 1
        Group.objects.create(name=f"work of {deadline.pk}")

    register_deadline_handler("test.batch", write)
    rows = due_rows(subject, 5, "test.batch")
    kill_at.append(rows[3].pk)

    with pytest.raises(Killed):
        sweep_due_deadlines(now=T0)
    # The batch transaction rolled back: no handler's work and no fired mark survive; the rows
    # still carry the dead sweeper's claim.
    assert not Group.objects.filter(name__startswith="work of ").exists()
    assert set(Deadline.objects.values_list("state", "attempts")) == {(DeadlineState.PENDING, 0)}
    assert not Deadline.objects.filter(claimed_until__isnull=True).exists()
    assert sweep_due_deadlines(now=T0) == SweepResult()  # the lease holds

    kill_at.clear()
    calls.clear()
    assert sweep_due_deadlines(now=T0 + sweep.lease() + timedelta(seconds=1)) == SweepResult(fired=5)
    assert calls == {row.pk: 1 for row in rows}
    assert Group.objects.filter(name__startswith="work of ").count() == 5


def test_a_long_batch_commits_in_transactions_of_a_third_of_the_lease(
    subject: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each handler takes a second: a batch of 6 commits in 3 transactions of 2 s."""
    elapsed = [0.0]
    monkeypatch.setattr(sweep.time, "monotonic", lambda: elapsed[0])
    commits: list[int] = []

    def slow(deadline: Deadline) -> None:
        elapsed[0] += 1

    register_deadline_handler("test.slow", slow)
    due_rows(subject, 6, "test.slow")
    original = sweep._fire_chunk

    def counting_chunk(rows: list[Deadline], *args: object) -> list[Deadline]:
        left = original(rows, *args)
        commits.append(len(rows) - len(left))
        return left

    monkeypatch.setattr(sweep, "_fire_chunk", counting_chunk)
    assert sweep_due_deadlines(now=T0) == SweepResult(fired=6)
    assert commits == [2, 2, 2]


def test_a_batch_reads_each_calendar_once(office_hours: BusinessCalendar, subject: Group) -> None:
    """Twelve clocks on one calendar warn in one batch; each callback counts the clock's business
    time (which needs the calendar): the working windows are read once, not twelve times."""
    seen: list[int] = []
    register_clock_handlers(
        "test.cached",
        on_warning=lambda clock: seen.append(elapsed_seconds(clock)),
        on_breach=lambda clock: None,
    )
    start = T0 - timedelta(hours=2)
    for _ in range(12):
        clock_start(subject=subject, kind="test.cached", calendar=office_hours, target_seconds=7200, at=start)
    with CaptureQueriesContext(connection) as queries:
        assert sweep_due_deadlines(now=T0 - timedelta(minutes=20)).fired == 12
    windows = [q for q in queries.captured_queries if "clocks_workingwindow" in q["sql"]]
    assert len(seen) == 12
    assert len(windows) == 1, len(windows)
    assert Clock.objects.filter(warned_at__isnull=False).count() == 12


def _statements(queries: CaptureQueriesContext) -> Counter[str]:
    return Counter(q["sql"].lstrip().split(None, 1)[0].upper() for q in queries.captured_queries)


def test_handlers_that_run_no_sql_cost_no_savepoint_and_are_marked_in_one_update(subject: Group) -> None:
    """A batch of 60 rows whose handler runs no query: the claim, one UPDATE marking them all
    fired, the next (empty) claim; no savepoint and no UPDATE per row."""
    seen: list[int] = []
    register_deadline_handler("test.nosql", lambda deadline: seen.append(deadline.pk))
    rows = due_rows(subject, 60, "test.nosql")
    with CaptureQueriesContext(connection) as queries:
        assert sweep_due_deadlines(now=T0) == SweepResult(fired=60)
    assert seen == [row.pk for row in rows]  # in due order, each once
    statements = _statements(queries)
    # The claims' and the chunk's own transactions (savepoints inside the test's), none per row.
    assert statements["SAVEPOINT"] <= 3, statements
    assert statements["SELECT"] + statements["UPDATE"] <= 6, statements
    fired = Deadline.objects.filter(state=DeadlineState.FIRED, attempts=1, claim_token__isnull=True)
    assert fired.count() == 60


def test_a_handler_without_sql_that_fails_is_retried_alone_and_its_on_commit_work_dropped(
    subject: Group, django_capture_on_commit_callbacks: object
) -> None:
    """No savepoint was opened for it (it ran no SQL), yet its failure is undone as one would
    be: what it registered for after the commit is dropped; its neighbours, with and without
    SQL, fire; the SQL ones in their savepoints."""
    after_commit: list[int] = []
    failing: set[int] = set()

    def maybe_write(deadline: Deadline) -> None:
        transaction.on_commit(lambda: after_commit.append(deadline.pk))
        if deadline.pk in failing:
            raise RuntimeError("no SQL, yet it failed")
        if deadline.pk % 2:
            Group.objects.create(name=f"work of {deadline.pk}")

    register_deadline_handler("test.mixed", maybe_write)
    rows = due_rows(subject, 6, "test.mixed")
    failing.add(rows[2].pk)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert sweep_due_deadlines(now=T0) == SweepResult(fired=5, retried=1)
    assert sorted(after_commit) == sorted(row.pk for row in rows if row.pk not in failing)
    states = dict(Deadline.objects.values_list("pk", "state"))
    assert [states[row.pk] for row in rows] == ["fired", "fired", "pending", "fired", "fired", "fired"]
    assert Group.objects.filter(name__startswith="work of ").count() == len(
        [row for row in rows if row.pk % 2 and row.pk not in failing]
    )
