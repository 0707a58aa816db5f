"""The API's forms never leak people (issue 10 point 4): customers always get JSON, staff's
browsable forms list only the people the field may name, and an id outside that scope is a 400."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from accounts.models import User
from tests_support.factories import make_agent, make_customer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def client(user: User | None = None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


def api_paths(ticket: Ticket) -> list[str]:
    """Every API route (each app's), its ids filled with the ticket's id (others: 1); the schema
    and its documentation pages (HTML by design, naming nobody) are not API endpoints."""
    paths = set()
    for path, _regex, _method, _callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith("/api/") or path.startswith(("/api/schema", "/api/docs", "/api/redoc")):
            continue
        filled = path.replace("{pk}", str(ticket.pk)).replace("{id}", str(ticket.pk))
        paths.add(re.sub(r"\{[^}]+\}", "1", filled))
    return sorted(paths)


@pytest.fixture
def outsiders(other_customer: User, other_engineer: User) -> list[User]:
    """People the Acme customer must never see listed: another organisation's contact and staff
    with nothing to do with their ticket (its creator and team's contacts they may see)."""
    return [other_customer, other_engineer, make_agent("Escalation manager", username="esme")]


def test_it_answers_a_customer_json_on_every_endpoint_and_names_nobody_else(
    customer: User, ticket: Ticket, outsiders: list[User]
) -> None:
    make_customer(ticket.organisation, username="colleague")
    api = client(customer)
    paths = api_paths(ticket)
    assert len(paths) > 30  # the enumeration found every app's routes

    for path in paths:
        for method in ("get", "options"):
            response = getattr(api, method)(path, HTTP_ACCEPT="text/html")
            body = response.content.decode()
            assert response["Content-Type"].startswith("application/json"), (
                method,
                path,
                response.status_code,
            )
            for person in outsiders:
                assert str(person) not in body, (method, path, person.username)
                assert person.email not in body, (method, path, person.username)
                assert f'"{person.username}"' not in body, (method, path, person.username)


@pytest.mark.parametrize("suffix", ["?format=api", ""])
def test_it_answers_anonymous_and_customer_callers_json_when_they_ask_for_the_browsable_page(
    customer: User, suffix: str
) -> None:
    for api in (client(), client(customer)):
        response = api.get(f"/api/tickets/{suffix}", HTTP_ACCEPT="text/html")

        assert response["Content-Type"].startswith("application/json")


def test_it_lists_only_support_staff_in_a_staff_members_engage_form(
    engineer: User, customer: User, other_customer: User, ticket: Ticket
) -> None:
    colleague = make_agent("Engineer", username="sam")
    inactive = make_agent("Engineer", username="gone", is_active=False)

    response = client(engineer).get(f"/api/escalations/{ticket.pk}/engage/", HTTP_ACCEPT="text/html")

    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert f'<option value="{colleague.pk}"' in html
    for person in (customer, other_customer, inactive):
        assert f'<option value="{person.pk}"' not in html


def test_it_lists_only_customer_contacts_as_requesters_in_a_staff_members_form(
    engineer: User, customer: User, other_customer: User, team_leader: User
) -> None:
    response = client(engineer).get("/api/tickets/", HTTP_ACCEPT="text/html")

    html = response.content.decode()
    requester = html[html.index('name="requester"') :]
    requester = requester[: requester.index("</select>")]
    assert f'value="{customer.pk}"' in requester and f'value="{other_customer.pk}"' in requester
    assert f'value="{engineer.pk}"' not in requester and f'value="{team_leader.pk}"' not in requester


def test_it_lists_only_staff_as_assignees_in_a_staff_members_start_form(
    engineer: User, customer: User, ticket: Ticket
) -> None:
    response = client(engineer).get(f"/api/tickets/{ticket.pk}/start/", HTTP_ACCEPT="text/html")

    html = response.content.decode()
    assert f'<option value="{engineer.pk}"' in html
    assert f'<option value="{customer.pk}"' not in html


def test_it_refuses_another_organisations_contact_from_a_customer_with_400(
    customer: User, other_customer: User, ticket: Ticket
) -> None:
    response = client(customer).post(
        f"/api/tickets/{ticket.pk}/copied-in/", {"contact": other_customer.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The input was not accepted.",
        "errors": {"contact": [f'Invalid pk "{other_customer.pk}" - object does not exist.']},
    }


def test_it_refuses_another_requester_from_a_customer_opening_a_ticket_with_400(
    customer: User, other_customer: User
) -> None:
    response = client(customer).post(
        "/api/tickets/", {"summary": "VPN down", "requester": other_customer.pk}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert list(response.json()["errors"]) == ["requester"]
    assert not Ticket.objects.filter(summary="VPN down").exists()


def test_it_refuses_a_staff_member_as_requester_with_400(
    engineer: User, team_leader: User, org: object
) -> None:
    response = client(engineer).post(
        "/api/tickets/",
        {"summary": "VPN down", "organisation": org.pk, "requester": team_leader.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["requester"]
