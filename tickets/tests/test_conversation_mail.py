"""The conversation by mail (issue 9): who hears of a change, what their mail says and links to,
how it threads, and that nobody hears of their own action."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from accounts.models import User
from cases.models import CaseParticipant, EscalationCase, ParticipantRole
from escalation_desk.domain import InvalidInput, Refused
from notifications import threading
from notifications.models import Channel, Notification, State
from notifications.services import deliver
from tests_support.factories import make_agent, make_customer
from tickets import notices
from tickets.models import Status, Ticket, Watcher
from tickets.services.assignment import ticket_assign
from tickets.services.conversation import ticket_comment, ticket_mark_seen
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import ticket_await_customer, ticket_resolve, ticket_start, ticket_triage
from tickets.services.watchers import ticket_add_cc, ticket_follow, ticket_remove_cc

pytestmark = pytest.mark.django_db

SITE = "https://desk.example.com"


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.SUPPORT_MAIL_ADDRESS = "support@desk.example.com"
    settings.MAIL_MESSAGE_ID_DOMAIN = "desk.example.com"


@pytest.fixture
def staffed(engineer: User, team_leader: User, team_manager: User) -> dict[str, User]:
    """Tier 1 with its leader and manager; the engineer has a signature worth reading."""
    engineer.first_name, engineer.last_name = "Erin", "Engel"
    engineer.title, engineer.phone = "Support engineer", "+44 20 7946 0101"
    engineer.save()
    team_leader.first_name, team_leader.last_name, team_leader.phone = "Tess", "Leader", "+44 20 7946 0202"
    team_leader.save()
    team_manager.first_name, team_manager.last_name, team_manager.phone = (
        "Manny",
        "Manager",
        "+44 20 7946 0303",
    )
    team_manager.save()
    return {"engineer": engineer, "leader": team_leader, "manager": team_manager}


@pytest.fixture
def escalation_manager(db: Any) -> User:
    return make_agent("Escalation manager", username="esme", first_name="Esme", last_name="Holloway")


@pytest.fixture
def worked(ticket: Ticket, staffed: dict[str, User]) -> Ticket:
    """Triaged and taken by the engineer."""
    ticket_triage(ticket=ticket, actor=staffed["engineer"])
    ticket_start(ticket=ticket, actor=staffed["engineer"])
    return ticket


def send_all() -> list[mail.EmailMultiAlternatives]:
    """Deliver every pending e-mail row, as the worker would."""
    mail.outbox.clear()
    for pk in Notification.objects.filter(channel=Channel.EMAIL, state=State.PENDING).values_list(
        "pk", flat=True
    ):
        deliver(notification_id=pk)
    return list(mail.outbox)


def to(address: str, messages: list[Any]) -> list[Any]:
    return [m for m in messages if m.to == [address]]


def html_of(message: Any) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_it_mails_the_customer_every_kind_with_portal_links_signature_and_threading(
    worked: Ticket, customer: User, staffed: dict[str, User], org: Any
) -> None:
    colleague = make_customer(org, username="cody")
    engineer = staffed["engineer"]
    ticket_add_cc(ticket=worked, actor=customer, contact=colleague)
    ticket_comment(
        ticket=worked, actor=engineer, body="SECRET-INTERNAL: the vendor owes us a patch.", is_internal=True
    )
    ticket_comment(ticket=worked, actor=engineer, body="We are rerunning the export with logging on.")
    ticket_await_customer(ticket=worked, actor=engineer, reason="The export log of last night, please.")
    ticket_comment(ticket=worked, actor=customer, body="Here it is, attached.")
    ticket_resolve(
        ticket=worked,
        actor=engineer,
        resolution_summary="Raised the export timeout to 2 h.",
        root_cause="SECRET-CAUSE: a slow vendor API",
        fix_kind="permanent",
    )

    messages = send_all()
    customer_mail = to(customer.email, messages)
    colleague_mail = to(colleague.email, messages)
    kinds = {m.extra_headers["X-Escalation-Desk-Notification"] for m in customer_mail}
    rows = Notification.objects.filter(pk__in=kinds)
    assert sorted(rows.values_list("kind", flat=True)) == [
        "ticket.public_reply",
        "ticket.resolved",
        "ticket.waiting_on_you",
    ]
    assert {
        Notification.objects.get(pk=m.extra_headers["X-Escalation-Desk-Notification"]).kind
        for m in colleague_mail
    } == {"ticket.cc_added", "ticket.public_reply", "ticket.waiting_on_you", "ticket.resolved"}
    assert (
        len([m for m in colleague_mail if "Here it is" in m.body]) == 1
    )  # the requester's reply reached them

    request_url = f"{SITE}/portal/requests/{worked.pk}/"
    root = f"<ticket-{worked.pk}@desk.example.com>"
    for message in customer_mail + colleague_mail:
        html = html_of(message)
        assert f"[{worked.reference}]" in message.subject
        assert request_url in message.body and request_url in html
        assert "/desk/" not in message.body and "/desk/" not in html
        assert "SECRET" not in message.body and "SECRET" not in html
        for words in (
            "Erin Engel",
            "Support engineer",
            "Tier 1",
            "+44 20 7946 0101",
            engineer.email,
            "Team leader: Tess Leader",
            "+44 20 7946 0202",
            "Team manager: Manny Manager",
            "+44 20 7946 0303",
        ):
            assert words in message.body, words
            assert words in html, words
        assert message.extra_headers["In-Reply-To"] == root
        assert message.extra_headers["References"] == root
        assert re.fullmatch(
            rf"<ticket-{worked.pk}\.n\d+@desk\.example\.com>", message.extra_headers["Message-ID"]
        )
        assert message.reply_to == ["support@desk.example.com"]
        parsed = message_from_bytes(message.message().as_bytes(), policy=default_policy)
        assert parsed["Message-ID"] == message.extra_headers["Message-ID"]

    [resolved] = [m for m in customer_mail if "Resolved" in m.subject]
    assert "Raised the export timeout to 2 h." in resolved.body
    assert f"{SITE}/portal/requests/{worked.pk}/confirm/" in resolved.body
    assert f"{SITE}/portal/requests/{worked.pk}/reopen/" in html_of(resolved)
    assert resolved.extra_headers["Auto-Submitted"] == "auto-generated"
    [reply] = [m for m in customer_mail if "replied" in m.subject]
    assert reply.subject == f"[{worked.reference}] Erin Engel replied: {worked.summary}"
    assert "We are rerunning the export" in reply.body
    assert "Auto-Submitted" not in reply.extra_headers  # a person's words, relayed


def test_it_tells_the_assignee_and_everyone_engaged_of_a_customer_reply_but_not_the_customer(
    worked: Ticket, customer: User, staffed: dict[str, User], escalation_manager: User
) -> None:
    sme = make_agent("Subject matter expert", username="sam")
    follower = make_agent("Engineer", username="fola")
    case = EscalationCase.objects.create(
        ticket=worked, reason="production_down", level="team_leader", escalation_manager=escalation_manager
    )
    CaseParticipant.objects.create(
        case=case, user=sme, role=ParticipantRole.SME, engaged_by=escalation_manager
    )
    ticket_follow(ticket=worked, actor=follower)

    ticket_comment(ticket=worked, actor=customer, body="Still failing tonight.")

    told = set(
        Notification.objects.filter(kind="ticket.customer_replied", channel=Channel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {
        staffed["engineer"].username,
        sme.username,
        escalation_manager.username,
        follower.username,
    }
    assert not Notification.objects.filter(recipient=customer).exists()
    entry = Notification.objects.get(
        kind="ticket.customer_replied", channel=Channel.IN_APP, recipient=staffed["engineer"]
    )
    assert entry.link == f"/desk/tickets/{worked.pk}/"
    assert entry.thread == f"ticket-{worked.pk}"
    assert entry.subject == f"[{worked.reference}] {customer} replied: {worked.summary}"


def test_it_tells_the_team_leaders_when_nobody_is_assigned(
    ticket: Ticket, customer: User, staffed: dict[str, User]
) -> None:
    ticket_triage(ticket=ticket, actor=staffed["engineer"])

    ticket_comment(ticket=ticket, actor=customer, body="Any news?")

    told = set(
        Notification.objects.filter(kind="ticket.customer_replied").values_list("recipient", flat=True)
    )
    assert told == {staffed["leader"].pk}


def test_nobody_hears_of_their_own_action(worked: Ticket, customer: User, staffed: dict[str, User]) -> None:
    engineer = staffed["engineer"]
    ticket_follow(ticket=worked, actor=engineer)

    ticket_comment(ticket=worked, actor=engineer, body="Public reply.")
    ticket_comment(ticket=worked, actor=engineer, body="Internal note.", is_internal=True)
    ticket_await_customer(ticket=worked, actor=engineer, reason="Logs please.")

    assert not Notification.objects.filter(recipient=engineer).exists()
    assert Notification.objects.filter(recipient=customer, kind="ticket.public_reply").exists()
    assert not Notification.objects.filter(recipient=customer, kind="ticket.staff_comment").exists()


def test_an_internal_note_reaches_colleagues_never_the_customer(
    worked: Ticket, customer: User, staffed: dict[str, User]
) -> None:
    ticket_comment(
        ticket=worked, actor=staffed["leader"], body="Check the vendor patch first.", is_internal=True
    )

    assert not Notification.objects.filter(recipient=customer).exists()
    [row] = Notification.objects.filter(kind="ticket.staff_comment", channel=Channel.EMAIL)
    assert row.recipient == staffed["engineer"]
    assert row.context["what"] == "an internal note"


def test_the_unread_customer_reply_marker_stays_until_staff_open_it(
    worked: Ticket, customer: User, staffed: dict[str, User]
) -> None:
    ticket_comment(ticket=worked, actor=customer, body="It failed again.")
    worked.refresh_from_db()
    assert worked.unread_customer_reply_at is not None

    assert ticket_mark_seen(ticket=worked, actor=customer) is False
    worked.refresh_from_db()
    assert worked.unread_customer_reply_at is not None
    assert ticket_mark_seen(ticket=worked, actor=staffed["leader"]) is True
    worked.refresh_from_db()
    assert worked.unread_customer_reply_at is None

    ticket_comment(ticket=worked, actor=staffed["engineer"], body="Looking.")
    worked.refresh_from_db()
    assert worked.unread_customer_reply_at is None  # staff replies never set it


def test_a_reply_finds_its_thread_from_the_ids_we_sent(
    worked: Ticket, customer: User, staffed: dict[str, User]
) -> None:
    ticket_comment(ticket=worked, actor=staffed["engineer"], body="Please try again.")
    [sent] = to(customer.email, send_all())
    message_id = sent.extra_headers["Message-ID"]
    thread = f"ticket-{worked.pk}"

    assert threading.threads_named_by([message_id]) == [thread]
    assert threading.threads_named_by([f"<x@elsewhere.example> {sent.extra_headers['References']}"]) == [
        thread
    ]
    assert notices.ticket_of_thread(thread) == worked.pk
    # A made-up id naming another thread for a real row, or another domain, names nothing.
    row_pk = sent.extra_headers["X-Escalation-Desk-Notification"]
    assert threading.threads_named_by([f"<ticket-{worked.pk + 1}.n{row_pk}@desk.example.com>"]) == []
    assert threading.threads_named_by([f"<ticket-{worked.pk}.n{row_pk}@evil.example>"]) == []


def test_team_leaders_assign_engineers_may_not(
    worked: Ticket, staffed: dict[str, User], tier1: Any, other_engineer: User
) -> None:
    colleague = make_agent("Engineer", team=tier1, username="cleo")
    other_leader = make_agent("Team leader", username="olga")
    other_engineer.teams.first().leaders.add(other_leader)

    with pytest.raises(PermissionDenied):
        ticket_assign(ticket=worked, actor=staffed["engineer"], assignee=colleague)
    with pytest.raises(PermissionDenied):
        ticket_assign(ticket=worked, actor=other_leader, assignee=colleague)
    with pytest.raises(InvalidInput):
        ticket_assign(ticket=worked, actor=staffed["leader"], assignee=other_engineer)

    ticket_assign(ticket=worked, actor=staffed["leader"], assignee=colleague)

    worked.refresh_from_db()
    assert worked.assignee == colleague
    event = worked.events.get(kind="assigned")
    assert (event.actor, event.source, event.target) == (staffed["leader"], "erin", "cleo")
    assert (
        Notification.objects.filter(recipient=colleague, kind="ticket.assigned").count() == 2
    )  # mail + inbox
    assert Notification.objects.filter(recipient=staffed["engineer"], kind="ticket.staff_comment").exists()
    assert not Notification.objects.filter(recipient=staffed["leader"]).exists()


def test_customers_copy_in_only_colleagues_of_their_organisation(
    worked: Ticket, customer: User, other_customer: User, org: Any
) -> None:
    with pytest.raises(InvalidInput):
        ticket_add_cc(ticket=worked, actor=customer, contact=other_customer)
    with pytest.raises(PermissionDenied):
        ticket_add_cc(ticket=worked, actor=other_customer, contact=other_customer)
    colleague = make_customer(org, username="cody")

    ticket_add_cc(ticket=worked, actor=customer, contact=colleague)
    ticket_add_cc(ticket=worked, actor=customer, contact=colleague)  # twice is once

    assert list(Watcher.objects.filter(ticket=worked).values_list("user__username", flat=True)) == ["cody"]
    assert worked.events.filter(kind="cc_added", is_public=True).count() == 1
    ticket_remove_cc(ticket=worked, actor=customer, contact=colleague)
    assert not Watcher.objects.filter(ticket=worked).exists()


def test_a_refused_transition_mails_nobody(ticket: Ticket, customer: User, staffed: dict[str, User]) -> None:
    with pytest.raises(Refused):
        ticket_await_customer(ticket=ticket, actor=staffed["engineer"], reason="Logs")  # still new
    assert not Notification.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_ticket_opened_on_the_customers_behalf_gives_them_its_reference(
    org: Any, customer: User, staffed: dict[str, User]
) -> None:
    ticket = ticket_create(
        actor=staffed["engineer"],
        organisation=org,
        requester=customer,
        summary="Printer offline",
        channel="phone",
    )
    own = ticket_create(actor=customer, organisation=org, requester=customer, summary="VPN drops")

    [row] = Notification.objects.filter(kind="ticket.received", channel=Channel.EMAIL)
    assert (row.recipient, row.thread, row.link) == (
        customer,
        f"ticket-{ticket.pk}",
        f"/portal/requests/{ticket.pk}/",
    )
    assert not Notification.objects.filter(thread=f"ticket-{own.pk}").exists()


def test_the_api_copies_colleagues_in_and_reveals_nobody_else(
    worked: Ticket, customer: User, org: Any, other_customer: User
) -> None:
    from rest_framework.test import APIClient

    colleague = make_customer(org, username="cody", first_name="Cody", last_name="Cole")
    api = APIClient()
    api.force_authenticate(customer)
    url = f"/api/tickets/{worked.pk}/copied-in/"

    response = api.post(url, {"contact": colleague.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == [{"id": colleague.pk, "name": "Cody Cole"}]
    refused = api.post(url, {"contact": other_customer.pk}, format="json")
    assert refused.status_code == 400 and "contact" in refused.json()["errors"]
    assert api.get(url).json() == [{"id": colleague.pk, "name": "Cody Cole"}]
    assert api.post(url + "remove/", {"contact": colleague.pk}, format="json").json() == []

    stranger = APIClient()
    stranger.force_authenticate(other_customer)
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"contact": other_customer.pk}, format="json").status_code == 404
