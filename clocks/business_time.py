"""Business-time arithmetic over an immutable calendar spec (SPEC §4); no database here.

Rules (docs/clocks.md has the long form):
- Working windows are wall-clock times in the calendar's time zone. A window whose end is
  at or before its start crosses midnight and ends on the next day (end == start: 24 h).
- A window belongs to the day it starts on: if that day is a holiday, the whole window is
  skipped, including its part after midnight.
- Business time is real elapsed time inside windows, so a 00:00-06:00 window lasts 5 h on
  the spring-forward day and 7 h on the fall-back day. A window edge that falls in a DST
  gap or fold is read with ``fold=0`` (the offset in force before the change).
- Overlapping windows count once.
- A 24x7 calendar is plain elapsed time and ignores holidays.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package

ONE_SECOND = timedelta(seconds=1)
ONE_DAY = timedelta(days=1)
# A calendar with no business time for this long is a configuration error, not a wait.
MAX_IDLE_DAYS = 3 * 366


@dataclass(frozen=True)
class Window:
    """One working window: local start and end times; end <= start crosses midnight."""

    weekday: int
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class CalendarSpec:
    """Everything business-time arithmetic needs to know about a calendar."""

    time_zone: str = "UTC"
    is_24x7: bool = False
    windows: tuple[Window, ...] = ()
    holiday_dates: frozenset[date] = frozenset()
    holiday_country: str = ""
    holiday_subdivision: str = ""
    _by_weekday: tuple[tuple[Window, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_weekday = tuple(
            tuple(sorted((w for w in self.windows if w.weekday == day), key=lambda w: w.start))
            for day in range(7)
        )
        object.__setattr__(self, "_by_weekday", by_weekday)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        """Whether the day is a holiday (an admin date or one of the country's public holidays)."""
        if day in self.holiday_dates:
            return True
        if self.holiday_country:
            return day in public_holidays(self.holiday_country, self.holiday_subdivision, day.year)
        return False

    def windows_on(self, weekday: int) -> tuple[Window, ...]:
        return self._by_weekday[weekday]


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """The `holidays` package's dates for one country/subdivision and year, cached."""
    return frozenset(holidays_package.country_holidays(country, subdiv=subdivision or None, years=year))


def _require_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _raw_windows_from(calendar: CalendarSpec, first_day: date) -> Iterator[tuple[datetime, datetime]]:
    """Each day's windows as UTC intervals, day after day from first_day, sorted per day."""
    zone = calendar.zone
    day = first_day
    idle_days = 0
    while True:
        day_intervals = []
        if not calendar.is_holiday(day):
            for window in calendar.windows_on(day.weekday()):
                end_day = day + ONE_DAY if window.crosses_midnight else day
                start = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
                end = datetime.combine(end_day, window.end, tzinfo=zone).astimezone(UTC)
                if end > start:
                    day_intervals.append((start, end))
        if day_intervals:
            idle_days = 0
            yield from sorted(day_intervals)
        else:
            idle_days += 1
            if idle_days > MAX_IDLE_DAYS:
                raise ValueError(f"calendar has no business time for {MAX_IDLE_DAYS} days after {day}")
        day += ONE_DAY


def business_intervals(calendar: CalendarSpec, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Merged business intervals in UTC that end after start, in order, clipped to start."""
    start = _require_aware(start, "start")
    if not calendar.windows:
        raise ValueError("calendar has no working windows")
    # A window that crossed midnight the day before may still be open at start.
    first_day = start.astimezone(calendar.zone).date() - ONE_DAY
    current: tuple[datetime, datetime] | None = None
    for interval_start, interval_end in _raw_windows_from(calendar, first_day):
        if current is not None and interval_start <= current[1]:
            current = (min(current[0], interval_start), max(current[1], interval_end))
            continue
        if current is not None and current[1] > start:
            yield (max(current[0], start), current[1])
        current = (interval_start, interval_end)


def add_business_seconds(calendar: CalendarSpec, start: datetime, seconds: int) -> datetime:
    """The instant (UTC) when `seconds` of business time have passed since start."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    start_utc = _require_aware(start, "start")
    if calendar.is_24x7:
        return start_utc + timedelta(seconds=seconds)
    if seconds == 0:
        return start_utc
    remaining = timedelta(seconds=seconds)
    for interval_start, interval_end in business_intervals(calendar, start_utc):
        available = interval_end - interval_start
        if remaining <= available:
            return interval_start + remaining
        remaining -= available
    raise AssertionError("unreachable: business_intervals never ends")


def business_seconds_between(calendar: CalendarSpec, start: datetime, end: datetime) -> int:
    """Whole business seconds between two instants; 0 when end is not after start."""
    start_utc = _require_aware(start, "start")
    end_utc = _require_aware(end, "end")
    if end_utc <= start_utc:
        return 0
    if calendar.is_24x7:
        return (end_utc - start_utc) // ONE_SECOND
    total = timedelta(0)
    for interval_start, interval_end in business_intervals(calendar, start_utc):
        if interval_start >= end_utc:
            break
        total += min(interval_end, end_utc) - interval_start
    return total // ONE_SECOND


def is_business_instant(calendar: CalendarSpec, moment: datetime) -> bool:
    """Whether the second starting at moment is business time."""
    return business_seconds_between(calendar, moment, moment + ONE_SECOND) == 1


class BusinessTimeline:
    """Business seconds from many starts up to one end on one calendar (a page of clocks).

    The calendar's merged intervals between the earliest start and the end are walked once,
    with the business time left after each; each start is then a bisection, not a walk of
    every day since it. ``seconds_since(start)`` equals ``business_seconds_between(calendar,
    start, end)``; a start before the earliest one falls back to it.
    """

    def __init__(self, calendar: CalendarSpec, earliest: datetime, end: datetime) -> None:
        self.calendar = calendar
        self.earliest = _require_aware(earliest, "earliest")
        self.end = _require_aware(end, "end")
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.after: list[timedelta] = []  # after[i]: business time in intervals i… up to end
        if calendar.is_24x7 or self.end <= self.earliest:
            return
        for interval_start, interval_end in business_intervals(calendar, self.earliest):
            if interval_start >= self.end:
                break
            self.starts.append(interval_start)
            self.ends.append(min(interval_end, self.end))
        total = timedelta(0)
        self.after = [timedelta(0)] * len(self.starts)
        for i in range(len(self.starts) - 1, -1, -1):
            total += self.ends[i] - self.starts[i]
            self.after[i] = total

    def seconds_since(self, start: datetime) -> int:
        start_utc = _require_aware(start, "start")
        if self.end <= start_utc:
            return 0
        if self.calendar.is_24x7:
            return (self.end - start_utc) // ONE_SECOND
        if start_utc < self.earliest:
            return business_seconds_between(self.calendar, start_utc, self.end)
        i = bisect.bisect_right(self.ends, start_utc)  # the first interval ending after start
        if i == len(self.ends):
            return 0
        return (self.after[i] - max(timedelta(0), start_utc - self.starts[i])) // ONE_SECOND
