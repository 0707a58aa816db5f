"""`manage.py seed_demo`: idempotent, every state present, consistent timelines, demo logins."""

from __future__ import annotations

from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Organisation, Role, Team, User
from tickets import demo
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


def _assert_timelines_consistent() -> None:
    tickets = Ticket.objects.all()
    events: dict[int, list[TimelineEvent]] = {}
    for event in TimelineEvent.objects.order_by("at", "pk"):
        events.setdefault(event.ticket_id, []).append(event)
    for ticket in tickets:
        timeline = events.get(ticket.pk, [])
        assert timeline and timeline[0].kind == "created", ticket.summary
        transitions = [e for e in timeline if e.target]
        assert transitions[-1].target == ticket.status, ticket.summary
        # Each transition starts where the previous one ended.
        for before, after in pairwise(transitions):
            assert after.source == before.target, (ticket.summary, before.kind, after.kind)


def test_seed_is_idempotent_and_covers_every_state() -> None:
    output = _seed()
    assert "Demo tickets" in output and "100%" in output  # the progress bar
    first = _counts()
    assert first["tickets"] == len(demo.DEMO_TICKETS) >= 25
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

    for username, _role in demo.DEMO_LOGINS:
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None, username


def test_tickets_option_tops_up_with_consistent_rows() -> None:
    _seed("--tickets", "300")
    assert Ticket.objects.count() == 300
    _assert_timelines_consistent()
    bulk = Ticket.objects.exclude(summary__in=[t.summary for t in demo.DEMO_TICKETS])
    assert bulk.count() == 300 - len(demo.DEMO_TICKETS)
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
    assert not User.objects.exists()
