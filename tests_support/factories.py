"""factory-boy factories and persona helpers used by every app's tests and the benchmarks."""

from __future__ import annotations

from datetime import date, time, timedelta

import factory
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Organisation, Team, User
from accounts.roles import sync_role_groups
from clocks.models import BusinessCalendar, Clock, ClockState, Holiday, WorkingWindow
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


def office_calendar() -> BusinessCalendar:
    """Mon–Fri 09:00–17:00 in London with one extra holiday: every part of a calendar is used."""
    calendar, created = BusinessCalendar.objects.get_or_create(name="Test office", time_zone="Europe/London")
    if created:
        WorkingWindow.objects.bulk_create(
            WorkingWindow(calendar=calendar, weekday=day, start=time(9), end=time(17)) for day in range(5)
        )
        Holiday.objects.create(calendar=calendar, date=date(2026, 12, 28), name="Office closed")
    return calendar


def add_sla_clocks(tickets: list[Ticket] | None = None) -> None:
    """Running first-response and resolution clocks on tickets (all by default), in bulk."""
    calendar = office_calendar()
    content_type = ContentType.objects.get_for_model(Ticket)
    now = timezone.now()
    tickets = tickets if tickets is not None else list(Ticket.objects.all())
    Clock.objects.bulk_create(
        Clock(
            content_type=content_type,
            object_id=ticket.pk,
            kind=kind,
            calendar=calendar,
            state=ClockState.RUNNING,
            started_at=now,
            running_since=now,
            target_seconds=target,
            warn_at=now + timedelta(seconds=target * 3 // 4),
            due_at=now + timedelta(seconds=target),
        )
        for ticket in tickets
        for kind, target in (("ticket.first_response", 3600), ("ticket.resolution", 8 * 3600))
    )
