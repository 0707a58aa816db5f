"""A decided approval request is history in PostgreSQL itself (SPEC §10): raw SQL cannot change
it, and no request can be deleted; a pending request still takes its decision."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

from accounts.models import Team
from approvals.models import ApprovalRequest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the triggers exist only there (set DATABASE_URL=postgres://…)",
    ),
]

TABLE = ApprovalRequest._meta.db_table


def run_sql(sql: str, pk: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [pk])


def status_of(pk: int) -> tuple[str, str]:
    return ApprovalRequest.objects.values_list("status", "decision_notes").get(pk=pk)


@pytest.fixture
def pending(db: None) -> ApprovalRequest:
    team = Team.objects.create(name="Tier 2")
    return ApprovalRequest.objects.create(
        content_type=ContentType.objects.get_for_model(Team), object_id=team.pk, title="Vendor hand-off"
    )


def test_it_lets_a_pending_request_take_its_decision_once(pending: ApprovalRequest) -> None:
    run_sql(f"UPDATE {TABLE} SET status = 'approved', decision_notes = 'Go ahead.' WHERE id = %s", pending.pk)
    assert status_of(pending.pk) == ("approved", "Go ahead.")
    with pytest.raises(DatabaseError, match="pgtrigger: Cannot update rows"):
        run_sql(f"UPDATE {TABLE} SET status = 'pending', decision_notes = '' WHERE id = %s", pending.pk)
    with pytest.raises(DatabaseError, match="pgtrigger: Cannot update rows"):
        run_sql(f"UPDATE {TABLE} SET decision_notes = 'Rewritten.' WHERE id = %s", pending.pk)
    assert status_of(pending.pk) == ("approved", "Go ahead.")


@pytest.mark.parametrize("decided", [False, True])
def test_it_refuses_to_delete_a_request(pending: ApprovalRequest, decided: bool) -> None:
    if decided:
        run_sql(f"UPDATE {TABLE} SET status = 'cancelled' WHERE id = %s", pending.pk)
    with pytest.raises(DatabaseError, match="pgtrigger: Cannot delete rows"):
        run_sql(f"DELETE FROM {TABLE} WHERE id = %s", pending.pk)
    assert ApprovalRequest.objects.filter(pk=pending.pk).exists()
