"""Writing the outbox: rows live and die with their cause's transaction, once per event."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from accounts.models import Organisation, User
from notifications import services
from notifications.models import Channel, Notification, State
from tests_support.factories import UserFactory

from .conftest import KIND


def warn(recipients: list[User], key: str = "ticket:1:sla_warning", **kwargs: Any) -> list[Notification]:
    return services.notify(
        recipients=recipients,
        kind=KIND,
        context={"reference": "T-1", "summary": "Payroll export"},
        dedup_key=key,
        link="/desk/tickets/1/",
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_it_writes_nothing_and_sends_nothing_when_the_cause_rolls_back(eager: None) -> None:
    erin = UserFactory(username="erin")

    with pytest.raises(RuntimeError), transaction.atomic():
        Organisation.objects.create(name="Acme")
        warn([erin])
        raise RuntimeError("the transition failed after notifying")

    assert not Organisation.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_it_sends_after_the_cause_commits(eager: None) -> None:
    erin = UserFactory(username="erin")

    with transaction.atomic():
        Organisation.objects.create(name="Acme")
        warn([erin])
        assert mail.outbox == []  # nothing leaves before the commit

    assert len(mail.outbox) == 1
    assert Notification.objects.get(channel=Channel.EMAIL).state == State.SENT


def test_it_writes_each_event_once_per_recipient_and_channel(
    db: None, django_capture_on_commit_callbacks: Any, eager: None
) -> None:
    erin, tess = UserFactory(username="erin"), UserFactory(username="tess")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = warn([erin, tess, erin])
        again = warn([erin, tess])

    assert len(first) == 4
    assert again == []  # what a call wrote: the repeat writes nothing
    assert Notification.objects.count() == 4
    # One hand-over of the event's new e-mail rows, none for the repeats.
    assert [callback.args for callback in callbacks] == [([first[0].pk, first[2].pk],)]
    assert len(mail.outbox) == 2
    assert len(warn([erin], key="ticket:1:sla_breach")) == 2  # another event notifies again


def test_a_repeat_of_a_one_row_event_writes_nothing(db: None, eager: None) -> None:
    """One recipient on one channel: a one-row INSERT the constraint drops (Django returns [None])."""
    erin = UserFactory(username="erin")

    first = warn([erin], channels=[Channel.IN_APP])

    assert len(first) == 1
    assert warn([erin], channels=[Channel.IN_APP]) == []
    assert Notification.objects.filter(recipient=erin).count() == 1


def test_it_gives_users_without_an_address_in_app_rows_only(db: None) -> None:
    nobody = UserFactory(username="nomail", email="")

    rows = warn([nobody])

    assert [(n.channel, n.state) for n in rows] == [(Channel.IN_APP, State.SENT)]


def test_it_marks_in_app_rows_delivered_when_written(db: None) -> None:
    erin = UserFactory(username="erin")

    rows = {n.channel: n for n in warn([erin], channels=[Channel.IN_APP, Channel.EMAIL])}

    assert rows[Channel.IN_APP].state == State.SENT
    assert rows[Channel.IN_APP].sent_at is not None and rows[Channel.IN_APP].read_at is None
    assert rows[Channel.EMAIL].state == State.PENDING
    assert rows[Channel.EMAIL].subject == "[T-1] SLA warning: Payroll export"


def test_it_refuses_an_unregistered_kind_or_a_missing_key(db: None) -> None:
    erin = UserFactory(username="erin")

    with pytest.raises(LookupError):
        services.notify(recipients=[erin], kind="no.such.kind", context={}, dedup_key="k")
    with pytest.raises(ValueError):
        services.notify(recipients=[erin], kind=KIND, context={}, dedup_key="")
    with pytest.raises(ValueError):
        services.notify(recipients=[erin], kind=KIND, context={}, dedup_key="k", channels=["sms"])
    assert not Notification.objects.exists()
