"""Who hears of a ticket besides its requester and assignee: staff who follow it, and the
requester's colleagues copied in (cc)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused

from .. import notices, permissions
from ..models import Ticket, Watcher
from .core import FINAL_STATES, lock_ticket, record_event


def ticket_follow(*, ticket: Ticket, actor: User) -> Watcher:
    """A staff member follows a ticket: they hear of every update."""
    if not actor.is_agent or not permissions.can_view_ticket(ticket, actor):
        raise PermissionDenied(gettext("Only support staff can follow a ticket."))
    with transaction.atomic():
        locked = lock_ticket(ticket)
        watcher, created = Watcher.objects.get_or_create(
            ticket=locked, user=actor, defaults={"added_by": actor}
        )
        if created:
            record_event(
                ticket=locked,
                kind="watcher_added",
                actor=actor,
                target=actor.username[:40],
                reason=gettext("%(user)s follows the ticket.") % {"user": actor},
                details={"user": actor.pk},
            )
    return watcher


def ticket_unfollow(*, ticket: Ticket, actor: User) -> None:
    with transaction.atomic():
        locked = lock_ticket(ticket)
        removed, _ = Watcher.objects.filter(ticket=locked, user=actor).delete()
        if removed:
            record_event(
                ticket=locked,
                kind="watcher_removed",
                actor=actor,
                source=actor.username[:40],
                reason=gettext("%(user)s stopped following the ticket.") % {"user": actor},
                details={"user": actor.pk},
            )


def ticket_add_cc(*, ticket: Ticket, actor: User, contact: User) -> Watcher:
    """A customer copies in a colleague of their organisation (staff may do it for them)."""
    if not (permissions.is_customer_of(ticket, actor) or permissions.can_work_ticket(ticket, actor)):
        raise PermissionDenied(gettext("You may not copy people in on this request."))
    if not (contact.is_active and contact.organisation_id == ticket.organisation_id and not contact.is_staff):
        raise InvalidInput(
            {
                "contact": [
                    gettext("%(contact)s is not a contact of %(organisation)s.")
                    % {"contact": contact, "organisation": ticket.organisation}
                ]
            }
        )
    if contact.pk == ticket.requester_id:
        raise InvalidInput(
            {
                "contact": [
                    gettext("%(contact)s asked for this request and hears of it already.")
                    % {"contact": contact}
                ]
            }
        )
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status in FINAL_STATES:
            raise Refused(
                gettext("Copying in refused"),
                [gettext("an open request (%(reference)s is finished)") % {"reference": locked.reference}],
            )
        watcher, created = Watcher.objects.get_or_create(
            ticket=locked, user=contact, defaults={"added_by": actor}
        )
        if created:
            record_event(
                ticket=locked,
                kind="cc_added",
                actor=actor,
                target=contact.username[:40],
                reason=gettext("%(contact)s is copied in on the request.") % {"contact": contact},
                details={"user": contact.pk},
                is_public=True,
            )
            notices.tell_customers(
                ticket=locked,
                kind="ticket.cc_added",
                recipients=[contact],
                actor=actor,
                context={
                    "added_by": str(actor),
                    "message": gettext(
                        "%(actor)s copied you in on %(reference)s %(summary)s: you will hear of every reply."
                    )
                    % {"actor": actor, "reference": locked.reference, "summary": locked.summary},
                },
                dedup_key=f"ticket:{locked.pk}:cc:{contact.pk}:{watcher.pk}",
            )
    return watcher


def ticket_remove_cc(*, ticket: Ticket, actor: User, contact: User) -> None:
    if not (
        permissions.is_customer_of(ticket, actor)
        or permissions.can_work_ticket(ticket, actor)
        or actor.pk == contact.pk
    ):
        raise PermissionDenied(gettext("You may not change who is copied in on this request."))
    with transaction.atomic():
        locked = lock_ticket(ticket)
        removed, _ = Watcher.objects.filter(ticket=locked, user=contact, user__is_staff=False).delete()
        if removed:
            record_event(
                ticket=locked,
                kind="cc_removed",
                actor=actor,
                source=contact.username[:40],
                reason=gettext("%(contact)s is no longer copied in.") % {"contact": contact},
                details={"user": contact.pk},
                is_public=True,
            )
