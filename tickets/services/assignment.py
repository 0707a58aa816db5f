"""Who works a ticket: a team leader (or manager) assigns, reassigns or unassigns it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

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
        if not permissions.can_assign(locked, actor):
            raise PermissionDenied("Only a team leader or manager of the ticket's team may assign it.")
        if not locked.is_open:
            raise Refused("Assigning refused",
                          [f"an open ticket ({locked.reference} is {locked.get_status_display().lower()})"])
        if assignee is not None and not (assignee.is_agent and permissions.can_work_ticket(locked, assignee)):
            raise InvalidInput({"assignee": [f"{assignee} cannot work this ticket: not a member of "
                                             f"{locked.team or 'its team'}."]})
        previous = locked.assignee
        if (previous.pk if previous else None) == (assignee.pk if assignee else None):
            return locked
        Ticket.objects.filter(pk=locked.pk).update(assignee=assignee, updated_at=timezone.now())
        locked.assignee = assignee
        record_event(
            ticket=locked, kind="assigned", actor=actor,
            source=(previous.username if previous else "")[:40], target=(assignee.username if assignee else "")[:40],
            reason=(f"Assigned to {assignee}" if assignee else "Unassigned")
            + (f" (was {previous})" if previous else "") + ".",
            details={"assignee": assignee.pk if assignee else None, "previous": previous.pk if previous else None},
        )
        stamp = timezone.now().isoformat()
        if assignee is not None:
            notices.tell_staff(ticket=locked, kind="ticket.assigned", recipients=[assignee], actor=actor,
                               context={"assigned_by": str(actor),
                                        "message": f"{actor} assigned {locked.reference} {locked.summary} to you."},
                               dedup_key=f"ticket:{locked.pk}:assigned:{assignee.pk}:{stamp}")
        if previous is not None:
            notices.tell_staff(ticket=locked, kind="ticket.staff_comment", recipients=[previous], actor=actor,
                               context={"author": str(actor), "what": "a new assignee",
                                        "message": f"{actor} reassigned {locked.reference} from you to "
                                                   f"{assignee or 'nobody'}."},
                               dedup_key=f"ticket:{locked.pk}:unassigned:{previous.pk}:{stamp}")
        ticket_changed.send(sender=Ticket, ticket=locked, change="assigned", actor=actor)
    refresh_stale(ticket, locked)
    return locked
