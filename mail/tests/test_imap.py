"""IMAP round trips against a real server (Dovecot, .ci/dovecot): messages are APPENDed to a
private folder and `fetch_mail` polls it, as beat's `mail.fetch` does in production."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core import mail as django_mail
from django.core.management import call_command

from accounts.models import User
from mail import imap
from mail.models import InboundMessage, Outcome
from mail.tasks import fetch
from notifications.models import Channel as NotificationChannel
from notifications.models import Notification
from notifications.threading import message_id_for
from tests_support.factories import TicketFactory
from tickets.models import Comment, Ticket
from tickets.services import conversation

from .conftest import ImapFolder, message

# Real commits: "marked seen only after the ticket change has committed" is what is tested.
pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def fetch_mail() -> str:
    out = io.StringIO()
    call_command("fetch_mail", stdout=out)
    return out.getvalue()


def test_it_turns_a_new_mail_into_a_ticket_and_marks_it_seen(
    imap_mailbox: ImapFolder, customer: User
) -> None:
    imap_mailbox.deliver(message(subject="Payroll export fails", body="It stops half way."))
    assert imap_mailbox.unseen() == 1
    out = fetch_mail()
    ticket = Ticket.objects.get()
    assert (ticket.summary, ticket.requester, ticket.channel) == ("Payroll export fails", customer, "email")
    assert imap_mailbox.unseen() == 0
    assert "1 handled" in out
    record = InboundMessage.objects.get()
    assert record.source == imap_mailbox.url.replace(f":{imap_mailbox.password}", "")
    assert imap_mailbox.password not in record.source
    assert Notification.objects.filter(kind="ticket.received", recipient=customer).exists()


def test_it_threads_replies_by_subject_reference_and_by_in_reply_to_alone(
    imap_mailbox: ImapFolder, customer: User
) -> None:
    ticket = TicketFactory(organisation=customer.organisation, requester=customer)
    sent = Notification.objects.create(
        recipient=customer,
        channel=NotificationChannel.EMAIL,
        kind="ticket.public_reply",
        subject="s",
        dedup_key="t",
        thread=f"ticket-{ticket.pk}",
        state="sent",
    )
    imap_mailbox.deliver(message(subject=f"Re: [{ticket.reference}] {ticket.summary}", body="By subject."))
    imap_mailbox.deliver(
        message(
            subject="Re: your mail", body="By In-Reply-To.", headers={"In-Reply-To": message_id_for(sent)}
        )
    )
    fetch_mail()
    assert sorted(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == [
        "By In-Reply-To.",
        "By subject.",
    ]
    assert Ticket.objects.count() == 1
    assert imap_mailbox.unseen() == 0


def test_an_auto_reply_creates_nothing_and_sends_nothing(imap_mailbox: ImapFolder, customer: User) -> None:
    imap_mailbox.deliver(
        message(subject="Automatic reply: Out of office", headers={"Auto-Submitted": "auto-replied"})
    )
    fetch_mail()
    assert not Ticket.objects.exists()
    assert not Notification.objects.exists() and django_mail.outbox == []
    assert InboundMessage.objects.get().outcome == Outcome.DROPPED
    assert imap_mailbox.unseen() == 0  # handled (dropped on purpose): not fetched again


def test_a_message_that_fails_half_way_is_handled_once_after_a_retry(
    imap_mailbox: ImapFolder, customer: User
) -> None:
    ticket = TicketFactory(organisation=customer.organisation, requester=customer)
    imap_mailbox.deliver(message(subject=f"Re: [{ticket.reference}] x", body="Once, please."))
    real = conversation.ticket_comment
    with mock.patch.object(conversation, "ticket_comment", side_effect=RuntimeError("worker killed")):
        out = fetch_mail()
    assert "1 to retry" in out
    assert not Comment.objects.exists() and imap_mailbox.unseen() == 1
    with mock.patch.object(conversation, "ticket_comment", side_effect=real) as comment:
        fetch_mail()
        fetch_mail()
    assert comment.call_count == 1
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert imap_mailbox.unseen() == 0


def test_a_crash_between_commit_and_marking_seen_only_marks_it_seen_next_time(
    imap_mailbox: ImapFolder, customer: User
) -> None:
    imap_mailbox.deliver(message(subject="Payroll export fails"))
    with (
        mock.patch.object(imap, "_mark_seen", side_effect=ConnectionResetError("connection lost")),
        pytest.raises(Exception, match="could not be polled"),
    ):
        fetch_mail()
    assert Ticket.objects.count() == 1 and imap_mailbox.unseen() == 1  # committed, not yet seen
    out = fetch_mail()
    assert "1 already handled" in out
    assert Ticket.objects.count() == 1 and imap_mailbox.unseen() == 0
    assert Notification.objects.filter(kind="ticket.received", channel=NotificationChannel.EMAIL).count() == 1


def test_another_organisations_sender_quoting_a_reference_never_reaches_that_ticket(
    imap_mailbox: ImapFolder, customer: User, other_customer: User
) -> None:
    ticket = TicketFactory(organisation=customer.organisation, requester=customer)
    imap_mailbox.deliver(
        message(sender=other_customer.email, subject=f"Re: [{ticket.reference}] {ticket.summary}")
    )
    fetch_mail()
    assert not Comment.objects.filter(ticket=ticket).exists()
    created = Ticket.objects.exclude(pk=ticket.pk).get()
    assert created.organisation == other_customer.organisation


def test_the_beat_task_polls_the_configured_mailboxes(imap_mailbox: ImapFolder, customer: User) -> None:
    imap_mailbox.deliver(message())
    assert fetch() == [
        f"{imap.parse_mailbox_url(imap_mailbox.url).label}: 1 handled, 0 already handled, 0 to retry"
    ]
    assert Ticket.objects.count() == 1


def test_an_unreachable_mailbox_is_reported_and_the_others_still_polled(
    imap_mailbox: ImapFolder, customer: User, settings: object
) -> None:
    settings.INBOUND_MAIL_URLS = ["imap://nobody:x@127.0.0.1:1/INBOX", imap_mailbox.url]  # type: ignore[attr-defined]
    imap_mailbox.deliver(message())
    reports = imap.fetch_all()
    assert reports[0].error and not reports[1].error
    assert Ticket.objects.count() == 1
