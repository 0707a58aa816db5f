"""Business calendars in the database: validation, the spec read from them, and the admin."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from clocks.business_time import Window, add_business_seconds
from clocks.models import BusinessCalendar, Holiday, WorkingWindow

LONDON = ZoneInfo("Europe/London")


def test_it_reads_windows_and_admin_holidays_into_the_spec(office_hours: BusinessCalendar) -> None:
    WorkingWindow.objects.create(calendar=office_hours, weekday=5, start=time(22), end=time(6))
    Holiday.objects.create(calendar=office_hours, date=date(2026, 6, 16), name="Office move")
    spec = office_hours.spec()
    assert spec.time_zone == "Europe/London" and not spec.is_24x7
    assert Window(5, time(22), time(6)) in spec.windows and len(spec.windows) == 6
    assert spec.is_holiday(date(2026, 6, 16)) and spec.is_holiday(date(2026, 12, 25))
    # Monday 16:00 + 2 h: Tuesday is the office move, so Wednesday 10:00.
    assert add_business_seconds(spec, datetime(2026, 6, 15, 16, tzinfo=LONDON), 7200) == datetime(
        2026, 6, 17, 10, tzinfo=LONDON
    )


def test_it_reads_a_prefetched_calendar_without_queries(
    office_hours: BusinessCalendar, django_assert_num_queries: Any
) -> None:
    calendar = BusinessCalendar.objects.prefetch_related("windows", "holidays").get(pk=office_hours.pk)
    with django_assert_num_queries(0):
        calendar.spec()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_subdivision": "ENG"}, "holiday_subdivision"),
    ],
)
def test_it_refuses_unknown_time_zones_and_holiday_countries(
    db: None, fields: dict[str, str], error_field: str
) -> None:
    calendar = BusinessCalendar(name="Bad", **fields)
    with pytest.raises(ValidationError) as error:
        calendar.full_clean()
    assert error_field in error.value.message_dict


def test_it_lets_an_administrator_edit_calendars_with_their_windows_and_holidays(
    admin_user: object, office_hours: BusinessCalendar
) -> None:
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/admin/clocks/businesscalendar/{office_hours.pk}/change/")
    assert page.status_code == 200
    assert b"Working windows" in page.content and b"Holidays" in page.content
    for path in ["/admin/clocks/businesscalendar/add/", "/admin/clocks/clock/", "/admin/clocks/deadline/"]:
        assert client.get(path).status_code == 200, path


def test_it_reads_a_24x7_calendar_without_queries(
    around_the_clock: BusinessCalendar, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        spec = around_the_clock.spec()
    assert spec.is_24x7 and spec.windows == ()
