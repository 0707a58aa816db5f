"""Password reset: staff in the console, customers in the portal, the mail through the outbox."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import User
from escalation_desk.passwords import KIND
from notifications import services
from notifications.models import Channel, Notification
from tests_support.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def request_reset(site: str, email: str) -> tuple:
    client = Client()
    response = client.post(f"/{site}/password-reset/", {"email": email}, follow=True)
    return client, response


def deliver_all() -> list[Notification]:
    rows = list(Notification.objects.filter(kind=KIND))
    for row in rows:
        services.deliver(notification_id=row.pk)
        row.refresh_from_db()
    return rows


def page_text(response) -> str:
    """The page without its CSRF token (a new one per client)."""
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", response.content.decode())


def link_in(message) -> str:
    found = re.search(r"https?://\S+/password-reset/[^/\s]+/[^/\s]+/", message.body)
    assert found, message.body
    html = message.alternatives[0][0]
    assert found.group(0) in html
    return found.group(0)


def set_password(link: str) -> tuple[Client, object]:
    client = Client()
    path = link.removeprefix(settings.SITE_URL.rstrip("/"))
    form = client.get(path, follow=True)
    if not form.redirect_chain:  # an invalid link is not redirected to the set-password form
        return form, None
    answer = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    return form, answer


@pytest.mark.parametrize(
    ("site", "persona", "look"),
    [
        ("portal", "customer", "Customer support"),
        ("desk", "engineer", "Escalation Desk · tiered support escalation, enforced"),
    ],
)
def test_it_mails_a_link_that_sets_a_new_password(site: str, persona: str, look: str, request) -> None:
    user: User = request.getfixturevalue(persona)

    _client, sent = request_reset(site, user.email.upper())
    rows = deliver_all()
    form, answer = set_password(link_in(mail.outbox[0]))

    assert sent.redirect_chain[-1][0] == f"/{site}/password-reset/sent/"
    assert "Check your inbox" in sent.content.decode() and look in sent.content.decode()
    assert [(row.recipient, row.channel, row.state) for row in rows] == [(user, Channel.EMAIL, "sent")]
    assert rows[0].context["audience"] == ("portal" if site == "portal" else "console")
    assert "token" not in str(rows[0].context) and "/password-reset/" not in str(rows[0].context)
    assert mail.outbox[0].to == [user.email]
    assert link_in(mail.outbox[0]).startswith(f"{settings.SITE_URL.rstrip('/')}/{site}/password-reset/")
    assert "Set a new password" in form.content.decode() and look in form.content.decode()
    assert answer.redirect_chain[-1][0] == f"/{site}/password-reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert (
        Client().post(f"/{site}/login/", {"username": user.username, "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_it_sends_staff_to_the_console_whichever_form_they_used(engineer: User) -> None:
    request_reset("portal", engineer.email)
    deliver_all()

    assert "/desk/password-reset/" in link_in(mail.outbox[0])


def test_it_answers_the_same_for_an_unknown_address_and_sends_nothing(customer: User) -> None:
    _client, unknown = request_reset("portal", "nobody@example.com")
    _client, known = request_reset("portal", customer.email)

    assert unknown.redirect_chain == known.redirect_chain
    assert page_text(unknown) == page_text(known)
    assert Notification.objects.filter(kind=KIND).count() == 1
    assert Notification.objects.get(kind=KIND).recipient == customer


def test_it_sends_nothing_to_an_inactive_user(customer: User) -> None:
    customer.is_active = False
    customer.save()

    request_reset("portal", customer.email)

    assert not Notification.objects.filter(kind=KIND).exists()


def test_a_customer_without_a_password_sets_one(customer: User) -> None:
    customer.set_unusable_password()  # made from an inbound mail (mail/senders.py)
    customer.save()

    request_reset("portal", customer.email)
    deliver_all()
    set_password(link_in(mail.outbox[0]))

    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_the_link_works_once(customer: User) -> None:
    request_reset("portal", customer.email)
    deliver_all()
    link = link_in(mail.outbox[0])
    set_password(link)

    again, answer = set_password(link)

    assert answer is None
    assert "This link has been used already or has expired." in again.content.decode()
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_it_puts_no_reset_notice_in_the_inbox(engineer: User) -> None:
    request_reset("desk", engineer.email)

    assert not Notification.objects.filter(kind=KIND, channel=Channel.IN_APP).exists()


def test_asking_twice_at_once_sends_one_mail(customer: User) -> None:
    request_reset("portal", customer.email)
    request_reset("portal", customer.email)

    assert Notification.objects.filter(kind=KIND).count() == 1


def test_a_reset_lifts_the_users_lock_out(customer: User) -> None:
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        Client().post("/portal/login/", {"username": customer.username, "password": "wrong"})
    assert (
        Client().post("/portal/login/", {"username": customer.username, "password": PASSWORD}).status_code
        == 429
    )

    request_reset("portal", customer.email)
    deliver_all()
    set_password(link_in(mail.outbox[0]))

    assert not AccessAttempt.objects.filter(username=customer.username).exists()
    assert (
        Client().post("/portal/login/", {"username": customer.username, "password": NEW_PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("/desk/login/", "/desk/password-reset/"),
        ("/portal/login/", "/portal/password-reset/"),
        ("/admin/login/", "/admin/password-reset/"),
    ],
)
def test_every_login_page_links_to_the_reset(url: str, link: str, db: None) -> None:
    assert f'href="{link}"' in Client().get(url).content.decode()


def test_admins_reset_link_opens_the_consoles_page(db: None) -> None:
    response = Client().get("/admin/password-reset/")

    assert response.status_code == 302 and response["Location"] == "/desk/password-reset/"
