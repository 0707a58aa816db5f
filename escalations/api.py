"""REST API of the ladder (SPEC §3, §9): reads through selectors, every change through a service.

Each move and decision is one POST calling the same service as the console, so the API has
the same rules and permissions. Tiers, hand-offs and packages are internal: a ticket (or a
hand-off, consult, engagement on it) the user may not see, and every ticket for a customer,
answers 404; visible but not allowed answers 403 before the input is read (except a move
whose ticket already left the tier the caller believed: that is the service's 409, which
says where it went); a refusal answers 409 with what is missing; input that cannot be read
answers 400.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from escalation_desk.api import InputsByAction, error_responses, valid_input
from tickets.api import QUEUE_PARAMETERS, TicketPagination, queue_filters_from
from tickets.models import Ticket
from tickets.serializers import TicketListSerializer

from . import permissions, selectors
from .models import Consult, Handoff, Tier, TierKind, VendorEngagement
from .serializers import (
    ConsultInputSerializer,
    ConsultReplyInputSerializer,
    ConsultSerializer,
    DecisionInputSerializer,
    EscalateInputSerializer,
    HandoffSerializer,
    LadderSerializer,
    ManagerDecisionSerializer,
    ReturnInputSerializer,
    TierSerializer,
    VendorEngagementInputSerializer,
    VendorEngagementSerializer,
    VendorUpdateInputSerializer,
    VendorUpdateSerializer,
    WithdrawInputSerializer,
)
from .services import consults, decisions, handoffs, vendor


def _believed_tier(request: Request, pk: str | None) -> Tier | None:
    """Where the caller believes the ticket is, read as the request begins (before the ticket):
    the body's from_tier when it names a tier, else where the ticket is now. A move committed
    after this answers 409 with where the ticket went, not 403 from its new team's rules."""

    def as_id(value: object) -> int | None:
        text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
        return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None

    named = as_id(request.data.get("from_tier") if hasattr(request.data, "get") else None)
    tier = Tier.objects.select_related("path").filter(pk=named).first() if named else None
    ticket_id = as_id(pk)
    if tier is not None or ticket_id is None:
        return tier
    return handoffs.believed_tier(ticket_id)


