"""Browser journey: a team leader reads their team's load, works the queue (sorting, a saved
view, a bulk assignment with polling paused) and answers a customer from the ticket page —
at desktop width and on a phone (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import Team, User
from tests_support.factories import PASSWORD, TicketFactory, add_sla_clocks, make_agent
from tickets.models import Comment, Ticket
from tickets.services.conversation import ticket_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, user: User) -> None:
    page.goto("/desk/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _my_work_shows_the_team_load(page: Any, shots: Any) -> None:
    """My work: the team's load per engineer."""
    from playwright.sync_api import expect

    expect(page.locator("#team-load")).to_be_visible()
    expect(page.locator("#team-load tr.load-row.unassigned td.total")).to_have_text("3")
    shots("my-work-1366")


def _the_queue_sorts_and_marks_unread_replies(page: Any, shots: Any, tickets: list[Ticket]) -> None:
    """The queue: due soonest first, a customer's unread reply marked."""
    from playwright.sync_api import expect

    page.goto("/desk/queue/")
    expect(page.locator("th[data-sort=due]")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator(f"tr[data-ticket='{tickets[1].pk}'] .unread-reply")).to_be_visible()
    shots("queue-1366")
    page.click("th[data-sort=priority] a")
    expect(page.locator("th[data-sort=priority]")).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(re.compile(r"sort=priority"))
    assert page.locator("td.ref").first.inner_text() == tickets[1].reference  # P1 first


def _save_and_apply_a_view(page: Any) -> None:
    """Save the sorted queue as a view, then apply it from a fresh queue."""
    from playwright.sync_api import expect

    page.fill("#save-view input[name=view-name]", "By priority")
    page.click("#save-view button[type=submit]")
    expect(page.locator("li.saved-view a.view-apply")).to_have_text("By priority")
    page.goto("/desk/queue/")
    page.click("li.saved-view a.view-apply")
    expect(page.locator("th[data-sort=priority]")).to_have_attribute("aria-sort", "ascending")


def _bulk_assign_with_polling_paused(page: Any, shots: Any, tickets: list[Ticket], colleague: User) -> None:
    """Ticking boxes pauses the self-refresh; assign two unassigned tickets to colin."""
    from playwright.sync_api import expect

    page.check(f"input[name=ticket][value='{tickets[0].pk}']")
    page.check(f"input[name=ticket][value='{tickets[4].pk}']")
    assert page.evaluate("queueMayRefresh()") is False
    page.select_option("#bulk-assignee", str(colleague.pk))
    shots("queue-bulk-1366")
    page.click("#bulk-assign button[type=submit]")
    expect(page.locator(".msg.success")).to_contain_text(f"Assigned to {colleague}")
    assert Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[4].pk], assignee=colleague).count() == 2
    assert page.evaluate("queueMayRefresh()") is True


def _reply_box_and_internal_note(page: Any, shots: Any, tickets: list[Ticket], team_leader: User) -> None:
    """The ticket page: the reply box on top of the conversation, reply to the customer by default."""
    from playwright.sync_api import expect

    page.goto(f"/desk/tickets/{tickets[1].pk}/")
    expect(page.locator("#unread-note")).to_be_visible()
    expect(page.locator("#comment-form input[value=reply]")).to_be_checked()
    expect(page.locator("#comment-form .send")).to_have_text("Send reply to customer", use_inner_text=True)
    shots("ticket-1366")
    page.click("#comment-form label.mode-note")
    expect(page.locator("#comment-form .send")).to_have_text("Add internal note", use_inner_text=True)
    colour = page.eval_on_selector("#comment-form", "f => getComputedStyle(f).backgroundColor")
    assert colour == "rgb(255, 248, 230)"  # the internal note's yellow, not the reply's blue
    page.fill("#comment-form textarea", "Colin: check the DB locks before we answer.")
    shots("ticket-internal-note-1366")
    page.click("#comment-form .send")
    expect(page.locator(".msg.success")).to_have_text("Internal note added.")
    assert Comment.objects.get(ticket=tickets[1], author=team_leader).is_internal
    expect(page.locator("#comment-form input[value=reply]")).to_be_checked()  # back to the default


def _reassign_and_follow(page: Any, colleague: User, team_leader: User) -> None:
    """Reassign from the ticket page and follow it."""
    from playwright.sync_api import expect

    page.click("#assign > summary")
    page.select_option("select[name=assign-assignee]", str(colleague.pk))
    page.click("#assign button[type=submit]")
    expect(page.locator("#ticket-assignee")).to_have_text(str(colleague))
    page.click("#follow")
    expect(page.locator("#watchers .follower")).to_have_text(str(team_leader))


def _the_pages_fit_a_phone(page: Any, shots: Any, tickets: list[Ticket]) -> None:
    """A phone: the same three pages at 390 px."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/desk/tickets/{tickets[1].pk}/")
    shots("ticket-390")
    for selector in ("#comment-form", "#head-actions", "#comments"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    page.goto("/desk/queue/")
    shots("queue-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/desk/")
    shots("my-work-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_it_walks_a_team_leader_through_load_queue_and_conversation(
    page: Any,
    shots: Any,
    team_leader: User,
    engineer: User,
    customer: User,
    org: Any,
    tier1: Team,
    service: Any,
    category: Any,
) -> None:
    colleague = make_agent("Engineer", team=tier1, username="colin")
    tickets = [
        TicketFactory(
            organisation=org,
            requester=customer,
            created_by=customer,
            service=service,
            category=category,
            team=tier1,
            status=status,
            priority=priority,
            assignee=assignee,
            summary=f"Payroll export problem {i}",
        )
        for i, (status, priority, assignee) in enumerate(
            [
                ("open", "P2", None),
                ("in_progress", "P1", engineer),
                ("in_progress", "P3", colleague),
                ("waiting_on_customer", "P2", engineer),
                ("open", "P4", None),
                ("new", "", None),
            ]
        )
    ]
    add_sla_clocks(tickets[:5])
    ticket_comment(ticket=tickets[1], actor=customer, body="It failed again at 02:00, log attached.")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, team_leader)

    _my_work_shows_the_team_load(page, shots)
    _the_queue_sorts_and_marks_unread_replies(page, shots, tickets)
    _save_and_apply_a_view(page)
    _bulk_assign_with_polling_paused(page, shots, tickets, colleague)
    _reply_box_and_internal_note(page, shots, tickets, team_leader)
    _reassign_and_follow(page, colleague, team_leader)
    _the_pages_fit_a_phone(page, shots, tickets)
