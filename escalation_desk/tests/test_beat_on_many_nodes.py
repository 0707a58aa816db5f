"""Beat may run on several nodes (issue 10, point 18): every beat job, run twice at once, does its
work once, so two beats sending each job is no double work and losing one beat is no outage.

Every entry of CELERY_BEAT_SCHEDULE (as production builds it, mailboxes configured) must have a
scenario here: a new beat job without one fails `test_every_beat_job_is_shown_safe_to_duplicate`.
Each scenario prepares data, runs the job's task twice concurrently (threads, each with its own
database connection) and asserts the effect happened once.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from cases.models import DailyReport
from cases.tasks import send_daily_report
from clocks.models import BusinessCalendar, Deadline, DeadlineState
from clocks.services import clock_start
from clocks.tasks import sweep_deadlines
from mail.models import InboundMessage
from mail.tasks import fetch
from mail.tests.conftest import ImapFolder, imap_mailbox, mail_settings, message  # noqa: F401  (fixtures)
from notifications import registry
from notifications.models import Channel, Notification, State
from notifications.services import notify
from notifications.tasks import redrive_notifications
from tests_support.factories import TicketFactory, make_agent
from tickets import sla
from tickets.models import Ticket, TimelineEvent

needs_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers (set DATABASE_URL=postgres://…)",
    ),
]


def production_schedule() -> dict[str, dict[str, Any]]:
    """CELERY_BEAT_SCHEDULE as a production node builds it: with inbound mailboxes configured."""
    from escalation_desk import settings as settings_module

    with mock.patch.dict(os.environ, {"INBOUND_MAIL_URLS": "imap://u:p@127.0.0.1:10143/INBOX"}):
        try:
            return dict(importlib.reload(settings_module).CELERY_BEAT_SCHEDULE)
        finally:
            importlib.reload(settings_module)


def twice_at_once(job: Callable[[], Any]) -> list[Any]:
    """Run `job` in two threads released together, as two beats' messages on two workers."""
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == 2
    return results


def delivered_once() -> Counter[str]:
    delivered = Counter(m.extra_headers["X-Escalation-Desk-Notification"] for m in mail.outbox)
    assert set(delivered.values()) <= {1}, delivered
    return delivered


def deadline_sweep(request: pytest.FixtureRequest) -> None:
    """Two sweeps over the same due deadlines: each fires once (one warning, one breach a ticket)."""
    ticket: Ticket = request.getfixturevalue("ticket")
    always = BusinessCalendar.objects.create(name="always", is_24x7=True, time_zone="UTC")
    tickets = [
        ticket,
        *(
            TicketFactory(
                organisation=ticket.organisation,
                requester=ticket.requester,
                created_by=ticket.created_by,
                service=ticket.service,
                category=ticket.category,
            )
            for _ in range(9)
        ),
    ]
    for each in tickets:
        clock_start(
            subject=each,
            kind=sla.FIRST_RESPONSE,
            calendar=always,
            target_seconds=60,
            at=timezone.now() - timedelta(minutes=5),
        )

    results = twice_at_once(sweep_deadlines)

    assert sum(result["fired"] for result in results) == 2 * len(tickets)
    assert Deadline.objects.filter(state=DeadlineState.FIRED).count() == 2 * len(tickets)
    assert not Deadline.objects.filter(state=DeadlineState.PENDING).exists()
    events = Counter(
        TimelineEvent.objects.filter(kind__in=["sla_warning", "sla_breach"]).values_list("ticket_id", "kind")
    )
    assert events == Counter(
        {(each.pk, kind): 1 for each in tickets for kind in ("sla_warning", "sla_breach")}
    )


