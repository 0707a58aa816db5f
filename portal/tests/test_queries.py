"""Portal pages run a fixed number of queries, however many requests or messages there are.

Each test measures a page with a little data and with a lot and asserts the counts are equal.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from desk.tests.test_queries import fill_ticket
from escalations.models import EscalationPath, Tier, TierStint
from tests_support.factories import TicketFactory, add_sla_clocks
from tickets.models import Status, Ticket

from .helpers import page

# Session, the user with their permissions (one query: accounts.backends), the count and the
# page of requests, their current tiers, the at-a-glance counts, and the header's organisation name.
LIST_QUERIES = 7
# Session, the user with their permissions (1), the ticket, its steps, comments and timeline, the
# files of each (3), the team's leaders, the SLA clocks with their calendars' windows and holidays (3), the
# current tier, the header's organisation name, and the escalation panel's latest case.
REQUEST_QUERIES = 18  # + people copied in, + colleagues to copy in
# With an escalation case: its requests, participants, action plan, conference calls, updates
# and its next-update clock.
REQUEST_QUERIES_WITH_CASE = REQUEST_QUERIES + 6


def count_queries(client: Client, url: str, **params: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def make_requests(
    org: Any,
    other_org: Any,
    customer: User,
    other_customer: User,
    engineer: User,
    tier1: Team,
    service: Any,
    category: Any,
) -> Any:
    path = EscalationPath.objects.create(name="Payroll escalation")
    tier = Tier.objects.create(path=path, name="Payroll first line", level=1, team=tier1)

    def make(n: int) -> None:
        start = Ticket.objects.count()
        now = timezone.now()
        created = Ticket.objects.bulk_create(
            [
                Ticket(
                    organisation=org if i % 5 else other_org,
                    requester=customer if i % 5 else other_customer,
                    created_by=customer,
                    channel="portal",
                    summary=f"Payroll export fails #{start + i}",
                    priority="P2",
                    category=category,
                    service=service,
                    team=tier1,
                    status=[Status.NEW, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.RESOLVED][
                        i % 4
                    ],
                    assignee=engineer,
                    created_at=now - timedelta(minutes=start + i),
                )
                for i in range(n)
            ]
        )
        add_sla_clocks(created)
        TierStint.objects.bulk_create(TierStint(ticket=t, tier=tier) for t in created)

    return make


@pytest.mark.parametrize(
    "params",
    [{}, {"show": "all", "q": "payroll"}, {"status": "resolved"}, {"page": "2"}],
    ids=["open", "search", "status", "page-2"],
)
def test_it_lists_the_requests_in_a_fixed_number_of_queries(
    carla: Client, make_requests: Any, params: dict[str, str]
) -> None:
    url = reverse("portal:home")
    make_requests(30 if params.get("page") else 10)
    carla.get(url, params)  # warm the per-process caches (content types)

    small, small_page = count_queries(carla, url, **params)
    make_requests(400)
    large, large_page = count_queries(carla, url, **params)

    assert len(page(small_page).references()) < len(page(large_page).references()) <= 20
    assert {td.text for td in page(large_page).select("td", data_label="Where it is")} == {
        "With our support team (Payroll first line)"
    }
    assert small == large == LIST_QUERIES


def test_it_answers_the_htmx_list_in_a_fixed_number_of_queries(carla: Client, make_requests: Any) -> None:
    url = reverse("portal:home")
    make_requests(10)
    carla.get(url)
    headers = {"HX-Request": "true"}

    with CaptureQueriesContext(connection) as small:
        carla.get(url, {"status": "new"}, headers=headers)
    make_requests(400)
    with CaptureQueriesContext(connection) as large:
        response = carla.get(url, {"status": "new"}, headers=headers)

    assert len(page(response).references()) == 20
    assert len(small) == len(large) == LIST_QUERIES - 2  # no at-a-glance counts nor header in the partial


@pytest.mark.parametrize("state", ["in_progress", "resolved"])
def test_it_shows_a_request_in_a_fixed_number_of_queries(
    carla: Client,
    org: Any,
    customer: User,
    engineer: User,
    team_leader: User,
    team_manager: User,
    other_engineer: User,
    tier1: Team,
    service: Any,
    category: Any,
    state: str,
) -> None:
    people = [engineer, team_leader, team_manager, other_engineer, customer]
    path = EscalationPath.objects.create(name="Payroll escalation")
    tier = Tier.objects.create(path=path, name="Payroll first line", level=1, team=tier1)

    def make(n: int) -> Ticket:
        ticket = TicketFactory(
            organisation=org,
            requester=customer,
            created_by=customer,
            service=service,
            category=category,
            team=tier1,
            status=state,
            assignee=engineer,
        )
        fill_ticket(ticket, n, people, tier1)
        add_sla_clocks([ticket])
        TierStint.objects.create(ticket=ticket, tier=tier)
        return ticket

    small_ticket, large_ticket = make(6), make(200)
    carla.get(reverse("portal:request", args=[small_ticket.pk]))

    small, small_page = count_queries(carla, reverse("portal:request", args=[small_ticket.pk]))
    large, large_page = count_queries(carla, reverse("portal:request", args=[large_ticket.pk]))

    for response, n in ((small_page, 6), (large_page, 200)):
        html = page(response)
        # fill_ticket makes every other comment and event public, and two steps in three.
        assert len(html.one(id="messages").select("li", cls="p-message")) == n // 2
        assert len(html.one(id="history").select("li", cls="p-event")) == n // 2
        assert len(html.one(id="checks").select("li", cls="p-step")) == len([i for i in range(n) if i % 3])
        assert html.one(id="current-tier").text == "With our support team (Payroll first line)"
    assert small == large == REQUEST_QUERIES


def test_it_shows_a_request_with_an_escalation_in_a_fixed_number_of_queries(
    carla: Client,
    org: Any,
    customer: User,
    engineer: User,
    team_leader: User,
    team_manager: User,
    other_engineer: User,
    tier1: Team,
    service: Any,
    category: Any,
) -> None:
    from datetime import date

    from cases.models import ActionItem, CaseMeeting, CaseParticipant, CaseUpdate
    from cases.services import core as case_core
    from cases.services import plans as case_plans
    from cases.services import requests as case_requests
    from tests_support.factories import make_agent

    esme = make_agent("Escalation manager", username="esme")
    people = [engineer, team_leader, team_manager, other_engineer]
    path = EscalationPath.objects.create(name="Payroll escalation")
    tier = Tier.objects.create(path=path, name="Payroll first line", level=1, team=tier1)

    def make(n: int) -> Ticket:
        ticket = TicketFactory(
            organisation=org,
            requester=customer,
            created_by=customer,
            service=service,
            category=category,
            team=tier1,
            status="in_progress",
            assignee=engineer,
        )
        fill_ticket(ticket, 6, [*people, customer], tier1)
        add_sla_clocks([ticket])
        TierStint.objects.create(ticket=ticket, tier=tier)
        case = case_requests.case_request(
            ticket=ticket,
            actor=customer,
            reason="critical_impact",
            level="team_manager",
            review=case_core.Review(problem_statement_correct=True, business_impact="Payroll."),
        )
        case_plans.case_acknowledge(case=case, actor=esme)
        case_plans.case_activate(
            case=case,
            actor=esme,
            mode="phone",
            update_every_minutes=60,
            required_attendees="All",
            action_plan=[case_core.PlanItem(owner=engineer, step="Reproduce", target_date=date.today())],
            first_call_at=timezone.now(),
        )
        CaseUpdate.objects.bulk_create(
            CaseUpdate(case=case, mode="phone", summary=f"Update {i}", logged_by=esme) for i in range(n)
        )
        ActionItem.objects.bulk_create(
            ActionItem(case=case, owner=people[i % 4], step=f"Step {i}", target_date=date.today())
            for i in range(n)
        )
        CaseMeeting.objects.bulk_create(
            CaseMeeting(
                case=case,
                kind="conference_call",
                scheduled_for=timezone.now(),
                attendees="All",
                recorded_by=esme,
            )
            for i in range(n)
        )
        CaseParticipant.objects.bulk_create(
            CaseParticipant(case=case, user=other_engineer, role=role, engaged_by=esme)
            for role in ("sme", "next_tier")
        )
        case_requests.case_request(
            ticket=ticket,
            actor=customer,
            reason="critical_impact",
            level="leadership",
            review=case_core.Review(problem_statement_correct=True, business_impact="Payroll still."),
        )
        return ticket

    small_ticket, large_ticket = make(2), make(150)
    carla.get(reverse("portal:request", args=[small_ticket.pk]))

    small, small_page = count_queries(carla, reverse("portal:request", args=[small_ticket.pk]))
    large, large_page = count_queries(carla, reverse("portal:request", args=[large_ticket.pk]))

    for response, n in ((small_page, 2), (large_page, 150)):
        panel = page(response).one(id="escalation")
        assert len(panel.one(id="case-updates").select("li", cls="p-case-update")) == n
        assert len(panel.one(id="case-plan").select("tr", cls="p-plan-item")) == n + 1
        assert len(panel.one(id="case-calls").select("li", cls="p-call")) == n + 1
        assert panel.one(id="case-state").text == "Escalation active"
    assert small == large == REQUEST_QUERIES_WITH_CASE
