"""The intake: what one inbound message becomes (SPEC §2, §6, §8; docs/email.md)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core import mail as django_mail

from accounts.models import Organisation, Role, User
from cases.models import CaseRequest, EscalationCase
from mail import services
from mail.models import InboundMessage, Outcome
from mail.services import TemporaryFailure, receive_message
from notifications.models import Channel as NotificationChannel
from notifications.models import Notification
from notifications.threading import message_id_for, thread_root_id
from tests_support.factories import TicketFactory, make_agent
from tickets.models import Attachment, Channel, Comment, Status, Ticket, TimelineEvent
from tickets.services import conversation, intake
from tickets.services.lifecycle import ticket_await_customer, ticket_cancel, ticket_start, ticket_triage

from .conftest import ESCALATIONS, message

pytestmark = pytest.mark.django_db


def receive(raw: bytes) -> InboundMessage:
    return receive_message(raw, source="pipe").record


def waiting_on_customer(ticket: Ticket, engineer: User) -> Ticket:
    ticket_triage(ticket=ticket, actor=engineer)
    ticket_start(ticket=ticket, actor=engineer)
    return ticket_await_customer(ticket=ticket, actor=engineer, reason="the export log")


def sent_mail_about(ticket: Ticket, customer: User) -> Notification:
    """A mail we sent the customer about the ticket (its Message-ID is what they reply to)."""
    return Notification.objects.create(
        recipient=customer,
        channel=NotificationChannel.EMAIL,
        kind="ticket.public_reply",
        subject="s",
        dedup_key=f"test:{ticket.pk}",
        thread=f"ticket-{ticket.pk}",
        state="sent",
    )


# --- new requests ---------------------------------------------------------------------------


def test_it_opens_a_ticket_from_a_known_customers_mail_and_tells_them(customer: User) -> None:
    record = receive(
        message(
            subject="Re: Payroll export fails",
            body="The export stops.\n\n-- \nCarla",
            attachments=[("export.log", b"ERR-504\n", "text/plain")],
        )
    )
    ticket = Ticket.objects.get()
    assert record.outcome == Outcome.TICKET and record.ticket == ticket
    assert (ticket.organisation, ticket.requester, ticket.created_by) == (
        customer.organisation,
        customer,
        customer,
    )
    assert ticket.channel == Channel.EMAIL
    assert ticket.summary == "Payroll export fails"
    assert ticket.description.startswith("The export stops.")
    assert [a.original_name for a in Attachment.objects.filter(ticket=ticket)] == ["export.log"]
    assert TimelineEvent.objects.get(ticket=ticket, kind="created").details["channel"] == Channel.EMAIL
    receipt = Notification.objects.get(kind="ticket.received", channel=NotificationChannel.EMAIL)
    assert receipt.recipient == customer and receipt.thread == f"ticket-{ticket.pk}"
    assert record.receipt_sent


def test_it_leaves_the_staff_only_intake_of_a_mailed_request_to_triage(customer: User) -> None:
    receive(
        message(subject="URGENT: payroll down", headers={"Importance": "high", "X-Priority": "1 (Highest)"})
    )

    ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.category_id) == ("", None)


def test_it_writes_the_receipt_with_reference_summary_portal_link_and_signature(customer: User) -> None:
    from notifications.services import render_email

    receive(message(subject="Payroll export fails"))
    ticket = Ticket.objects.get()
    email = render_email(Notification.objects.get(kind="ticket.received", channel=NotificationChannel.EMAIL))
    assert email.subject == f"[{ticket.reference}] We received your request: Payroll export fails"
    for text in (email.body, email.alternatives[0][0]):
        assert ticket.reference in text and "Payroll export fails" in text
        assert f"/portal/requests/{ticket.pk}/" in text
        assert "Reply to this mail to add to it" in text
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert email.to == [customer.email]


def test_it_handles_the_same_message_once(customer: User) -> None:
    raw = message()
    first = receive_message(raw, source="pipe")
    again = receive_message(raw, source="imap://x@host:143/INBOX")
    assert not first.duplicate and again.duplicate
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_it_handles_mail_without_a_message_id_once(customer: User) -> None:
    raw = message(message_id=None)
    receive(raw)
    assert receive_message(raw, source="pipe").duplicate
    assert Ticket.objects.count() == 1


def test_it_names_dropped_attachments_in_a_new_ticket(customer: User, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    record = receive(
        message(
            attachments=[
                ("big.log", b"x" * 5000, "text/plain"),
                ("run.exe", b"MZ", "application/x-msdownload"),
                ("ok.txt", b"fine", "text/plain"),
            ]
        )
    )
    ticket = record.ticket
    assert [a.original_name for a in ticket.attachments.all()] == ["ok.txt"]
    assert record.dropped_files == ["big.log", "run.exe"]
    assert "big.log, run.exe" in ticket.description
    assert "not kept" in record.reason


def test_it_reads_html_only_mail_into_the_description(customer: User) -> None:
    receive(message(body=None, html="<p>Export <b>fails</b></p><p>since Monday</p>"))
    assert Ticket.objects.get().description == "Export fails\nsince Monday"


def test_it_never_raises_on_malformed_mime_from_a_customer(customer: User) -> None:
    raw = (
        b"From: carla@example.com\r\nTo: support@desk.example\r\nSubject: =?x-bad?q?broken?=\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; "
        b"charset=x-klingon\r\n\r\n"
        b"qapla\xe9\r\n--B\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: "
        b"base64\r\n\r\n"
        b"!!!%%%\r\n"
    )
    record = receive(raw)
    assert record.outcome in (Outcome.TICKET, Outcome.DROPPED)
    assert record.reason


def test_it_limits_receipts_to_one_address(customer: User) -> None:
    for n in range(services.RECEIPTS_PER_HOUR + 2):
        receive(message(subject=f"Request {n}"))
    assert Ticket.objects.count() == services.RECEIPTS_PER_HOUR + 2
    assert (
        Notification.objects.filter(kind="ticket.received", channel=NotificationChannel.EMAIL).count()
        == services.RECEIPTS_PER_HOUR
    )
    assert "no receipt sent" in InboundMessage.objects.order_by("pk").last().reason


# --- replies --------------------------------------------------------------------------------


def test_it_adds_a_reply_naming_the_ticket_in_its_subject(
    ticket: Ticket, customer: User, engineer: User
) -> None:
    waiting_on_customer(ticket, engineer)
    body = (
        "Here is the log you asked for.\n\nBest regards,\nCarla\n\n"
        "On Mon, 30 Nov 2026, Escalation Desk <support@desk.example> wrote:\n> We need the export log.\n"
    )
    record = receive(
        message(
            subject=f"Re: [{ticket.reference}] We need something from you: {ticket.summary}",
            body=body,
            attachments=[("export.log", b"ERR-504\n", "text/plain")],
        )
    )
    comment = Comment.objects.get(ticket=ticket)
    assert record.outcome == Outcome.COMMENT and record.comment == comment
    assert comment.author == customer and not comment.is_internal and comment.channel == Channel.EMAIL
    assert comment.body == "Here is the log you asked for."
    assert [a.original_name for a in comment.attachments.all()] == ["export.log"]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the customer's reply resumes the clocks
    assert ticket.unread_customer_reply_at is not None
    assert Ticket.objects.count() == 1


def test_it_adds_a_reply_threaded_by_in_reply_to_alone(ticket: Ticket, customer: User) -> None:
    sent = sent_mail_about(ticket, customer)
    record = receive(
        message(
            subject="Re: your request",
            body="Still failing this morning.",
            headers={"In-Reply-To": message_id_for(sent)},
        )
    )
    assert record.outcome == Outcome.COMMENT
    assert Comment.objects.get(ticket=ticket).body == "Still failing this morning."
    assert "In-Reply-To" in record.reason


def test_it_threads_by_the_thread_root_in_references(ticket: Ticket, customer: User) -> None:
    record = receive(
        message(
            subject="Re: something",
            body="More detail.",
            headers={"References": f"<other@example.com> {thread_root_id(f'ticket-{ticket.pk}')}"},
        )
    )
    assert record.outcome == Outcome.COMMENT and record.ticket == ticket


def test_it_ignores_a_made_up_message_id(ticket: Ticket, customer: User) -> None:
    """An id naming an outbox row of another thread names nothing: a new request."""
    other = TicketFactory(organisation=ticket.organisation, requester=customer)
    sent = sent_mail_about(other, customer)
    forged = f"<ticket-{ticket.pk}.n{sent.pk}@desk.example>"
    record = receive(message(subject="Hello", headers={"In-Reply-To": forged}))
    assert record.outcome == Outcome.TICKET and record.ticket not in (ticket, other)


def test_it_names_dropped_attachments_on_the_comment(ticket: Ticket, customer: User, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    receive(
        message(
            subject=f"[{ticket.reference}] logs",
            body="Attached.",
            attachments=[("huge.log", b"x" * 5000, "text/plain"), ("small.log", b"ok", "text/plain")],
        )
    )
    comment = Comment.objects.get(ticket=ticket)
    assert [a.original_name for a in comment.attachments.all()] == ["small.log"]
    event = TimelineEvent.objects.get(ticket=ticket, kind="comment")
    assert event.details["dropped_files"] == ["huge.log"]


def test_it_opens_a_follow_up_for_a_reply_to_a_closed_ticket(
    ticket: Ticket, customer: User, engineer: User
) -> None:
    ticket_cancel(ticket=ticket, actor=engineer, reason="withdrawn")
    record = receive(message(subject=f"Re: [{ticket.reference}] Payroll", body="It is back."))
    assert record.outcome == Outcome.TICKET
    assert record.ticket.follow_up_of == ticket
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_staff_reply_to_the_customer_is_not_sent_back_to_its_author(ticket: Ticket, customer: User) -> None:
    """The customer's own comment notifies staff, never the customer who wrote it (no loop)."""
    receive(message(subject=f"Re: [{ticket.reference}] x", body="New info."))
    assert not Notification.objects.filter(recipient=customer).exists()


