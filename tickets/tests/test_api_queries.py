"""REST API reads run a fixed number of queries whatever the number of rows (STYLE habit 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from tests_support.factories import TicketFactory, add_sla_clocks
from tickets.models import Attachment, Comment, Status, Ticket, TimelineEvent, TroubleshootingStep

from .api_helpers import api_client, ticket_url

pytestmark = pytest.mark.django_db

# Session + user, the user's permissions (user and group) and teams, count, page.
LIST_QUERIES = 10  # + the SLA clocks, their calendars' windows and holidays
# The detail reads tickets.read_model: the session, the user with their permissions and teams
# (one query, accounts.backends), the ticket (with its collections' EXISTS flags, the team's
# leaders and the SLA clocks with their calendars' windows and holidays: escalation_desk.folding),
# then one query each for steps, comments, every file (handed to its step, comment or the
# ticket) and events. (Before the read model: 16 + 3; before the folding: 10 + 3.)
DETAIL_QUERIES = 7
DETAIL_GOAL = 8  # issue 12: the API detail in at most 8 queries
# The comments, steps and attachments sub-resources read selectors.ticket_detail_queryset.
SUB_RESOURCE_QUERIES = 16

STATUSES = [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.RESOLVED]


def make_tickets(
    n: int, *, org: object, customer: User, engineer: User, other_engineer: User, tier1: object, tier2: object
) -> None:
    """Tickets with every relation a list row shows, spread over states, teams and assignees."""
    for i in range(n):
        status = STATUSES[i % len(STATUSES)]
        TicketFactory(
            organisation=org,
            requester=customer,
            created_by=engineer,
            status=status,
            team=None if status == Status.NEW else (tier1, tier2)[i % 2],
            assignee=None if status in (Status.NEW, Status.OPEN) else (engineer, other_engineer)[i % 2],
        )
    add_sla_clocks()


@pytest.mark.parametrize("persona", ["engineer", "customer", "team_leader"])
@pytest.mark.parametrize("n", [10, 200])
def test_it_lists_tickets_in_a_fixed_number_of_queries(
    request: pytest.FixtureRequest,
    django_assert_max_num_queries: Any,
    persona: str,
    n: int,
    org: object,
    customer: User,
    engineer: User,
    other_engineer: User,
    tier1: object,
    tier2: object,
) -> None:
    make_tickets(
        n,
        org=org,
        customer=customer,
        engineer=engineer,
        other_engineer=other_engineer,
        tier1=tier1,
        tier2=tier2,
    )
    client = api_client(request.getfixturevalue(persona))

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get("/api/tickets/?page_size=100")

    assert response.status_code == 200
    assert response.json()["count"] == n
    rows = response.json()["results"]
    assert len(rows) == min(n, 100)
    if persona != "customer":
        assert any(row["available_transitions"] for row in rows)


def fill_ticket(ticket: Ticket, n: int, *, engineer: User, customer: User) -> None:
    """n steps, n comments and n events, half of them internal, with files on steps and comments."""
    now = timezone.now()
    steps = TroubleshootingStep.objects.bulk_create(
        TroubleshootingStep(
            ticket=ticket,
            kind="basic_check",
            action=f"Check {i}",
            outcome="ok",
            engineer=engineer,
            team=ticket.team,
            is_public=i % 2 == 0,
            performed_at=now,
        )
        for i in range(n)
    )
    comments = Comment.objects.bulk_create(
        Comment(
            ticket=ticket,
            author=(engineer, customer)[i % 2],
            body=f"Comment {i}",
            is_internal=i % 2 == 1 and i % 4 == 1,
            created_at=now,
        )
        for i in range(n)
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(ticket=ticket, kind="comment", actor=engineer, is_public=i % 2 == 0, at=now)
        for i in range(n)
    )
    Attachment.objects.bulk_create(
        [
            Attachment(
                ticket=ticket,
                step=s,
                file=f"attachments/s{s.pk}.log",
                original_name="s.log",
                size=1,
                is_internal=not s.is_public,
                uploaded_by=engineer,
            )
            for s in steps
        ]
        + [
            Attachment(
                ticket=ticket,
                comment=c,
                file=f"attachments/c{c.pk}.log",
                original_name="c.log",
                size=1,
                is_internal=c.is_internal,
                uploaded_by=c.author,
            )
            for c in comments
        ]
        + [
            Attachment(
                ticket=ticket,
                file=f"attachments/t{i}.log",
                original_name="t.log",
                size=1,
                uploaded_by=customer,
            )
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("persona", ["engineer", "customer"])
@pytest.mark.parametrize("n", [5, 100])
def test_it_shows_the_detail_in_a_fixed_number_of_queries(
    request: pytest.FixtureRequest,
    django_assert_max_num_queries: Any,
    persona: str,
    n: int,
    ticket: Ticket,
    engineer: User,
    customer: User,
    team_leader: User,
    team_manager: User,
) -> None:
    from tickets.services.lifecycle import ticket_triage

    ticket_triage(ticket=ticket, actor=engineer)  # a team, with leaders and a manager
    fill_ticket(ticket, n, engineer=engineer, customer=customer)
    add_sla_clocks([ticket])
    client = api_client(request.getfixturevalue(persona))

    assert DETAIL_QUERIES <= DETAIL_GOAL
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(ticket_url(ticket))

    body = response.json()
    assert response.status_code == 200
    if persona == "engineer":
        assert (len(body["steps"]), len(body["comments"]), len(body["attachments"])) == (n, n, n)
        assert len(body["events"]) == n + 1
        assert body["available_transitions"] == ["start", "cancel"]
    else:
        assert len(body["steps"]) == (n + 1) // 2
        assert all(not a["is_internal"] for s in body["steps"] for a in s["attachments"])
        assert all(not c["is_internal"] for c in body["comments"])
    assert body["team"]["leaders"][0]["id"] == team_leader.pk


@pytest.mark.parametrize("n", [5, 100])
def test_it_lists_sub_resources_in_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any, n: int, ticket: Ticket, engineer: User, customer: User
) -> None:
    fill_ticket(ticket, n, engineer=engineer, customer=customer)
    add_sla_clocks([ticket])
    client = api_client(engineer)

    for action in ("comments", "steps", "attachments"):
        with django_assert_max_num_queries(SUB_RESOURCE_QUERIES):
            response = client.get(ticket_url(ticket, action))
        assert response.status_code == 200
        assert len(response.json()) == (3 * n if action == "attachments" else n)
