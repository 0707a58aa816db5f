"""A create runs a fixed, small number of queries through the console and the API (issue 12).

The ticket has a priority, a category and a service whose default team it reaches, with
leaders (the customer's notice carries their contacts), so every part of the create runs:
the ticket, its opening event, the customer's notice (mail and portal inbox, one INSERT).
Each count is measured with one team leader and with several: the same bound must hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalations.tests.conftest import STAFF
from notifications.models import Notification
from tests_support.factories import CategoryFactory, make_agent
from tickets.models import Ticket

# session, user, permissions (one query), requester, category, service (with its team and manager);
# BEGIN, INSERT ticket, the team's leaders, INSERT event, INSERT notifications, COMMIT.
CONSOLE_CREATE_QUERIES = 12
# The API answers with the new ticket built from what was written, not read back; the user's
# teams, for the transitions the answer lists, come with their permissions (accounts.User.has_perm).
API_CREATE_QUERIES = 12


def _setup(world: Any, leaders: int) -> tuple[Client, dict[str, Any], dict[str, Any]]:
    team = world.teams["Tier 1"]
    for i in range(leaders - 1):
        team.leaders.add(make_agent("Team leader", username=f"extra-leader-{i}"))
    engineer = world[STAFF["Tier 1"][0][0]]
    client = Client()
    client.force_login(engineer)
    client.get("/desk/")  # the session exists before measuring
    carla = world["carla"]
    category = CategoryFactory()
    common = {"summary": "Printer jam", "description": "Jams.", "priority": "P3", "category": category.pk}
    form = {**common, "service": world.erp.pk, "requester": carla.pk, "channel": "phone"}
    api = {**common, "service": world.erp.pk, "requester": carla.pk, "organisation": carla.organisation_id}
    return client, form, api


def _count(post: Any, status: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = post()
    assert response.status_code == status, response.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("leaders", [1, 4])
def test_console_and_api_create_in_a_fixed_number_of_queries(world: Any, leaders: int) -> None:
    client, form, api = _setup(world, leaders)
    console = _count(lambda: client.post("/desk/tickets/new/", form), 302)
    answer = _count(
        lambda: client.post(
            "/api/tickets/", api, content_type="application/json", HTTP_ACCEPT="application/json"
        ),
        201,
    )
    assert console <= CONSOLE_CREATE_QUERIES
    assert answer <= API_CREATE_QUERIES
    assert answer <= console
    tickets = list(Ticket.objects.order_by("pk"))
    assert [t.team_id for t in tickets] == [world.teams["Tier 1"].pk] * 2
    # The customer was told each time, by mail and in the portal.
    assert Notification.objects.filter(recipient=world["carla"], kind="ticket.received").count() == 4


def test_api_answer_shows_the_new_ticket_as_a_read_would(world: Any) -> None:
    client, _form, api = _setup(world, 2)
    created = client.post(
        "/api/tickets/", api, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    read = client.get(created["Location"], HTTP_ACCEPT="application/json")
    assert created.status_code == 201 and read.status_code == 200
    assert created.json() == read.json()
