"""Browser journey: a customer sends files over the upload limit; the 413 page says why, and
going back keeps what they typed (issue 10 point 11). Screenshots at 1366 and 390 px."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests_support.factories import PASSWORD
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(UPLOAD_MAX_REQUEST_BYTES=100_000)
@pytest.mark.parametrize("width", [1366, 390])
def test_it_refuses_files_over_the_limit_and_keeps_what_was_typed(
    page, shots, customer, service, tmp_path, width: int
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/portal/")
    page.fill("input[name=username]", customer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Ask us for help").first.click()
    big = tmp_path / "capture.log"
    big.write_bytes(b"x" * 200_000)
    page.fill("input[name=summary]", "The export stops half way")
    page.fill("textarea[name=description]", "Every night since Monday.")
    page.set_input_files("input[name=files]", str(big))
    page.click("button:has-text('Send my request')")

    expect(page.get_by_role("heading", name="The files are too large")).to_be_visible()
    expect(page.locator(".too-large")).to_contain_text("at most 97.7\xa0KB")
    shots(f"too-large-{width}")
    page.get_by_role("link", name="Back to the form").click()
    expect(page.locator("input[name=summary]")).to_have_value("The export stops half way")
    shots(f"back-to-the-form-{width}")
    assert not Ticket.objects.exists()


@override_settings(UPLOAD_MAX_REQUEST_BYTES=100_000)
@pytest.mark.parametrize("width", [1366, 390])
def test_it_shows_the_console_page_for_files_over_the_limit(
    page, shots, engineer, customer, tmp_path, width: int
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/desk/login/")
    page.fill("input[name=username]", engineer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/desk/tickets/new/")
    big = tmp_path / "capture.log"
    big.write_bytes(b"x" * 200_000)
    page.select_option("select[name=requester]", str(customer.pk))
    page.fill("input[name=summary]", "Payroll export stops half way")
    page.set_input_files("input[name=files]", str(big))
    page.click("button:has-text('Create ticket')")

    expect(page.get_by_role("heading", name="The files are too large")).to_be_visible()
    shots(f"console-too-large-{width}")
    page.get_by_role("link", name="Back to the form").click()
    expect(page.locator("input[name=summary]")).to_have_value("Payroll export stops half way")
