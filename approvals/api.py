"""REST API of approval requests (SPEC §5, §9): the approver's inbox, a request, and decisions.

Reads are filtered to what the user may see (permissions.can_view: approvers, the requester,
staff who see ticket internals); any other request answers 404. A visible request the user
may not decide answers 403; a decision the request is not ready for answers 409 with what is
missing (escalation_desk.api.exception_handler); every decision goes through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from accounts.models import User
from clocks.models import Clock
from escalation_desk.api import ErrorSerializer, InputsByAction, PagePagination, error_responses, valid_input
from escalation_desk.domain import InvalidInput

from . import permissions, services
from .models import ApprovalRequest
from .serializers import (
    ApprovalRequestDetailSerializer,
    ApprovalRequestSerializer,
    ApproveInputSerializer,
    RequestChangesInputSerializer,
)

SCOPES = ("pending", "all")

_ERRORS = {
    **error_responses("approval request"),
    403: OpenApiResponse(ErrorSerializer, description="Visible, but this user may not decide it."),
}


def _base() -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.select_related(
        "content_type", "requested_by", "decided_by", "follow_up"
    ).prefetch_related("approvers")


def visible_requests(user: User) -> QuerySet[ApprovalRequest]:
    """Requests the user may see: the same rule as permissions.can_view, as a query."""
    qs = _base()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or user.has_perm("tickets.view_internal"):
        return qs
    ids = ApprovalRequest.objects.filter(approvers=user).values("pk")
    return qs.filter(Q(requested_by=user) | Q(pk__in=ids))


def approval_inbox(user: User, scope: str) -> QuerySet[ApprovalRequest]:
    """ "pending": those waiting for this user's decision; "all": every request they may see."""
    if scope == "pending":
        ids = ApprovalRequest.objects.decidable_by(user).values("pk")
        return _base().filter(pk__in=ids).order_by("requested_at", "pk")  # oldest waiting first
    return visible_requests(user).order_by("-requested_at", "-pk")


def get_request_for(user: User, pk: int | str) -> ApprovalRequest:
    try:
        request = _base().get(pk=int(pk))
    except (ApprovalRequest.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such approval request.")) from None
    if not permissions.can_view(request, user):
        raise Http404(gettext("No such approval request."))
    return request


def decision_due(requests: list[ApprovalRequest]) -> dict[int, Any]:
    """When each pending request's decision time frame passes (one query for the page)."""
    pending = [r.pk for r in requests if r.is_pending]
    if not pending:
        return {}
    clocks = Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(ApprovalRequest),
        object_id__in=pending,
        kind=services.DECISION_CLOCK,
    ).values_list("object_id", "due_at")
    return dict(clocks)


class ApprovalViewSet(InputsByAction, viewsets.GenericViewSet):
    """Approval requests: the approver's inbox, one request with its package, the decisions."""

    queryset = ApprovalRequest.objects.none()  # reads go through the functions above
    serializer_class = output = ApprovalRequestDetailSerializer
    pagination_class = PagePagination
    inputs = {"approve": ApproveInputSerializer, "request_changes": RequestChangesInputSerializer}

    def _context(self, requests: list[ApprovalRequest]) -> dict[str, Any]:
        return {**self.get_serializer_context(), "due_at": decision_due(requests)}

    def _detail(self, pk: int | str) -> dict[str, Any]:
        request = get_request_for(self.request.user, pk)
        return ApprovalRequestDetailSerializer(request, context=self._context([request])).data

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "scope",
                str,
                enum=list(SCOPES),
                description='"pending" (default): waiting for my decision, oldest first; '
                '"all": every request I may see, newest first.',
            )
        ],
        responses={200: ApprovalRequestSerializer(many=True), 400: _ERRORS[400]},
    )
    def list(self, request: Request) -> Response:
        """The approvals inbox: pending requests this user may decide, or all they may see."""
        scope = (request.query_params.get("scope") or "pending").strip()
        if scope not in SCOPES:
            raise InvalidInput({"scope": [gettext('"pending" or "all".')]})
        page = self.paginate_queryset(approval_inbox(request.user, scope))
        data = ApprovalRequestSerializer(page, many=True, context=self._context(page)).data
        return self.get_paginated_response(data)

    @extend_schema(responses={200: ApprovalRequestDetailSerializer, 404: _ERRORS[404]})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """One request with the package to review, and its decision."""
        return Response(self._detail(pk))

    def _decide(
        self, request: Request, pk: str | None, input_serializer: type[Serializer], service: Any
    ) -> Response:
        approval = get_request_for(request.user, pk)
        if approval.is_pending and not permissions.can_decide(approval, request.user):
            if approval.requested_by_id == request.user.pk:
                raise PermissionDenied(gettext("You cannot decide your own request."))
            raise PermissionDenied(
                gettext("Only a team leader or manager of the requester's team may decide.")
            )
        data = valid_input(input_serializer, request, self.get_serializer_context())
        service(request=approval, actor=request.user, **data)
        return Response(self._detail(approval.pk))

    @extend_schema(
        summary="Approve, with the approval notes (they appear on the subject, e.g. the ticket)",
        request=ApproveInputSerializer,
        responses={200: ApprovalRequestDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, pk, ApproveInputSerializer, services.approval_approve)

    @extend_schema(
        summary="Request changes: the additional troubleshooting steps to perform before asking again",
        request=RequestChangesInputSerializer,
        responses={200: ApprovalRequestDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, pk, RequestChangesInputSerializer, services.approval_request_changes)
