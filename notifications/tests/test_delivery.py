"""Delivering e-mail rows: one message with text and HTML, once, retried with backoff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from notifications import registry, services
from notifications.models import Channel, Notification, State
from notifications.tasks import deliver_notification
from tests_support.factories import UserFactory

from .backends import FailingBackend
from .conftest import KIND

pytestmark = pytest.mark.django_db


def email_row(user: User, key: str = "ticket:1:sla_warning", kind: str = KIND) -> Notification:
    [row] = services.notify(
        recipients=[user],
        kind=kind,
        context={"reference": "T-1", "summary": "Payroll export", "message": "Time left: 30 minutes."},
        dedup_key=key,
        channels=[Channel.EMAIL],
        link="/desk/tickets/1/",
    )
    return row


@pytest.fixture
def erin() -> User:
    return UserFactory(username="erin", first_name="Erin", last_name="Engel", email="erin@example.com")


def test_it_sends_one_email_with_text_and_html(
    erin: User, django_capture_on_commit_callbacks: Any, eager: None, settings: Any
) -> None:
    settings.SITE_URL = "https://desk.example"
    with django_capture_on_commit_callbacks(execute=True):
        row = email_row(erin)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erin@example.com"]
    assert message.subject == "[T-1] SLA warning: Payroll export"
    assert "Hello Erin Engel" in message.body and "Time left: 30 minutes." in message.body
    assert "https://desk.example/desk/tickets/1/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert '<a href="https://desk.example/desk/tickets/1/">' in html
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 0, "")
    assert row.sent_at is not None


def test_it_sends_once_when_the_task_runs_twice(erin: User) -> None:
    row = email_row(erin)

    deliver_notification(row.pk)
    deliver_notification(row.pk)

    assert len(mail.outbox) == 1


def test_it_leaves_a_row_another_worker_claimed(erin: User) -> None:
    row = email_row(erin)
    Notification.objects.filter(pk=row.pk).update(
        state=State.SENDING, next_attempt_at=timezone.now() + timedelta(minutes=10)
    )

    assert services.deliver(notification_id=row.pk) is False
    assert mail.outbox == []


def test_it_retries_with_backoff_then_gives_up(erin: User, failing_smtp: None, settings: Any) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_BACKOFF_SECONDS = 60
    FailingBackend.attempts = 0
    row = email_row(erin)
    now = timezone.now()

    assert services.deliver(notification_id=row.pk, now=now) is False
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.PENDING, 1)
    assert "SMTPServerDisconnected" in row.last_error
    first_wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < first_wait <= timedelta(seconds=60)

    # Not before its backoff has passed, whoever asks.
    assert services.deliver(notification_id=row.pk, now=now + timedelta(seconds=30)) is False
    assert services.redrive_undelivered(now=now + timedelta(seconds=30)) == 0
    assert FailingBackend.attempts == 1

    now += timedelta(seconds=61)
    assert services.redrive_undelivered(now=now) == 0
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.PENDING, 2)
    assert timedelta(seconds=115) < row.next_attempt_at - timezone.now() <= timedelta(seconds=120)

    now += timedelta(seconds=121)
    services.redrive_undelivered(now=now)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, 3)
    assert services.redrive_undelivered(now=now + timedelta(days=1)) == 0
    assert FailingBackend.attempts == 3
    assert mail.outbox == []


def test_it_caps_the_backoff(settings: Any) -> None:
    settings.NOTIFICATIONS_BACKOFF_SECONDS = 60
    settings.NOTIFICATIONS_BACKOFF_CAP_SECONDS = 3600

    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [
        60,
        120,
        240,
        1920,
        3600,
        3600,
    ]


def test_it_renders_a_kinds_own_templates_and_its_signature(erin: User) -> None:
    registry.register(
        "test.customer_update",
        subject="Update on {{ reference }}",
        text_template="notifications/email/generic.txt",
        html_template="notifications/email/generic.html",
        signature=lambda n: "Erin Engel, Tier 1\nTeam leader: Tess (tess@example.com)",
    )
    try:
        row = email_row(erin, key="ticket:1:update", kind="test.customer_update")
        services.deliver(notification_id=row.pk)
    finally:
        registry.unregister("test.customer_update")

    [message] = mail.outbox
    assert message.subject == "Update on T-1"
    assert "-- \nErin Engel, Tier 1\nTeam leader: Tess (tess@example.com)" in message.body
    assert "Team leader: Tess" in message.alternatives[0][0]


def test_it_still_sends_a_row_whose_kind_is_no_longer_registered(erin: User) -> None:
    row = email_row(erin)
    registry.unregister(KIND)

    assert services.deliver(notification_id=row.pk) is True
    assert mail.outbox[0].subject == "[T-1] SLA warning: Payroll export"


def test_it_fails_a_row_whose_recipient_lost_their_address(erin: User, settings: Any) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    row = email_row(erin)
    User.objects.filter(pk=erin.pk).update(email="")

    services.deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert row.state == State.FAILED
    assert "no e-mail address" in row.last_error
