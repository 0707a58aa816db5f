"""The ticket page's timeline shows its latest events; "Earlier events" pages back, with htmx in
place and without JavaScript as a plain link (tickets.read_model.timeline_tail)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from desk.tests.test_pages import page
from tests_support.factories import TicketFactory
from tickets.models import Ticket, TimelineEvent
from tickets.read_model import TIMELINE_TAIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_ticket(org: Any, customer: User, engineer: User, tier1: Any) -> Ticket:
    """A ticket with 2.5 tails' worth of events, one a minute (its own opening event is first)."""
    ticket = TicketFactory(organisation=org, requester=customer, created_by=engineer, team=tier1)
    start = timezone.now() - timedelta(days=1)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            ticket=ticket,
            kind="comment",
            actor=engineer,
            at=start + timedelta(minutes=i),
            reason=f"Event {i}",
        )
        for i in range(TIMELINE_TAIL * 5 // 2)
    )
    return ticket


def reasons(response: Any) -> list[str]:
    return [e.text for e in page(response).select("div", cls="reason")]


def earlier_link(response: Any) -> Any:
    controls = page(response).select("p", cls="timeline-earlier")
    return controls[0].select("a")[0] if controls else None


def test_it_shows_the_latest_events_and_pages_back_without_javascript(
    staff_client: Client, long_ticket: Ticket
) -> None:
    url = reverse("desk:ticket", args=[long_ticket.pk])
    n = TIMELINE_TAIL * 5 // 2

    first = staff_client.get(url)
    assert reasons(first) == [f"Event {i}" for i in range(n - TIMELINE_TAIL, n)]
    link = earlier_link(first)
    assert link.attrs["href"].startswith(url + "?before=")
    assert page(first).select("p", cls="timeline-latest") == []

    second = staff_client.get(link.attrs["href"].split("#")[0])
    assert reasons(second) == [f"Event {i}" for i in range(n - 2 * TIMELINE_TAIL, n - TIMELINE_TAIL)]
    assert page(second).select("p", cls="timeline-latest")  # a way back to the latest

    third = staff_client.get(earlier_link(second).attrs["href"].split("#")[0])
    # The rest of the events, with the ticket's own opening events first; nothing earlier.
    assert reasons(third)[-(n - 2 * TIMELINE_TAIL) :] == [f"Event {i}" for i in range(n - 2 * TIMELINE_TAIL)]
    assert earlier_link(third) is None


def test_htmx_loads_the_earlier_events_in_place_of_the_control(
    staff_client: Client, long_ticket: Ticket, django_assert_max_num_queries: Any
) -> None:
    first = staff_client.get(reverse("desk:ticket", args=[long_ticket.pk]))
    link = earlier_link(first)
    n = TIMELINE_TAIL * 5 // 2

    with django_assert_max_num_queries(6):  # session, user, permissions, ticket, teams, events
        partial = staff_client.get(link.attrs["hx-get"], headers={"HX-Request": "true"})

    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert link.attrs["hx-target"] == "#" + page(first).select("p", cls="timeline-earlier")[0].attrs["id"]
    assert reasons(partial) == [f"Event {i}" for i in range(n - 2 * TIMELINE_TAIL, n - TIMELINE_TAIL)]
    assert earlier_link(partial) is not None


def test_the_timeline_partial_is_for_staff_and_visible_tickets(
    client: Client, long_ticket: Ticket, customer: User
) -> None:
    url = reverse("desk:ticket_timeline", args=[long_ticket.pk])
    client.force_login(customer)
    assert client.get(url, {"before": "1"}).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
