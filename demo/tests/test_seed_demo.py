"""`manage.py seed_demo`: idempotent, every state present, consistent timelines, demo logins."""

from __future__ import annotations

from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count
from django.test import RequestFactory

from accounts.models import Organisation, Role, Team, User
from demo.cast import DEMO_LOGINS, DEMO_PASSWORD
from demo.stories import MARKER_SUMMARY
from demo.stories_data import DEMO_TICKETS
from tickets.models import Comment, Status, Ticket, TimelineEvent, TroubleshootingStep

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "teams": Team.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TimelineEvent.objects.count(),
        "steps": TroubleshootingStep.objects.count(),
        "comments": Comment.objects.count(),
    }


TRANSITIONS = {
    "triage",
    "start",
    "await_customer",
    "customer_replied",
    "resolve",
    "confirm_resolution",
    "reopen",
    "cancel",
    "close_unconfirmed",
}
HAND_OVERS = {"escalated", "returned"}  # another app's tier hand-offs: the ticket lands open


def _status_changes(timeline: list[TimelineEvent]) -> list[tuple[str, str, str]]:
    """(kind, from, to) of every event that moved the status, including tier hand-overs."""
    changes = []
    for event in timeline:
        if event.kind in TRANSITIONS:
            changes.append((event.kind, event.source, event.target))
        elif event.kind in HAND_OVERS and event.details.get("status_before") != Status.NEW:
            changes.append((event.kind, event.details["status_before"], Status.OPEN))
    return changes


def _assert_timelines_consistent() -> None:
    tickets = Ticket.objects.all()
    events: dict[int, list[TimelineEvent]] = {}
    for event in TimelineEvent.objects.order_by("at", "pk"):
        events.setdefault(event.ticket_id, []).append(event)
    for ticket in tickets:
        timeline = events.get(ticket.pk, [])
        assert timeline and timeline[0].kind == "created", ticket.summary
        changes = _status_changes(timeline)
        assert (changes[-1][2] if changes else Status.NEW) == ticket.status, ticket.summary
        # Each change starts where the previous one ended.
        for before, after in pairwise(changes):
            assert after[1] == before[2], (ticket.summary, before, after)


def test_seed_is_idempotent_and_covers_every_state() -> None:
    output = _seed()
    assert "Demo tickets" in output and "100%" in output  # the progress bar
    first = _counts()
    summaries = [t.summary for t in DEMO_TICKETS]
    assert Ticket.objects.filter(summary__in=summaries).count() == len(DEMO_TICKETS) >= 25
    # ...and the escalation stories' tickets (test_escalation_stories.py looks at those).
    assert first["tickets"] > len(DEMO_TICKETS)
    assert first["organisations"] >= 3

    _seed()
    assert _counts() == first

    by_status = dict(Ticket.objects.values_list("status").annotate(n=Count("pk")))
    assert all(by_status.get(s, 0) >= 1 for s in Status.values), by_status
    closes = set(Ticket.objects.filter(status=Status.CLOSED).values_list("close_kind", flat=True))
    assert {"confirmed_by_customer", "confirmed_on_behalf"} <= closes
    incomplete = Ticket.objects.filter(status=Status.NEW, category__isnull=True)
    assert incomplete.exists()
    _assert_timelines_consistent()

    # The marker ticket is the demo engineer's work in progress, still in Tier 1.
    marker = Ticket.objects.select_related("assignee", "team").get(summary=MARKER_SUMMARY)
    assert (marker.status, marker.assignee.username, marker.team.name) == (
        Status.IN_PROGRESS,
        "erin",
        "Tier 1",
    )

    # Roles and people.
    carla = User.objects.get(username="carla")
    assert carla.organisation is not None and not carla.is_staff
    assert carla.has_role(Role.CUSTOMER)
    erin = User.objects.get(username="erin")
    assert erin.is_staff and erin.has_role(Role.ENGINEER)
    assert Team.objects.get(name="Tier 1").members.filter(pk=erin.pk).exists()
    assert Team.objects.get(name="Engineering").requires_knowledge_update
    assert User.objects.get(username="admin").is_superuser
    for team in Team.objects.all():
        assert team.leaders.exists() and team.manager_id and team.members.exists(), team.name
    # The escalation managers' team: a late acknowledgement or a missed update reaches its manager.
    escalations = Team.objects.get(name="Customer Escalations")
    assert (list(escalations.members.values_list("username", flat=True)), escalations.manager.username) == (
        ["esme"],
        "leah",
    )

    for username, _role in DEMO_LOGINS:
        # The login lock-out (django-axes) needs the request a real login has.
        request = RequestFactory().post("/desk/login/")
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None, username


def test_tickets_option_tops_up_with_consistent_rows() -> None:
    _seed()
    last_demo = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    demo_count = Ticket.objects.count()
    _seed("--tickets", "300")
    assert Ticket.objects.count() == 300
    _assert_timelines_consistent()
    bulk = Ticket.objects.filter(pk__gt=last_demo)
    assert bulk.count() == 300 - demo_count
    assert not bulk.annotate(n=Count("steps")).filter(n=0).exists()
    assert not bulk.annotate(n=Count("comments")).filter(n=0).exists()
    by_status = dict(bulk.values_list("status").annotate(n=Count("pk")))
    assert all(by_status.get(s, 0) >= 1 for s in Status.values), by_status
    assert Comment.objects.filter(is_internal=True).exists()
    # Steps and comments each have their timeline event, as the services write them.
    assert TimelineEvent.objects.filter(kind="step").count() == TroubleshootingStep.objects.count()
    assert TimelineEvent.objects.filter(kind="comment").count() == Comment.objects.count()

    _seed("--tickets", "300")
    assert Ticket.objects.count() == 300


def test_print_logins_only_prints() -> None:
    output = _seed("--print-logins")
    assert "erin" in output and "demo" in output
    carla = next(line for line in output.splitlines() if line.strip().startswith("carla"))
    assert "/portal/" in carla and "de-escalation" in carla
    assert not User.objects.exists()
