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

Other apps add to the demo without this app knowing them (tickets imports no other app of
ours): `seed(prepare=..., extra_stories=...)` runs `prepare(cast)` after the cast exists and
before any ticket is played (the desk's `seed_demo` loads the escalation ladders there, so
triage places every demo ticket in its first tier), and plays the `Story` objects that
`extra_stories(cast, now)` returns together with the lifecycle stories. After its story,
every ticket's time frames run on to now (see `play_stories`): the deadline sweep fires what
fell due, at the instant it fell due, so the beat sweep right after seeding has nothing to do.
Bulk tickets are not played: they have no clocks and are on no ladder (no tier stints).

`--tickets N` tops the database up to N tickets with `bulk_create` (see
`bulk_create_tickets`): the benchmarks need 10,000 to 100,000 tickets and the services,
one locked transaction per change, would take hours for that.

The package (one module per part; this module only re-exports and runs them):

- `cast`: organisations, people, teams, categories, services (`ensure_cast`) and the demo logins;
- `actions`: `DemoTicket` and the action helpers its scripts are written with;
- `stories_data`: the hand-written demo tickets (`DEMO_TICKETS`, data only);
- `stories`: `create_demo_tickets`, which replays them through the services, `Story` and
  `play_stories` (other apps' stories are played in the same order, see below);
- `bulk`: `bulk_create_tickets`, the bulk planner for volume;
- `progress`: `ProgressBar`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tickets.models import Ticket

from .bulk import bulk_create_tickets
from .cast import DEMO_LOGINS, DEMO_PASSWORD, Cast, ensure_cast, format_logins
from .progress import ProgressBar
from .stories import (
    MARKER_SUMMARY,
    Story,
    create_demo_tickets,
    demo_set_exists,
    play_stories,
    run_clocks_until,
)
from .stories_data import DEMO_TICKETS

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_TICKETS",
    "MARKER_SUMMARY",
    "Cast",
    "ProgressBar",
    "SeedReport",
    "Story",
    "bulk_create_tickets",
    "create_demo_tickets",
    "demo_set_exists",
    "ensure_cast",
    "format_logins",
    "play_stories",
    "run_clocks_until",
    "seed",
]


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
) -> SeedReport:
    """Seed the demo data; with `tickets`, top the database up to at least that many tickets.
    `prepare` and `extra_stories` are the other apps' part (see the module's docstring)."""
    report = SeedReport()
    cast = ensure_cast()
    if prepare is not None:
        prepare(cast)
    if not demo_set_exists():
        bar = ProgressBar(write, "Demo tickets ", len(DEMO_TICKETS)) if write else None
        extra = (lambda now: extra_stories(cast, now)) if extra_stories is not None else None
        report.demo_tickets = create_demo_tickets(cast, bar, extra)
    missing = tickets - Ticket.objects.count()
    if missing > 0:
        bar = ProgressBar(write, "Bulk tickets ", missing) if write else None
        report.bulk_tickets = bulk_create_tickets(cast, missing, bar)
    report.total_tickets = Ticket.objects.count()
    return report
