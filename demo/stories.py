"""The hand-written demo tickets: created and moved through their lifecycle with the services.

The tickets themselves are in `demo.stories_data`, the action helpers they are
scripted with in `demo.actions`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import time_machine
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from clocks.sweep import due_deadlines, sweep_due_deadlines
from tickets import permissions
from tickets.models import Priority, Status, Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import (
    ticket_await_customer,
    ticket_cancel,
    ticket_confirm_resolution,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
    ticket_triage,
)
from tickets.services.steps import ticket_add_step

from .actions import Action, DemoTicket
from .cast import ORGANISATIONS, Cast
from .progress import ProgressBar
from .stories_data import DEMO_TICKETS

MARKER_SUMMARY = DEMO_TICKETS[0].summary

# A story that leaves its ticket open or in progress leaves it in the first tier of its ladder
# with the tier's time frame running; played at its `days_ago` it would have overstayed that
# tier long ago, and the catch-up sweep would move it up the ladder by itself. Such a story
# therefore starts at most this long before now (wall-clock time), which must stay under the
# first tier's time frame of the ticket's priority in `escalations.presets` (Tier 1 and L1:
# 30, 60, 240 and 480 business minutes for P1..P4). Business
# time never runs faster than the wall clock, so the ticket is still within its Tier 1 time
# frame when seeding ends, whatever the day and hour; the frame passes during the demo.
LIVE_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS})
LIVE_STORY_WINDOW: dict[str, timedelta] = {
    Priority.P1: timedelta(minutes=20),
    Priority.P2: timedelta(minutes=45),
    Priority.P3: timedelta(hours=3),
    Priority.P4: timedelta(hours=6),
}


def demo_set_exists() -> bool:
    return Ticket.objects.filter(summary=MARKER_SUMMARY, organisation__name=ORGANISATIONS[0].name).exists()


def _run_action(ticket: Ticket, action: Action, cast: Cast, by_key: dict[str, Ticket]) -> None:
    name, by, *args = action
    actor = cast.users[by]
    if name == "triage":
        ticket_triage(ticket=ticket, actor=actor, **args[0])
    elif name == "start":
        assignee = cast.users[args[0]] if args[0] else None
        ticket_start(ticket=ticket, actor=actor, assignee=assignee)
    elif name == "step":
        kind, text, outcome, public, state = args
        ticket_add_step(
            ticket=ticket, actor=actor, kind=kind, action=text, outcome=outcome, is_public=public, state=state
        )
    elif name == "comment":
        body, internal = args
        ticket_comment(ticket=ticket, actor=actor, body=body, is_internal=internal)
    elif name == "await":
        ticket_await_customer(ticket=ticket, actor=actor, reason=args[0])
    elif name == "resolve":
        summary, root_cause, fix_kind, kb, kb_none = args
        ticket_resolve(
            ticket=ticket,
            actor=actor,
            resolution_summary=summary,
            root_cause=root_cause,
            fix_kind=fix_kind,
            knowledge_article=kb,
            knowledge_none_reason=kb_none,
        )
    elif name == "confirm":
        text, channel = args
        ticket_confirm_resolution(ticket=ticket, actor=actor, note=text, channel=channel)
    elif name == "reopen":
        ticket_reopen(ticket=ticket, actor=actor, reason=args[0])
    elif name == "cancel":
        reason, text, duplicate_key = args
        ticket_cancel(
            ticket=ticket,
            actor=actor,
            reason=reason,
            note=text,
            duplicate_of=by_key[duplicate_key] if duplicate_key else None,
        )
    else:  # pragma: no cover - a typo in the table above
        raise ValueError(f"unknown demo action {name!r}")


@dataclass
class Story:
    """One demo story, played at its own dates: `play` runs with the clock standing at `start`
    (it moves the clock on itself) and must leave it at `end`. `after` names stories that must be
    played first (a duplicate needs its original). The other stories (the ladder and
    case stories) use the same shape, so the seeder plays them all in one order."""

    key: str
    start: datetime
    end: datetime
    play: Callable[[time_machine.Coordinates], object]
    after: tuple[str, ...] = ()


def ticket_stories(cast: Cast, now: datetime, by_key: dict[str, Ticket]) -> list[Story]:
    """The hand-written lifecycle tickets as stories (played by `play_stories`)."""
    stories = []
    starts = {spec.key: now - _age(spec) for spec in DEMO_TICKETS}
    for spec in DEMO_TICKETS:
        started = starts[spec.key]
        after = tuple(a[4] for a in spec.script if a[0] == "cancel" and a[4])
        for key in after:  # a duplicate is reported after its original (a quarter of the way to now)
            started = max(started, starts[key] + (now - starts[key]) / 4)
        gap = _gap(spec.script, started, now)
        milestone = (
            timezone.localdate(now) + timedelta(days=spec.critical_milestone_in_days)
            if spec.critical_milestone_in_days is not None
            else None
        )
        stories.append(
            Story(
                key=spec.key,
                start=started,
                end=started + gap * len(spec.script),
                play=partial(_play_checked, spec, cast, by_key, gap, milestone),
                after=after,
            )
        )
    return stories


def play_stories(
    stories: list[Story], progress: ProgressBar | None = None, now: datetime | None = None
) -> None:
    """Play every story at its own dates, then let the clocks run on to `now`.

    Time frames (SLA, tier, approval, consult) keep running after a story ends, exactly as if
    the application had been running all along: the deadline sweep runs at the end of each
    story (so what fell due during it is recorded there) and then at every instant a deadline
    falls due, up to now. The stories are played in the order they end, so a sweep never dates
    an event of a ticket before that ticket's last story event. Whatever the beat sweep finds
    after seeding is what falls due from now on.
    """
    now = now or timezone.now()
    with _quiet_sweep():
        _play_in_order(stories, progress)
        run_clocks_until(now)


@contextmanager
def _quiet_sweep() -> Iterator[None]:
    """The sweep logs each batch at INFO: hundreds of lines while seeding, nothing worth reading."""
    logger = logging.getLogger("clocks.sweep")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _play_in_order(stories: list[Story], progress: ProgressBar | None) -> None:
    played: set[str] = set()
    pending = sorted(stories, key=lambda s: (s.end, s.key))
    while pending:
        story = next((s for s in pending if all(k in played for k in s.after)), None)
        if story is None:  # pragma: no cover - a story names a missing one
            raise AssertionError("demo stories depend on each other in a circle")
        pending.remove(story)
        with time_machine.travel(story.start, tick=False) as clock:
            story.play(clock)
            clock.move_to(max(story.end, timezone.now()))
            sweep_due_deadlines()
        played.add(story.key)
        if progress is not None:
            progress.advance()


def run_clocks_until(now: datetime, limit: int = 10_000) -> int:
    """Fire every deadline due before `now` at the instant it falls due (its events dated
    then); returns the number of sweeps."""
    sweeps = 0
    while sweeps < limit:
        due = (
            due_deadlines(now)
            .annotate(at=Coalesce("next_attempt_at", "due_at"))
            .values_list("at", flat=True)
            .first()
        )
        if due is None:
            break
        with time_machine.travel(due, tick=False):
            sweep_due_deadlines()
        sweeps += 1
    return sweeps


def create_demo_tickets(
    cast: Cast, progress: ProgressBar | None = None, extra: Callable[[datetime], list[Story]] | None = None
) -> int:
    """Create the hand-written demo tickets through the services (all or nothing); `extra`
    adds the ladder and case stories (called after the lifecycle stories were built, with now)."""
    if demo_set_exists():
        return 0
    now = timezone.now()
    by_key: dict[str, Ticket] = {}
    with transaction.atomic():
        stories = ticket_stories(cast, now, by_key)
        if extra is not None:
            stories += extra(now)
        if progress is not None:
            progress.total = len(stories)
        play_stories(stories, progress, now)
    if progress is not None:
        progress.finish()
    return len(stories)


def _age(spec: DemoTicket) -> timedelta:
    """How long before now the story starts: `days_ago`, capped for an open or in-progress
    ticket (see `LIVE_STORY_WINDOW`)."""
    age = timedelta(days=spec.days_ago)
    if spec.expected in LIVE_STATUSES:
        age = min(age, LIVE_STORY_WINDOW.get(spec.priority, min(LIVE_STORY_WINDOW.values())))
    return age


def _gap(script: list[Action], started: datetime, now: datetime) -> timedelta:
    """Time between two actions: up to two hours, and the story ends before now."""
    span = (now - started) * 0.8
    return min(timedelta(hours=2), span / max(len(script), 1))


def _play_checked(
    spec: DemoTicket,
    cast: Cast,
    by_key: dict[str, Ticket],
    gap: timedelta,
    milestone: date | None,
    clock: time_machine.Coordinates,
) -> Ticket:
    ticket = _play(spec, cast, by_key, milestone, clock, gap)
    if ticket.status != spec.expected:  # pragma: no cover - the table is wrong
        raise AssertionError(f"demo ticket {spec.key} ended {ticket.status}, not {spec.expected}")
    return ticket


def _play(
    spec: DemoTicket,
    cast: Cast,
    by_key: dict[str, Ticket],
    milestone: date | None,
    clock: time_machine.Coordinates,
    gap: timedelta,
) -> Ticket:
    org = cast.orgs[spec.org]
    opener = cast.users[spec.created_by]
    staff_set = {
        "priority": spec.priority,
        "category": cast.categories[spec.category] if spec.category else None,
    }
    if not permissions.may_set_staff_only_intake(opener):
        # A customer's request gets its priority and category when support triages it.
        at_triage = {name: value for name, value in staff_set.items() if value}
        staff_set = {"priority": "", "category": None}
    else:
        at_triage = {}
    ticket = ticket_create(
        actor=opener,
        organisation=org,
        requester=cast.users[spec.requester],
        summary=spec.summary,
        channel=spec.channel,
        description=spec.description,
        symptoms=spec.symptoms,
        replication_steps=spec.replication_steps,
        error_messages=spec.error_messages,
        recent_changes=spec.recent_changes,
        business_impact=spec.business_impact,
        workaround=spec.workaround,
        critical_milestone=milestone,
        service=cast.services[spec.service] if spec.service else None,
        **staff_set,
    )
    by_key[spec.key] = ticket
    for action in spec.script:
        clock.shift(gap)
        if action[0] == "triage" and at_triage:
            action = (*action[:2], {**at_triage, **action[2]}, *action[3:])
            at_triage = {}
        _run_action(ticket, action, cast, by_key)
    ticket.refresh_from_db()
    return ticket
