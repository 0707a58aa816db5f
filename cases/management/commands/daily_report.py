"""`manage.py daily_report`: the daily escalation report (seed 002), for cron or a look.

manage.py daily_report                    # print today's open escalations
manage.py daily_report --date 2026-11-23  # ...of another day
manage.py daily_report --send             # send today's e-mail if it is due and not sent yet
                                          # (what Celery beat does every ten minutes)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases.services.daily_report import daily_report_send, report_rows
from escalation_desk.startup import refuse_development_settings


class Command(BaseCommand):
    help = "Print the daily escalation report of a day, or send today's if it is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--send",
            action="store_true",
            help="Send today's report to the escalation managers if it is due and not sent yet.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_development_settings()  # cron runs it: DEBUG off means production
        if options["send"]:
            if options["date"]:
                raise CommandError("--send sends today's report; leave out --date.")
            report = daily_report_send()
            self.stdout.write(
                f"Sent the report of {report.day}: {report.open_cases} open escalation(s)."
                if report is not None
                else "Not due: before the report hour, not a business day, or already sent today."
            )
            return
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date {options['date']!r} is not a date like 2026-11-23.") from None
        rows = report_rows(day)
        self.stdout.write(f"Open escalations on {day:%A %d %B %Y}: {len(rows)}")
        for row in rows:
            ticket = row["ticket"]
            due = (
                f", next update {timezone.localtime(row['next_update_due']):%a %H:%M}"
                if row["next_update_due"]
                else ""
            )
            self.stdout.write(
                f"- {ticket.reference} {ticket.summary} ({ticket.organisation}): {row['status']}, "
                f"{row['level']}, manager {row['manager'] or 'not assigned'}, "
                f"open {row['age_hours']} h{due}, {row['breaches']} breach(es)"
            )
