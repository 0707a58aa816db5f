"""The demo stories are played at their own dates: the timeline agrees with the ticket."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from tickets.models import Ticket


@pytest.mark.django_db
def test_it_dates_every_demo_event_between_the_tickets_opening_and_now() -> None:
    call_command("seed_demo", verbosity=0)
    now = timezone.now()

    tickets = Ticket.objects.prefetch_related("events")
    assert tickets.count() > 20
    spread = {t.created_at.date() for t in tickets}
    assert len(spread) > 5, "demo tickets should be opened over several days"
    for ticket in tickets:
        times = [e.at for e in sorted(ticket.events.all(), key=lambda e: e.pk)]
        assert times[0] == ticket.created_at, ticket.reference
        assert times == sorted(times), ticket.reference
        assert times[-1] <= now, ticket.reference
