"""A dead or frozen broker never holds a request or the sweep (issue 10, point 12; SPEC §8).

Against a real Redis of the test's own: killed (connection refused) and frozen (SIGSTOP: the
kernel accepts the connection and nobody answers, as with a hung server or a black-holed
network). An escalation and a comment to 12 recipients answer within a bound, their change
committed and their outbox rows pending; a sweep finishes its batch; after recovery every
notification is delivered exactly once, although the frozen Redis took some publishes while
it was frozen and hands them to a worker when it wakes up.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu import Connection
from rest_framework.test import APIClient

from accounts.models import User
from clocks.models import BusinessCalendar
from clocks.services import clock_start
from clocks.sweep import sweep_due_deadlines
from escalations.models import Handoff
from escalations.tests.conftest import World, world  # noqa: F401  (world is a fixture)
from escalations.tests.test_api import in_tier_1, potential_bug
from notifications import services as notifications
from notifications.models import Channel, Notification, State
from tests_support.broker import RedisServer, celery_publishing_to, redis_server  # noqa: F401  (fixture)
from tests_support.factories import make_agent
from tickets import sla
from tickets.models import Comment, Ticket, Watcher

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
    ),
    pytest.mark.django_db(transaction=True),
]

BOUND_SECONDS = 2.0  # the bound on a request: its own work plus one broker timeout
# BROKER_TIMEOUT_SECONDS is 1 s by default; half of it leaves the request's own work (0.6 s on a
# loaded test machine) a margin under the bound.
BROKER_TIMEOUT = 0.5
RECIPIENTS = 12


@pytest.fixture
def broker(redis_server: RedisServer) -> Iterator[RedisServer]:  # noqa: F811
    with celery_publishing_to(redis_server.url, timeout=BROKER_TIMEOUT):
        yield redis_server


def warm_up(world: World, ticket: Ticket) -> None:  # noqa: F811
    """The process's first request loads URL confs and serializers: not what is measured."""
    api = APIClient()
    api.force_login(world["erin"])
    assert api.get(f"/api/tickets/{ticket.pk}/ladder/").status_code == 200
    assert api.get(f"/api/tickets/{ticket.pk}/comments/").status_code == 200


def followed_by_twelve(ticket: Ticket) -> Ticket:
    for n in range(RECIPIENTS):
        Watcher.objects.create(
            ticket=ticket, user=make_agent("Engineer", username=f"follower{ticket.pk}x{n}")
        )
    return ticket


def tier_2_of_twelve(world: World) -> None:  # noqa: F811
    """Tier 2 (where the escalation goes) has 12 people, who all hear of it."""
    team = world.teams["Tier 2"]
    for n in range(RECIPIENTS - team.members.count() - team.leaders.count()):
        team.members.add(make_agent("Engineer", username=f"tier2x{n}"))


def timed_post(user: User, path: str, data: dict) -> tuple[int, float]:
    api = APIClient()
    api.force_login(user)
    started = time.monotonic()
    response = api.post(path, data, format="json")
    return response.status_code, time.monotonic() - started


def escalate(world: World, ticket: Ticket) -> float:  # noqa: F811
    status, took = timed_post(
        world["erin"],
        f"/api/tickets/{ticket.pk}/escalate/",
        {"criterion": potential_bug(world), "findings": "Rounding looks wrong."},
    )
    assert status == 201
    assert Handoff.objects.filter(ticket=ticket).exists()  # the change committed
    return took


def comment(world: World, ticket: Ticket, body: str) -> float:  # noqa: F811
    status, took = timed_post(
        world["erin"], f"/api/tickets/{ticket.pk}/comments/", {"body": body, "is_internal": True}
    )
    assert status == 201
    assert Comment.objects.filter(ticket=ticket, body=body).exists()
    return took


def email_rows(**filters: object) -> list[Notification]:
    return list(Notification.objects.filter(channel=Channel.EMAIL, **filters).select_related("recipient"))


def overdue_clocks(tickets: list[Ticket]) -> timedelta:
    """First-response clocks of one minute on every ticket; returns when both points are due."""
    always = BusinessCalendar.objects.create(name="always", is_24x7=True, time_zone="UTC")
    for ticket in tickets:
        clock_start(subject=ticket, kind=sla.FIRST_RESPONSE, calendar=always, target_seconds=60)
    return timedelta(minutes=2)


