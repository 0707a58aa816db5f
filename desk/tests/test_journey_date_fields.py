"""Browser journey: every form that carries the critical milestone shows it and keeps it when it is
saved unchanged — console triage, "Edit intake", "Record an escalation request", the portal's
escalation request — and the portal's new request form keeps a typed date through a refusal.
(A localised value such as 31/05/2030 in an `<input type=date>` is shown blank by the browser, so
saving the form used to clear the date.)"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cases.models import CaseRequest
from escalations.tests.conftest import World, new_ticket, triaged
from portal.tests.test_journey_seed002 import sign_in_desk, sign_in_portal, sign_out
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _a_milestone_after_the_12th() -> tuple[date, str]:
    """A day after the 12th of its month, so that day and month cannot be swapped unnoticed."""
    milestone = timezone.localdate() + timedelta(days=40)
    while milestone.day <= 12:
        milestone += timedelta(days=1)
    iso = milestone.isoformat()
    return milestone, iso


def _console_triage_keeps_it(page: Any, shots: Any, world: World, milestone: date, iso: str) -> Ticket:
    """Console triage: the form shows the milestone; triaging unchanged keeps it."""
    from playwright.sync_api import expect

    fresh = new_ticket(world, critical_milestone=milestone, workaround="")
    sign_in_desk(page, "erin")
    page.goto(f"/desk/tickets/{fresh.pk}/")
    page.click("#transition-triage > summary")
    expect(page.locator("input[name=triage-critical_milestone]")).to_have_value(iso)
    shots("console-triage")
    page.locator("form[data-transition=triage] button[type=submit]").click()
    expect(page.locator("#transition-start")).to_be_attached()
    fresh.refresh_from_db()
    assert (fresh.status, fresh.critical_milestone) == (Status.OPEN, milestone)
    return fresh


def _edit_intake_keeps_it(page: Any, fresh: Ticket, milestone: date, iso: str) -> None:
    """Console "Edit intake", saved unchanged."""
    from playwright.sync_api import expect

    page.goto(f"/desk/tickets/{fresh.pk}/intake/")
    expect(page.locator("input[name=critical_milestone]")).to_have_value(iso)
    page.click("button:has-text('Save intake')")
    expect(page.get_by_text("Intake updated.")).to_be_visible()
    fresh.refresh_from_db()
    assert fresh.critical_milestone == milestone


def _console_escalation_request_keeps_it(
    page: Any, shots: Any, fresh: Ticket, milestone: date, iso: str
) -> None:
    """Console "Record an escalation request": prefilled from the ticket, the date left as shown."""
    from playwright.sync_api import expect

    page.goto(f"/desk/tickets/{fresh.pk}/#case")
    page.click("#case_request > summary")
    expect(page.locator("input[name=case_request-critical_milestone]")).to_have_value(iso)
    page.select_option("select[name=case_request-channel]", "phone")
    page.select_option("select[name=case_request-reason]", "critical_impact")
    page.select_option("select[name=case_request-problem_statement_correct]", "yes")
    shots("console-escalation-request")
    page.locator("form[data-form=case_request] button[type=submit]").click()
    expect(page.locator("#case-requests")).to_be_visible()
    assert CaseRequest.objects.get(case__ticket=fresh).critical_milestone == milestone


def _portal_escalation_request_keeps_it(
    page: Any, shots: Any, world: World, milestone: date, iso: str
) -> None:
    """Portal escalation request on another of Carla's requests, the date left as prefilled."""
    from playwright.sync_api import expect

    other = triaged(world, critical_milestone=milestone, workaround="")
    sign_out(page)
    sign_in_portal(page, "carla")
    page.goto(f"/portal/requests/{other.pk}/")
    expect(page.locator("input[name=escalation-critical_milestone]")).to_have_value(iso)
    page.check("input[name=escalation-reason][value=critical_impact]")
    page.check("input[name=escalation-problem_statement_correct][value=yes]")
    shots("portal-escalation-request")
    page.click("#escalation-form button[type=submit]")
    expect(page.locator("#case-state")).to_have_text("We received your escalation")
    assert CaseRequest.objects.get(case__ticket=other).critical_milestone == milestone


def _portal_new_request_keeps_it_through_a_refusal(page: Any, shots: Any, milestone: date, iso: str) -> None:
    """Portal new request: a refused request (a forbidden file) comes back with the typed date, and
    sending it again unchanged keeps it."""
    from playwright.sync_api import expect

    page.goto("/portal/requests/new/")
    page.fill("input[name=summary]", "Payslips show last month's tax code")
    page.fill("textarea[name=description]", "Every payslip uses the old tax code since Monday.")
    page.fill("textarea[name=symptoms]", "The tax code column says 1257L for everyone.")
    page.fill("textarea[name=business_impact]", "Payroll cannot run on Friday.")
    page.fill("input[name=critical_milestone]", iso)
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "fix.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}],
    )
    page.click("button:has-text('Send my request')")
    expect(page.locator(".files-again")).to_be_visible()
    expect(page.locator("input[name=critical_milestone]")).to_have_value(iso)
    shots("portal-request-refused")
    page.click("button:has-text('Send my request')")
    expect(page.locator("#status-words")).to_have_text("Received")
    assert Ticket.objects.get(summary="Payslips show last month's tax code").critical_milestone == milestone


def test_date_fields_keep_the_critical_milestone_when_saved_unchanged(page, shots, world: World) -> None:
    milestone, iso = _a_milestone_after_the_12th()
    fresh = _console_triage_keeps_it(page, shots, world, milestone, iso)
    _edit_intake_keeps_it(page, fresh, milestone, iso)
    _console_escalation_request_keeps_it(page, shots, fresh, milestone, iso)
    _portal_escalation_request_keeps_it(page, shots, world, milestone, iso)
    _portal_new_request_keeps_it_through_a_refusal(page, shots, milestone, iso)