# --- refused without harm -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "yes"},
        {"List-Id": "<x.lists.example.com>"},
        {"Return-Path": "<>"},
    ],
)
def test_an_auto_reply_creates_nothing_and_sends_nothing(
    ticket: Ticket, customer: User, headers: dict[str, str]
) -> None:
    notifications = Notification.objects.count()
    for subject in ("Out of office", f"Re: [{ticket.reference}] Out of office"):
        record = receive(message(subject=subject, headers=headers))
        assert record.outcome == Outcome.DROPPED and "not a person's request" in record.reason
    assert Ticket.objects.count() == 1 and not Comment.objects.exists()
    assert Notification.objects.count() == notifications
    assert django_mail.outbox == []


def test_it_refuses_mailer_daemon_bounces(customer: User) -> None:
    record = receive(
        message(sender="MAILER-DAEMON@example.com", subject="Undelivered Mail Returned to Sender")
    )
    assert record.outcome == Outcome.DROPPED and "bounce" in record.reason
    assert not Ticket.objects.exists()


def test_another_organisations_sender_never_reaches_the_ticket(ticket: Ticket, other_customer: User) -> None:
    record = receive(
        message(
            sender=f"Gus <{other_customer.email}>",
            subject=f"Re: [{ticket.reference}] Payroll",
            body="Let me in.",
        )
    )
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert record.outcome == Outcome.TICKET and record.ticket != ticket
    assert record.ticket.organisation == other_customer.organisation
    assert record.ticket.requester == other_customer
    assert ticket.reference not in record.ticket.summary
    assert "another organisation" in record.reason
    assert not TimelineEvent.objects.filter(ticket=ticket).exclude(kind="created").exists()