def run_what_the_broker_kept(server: RedisServer) -> int:
    """Be the worker the thawed Redis hands its messages to: run each delivery it holds."""
    ran = 0
    with Connection(server.url) as conn:
        queue = conn.SimpleQueue("celery")
        try:
            while True:
                try:
                    message = queue.get(block=True, timeout=0.5)
                except queue.Empty:
                    break
                args, _kwargs, _embed = message.payload
                assert message.headers["task"] == "notifications.deliver"
                notifications.deliver(notification_id=args[0])
                message.ack()
                ran += 1
        finally:
            queue.close()
    return ran


def assert_each_delivered_once() -> None:
    rows = email_rows()
    assert rows and {row.state for row in rows} == {State.SENT}
    delivered = Counter(message.extra_headers["X-Escalation-Desk-Notification"] for message in mail.outbox)
    assert delivered == Counter(str(row.pk) for row in rows)  # each row once, none twice
    assert Counter(message.to[0] for message in mail.outbox) == Counter(row.recipient.email for row in rows)


def test_it_answers_within_the_bound_with_the_broker_dead_and_delivers_each_once_later(
    world: World,  # noqa: F811
    broker: RedisServer,
) -> None:
    tier_2_of_twelve(world)
    escalated, commented = in_tier_1(world), followed_by_twelve(in_tier_1(world))
    warm_up(world, escalated)
    broker.kill()  # connection refused from now on

    assert escalate(world, escalated) < BOUND_SECONDS
    assert comment(world, commented, "Tried the other printer too.") < BOUND_SECONDS

    assert len(email_rows(kind="escalations.handoff_received")) == RECIPIENTS
    assert len(email_rows(kind="ticket.staff_comment")) >= RECIPIENTS
    assert len(email_rows()) >= 2 * RECIPIENTS and {row.state for row in email_rows()} == {State.PENDING}
    assert mail.outbox == []
    later = timezone.now() + notifications.grace() + timedelta(seconds=1)
    assert notifications.redrive_undelivered(now=later) == len(email_rows())
    assert notifications.redrive_undelivered(now=later + timedelta(minutes=5)) == 0
    assert_each_delivered_once()


def test_it_answers_and_sweeps_within_the_bound_with_the_broker_frozen_and_delivers_each_once_later(
    world: World,  # noqa: F811
    broker: RedisServer,
) -> None:
    tier_2_of_twelve(world)
    escalated, commented = in_tier_1(world), followed_by_twelve(in_tier_1(world))
    swept = [in_tier_1(world) for _ in range(5)]
    due_in = overdue_clocks(swept)
    warm_up(world, escalated)
    comment(world, commented, "Before the freeze.")  # published: Redis holds 12 messages
    before = len(email_rows())
    broker.freeze()
    try:
        # Each is the first to meet the frozen broker (no pause left over from the one before).
        took_escalation = escalate(world, escalated)
        notifications.resume_publishing()
        took_comment = comment(world, commented, "During the freeze.")
        notifications.resume_publishing()
        started = time.monotonic()
        result = sweep_due_deadlines(now=timezone.now() + due_in)
        took_sweep = time.monotonic() - started
    finally:
        broker.thaw()

    assert took_escalation < BOUND_SECONDS
    assert took_comment < BOUND_SECONDS
    assert took_sweep < BOUND_SECONDS and result.fired == 2 * len(swept)  # the whole batch
    assert len(email_rows()) >= before + 2 * RECIPIENTS
    assert mail.outbox == []
    # The thawed Redis hands over what it took, including publishes it got while frozen (their
    # senders timed out); the re-drive sends the rest: each row once.
    assert run_what_the_broker_kept(broker) >= before
    later = timezone.now() + notifications.grace() + timedelta(seconds=1)
    notifications.redrive_undelivered(now=later)
    assert notifications.redrive_undelivered(now=later + timedelta(minutes=5)) == 0
    assert run_what_the_broker_kept(broker) == 0
    assert_each_delivered_once()
