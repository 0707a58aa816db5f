"""The sweep's budget with real handlers (issue 12, point 7): at most 8 queries per deadline.

Tickets whose SLA and tier time frames all passed (the sweep benchmark's tickets: first
response and resolution warnings and breaches, the tier's warning and breach, the automatic
escalation that follows) are swept; what the handlers read comes once per batch
(clocks.batch), so the count per deadline does not grow with the batch.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.sweep_data import seed_due_tickets
from clocks.models import Deadline, DeadlineState
from clocks.sweep import sweep_due_deadlines
from escalations.models import Handoff
from tickets.models import TimelineEvent

pytestmark = pytest.mark.django_db

QUERIES_PER_DEADLINE = 8
# The claims and the batch reads: a few queries per batch, whatever its size.
PER_SWEEP = 40


def _statements(captured: list[dict[str, str]]) -> Counter[str]:
    """Statements by verb and table, savepoints apart (they are not round trips of work)."""
    kinds: Counter[str] = Counter()
    for query in captured:
        sql = query["sql"].lstrip()
        verb = sql.split(None, 1)[0].upper()
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            continue
        kinds[verb] += 1
    return kinds


def test_real_handlers_fire_in_at_most_8_queries_per_deadline() -> None:
    ids = seed_due_tickets(6)
    with CaptureQueriesContext(connection) as seen:
        result = sweep_due_deadlines()
    fired = Deadline.objects.filter(state=DeadlineState.FIRED, fired_at__isnull=False).count()
    assert result.fired == fired == 7 * len(ids)  # 4 SLA points, 2 tier points, the escalation
    assert Handoff.objects.filter(ticket_id__in=ids, automatic=True).count() == len(ids)
    assert TimelineEvent.objects.filter(
        ticket_id__in=ids, kind__in=["sla_breach", "tier_breach"]
    ).count() == (3 * len(ids))
    statements = _statements(seen.captured_queries)
    total = sum(statements.values())
    assert total <= QUERIES_PER_DEADLINE * result.fired + PER_SWEEP, (total / result.fired, statements)


def test_a_batch_reads_its_tickets_once_and_a_ticket_locked_meanwhile_afresh() -> None:
    from django.db import transaction

    from clocks.batch import batch_context, prefetched
    from tickets.services.core import lock_ticket
    from tickets.sla import BATCH_TICKETS, swept_ticket

    ids = seed_due_tickets(2)
    rows = list(Deadline.objects.filter(state=DeadlineState.PENDING).order_by("due_at", "pk"))
    with transaction.atomic(), batch_context(rows):
        with CaptureQueriesContext(connection) as first:
            tickets = [swept_ticket(pk) for pk in ids]
        with CaptureQueriesContext(connection) as again:
            assert [swept_ticket(pk) for pk in ids] == tickets
            assert [t.team.leaders.all()[0] for t in tickets]  # the leaders came with them
        assert len(first.captured_queries) <= 4  # the batch's clocks, tickets, leaders
        assert len(again.captured_queries) == 0
        lock_ticket(tickets[0])  # about to change: the batch's copy is dropped
        assert prefetched(BATCH_TICKETS, ids[0]) is None
        assert prefetched(BATCH_TICKETS, ids[1]) is tickets[1]
