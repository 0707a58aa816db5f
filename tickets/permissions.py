"""Who may see and do what on tickets: the one place these rules live (SPEC §1).

Functions take (ticket, user) in django-fsm's permission order and touch only attributes
already loaded, so they can run per row without queries beyond the user's cached teams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User

    from .models import Ticket


def is_staff_reader(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("tickets.view_all_tickets")


def system_only(ticket: Ticket, user: User) -> bool:
    """Transitions the system takes by itself (a time frame passed); no person may."""
    return False


def can_view_ticket(ticket: Ticket, user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if is_staff_reader(user):
        return True
    return bool(user.organisation_id) and user.organisation_id == ticket.organisation_id


def can_view_internal(user: User) -> bool:
    return user.is_authenticated and user.has_perm("tickets.view_internal")


def visible_tickets(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Restrict a ticket queryset to what the user may see."""
    if is_staff_reader(user):
        return queryset
    if getattr(user, "organisation_id", None):
        return queryset.filter(organisation_id=user.organisation_id)
    return queryset.none()


def can_work_ticket(ticket: Ticket, user: User) -> bool:
    """Engineers of the ticket's team (or its assignee), their leaders and managers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.has_perm("tickets.work_any_ticket"):
        return True
    if not user.has_perm("tickets.work_ticket"):
        return False
    if ticket.assignee_id == user.pk:
        return True
    # An untriaged ticket with no team yet may be picked up by any engineer.
    return ticket.team_id is None or ticket.team_id in user.team_ids


def assignable_team_ids(user: User) -> frozenset[int] | None:
    """Teams whose tickets the user may assign: those they lead or manage; None means every
    team (administrators). The one statement of the rule can_assign and the queue's bulk form read."""
    if user.is_superuser or user.has_perm("tickets.work_any_ticket"):
        return None
    return user.led_team_ids


def can_assign(ticket: Ticket, user: User) -> bool:
    """Team leaders and managers of the ticket's team assign and reassign it (SPEC §1)."""
    if not user.is_authenticated or not user.is_active:
        return False
    team_ids = assignable_team_ids(user)
    return team_ids is None or (ticket.team_id is not None and ticket.team_id in team_ids)


def is_customer_of(ticket: Ticket, user: User) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and bool(user.organisation_id)
        and not user.is_staff
        and user.organisation_id == ticket.organisation_id
    )


def can_confirm_resolution(ticket: Ticket, user: User) -> bool:
    """The customer confirms (or rejects) a resolution; staff may record it on their behalf."""
    if is_customer_of(ticket, user):
        return user.has_perm("tickets.confirm_resolution")
    return can_work_ticket(ticket, user)


def can_reply_as_customer_or_work(ticket: Ticket, user: User) -> bool:
    return is_customer_of(ticket, user) or can_work_ticket(ticket, user)


def can_comment(ticket: Ticket, user: User, *, internal: bool) -> bool:
    if not can_view_ticket(ticket, user) or not user.has_perm("tickets.add_comment"):
        return False
    if internal:
        return can_view_internal(user)
    return True


def can_add_step(ticket: Ticket, user: User) -> bool:
    return (
        can_view_ticket(ticket, user) and user.has_perm("tickets.add_troubleshootingstep") and ticket.is_open
    )


def can_attach(ticket: Ticket, user: User) -> bool:
    return can_view_ticket(ticket, user) and user.has_perm("tickets.add_attachment")


def can_set_step_visibility(ticket: Ticket, user: User) -> bool:
    """Whether a step is shown to the customer is decided by those who work the ticket."""
    return can_work_ticket(ticket, user) and can_view_internal(user)


def can_redact(user: User) -> bool:
    """Redacting personal data from the record is an administrator's duty (SPEC §10)."""
    return user.is_authenticated and user.is_active and user.has_perm("tickets.redact_history")


def can_edit_intake(ticket: Ticket, user: User) -> bool:
    return ticket.is_open and can_work_ticket(ticket, user)


def can_correct_own_statement(ticket: Ticket, user: User) -> bool:
    """The customer corrects what they told us (the problem statement, business impact and
    critical milestone, e.g. in seed 002's review while escalating), on a ticket not yet final;
    support staff record a correction the customer gave by phone or e-mail."""
    if ticket.status in ("closed", "cancelled"):
        return False
    if is_customer_of(ticket, user):
        return True
    return user.is_authenticated and user.is_active and user.is_staff and can_view_internal(user)


def can_create_ticket(user: User, organisation_id: int | None) -> bool:
    if not user.is_authenticated or not user.has_perm("tickets.add_ticket"):
        return False
    if is_staff_reader(user):
        return True
    return bool(user.organisation_id) and user.organisation_id == organisation_id


# Intake fields support sets, never the customer (the portal has no field for them): a
# customer's request gets them at triage. Every interface reads this one statement.
STAFF_ONLY_INTAKE_FIELDS = ("priority", "category")


def may_set_staff_only_intake(user: User) -> bool:
    return is_staff_reader(user)


def staff_only_intake_errors(user: User, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The staff-only intake fields a non-staff `user` tried to set (blank counts as not set)."""
    if may_set_staff_only_intake(user):
        return {}
    return {
        name: [_("Set by support when they triage the request; a customer cannot set it.")]
        for name in STAFF_ONLY_INTAKE_FIELDS
        if values.get(name) not in (None, "")
    }
