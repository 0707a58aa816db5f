"""A clock walked through time (time-machine): exact due instants across pauses, retargets and sweeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from clocks import services
from clocks.models import BusinessCalendar, Clock, ClockPause, ClockState, Deadline, DeadlineState
from clocks.registry import register_clock_handlers
from clocks.sweep import sweep_due_deadlines
from escalation_desk.domain import Refused

LONDON = ZoneInfo("Europe/London")
HOUR = 3600


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def pending(clock: Clock) -> dict[str, datetime]:
    return {d.kind: d.due_at for d in services.deadlines_of(clock).filter(state=DeadlineState.PENDING)}


@pytest.fixture
def fired() -> list[tuple[str, int]]:
    """Records each call of the app callbacks for the "test.first_response" clock kind."""
    calls: list[tuple[str, int]] = []
    register_clock_handlers(
        "test.first_response",
        on_warning=lambda clock: calls.append(("warning", clock.pk)),
        on_breach=lambda clock: calls.append(("breach", clock.pk)),
    )
    return calls


def start(subject: Group, calendar: BusinessCalendar, hours: float, at: datetime) -> Clock:
    return services.clock_start(
        subject=subject,
        kind="test.first_response",
        calendar=calendar,
        target_seconds=int(hours * HOUR),
        at=at,
    )


def test_it_schedules_warning_and_breach_in_business_time(
    subject: Group, office_hours: BusinessCalendar
) -> None:
    # Monday 15 June 2026, 16:00 BST; 8 business hours; warning at 6 h.
    clock = start(subject, office_hours, 8, london(2026, 6, 15, 16, 0))
    assert clock.warn_at == london(2026, 6, 16, 14, 0)
    assert clock.due_at == london(2026, 6, 16, 16, 0)
    assert pending(clock) == {"clock.warning": clock.warn_at, "clock.breach": clock.due_at}
    assert clock.subject == subject


def test_it_walks_through_pause_resume_warning_and_breach_at_exact_instants(
    subject: Group, office_hours: BusinessCalendar, fired: list[tuple[str, int]]
) -> None:
    with time_machine.travel(london(2026, 6, 15, 9, 0), tick=False) as traveller:
        clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
        assert clock.due_at == london(2026, 6, 15, 17, 0)

        traveller.move_to(london(2026, 6, 15, 11, 0))
        services.clock_pause(clock=clock)
        assert clock.state == ClockState.PAUSED
        assert clock.accumulated_seconds == 2 * HOUR
        assert clock.due_at is None and pending(clock) == {}
        services.clock_pause(clock=clock)  # pausing a paused clock changes nothing
        assert ClockPause.objects.filter(clock=clock).count() == 1

        # Overnight and into Tuesday: paused time never counts, and nothing fires.
        traveller.move_to(london(2026, 6, 16, 10, 0))
        assert services.elapsed_seconds(clock) == 2 * HOUR
        assert sweep_due_deadlines().fired == 0
        services.clock_resume(clock=clock)
        services.clock_resume(clock=clock)  # resuming a running clock changes nothing
        assert clock.warn_at == london(2026, 6, 16, 14, 0)  # 4 h left to the 6 h warning
        assert clock.due_at == london(2026, 6, 16, 16, 0)
        assert pending(clock) == {"clock.warning": clock.warn_at, "clock.breach": clock.due_at}
        assert ClockPause.objects.get(clock=clock).resumed_at == london(2026, 6, 16, 10, 0)

        traveller.move_to(london(2026, 6, 16, 13, 59, 59))
        assert sweep_due_deadlines().fired == 0
        traveller.move_to(london(2026, 6, 16, 14, 0))
        assert sweep_due_deadlines().fired == 1
        clock.refresh_from_db()
        assert clock.warned_at == london(2026, 6, 16, 14, 0)
        assert services.clock_status(clock)["state"] == "warning"
        assert fired == [("warning", clock.pk)]

        traveller.move_to(london(2026, 6, 16, 15, 59, 59))
        assert sweep_due_deadlines().fired == 0
        traveller.move_to(london(2026, 6, 16, 16, 0))
        assert sweep_due_deadlines().fired == 1
        assert sweep_due_deadlines().fired == 0
        clock.refresh_from_db()
        assert clock.breached_at == london(2026, 6, 16, 16, 0)
        assert fired == [("warning", clock.pk), ("breach", clock.pk)]
        status = services.clock_status(clock)
        assert (status["state"], status["elapsed"], status["remaining"]) == ("breached", 8 * HOUR, 0)


def test_it_never_rewarns_after_a_pause(subject: Group, office_hours: BusinessCalendar, fired: list) -> None:
    with time_machine.travel(london(2026, 6, 15, 9, 0), tick=False) as traveller:
        clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
        traveller.move_to(london(2026, 6, 15, 15, 30))
        sweep_due_deadlines()
        services.clock_pause(clock=clock)
        traveller.move_to(london(2026, 6, 15, 16, 0))
        services.clock_resume(clock=clock)
        assert pending(clock) == {"clock.breach": london(2026, 6, 16, 9, 30)}
        assert fired == [("warning", clock.pk)]


def test_it_recomputes_due_instants_when_retargeted(subject: Group, office_hours: BusinessCalendar) -> None:
    clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
    services.clock_retarget(clock=clock, target_seconds=2 * HOUR, at=london(2026, 6, 15, 10, 0))
    assert clock.accumulated_seconds == HOUR
    assert clock.warn_at == london(2026, 6, 15, 10, 30)
    assert clock.due_at == london(2026, 6, 15, 11, 0)
    assert pending(clock) == {"clock.warning": clock.warn_at, "clock.breach": clock.due_at}
    assert services.deadlines_of(clock).filter(state=DeadlineState.CANCELLED).count() == 2


def test_it_fires_at_once_when_a_retarget_leaves_the_points_behind(
    subject: Group, office_hours: BusinessCalendar, fired: list[tuple[str, int]]
) -> None:
    with time_machine.travel(london(2026, 6, 15, 9, 0), tick=False) as traveller:
        clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
        traveller.move_to(london(2026, 6, 15, 10, 0))
        services.clock_retarget(clock=clock, target_seconds=HOUR // 2)  # a P1 now
        assert clock.warn_at == clock.due_at == london(2026, 6, 15, 10, 0)
        assert sweep_due_deadlines().fired == 2
        assert fired == [("warning", clock.pk), ("breach", clock.pk)]


def test_it_fires_promptly_on_resume_past_the_warning_point(
    subject: Group, office_hours: BusinessCalendar, fired: list[tuple[str, int]]
) -> None:
    with time_machine.travel(london(2026, 6, 15, 9, 0), tick=False) as traveller:
        clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
        traveller.move_to(london(2026, 6, 15, 11, 0))
        services.clock_pause(clock=clock)
        services.clock_retarget(clock=clock, target_seconds=2 * HOUR)  # paused: nothing scheduled
        assert pending(clock) == {}
        traveller.move_to(london(2026, 6, 15, 12, 0))
        services.clock_resume(clock=clock)
        assert clock.warn_at == clock.due_at == london(2026, 6, 15, 12, 0)
        assert sweep_due_deadlines().fired == 2


def test_it_stops_for_good_and_cancels_its_deadlines(subject: Group, office_hours: BusinessCalendar) -> None:
    clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
    services.clock_stop(clock=clock, at=london(2026, 6, 15, 12, 30))
    services.clock_stop(clock=clock, at=london(2026, 6, 15, 13, 0))
    assert (clock.state, clock.stopped_at) == (ClockState.STOPPED, london(2026, 6, 15, 12, 30))
    assert services.elapsed_seconds(clock, london(2026, 6, 16, 12, 0)) == int(3.5 * HOUR)
    assert pending(clock) == {}
    assert services.clock_status(clock)["state"] == "stopped"
    with pytest.raises(Refused):
        services.clock_retarget(clock=clock, target_seconds=HOUR)


def test_it_counts_no_time_while_paused(subject: Group, around_the_clock: BusinessCalendar) -> None:
    t0 = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)
    clock = start(subject, around_the_clock, 10, t0)
    for hour in range(1, 9, 2):  # paused from each odd hour to the next even one
        services.clock_pause(clock=clock, at=t0 + timedelta(hours=hour))
        assert services.elapsed_seconds(clock, t0 + timedelta(hours=hour + 1)) == (hour + 1) // 2 * HOUR
        services.clock_resume(clock=clock, at=t0 + timedelta(hours=hour + 1))
    assert services.elapsed_seconds(clock, t0 + timedelta(hours=9)) == 5 * HOUR
    assert clock.due_at == t0 + timedelta(hours=14)  # 4 h counted by 8:00, 6 h to go
    assert ClockPause.objects.filter(clock=clock, resumed_at__isnull=False).count() == 4


def test_it_ignores_a_deadline_cancelled_before_the_sweep_reached_it(
    subject: Group, office_hours: BusinessCalendar, fired: list[tuple[str, int]]
) -> None:
    clock = start(subject, office_hours, 8, london(2026, 6, 15, 9, 0))
    services.clock_pause(clock=clock, at=london(2026, 6, 15, 14, 0))
    assert sweep_due_deadlines(now=london(2026, 6, 20, 0, 0)).fired == 0
    assert fired == []
    assert Deadline.objects.filter(state=DeadlineState.CANCELLED).count() == 2


def test_it_refuses_a_target_that_is_not_positive(subject: Group, office_hours: BusinessCalendar) -> None:
    with pytest.raises(Refused) as refusal:
        start(subject, office_hours, 0, london(2026, 6, 15, 9, 0))
    assert refusal.value.missing == ["the target must be a positive number of seconds"]


def test_it_fires_every_overdue_clock_once_in_order_after_an_outage(
    office_hours: BusinessCalendar, fired: list[tuple[str, int]]
) -> None:
    clocks = [
        start(Group.objects.create(name=f"subject {hours}"), office_hours, hours, london(2026, 6, 15, 9, 0))
        for hours in (4, 1, 2)
    ]
    # Nobody swept all day; the first sweep afterwards fires everything once, earliest first.
    assert sweep_due_deadlines(now=london(2026, 6, 15, 18, 0)).fired == 6
    assert sweep_due_deadlines(now=london(2026, 6, 15, 18, 0)).fired == 0
    one, two, four = clocks[1].pk, clocks[2].pk, clocks[0].pk
    assert fired == [
        ("warning", one),
        ("breach", one),
        ("warning", two),
        ("breach", two),
        ("warning", four),
        ("breach", four),
    ]
