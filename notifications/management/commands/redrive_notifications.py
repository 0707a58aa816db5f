"""Deliver pending notifications whose task the broker lost (the beat task runs the same code)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalation_desk.startup import refuse_development_settings
from notifications import services


class Command(BaseCommand):
    help = "Re-drive undelivered notifications: reclaim stale ones and send what is due, once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="At most this many rows per run.")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        refuse_development_settings()  # cron runs it: DEBUG off means production
        sent = services.redrive_undelivered(limit=limit)
        self.stdout.write(f"{sent} notification{'s' if sent != 1 else ''} sent")
