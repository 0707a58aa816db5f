"""Celery tasks of the cases app: beat asks for the daily report often; it goes out once.

The task keeps its name ("escalations.daily_report"): beat schedules and queued messages name it."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="escalations.daily_report")
def send_daily_report() -> str:
    from .services.daily_report import daily_report_send

    report = daily_report_send()
    return f"sent for {report.day}" if report is not None else "not due"
