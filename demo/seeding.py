"""Demo data: the people, teams and catalogue of a small support organisation, and tickets.

`seed()` is what `manage.py seed_demo` runs. It is idempotent: people, teams, categories and
services are looked up by name before they are created, and the hand-written demo tickets
are only created when the demo set is not there yet (its first ticket is the marker).

The 31 hand-written demo tickets are created and moved through their lifecycle only with the
services of `tickets.services`, each story played at its own dates with time-machine (spread
over the last weeks), so creation, timeline and clocks agree: nothing is written afterwards.
A story that leaves its ticket open or in progress is played within the last minutes or hours
(`stories.LIVE_STORY_WINDOW`), shorter than its first tier's time frame, so the ticket is still
in that tier, within its time frame, after seeding.

The command composes the rest: `seed(prepare=..., extra_stories=...)` runs `prepare(cast)`
after the cast exists and before any ticket is played (`seed_demo` loads the escalation
ladders there, so triage places every demo ticket in its first tier), and plays the `Story`
objects that `extra_stories(cast, now)` returns (the ladder stories of `demo.ladders` and the
customer escalation cases of `demo.cases`) together with the lifecycle stories. After its story,
every ticket's time frames run on to now (see `play_stories`): the deadline sweep fires what
fell due, at the instant it fell due, so the beat sweep right after seeding has nothing to do.
Bulk tickets are not played: they have no clocks and are on no ladder (no tier stints).

`--tickets N` tops the database up to N tickets with `top_up` (`seed_demo` passes
`bench.bulk.bulk_create_tickets`, which writes with `bulk_create`): the benchmarks need 10,000
to 100,000 tickets and the services, one locked transaction per change, would take hours for
that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tickets.models import Ticket

from .cast import Cast, ensure_cast
from .progress import ProgressBar
from .stories import Story, create_demo_tickets, demo_set_exists
from .stories_data import DEMO_TICKETS

# --- entry point ----------------------------------------------------------------------------------


@dataclass
class SeedReport:
    demo_tickets: int = 0
    bulk_tickets: int = 0
    total_tickets: int = 0


def seed(
    *,
    tickets: int = 0,
    write: Callable[[str], None] | None = None,
    prepare: Callable[[Cast], object] | None = None,
    extra_stories: Callable[[Cast, datetime], list[Story]] | None = None,
    top_up: Callable[[Cast, int, ProgressBar | None], int] | None = None,
) -> SeedReport:
    """Seed the demo data; with `tickets`, top the database up to at least that many tickets
    with `top_up(cast, missing, bar)` (`bench.bulk.bulk_create_tickets`). `prepare` and
    `extra_stories` are the ladder and case stories' part (see the module's docstring)."""
    report = SeedReport()
    cast = ensure_cast()
    if prepare is not None:
        prepare(cast)
    if not demo_set_exists():
        bar = ProgressBar(write, "Demo tickets ", len(DEMO_TICKETS)) if write else None
        extra = (lambda now: extra_stories(cast, now)) if extra_stories is not None else None
        report.demo_tickets = create_demo_tickets(cast, bar, extra)
    missing = tickets - Ticket.objects.count()
    if missing > 0 and top_up is not None:
        bar = ProgressBar(write, "Bulk tickets ", missing) if write else None
        report.bulk_tickets = top_up(cast, missing, bar)
    report.total_tickets = Ticket.objects.count()
    return report
