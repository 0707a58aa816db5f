"""One event's rows in one INSERT … ON CONFLICT DO NOTHING, and one e-mail per person per sweep."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.batching import batched_emails
from notifications.models import Channel, Notification, State
from tests_support.factories import UserFactory

from .conftest import KIND

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def _event(people: list, n: int = 1, **kwargs: object) -> list[Notification]:
    return services.notify(
        recipients=people,
        kind=KIND,
        context={"reference": f"T-{n}", "summary": "Printer", "message": f"Item {n}"},
        dedup_key=f"ticket:{n}:sla_warning",
        **kwargs,
    )


def _queries(count: int, n: int) -> tuple[int, int]:
    people = [UserFactory(username=f"p{n}-{i}") for i in range(count)]
    with CaptureQueriesContext(connection) as seen:
        rows = _event(people, n)
    assert len(rows) == 2 * count  # an e-mail and an in-app row each
    inserts = [q for q in seen.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    return len(inserts), len(seen.captured_queries)


def test_one_event_is_one_insert_whatever_the_number_of_recipients() -> None:
    few_inserts, few = _queries(2, 1)
    many_inserts, many = _queries(12, 2)
    assert few_inserts == many_inserts == 1
    assert few == many


def test_the_same_event_again_writes_and_sends_nothing_more(eager: None, commits: Any) -> None:
    people = [UserFactory(username=f"again{i}") for i in range(3)]
    with commits(execute=True):
        first = _event(people)
    with commits(execute=True):
        again = _event(people)
    assert len(first) == 6
    assert again == []  # notify() returns what it wrote: nothing, the event was told already
    assert Notification.objects.count() == 6
    assert len(mail.outbox) == 3


def test_nobody_hears_of_their_own_action_and_each_person_once() -> None:
    actor, other = UserFactory(username="actor"), UserFactory(username="other")
    rows = _event([actor, other, other], exclude=[actor])
    assert {(row.recipient.username, row.channel) for row in rows} == {
        ("other", Channel.EMAIL),
        ("other", Channel.IN_APP),
    }


def test_a_sweep_sends_one_digest_per_person_with_each_item(eager: None, commits: Any) -> None:
    ann, bob, actor = (UserFactory(username=name) for name in ("ann", "bob", "actor"))
    with commits(execute=True), batched_emails():
        for n in (1, 2, 3):
            with transaction.atomic():  # each deadline is its own transaction
                _event([ann, actor] if n != 3 else [bob, actor], n, exclude=[actor])
        with pytest.raises(RuntimeError), transaction.atomic():  # a deadline that rolled back
            _event([ann], 4)
            raise RuntimeError
    by_person = {message.to[0]: message for message in mail.outbox}
    assert len(mail.outbox) == 2 and set(by_person) == {ann.email, bob.email}
    digest = by_person[ann.email]
    assert "Item 1" in digest.body and "Item 2" in digest.body and "Item 4" not in digest.body
    assert "2 notices" in digest.subject
    assert by_person[bob.email].subject == "[T-3] SLA warning: Printer"  # a lone item is itself
    assert set(Notification.objects.filter(channel=Channel.EMAIL).values_list("state", flat=True)) == {
        State.SENT
    }
    assert not Notification.objects.filter(recipient=actor).exists()


def test_a_digest_that_fails_leaves_each_row_to_the_redrive(
    eager: None, failing_smtp: None, commits: Any
) -> None:
    ann = UserFactory(username="ann")
    with commits(execute=True), batched_emails():
        _event([ann], 1, channels=[Channel.EMAIL])
        _event([ann], 2, channels=[Channel.EMAIL])
    rows = Notification.objects.all()
    assert {(row.state, row.attempts) for row in rows} == {(State.PENDING, 1)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers")
def test_two_connections_writing_the_same_event_at_once_write_it_once() -> None:
    people = [UserFactory(username=f"race{i}") for i in range(8)]
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def write() -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                _event(people)
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Notification.objects.count() == 16
