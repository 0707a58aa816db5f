"""What the case capabilities share: the clocks' kinds, the review and plan inputs, who manages
and who leads, the case lock, and the case's staff and customer audiences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from accounts.models import Role, Team, User
from escalation_desk import links
from tickets import permissions as ticket_permissions
from tickets.models import OPEN_STATES, Status, Ticket, TimelineEvent
from tickets.notices import customer_audience, tell_customers, tell_staff
from tickets.services.core import lock_ticket

from .. import permissions
from ..models import OPEN_CASE_STATES, CaseStatus, EscalationCase

ACK_CLOCK = "escalations.case_ack"
UPDATE_CLOCK = "escalations.case_update"

# A ticket may be escalated while it is being worked, and when its resolution disappoints.
ESCALATABLE = [*OPEN_STATES, Status.RESOLVED]

# The states in which updates are given against the communication plan.
UPDATING = [CaseStatus.ACTIVE, CaseStatus.LEADERSHIP_REVIEW, CaseStatus.DE_ESCALATION_PROPOSED]


@dataclass(frozen=True)
class Review:
    """Seed 002's review, answered before a request is submitted."""

    problem_statement_correct: bool | None = None
    corrected_problem_statement: str = ""
    business_impact: str = ""
    workaround_impractical_because: str = ""
    critical_milestone: date | None = None


@dataclass(frozen=True)
class PlanItem:
    owner: User
    step: str
    target_date: date


# --- reading -----------------------------------------------------------------------------------


def open_case(ticket: Ticket) -> EscalationCase | None:
    return (
        EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES)
        .select_related("escalation_manager")
        .first()
    )


def engaged_on(ticket: Ticket) -> list[User]:
    """The people of the ticket's open escalation: its participants and escalation manager
    (they receive every update, seed 000; registered with tickets.participants)."""
    people: list[User] = []
    for case in (
        EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES)
        .select_related("escalation_manager")
        .prefetch_related("participants__user")
    ):
        if case.escalation_manager is not None:
            people.append(case.escalation_manager)
        people.extend(p.user for p in case.participants.all())
    return people


def case_events(ticket: Ticket) -> list[TimelineEvent]:
    return list(ticket.events.filter(kind__startswith="case_").order_by("at", "pk"))


# --- who -----------------------------------------------------------------------------------------


def escalation_managers() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=str(Role.ESCALATION_MANAGER)).distinct())


def leadership() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=str(Role.LEADERSHIP)).distinct())


def managers_of(user: User | None) -> list[User]:
    """Who an escalation manager answers to: the manager (else the leaders) of their teams,
    else support leadership."""
    if user is not None:
        teams = Team.objects.filter(members=user).select_related("manager").prefetch_related("leaders")
        found: dict[int, User] = {}
        for team in teams:
            if team.manager_id and team.manager_id != user.pk:
                found[team.manager_id] = team.manager
        if not found:
            for team in teams:
                found.update({leader.pk: leader for leader in team.leaders.all() if leader.pk != user.pk})
        if found:
            return list(found.values())
    return leadership()


def require_manager(actor: User) -> None:
    if not permissions.can_manage_case(actor):
        raise PermissionDenied(gettext("Only an escalation manager may do this."))


def an_active_escalation(case: EscalationCase) -> str:
    """The missing-list item of a step that needs an active case."""
    return gettext("an active escalation (this one is %(status)s)") % {
        "status": case.get_status_display().lower()
    }


# --- the lock ------------------------------------------------------------------------------------


def lock_case(case: EscalationCase) -> tuple[Ticket, EscalationCase]:
    """The ticket's lock (every ticket service takes it first), then the case's."""
    ticket = lock_ticket(case.ticket)
    locked = (
        EscalationCase.objects.select_for_update(of=("self",))
        .select_related("escalation_manager")
        .get(pk=case.pk)
    )
    return ticket, locked


def locked_case(case: EscalationCase) -> EscalationCase:
    """`lock_case` for `change_state`: the locked case, its `ticket` the locked ticket."""
    ticket, locked = lock_case(case)
    locked.ticket = ticket
    return locked


# --- who hears of it -----------------------------------------------------------------------------


def case_audience(case: EscalationCase, ticket: Ticket) -> list[User]:
    """Everyone who receives every update: participants, the escalation manager, the assignee."""
    people = {p.user.pk: p.user for p in case.participants.select_related("user")}
    if case.escalation_manager_id:
        people[case.escalation_manager_id] = case.escalation_manager
    if ticket.assignee_id:
        people[ticket.assignee_id] = ticket.assignee
    return [u for u in people.values() if u.is_active]


def tell_case_staff(
    case: EscalationCase,
    ticket: Ticket,
    *,
    kind: str,
    actor: User | None,
    context: dict[str, Any],
    extra: Iterable[User] = (),
) -> None:
    """The case's staff audience hears of a step (console links; never the one who took it)."""
    tell_staff(
        ticket=ticket,
        recipients=case_audience(case, ticket) + list(extra),
        actor=actor,
        kind=kind,
        context={"case_id": case.pk, **case_context(case), **context},
        dedup_key=f"case:{case.pk}:{kind}:{_next_serial(case)}",
    )


def case_customers(case: EscalationCase, ticket: Ticket) -> list[User]:
    """Who hears of the escalation on the customer's side: the ticket's requester and the
    contacts copied in, and every customer who asked for the escalation."""
    people = {u.pk: u for u in customer_audience(ticket)}
    for request in case.requests.select_related("requested_by"):
        user = request.requested_by
        if ticket_permissions.is_customer_of(ticket, user):
            people.setdefault(user.pk, user)
    return list(people.values())


def tell_case_customers(
    case: EscalationCase, ticket: Ticket, *, kind: str, actor: User | None, context: dict[str, Any]
) -> None:
    """Mail to the customers about their escalation: portal links, the engineer's signature,
    the ticket's thread. Only what is meant for them goes into the context."""
    tell_customers(
        ticket=ticket,
        recipients=case_customers(case, ticket),
        actor=actor,
        kind=kind,
        context={
            "case_id": case.pk,
            **case_context(case),
            "escalation_url": links.absolute(links.portal_escalation_path(ticket.pk)),
            **context,
        },
        dedup_key=f"case:{case.pk}:{kind}:{_next_serial(case)}",
    )


def case_context(case: EscalationCase) -> dict[str, Any]:
    manager = case.escalation_manager
    return {
        "manager": str(manager) if manager else "",
        "manager_contact": manager.contact_line if manager else "",
    }


def _next_serial(case: EscalationCase) -> int:
    """A number naming this message among the case's events (its dedup key must be unique per
    message, not per instant: two steps in the same second are two messages)."""
    return TimelineEvent.objects.filter(ticket_id=case.ticket_id, kind__startswith="case").count()
