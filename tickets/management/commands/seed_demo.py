"""`manage.py seed_demo`: demo people, teams, catalogue and tickets (idempotent).

    manage.py seed_demo                  # the demo organisation and ~30 demo tickets
    manage.py seed_demo --tickets 10000  # ...then top up to 10,000 tickets (bulk, for benchmarks)
    manage.py seed_demo --print-logins   # only print the demo logins

The logic lives in tickets/demo/.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tickets import demo


class Command(BaseCommand):
    help = (
        "Create the demo organisations, people, teams, categories, services and tickets "
        "(idempotent). --tickets N tops the database up to at least N tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets", type=int, default=0, metavar="N",
            help="Ensure at least N tickets exist in total (extra ones are bulk-created).",
        )
        parser.add_argument(
            "--print-logins", action="store_true", help="Only print the demo logins and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_logins"]:
            self.stdout.write(demo.format_logins())
            return
        verbosity = options["verbosity"]
        began = time.monotonic()
        report = demo.seed(tickets=options["tickets"], write=self._write if verbosity else None)
        if verbosity:
            elapsed = time.monotonic() - began
            self.stdout.write(self.style.SUCCESS(
                f"Demo data ready in {elapsed:.1f} s: {report.demo_tickets} demo tickets and "
                f"{report.bulk_tickets} bulk tickets created; {report.total_tickets} tickets in total."
            ))
            self.stdout.write(demo.format_logins())

    def _write(self, text: str) -> None:
        self.stdout.write(text, ending="")
        self.stdout.flush()
