"""Reads of the ladder for the API: a ticket's place on its ladder and the tiers' queues,
each in a fixed number of queries whatever the number of hand-offs, consults or tickets;
and the running clocks of escalation cases (the API and the portal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from tickets import permissions as ticket_permissions
from tickets import selectors as ticket_selectors
from tickets.models import OPEN_STATES, StepState, Ticket, TroubleshootingStep

from . import permissions
from .models import (
    Consult,
    EscalationPath,
    Handoff,
    ManagerDecision,
    Tier,
    TierStint,
    VendorEngagement,
    VendorUpdate,
)


def may_see_ladders(user: User) -> bool:
    """Tiers, hand-offs and packages are internal: staff who see ticket internals."""
    return ticket_permissions.can_view_internal(user)


def get_ticket_for(user: User, pk: int | str) -> Ticket:
    """A ticket whose ladder the user may see; 404 otherwise (customers never see the ladder)."""
    if not may_see_ladders(user):
        raise Http404("No such ticket.")
    return ticket_selectors.get_ticket_for(
        user, pk, queryset=Ticket.objects.select_related("team", "assignee", "service")
    )


def _visible_ticket_object(model: type[Any], user: User, pk: int | str, name: str,
                           related: tuple[str, ...] = ()) -> Any:
    """A hand-off, consult or vendor engagement on a ticket the user may see the ladder of."""
    if not may_see_ladders(user):
        raise Http404(f"No such {name}.")
    try:
        obj = model.objects.select_related("ticket", "ticket__team", "ticket__assignee", *related).get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {name}.") from None
    if not ticket_permissions.can_view_ticket(obj.ticket, user):
        raise Http404(f"No such {name}.")
    return obj


def get_handoff_for(user: User, pk: int | str) -> Handoff:
    return _visible_ticket_object(Handoff, user, pk, "hand-off", ("from_tier", "to_tier", "approval"))


def get_consult_for(user: User, pk: int | str) -> Consult:
    return _visible_ticket_object(Consult, user, pk, "consult", ("team",))


def get_engagement_for(user: User, pk: int | str) -> VendorEngagement:
    return _visible_ticket_object(VendorEngagement, user, pk, "vendor engagement", ("tier",))


@dataclass
class LadderView:
    """Everything GET /api/tickets/{id}/ladder/ shows, loaded up front."""

    ticket: Ticket
    path: EscalationPath | None
    stint: TierStint | None
    tiers: list[Tier]
    handoffs: list[Handoff]
    consults: list[Consult]
    vendor_engagements: list[VendorEngagement]
    decisions: list[ManagerDecision]
    steps_to_do: list[TroubleshootingStep]
    actions: dict[str, bool] = field(default_factory=dict)


def ladder_view(ticket: Ticket, user: User) -> LadderView:
    """The ticket's current tier, its ladder with requirements, and everything that moved it."""
    stint = (
        TierStint.objects.filter(ticket=ticket, left_at__isnull=True)
        .select_related("tier", "tier__team", "tier__path")
        .first()
    )
    if stint is not None:
        path: EscalationPath | None = stint.tier.path
    else:
        path = EscalationPath.objects.filter(service_ladders__service_id=ticket.service_id).first() \
            if ticket.service_id else None
    tiers = (
        list(path.tiers.select_related("team").prefetch_related("criteria").order_by("level")) if path else []
    )
    handoffs = list(
        Handoff.objects.filter(ticket=ticket)
        .select_related("from_tier", "to_tier", "requested_by", "approval", "approval__decided_by")
        .order_by("requested_at", "pk")
    )
    consults = list(
        Consult.objects.filter(ticket=ticket).select_related("team", "requested_by", "replied_by")
        .order_by("requested_at", "pk")
    )
    engagements = list(
        VendorEngagement.objects.filter(ticket=ticket)
        .select_related("tier", "engaged_by")
        .prefetch_related(Prefetch("updates", queryset=VendorUpdate.objects.select_related("recorded_by")))
        .order_by("engaged_at", "pk")
    )
    decisions = list(
        ManagerDecision.objects.filter(ticket=ticket).select_related("tier", "decided_by")
        .order_by("decided_at", "pk")
    )
    to_do = list(TroubleshootingStep.objects.filter(ticket=ticket, state=StepState.TO_DO).order_by("pk"))
    here = stint.tier if stint else None
    active = next((handoff for handoff in handoffs if handoff.is_active), None)
    actions = permissions.ladder_actions(ticket=ticket, user=user, here=here, tiers=tiers, active=active)
    return LadderView(
        ticket=ticket, path=path, stint=stint, tiers=tiers, handoffs=handoffs, consults=consults,
        vendor_engagements=engagements, decisions=decisions, steps_to_do=to_do, actions=actions,
    )


def tiers_with_counts() -> QuerySet[Tier]:
    """Every ladder's tiers with how many open tickets are in each now (one query)."""
    return (
        Tier.objects.select_related("path", "team")
        .annotate(open_tickets=Count(
            "stints", filter=Q(stints__left_at__isnull=True, stints__ticket__status__in=OPEN_STATES)
        ))
        .order_by("path__name", "level")
    )


def get_tier(pk: int | str) -> Tier:
    try:
        return Tier.objects.select_related("path", "team").get(pk=int(pk))
    except (Tier.DoesNotExist, ValueError, TypeError):
        raise Http404("No such tier.") from None


def tier_queue(*, user: User, tier: Tier, filters: ticket_selectors.QueueFilters) -> QuerySet[Ticket]:
    """The queue's tickets (visible, filtered, open unless a status is asked for) now in the tier."""
    filters.open_only = True
    return ticket_selectors.ticket_queue(user=user, filters=filters).filter(
        tier_stints__tier=tier, tier_stints__left_at__isnull=True
    )
