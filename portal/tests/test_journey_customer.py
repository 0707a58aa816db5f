"""Browser journey: a customer signs in, asks for help (a refused first try keeps what was
typed), follows the request, replies while we wait for them and confirms the resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from tests_support.factories import PASSWORD
from tickets.models import Category, Service, Ticket
from tickets.services.lifecycle import ticket_await_customer, ticket_resolve, ticket_start, ticket_triage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESOLUTION = {
    "resolution_summary": "Re-ran the export with the corrected tax table.",
    "root_cause": "Stale tax table",
    "fix_kind": "permanent",
}


def _sign_in(page: Any, shots: Any, customer: User) -> None:
    """Sign in: no requests yet."""
    from playwright.sync_api import expect

    page.goto("/portal/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shots("sign-in")
    page.fill("input[name=username]", customer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Your organisation's requests")).to_be_visible()
    shots("requests-empty")


def _ask_for_help_refused_then_sent(page: Any, shots: Any, service: Service, tmp_path: Path) -> Ticket:
    """A first try without what they see: refused, what was typed is kept, files must be chosen again."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Ask us for help").first.click()
    screenshot = tmp_path / "error.png"
    screenshot.write_bytes(b"\x89PNG fake screenshot")
    page.fill("input[name=summary]", "Payslips show last month's tax code")
    page.fill("textarea[name=description]", "Every payslip uses the old tax code since Monday.")
    page.fill("textarea[name=business_impact]", "Payroll cannot run on Friday.")
    page.select_option("select[name=service]", str(service.pk))
    page.set_input_files("input[name=files]", str(screenshot))
    page.click("button:has-text('Send my request')")
    expect(page.locator(".p-field.has-error")).to_contain_text("This field is required.")
    expect(page.locator("textarea[name=description]")).to_have_value(
        "Every payslip uses the old tax code since Monday."
    )
    expect(page.locator(".files-again")).to_be_visible()
    shots("request-refused")
    page.fill("textarea[name=symptoms]", "The tax code column says 1257L for everyone.")
    page.set_input_files("input[name=files]", str(screenshot))
    page.click("button:has-text('Send my request')")
    expect(page.locator("#status-words")).to_have_text("Received")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.attachments.count()) == ("portal", 1)
    shots("request-sent")
    return ticket


def _we_ask_and_the_customer_replies(
    page: Any, shots: Any, ticket: Ticket, engineer: User, team_manager: User, category: Category
) -> None:
    """We take it, ask for something; the customer replies and work resumes."""
    from playwright.sync_api import expect

    ticket_triage(
        ticket=ticket,
        actor=engineer,
        priority="P2",
        category=category,
        replication_steps="none",
        error_messages="none",
        recent_changes="none",
    )
    ticket_start(ticket=ticket, actor=engineer)
    ticket_await_customer(ticket=ticket, actor=engineer, reason="Send us one payslip as a PDF.")
    page.reload()
    expect(page.locator("#waiting-for-you")).to_contain_text("Send us one payslip as a PDF.")
    expect(page.locator("#contacts")).to_contain_text(str(team_manager))
    shots("waiting-for-you")
    page.fill("textarea[name=message-body]", "Here is Anna's payslip.")
    page.click("button:has-text('Send message')")
    expect(page.locator("#status-words")).to_have_text("We are working on it")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def _the_customer_confirms_the_resolution(page: Any, shots: Any, ticket: Ticket, engineer: User) -> None:
    """Resolved: the customer confirms."""
    from playwright.sync_api import expect

    ticket_resolve(ticket=ticket, actor=engineer, **RESOLUTION)
    page.reload()
    expect(page.locator("#resolution")).to_contain_text("Re-ran the export with the corrected tax table.")
    shots("is-it-fixed")
    page.click("button:has-text('Yes, it is fixed')")
    expect(page.locator("#status-words")).to_have_text("Closed")
    shots("closed")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_kind) == ("closed", "confirmed_by_customer")
    assert ticket.events.get(kind="confirm_resolution").details["channel"] == "portal"


def test_it_takes_a_customer_from_sign_in_to_a_confirmed_resolution(
    page, shots, customer, engineer, team_leader, team_manager, service, category, tmp_path
) -> None:
    _sign_in(page, shots, customer)
    ticket = _ask_for_help_refused_then_sent(page, shots, service, tmp_path)
    _we_ask_and_the_customer_replies(page, shots, ticket, engineer, team_manager, category)
    _the_customer_confirms_the_resolution(page, shots, ticket, engineer)