def test_another_organisations_sender_threading_by_in_reply_to_never_reaches_the_ticket(
    ticket: Ticket, customer: User, other_customer: User
) -> None:
    sent = sent_mail_about(ticket, customer)
    record = receive(message(sender=other_customer.email, headers={"In-Reply-To": message_id_for(sent)}))
    assert record.ticket != ticket and not Comment.objects.filter(ticket=ticket).exists()


def test_it_rejects_unknown_senders_by_default(org: Organisation) -> None:
    org.domain = "acme.example"
    org.save()
    record = receive(message(sender="stranger@acme.example"))
    assert record.outcome == Outcome.DROPPED and "unknown sender" in record.reason
    assert not Ticket.objects.exists() and not User.objects.filter(email="stranger@acme.example").exists()


def test_it_creates_a_customer_for_an_unknown_sender_of_a_known_domain(
    org: Organisation, settings: Any
) -> None:
    settings.INBOUND_MAIL_UNKNOWN_SENDERS = "create"
    org.domain = "acme.example"
    org.save()
    record = receive(message(sender="Nina New <Nina@Acme.Example>"))
    nina = User.objects.get(email="nina@acme.example")
    assert (nina.organisation, nina.first_name, nina.last_name, nina.is_staff) == (org, "Nina", "New", False)
    assert nina.has_role(Role.CUSTOMER) and not nina.has_usable_password()
    assert (
        record.outcome == Outcome.TICKET
        and record.ticket.requester == nina
        and record.created_customer == nina
    )


def test_it_refuses_an_unknown_sender_whose_domain_no_organisation_has(
    org: Organisation, settings: Any
) -> None:
    settings.INBOUND_MAIL_UNKNOWN_SENDERS = "create"
    record = receive(message(sender="someone@nowhere.example"))
    assert record.outcome == Outcome.DROPPED and "no organisation has the e-mail domain" in record.reason
    assert not User.objects.filter(email="someone@nowhere.example").exists()


