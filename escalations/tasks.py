"""Celery tasks of the escalations app: beat asks for the daily report often; it goes out once."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="escalations.daily_report")
def send_daily_report() -> str:
    from .cases import daily_report_send

    report = daily_report_send()
    return f"sent for {report.day}" if report is not None else "not due"
