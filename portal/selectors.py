"""Reads for the portal: a customer's organisation's requests, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from accounts.models import User
from escalations.models import TierStint
from tickets import permissions, search, selectors
from tickets.models import Attachment, Status, Ticket, Watcher

FINISHED = [Status.CLOSED, Status.CANCELLED]


@dataclass
class RequestFilters:
    show: str = "open"  # "open" (anything not finished), "closed", or "all"
    status: str = ""
    q: str = ""


def customer_requests(*, user: User, filters: RequestFilters | None = None) -> QuerySet[Ticket]:
    """The organisation's requests, filtered, each with its current tier (one extra query)."""
    filters = filters or RequestFilters()
    qs = permissions.visible_tickets(user, Ticket.objects.all()).select_related("requester")
    reference = search.reference_of(filters.q)[0]
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif reference is None:  # a request looked up by its reference is found whatever its state
        if filters.show == "open":
            qs = qs.exclude(status__in=FINISHED)
        elif filters.show == "closed":
            qs = qs.filter(status__in=FINISHED)
    text = filters.q.strip()
    if text:
        query = Q(summary__icontains=text)
        if reference is not None:
            query |= Q(pk=reference)
        qs = qs.filter(query)
    return with_current_tier(qs).order_by("-created_at", "-pk")


def with_current_tier(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.prefetch_related(
        Prefetch(
            "tier_stints",
            queryset=TierStint.objects.filter(left_at__isnull=True).select_related("tier"),
            to_attr="current_stints",
        )
    )


def request_counts(*, user: User) -> dict[str, int]:
    """How many requests are open, waiting on the customer, to be checked, finished (one query)."""
    return permissions.visible_tickets(user, Ticket.objects.all()).aggregate(
        open=Count("pk", filter=~Q(status__in=FINISHED)),
        waiting=Count("pk", filter=Q(status=Status.WAITING_ON_CUSTOMER)),
        to_check=Count("pk", filter=Q(status=Status.RESOLVED)),
        closed=Count("pk", filter=Q(status__in=FINISHED)),
    )


def get_request_for(user: User, pk: int | str) -> Ticket:
    """One request of the customer's organisation with its public parts only; 404 otherwise."""
    return selectors.get_ticket_for(user, pk, queryset=selectors.ticket_detail_queryset(user=user))


def get_public_attachment_for(user: User, pk: int | str) -> Attachment:
    """A file the customer may download: their organisation's, public, not on an internal
    comment or step. Anything else is 404, as if it did not exist."""
    visible = permissions.visible_tickets(user, Ticket.objects.all()).values("pk")
    qs = (
        Attachment.objects.filter(ticket__in=visible, is_internal=False)
        .filter(Q(step__isnull=True) | Q(step__is_public=True))
        .filter(Q(comment__isnull=True) | Q(comment__is_internal=False))
    )
    try:
        return qs.get(pk=int(pk))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such file.")) from None


def copied_in(ticket: Ticket) -> list[User]:
    """The request's CC contacts: colleagues of its organisation hearing of every reply."""
    return [
        w.user
        for w in Watcher.objects.filter(
            ticket=ticket, user__organisation_id=ticket.organisation_id, user__is_staff=False
        ).select_related("user")
    ]


def colleagues_to_copy_in(ticket: Ticket, already: list[User]) -> QuerySet[User]:
    """Active contacts of the request's organisation who are not on it yet."""
    return (
        User.objects.filter(organisation_id=ticket.organisation_id, is_active=True, is_staff=False)
        .exclude(pk__in=[ticket.requester_id, *(u.pk for u in already)])
        .order_by("first_name", "last_name", "username")
    )


def ticket_parts(ticket: Ticket) -> dict[str, Any]:
    """The public parts of a ticket fetched by get_request_for, as lists for the template."""
    return {
        "steps": [s for s in ticket.steps.all() if s.is_public],
        "comments": [c for c in ticket.comments.all() if not c.is_internal],
        "events": [e for e in ticket.events.all() if e.is_public],
        "files": [a for a in ticket.ticket_files if not a.is_internal],
    }