def test_it_refuses_staff_senders(ticket: Ticket, engineer: User) -> None:
    record = receive(message(sender=engineer.email, subject=f"Re: [{ticket.reference}] x"))
    assert record.outcome == Outcome.DROPPED and "staff" in record.reason
    assert not Comment.objects.exists()


# --- escalations ------------------------------------------------------------------------------


def test_mail_to_the_escalations_address_naming_a_ticket_opens_an_escalation_request(
    ticket: Ticket, customer: User, engineer: User
) -> None:
    manager = make_agent("Escalation manager", username="emma")
    ticket_triage(ticket=ticket, actor=engineer)
    record = receive(
        message(
            to=f"Support <support@desk.example>, {ESCALATIONS}",
            subject=f"Re: [{ticket.reference}] {ticket.summary}",
            body="Nobody has answered for two days; payroll runs on Friday.",
        )
    )
    case = EscalationCase.objects.get(ticket=ticket)
    request = CaseRequest.objects.get(case=case)
    assert record.outcome == Outcome.ESCALATION and record.case == case
    assert request.channel == Channel.EMAIL and request.requested_by == customer
    assert request.reason == "other"
    assert request.reason_detail == "Nobody has answered for two days; payroll runs on Friday."
    assert request.review_to_complete
    assert Notification.objects.filter(recipient=manager, kind="escalations.case_requested").exists()
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_escalation_mail_delivered_to_the_address_counts_too(ticket: Ticket, customer: User) -> None:
    record = receive(
        message(
            subject=f"[{ticket.reference}] production is down",
            body="Production is down!",
            headers={"Delivered-To": ESCALATIONS},
        )
    )
    assert record.outcome == Outcome.ESCALATION
    assert CaseRequest.objects.get().reason == "production_down"


def test_escalation_mail_naming_no_ticket_opens_a_new_request(customer: User) -> None:
    record = receive(message(to=ESCALATIONS, subject="Escalate!"))
    assert record.outcome == Outcome.TICKET and "without naming a ticket" in record.reason
    assert not EscalationCase.objects.exists()


def test_escalation_mail_naming_another_organisations_ticket_never_escalates_it(
    ticket: Ticket, other_customer: User
) -> None:
    record = receive(
        message(sender=other_customer.email, to=ESCALATIONS, subject=f"[{ticket.reference}] escalate")
    )
    assert not EscalationCase.objects.filter(ticket=ticket).exists()
    assert record.outcome == Outcome.TICKET and record.ticket.organisation == other_customer.organisation


# --- failures -------------------------------------------------------------------------------


def test_a_failure_changes_nothing_and_a_retry_handles_the_message_once(
    ticket: Ticket, customer: User
) -> None:
    raw = message(subject=f"Re: [{ticket.reference}] x", body="Retry me.")
    real = conversation.ticket_comment
    with (
        mock.patch.object(conversation, "ticket_comment", side_effect=RuntimeError("database went away")),
        pytest.raises(TemporaryFailure),
    ):
        receive_message(raw, source="pipe")
    failed = InboundMessage.objects.get()
    assert (failed.outcome, failed.attempts) == (Outcome.FAILED, 1)
    assert "database went away" in failed.reason
    assert not Comment.objects.exists()
    with mock.patch.object(conversation, "ticket_comment", side_effect=real) as comment:
        record = receive(raw)
        assert receive_message(raw, source="pipe").duplicate
    assert comment.call_count == 1
    assert record.outcome == Outcome.COMMENT
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert InboundMessage.objects.get().attempts == 2  # the failed one and the one that worked


def test_it_gives_up_on_a_message_that_always_fails(customer: User) -> None:
    raw = message()
    with mock.patch.object(intake, "ticket_create", side_effect=RuntimeError("bug")):
        for _ in range(services.MAX_ATTEMPTS):
            with pytest.raises(TemporaryFailure):
                receive_message(raw, source="pipe")
        record = receive(raw)
    assert record.outcome == Outcome.DROPPED and "gave up after 5 failed attempts" in record.reason
    assert not Ticket.objects.exists()


def test_colleagues_on_the_mail_are_copied_in_and_strangers_are_not(
    customer: User, other_customer: User
) -> None:
    from tests_support.factories import make_customer
    from tickets.models import Watcher

    colleague = make_customer(customer.organisation, username="cody", email="cody@example.com")
    receive(message(headers={"Cc": f"Cody <cody@example.com>, {other_customer.email}, nobody@example.com"}))

    ticket = Ticket.objects.get()
    assert list(Watcher.objects.filter(ticket=ticket).values_list("user", flat=True)) == [colleague.pk]
    assert "copied in cody@example.com" in InboundMessage.objects.get().reason
