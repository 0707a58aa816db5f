"""Who may request, see and run a customer escalation case (SPEC §6).

The one place these rules live; the service, the API, the console and the portal read them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tickets import permissions as ticket_permissions

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket


def is_escalation_manager(user: User) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("cases.manage_escalationcase"))
    )


def is_leadership(user: User) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("cases.review_escalationcase"))
    )


def can_request_case(ticket: Ticket, user: User) -> bool:
    """The customer, from the portal or the API; staff recording a request made by phone or e-mail."""
    if ticket_permissions.is_customer_of(ticket, user):
        return True
    return user.is_authenticated and user.is_agent and ticket_permissions.can_view_internal(user)


def can_view_case(ticket: Ticket, user: User) -> bool:
    return ticket_permissions.can_view_ticket(ticket, user)


def can_manage_case(user: User) -> bool:
    """Acknowledge, agree the plans, log updates, propose de-escalation: escalation managers."""
    return is_escalation_manager(user)


def can_engage(ticket: Ticket, user: User) -> bool:
    """The assigned engineer (and whoever works the ticket) or an escalation manager engages
    the requested resource (seed 000)."""
    return is_escalation_manager(user) or (user.is_agent and ticket_permissions.can_work_ticket(ticket, user))


def can_answer_de_escalation(ticket: Ticket, user: User) -> bool:
    """The customer agrees (or not) in the portal; an escalation manager records it otherwise."""
    return ticket_permissions.is_customer_of(ticket, user) or is_escalation_manager(user)
