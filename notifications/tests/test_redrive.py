"""The re-drive: what the broker lost is delivered once when it returns; stale claims expire."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from notifications import services
from notifications.models import Channel, Notification, State
from notifications.tasks import redrive_notifications
from tests_support.factories import UserFactory

from .conftest import KIND


def warn(recipients: list[User], key: str) -> list[Notification]:
    return services.notify(
        recipients=recipients,
        kind=KIND,
        context={"reference": key, "summary": "Payroll export"},
        dedup_key=key,
        link="/desk/tickets/1/",
    )


@pytest.mark.django_db(transaction=True)
def test_it_commits_during_a_broker_outage_and_delivers_once_when_it_returns(
    broker_down: mock.MagicMock, caplog: pytest.LogCaptureFixture
) -> None:
    people = [UserFactory(username=f"agent{i}") for i in range(3)]

    for n in range(4):  # four causes, each in its own transaction, while the broker is down
        with transaction.atomic():
            Organisation.objects.create(name=f"Customer {n}")
            warn(people, key=f"ticket:{n}:sla_warning")

    assert Organisation.objects.count() == 4
    # One failed publish, then the pause: 12 recipients cost one broker timeout, not 12.
    assert broker_down.call_count == 1
    assert broker_down.call_args.kwargs["retry"] is False
    assert "stay pending for the re-drive" in caplog.text
    email = Notification.objects.filter(channel=Channel.EMAIL)
    assert email.count() == 12 and set(email.values_list("state", flat=True)) == {State.PENDING}
    assert Notification.objects.filter(channel=Channel.IN_APP, state=State.SENT).count() == 12
    assert mail.outbox == []

    later = timezone.now() + timedelta(seconds=61)  # past the grace for the lost tasks
    broker_down.side_effect = None  # the broker is back; the beat task runs the re-drive
    assert services.redrive_undelivered(now=later) == 12
    assert services.redrive_undelivered(now=later + timedelta(minutes=5)) == 0

    assert len(mail.outbox) == 12
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people for _ in range(4))
    assert set(email.values_list("state", flat=True)) == {State.SENT}


@pytest.mark.django_db(transaction=True)
def test_it_commits_when_the_real_publish_is_refused(
    unreachable_broker: None, caplog: pytest.LogCaptureFixture
) -> None:
    erin = UserFactory(username="erin")

    with transaction.atomic():
        Organisation.objects.create(name="Acme")
        warn([erin], key="ticket:1:sla_warning")

    assert Organisation.objects.exists()
    assert "Connection refused" in caplog.text and "stay pending" in caplog.text
    assert Notification.objects.get(channel=Channel.EMAIL).state == State.PENDING
    assert mail.outbox == []
    assert services.redrive_undelivered(now=timezone.now() + timedelta(seconds=61)) == 1
    assert len(mail.outbox) == 1


def test_it_leaves_new_rows_to_their_own_task_during_the_grace(db: None) -> None:
    erin = UserFactory(username="erin")
    warn([erin], key="ticket:1:sla_warning")

    assert services.redrive_undelivered(now=timezone.now() + timedelta(seconds=30)) == 0
    assert services.redrive_undelivered(now=timezone.now() + timedelta(seconds=61)) == 1
    assert len(mail.outbox) == 1


def test_it_reclaims_a_stale_sending_row_after_the_lease(db: None) -> None:
    erin = UserFactory(username="erin")
    [row] = [n for n in warn([erin], key="ticket:1:sla_warning") if n.channel == Channel.EMAIL]
    claimed_at = timezone.now()
    # A worker claimed the row and died before sending.
    Notification.objects.filter(pk=row.pk).update(
        state=State.SENDING, next_attempt_at=claimed_at + services.lease()
    )

    assert services.redrive_undelivered(now=claimed_at + timedelta(minutes=9)) == 0
    assert services.redrive_undelivered(now=claimed_at + timedelta(minutes=10, seconds=1)) == 1

    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.SENT, 1)
    assert row.last_error == ""  # cleared once sent
    assert len(mail.outbox) == 1


def test_it_gives_up_a_row_whose_worker_keeps_dying(db: None, settings: Any) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    erin = UserFactory(username="erin")
    [row] = [n for n in warn([erin], key="ticket:1:sla_warning") if n.channel == Channel.EMAIL]
    Notification.objects.filter(pk=row.pk).update(
        state=State.SENDING, attempts=1, next_attempt_at=timezone.now()
    )

    assert services.redrive_undelivered(now=timezone.now() + timedelta(seconds=1)) == 0

    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, 2)
    assert "lease expired" in row.last_error


def test_it_redrives_from_the_command_and_the_beat_task(db: None) -> None:
    erin, tess = UserFactory(username="erin"), UserFactory(username="tess")
    Notification.objects.filter(pk__in=[n.pk for n in warn([erin], key="a")]).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    Notification.objects.filter(pk__in=[n.pk for n in warn([tess], key="b")]).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    out = StringIO()

    call_command("redrive_notifications", "--limit", "1", stdout=out)
    assert out.getvalue().strip() == "1 notification sent"
    assert redrive_notifications() == 1
    assert redrive_notifications() == 0
    assert len(mail.outbox) == 2


def test_it_schedules_the_redrive_with_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-redrive"]

    assert entry["task"] == "notifications.redrive"
    assert entry["schedule"] == float(settings.NOTIFICATIONS_REDRIVE_SECONDS)


def test_it_gives_a_failed_row_one_more_try_from_the_admin(
    admin_client: Any, db: None, settings: Any
) -> None:
    erin = UserFactory(username="erin")
    [row] = [n for n in warn([erin], key="ticket:1:sla_warning") if n.channel == Channel.EMAIL]
    Notification.objects.filter(pk=row.pk).update(state=State.FAILED, attempts=5, last_error="SMTP down")

    response = admin_client.post(
        "/admin/notifications/notification/",
        {"action": "redrive_selected", "_selected_action": [row.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 notification sent." in response.content.decode()
    row.refresh_from_db()
    assert row.state == State.SENT
    assert len(mail.outbox) == 1
    assert admin_client.get(f"/admin/notifications/notification/?state=sent&kind={KIND}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_leaves_the_broker_alone_during_the_pause_and_tries_again_after_it(
    broker_down: mock.MagicMock, settings: Any
) -> None:
    settings.NOTIFICATIONS_PUBLISH_PAUSE_SECONDS = 10
    people = [UserFactory(username=f"agent{i}") for i in range(3)]
    started = time.monotonic()

    with transaction.atomic():
        warn(people, key="first")
    with transaction.atomic():  # a moment later: nobody waits on the broker
        warn(people, key="second")
    assert broker_down.call_count == 1
    # The pause is over: one try, which fails and pauses again.
    with mock.patch("notifications.services.time.monotonic", return_value=started + 11), transaction.atomic():
        warn(people, key="third")
    assert broker_down.call_count == 2

    broker_down.side_effect = None  # the broker is back once the pause is over
    with mock.patch("notifications.services.time.monotonic", return_value=started + 22), transaction.atomic():
        warn(people, key="fourth")
    assert broker_down.call_count == 5
    pending = Notification.objects.filter(channel=Channel.EMAIL, state=State.PENDING)
    assert pending.count() == 12  # the mocked publish ran nothing; the re-drive sends them all
