"""The demo stories are played at their own dates: the timeline agrees with the ticket.

This covers the lifecycle stories and the other stories `seed_demo` plays with them (the
escalation stories and the customer escalation cases, whose steps follow one another on the
ticket's timeline), and the time frames that kept running after each story ended: a lifecycle
ticket left open or in progress is still in its first tier, within its time frame.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.stories import LIVE_STATUSES, LIVE_STORY_WINDOW
from demo.stories_data import DEMO_TICKETS
from tickets.models import Status, Ticket


@pytest.mark.django_db
def test_it_dates_every_demo_event_between_the_tickets_opening_and_now() -> None:
    call_command("seed_demo", verbosity=0)
    now = timezone.now()

    tickets = Ticket.objects.prefetch_related("events")
    assert tickets.count() > len(DEMO_TICKETS) > 20  # the escalation stories' tickets too
    spread = {t.created_at.date() for t in tickets}
    assert len(spread) > 5, "demo tickets should be opened over several days"
    hand_overs = 0
    escalated = 0
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
        escalated += _check_case_chronology(ticket.reference, events)
    assert hand_overs > 10
    assert escalated == 5  # the customer escalation stories (demo/cases.py)


# A customer escalation's steps on the ticket's timeline (cases.services), each from the state
# the previous one left; the request opens the case in the state it names.
CASE_STEPS = {
    "case_acknowledged",
    "case_active",
    "case_leadership_review",
    "case_leadership_done",
    "case_de_escalation_proposed",
    "case_de_escalated",
    "case_kept_escalated",
    "case_closed",
}


def _check_case_chronology(reference: str, events: list) -> int:
    """The case's states follow one another in the timeline's order; every other case event
    (participants, plans, updates, briefs, a later request) falls while the case is open."""
    state = None
    for event in events:
        if event.kind == "case_requested":
            assert state in (None, "de_escalated", "closed"), (reference, state)
            state = event.target
        elif event.kind in CASE_STEPS:
            assert event.source == state, (reference, event.kind, event.source, state)
            state = event.target
        elif event.kind.startswith("case"):
            assert state not in (None, "de_escalated", "closed"), (reference, event.kind, state)
    return int(state is not None)


@pytest.mark.django_db
def test_it_leaves_open_and_in_progress_lifecycle_tickets_in_tier_1_within_their_time_frame() -> None:
    now = timezone.now()  # the seeder's now is a little later
    call_command("seed_demo", verbosity=0)

    live = [spec for spec in DEMO_TICKETS if spec.expected in LIVE_STATUSES]
    assert len(live) >= 10
    for spec in live:
        ticket = Ticket.objects.select_related("team", "assignee").get(summary=spec.summary)
        kinds = set(ticket.events.values_list("kind", flat=True))
        # Played recently enough (less wall-clock time, hence less business time, than the
        # first tier's time frame of its priority), so no time frame moved it up the ladder.
        assert ticket.created_at >= now - LIVE_STORY_WINDOW[spec.priority], spec.key
        assert "triage" in kinds and not kinds & {"tier_breach", "handoff_requested", "escalated"}, (
            spec.key,
            sorted(kinds),
        )
        assert (ticket.status, ticket.team.name) == (spec.expected, "Tier 1"), spec.key
        if spec.expected == Status.IN_PROGRESS:
            assert ticket.assignee is not None, spec.key

    # The demo engineer has work in progress, the marker ticket first.
    erin = Ticket.objects.filter(assignee__username="erin", status=Status.IN_PROGRESS)
    assert erin.filter(summary=DEMO_TICKETS[0].summary).exists() and erin.count() >= 3

    # The long stories keep their history: waiting, resolved and closed tickets go back weeks...
    assert Ticket.objects.filter(created_at__lt=now - timedelta(days=7)).count() >= 5
    # ...and a duplicate is reported after its original, however recent that one is.
    for ticket in Ticket.objects.filter(duplicate_of__isnull=False).select_related("duplicate_of"):
        assert ticket.created_at > ticket.duplicate_of.created_at, ticket.reference
