"""Browser journeys: a customer locked out of the portal resets their password; the console's pages on a
phone."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail

from escalation_desk.passwords import KIND
from notifications import services
from notifications.models import Notification
from tests_support.browser import Shots
from tests_support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-brand-new-passphrase-42"


def mailed_path() -> str:
    """Deliver the reset mail (the test's worker) and return its link's path on the live server."""
    row = Notification.objects.get(kind=KIND)
    services.deliver(notification_id=row.pk)
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", mail.outbox[-1].body).group(0)
    return link.removeprefix(settings.SITE_URL.rstrip("/"))


@pytest.mark.parametrize("width", [1366, 390])
def test_a_locked_out_customer_resets_their_password(page, customer, width: int) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 860})
    shots = Shots(page, f"password_reset_portal_{width}")
    page.goto("/portal/login/")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        page.fill("input[name=username]", customer.username)
        page.fill("input[name=password]", "not-my-password")
        page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    expect(page.get_by_text("Try again after 15 minutes")).to_be_visible()
    shots("locked-out")

    page.get_by_role("link", name="Set a new password").click()
    page.fill("input[name=email]", customer.email)
    shots("reset-request")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    shots("reset-sent")

    page.goto(mailed_path())
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    shots("new-password")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()
    shots("done")

    page.get_by_role("link", name="Sign in").last.click()
    page.fill("input[name=username]", customer.username)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Your organisation's requests")).to_be_visible()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_consoles_lock_out_and_reset_pages(page, engineer, width: int) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 860})
    shots = Shots(page, f"password_reset_desk_{width}")
    page.goto("/desk/login/")
    shots("login")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        page.fill("input[name=username]", engineer.username)
        page.fill("input[name=password]", "not-my-password")
        page.click("button[type=submit]")
    page.goto("/desk/login/")
    page.fill("input[name=username]", engineer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    shots("locked-out")

    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=email]", engineer.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    shots("reset-sent")
    page.goto(mailed_path())
    shots("new-password")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    page.get_by_role("link", name="Sign in").last.click()
    page.fill("input[name=username]", engineer.username)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
