"""Browser journey (seed 000): a Tier 2 team leader approves the hand-off to Microsoft in Django admin.

Playwright drives Debian's Chromium (/usr/bin/chromium) against the live server; without
Chromium the journey skips with the reason, and under CI=true the root conftest fails the
run on any skip. Screenshots go to test-artifacts/admin_approval_journey/ (the README's
docs/screenshots/admin-approval.png is a copy of 02-request-with-package.png).
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from approvals.models import ApprovalRequest
from escalations import selectors
from escalations.models import Handoff, HandoffStatus
from escalations.tests import conftest as ladder
from escalations.tests.conftest import World
from tests_support.browser import Shots
from tests_support.factories import PASSWORD
from tickets.models import Ticket, TimelineEvent

from .test_admin import NOTES, gated_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The staffed world with the seeds' ladders (browser, page and shots come from the root conftest).
world = ladder.world


@pytest.fixture
def shots(page: object) -> Shots:
    return Shots(page, "admin_approval_journey")


def _sign_in_to_admin(page: Any, ravi: User) -> None:
    """Sign in to Django admin as the Tier 2 team leader."""
    from playwright.sync_api import expect

    page.goto("/admin/")
    page.fill("input[name=username]", ravi.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Escalation Desk administration")


def _my_pending_approvals_list_it(page: Any, shots: Any, ticket: Ticket) -> Any:
    """My pending approvals: the filter is on by default and lists the request."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Approval requests").first.click()
    expect(page.locator("#changelist-filter li.selected").first).to_have_text("My pending approvals")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ticket.reference)
    expect(rows.first).to_contain_text("Microsoft L3")
    shots("my-pending-approvals")
    return rows


def _the_request_shows_the_package(page: Any, shots: Any, rows: Any, request: ApprovalRequest) -> None:
    """The request's page shows the package, with the evidence as links."""
    from playwright.sync_api import expect

    rows.first.get_by_role("link", name=request.title).click()
    package = page.locator(".approval-package")
    expect(package).to_contain_text("Troubleshooting – L1")
    expect(package).to_contain_text("Restarted Outlook in safe mode and rebuilt the mail profile.")
    expect(package).to_contain_text("Troubleshooting – L2")
    expect(package).to_contain_text("TooManyRequests")
    expect(package.get_by_role("link", name="Attachment: mapi-trace.log")).to_be_visible()
    expect(page.locator("#decision-bar")).to_contain_text("waits for your decision")
    shots("request-with-package")


def _approving_without_notes_is_refused(page: Any, shots: Any, request: ApprovalRequest) -> None:
    """Approve without notes: refused, the missing notes are named, nothing changes."""
    from playwright.sync_api import expect

    page.click("#approve-button")
    expect(page.locator("#decision-form")).to_be_visible()
    page.click("#decision-submit")
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text("Approval refused")
    expect(refusal).to_contain_text("approval notes (what was reviewed and why it may go ahead)")
    shots("approve-refused-without-notes")
    request.refresh_from_db()
    assert request.status == "pending"


def _approve_with_notes(
    page: Any, shots: Any, world: World, ticket: Ticket, request: ApprovalRequest, ravi: User
) -> None:
    """With the notes it is approved; the list of pending approvals is empty again."""
    from playwright.sync_api import expect

    page.fill("textarea[name=notes]", NOTES)
    shots("approve-with-notes")
    page.click("#decision-submit")
    expect(page.locator("ul.messagelist")).to_contain_text(f"Approved {ticket.reference}")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    shots("approved")

    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_notes) == ("approved", ravi, NOTES)
    ticket.refresh_from_db()
    assert selectors.current_stint(ticket).tier == world.tier("Microsoft L3", world.microsoft)
    assert ticket.team == world.teams["Tier 2"]
    assert Handoff.objects.get(approval=request).status == HandoffStatus.COMPLETED
    events = list(
        TimelineEvent.objects.filter(ticket=ticket)
        .order_by("at", "pk")
        .values_list("kind", "actor__username", "reason")
    )
    assert events[-3:-1] == [
        ("approval_requested", "tom", events[-3][2]),
        ("approval_granted", "ravi", NOTES),
    ]
    assert events[-1][:2] == ("escalated", "ravi")


def test_a_team_leader_approves_the_microsoft_escalation_in_admin(page, shots, world: World) -> None:
    ticket, request = gated_request(world)
    ravi = world["ravi"]

    _sign_in_to_admin(page, ravi)
    rows = _my_pending_approvals_list_it(page, shots, ticket)
    _the_request_shows_the_package(page, shots, rows, request)
    _approving_without_notes_is_refused(page, shots, request)
    _approve_with_notes(page, shots, world, ticket, request, ravi)
