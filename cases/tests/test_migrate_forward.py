"""An existing database, at the schema before customer escalations had their own app, migrates forward
with its data (issue 11): the case rows, their content type (and so the permissions granted on it and
the clocks running on a case), the inbound message that opened a case, and on PostgreSQL the
append-only trigger on case updates.

The test migrates its database back to that schema, writes the rows with the historical models, and
migrates forward again, so it runs on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import CaseRequest, CaseUpdate, EscalationCase
from clocks.models import Clock
from mail.models import InboundMessage
from tests_support.factories import (
    OrganisationFactory,
    TicketFactory,
    make_agent,
    make_customer,
    office_calendar,
)

# The leaves of the schema the move starts from (what a database migrated before it holds).
BEFORE = [("escalations", "0004_history_append_only"), ("mail", "0001_inbound_messages"), ("cases", None)]


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def leaves() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_schema(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = migrate(BEFORE)
    try:
        yield executor
    finally:
        migrate(leaves())  # whatever happened, the next test finds today's schema


def test_cases_rows_survive_the_move_to_their_own_app(old_schema: MigrationExecutor) -> None:
    customer = make_customer(OrganisationFactory(name="Acme"), username="carla")
    manager = make_agent("Escalation manager", username="esme")
    ticket = TicketFactory(organisation=customer.organisation, requester=customer, created_by=customer)
    old = old_schema.loader.project_state(BEFORE[:2]).apps
    OldCase = old.get_model("escalations", "EscalationCase")
    old_case_type = ContentType.objects.get(app_label="escalations", model="escalationcase")

    case = OldCase.objects.create(
        ticket_id=ticket.pk,
        status="acknowledged",
        level="team_leader",
        reason="critical_impact",
        escalation_manager_id=manager.pk,
    )
    old.get_model("escalations", "CaseRequest").objects.create(
        case_id=case.pk,
        requested_by_id=customer.pk,
        recorded_by_id=customer.pk,
        channel="portal",
        level="team_leader",
        reason="critical_impact",
        problem_statement_correct=True,
        business_impact="Salaries cannot be paid.",
    )
    old.get_model("escalations", "CaseUpdate").objects.create(
        case_id=case.pk, mode="email", summary="On track.", logged_by_id=manager.pk
    )
    old.get_model("mail", "InboundMessage").objects.create(
        key="m-1", source="pipe", outcome="escalation", ticket_id=ticket.pk, case_id=case.pk
    )
    now = timezone.now()
    clock = Clock.objects.create(
        content_type=old_case_type,
        object_id=case.pk,
        kind="escalations.case_update",
        calendar=office_calendar(),
        started_at=now,
        running_since=now,
        target_seconds=3600,
        due_at=now + timedelta(hours=1),
    )

    migrate(leaves())

    moved = EscalationCase.objects.get()
    assert (moved.pk, moved.ticket_id, moved.status, moved.escalation_manager_id) == (
        case.pk,
        ticket.pk,
        "acknowledged",
        manager.pk,
    )
    assert CaseRequest.objects.get().business_impact == "Salaries cannot be paid."
    assert CaseUpdate.objects.get(case=moved).summary == "On track."
    assert InboundMessage.objects.get(key="m-1").case == moved
    assert EscalationCase._meta.db_table in connection.introspection.table_names()
    assert "escalations_escalationcase" not in connection.introspection.table_names()
    # The same content type row, now under the new label: the clock still finds its case...
    assert ContentType.objects.get_for_model(EscalationCase).pk == old_case_type.pk
    assert Clock.objects.get(pk=clock.pk).subject == moved
    # ...and the escalation manager's permission, granted through the role's group, still holds.
    assert (
        Group.objects.get(name="Escalation manager")
        .permissions.filter(content_type=old_case_type, codename="manage_escalationcase")
        .exists()
    )
    assert manager.__class__.objects.get(pk=manager.pk).has_perm("cases.manage_escalationcase")


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the append-only trigger is PostgreSQL's (set DATABASE_URL=postgres://…)",
)
def test_case_updates_stay_append_only_after_the_move(old_schema: MigrationExecutor) -> None:
    migrate(leaves())
    customer = make_customer(OrganisationFactory(name="Acme"), username="carla")
    ticket = TicketFactory(organisation=customer.organisation, requester=customer, created_by=customer)
    case = EscalationCase.objects.create(ticket=ticket, reason="critical_impact")
    update = CaseUpdate.objects.create(case=case, mode="email", summary="On track.", logged_by=customer)

    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE cases_caseupdate SET summary = 'rewritten' WHERE id = %s", [update.pk])
