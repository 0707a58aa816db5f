"""Clocks read with the row they time, their calendars' working windows and holidays with them.

A page that shows clocks folds them into its own query (escalation_desk.folding): the clocks,
each with its calendar and the calendar's windows and holidays, come back as one column, so a
calendar's spec() runs no query (the windows and holidays are prefetched on it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet

from escalation_desk.folding import Fold, extra_of, set_prefetched

from .models import Clock, Holiday, WorkingWindow

WINDOWS = Fold(WorkingWindow.objects.filter(calendar_id=OuterRef("calendar_id")))
HOLIDAYS = Fold(Holiday.objects.filter(calendar_id=OuterRef("calendar_id")))


def clocks_fold(clocks: QuerySet[Clock]) -> Fold:
    """The clocks (correlated by the caller with OuterRef) with their calendars, windows and holidays."""
    return Fold(
        clocks,
        related=("calendar",),
        extra={"windows": WINDOWS.expression(), "holidays": HOLIDAYS.expression()},
    )


def unfold_clocks(fold: Fold, text: Any) -> list[Clock]:
    """The folded clocks, each calendar with its windows and holidays prefetched."""
    clocks = fold.rows(text)
    for clock in clocks:
        if clock.calendar is not None:
            set_prefetched(clock.calendar, "windows", WINDOWS.rows(extra_of(clock, "windows")))
            set_prefetched(clock.calendar, "holidays", HOLIDAYS.rows(extra_of(clock, "holidays")))
    return clocks
