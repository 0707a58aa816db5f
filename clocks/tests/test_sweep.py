"""The sweep: order, retries with backoff, isolation of a failing handler, command and task."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from clocks import sweep
from clocks.models import Deadline, DeadlineState
from clocks.registry import register_clock_handlers, register_deadline_handler
from clocks.sweep import MAX_ATTEMPTS, SweepResult, sweep_due_deadlines
from clocks.tasks import sweep_deadlines

T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def make_deadline(subject: Group, kind: str, due_at: datetime) -> Deadline:
    return Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        kind=kind,
        due_at=due_at,
    )


@pytest.fixture
def calls() -> Counter[int]:
    """Counts how often the "test.ok" handler ran per deadline."""
    counter: Counter[int] = Counter()
    register_deadline_handler("test.ok", lambda deadline: counter.update([deadline.pk]))
    return counter


def test_it_fires_due_deadlines_once_in_due_order_across_batches(subject: Group, calls: Counter[int]) -> None:
    order: list[int] = []
    register_deadline_handler("test.ordered", lambda deadline: order.append(deadline.pk))
    rows = [make_deadline(subject, "test.ordered", T0 - timedelta(minutes=m)) for m in (5, 50, 20, 1, 30)]
    not_yet = make_deadline(subject, "test.ordered", T0 + timedelta(seconds=1))

    assert sweep_due_deadlines(now=T0, batch_size=2) == SweepResult(fired=5)
    assert order == [rows[i].pk for i in (1, 4, 2, 0, 3)]
    assert sweep_due_deadlines(now=T0) == SweepResult()
    assert Deadline.objects.get(pk=not_yet.pk).state == DeadlineState.PENDING
    fired = Deadline.objects.get(pk=rows[0].pk)
    assert (fired.state, fired.attempts, fired.claim_token) == (DeadlineState.FIRED, 1, None)


def test_it_stops_after_max_batches(subject: Group, calls: Counter[int]) -> None:
    for minute in range(5):
        make_deadline(subject, "test.ok", T0 - timedelta(minutes=minute))
    assert sweep_due_deadlines(now=T0, batch_size=2, max_batches=1).fired == 2
    assert sweep_due_deadlines(now=T0, batch_size=2).fired == 3


def test_it_retries_a_raising_handler_with_backoff_without_blocking_its_batch(
    subject: Group, calls: Counter[int]
) -> None:
    failures_left = {"count": 2}
    flaky_calls: list[datetime] = []

    def flaky(deadline: Deadline) -> None:
        flaky_calls.append(deadline.due_at)
        Group.objects.create(name=f"written by attempt {len(flaky_calls)}")  # rolled back when it raises
        if failures_left["count"]:
            failures_left["count"] -= 1
            raise RuntimeError("mail server down")

    register_deadline_handler("test.flaky", flaky)
    first_ok = make_deadline(subject, "test.ok", T0 - timedelta(minutes=3))
    flaky_row = make_deadline(subject, "test.flaky", T0 - timedelta(minutes=2))
    last_ok = make_deadline(subject, "test.ok", T0 - timedelta(minutes=1))

    assert sweep_due_deadlines(now=T0) == SweepResult(fired=2, retried=1)
    assert calls == {first_ok.pk: 1, last_ok.pk: 1}
    row = Deadline.objects.get(pk=flaky_row.pk)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        DeadlineState.PENDING,
        1,
        T0 + timedelta(seconds=60),
    )
    assert row.last_error == "RuntimeError: mail server down"
    assert not Group.objects.filter(name__startswith="written by").exists()

    assert sweep_due_deadlines(now=T0 + timedelta(seconds=59)) == SweepResult()
    assert sweep_due_deadlines(now=T0 + timedelta(seconds=60)) == SweepResult(retried=1)
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, T0 + timedelta(seconds=180))  # 1 min + 2 min

    assert sweep_due_deadlines(now=T0 + timedelta(seconds=180)) == SweepResult(fired=1)
    assert sweep_due_deadlines(now=T0 + timedelta(days=1)) == SweepResult()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (DeadlineState.FIRED, 3, "")
    assert list(Group.objects.filter(name__startswith="written by").values_list("name", flat=True)) == [
        "written by attempt 3"
    ]
    assert calls == {first_ok.pk: 1, last_ok.pk: 1}


def test_it_backs_off_exponentially_up_to_an_hour_then_every_six_hours() -> None:
    waits = [sweep.backoff_after(attempts) for attempts in range(1, MAX_ATTEMPTS + 2)]
    assert [w.total_seconds() for w in waits] == [60, 120, 240, 480, 960, 1920, 3600, 6 * 3600, 6 * 3600]
    assert max(waits[: MAX_ATTEMPTS - 1]) <= timedelta(hours=1)


def test_it_reports_a_row_failing_past_max_attempts_and_keeps_it_pending(subject: Group) -> None:
    def broken(deadline: Deadline) -> None:
        raise ValueError("template missing")

    register_deadline_handler("test.broken", broken)
    row = make_deadline(subject, "test.broken", T0)
    Deadline.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert sweep_due_deadlines(now=T0) == SweepResult(failed=1)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == (
        DeadlineState.PENDING,
        MAX_ATTEMPTS,
        T0 + timedelta(hours=6),
    )


def test_it_retries_a_kind_nobody_registered(subject: Group) -> None:
    row = make_deadline(subject, "test.unknown", T0)
    assert sweep_due_deadlines(now=T0) == SweepResult(retried=1)
    row.refresh_from_db()
    assert "no handler registered" in row.last_error


def test_it_rolls_back_a_handler_whose_row_was_cancelled_while_it_ran(subject: Group) -> None:
    def cancel_myself(deadline: Deadline) -> None:
        Group.objects.create(name="side effect")
        Deadline.objects.filter(pk=deadline.pk).update(state=DeadlineState.CANCELLED)

    register_deadline_handler("test.cancelled", cancel_myself)
    make_deadline(subject, "test.cancelled", T0)
    assert sweep_due_deadlines(now=T0) == SweepResult()
    assert not Group.objects.filter(name="side effect").exists()


def test_it_leaves_rows_claimed_by_a_live_sweeper_alone_until_the_lease_expires(
    subject: Group, calls: Counter[int]
) -> None:
    row = make_deadline(subject, "test.ok", T0)
    Deadline.objects.filter(pk=row.pk).update(claimed_until=T0 + sweep.lease())  # a sweeper that died
    assert sweep_due_deadlines(now=T0) == SweepResult()
    assert sweep_due_deadlines(now=T0 + sweep.lease() + timedelta(seconds=1)) == SweepResult(fired=1)


def test_it_runs_one_sweep_from_the_management_command(subject: Group, calls: Counter[int]) -> None:
    row = make_deadline(subject, "test.ok", T0)
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert calls == {row.pk: 1}
    assert out.getvalue().strip() == "fired 1, retried 0, failing 0"


def test_it_keeps_sweeping_in_a_loop_through_a_failed_sweep(
    subject: Group, calls: Counter[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clocks.management.commands import sweep_deadlines as command

    real_sweep, sweeps, pauses = command.sweep_due_deadlines, [], []

    def sweep_failing_first(**kwargs: int) -> SweepResult:
        sweeps.append(kwargs)
        if len(sweeps) == 1:
            raise RuntimeError("database restarting")
        return real_sweep(**kwargs)

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(command, "sweep_due_deadlines", sweep_failing_first)
    monkeypatch.setattr(command.time, "sleep", sleep)
    row = make_deadline(subject, "test.ok", T0)
    with pytest.raises(KeyboardInterrupt):
        call_command("sweep_deadlines", "--loop", "--interval", "5", stdout=io.StringIO())
    assert pauses == [5.0, 5.0]
    assert calls == {row.pk: 1}


def test_it_sweeps_from_the_celery_task_that_beat_schedules(subject: Group, calls: Counter[int]) -> None:
    row = make_deadline(subject, "test.ok", T0)
    assert sweep_deadlines() == {"fired": 1, "failed": 0, "retried": 0}
    assert calls == {row.pk: 1}
    entry = settings.CELERY_BEAT_SCHEDULE["clocks.sweep_deadlines"]
    assert entry["task"] == sweep_deadlines.name
    assert entry["schedule"] == float(settings.CLOCKS_SWEEP_SECONDS) == 30.0


def clock_points(subject: Group, calendar: object, *, ago: timedelta) -> tuple[Deadline, Deadline]:
    """A one-hour clock started `ago`: its warning and breach rows."""
    from clocks.services import CLOCK_BREACH, CLOCK_WARNING, clock_start, deadlines_of

    clock = clock_start(
        subject=subject, kind="test.points", calendar=calendar, target_seconds=3600, at=T0 - ago
    )
    rows = {row.kind: row for row in deadlines_of(clock)}
    return rows[CLOCK_WARNING], rows[CLOCK_BREACH]


def test_it_leaves_a_breach_alone_while_its_warning_is_claimed_by_another_sweeper(
    subject: Group, around_the_clock: object
) -> None:
    warning, breach = clock_points(subject, around_the_clock, ago=timedelta(hours=2))
    Deadline.objects.filter(pk=warning.pk).update(
        claimed_until=T0 + timedelta(seconds=20)
    )  # in flight elsewhere
    assert sweep_due_deadlines(now=T0) == SweepResult()
    assert Deadline.objects.get(pk=breach.pk).state == DeadlineState.PENDING
    # The earlier point fired: the breach is free to go, at once.
    Deadline.objects.filter(pk=warning.pk).update(state=DeadlineState.FIRED, claimed_until=None)
    assert sweep_due_deadlines(now=T0) == SweepResult(fired=1)


def test_it_fires_a_clocks_points_in_order_when_a_batch_ends_between_them(
    subject: Group, around_the_clock: object
) -> None:
    fired: list[str] = []
    register_clock_handlers(
        "test.points",
        on_warning=lambda c: fired.append("warning"),
        on_breach=lambda c: fired.append("breach"),
    )
    warning, _breach = clock_points(subject, around_the_clock, ago=timedelta(hours=2))
    # A retried warning now due after the breach's instant still fires first (its own instant is earlier).
    Deadline.objects.filter(pk=warning.pk).update(attempts=1, next_attempt_at=T0 - timedelta(seconds=1))
    assert sweep_due_deadlines(now=T0, batch_size=1) == SweepResult(fired=2)
    assert fired == ["warning", "breach"]


def test_it_does_not_hold_a_breach_back_for_a_warning_waiting_out_its_backoff(
    subject: Group, around_the_clock: object
) -> None:
    warning, breach = clock_points(subject, around_the_clock, ago=timedelta(hours=2))
    Deadline.objects.filter(pk=warning.pk).update(attempts=3, next_attempt_at=T0 + timedelta(minutes=4))
    assert sweep_due_deadlines(now=T0) == SweepResult(fired=1)
    assert Deadline.objects.get(pk=breach.pk).state == DeadlineState.FIRED
