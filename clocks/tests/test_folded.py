"""Clocks folded into their parent's query (clocks.folded) compute what ORM-loaded ones do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import OuterRef
from django.utils import timezone

from clocks.business_time import add_business_seconds, business_seconds_between
from clocks.folded import clocks_fold, unfold_clocks
from clocks.models import BusinessCalendar, Clock, ClockState, Holiday, WorkingWindow

pytestmark = pytest.mark.django_db


def two_window_calendar() -> BusinessCalendar:
    """Mon–Fri 08:00–12:00 and 13:00–17:30 in New York, a night window crossing midnight on
    Saturday, and a holiday on a Wednesday."""
    calendar = BusinessCalendar.objects.create(name="Split shifts", time_zone="America/New_York")
    WorkingWindow.objects.bulk_create(
        [WorkingWindow(calendar=calendar, weekday=d, start=time(8), end=time(12)) for d in range(5)]
        + [WorkingWindow(calendar=calendar, weekday=d, start=time(13), end=time(17, 30)) for d in range(5)]
        + [WorkingWindow(calendar=calendar, weekday=5, start=time(22), end=time(2))]
    )
    Holiday.objects.create(calendar=calendar, date=date(2026, 11, 25), name="Closed")
    return calendar


def clock_on(calendar: BusinessCalendar, **fields: Any) -> Clock:
    """A clock on the calendar itself (any subject will do for what the fold reads)."""
    return Clock.objects.create(
        content_type=ContentType.objects.get_for_model(BusinessCalendar),
        object_id=calendar.pk,
        calendar=calendar,
        **fields,
    )


def folded_clocks(calendar: BusinessCalendar) -> list[Clock]:
    """The calendar's clocks as a page reads them: folded into one query on the calendar."""
    fold = clocks_fold(Clock.objects.filter(calendar_id=OuterRef("pk")).order_by("kind"))
    row = BusinessCalendar.objects.filter(pk=calendar.pk).annotate(folded=fold.expression()).get()
    return unfold_clocks(fold, row.folded)


def test_a_folded_calendar_computes_the_business_time_of_the_orm_loaded_one(
    django_assert_num_queries: Any,
) -> None:
    calendar = two_window_calendar()
    started = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
    clock_on(
        calendar,
        kind="resolution",
        state=ClockState.RUNNING,
        started_at=started,
        running_since=started,
        target_seconds=40 * 3600,
    )

    connection.features.supports_json_field  # noqa: B018 (checked once per connection, a query)
    with django_assert_num_queries(1):
        (clock,) = folded_clocks(calendar)
        spec = clock.calendar.spec()
    loaded = BusinessCalendar.objects.get(pk=calendar.pk).spec()

    assert spec == loaded
    assert len(spec.windows) == 11 and spec.holiday_dates == {date(2026, 11, 25)}
    assert clock.running_since == started and timezone.is_aware(clock.running_since)
    assert clock.state == ClockState.RUNNING and clock.target_seconds == 40 * 3600
    week = started + timedelta(days=7)
    # Monday 10:00–12:00 and 13:00–17:30, Tuesday 8.5 h, Wednesday a holiday, Thursday and
    # Friday 8.5 h each, Saturday night 4 h, Monday 08:00–10:00.
    expected = (2 + 4.5 + 8.5 + 8.5 + 8.5 + 4 + 2) * 3600
    assert business_seconds_between(spec, started, week) == expected
    assert business_seconds_between(loaded, started, week) == expected
    assert add_business_seconds(spec, started, 40 * 3600) == add_business_seconds(loaded, started, 40 * 3600)


def test_a_calendar_without_windows_or_holidays_folds_to_empty_lists(
    django_assert_num_queries: Any,
) -> None:
    calendar = BusinessCalendar.objects.create(name="Around the clock", is_24x7=True)
    clock_on(
        calendar, kind="response", state=ClockState.STOPPED, started_at=timezone.now(), target_seconds=60
    )

    connection.features.supports_json_field  # noqa: B018
    with django_assert_num_queries(1):
        (clock,) = folded_clocks(calendar)
        assert list(clock.calendar.windows.all()) == [] and list(clock.calendar.holidays.all()) == []
        assert clock.calendar.spec().is_24x7