def notifications_redrive(request: pytest.FixtureRequest) -> None:
    """Two re-drives over the same undelivered rows: each mail goes out once."""
    request.getfixturevalue("db")
    registry.register("test.beat_reminder", subject="Reminder {{ n }}")
    request.addfinalizer(lambda: registry.unregister("test.beat_reminder"))
    people = [make_agent("Engineer", username=f"agent{n}") for n in range(5)]
    for n in range(6):
        notify(
            recipients=people,
            kind="test.beat_reminder",
            context={"n": n},
            dedup_key=f"beat:{n}",
            channels=(Channel.EMAIL,),
        )
    rows = Notification.objects.filter(channel=Channel.EMAIL)
    rows.update(created_at=timezone.now() - timedelta(minutes=5))  # their tasks were lost
    mail.outbox.clear()

    results = twice_at_once(redrive_notifications)

    assert sum(results) == 30
    assert delivered_once() == Counter(str(pk) for pk in rows.values_list("pk", flat=True))
    assert set(rows.values_list("state", flat=True)) == {State.SENT}


def next_report_moment() -> datetime:
    """The next weekday, an hour after DAILY_REPORT_HOUR, local time."""
    moment = timezone.localtime() + timedelta(days=1)
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment.replace(hour=min(settings.DAILY_REPORT_HOUR + 1, 23), minute=0, second=0, microsecond=0)


def daily_report(request: pytest.FixtureRequest) -> None:
    """Two daily-report jobs at the same look: one report, one mail to each escalation manager."""
    request.getfixturevalue("db")
    managers = [make_agent(str(Role.ESCALATION_MANAGER), username=f"em{n}") for n in range(3)]

    with time_machine.travel(next_report_moment(), tick=True):
        results = twice_at_once(send_daily_report)

    assert sorted(result.split(" for ")[0] for result in results) == ["not due", "sent"]
    assert DailyReport.objects.count() == 1
    delivered_once()
    emails = Notification.objects.filter(kind="escalations.daily_report", channel=Channel.EMAIL)
    assert sorted(emails.values_list("recipient__username", flat=True)) == sorted(
        u.username for u in managers
    )


def mail_fetch(request: pytest.FixtureRequest) -> None:
    """Two polls of the same mailbox at once: the message becomes one ticket and is marked seen."""
    request.getfixturevalue("mail_settings")
    box: ImapFolder = request.getfixturevalue("imap_mailbox")
    customer: User = request.getfixturevalue("customer")
    box.deliver(message(sender=f"Carla Customer <{customer.email}>", subject="Payroll export fails"))

    twice_at_once(fetch)

    assert list(Ticket.objects.values_list("summary", flat=True)) == ["Payroll export fails"]
    assert InboundMessage.objects.count() == 1
    assert box.unseen() == 0


# Beat's task name → a scenario: prepare the data, run the job twice at once, check it happened once.
SCENARIOS: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "clocks.sweep_deadlines": deadline_sweep,
    "notifications.redrive": notifications_redrive,
    "escalations.daily_report": daily_report,
    "mail.fetch": mail_fetch,  # the real test IMAP server (TEST_IMAP_URL, .ci/dovecot)
}


def test_every_beat_job_is_shown_safe_to_duplicate() -> None:
    for schedule in (production_schedule(), settings.CELERY_BEAT_SCHEDULE):
        tasks = {entry["task"] for entry in schedule.values()}
        assert tasks <= set(SCENARIOS), (
            f"beat jobs without a duplicate-run scenario: {tasks - set(SCENARIOS)}"
        )
    assert set(SCENARIOS) == {entry["task"] for entry in production_schedule().values()}
    # A job that waited longer than its interval is superseded: no backlog replayed after an outage.
    assert all(entry["options"]["expires"] == entry["schedule"] for entry in production_schedule().values())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "task",
    [
        pytest.param(task, marks=[*needs_postgres, *([pytest.mark.imap] if task == "mail.fetch" else [])])
        for task in sorted(SCENARIOS)
    ],
)
def test_it_does_the_work_of_a_beat_job_once_when_two_beats_send_it(
    task: str, request: pytest.FixtureRequest
) -> None:
    SCENARIOS[task](request)
