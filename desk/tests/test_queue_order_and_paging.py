"""The queue's "due soonest" order (tickets.due_order), its capped count (escalation_desk.paging),
My work's scoped counters and the badges computed for a page in one pass (desk.badges)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import EmptyPage
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from clocks.models import BusinessCalendar, Clock, ClockState
from desk.badges import attach_badges, with_texts
from desk.tests.test_pages import page
from escalation_desk.paging import CappedPaginator
from tests_support.factories import office_calendar
from tickets import selectors
from tickets.due_order import DueFirst
from tickets.models import Ticket
from tickets.sla import clock_badges


def make_ticket(org: Any, customer: User, team: Team | None, **fields: Any) -> Ticket:
    fields.setdefault("status", "in_progress")
    return Ticket.objects.create(
        organisation=org, requester=customer, created_by=customer, summary="Printer jam", team=team, **fields
    )


def clock(ticket: Ticket, kind: str, *, calendar: BusinessCalendar | None = None, **fields: Any) -> Clock:
    now = timezone.now()
    values: dict[str, Any] = {
        "state": ClockState.RUNNING,
        "started_at": now - timedelta(days=1),
        "running_since": now - timedelta(days=1),
        "target_seconds": 8 * 3600,
    }
    values.update(fields)
    return Clock.objects.create(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=ticket.pk,
        kind=kind,
        calendar=calendar or office_calendar(),
        **values,
    )


@pytest.fixture
def mixed_queue(org: Any, customer: User, tier1: Team) -> list[Ticket]:
    """Open tickets with one or two running clocks (some due at the same instant), with only a
    paused clock, with none; and a closed ticket with a running clock (never listed)."""
    now = timezone.now()
    tickets = []
    for i in range(14):
        ticket = make_ticket(org, customer, tier1, created_at=now - timedelta(hours=i))
        tickets.append(ticket)
        if i % 4 == 0:
            continue  # no clock
        if i % 4 == 1:
            clock(ticket, "ticket.resolution", state=ClockState.PAUSED, due_at=None, running_since=None)
            continue
        clock(ticket, "ticket.resolution", due_at=now + timedelta(hours=(i * 7) % 5))  # ties on purpose
        if i % 4 == 3:
            clock(ticket, "ticket.first_response", due_at=now + timedelta(minutes=10 * i))
    closed = make_ticket(org, customer, tier1, status="closed")
    clock(closed, "ticket.resolution", due_at=now - timedelta(days=3))
    return tickets


@pytest.mark.parametrize("sort", ["due", "-due"])
def test_due_first_lists_the_queue_in_the_order_of_the_nearest_clock(
    mixed_queue: list[Ticket], engineer: User, sort: str
) -> None:
    """Page after page, the same tickets in the same order as sorting every ticket by its
    nearest running clock (the order before tickets.due_order)."""
    filtered = selectors.ticket_queue(user=engineer, filters=selectors.QueueFilters(open_only=True))
    expected = [t.pk for t in selectors.sort_queue(filtered, sort)]
    due_first = DueFirst(filtered, rows=selectors.queue_rows(), descending=sort.startswith("-"))

    pages = [[t.pk for t in due_first[offset : offset + 4]] for offset in range(0, 16, 4)]

    assert [pk for rows in pages for pk in rows] == expected
    assert len(expected) == 14 and due_first.capped_count(1001) == 14


def test_due_first_reads_each_ticket_at_its_nearest_clock(mixed_queue: list[Ticket], engineer: User) -> None:
    filtered = selectors.ticket_queue(user=engineer, filters=selectors.QueueFilters(open_only=True))
    rows = DueFirst(filtered, rows=selectors.queue_rows())[0:25]

    running = {
        t.pk: [c.due_at for c in t.sla_clocks if c.state == ClockState.RUNNING and c.due_at] for t in rows
    }
    nearest = {pk: min(dues, default=None) for pk, dues in running.items()}
    assert [t.next_due_at for t in rows] == [nearest[t.pk] for t in rows]
    assert [t.next_due_at is None for t in rows] == sorted(t.next_due_at is None for t in rows)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
)
def test_the_due_soonest_page_walks_the_running_clocks_due_index(
    mixed_queue: list[Ticket], engineer: User
) -> None:
    filtered = selectors.ticket_queue(user=engineer, filters=selectors.QueueFilters(open_only=True))
    page_ids = DueFirst(filtered).page_ids(0, 25)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # as at 100,000 tickets: walking beats sorting
        cursor.execute("EXPLAIN " + page_ids.sql, page_ids.params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "clocks_running_due" in plan
    assert "tickets_open_newest" in plan


# --- the capped count -------------------------------------------------------------------------


def test_a_capped_paginator_counts_exactly_under_the_cap(mixed_queue: list[Ticket]) -> None:
    paginator = CappedPaginator(Ticket.objects.open().order_by("pk"), 5, cap=20)

    assert (paginator.count, paginator.capped, paginator.num_pages) == (14, False, 3)
    assert paginator.shown_count == "14"
    assert not paginator.page(3).has_next()


def test_a_capped_paginator_stops_counting_at_the_cap_and_still_pages_past_it(
    mixed_queue: list[Ticket], django_assert_num_queries: Any
) -> None:
    tickets = Ticket.objects.open().order_by("pk")
    paginator = CappedPaginator(tickets, 3, cap=5)

    with django_assert_num_queries(1):
        assert (paginator.count, paginator.capped, paginator.shown_count) == (6, True, "5+")
    beyond = paginator.page(4)  # rows 10-12: past the cap
    assert [t.pk for t in beyond] == [t.pk for t in tickets[9:12]]
    assert beyond.has_next() and beyond.next_page_number() == 5
    last = paginator.page(5)
    assert len(last) == 2 and not last.has_next()
    with pytest.raises(EmptyPage):
        paginator.page(6)
    assert paginator.get_page(99).number == 5  # past the end: the last page (counted in full)


def test_the_queue_says_1000_plus_and_page_of_many_over_the_cap(
    staff_client: Client, mixed_queue: list[Ticket], settings: Any, monkeypatch: Any
) -> None:
    settings.PAGINATOR_COUNT_CAP = 10
    monkeypatch.setattr("desk.views.PAGE_SIZE", 4)
    url = reverse("desk:queue")

    first = page(staff_client.get(url))
    assert "10+ tickets" in first.html and "Page 1 of many" in first.html
    assert "page=2" in first.html

    exact = page(staff_client.get(url, {"status": "closed"}))
    assert "1 ticket" in exact.html and "of many" not in exact.html


def test_the_queue_serves_a_page_past_the_cap(
    staff_client: Client, mixed_queue: list[Ticket], settings: Any, monkeypatch: Any
) -> None:
    settings.PAGINATOR_COUNT_CAP = 3
    monkeypatch.setattr("desk.views.PAGE_SIZE", 4)
    url = reverse("desk:queue")
    everything = [page(staff_client.get(url, {"page": str(n)})).references() for n in range(1, 5)]

    assert [len(refs) for refs in everything] == [4, 4, 4, 2]
    assert len({ref for refs in everything for ref in refs}) == 14
    assert "page=4" in page(staff_client.get(url, {"page": "3"})).html  # the next link past the cap


def test_the_api_list_caps_its_count(
    client: Client, mixed_queue: list[Ticket], engineer: User, settings: Any
) -> None:
    settings.PAGINATOR_COUNT_CAP = 5
    client.force_login(engineer)

    body = client.get("/api/tickets/", {"page_size": "4", "page": "3"}, HTTP_ACCEPT="application/json").json()

    assert (body["count"], body["count_exact"], len(body["results"])) == (5, False, 4)
    assert "page=4" in body["next"]
    small = client.get("/api/tickets/", {"status": "closed"}, HTTP_ACCEPT="application/json").json()
    assert (small["count"], small["count_exact"], small["next"]) == (1, True, None)


# --- My work's counters -------------------------------------------------------------------------


def test_my_work_counts_the_users_work_only(
    org: Any, customer: User, engineer: User, tier1: Team, tier2: Team, staff_client: Client
) -> None:
    """Their teams' open tickets and their own elsewhere, each once; not other teams' tickets."""
    make_ticket(org, customer, tier1, status="new")
    make_ticket(org, customer, tier1, assignee=engineer)  # in their team and theirs: once
    make_ticket(org, customer, tier2, assignee=engineer)  # theirs in another team
    make_ticket(org, customer, None, assignee=engineer, status="open")  # theirs, no team
    make_ticket(org, customer, tier2)  # another team's: not counted
    make_ticket(org, customer, tier2, status="open")
    make_ticket(org, customer, tier1, status="closed")

    counts = selectors.status_counts(user=engineer)

    assert counts == {"new": 1, "open": 1, "in_progress": 2, "waiting_on_customer": 0}
    stats = page(staff_client.get(reverse("desk:my_work"))).select("span", cls="n")
    assert [s.text for s in stats] == ["1", "1", "2", "0"]


# --- badges in one pass -------------------------------------------------------------------------


def test_badges_of_a_page_are_those_each_row_computed_alone(org: Any, customer: User, tier1: Team) -> None:
    """Running (weeks and minutes old), paused, warning, breached, met and breached-stopped clocks
    on the office calendar (windows, a holiday) and around the clock: the same badges, words and all."""
    now = timezone.now()
    around_the_clock = BusinessCalendar.objects.create(name="24x7", is_24x7=True)
    shapes: list[dict[str, Any]] = [
        {"running_since": now - timedelta(days=40), "target_seconds": 400 * 3600},
        {"running_since": now - timedelta(minutes=7), "target_seconds": 3600},
        {"running_since": now - timedelta(days=3), "accumulated_seconds": 1800, "target_seconds": 30 * 3600},
        {"state": ClockState.PAUSED, "running_since": None, "accumulated_seconds": 5000},
        {"running_since": now - timedelta(days=2), "target_seconds": 9 * 3600, "warned_at": now},
        {"running_since": now - timedelta(days=9), "target_seconds": 3600, "breached_at": now},
        {"state": ClockState.STOPPED, "running_since": None, "stopped_at": now, "accumulated_seconds": 60},
        {"state": ClockState.STOPPED, "running_since": None, "breached_at": now, "accumulated_seconds": 9e4},
    ]
    tickets = []
    for i, shape in enumerate(shapes):
        ticket = make_ticket(org, customer, tier1)
        tickets.append(ticket)
        clock(ticket, "ticket.resolution", **shape)
        clock(ticket, "ticket.first_response", calendar=around_the_clock, **shape)
        if i % 3 == 0:
            since = now - timedelta(hours=30 + i)
            clock(ticket, "escalations.tier", running_since=since, target_seconds=7200)
    rows = list(selectors.queue_rows().filter(pk__in=[t.pk for t in tickets]).order_by("pk"))
    one_by_one = [with_texts(clock_badges(t, now)) for t in rows]

    attach_badges(rows, now)

    assert [t.badges for t in rows] == one_by_one
    states = {b["state"] for badges in one_by_one for b in badges}
    assert states == {"running", "paused", "warning", "breached", "met"}
