"""Several workers re-driving and delivering the same rows at once: each row is sent once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Channel, Notification, State
from tests_support.factories import UserFactory

from .conftest import KIND

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers (set DATABASE_URL=postgres://…)",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_it_sends_each_row_once_with_four_redrives_and_duplicate_tasks_at_once() -> None:
    people = [UserFactory(username=f"agent{i}") for i in range(10)]
    for n in range(30):
        services.notify(
            recipients=people,
            kind=KIND,
            context={"reference": f"T-{n}"},
            dedup_key=f"ticket:{n}:sla_warning",
            channels=[Channel.EMAIL],
        )
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    ids = list(Notification.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(6)
    errors: list[str] = []

    def redrive() -> None:
        try:
            barrier.wait(timeout=10)
            services.redrive_undelivered()
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(repr(error))
        finally:
            connection.close()

    def duplicate_tasks() -> None:  # the broker delivering every task message twice
        try:
            barrier.wait(timeout=10)
            for pk in ids + ids:
                services.deliver(notification_id=pk)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=redrive) for _ in range(4)]
    threads += [threading.Thread(target=duplicate_tasks) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    sent = Counter(m.extra_headers["X-Escalation-Desk-Notification"] for m in mail.outbox)
    assert len(sent) == 300 and set(sent.values()) == {1}
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}
