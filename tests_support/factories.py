"""factory-boy factories and persona helpers used by every app's tests and the benchmarks."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from accounts.models import Organisation, Team, User
from accounts.roles import sync_role_groups
from tickets.models import Category, Priority, Service, Ticket

PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Category {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Service {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A new ticket whose intake is complete (triage would accept it)."""

    class Meta:
        model = Ticket

    organisation = factory.SubFactory(OrganisationFactory)
    requester = factory.LazyAttribute(lambda t: make_customer(t.organisation))
    created_by = factory.SelfAttribute("requester")
    summary = factory.Sequence(lambda n: f"Payroll export fails with timeout #{n}")
    description = "The nightly payroll export stops half way and the file is empty."
    symptoms = "Export job shows 'failed' after 30 minutes."
    replication_steps = "Run Payroll > Export > Nightly with the March period."
    error_messages = "ERR-504 upstream timeout"
    recent_changes = "none"
    business_impact = "Salaries cannot be paid on Friday."
    priority = Priority.P2
    category = factory.SubFactory(CategoryFactory)
    service = factory.SubFactory(ServiceFactory)


def _groups(*names: str) -> list[Group]:
    if Group.objects.filter(name__in=names).count() != len(set(names)):
        sync_role_groups()
    return list(Group.objects.filter(name__in=names))


def make_agent(*roles: str, team: Team | None = None, **kwargs: object) -> User:
    """A staff user with the given roles (group names), optionally a member of a team."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(*_groups(*roles))
    if team is not None:
        team.members.add(user)
    return user


def make_customer(organisation: Organisation, **kwargs: object) -> User:
    user = UserFactory(organisation=organisation, **kwargs)
    user.groups.add(*_groups("Customer"))
    return user
