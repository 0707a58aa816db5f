"""What every ticket service shares: the one ticket lock, the timeline's writer and small checks.

Every change to a ticket goes through a service of `tickets.services` (SPEC §2, §10). Each
opens a transaction, locks the ticket row with `lock_ticket`, checks the actor's permission
and the change's guards, changes state, saves, and writes its timeline event with
`record_event` in the same transaction. A refusal raises before anything is saved, so nothing
is half-done.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from clocks import batch
from escalation_desk.domain import InvalidInput, not_one_of

from ..models import Status, Ticket, TimelineEvent
from ..sla import BATCH_TICKETS

# Closed and cancelled are final: archived and readable, never written to again (SPEC §2).
FINAL_STATES = (Status.CLOSED, Status.CANCELLED)


def record_event(
    *,
    ticket: Ticket,
    kind: str,
    actor: User | None,
    source: str = "",
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    is_public: bool = False,
) -> TimelineEvent:
    """Append one event to the ticket's timeline (call inside the change's transaction)."""
    return TimelineEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        source=source,
        target=target,
        reason=reason,
        details=details or {},
        is_public=is_public,
    )


def lock_ticket(ticket: Ticket) -> Ticket:
    """Lock the ticket row for this transaction (FOR NO KEY UPDATE on PostgreSQL): every app's ticket lock.

    NO KEY: rows that merely reference the ticket (a timeline event written by the sweep,
    which already holds a clock's lock) must not wait for us while we wait for that clock.
    Inside a deadline sweep the batch's copy of the ticket is dropped: it is about to change.
    """
    batch.forget(BATCH_TICKETS, ticket.pk)
    return (
        Ticket.objects.select_related(
            "team", "team__manager", "service", "service__calendar", "category", "assignee"
        )
        .select_for_update(of=("self",), no_key=True)
        .get(pk=ticket.pk)
    )


def refresh_stale(stale: Ticket, fresh: Ticket) -> None:
    """Keep the caller's instance in step with the saved row: the locked instance's fields and
    the relations its lock read, without reading the row again (what refresh_from_db would)."""
    if stale is fresh:
        return
    # Into __dict__: the protected FSM status refuses setattr, as it should outside a transition.
    stale.__dict__.update(
        {
            f.attname: fresh.__dict__[f.attname]
            for f in Ticket._meta.concrete_fields
            if f.attname in fresh.__dict__
        }
    )
    stale._state.fields_cache = dict(fresh._state.fields_cache)
    stale.__dict__.pop("_prefetched_objects_cache", None)


def check_choice(value: str, choices: type, label: str) -> str:
    """Refuse a value outside `choices` (blank passes: the field's own rules decide)."""
    if value and value not in choices.values:
        raise InvalidInput({label: [not_one_of(value, choices.values)]})
    return value
