"""Shared personas and factories for every app's tests."""

from __future__ import annotations

import pytest

from tests_support.factories import (
    CategoryFactory,
    OrganisationFactory,
    ServiceFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
    make_agent,
    make_customer,
)


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Acme Manufacturing")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Globex Logistics")


@pytest.fixture
def tier1(db):
    return TeamFactory(name="Tier 1")


@pytest.fixture
def tier2(db):
    return TeamFactory(name="Tier 2")


@pytest.fixture
def engineering(db):
    return TeamFactory(name="Engineering", requires_knowledge_update=True)


@pytest.fixture
def customer(org):
    return make_customer(org, username="carla")


@pytest.fixture
def other_customer(other_org):
    return make_customer(other_org, username="gus")


@pytest.fixture
def engineer(tier1):
    return make_agent("Engineer", team=tier1, username="erin")


@pytest.fixture
def other_engineer(tier2):
    """An engineer of another team than the ticket's."""
    return make_agent("Engineer", team=tier2, username="otto")


@pytest.fixture
def team_leader(tier1):
    user = make_agent("Team leader", username="tess")
    tier1.leaders.add(user)
    return user


@pytest.fixture
def team_manager(tier1):
    user = make_agent("Team manager", username="manny")
    tier1.manager = user
    tier1.save()
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def service(tier1):
    return ServiceFactory(name="Payroll", default_team=tier1)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Software")


@pytest.fixture
def ticket(org, customer, engineer, service, category):
    """A new ticket with its intake fully documented, from Acme, for Tier 1's service."""
    return TicketFactory(
        organisation=org, requester=customer, created_by=engineer, service=service,
        category=category,
    )
