"""A new ticket reaches its service's team at once: its engineers see it and only they triage it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Organisation, User
from escalation_desk.domain import InvalidInput
from tickets import permissions, selectors
from tickets.models import Category, Service, Ticket
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import ticket_triage


def _create(org: Organisation, customer: User, actor: User, service: Service | None) -> object:
    return ticket_create(
        actor=actor,
        organisation=org,
        requester=customer,
        summary="VPN drops every 20 minutes",
        service=service,
    )


def test_it_places_a_new_ticket_with_its_services_team(
    org: Organisation, customer: User, engineer: User, other_engineer: User, service: Service
) -> None:
    ticket = _create(org, customer, customer, service)

    assert ticket.team == service.default_team
    assert list(selectors.my_work(user=engineer)) == [ticket]
    assert list(selectors.my_work(user=other_engineer)) == []
    assert selectors.available_transitions(ticket, other_engineer) == []


def test_it_refuses_triage_by_an_engineer_of_another_team(
    org: Organisation, customer: User, other_engineer: User, service: Service, category: Category
) -> None:
    ticket = _create(org, customer, customer, service)

    with pytest.raises(PermissionDenied):
        ticket_triage(ticket=ticket, actor=other_engineer, category=category)


def test_it_leaves_a_ticket_without_service_to_any_engineer(
    org: Organisation, customer: User, other_engineer: User
) -> None:
    ticket = _create(org, customer, customer, None)

    assert ticket.team is None
    assert selectors.available_transitions(ticket, other_engineer) == ["triage", "cancel"]


def test_it_moves_the_ticket_to_the_corrected_services_team_at_triage(
    org: Organisation, customer: User, engineer: User, service: Service, category: Category, tier2: object
) -> None:
    vpn = Service.objects.create(name="VPN", default_team=tier2)
    ticket = ticket_create(
        actor=engineer,
        organisation=org,
        requester=customer,
        summary="VPN drops",
        service=service,
        description="d",
        symptoms="s",
        replication_steps="none",
        error_messages="none",
        recent_changes="none",
        business_impact="b",
        priority="P3",
        category=category,
    )

    ticket_triage(ticket=ticket, actor=engineer, service=vpn)

    assert ticket.team == tier2


def test_it_refuses_the_staff_only_intake_from_a_customer(
    org: Organisation, customer: User, category: Category
) -> None:
    with pytest.raises(InvalidInput) as refused:
        ticket_create(
            actor=customer,
            organisation=org,
            requester=customer,
            summary="Mine first",
            priority="P1",
            category=category,
        )

    assert sorted(refused.value.errors) == sorted(permissions.STAFF_ONLY_INTAKE_FIELDS)
    assert not Ticket.objects.exists()


def test_it_takes_the_staff_only_intake_from_staff_on_a_customers_behalf(
    org: Organisation, customer: User, engineer: User, category: Category
) -> None:
    ticket = ticket_create(
        actor=engineer,
        organisation=org,
        requester=customer,
        summary="On the phone",
        priority="P1",
        category=category,
    )

    assert (ticket.priority, ticket.category) == ("P1", category)
