"""Two people taking the same ticket at the same moment: the row lock lets exactly one through."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from escalation_desk.domain import Refused
from tickets.models import Ticket, TimelineEvent
from tickets.services import lifecycle
from tickets.services.lifecycle import ticket_start, ticket_triage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers and ignores SELECT … FOR UPDATE "
        "(set DATABASE_URL=postgres://…)",
    ),
]


def start_at_the_same_time(
    ticket_pk: int, actor_pk: int, barrier: threading.Barrier, outcomes: list[str]
) -> None:
    """Run ticket_start in its own thread and database connection, after every thread is ready."""
    try:
        ticket = Ticket.objects.get(pk=ticket_pk)
        actor = User.objects.get(pk=actor_pk)
        barrier.wait(timeout=10)
        ticket_start(ticket=ticket, actor=actor)
        outcomes.append(f"started by {actor_pk}")
    except Refused:
        outcomes.append("refused")
    except Exception as error:  # reported by the test, not lost in the thread
        outcomes.append(f"error: {error!r}")
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_starts_through(
    ticket: Ticket, engineer: User, team_leader: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_triage(ticket=ticket, actor=engineer)
    record_event = lifecycle.record_event

    def slow_record_event(**kwargs: Any) -> TimelineEvent:
        # Hold the transaction open so the other thread certainly arrives while it runs.
        event = record_event(**kwargs)
        time.sleep(0.5)
        return event

    monkeypatch.setattr(lifecycle, "record_event", slow_record_event)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=start_at_the_same_time, args=(ticket.pk, actor.pk, barrier, outcomes))
        for actor in (engineer, team_leader)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o.split(" by ")[0] for o in outcomes) == ["refused", "started"], outcomes
    winner = int(next(o for o in outcomes if o.startswith("started")).rsplit(" ", 1)[1])
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("in_progress", winner)
    starts = TimelineEvent.objects.filter(ticket=ticket, kind="start")
    assert [(e.actor_id, e.source, e.target) for e in starts] == [(winner, "open", "in_progress")]
