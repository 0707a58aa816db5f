"""A database with tickets migrates to the search (tickets/0007) and finds them at once: the migration
fills the vector of every existing ticket, on PostgreSQL; SQLite searches by substring and needs none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests_support.factories import TicketFactory
from tickets import search
from tickets.models import Ticket

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
    ),
]
BEFORE = [("tickets", "0006_redaction")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def tickets_before_search(transactional_db: None) -> Iterator[list[Ticket]]:
    tickets = [TicketFactory(summary="Printer offline"), TicketFactory(summary="Payroll export fails")]
    migrate(BEFORE)
    try:
        yield tickets
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_existing_tickets_are_found_after_the_migration(tickets_before_search: list[Ticket]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets_ticket'"
        )
        assert "search_vector" not in {row[0] for row in cursor.fetchall()}

    migrate([("tickets", "0007_search")])

    assert Ticket.objects.filter(search_vector__isnull=True).count() == 0
    printer = search.search_tickets(Ticket.objects.all(), "printers")
    assert [t.pk for t in printer] == [tickets_before_search[0].pk]
