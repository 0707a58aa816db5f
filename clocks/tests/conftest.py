"""Calendars, subjects and a clean handler registry for the clocks tests."""

from __future__ import annotations

from datetime import time

import pytest
from django.contrib.auth.models import Group

from clocks import registry
from clocks.models import BusinessCalendar, WorkingWindow


@pytest.fixture
def office_hours(db: None) -> BusinessCalendar:
    """London, Monday to Friday 09:00-17:00, England's bank holidays."""
    calendar = BusinessCalendar.objects.create(
        name="London office", time_zone="Europe/London", holiday_country="GB", holiday_subdivision="ENG"
    )
    for weekday in range(5):
        WorkingWindow.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(17))
    return calendar


@pytest.fixture
def around_the_clock(db: None) -> BusinessCalendar:
    return BusinessCalendar.objects.create(name="24×7", time_zone="UTC", is_24x7=True)


@pytest.fixture
def subject(db: None) -> Group:
    """Any model row can carry a clock; the clocks app knows no domain model."""
    return Group.objects.create(name="a subject")


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers its own handlers on top of the built-in ones, and leaves no trace."""
    monkeypatch.setattr(registry, "_deadline_handlers", dict(registry._deadline_handlers))
    monkeypatch.setattr(registry, "_clock_handlers", dict(registry._clock_handlers))
