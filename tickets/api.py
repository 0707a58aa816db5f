"""REST API for tickets (SPEC §9): reads through selectors, every change through a service.

Each transition of SPEC §2 is one POST action with a small input serializer; it calls the
same service as the agent console, so the API has the same rules and permissions. A ticket
the user may not see answers 404; one they see but may not act on answers 403; a refusal
answers 409 with what is missing (escalation_desk.api.exception_handler).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from escalation_desk import log_context
from escalation_desk.api import (
    CappedPagePagination,
    ErrorSerializer,
    InvalidInputSerializer,
    RefusalSerializer,
)
from escalation_desk.domain import InvalidInput, not_one_of
from escalation_desk.input_guard import is_number

from . import file_types, history, permissions, selectors
from .models import Attachment, Channel, Priority, Status, Ticket, TroubleshootingStep, Watcher
from .read_model import ticket_read
from .serializers import (
    TRANSITION_INPUTS,
    AssignInputSerializer,
    AttachmentInputSerializer,
    AttachmentSerializer,
    CommentInputSerializer,
    CommentSerializer,
    CopyInInputSerializer,
    StepCompleteInputSerializer,
    StepInputSerializer,
    StepSerializer,
    StepVisibilityInputSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketListSerializer,
    WatcherSerializer,
)
from .services.assignment import ticket_assign
from .services.attachments import ticket_attach
from .services.conversation import ticket_comment
from .services.intake import ticket_create
from .services.lifecycle import TRANSITION_SERVICES, transition_denied
from .services.steps import ticket_add_step, ticket_complete_step
from .services.watchers import ticket_add_cc, ticket_follow, ticket_remove_cc, ticket_unfollow

TRANSITION_SUMMARIES = {
    "triage": "Triage: new → open (intake documented; the ticket reaches its team)",
    "start": "Start work: open → in progress",
    "await_customer": "Wait on the customer: in progress → waiting on customer",
    "customer_replied": "Customer replied: waiting on customer → in progress",
    "resolve": "Resolve: in progress → resolved (resolution, root cause, kind of fix)",
    "confirm_resolution": "Confirm the resolution: resolved → closed",
    "reopen": "Reopen: resolved → in progress (the customer is not satisfied)",
    "cancel": "Cancel (duplicate, spam, withdrawn) from any open state",
}

_ERRORS = {
    400: OpenApiResponse(InvalidInputSerializer, description="Input not accepted."),
    403: OpenApiResponse(ErrorSerializer, description="Visible, but not allowed for this user."),
    404: OpenApiResponse(ErrorSerializer, description="No such ticket (or not visible)."),
}
_REFUSED = {409: OpenApiResponse(RefusalSerializer, description="Refused, with what is missing.")}

QUEUE_PARAMETERS = [
    OpenApiParameter(
        "status",
        str,
        many=True,
        explode=True,
        enum=Status.values,
        description="One or more statuses, repeated or comma-separated.",
    ),
    OpenApiParameter(
        "priority",
        str,
        many=True,
        explode=True,
        enum=Priority.values,
        description="One or more priorities, repeated or comma-separated.",
    ),
    OpenApiParameter("team", int, description="Assignment team id."),
    OpenApiParameter("assignee", str, description='"me", "none", or a user id.'),
    OpenApiParameter(
        "q",
        str,
        description="A reference (ED-000123: that ticket alone; 123: it first), words (full-text, the "
        "last as a prefix) or part of an error code; ranked best match first.",
    ),
    OpenApiParameter(
        "sla",
        str,
        enum=["soon", "breached"],
        description="Tickets with a time frame past its warning point, or breached.",
    ),
]


TicketPagination = CappedPagePagination  # the name escalations' APIs import; counts at most 1,001 rows


def query_choices(params: MultiValueDict, name: str, allowed: list[str]) -> list[str]:
    """A filter given repeated (?status=a&status=b) or comma-separated (?status=a,b)."""
    values = [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInput({name: [not_one_of(v, allowed) for v in unknown]})
    return values


def queue_filters_from(params: MultiValueDict) -> selectors.QueueFilters:
    """Read and check the list filters; a bad value is a 400, never an empty page or a 500."""
    team = (params.get("team") or "").strip()
    if team and not is_number(team):
        raise InvalidInput({"team": [gettext("A team id (a number).")]})
    sla_filter = (params.get("sla") or "").strip()
    if sla_filter not in ("", "soon", "breached"):
        raise InvalidInput({"sla": [gettext('"soon" (past a warning point) or "breached".')]})
    assignee = (params.get("assignee") or "").strip()
    if assignee and assignee not in ("me", "none") and not is_number(assignee):
        raise InvalidInput({"assignee": [gettext('"me", "none", or a user id.')]})
    return selectors.QueueFilters(
        status=query_choices(params, "status", Status.values),
        priority=query_choices(params, "priority", Priority.values),
        team=int(team) if team else None,
        assignee=assignee,
        q=(params.get("q") or "").strip(),
        sla=sla_filter,
    )


def _transition_action(name: str) -> Any:
    """One POST action calling services.TRANSITION_SERVICES[name] with its input serializer."""
    input_serializer = TRANSITION_INPUTS[name]

    def transition(self: TicketViewSet, request: Request, pk: str | None = None) -> Response:
        ticket = selectors.get_ticket_for(request.user, pk)
        if not selectors.may_take_transition(ticket, request.user, name):
            raise PermissionDenied(transition_denied(name))
        serializer = input_serializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if name == "confirm_resolution" and permissions.is_customer_of(ticket, request.user):
            data["channel"] = Channel.API  # the customer confirmed through the API itself
        TRANSITION_SERVICES[name](ticket=ticket, actor=request.user, **data)
        return Response(self.detail_data(ticket.pk))

    # DRF routes by the function's name, so it is set before @action reads it.
    transition.__name__ = transition.__qualname__ = name
    transition.__doc__ = TRANSITION_SERVICES[name].__doc__
    transition = action(detail=True, methods=["post"], url_path=name)(transition)
    return extend_schema(
        summary=TRANSITION_SUMMARIES[name],
        request=input_serializer,
        responses={200: TicketDetailSerializer, **_ERRORS, **_REFUSED},
    )(transition)


class TicketViewSet(viewsets.GenericViewSet):
    """Tickets the user may see: a customer their organisation's, staff every one."""

    queryset = Ticket.objects.none()  # reads go through selectors; this only types the schema
    serializer_class = TicketDetailSerializer
    pagination_class = TicketPagination

    def get_serializer_class(self) -> type[Serializer]:
        """The input of the action (browsable API and OPTIONS); reads use their own serializers."""
        inputs = {
            "create": TicketCreateSerializer,
            "comments": CommentInputSerializer,
            "steps": StepInputSerializer,
            "complete_step": StepCompleteInputSerializer,
            "step_visibility": StepVisibilityInputSerializer,
            "attachments": AttachmentInputSerializer,
            "assign": AssignInputSerializer,
            "copied_in": CopyInInputSerializer,
            "copied_out": CopyInInputSerializer,
            **TRANSITION_INPUTS,
        }
        name = self.action
        if name in (None, "metadata"):
            # OPTIONS has no action of its own; DRF's metadata asks as if for the POST.
            name = getattr(self, "action_map", {}).get(self.request.method.lower())
        return inputs.get(name, TicketDetailSerializer)

    def detail_data(self, pk: int | str) -> dict[str, Any]:
        """The ticket as TicketDetailSerializer shows it to this user (fixed query count)."""
        read = ticket_read(self.request.user, pk, tail=None)  # the API gives every event
        ticket = read.ticket
        ticket.ticket_files, ticket.timeline = read.ticket_files, read.events
        return TicketDetailSerializer(ticket, context=self.get_serializer_context()).data

    @extend_schema(
        parameters=QUEUE_PARAMETERS, responses={200: TicketListSerializer(many=True), 400: _ERRORS[400]}
    )
    def list(self, request: Request) -> Response:
        """The queue: visible tickets, filtered, newest first (a search: best match first), paged."""
        filters = queue_filters_from(request.query_params)
        page = self.paginate_queryset(selectors.ticket_queue(user=request.user, filters=filters))
        data = TicketListSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer, 400: _ERRORS[400], 403: _ERRORS[403]},
    )
    def create(self, request: Request) -> Response:
        """Open a ticket (channel "api"); staff on a customer's behalf, customers for themselves."""
        user = request.user
        staff = permissions.is_staff_reader(user)
        if not permissions.can_create_ticket(user, None if staff else user.organisation_id):
            raise PermissionDenied(gettext("You may not open tickets."))
        serializer = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ticket = ticket_create(actor=user, channel=Channel.API, **serializer.validated_data)
        log_context.bind_ticket(ticket.pk)
        # The answer shows what was just written; nothing is read back.
        detail = selectors.created_ticket_detail(ticket)
        return Response(
            TicketDetailSerializer(detail, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api:ticket-detail", kwargs={"pk": ticket.pk})},
        )

    @extend_schema(responses={200: TicketDetailSerializer, 404: _ERRORS[404]})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """One ticket with steps, comments, files, timeline and the transitions open to the user."""
        return Response(self.detail_data(pk))

    triage = _transition_action("triage")
    start = _transition_action("start")
    await_customer = _transition_action("await_customer")
    customer_replied = _transition_action("customer_replied")
    resolve = _transition_action("resolve")
    confirm_resolution = _transition_action("confirm_resolution")
    reopen = _transition_action("reopen")
    cancel = _transition_action("cancel")

    @extend_schema(
        summary="Assign or reassign the ticket (team leaders and managers of its team); null unassigns",
        request=AssignInputSerializer,
        responses={200: TicketDetailSerializer, **_ERRORS, **_REFUSED},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """The same service as the console: an "assigned" event, the new assignee is told."""
        user = request.user
        if not permissions.is_staff_reader(user):
            raise Http404(gettext("No such ticket."))  # customers have no assignment to see or change
        ticket = selectors.get_ticket_for(user, pk)
        if not permissions.can_assign(ticket, user):
            raise PermissionDenied(
                gettext("Only a team leader or manager of the ticket's team may assign it.")
            )
        serializer = AssignInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ticket_assign(ticket=ticket, actor=user, assignee=serializer.validated_data["assignee"])
        return Response(self.detail_data(ticket.pk))

    @extend_schema(
        summary="Follow the ticket: hear of every update (staff)",
        request=None,
        responses={200: TicketDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def follow(self, request: Request, pk: str | None = None) -> Response:
        if not permissions.is_staff_reader(request.user):
            raise Http404(gettext("No such ticket."))
        ticket = selectors.get_ticket_for(request.user, pk)
        ticket_follow(ticket=ticket, actor=request.user)
        return Response(self.detail_data(ticket.pk))

    @extend_schema(
        summary="Stop following the ticket (staff)",
        request=None,
        responses={200: TicketDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unfollow(self, request: Request, pk: str | None = None) -> Response:
        if not permissions.is_staff_reader(request.user):
            raise Http404(gettext("No such ticket."))
        ticket = selectors.get_ticket_for(request.user, pk)
        ticket_unfollow(ticket=ticket, actor=request.user)
        return Response(self.detail_data(ticket.pk))

    @extend_schema(
        methods=["GET"],
        summary="The people copied in on the ticket (contacts of its organisation)",
        responses={200: WatcherSerializer(many=True), 404: _ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Copy a contact of the ticket's organisation in: they hear of every reply",
        request=CopyInInputSerializer,
        responses={200: WatcherSerializer(many=True), **_ERRORS, **_REFUSED},
    )
    @action(detail=True, methods=["get", "post"], url_path="copied-in", pagination_class=None)
    def copied_in(self, request: Request, pk: str | None = None) -> Response:
        """The customer (or staff working the ticket) copies colleagues in, as in the portal."""
        ticket = selectors.get_ticket_for(request.user, pk)
        if request.method == "POST":
            contact = self._copy_in_contact(request, ticket)
            ticket_add_cc(ticket=ticket, actor=request.user, contact=contact)
        return Response(self._copied_in(ticket))

    @extend_schema(
        summary="Stop copying a contact in",
        request=CopyInInputSerializer,
        responses={200: WatcherSerializer(many=True), **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="copied-in/remove")
    def copied_out(self, request: Request, pk: str | None = None) -> Response:
        ticket = selectors.get_ticket_for(request.user, pk)
        ticket_remove_cc(ticket=ticket, actor=request.user, contact=self._copy_in_contact(request, ticket))
        return Response(self._copied_in(ticket))

    def _copy_in_contact(self, request: Request, ticket: Ticket) -> Any:
        serializer = CopyInInputSerializer(
            data=request.data, organisation_id=ticket.organisation_id, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["contact"]

    @staticmethod
    def _copied_in(ticket: Ticket) -> list[dict[str, Any]]:
        rows = Watcher.objects.filter(
            ticket=ticket, user__organisation_id=ticket.organisation_id, user__is_staff=False
        ).select_related("user")
        return WatcherSerializer(rows, many=True).data

    @extend_schema(exclude=True)
    def unknown_transition(self, request: Request, pk: str | None = None, transition: str = "") -> Response:
        """Any other name after a ticket: 404 naming the transitions that exist."""
        selectors.get_ticket_for(request.user, pk)
        return Response(
            {
                "detail": gettext("Unknown transition '%(transition)s'") % {"transition": transition},
                "known": list(TRANSITION_SERVICES),
            },
            status=status.HTTP_404_NOT_FOUND,
        )

    @extend_schema(
        methods=["GET"],
        summary="Comments the user may see (customers: public ones only)",
        responses={200: CommentSerializer(many=True), 404: _ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a comment (internal: staff only), with files",
        request={"application/json": CommentInputSerializer, "multipart/form-data": CommentInputSerializer},
        responses={201: CommentSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """The comments the user may see; post a public (or, staff only, internal) comment."""
        user = request.user
        ticket = selectors.get_ticket_for(user, pk, queryset=selectors.ticket_detail_queryset(user=user))
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(CommentSerializer(ticket.comments.all(), many=True, context=context).data)
        serializer = CommentInputSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        comment = ticket_comment(ticket=ticket, actor=user, channel=Channel.API, **serializer.validated_data)
        return Response(CommentSerializer(comment, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="The troubleshooting log (customers: public steps only)",
        responses={200: StepSerializer(many=True), 404: _ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Document a troubleshooting step, with evidence files",
        request={"application/json": StepInputSerializer, "multipart/form-data": StepInputSerializer},
        responses={201: StepSerializer, **_ERRORS, **_REFUSED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def steps(self, request: Request, pk: str | None = None) -> Response:
        """The troubleshooting log the user may see; document a step with its evidence."""
        user = request.user
        ticket = selectors.get_ticket_for(user, pk, queryset=selectors.ticket_detail_queryset(user=user))
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(StepSerializer(ticket.steps.all(), many=True, context=context).data)
        serializer = StepInputSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        step = ticket_add_step(ticket=ticket, actor=user, **serializer.validated_data)
        return Response(StepSerializer(step, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Complete a to-do step (suggested by a team leader) with its outcome and evidence",
        parameters=[OpenApiParameter("step_id", int, OpenApiParameter.PATH, description="The step's id.")],
        request={
            "application/json": StepCompleteInputSerializer,
            "multipart/form-data": StepCompleteInputSerializer,
        },
        responses={200: StepSerializer, **_ERRORS, **_REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>[0-9]+)/complete")
    def complete_step(self, request: Request, pk: str | None = None, step_id: str = "") -> Response:
        """The step becomes done, by this user, with its outcome; the timeline records it."""
        user = request.user
        ticket = selectors.get_ticket_for(user, pk)
        step = ticket.steps.filter(pk=int(step_id)).first()
        if step is None or not (step.is_public or permissions.can_view_internal(user)):
            raise Http404(gettext("No such step."))
        if not permissions.can_add_step(ticket, user):
            raise PermissionDenied(gettext("You may not document troubleshooting on this ticket."))
        context = self.get_serializer_context()
        serializer = StepCompleteInputSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        done = ticket_complete_step(
            step=step,
            actor=user,
            outcome=serializer.validated_data["outcome"],
            files=serializer.validated_data.get("files", ()),
        )
        step = (
            TroubleshootingStep.objects.select_related("engineer", "team")
            .prefetch_related("attachments__uploaded_by")
            .get(pk=done.pk)
        )
        return Response(StepSerializer(step, context=context).data)

    @extend_schema(
        summary="Share a troubleshooting step with the customer, or make it internal again",
        parameters=[OpenApiParameter("step_id", int, OpenApiParameter.PATH, description="The step's id.")],
        request=StepVisibilityInputSerializer,
        responses={200: StepSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>[0-9]+)/visibility")
    def step_visibility(self, request: Request, pk: str | None = None, step_id: str = "") -> Response:
        """The step and its evidence files are shown to the customer or not; the timeline records who
        and why."""
        user = request.user
        ticket = selectors.get_ticket_for(user, pk)
        step = ticket.steps.filter(pk=int(step_id)).first()
        if step is None or not (step.is_public or permissions.can_view_internal(user)):
            raise Http404(gettext("No such step."))
        if not permissions.can_set_step_visibility(ticket, user):
            raise PermissionDenied(gettext("You may not change who sees this ticket's troubleshooting."))
        serializer = StepVisibilityInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        step.ticket = ticket
        history.step_set_visibility(
            step=step,
            actor=user,
            public=serializer.validated_data["is_public"],
            reason=serializer.validated_data["reason"],
        )
        step = (
            TroubleshootingStep.objects.select_related("engineer", "team")
            .prefetch_related("attachments__uploaded_by")
            .get(pk=step.pk)
        )
        return Response(StepSerializer(step, context=self.get_serializer_context()).data)

    @extend_schema(
        methods=["GET"],
        summary="Every file of the ticket the user may see",
        responses={200: AttachmentSerializer(many=True), 404: _ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary='Upload a file (multipart field "file")',
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={201: AttachmentSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """Every file of the ticket the user may see; upload one (multipart field "file")."""
        user = request.user
        ticket = selectors.get_ticket_for(user, pk, queryset=selectors.ticket_detail_queryset(user=user))
        context = self.get_serializer_context()
        if request.method == "GET":
            files = [
                *ticket.ticket_files,
                *(a for step in ticket.steps.all() for a in step.attachments.all()),
                *(a for comment in ticket.comments.all() for a in comment.attachments.all()),
            ]
            files.sort(key=lambda a: (a.uploaded_at, a.pk))
            return Response(AttachmentSerializer(files, many=True, context=context).data)
        serializer = AttachmentInputSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        attachment = ticket_attach(
            ticket=ticket,
            actor=user,
            upload=serializer.validated_data["file"],
            is_internal=serializer.validated_data["is_internal"],
        )
        data = AttachmentSerializer(attachment, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)


class _AnyAcceptNegotiation(BaseContentNegotiation):
    """A download answers a file whatever the Accept header; errors stay JSON."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class AttachmentViewSet(viewsets.GenericViewSet):
    """Downloads: a file the user may see (404 for other organisations and internal files)."""

    queryset = Attachment.objects.none()

    @extend_schema(
        responses={
            # The type found in the stored bytes (file_types.SERVED), else octet-stream.
            **{(200, media_type): OpenApiTypes.BINARY for media_type in file_types.SERVED_MEDIA_TYPES},
            404: OpenApiResponse(ErrorSerializer, description="No such attachment (or not visible)."),
        }
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_AnyAcceptNegotiation)
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """Stream the file as a download under its original name, typed from its stored bytes."""
        return file_types.download_response(selectors.get_attachment_for(request.user, pk))
