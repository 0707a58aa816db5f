"""The daily escalation report (seed 002): every business-day morning, the open escalations with
their state, level, age, next update and breaches go to the escalation managers, once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from clocks.models import BusinessCalendar, ClockState
from escalation_desk import links
from notifications.services import notify

from ..models import OPEN_CASE_STATES, DailyReport, EscalationCase, clocks_of_cases
from .core import UPDATE_CLOCK, escalation_managers


def _report_calendar() -> BusinessCalendar | None:
    name = settings.DAILY_REPORT_CALENDAR
    return (
        BusinessCalendar.objects.filter(name=name).prefetch_related("windows", "holidays").first()
        if name
        else None
    )


def is_report_day(day: date) -> bool:
    calendar = _report_calendar()
    if calendar is None or calendar.is_24x7:
        return day.weekday() < 5
    spec = calendar.spec()
    return bool(spec.windows_on(day.weekday())) and not spec.is_holiday(day)


def report_rows(day: date) -> list[dict[str, Any]]:
    """Every escalation open at the end of `day`, with its state, level, age, next update, breaches."""
    zone = timezone.get_current_timezone()
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    cases = (
        EscalationCase.objects.filter(requested_at__lt=end)
        .filter(Q(status__in=OPEN_CASE_STATES) | Q(closed_at__gte=end) | Q(agreed_at__gte=end))
        .select_related("ticket", "ticket__organisation", "ticket__assignee", "escalation_manager")
        .order_by("requested_at", "pk")
    )
    cases = list(cases)
    update_clocks = {
        c.object_id: c
        for c in clocks_of_cases([case.pk for case in cases])
        .filter(kind=UPDATE_CLOCK)
        .exclude(state=ClockState.STOPPED)
    }
    breaches: dict[int, int] = {}
    for row in clocks_of_cases([case.pk for case in cases]).filter(breached_at__lt=end):
        breaches[row.object_id] = breaches.get(row.object_id, 0) + 1
    now = min(end, timezone.now())
    return [
        {
            "case": case,
            "ticket": case.ticket,
            "status": case.get_status_display(),
            "level": case.get_level_display(),
            "manager": case.escalation_manager,
            "age_hours": int((now - case.requested_at).total_seconds() // 3600),
            "next_update_due": update_clocks[case.pk].due_at if case.pk in update_clocks else None,
            "breaches": breaches.get(case.pk, 0),
        }
        for case in cases
    ]


def _report_message(day: date, rows: list[dict[str, Any]]) -> str:
    """The report in words: a line per open escalation, or that there is none."""
    when = f"{day:%A %d %B %Y}"
    if not rows:
        return gettext("No open escalations on %(day)s.") % {"day": when}
    heading = gettext("%(count)s open escalation(s) on %(day)s:") % {"count": len(rows), "day": when}
    return "\n".join([heading, *(_report_line(r) for r in rows)])


def _report_line(row: dict[str, Any]) -> str:
    ticket = row["ticket"]
    values = {
        "reference": ticket.reference,
        "summary": ticket.summary,
        "organisation": ticket.organisation,
        "status": row["status"],
        "level": row["level"],
        "manager": row["manager"] or gettext("not assigned"),
        "hours": row["age_hours"],
    }
    if row["next_update_due"]:
        values["next_update"] = f"{timezone.localtime(row['next_update_due']):%a %H:%M}"
        return (
            gettext(
                "- %(reference)s %(summary)s (%(organisation)s): %(status)s, %(level)s, manager %(manager)s, "
                "open %(hours)s h, next update %(next_update)s"
            )
            % values
        )
    return (
        gettext(
            "- %(reference)s %(summary)s (%(organisation)s): %(status)s, %(level)s, manager %(manager)s, "
            "open %(hours)s h"
        )
        % values
    )


def daily_report_send(now: datetime | None = None) -> DailyReport | None:
    """Send today's report once, at or after DAILY_REPORT_HOUR on a business day; else None."""
    now = timezone.localtime(now or timezone.now())
    day = now.date()
    if now.hour < settings.DAILY_REPORT_HOUR or not is_report_day(day):
        return None
    if DailyReport.objects.filter(day=day).exists():
        return None
    rows = report_rows(day)
    recipients = escalation_managers()
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(
                day=day, open_cases=len(rows), recipients=[u.username for u in recipients]
            )
            notify(
                recipients=recipients,
                kind="escalations.daily_report",
                context={
                    "day": f"{day:%A %d %B %Y}",
                    "count": len(rows),
                    "message": _report_message(day, rows),
                },
                dedup_key=f"daily-report:{day.isoformat()}",
                link=links.console_escalation_report_path(day),
            )
    except IntegrityError:  # another worker sent it a moment ago
        return None
    return report
