"""Each console page runs a fixed number of queries, however many rows it shows (habit 6).

Every test measures the page with a little data and with a lot, under the same bound, and
asserts the two counts are equal: one extra query per row would make them differ.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from desk.tests.test_pages import page
from tests_support.factories import TicketFactory, add_sla_clocks, make_agent
from tickets.models import Attachment, Comment, Ticket, TimelineEvent, TroubleshootingStep

# The bounds measured when these tests were written; a new query on a page must be a choice.
# Full pages include the header's unread-notifications count (one query, notifications app);
# SLA badges add three: the clocks, their calendars' working windows and holidays.
MY_WORK_QUERIES = 11
QUEUE_QUERIES = 11
TICKET_QUERIES = {"new": 19, "in_progress": 16, "resolved": 16}



@pytest.fixture
def make_tickets(
    org: Any, customer: User, engineer: User, tier1: Team, service: Any, category: Any
) -> Callable[[int], None]:
    """Bulk-create open Tier 1 tickets, half assigned to the engineer, with every relation set."""
    colleague = make_agent("Engineer", team=tier1, username="colin")

    def make(n: int) -> None:
        start = Ticket.objects.count()
        now = timezone.now()
        created = Ticket.objects.bulk_create([
            Ticket(
                organisation=org, requester=customer, created_by=engineer, channel="phone",
                summary=f"Payroll export fails #{start + i}", description="Empty file.",
                priority="P2", category=category, service=service, team=tier1,
                status="new" if i % 2 else "in_progress",
                assignee=None if i % 2 else (engineer if i % 4 == 0 else colleague),
                created_at=now - timedelta(minutes=start + i),
            )
            for i in range(n)
        ])
        add_sla_clocks(created)

    return make


def measure(client: Client, assert_max: Any, bound: int, url: str, **params: Any) -> tuple[int, Any]:
    with assert_max(bound) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "new", "priority": "P2", "q": "payroll"}, {"assignee": "me"}, {"page": "2"}],
    ids=["open", "filtered", "mine", "page-2"],
)
def test_it_lists_the_queue_in_a_fixed_number_of_queries(
    staff_client: Client, make_tickets: Callable[[int], None], django_assert_max_num_queries: Any,
    params: dict[str, str],
) -> None:
    url = reverse("desk:queue")
    make_tickets(30 if params.get("page") else 10)
    staff_client.get(url, params)  # warm the per-process caches (content types)

    small, small_page = measure(staff_client, django_assert_max_num_queries, QUEUE_QUERIES, url, **params)
    make_tickets(500)
    large, large_page = measure(staff_client, django_assert_max_num_queries, QUEUE_QUERIES, url, **params)

    assert len(page(small_page).references()) < len(page(large_page).references()) <= 25
    assert small == large


def test_it_answers_the_queue_htmx_partial_in_a_fixed_number_of_queries(
    staff_client: Client, make_tickets: Callable[[int], None], django_assert_num_queries: Any
) -> None:
    url = reverse("desk:queue")
    make_tickets(10)
    staff_client.get(url)
    headers = {"HX-Request": "true"}

    # No filter form (so no list of teams) and no header (so no unread count).
    with django_assert_num_queries(QUEUE_QUERIES - 2):
        small = staff_client.get(url, {"status": "new"}, headers=headers)
    make_tickets(500)
    with django_assert_num_queries(QUEUE_QUERIES - 2):
        large = staff_client.get(url, {"status": "new"}, headers=headers)

    assert len(page(small).references()) == 5
    assert len(page(large).references()) == 25


def test_it_shows_my_work_in_a_fixed_number_of_queries(
    staff_client: Client, make_tickets: Callable[[int], None], django_assert_max_num_queries: Any
) -> None:
    url = reverse("desk:my_work")
    make_tickets(10)
    staff_client.get(url)

    small, small_page = measure(staff_client, django_assert_max_num_queries, MY_WORK_QUERIES, url)
    make_tickets(500)
    large, large_page = measure(staff_client, django_assert_max_num_queries, MY_WORK_QUERIES, url)

    assert (len(page(small_page).references()), len(page(large_page).references())) == (8, 100)
    assert small == large


def fill_ticket(ticket: Ticket, n: int, people: list[User], team: Team) -> None:
    """n steps, n comments and n timeline events (every other one with a file), in bulk."""
    now = timezone.now()
    steps = TroubleshootingStep.objects.bulk_create([
        TroubleshootingStep(
            ticket=ticket, kind="log_analysis", action=f"Read log {i}", outcome="Timeout",
            engineer=people[i % len(people)], team=team, is_public=bool(i % 3),
            performed_at=now + timedelta(seconds=i),
        )
        for i in range(n)
    ])
    comments = Comment.objects.bulk_create([
        Comment(ticket=ticket, author=people[i % len(people)], body=f"Note {i}", is_internal=bool(i % 2),
                created_at=now + timedelta(seconds=i))
        for i in range(n)
    ])
    TimelineEvent.objects.bulk_create([
        TimelineEvent(ticket=ticket, kind="comment", actor=people[i % len(people)],
                      at=now + timedelta(seconds=i), is_public=bool(i % 2))
        for i in range(n)
    ])
    files = [
        Attachment(ticket=ticket, step=step, file=f"attachments/step-{step.pk}.log",
                   original_name=f"step-{step.pk}.log", size=2048, is_internal=True,
                   uploaded_by=step.engineer)
        for step in steps[::2]
    ] + [
        Attachment(ticket=ticket, comment=comment, file=f"attachments/comment-{comment.pk}.png",
                   original_name=f"comment-{comment.pk}.png", size=4096, uploaded_by=comment.author)
        for comment in comments[::2]
    ] + [
        Attachment(ticket=ticket, file=f"attachments/ticket-{i}.pdf", original_name=f"ticket-{i}.pdf",
                   size=1024, uploaded_by=people[0])
        for i in range(max(1, n // 10))
    ]
    Attachment.objects.bulk_create(files)


@pytest.mark.parametrize("state", list(TICKET_QUERIES))
def test_it_shows_a_ticket_in_a_fixed_number_of_queries(
    staff_client: Client, org: Any, customer: User, engineer: User, team_leader: User,
    team_manager: User, other_engineer: User, tier1: Team, service: Any, category: Any,
    django_assert_max_num_queries: Any, state: str,
) -> None:
    people = [engineer, team_leader, team_manager, other_engineer, customer]

    def make(n: int) -> Ticket:
        ticket = TicketFactory(
            organisation=org, requester=customer, created_by=engineer, service=service, category=category,
            team=tier1, status=state, assignee=None if state == "new" else engineer,
        )
        fill_ticket(ticket, n, people, tier1)
        add_sla_clocks([ticket])
        return ticket

    small_ticket, large_ticket = make(5), make(200)
    staff_client.get(reverse("desk:ticket", args=[small_ticket.pk]))
    bound = TICKET_QUERIES[state]

    small, small_page = measure(
        staff_client, django_assert_max_num_queries, bound, reverse("desk:ticket", args=[small_ticket.pk])
    )
    large, large_page = measure(
        staff_client, django_assert_max_num_queries, bound, reverse("desk:ticket", args=[large_ticket.pk])
    )

    for response, n in ((small_page, 5), (large_page, 200)):
        html = page(response)
        assert len(html.one(id="troubleshooting").select("li", cls="step")) == n
        assert len(html.one(id="comments").select("article", cls="comment")) == n
        assert len(html.one(id="timeline").select("li", cls="event")) == n
    assert small == large
