"""Reads of customer escalation cases for the API, the console and the portal."""

from __future__ import annotations

from typing import Any

from clocks.models import ClockState

from .models import EscalationCase, clocks_of_cases
from .services import core as case_core


def with_case_clocks(items: list[EscalationCase]) -> list[EscalationCase]:
    """Attach acknowledge_due and next_update_due from the cases' running clocks (one query)."""
    due: dict[tuple[int, str], Any] = {}
    if items:
        clocks = clocks_of_cases([c.pk for c in items]).filter(kind__in=[case_core.ACK_CLOCK, case_core.UPDATE_CLOCK],
        ).exclude(state=ClockState.STOPPED).order_by("pk")
        for clock in clocks:
            due[(clock.object_id, clock.kind)] = clock.due_at
    for case in items:
        case.acknowledge_due = due.get((case.pk, case_core.ACK_CLOCK))
        case.next_update_due = due.get((case.pk, case_core.UPDATE_CLOCK))
    return items