class TicketLadderViewSet(InputsByAction, viewsets.GenericViewSet):
    """A ticket's place on its ladder and the moves that change it."""

    queryset = Ticket.objects.none()  # reads go through selectors; this only types the schema
    output = LadderSerializer
    inputs = {
        "escalate": EscalateInputSerializer,
        "return_to_tier": ReturnInputSerializer,
        "consult": ConsultInputSerializer,
        "vendor_engagements": VendorEngagementInputSerializer,
        "decision": DecisionInputSerializer,
    }

    @extend_schema(
        summary="The ticket's current tier, its ladder with requirements, hand-offs, consults, "
        "vendor work and IT manager decisions",
        responses={200: LadderSerializer, 404: error_responses("ticket")[404]},
    )
    def ladder(self, request: Request, pk: str | None = None) -> Response:
        ticket = selectors.get_ticket_for(request.user, pk)
        view = selectors.ladder_view(ticket, request.user)
        return Response(LadderSerializer(view, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Escalate to the next (or a chosen higher) tier with the hand-off package; "
        "a gated tier files an approval request (status pending_approval)",
        request=EscalateInputSerializer,
        responses={201: HandoffSerializer, **error_responses("ticket")},
    )
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        here = _believed_tier(request, pk)
        ticket = selectors.get_ticket_for(request.user, pk)
        if not handoffs.has_moved_from(ticket, here) and not permissions.can_escalate(ticket, request.user):
            raise PermissionDenied(gettext("You may not escalate this ticket."))
        data = valid_input(EscalateInputSerializer, request, self.get_serializer_context())
        data["from_tier"] = data["from_tier"] or here
        handoff = handoffs.escalate(ticket=ticket, actor=request.user, **data)
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Return to a lower tier (no approval needed)",
        request=ReturnInputSerializer,
        responses={201: HandoffSerializer, **error_responses("ticket")},
    )
    def return_to_tier(self, request: Request, pk: str | None = None) -> Response:
        here = _believed_tier(request, pk)
        ticket = selectors.get_ticket_for(request.user, pk)
        if not handoffs.has_moved_from(ticket, here) and not permissions.can_return(ticket, request.user):
            raise PermissionDenied(gettext("You may not return this ticket."))
        data = valid_input(ReturnInputSerializer, request, self.get_serializer_context())
        data["from_tier"] = data["from_tier"] or here
        handoff = handoffs.return_to_tier(ticket=ticket, actor=request.user, **data)
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Consult another team (input without changing tier; the reply has a time frame)",
        request=ConsultInputSerializer,
        responses={201: ConsultSerializer, **error_responses("ticket")},
    )
    def consult(self, request: Request, pk: str | None = None) -> Response:
        ticket = selectors.get_ticket_for(request.user, pk)
        if not permissions.can_consult(ticket, request.user):
            raise PermissionDenied(gettext("You may not consult on this ticket."))
        data = valid_input(ConsultInputSerializer, request, self.get_serializer_context())
        consult = consults.consult_request(ticket=ticket, actor=request.user, **data)
        return Response(ConsultSerializer(consult).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the vendor's case (vendor tiers, after the approved hand-off)",
        request=VendorEngagementInputSerializer,
        responses={201: VendorEngagementSerializer, **error_responses("ticket")},
    )
    def vendor_engagements(self, request: Request, pk: str | None = None) -> Response:
        ticket = selectors.get_ticket_for(request.user, pk)
        if not permissions.can_record_vendor(ticket, request.user):
            raise PermissionDenied(gettext("You may not record vendor work on this ticket."))
        data = valid_input(VendorEngagementInputSerializer, request, self.get_serializer_context())
        engagement = vendor.vendor_engage(ticket=ticket, actor=request.user, **data)
        return Response(VendorEngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The IT manager's decision at the decision point, with notes",
        request=DecisionInputSerializer,
        responses={201: ManagerDecisionSerializer, **error_responses("ticket")},
    )
    def decision(self, request: Request, pk: str | None = None) -> Response:
        ticket = selectors.get_ticket_for(request.user, pk)
        decision_tiers = (
            list(
                Tier.objects.filter(
                    path__service_ladders__service_id=ticket.service_id, kind=TierKind.DECISION
                )
            )
            if ticket.service_id
            else []
        )
        if decision_tiers and not any(permissions.can_decide_at(t, request.user) for t in decision_tiers):
            raise PermissionDenied(gettext("Only the IT manager decides here."))
        data = valid_input(DecisionInputSerializer, request, self.get_serializer_context())
        decision = decisions.record_decision(ticket=ticket, actor=request.user, **data)
        return Response(ManagerDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class HandoffViewSet(InputsByAction, viewsets.GenericViewSet):
    queryset = Handoff.objects.none()
    output = HandoffSerializer
    inputs = {"withdraw": WithdrawInputSerializer}

    @extend_schema(
        summary="Withdraw a hand-off still in flight; its approval request is cancelled",
        request=WithdrawInputSerializer,
        responses={200: HandoffSerializer, **error_responses("hand-off")},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        handoff = selectors.get_handoff_for(request.user, pk)
        # A hand-off no longer in flight (decided or withdrawn meanwhile) is the service's 409.
        if handoff.is_active and not permissions.can_withdraw(handoff, request.user):
            raise PermissionDenied(gettext("You may not withdraw this hand-off."))
        data = valid_input(WithdrawInputSerializer, request, self.get_serializer_context())
        handoff = handoffs.handoff_withdraw(handoff=handoff, actor=request.user, **data)
        return Response(HandoffSerializer(handoff).data)


class ConsultViewSet(InputsByAction, viewsets.GenericViewSet):
    queryset = Consult.objects.none()
    output = ConsultSerializer
    inputs = {"reply": ConsultReplyInputSerializer, "withdraw": WithdrawInputSerializer}

    @extend_schema(
        summary="Reply to a consult (the consulted team)",
        request=ConsultReplyInputSerializer,
        responses={200: ConsultSerializer, **error_responses("consult")},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        consult = selectors.get_consult_for(request.user, pk)
        if not permissions.can_reply_consult(consult, request.user):
            raise PermissionDenied(gettext("Only the consulted team may reply."))
        data = valid_input(ConsultReplyInputSerializer, request, self.get_serializer_context())
        consult = consults.consult_reply(consult=consult, actor=request.user, **data)
        return Response(ConsultSerializer(consult).data)

    @extend_schema(
        summary="Withdraw an open consult (whoever asked, or the ticket's team)",
        request=WithdrawInputSerializer,
        responses={200: ConsultSerializer, **error_responses("consult")},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        consult = selectors.get_consult_for(request.user, pk)
        user = request.user
        if not permissions.can_withdraw_consult(consult, user):
            raise PermissionDenied(gettext("You may not withdraw this consult."))
        data = valid_input(WithdrawInputSerializer, request, self.get_serializer_context())
        consult = consults.consult_withdraw(consult=consult, actor=user, **data)
        return Response(ConsultSerializer(consult).data)


class VendorEngagementViewSet(InputsByAction, viewsets.GenericViewSet):
    queryset = VendorEngagement.objects.none()
    output = VendorUpdateSerializer
    inputs = {"updates": VendorUpdateInputSerializer}

    @extend_schema(
        summary="Record an update received from the vendor",
        request=VendorUpdateInputSerializer,
        responses={201: VendorUpdateSerializer, **error_responses("vendor engagement")},
    )
    @action(detail=True, methods=["post"])
    def updates(self, request: Request, pk: str | None = None) -> Response:
        engagement = selectors.get_engagement_for(request.user, pk)
        if not permissions.can_record_vendor(engagement.ticket, request.user):
            raise PermissionDenied(gettext("You may not record vendor work on this ticket."))
        data = valid_input(VendorUpdateInputSerializer, request, self.get_serializer_context())
        update = vendor.vendor_update(engagement=engagement, actor=request.user, **data)
        return Response(VendorUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class TierViewSet(viewsets.GenericViewSet):
    """Every ladder's tiers, and the queue of tickets in each (staff who see ticket internals)."""

    queryset = Tier.objects.none()
    serializer_class = TierSerializer
    pagination_class = None  # a handful of tiers; each queue is paginated like /api/tickets/

    def _check(self, request: Request) -> None:
        if not selectors.may_see_ladders(request.user):
            raise PermissionDenied(gettext("Only staff see the tiers and their queues."))

    @extend_schema(
        summary="The tiers of every ladder with how many open tickets each holds now",
        responses={200: TierSerializer(many=True), 403: error_responses("tier")[403]},
    )
    def list(self, request: Request) -> Response:
        self._check(request)
        tiers = selectors.tiers_with_counts()
        return Response(TierSerializer(tiers, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="The queue of a tier: open tickets in it now (same rows and filters as /api/tickets/)",
        parameters=QUEUE_PARAMETERS,
        responses={200: TicketListSerializer(many=True), **error_responses("tier", 400, 403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=TicketPagination)
    def queue(self, request: Request, pk: str | None = None) -> Response:
        self._check(request)
        tier = selectors.get_tier(pk)
        filters = queue_filters_from(request.query_params)
        tickets = selectors.tier_queue(user=request.user, tier=tier, filters=filters)
        page = self.paginate_queryset(tickets)
        data = TicketListSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)
