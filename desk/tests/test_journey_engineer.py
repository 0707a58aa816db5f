"""Browser journey: an engineer takes a phone call through to a confirmed resolution."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from tests_support.factories import PASSWORD
from tickets.models import Category, Service, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, shots: Any, engineer: User) -> None:
    """Sign in."""
    from playwright.sync_api import expect

    page.goto("/desk/login/")
    shots("login")
    page.fill("input[name=username]", engineer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    shots("my-work")


def _create_a_ticket_by_phone(
    page: Any, shots: Any, customer: User, service: Service, category: Category
) -> Ticket:
    """Create a ticket for the customer, business impact not yet known."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="New ticket").first.click()
    page.select_option("select[name=requester]", str(customer.pk))
    page.select_option("select[name=channel]", "phone")
    page.fill("input[name=summary]", "Payroll export stops half way")
    page.fill(
        "textarea[name=description]", "The nightly payroll export stops at 50% and writes an empty file."
    )
    page.fill("textarea[name=symptoms]", "Job status 'failed' after 30 minutes.")
    page.fill("textarea[name=replication_steps]", "Payroll > Export > Nightly, March period.")
    page.fill("textarea[name=error_messages]", "ERR-504 upstream timeout")
    page.fill("textarea[name=recent_changes]", "none")
    page.select_option("select[name=priority]", "P2")
    page.select_option("select[name=category]", str(category.pk))
    page.select_option("select[name=service]", str(service.pk))
    shots("new-ticket-form")
    page.click("button:has-text('Create ticket')")
    expect(page.locator("#ticket-summary")).to_have_text("Payroll export stops half way")
    ticket = Ticket.objects.get(summary="Payroll export stops half way")
    assert ticket.requester == customer and ticket.status == "new"
    shots("ticket-created")
    return ticket


def _triage_is_refused_with_the_intake_missing(page: Any, shots: Any, ticket: Ticket) -> None:
    """Triage is refused: the missing intake is listed, and what was typed is kept."""
    from playwright.sync_api import expect

    page.click("#transition-triage > summary")
    triage = page.locator("form[data-transition=triage]")
    triage.locator("textarea[name=triage-workaround]").fill("Export per department by hand.")
    triage.locator("button[type=submit]").click()
    refusal = page.locator("form[data-transition=triage] .refusal")
    expect(refusal).to_contain_text("Missing: business impact")
    expect(page.locator("textarea[name=triage-workaround]")).to_have_value("Export per department by hand.")
    shots("triage-refused")
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.workaround == ""


def _complete_the_intake_and_triage(page: Any, shots: Any) -> None:
    """Complete the intake in the same form: triage is accepted."""
    from playwright.sync_api import expect

    page.fill("textarea[name=triage-business_impact]", "Salaries cannot be paid on Friday.")
    page.locator("form[data-transition=triage] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("Open")
    shots("triaged")


def _start_work(page: Any, shots: Any) -> None:
    """Start work."""
    from playwright.sync_api import expect

    page.click("#transition-start > summary")
    page.locator("form[data-transition=start] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("In progress")
    shots("in-progress")


def _document_a_step_with_a_log(page: Any, shots: Any, tmp_path: Path) -> None:
    """Document a troubleshooting step with a log file attached."""
    from playwright.sync_api import expect

    log = tmp_path / "export-job.log"
    log.write_text("2026-11-23 02:00:01 export start\n2026-11-23 02:30:02 ERR-504 upstream timeout\n")
    page.click("#add-step > summary")
    page.select_option("select[name=step-kind]", "log_analysis")
    page.fill("textarea[name=step-action]", "Read the export job log on the payroll server.")
    page.fill("textarea[name=step-outcome]", "The job times out calling the tax service after 30 minutes.")
    page.set_input_files("input[name=step-files]", str(log))
    page.click("#add-step button[type=submit]")
    expect(page.locator("#troubleshooting .step")).to_contain_text("Log analysis")
    expect(page.locator("#troubleshooting .files")).to_contain_text("export-job.log")
    shots("step-added")


def _resolve(page: Any, shots: Any) -> None:
    """Resolve."""
    from playwright.sync_api import expect

    page.click("#transition-resolve > summary")
    page.fill("textarea[name=resolve-resolution_summary]", "Raised the tax service timeout to 120 s.")
    page.fill("textarea[name=resolve-root_cause]", "Tax service slowed down after its upgrade.")
    page.select_option("select[name=resolve-fix_kind]", "permanent")
    page.locator("form[data-transition=resolve] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("Resolved")
    shots("resolved")


def _record_the_confirmation_by_phone(page: Any, shots: Any) -> None:
    """Record the customer's confirmation given by phone."""
    from playwright.sync_api import expect

    page.click("#transition-confirm_resolution > summary")
    page.select_option("select[name=confirm_resolution-channel]", "phone")
    page.fill("textarea[name=confirm_resolution-note]", "Carla confirmed Friday's run completed.")
    page.locator("form[data-transition=confirm_resolution] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("Closed")
    shots("closed")


def _assert_every_step_is_on_the_timeline(page: Any, shots: Any, ticket: Ticket) -> None:
    """Every step is on the timeline, in order."""
    from playwright.sync_api import expect

    kinds = page.locator("#timeline .event").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["created", "triage", "start", "step", "resolve", "confirm_resolution"]
    expect(page.locator("#timeline")).to_contain_text(re.compile("Resolution confirmed"))
    shots("timeline")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.close_kind == "confirmed_on_behalf"
    assert ticket.attachments.get().original_name == "export-job.log"


def test_it_walks_a_ticket_from_phone_call_to_confirmed_resolution(
    page, shots, engineer, customer, service, category, tmp_path
) -> None:
    _sign_in(page, shots, engineer)
    ticket = _create_a_ticket_by_phone(page, shots, customer, service, category)
    _triage_is_refused_with_the_intake_missing(page, shots, ticket)
    _complete_the_intake_and_triage(page, shots)
    _start_work(page, shots)
    _document_a_step_with_a_log(page, shots, tmp_path)
    _resolve(page, shots)
    _record_the_confirmation_by_phone(page, shots)
    _assert_every_step_is_on_the_timeline(page, shots, ticket)
