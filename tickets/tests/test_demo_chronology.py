"""The demo stories are played at their own dates: the timeline agrees with the ticket.

This covers the lifecycle stories and the other apps' stories `seed_demo` plays with them (the
escalation stories), and the time frames that kept running after each story ended.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from tickets.demo import DEMO_TICKETS
from tickets.models import Ticket


@pytest.mark.django_db
def test_it_dates_every_demo_event_between_the_tickets_opening_and_now() -> None:
    call_command("seed_demo", verbosity=0)
    now = timezone.now()

    tickets = Ticket.objects.prefetch_related("events")
    assert tickets.count() > len(DEMO_TICKETS) > 20  # the escalation stories' tickets too
    spread = {t.created_at.date() for t in tickets}
    assert len(spread) > 5, "demo tickets should be opened over several days"
    hand_overs = 0
    for ticket in tickets:
        events = sorted(ticket.events.all(), key=lambda e: e.pk)
        times = [e.at for e in events]
        assert times[0] == ticket.created_at, ticket.reference
        assert times == sorted(times), ticket.reference
        assert times[-1] <= now, ticket.reference
        # A hand-over between tiers follows its request; a time frame's breach is recorded at or
        # after the instant it fell due, never before.
        kinds = [e.kind for e in events]
        for i, event in enumerate(events):
            if event.kind in ("escalated", "returned"):
                hand_overs += 1
                assert "handoff_requested" in kinds[:i], (ticket.reference, kinds)
            if event.kind in ("tier_breach", "sla_breach"):
                due = event.details.get("due_at")
                if due:
                    assert event.at >= datetime.fromisoformat(due), (ticket.reference, event.kind)
    assert hand_overs > 10
