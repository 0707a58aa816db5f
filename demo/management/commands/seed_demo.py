"""`manage.py seed_demo`: demo people, teams, catalogue, escalation ladders and tickets (idempotent).

    manage.py seed_demo                  # the demo organisation, the ladders and the demo tickets
    manage.py seed_demo --tickets 10000  # ...then top up to 10,000 tickets (bulk, for benchmarks)
    manage.py seed_demo --print-logins   # only print the demo logins

The command lives in `demo`, which may import every app (and which no app imports): it runs the
cast (`demo.cast`), then `escalations.presets.load_presets` (so triage places every demo ticket
in the first tier of its service's ladder), then the lifecycle stories (`demo.stories`) and
the escalation stories (`demo.ladders`: the ladders; `demo.cases`: customer escalation cases)
in one order, each at its own dates, then `--tickets N`'s bulk top-up (`bench.bulk`).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bench.bulk import bulk_create_tickets
from demo import cases, ladders
from demo.cast import format_logins
from demo.seeding import seed
from escalations.presets import load_presets


class Command(BaseCommand):
    help = (
        "Create the demo organisations, people, teams, categories, services, escalation ladders and "
        "tickets (idempotent). --tickets N tops the database up to at least N tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            metavar="N",
            help="Ensure at least N tickets exist in total (extra ones are bulk-created, off the ladders).",
        )
        parser.add_argument(
            "--print-logins", action="store_true", help="Only print the demo logins and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_logins"]:
            self.stdout.write(format_logins())
            return
        verbosity = options["verbosity"]
        began = time.monotonic()
        report = seed(
            tickets=options["tickets"],
            write=self._write if verbosity else None,
            prepare=lambda cast: load_presets(),
            extra_stories=lambda cast, now: ladders.stories(cast, now) + cases.stories(cast, now),
            top_up=bulk_create_tickets,
        )
        if verbosity:
            elapsed = time.monotonic() - began
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data ready in {elapsed:.1f} s: {report.demo_tickets} demo tickets and "
                    f"{report.bulk_tickets} bulk tickets created; {report.total_tickets} tickets in total."
                )
            )
            self.stdout.write(format_logins())

    def _write(self, text: str) -> None:
        self.stdout.write(text, ending="")
        self.stdout.flush()
