"""Browser journey: an engineer takes a phone call through to a confirmed resolution."""

from __future__ import annotations

import re

import pytest

from tests_support.factories import PASSWORD
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_walks_a_ticket_from_phone_call_to_confirmed_resolution(
    page, shots, engineer, customer, service, category, tmp_path
) -> None:
    from playwright.sync_api import expect

    # Sign in.
    page.goto("/desk/login/")
    shots("login")
    page.fill("input[name=username]", engineer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    shots("my-work")

    # Create a ticket for the customer, business impact not yet known.
    page.get_by_role("link", name="New ticket").first.click()
    page.select_option("select[name=requester]", str(customer.pk))
    page.select_option("select[name=channel]", "phone")
    page.fill("input[name=summary]", "Payroll export stops half way")
    page.fill("textarea[name=description]", "The nightly payroll export stops at 50% and writes an empty file.")
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

    # Triage is refused: the missing intake is listed, and what was typed is kept.
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

    # Complete the intake in the same form: triage is accepted.
    page.fill("textarea[name=triage-business_impact]", "Salaries cannot be paid on Friday.")
    page.locator("form[data-transition=triage] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("Open")
    shots("triaged")

    # Start work.
    page.click("#transition-start > summary")
    page.locator("form[data-transition=start] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("In progress")
    shots("in-progress")

    # Document a troubleshooting step with a log file attached.
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

    # Resolve.
    page.click("#transition-resolve > summary")
    page.fill("textarea[name=resolve-resolution_summary]", "Raised the tax service timeout to 120 s.")
    page.fill("textarea[name=resolve-root_cause]", "Tax service slowed down after its upgrade.")
    page.select_option("select[name=resolve-fix_kind]", "permanent")
    page.locator("form[data-transition=resolve] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("Resolved")
    shots("resolved")

    # Record the customer's confirmation given by phone.
    page.click("#transition-confirm_resolution > summary")
    page.select_option("select[name=confirm_resolution-channel]", "phone")
    page.fill("textarea[name=confirm_resolution-note]", "Carla confirmed Friday's run completed.")
    page.locator("form[data-transition=confirm_resolution] button[type=submit]").click()
    expect(page.locator(".tickethead .badge")).to_have_text("Closed")
    shots("closed")

    # Every step is on the timeline, in order.
    kinds = page.locator("#timeline .event").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["created", "triage", "start", "step", "resolve", "confirm_resolution"]
    expect(page.locator("#timeline")).to_contain_text(re.compile("Resolution confirmed"))
    shots("timeline")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.close_kind == "confirmed_on_behalf"
    assert ticket.attachments.get().original_name == "export-job.log"
