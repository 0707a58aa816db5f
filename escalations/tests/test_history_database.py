"""The escalation records that are history (the IT manager's decisions, vendor updates, the
updates given to the customer) are append-only in PostgreSQL itself (SPEC §10)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from cases.models import CaseReason, CaseUpdate, CommunicationMode, EscalationCase
from escalations.models import DecisionOutcome, ManagerDecision, VendorEngagement, VendorUpdate
from escalations.tests.conftest import World, triaged

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the triggers exist only there (set DATABASE_URL=postgres://…)",
    ),
]


def history(world: World) -> dict[str, Model]:
    """One row of each append-only table, written as the services write them (INSERT)."""
    ticket = triaged(world)
    tier = world.tier("Tier 1")
    engagement = VendorEngagement.objects.create(
        ticket=ticket,
        tier=tier,
        vendor_name="Acme ERP Ltd",
        case_number="VS-1",
        contact="desk@vendor.example",
        engaged_by=world["tom"],
    )
    case = EscalationCase.objects.create(ticket=ticket, reason=CaseReason.CRITICAL_IMPACT)
    return {
        "decision": ManagerDecision.objects.create(
            ticket=ticket,
            tier=tier,
            outcome=DecisionOutcome.KNOWN_ERROR,
            notes="Accept it.",
            decided_by=world["ivan"],
        ),
        "vendor update": VendorUpdate.objects.create(
            engagement=engagement, summary="Patch due Thursday.", recorded_by=world["tom"]
        ),
        "case update": CaseUpdate.objects.create(
            case=case, mode=CommunicationMode.EMAIL, summary="On track.", logged_by=world["tom"]
        ),
    }


@pytest.mark.parametrize("name", ["decision", "vendor update", "case update"])
def test_it_refuses_raw_updates_and_deletes_of_history(world: World, name: str) -> None:
    row = history(world)[name]
    table = row._meta.db_table
    column = {"decision": "notes", "vendor update": "summary", "case update": "summary"}[name]
    before = type(row).objects.values_list(column, flat=True).get(pk=row.pk)
    for sql in (f"UPDATE {table} SET {column} = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with (
            pytest.raises(DatabaseError, match="pgtrigger: Cannot update or delete rows"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert type(row).objects.values_list(column, flat=True).get(pk=row.pk) == before
