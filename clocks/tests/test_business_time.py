"""Business-time arithmetic: properties (hypothesis) against a minute-by-minute oracle, and fixed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clocks.business_time import (
    CalendarSpec,
    Window,
    add_business_seconds,
    business_seconds_between,
    is_business_instant,
)

FAST = settings(max_examples=100, deadline=None)
LONDON = "Europe/London"
ZONES = ["UTC", LONDON, "America/New_York", "Asia/Kolkata"]
MINUTE = timedelta(minutes=1)


def office_hours(time_zone: str = LONDON, **extra: object) -> CalendarSpec:
    """Monday to Friday, 09:00-17:00."""
    windows = tuple(Window(day, time(9), time(17)) for day in range(5))
    return CalendarSpec(time_zone=time_zone, windows=windows, **extra)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(time_zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(time_zone))


# --- the oracle: is the minute starting at `moment` inside a window? --------------------------


def oracle_counts(calendar: CalendarSpec, moment: datetime) -> bool:
    """Read the local wall clock and check the windows of today and (after midnight) yesterday."""
    if calendar.is_24x7:
        return True
    wall = moment.astimezone(calendar.zone)
    today, now = wall.date(), wall.time().replace(tzinfo=None)
    yesterday = today - timedelta(days=1)
    if not calendar.is_holiday(today):
        for window in calendar.windows_on(today.weekday()):
            if window.start <= now and (window.crosses_midnight or now < window.end):
                return True
    if not calendar.is_holiday(yesterday):
        for window in calendar.windows_on(yesterday.weekday()):
            if window.crosses_midnight and now < window.end:
                return True
    return False


def oracle_minutes_between(calendar: CalendarSpec, start: datetime, end: datetime) -> int:
    minutes, moment = 0, start
    while moment < end:
        minutes += oracle_counts(calendar, moment)
        moment += MINUTE
    return minutes


# --- strategies -------------------------------------------------------------------------------

# Window edges on whole minutes, never strictly inside 01:00-03:00, where London and New York
# change clocks: an edge inside a DST gap or fold is a documented approximation (fold=0),
# which the wall-clock oracle reads differently.
edge_minutes = st.integers(0, 24 * 60 - 1).filter(lambda m: not 60 < m < 180)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start, end = draw(edge_minutes), draw(edge_minutes)
    return Window(draw(st.integers(0, 6)), time(start // 60, start % 60), time(end // 60, end % 60))


# Days around the 2026 DST changes (29 March, 25 October in Europe; 8 March, 1 November in the US).
interesting_days = st.sampled_from(
    [
        date(2026, 3, 8),
        date(2026, 3, 28),
        date(2026, 3, 29),
        date(2026, 10, 24),
        date(2026, 10, 25),
        date(2026, 11, 1),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 6, 15),
    ]
)


@st.composite
def calendars(draw: st.DrawFn) -> CalendarSpec:
    day = draw(interesting_days)
    holiday_dates = draw(
        st.frozensets(st.builds(lambda d: day + timedelta(days=d), st.integers(-3, 3)), max_size=3)
    )
    return CalendarSpec(
        time_zone=draw(st.sampled_from(ZONES)),
        windows=tuple(draw(st.lists(windows(), min_size=1, max_size=6))),
        holiday_dates=holiday_dates,
        holiday_country=draw(st.sampled_from(["", "GB"])),
        holiday_subdivision="",
    )


@st.composite
def instants_near_dst(draw: st.DrawFn, whole_minutes: bool = False) -> datetime:
    day = draw(interesting_days)
    offset = draw(st.integers(-2 * 24 * 60, 2 * 24 * 60)) * 60
    if not whole_minutes:
        offset += draw(st.integers(0, 59))
    return datetime.combine(day, time(12), tzinfo=UTC) + timedelta(seconds=offset)


# --- properties -------------------------------------------------------------------------------


@FAST
@given(calendar=calendars(), start=instants_near_dst(), seconds=st.integers(0, 3 * 7 * 24 * 3600))
def test_it_measures_back_exactly_what_it_added(
    calendar: CalendarSpec, start: datetime, seconds: int
) -> None:
    end = add_business_seconds(calendar, start, seconds)
    assert end >= start
    assert business_seconds_between(calendar, start, end) == seconds


@FAST
@given(calendar=calendars(), start=instants_near_dst(whole_minutes=True), minutes=st.integers(0, 3 * 24 * 60))
def test_it_counts_only_minutes_inside_windows_and_off_holidays(
    calendar: CalendarSpec, start: datetime, minutes: int
) -> None:
    end = start + minutes * MINUTE
    assert business_seconds_between(calendar, start, end) == 60 * oracle_minutes_between(calendar, start, end)


@FAST
@given(calendar=calendars(), start=instants_near_dst(whole_minutes=True), minutes=st.integers(1, 5 * 24 * 60))
def test_it_lands_on_the_end_of_a_business_minute(
    calendar: CalendarSpec, start: datetime, minutes: int
) -> None:
    end = add_business_seconds(calendar, start, minutes * 60)
    assert oracle_counts(calendar, end - MINUTE)
    assert is_business_instant(calendar, end - timedelta(seconds=1))


@FAST
@given(
    calendar=calendars(),
    start=instants_near_dst(),
    first=st.integers(0, 10 * 24 * 3600),
    second=st.integers(0, 10 * 24 * 3600),
)
def test_it_is_monotonic_and_additive(
    calendar: CalendarSpec, start: datetime, first: int, second: int
) -> None:
    low, high = sorted((first, second))
    assert add_business_seconds(calendar, start, low) <= add_business_seconds(calendar, start, high)
    middle = add_business_seconds(calendar, start, low)
    assert add_business_seconds(calendar, middle, high - low) == add_business_seconds(calendar, start, high)
    later = start + timedelta(seconds=high)
    between = start + timedelta(seconds=low)
    assert business_seconds_between(calendar, start, later) == (
        business_seconds_between(calendar, start, between)
        + business_seconds_between(calendar, between, later)
    )


@FAST
@given(time_zone=st.sampled_from(ZONES), start=instants_near_dst(), seconds=st.integers(0, 60 * 24 * 3600))
def test_it_counts_wall_clock_seconds_on_a_24x7_calendar(
    time_zone: str, start: datetime, seconds: int
) -> None:
    calendar = CalendarSpec(time_zone=time_zone, is_24x7=True, holiday_country="GB")
    assert add_business_seconds(calendar, start, seconds) == start + timedelta(seconds=seconds)
    assert business_seconds_between(calendar, start, start + timedelta(seconds=seconds)) == seconds


# --- fixed cases --------------------------------------------------------------------------------


def test_it_carries_over_nights_and_weekends() -> None:
    calendar = office_hours()
    friday_afternoon = local(LONDON, 2026, 6, 12, 16, 0)
    # 1 h on Friday, then Monday from 09:00.
    assert add_business_seconds(calendar, friday_afternoon, 2 * 3600) == local(LONDON, 2026, 6, 15, 10, 0)
    assert business_seconds_between(calendar, friday_afternoon, local(LONDON, 2026, 6, 15, 10, 0)) == 2 * 3600


def test_it_starts_counting_at_the_next_window_when_started_at_night() -> None:
    calendar = office_hours()
    assert add_business_seconds(calendar, local(LONDON, 2026, 6, 15, 20, 0), 60) == local(
        LONDON, 2026, 6, 16, 9, 1
    )


def test_it_skips_public_and_admin_holidays() -> None:
    calendar = office_hours(
        holiday_country="GB", holiday_subdivision="ENG", holiday_dates=frozenset({date(2026, 12, 29)})
    )
    # Thu 24 Dec 16:00 + 2 h: Fri 25 and Mon 28 (substitute Boxing Day) are bank holidays,
    # Tue 29 is the admin's holiday; so Wed 30 at 10:00.
    assert add_business_seconds(calendar, local(LONDON, 2026, 12, 24, 16, 0), 2 * 3600) == local(
        LONDON, 2026, 12, 30, 10, 0
    )


def test_it_counts_the_real_length_of_a_night_window_on_dst_days() -> None:
    night = CalendarSpec(time_zone=LONDON, windows=tuple(Window(day, time(0), time(6)) for day in range(7)))
    spring_forward = (local(LONDON, 2026, 3, 29, 0, 0), local(LONDON, 2026, 3, 30, 0, 0))
    fall_back = (local(LONDON, 2026, 10, 25, 0, 0), local(LONDON, 2026, 10, 26, 0, 0))
    assert business_seconds_between(night, *spring_forward) == 5 * 3600
    assert business_seconds_between(night, *fall_back) == 7 * 3600


def test_it_keeps_office_hours_in_local_time_across_dst() -> None:
    calendar = office_hours()
    # Friday 27 March 17:00 GMT (17:00Z); the next 09:00 is Monday 30 March 09:00 BST (08:00Z).
    assert add_business_seconds(calendar, utc(2026, 3, 27, 16, 0), 3600 + 60) == utc(2026, 3, 30, 8, 1)


def test_it_counts_a_window_crossing_midnight_as_one_shift() -> None:
    nights = CalendarSpec(time_zone=LONDON, windows=(Window(0, time(22), time(6)),))  # Monday night only
    monday_22 = local(LONDON, 2026, 6, 15, 22, 0)
    assert add_business_seconds(nights, monday_22, 8 * 3600) == local(LONDON, 2026, 6, 16, 6, 0)
    # Tuesday 05:00 is still Monday's shift; the next shift is next Monday.
    assert add_business_seconds(nights, local(LONDON, 2026, 6, 16, 5, 0), 2 * 3600) == local(
        LONDON, 2026, 6, 22, 23, 0
    )


def test_it_skips_a_night_shift_that_starts_on_a_holiday() -> None:
    nights = CalendarSpec(
        time_zone=LONDON,
        windows=(Window(0, time(22), time(6)),),
        holiday_dates=frozenset({date(2026, 6, 15)}),
    )
    assert (
        business_seconds_between(nights, local(LONDON, 2026, 6, 15, 0, 0), local(LONDON, 2026, 6, 17, 0, 0))
        == 0
    )


def test_it_counts_overlapping_windows_once() -> None:
    calendar = CalendarSpec(windows=(Window(0, time(9), time(13)), Window(0, time(12), time(17))))
    assert business_seconds_between(calendar, utc(2026, 6, 15, 0), utc(2026, 6, 16, 0)) == 8 * 3600


def test_it_spans_many_weeks_quickly() -> None:
    calendar = office_hours(holiday_country="GB", holiday_subdivision="ENG")
    start = local(LONDON, 2026, 1, 5, 9, 0)
    # 250 working days from 5 January 2026 (weekdays minus England's bank holidays) end on 29 December.
    end = add_business_seconds(calendar, start, 250 * 8 * 3600)
    assert end == local(LONDON, 2026, 12, 29, 17, 0)
    assert business_seconds_between(calendar, start, end) == 250 * 8 * 3600


def test_it_refuses_naive_datetimes_and_calendars_without_windows() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_seconds(office_hours(), datetime(2026, 6, 15, 9), 60)
    with pytest.raises(ValueError, match="no working windows"):
        add_business_seconds(CalendarSpec(), utc(2026, 6, 15, 9), 60)
