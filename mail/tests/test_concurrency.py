"""The same message handled by several workers at once (two pollers, the MTA retrying while a
poller runs): one ticket, the others recognise it as handled."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import User
from mail.services import receive_message
from tickets.models import Ticket

from .conftest import message

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers (set DATABASE_URL=postgres://…)",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_it_handles_a_message_once_when_four_workers_receive_it_at_once(customer: User) -> None:
    raw = message(subject="Payroll export fails")
    barrier = threading.Barrier(4)
    duplicates: list[bool] = []
    errors: list[str] = []

    def receive() -> None:
        try:
            barrier.wait(timeout=10)
            duplicates.append(receive_message(raw, source="pipe").duplicate)
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(duplicates) == [False, True, True, True]
    assert Ticket.objects.count() == 1
