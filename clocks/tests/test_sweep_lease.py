"""The sweep's lease: a dead sweeper's rows are free again one lease later; a live one keeps its own."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.utils import timezone

from clocks import sweep
from clocks.models import Deadline, DeadlineState
from clocks.registry import register_deadline_handler
from clocks.sweep import SweepResult, due_deadlines, sweep_due_deadlines


def due_rows(subject: Group, count: int, kind: str = "test.lease") -> list[Deadline]:
    now = timezone.now()
    return [
        Deadline.objects.create(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            kind=kind,
            due_at=now - timedelta(seconds=count - i),
        )
        for i in range(count)
    ]


@pytest.fixture
def calls() -> Counter[int]:
    counter: Counter[int] = Counter()
    register_deadline_handler("test.lease", lambda deadline: counter.update([deadline.pk]))
    return counter


def test_the_default_lease_is_half_a_minute_so_a_crash_costs_at_most_a_minute(settings: object) -> None:
    assert settings.CLOCKS_SWEEP_LEASE_SECONDS == 30
    assert sweep.lease() + timedelta(seconds=settings.CLOCKS_SWEEP_SECONDS) <= timedelta(minutes=1)


@override_settings(CLOCKS_SWEEP_LEASE_SECONDS=10)
def test_it_claims_for_the_configured_lease(subject: Group) -> None:
    rows = due_rows(subject, 3)
    with time_machine.travel(timezone.now(), tick=False):
        claimed_at = timezone.now()
        assert sweep._claim_batch(claimed_at, 200, sweep._SweepClock(claimed_at)) is not None
    for row in Deadline.objects.filter(pk__in=[r.pk for r in rows]):
        assert timedelta(seconds=10) <= row.claimed_until - claimed_at < timedelta(seconds=11)


@override_settings(CLOCKS_SWEEP_LEASE_SECONDS=20)
def test_a_dead_sweepers_claim_is_swept_by_another_once_the_lease_passes(
    subject: Group, calls: Counter[int]
) -> None:
    rows = due_rows(subject, 5)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # A sweeper claims a batch and dies before firing any of it.
        assert sweep._claim_batch(start, 200, sweep._SweepClock(start)) is not None
    with time_machine.travel(start + timedelta(seconds=19), tick=False):
        assert sweep_due_deadlines() == SweepResult()
    with time_machine.travel(start + timedelta(seconds=21), tick=False):
        assert sweep_due_deadlines() == SweepResult(fired=5)
    assert calls == {row.pk: 1 for row in rows}
    assert Deadline.objects.filter(state=DeadlineState.FIRED, attempts=1).count() == 5


@override_settings(CLOCKS_SWEEP_LEASE_SECONDS=30)
def test_a_live_slow_sweeper_renews_its_lease_so_nobody_takes_its_rows(
    subject: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each handler takes 15 s: the batch outlasts one lease three times over, and at every
    step the rows still to fire are not claimable by another sweeper."""
    elapsed = [0.0]
    monkeypatch.setattr(sweep.time, "monotonic", lambda: elapsed[0])
    start = timezone.now()
    stealable: list[int] = []

    def slow(deadline: Deadline) -> None:
        elapsed[0] += 15
        current = start + timedelta(seconds=elapsed[0])
        # What another sweeper would claim at this instant, among this batch's rows still to fire.
        stealable.extend(due_deadlines(current).exclude(pk=deadline.pk).values_list("pk", flat=True))

    register_deadline_handler("test.slow", slow)
    due_rows(subject, 6, kind="test.slow")
    assert sweep_due_deadlines(now=start) == SweepResult(fired=6)
    assert stealable == []
