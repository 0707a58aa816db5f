"""The hand-written demo tickets: created and moved through their lifecycle with the services.

The tickets themselves are in `tickets.demo.stories_data`, the action helpers they are
scripted with in `tickets.demo.actions`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import time_machine
from django.db import transaction
from django.utils import timezone

from tickets import services
from tickets.models import Ticket

from .actions import Action, DemoTicket
from .cast import ORGANISATIONS, Cast
from .progress import ProgressBar
from .stories_data import DEMO_TICKETS

MARKER_SUMMARY = DEMO_TICKETS[0].summary


def demo_set_exists() -> bool:
    return Ticket.objects.filter(
        summary=MARKER_SUMMARY, organisation__name=ORGANISATIONS[0].name
    ).exists()


def _run_action(ticket: Ticket, action: Action, cast: Cast, by_key: dict[str, Ticket]) -> None:
    name, by, *args = action
    actor = cast.users[by]
    if name == "triage":
        services.ticket_triage(ticket=ticket, actor=actor, **args[0])
    elif name == "start":
        assignee = cast.users[args[0]] if args[0] else None
        services.ticket_start(ticket=ticket, actor=actor, assignee=assignee)
    elif name == "step":
        kind, text, outcome, public, state = args
        services.ticket_add_step(ticket=ticket, actor=actor, kind=kind, action=text, outcome=outcome,
                                 is_public=public, state=state)
    elif name == "comment":
        body, internal = args
        services.ticket_comment(ticket=ticket, actor=actor, body=body, is_internal=internal)
    elif name == "await":
        services.ticket_await_customer(ticket=ticket, actor=actor, reason=args[0])
    elif name == "resolve":
        summary, root_cause, fix_kind, kb, kb_none = args
        services.ticket_resolve(ticket=ticket, actor=actor, resolution_summary=summary,
                                root_cause=root_cause, fix_kind=fix_kind, knowledge_article=kb,
                                knowledge_none_reason=kb_none)
    elif name == "confirm":
        text, channel = args
        services.ticket_confirm_resolution(ticket=ticket, actor=actor, note=text, channel=channel)
    elif name == "reopen":
        services.ticket_reopen(ticket=ticket, actor=actor, reason=args[0])
    elif name == "cancel":
        reason, text, duplicate_key = args
        services.ticket_cancel(ticket=ticket, actor=actor, reason=reason, note=text,
                               duplicate_of=by_key[duplicate_key] if duplicate_key else None)
    else:  # pragma: no cover - a typo in the table above
        raise ValueError(f"unknown demo action {name!r}")


def create_demo_tickets(cast: Cast, progress: ProgressBar | None = None) -> int:
    """Create the hand-written demo tickets through the services (all or nothing)."""
    if demo_set_exists():
        return 0
    now = timezone.now()
    by_key: dict[str, Ticket] = {}
    with transaction.atomic():
        for spec in DEMO_TICKETS:
            milestone = (
                date.today() + timedelta(days=spec.critical_milestone_in_days)
                if spec.critical_milestone_in_days is not None
                else None
            )
            started = now - timedelta(days=spec.days_ago)
            # Each story is played at its own time, so creation, timeline and clocks agree:
            # the clock stands at the ticket's opening and moves on between actions.
            with time_machine.travel(started, tick=False) as clock:
                ticket = _play(spec, cast, by_key, milestone, clock, _gap(spec.script, started, now))
            if ticket.status != spec.expected:  # pragma: no cover - the table is wrong
                raise AssertionError(f"demo ticket {spec.key} ended {ticket.status}, not {spec.expected}")
            if progress is not None:
                progress.advance()
    if progress is not None:
        progress.finish()
    return len(DEMO_TICKETS)


def _gap(script: list[Action], started: datetime, now: datetime) -> timedelta:
    """Time between two actions: up to two hours, and the story ends before now."""
    span = (now - started) * 0.8
    return min(timedelta(hours=2), span / max(len(script), 1))


def _play(
    spec: DemoTicket,
    cast: Cast,
    by_key: dict[str, Ticket],
    milestone: date | None,
    clock: time_machine.Coordinates,
    gap: timedelta,
) -> Ticket:
    org = cast.orgs[spec.org]
    ticket = services.ticket_create(
        actor=cast.users[spec.created_by],
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
        priority=spec.priority,
        category=cast.categories[spec.category] if spec.category else None,
        service=cast.services[spec.service] if spec.service else None,
    )
    by_key[spec.key] = ticket
    for action in spec.script:
        clock.shift(gap)
        _run_action(ticket, action, cast, by_key)
    ticket.refresh_from_db()
    return ticket
