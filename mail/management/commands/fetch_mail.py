"""Poll the inbound IMAP mailboxes once (what beat's `mail.fetch` does), for cron or debugging."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation_desk.startup import refuse_development_settings
from mail.imap import fetch_all


class Command(BaseCommand):
    help = (
        "Poll every mailbox in INBOUND_MAIL_URLS once: each unseen message becomes a ticket, a comment "
        "or an escalation request (or is dropped with the reason), then is marked seen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="At most this many messages per mailbox.")

    def handle(self, *args: Any, limit: int | None, **options: Any) -> None:
        refuse_development_settings()  # cron runs it: DEBUG off means production
        try:
            reports = fetch_all(limit=limit)
        except ValueError as exc:  # a malformed INBOUND_MAIL_URLS entry
            raise CommandError(str(exc)) from exc
        if not reports:
            self.stdout.write("INBOUND_MAIL_URLS is empty: no mailbox to poll.")
        for report in reports:
            self.stdout.write(str(report))
        unreachable = [r for r in reports if r.error]
        if unreachable:
            raise CommandError(f"{len(unreachable)} mailbox(es) could not be polled")
