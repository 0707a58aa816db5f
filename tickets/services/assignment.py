"""Who works a ticket: a team leader (or manager) assigns, reassigns or unassigns it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused

from .. import notices, permissions
from ..models import Ticket
from ..signals import ticket_changed
from .core import lock_ticket, record_event, refresh_stale


def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None) -> Ticket:
    """A team leader (or manager) assigns or reassigns a ticket of their team; None unassigns.

    The new assignee hears of it (not when they assigned themselves); the previous one too.
    """
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _check_assignment(locked, actor, assignee)
        previous = locked.assignee
        if (previous.pk if previous else None) == (assignee.pk if assignee else None):
            return locked
        Ticket.objects.filter(pk=locked.pk).update(assignee=assignee, updated_at=timezone.now())
        locked.assignee = assignee
        record_event(
            ticket=locked,
            kind="assigned",
            actor=actor,
            source=(previous.username if previous else "")[:40],
            target=(assignee.username if assignee else "")[:40],
            reason=_assignment_reason(assignee, previous),
            details={
                "assignee": assignee.pk if assignee else None,
                "previous": previous.pk if previous else None,
            },
        )
        _tell_of_assignment(locked, actor, assignee, previous)
        ticket_changed.send(sender=Ticket, ticket=locked, change="assigned", actor=actor)
    refresh_stale(ticket, locked)
    return locked


def _check_assignment(ticket: Ticket, actor: User, assignee: User | None) -> None:
    """The actor may assign the (locked) ticket, it is open, and the assignee may work it."""
    if not permissions.can_assign(ticket, actor):
        raise PermissionDenied(gettext("Only a team leader or manager of the ticket's team may assign it."))
    if not ticket.is_open:
        raise Refused(
            gettext("Assigning refused"),
            [
                gettext("an open ticket (%(reference)s is %(status)s)")
                % {"reference": ticket.reference, "status": ticket.get_status_display().lower()}
            ],
        )
    if assignee is not None and not (assignee.is_agent and permissions.can_work_ticket(ticket, assignee)):
        raise InvalidInput(
            {
                "assignee": [
                    gettext("%(assignee)s cannot work this ticket: not a member of %(team)s.")
                    % {"assignee": assignee, "team": ticket.team or gettext("its team")}
                ]
            }
        )


def _tell_of_assignment(ticket: Ticket, actor: User, assignee: User | None, previous: User | None) -> None:
    """The new assignee hears they have it; the previous one, who has it now."""
    stamp = timezone.now().isoformat()
    if assignee is not None:
        notices.tell_staff(
            ticket=ticket,
            kind="ticket.assigned",
            recipients=[assignee],
            actor=actor,
            context={
                "assigned_by": str(actor),
                "message": gettext("%(actor)s assigned %(reference)s %(summary)s to you.")
                % {"actor": actor, "reference": ticket.reference, "summary": ticket.summary},
            },
            dedup_key=f"ticket:{ticket.pk}:assigned:{assignee.pk}:{stamp}",
        )
    if previous is not None:
        notices.tell_staff(
            ticket=ticket,
            kind="ticket.staff_comment",
            recipients=[previous],
            actor=actor,
            context={
                "author": str(actor),
                "what": gettext("a new assignee"),
                "message": gettext("%(actor)s reassigned %(reference)s from you to %(assignee)s.")
                % {
                    "actor": actor,
                    "reference": ticket.reference,
                    "assignee": assignee or gettext("nobody"),
                },
            },
            dedup_key=f"ticket:{ticket.pk}:unassigned:{previous.pk}:{stamp}",
        )


def _assignment_reason(assignee: User | None, previous: User | None) -> str:
    """The timeline's words for an assignment: "Assigned to Ada (was Bob).", "Unassigned."."""
    if assignee and previous:
        return gettext("Assigned to %(assignee)s (was %(previous)s).") % {
            "assignee": assignee,
            "previous": previous,
        }
    if assignee:
        return gettext("Assigned to %(assignee)s.") % {"assignee": assignee}
    if previous:
        return gettext("Unassigned (was %(previous)s).") % {"previous": previous}
    return gettext("Unassigned.")
