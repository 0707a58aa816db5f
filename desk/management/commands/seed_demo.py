"""`manage.py seed_demo`: demo people, teams, catalogue, escalation ladders and tickets (idempotent).

    manage.py seed_demo                  # the demo organisation, the ladders and the demo tickets
    manage.py seed_demo --tickets 10000  # ...then top up to 10,000 tickets (bulk, for benchmarks)
    manage.py seed_demo --print-logins   # only print the demo logins

The command lives in `desk`, the composition layer that may import every app: it runs the cast
(`tickets.demo`), then `escalations.presets.load_presets` (so triage places every demo ticket
in the first tier of its service's ladder), then the lifecycle stories (`tickets.demo`) and
the escalation stories (`escalations.demo`: the ladders; `escalations.demo_cases`: customer
escalation cases) in one order, each at its own dates.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalations import demo as escalation_demo
from escalations import demo_cases
from escalations.presets import load_presets
from tickets import demo


class Command(BaseCommand):
    help = (
        "Create the demo organisations, people, teams, categories, services, escalation ladders and "
        "tickets (idempotent). --tickets N tops the database up to at least N tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets", type=int, default=0, metavar="N",
            help="Ensure at least N tickets exist in total (extra ones are bulk-created, off the ladders).",
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
        report = demo.seed(
            tickets=options["tickets"],
            write=self._write if verbosity else None,
            prepare=lambda cast: load_presets(),
            extra_stories=lambda cast, now: escalation_demo.stories(cast, now) + demo_cases.stories(cast, now),
        )
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
