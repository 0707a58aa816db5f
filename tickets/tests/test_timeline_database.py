"""The timeline is append-only in PostgreSQL itself: raw SQL cannot rewrite or remove an event."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, QuerySet

from accounts.models import User
from tickets.models import Ticket, TimelineEvent
from tickets.services.conversation import ticket_comment
from tickets.tests.test_lifecycle import drive_to

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the append-only trigger exists only there (set DATABASE_URL=postgres://…)",
    ),
]

TABLE = TimelineEvent._meta.db_table


@pytest.fixture
def event(ticket: Ticket, engineer: User) -> TimelineEvent:
    drive_to(ticket, "open", engineer)
    return TimelineEvent.objects.get(ticket=ticket, kind="triage")


def run_sql(sql: str, params: list[object]) -> None:
    """Run one statement as the application's database user, on the application's connection."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def row(pk: int) -> tuple[object, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT kind, reason, actor_id, "at" FROM {TABLE} WHERE id = %s', [pk])
        return cursor.fetchone()


def test_it_refuses_an_update_in_raw_sql(event: TimelineEvent) -> None:
    before = row(event.pk)
    with pytest.raises(DatabaseError, match="pgtrigger: Cannot update or delete rows"):
        run_sql(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="pgtrigger"):
        run_sql(f'UPDATE {TABLE} SET "at" = "at" - interval \'400 days\', actor_id = NULL', [])
    assert row(event.pk) == before


def test_it_refuses_a_delete_in_raw_sql(event: TimelineEvent) -> None:
    with pytest.raises(DatabaseError, match="pgtrigger: Cannot update or delete rows"):
        run_sql(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="pgtrigger"):
        run_sql(f"DELETE FROM {TABLE}", [])
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_the_orm_paths_that_skip_the_model_too(event: TimelineEvent) -> None:
    """The model's own refusals can be bypassed with the base manager; the database cannot."""
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        TimelineEvent._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        QuerySet.update(TimelineEvent._base_manager.filter(pk=event.pk), reason="rewritten")
    assert row(event.pk)[1] == event.reason


def test_it_still_inserts_in_raw_sql(event: TimelineEvent, ticket: Ticket) -> None:
    run_sql(
        f'INSERT INTO {TABLE} (ticket_id, kind, "at", source, target, reason, details, is_public) '
        "VALUES (%s, 'note', now(), '', '', 'appended', '{}', false)",
        [ticket.pk],
    )
    assert list(ticket.events.order_by("pk").values_list("kind", flat=True)) == ["triage", "note"]


def test_it_still_appends_through_the_services(event: TimelineEvent, ticket: Ticket, engineer: User) -> None:
    ticket_comment(ticket=ticket, actor=engineer, body="Checked the job log.")
    assert list(ticket.events.values_list("kind", flat=True)) == ["triage", "comment"]


def test_it_still_protects_the_ticket_of_events(event: TimelineEvent, ticket: Ticket) -> None:
    with pytest.raises(ProtectedError), transaction.atomic():
        ticket.delete()
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


# Transactional tests end with a flush (TRUNCATE): a row trigger must not stop it. The first
# test leaves events behind, the second finds none left over, whichever order they run in.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", [1, 2])
def test_it_lets_the_test_runner_flush_the_timeline(run: int, ticket: Ticket, engineer: User) -> None:
    assert TimelineEvent.objects.exclude(ticket=ticket).count() == 0
    drive_to(ticket, "in_progress", engineer)
    assert ticket.events.count() >= 2
    with pytest.raises(DatabaseError, match="pgtrigger"):
        run_sql(f"DELETE FROM {TABLE}", [])
