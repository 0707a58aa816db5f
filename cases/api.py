"""REST API of customer escalation cases (SPEC §6, §9, issue 5): the portal's actions and the
case's transitions, with the same permissions as the console and the portal.

Every change is one POST calling the cases.services function the console calls. A ticket or
case the user may not see answers 404 (a customer sees only their organisation's); visible but
not allowed answers 403 before the input is read (customers may only request an escalation and
answer a proposal to de-escalate); a refusal answers 409 with what is missing; input that
cannot be read answers 400. Reads load a case with its parts in a fixed number of queries; a
customer gets the public parts only (CustomerCaseSerializer has no field for the rest).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from accounts.models import User
from escalation_desk.api import error_responses, valid_input
from escalation_desk.domain import InvalidInput
from tickets import permissions as ticket_permissions
from tickets import selectors as ticket_selectors
from tickets.api import TicketPagination, query_choices
from tickets.models import Channel, Ticket

from . import permissions, selectors
from .models import (
    OPEN_CASE_STATES,
    ActionItem,
    CaseLevel,
    CaseParticipant,
    CaseRequest,
    CaseUpdate,
    EscalationCase,
)
from .serializers import (
    ActionItemSerializer,
    ActivateInputSerializer,
    BoardCaseSerializer,
    BriefInputSerializer,
    CaseMeetingSerializer,
    CaseParticipantSerializer,
    CaseRequestInputSerializer,
    CaseUpdateSerializer,
    CustomerCaseSerializer,
    DeEscalationInputSerializer,
    EngageInputSerializer,
    FinishReviewInputSerializer,
    MeetingInputSerializer,
    MeetingOutcomeInputSerializer,
    ProposeInputSerializer,
    ReportSerializer,
    StaffCaseSerializer,
    UpdateInputSerializer,
)
from .services import core as case_core
from .services import daily_report as case_daily_report
from .services import de_escalation as case_de_escalation
from .services import participants as case_participants
from .services import plans as case_plans
from .services import requests as case_requests
from .services import review as leadership_review
from .services import updates as case_updates

# "view" tells the two apart (a staff case has every field of a customer's, and more).
CASE_VIEW = PolymorphicProxySerializer(
    component_name="EscalationCaseView",
    serializers={"customer": CustomerCaseSerializer, "staff": StaffCaseSerializer},
    resource_type_field_name="view",
)


# --- reading --------------------------------------------------------------------------------------


def is_staff_viewer(user: User) -> bool:
    """Support staff who see a case's internal parts; everyone else gets the public parts."""
    return user.is_agent and ticket_permissions.can_view_internal(user)


def _case_queryset(*, staff: bool) -> QuerySet[EscalationCase]:
    """A case with every part its serializer shows: a fixed number of queries however many."""
    qs = EscalationCase.objects.select_related(
        "ticket",
        "ticket__organisation",
        "escalation_manager",
        "agreed_by",
        "brief_ready_engineer",
        "brief_ready_team_leader",
        "brief_ready_team_manager",
    ).prefetch_related(
        Prefetch("participants", queryset=CaseParticipant.objects.select_related("user")),
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
        "meetings",
        Prefetch("updates", queryset=CaseUpdate.objects.select_related("logged_by")),
    )
    if staff:
        qs = qs.prefetch_related(
            Prefetch("requests", queryset=CaseRequest.objects.select_related("requested_by", "recorded_by"))
        )
    return qs


def case_data(case_pk: int, user: User) -> dict[str, Any]:
    """The case as this user may see it, freshly read."""
    staff = is_staff_viewer(user)
    case = selectors.with_case_clocks([_case_queryset(staff=staff).get(pk=case_pk)])[0]
    return (StaffCaseSerializer if staff else CustomerCaseSerializer)(case).data


def get_case_for(user: User, pk: int | str) -> EscalationCase:
    """A case on a ticket the user may see; 404 otherwise (never reveal that it exists)."""
    try:
        case = EscalationCase.objects.select_related(
            "ticket", "ticket__team", "ticket__assignee", "escalation_manager"
        ).get(pk=int(pk))
    except (EscalationCase.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such escalation.")) from None
    if not permissions.can_view_case(case.ticket, user):
        raise Http404(gettext("No such escalation."))
    return case


def _may_see_board(user: User) -> bool:
    return permissions.is_escalation_manager(user) or permissions.is_leadership(user)


def _flag(params: Any, name: str) -> bool:
    raw = (params.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise InvalidInput({name: [gettext('"true" or "false".')]})


def _day(params: Any) -> date:
    raw = (params.get("date") or "").strip()
    if not raw:
        return timezone.localdate()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            {"date": [gettext('"%(value)s" is not a date (YYYY-MM-DD).') % {"value": raw}]}
        ) from None


BOARD_PARAMETERS = [
    OpenApiParameter(
        "state",
        str,
        many=True,
        explode=True,
        enum=[str(s) for s in OPEN_CASE_STATES],
        description="One or more open states, repeated or comma-separated.",
    ),
    OpenApiParameter(
        "level",
        str,
        many=True,
        explode=True,
        enum=CaseLevel.values,
        description="One or more levels asked for, repeated or comma-separated.",
    ),
    OpenApiParameter("mine", bool, description="Only cases I manage or am engaged on."),
]


# --- the ticket's escalation -----------------------------------------------------------------------


class TicketCaseViewSet(viewsets.GenericViewSet):
    """The escalation of one ticket: read it, or request one (customers and staff)."""

    queryset = Ticket.objects.none()  # reads go through selectors; this only types the schema
    serializer_class = CaseRequestInputSerializer

    @extend_schema(
        summary="The ticket's open (or latest) escalation as the user may see it: customers get the "
        "public parts (never the brief, the internal review or internal meetings)",
        responses={200: CASE_VIEW, 404: error_responses("ticket or escalation", 404)[404]},
    )
    def escalation(self, request: Request, pk: str | None = None) -> Response:
        ticket = ticket_selectors.get_ticket_for(request.user, pk)
        staff = is_staff_viewer(request.user)
        case = (
            _case_queryset(staff=staff)
            .filter(ticket=ticket)
            .order_by(
                Case(
                    When(status__in=OPEN_CASE_STATES, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                "-requested_at",
                "-pk",
            )
            .first()
        )
        if case is None:
            raise Http404(gettext("No escalation on this ticket."))
        selectors.with_case_clocks([case])
        return Response((StaffCaseSerializer if staff else CustomerCaseSerializer)(case).data)

    @extend_schema(
        summary="Request an escalation with seed 002's review (customers: recorded as api; staff record "
        "a request made by phone or email); a request while a case is open adds to it, the same "
        "request twice is one",
        request=CaseRequestInputSerializer,
        responses={201: CASE_VIEW, **error_responses("ticket")},
    )
    def request_case(self, request: Request, pk: str | None = None) -> Response:
        ticket = ticket_selectors.get_ticket_for(
            request.user, pk, queryset=Ticket.objects.select_related("team", "organisation")
        )
        if not permissions.can_request_case(ticket, request.user):
            raise PermissionDenied(gettext("You may not escalate this request."))
        data = valid_input(CaseRequestInputSerializer, request)
        by_customer = ticket_permissions.is_customer_of(ticket, request.user)
        review = case_core.Review(
            problem_statement_correct=data["problem_statement_correct"],
            corrected_problem_statement=data["corrected_problem_statement"],
            business_impact=data["business_impact"],
            workaround_impractical_because=data["workaround_impractical_because"],
            critical_milestone=data["critical_milestone"],
        )
        case = case_requests.case_request(
            ticket=ticket,
            actor=request.user,
            reason=data["reason"],
            level=data["level"],
            review=review,
            reason_detail=data["reason_detail"],
            channel=Channel.API if by_customer else data["channel"],
        )
        return Response(case_data(case.pk, request.user), status=status.HTTP_201_CREATED)


# --- the cases: the board, the report, and every step ----------------------------------------------


class CaseViewSet(viewsets.GenericViewSet):
    """Customer escalation cases: the board, the daily report, one case and its transitions."""

    queryset = EscalationCase.objects.none()
    pagination_class = TicketPagination
    inputs: dict[str, type[Serializer]] = {
        "engage": EngageInputSerializer,
        "activate": ActivateInputSerializer,
        "updates": UpdateInputSerializer,
        "meetings": MeetingInputSerializer,
        "brief": BriefInputSerializer,
        "finish_leadership_review": FinishReviewInputSerializer,
        "propose_de_escalation": ProposeInputSerializer,
        "de_escalation": DeEscalationInputSerializer,
        "meeting_outcome": MeetingOutcomeInputSerializer,
    }

    def get_serializer_class(self) -> type[Serializer]:
        if self.action == "list":
            return BoardCaseSerializer
        return self.inputs.get(self.action, StaffCaseSerializer)

    def _case(self, pk: str | None) -> EscalationCase:
        return get_case_for(self.request.user, pk)

    def _answer(self, case: EscalationCase, code: int = status.HTTP_200_OK) -> Response:
        return Response(case_data(case.pk, self.request.user), status=code)

    def _require_manager(self) -> None:
        if not permissions.can_manage_case(self.request.user):
            raise PermissionDenied(gettext("Only an escalation manager may do this."))

    # --- reading ---

    @extend_schema(
        summary="The board: open escalations (escalation managers and support leadership)",
        parameters=BOARD_PARAMETERS,
        responses={200: BoardCaseSerializer(many=True), **error_responses("escalation", 400, 403)},
    )
    def list(self, request: Request) -> Response:
        user = request.user
        if not _may_see_board(user):
            raise PermissionDenied(gettext("Only escalation managers and support leadership see the board."))
        states = query_choices(request.query_params, "state", [str(s) for s in OPEN_CASE_STATES])
        levels = query_choices(request.query_params, "level", CaseLevel.values)
        mine = _flag(request.query_params, "mine")
        qs = (
            EscalationCase.objects.filter(status__in=states or OPEN_CASE_STATES)
            .select_related("ticket", "ticket__organisation", "escalation_manager")
            .order_by("requested_at", "pk")
        )
        if levels:
            qs = qs.filter(level__in=levels)
        if mine:
            engaged = CaseParticipant.objects.filter(case=OuterRef("pk"), user=user)
            qs = qs.filter(Q(escalation_manager=user) | Q(Exists(engaged)))
        page = selectors.with_case_clocks(list(self.paginate_queryset(qs)))
        return self.get_paginated_response(BoardCaseSerializer(page, many=True).data)

    @extend_schema(
        summary="The daily escalation report of a day: every escalation open at its end",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD; today by default.")],
        responses={200: ReportSerializer, **error_responses("report", 400, 403)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def report(self, request: Request) -> Response:
        if not _may_see_board(request.user):
            raise PermissionDenied(gettext("Only escalation managers and support leadership see the report."))
        day = _day(request.query_params)
        return Response(ReportSerializer({"date": day, "rows": case_daily_report.report_rows(day)}).data)

    @extend_schema(
        summary="One escalation as the user may see it (customers: the public parts)",
        responses={200: CASE_VIEW, 404: error_responses("escalation", 404)[404]},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(self._case(pk))

    # --- the steps ---

    @extend_schema(
        summary="Acknowledge: the escalation manager becomes the point of contact (requested → acknowledged)",
        request=None,
        responses={200: StaffCaseSerializer, **error_responses("escalation", 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        self._require_manager()
        return self._answer(case_plans.case_acknowledge(case=case, actor=request.user))

    @extend_schema(
        summary="Engage a requested resource (SME, next tier, team leader, manager…) as a participant",
        request=EngageInputSerializer,
        responses={201: CaseParticipantSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"])
    def engage(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        if not permissions.can_engage(case.ticket, request.user):
            raise PermissionDenied(gettext("You may not engage people on this escalation."))
        data = valid_input(EngageInputSerializer, request)
        participant = case_participants.case_engage(
            case=case, actor=request.user, user=data["user"], role=data["role"]
        )
        return Response(CaseParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Agree the action plan and the communication plan; the first call is scheduled "
        "(acknowledged → active)",
        request=ActivateInputSerializer,
        responses={200: StaffCaseSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        self._require_manager()
        data = valid_input(ActivateInputSerializer, request, {"ticket": case.ticket})
        plan = [
            case_core.PlanItem(owner=i["owner"], step=i["step"], target_date=i["target_date"])
            for i in data["action_plan"]
        ]
        case = case_plans.case_activate(
            case=case,
            actor=request.user,
            action_plan=plan,
            mode=data["mode"],
            update_every_minutes=data["update_every_minutes"],
            required_attendees=data["required_attendees"],
            first_call_at=data["first_call_at"],
            first_call_attendees=data["first_call_attendees"],
        )
        return self._answer(case)

    @extend_schema(
        summary="Log an update given to the customer; the next one is due a period later",
        request=UpdateInputSerializer,
        responses={201: CaseUpdateSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"])
    def updates(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        self._require_manager()
        data = valid_input(UpdateInputSerializer, request)
        update = case_updates.case_log_update(case=case, actor=request.user, **data)
        return Response(CaseUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Schedule a meeting: a conference call (escalation manager), an internal review or a "
        "stakeholder meeting (also support leadership)",
        request=MeetingInputSerializer,
        responses={201: CaseMeetingSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"])
    def meetings(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        if not (permissions.can_manage_case(request.user) or permissions.is_leadership(request.user)):
            raise PermissionDenied(
                gettext("Only an escalation manager or support leadership may schedule meetings.")
            )
        data = valid_input(MeetingInputSerializer, request)
        meeting = case_updates.case_schedule_meeting(case=case, actor=request.user, **data)
        return Response(CaseMeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record what a meeting concluded (conference calls: escalation manager; internal reviews "
        "and stakeholder meetings: also support leadership)",
        request=MeetingOutcomeInputSerializer,
        responses={200: CaseMeetingSerializer, **error_responses("meeting")},
    )
    @action(detail=True, methods=["post"], url_path=r"meetings/(?P<meeting_id>[0-9]+)/outcome")
    def meeting_outcome(
        self, request: Request, pk: str | None = None, meeting_id: str | None = None
    ) -> Response:
        case = self._case(pk)
        meeting = case.meetings.filter(pk=int(meeting_id or 0)).first()
        if meeting is None:
            raise Http404(gettext("No such meeting on this escalation."))
        data = valid_input(MeetingOutcomeInputSerializer, request)
        meeting = case_updates.case_record_meeting(meeting=meeting, actor=request.user, **data)
        return Response(CaseMeetingSerializer(meeting).data)

    @extend_schema(
        summary="Mark a step of the action plan done (its owner or an escalation manager)",
        request=None,
        responses={200: ActionItemSerializer, **error_responses("action item", 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path=r"action-items/(?P<item_id>[0-9]+)/done")
    def action_done(self, request: Request, pk: str | None = None, item_id: str | None = None) -> Response:
        case = self._case(pk)
        if ticket_permissions.is_customer_of(case.ticket, request.user):
            raise PermissionDenied(
                gettext("Only the owner or an escalation manager may mark this step done.")
            )
        item = case.action_items.filter(pk=int(item_id or 0)).first()
        if item is None:
            raise Http404(gettext("No such step in this escalation's action plan."))
        item = case_updates.case_complete_action(item=item, actor=request.user)
        return Response(ActionItemSerializer(item).data)

    @extend_schema(
        summary="Start the leadership review (active → leadership review; the team leader and the team "
        "manager must be engaged first); the case brief is generated",
        request=None,
        responses={200: StaffCaseSerializer, **error_responses("escalation", 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="leadership-review")
    def leadership_review(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        if not (
            permissions.can_manage_case(request.user) or permissions.can_engage(case.ticket, request.user)
        ):
            raise PermissionDenied(gettext("You may not start a leadership review."))
        return self._answer(leadership_review.case_start_leadership_review(case=case, actor=request.user))

    @extend_schema(
        summary="Edit the case brief and mark it ready (the engineer, the team leader, the team manager)",
        request=BriefInputSerializer,
        responses={200: StaffCaseSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"])
    def brief(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        if leadership_review.brief_role(case, case.ticket, request.user) is None:
            raise PermissionDenied(
                gettext("The assigned engineer, the team leader and the team manager prepare the brief.")
            )
        data = valid_input(BriefInputSerializer, request)
        return self._answer(leadership_review.case_edit_brief(case=case, actor=request.user, **data))

    @extend_schema(
        summary=(
            "Record leadership's internal review and the stakeholder meeting (leadership review → active)"
        ),
        request=FinishReviewInputSerializer,
        responses={200: StaffCaseSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"], url_path="leadership-review/finish")
    def finish_leadership_review(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        if not permissions.is_leadership(request.user):
            raise PermissionDenied(gettext("Only support leadership records the review."))
        data = valid_input(FinishReviewInputSerializer, request)
        return self._answer(
            leadership_review.case_finish_leadership_review(case=case, actor=request.user, **data)
        )

    @extend_schema(
        summary="Propose to de-escalate (active → de-escalation proposed): the action plan is accepted "
        "and root cause analysis is on track",
        request=ProposeInputSerializer,
        responses={200: StaffCaseSerializer, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"], url_path="propose-de-escalation")
    def propose_de_escalation(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        self._require_manager()
        data = valid_input(ProposeInputSerializer, request)
        return self._answer(
            case_de_escalation.case_propose_de_escalation(case=case, actor=request.user, **data)
        )

    @extend_schema(
        summary="Answer the proposal to de-escalate: the customer (recorded as api), or an escalation "
        "manager recording the customer's answer by phone or email",
        request=DeEscalationInputSerializer,
        responses={200: CASE_VIEW, **error_responses("escalation")},
    )
    @action(detail=True, methods=["post"], url_path="de-escalation")
    def de_escalation(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        if not permissions.can_answer_de_escalation(case.ticket, request.user):
            raise PermissionDenied(
                gettext("Only the customer, or an escalation manager recording their answer, may answer.")
            )
        data = valid_input(DeEscalationInputSerializer, request)
        by_customer = ticket_permissions.is_customer_of(case.ticket, request.user)
        case = case_de_escalation.case_answer_de_escalation(
            case=case,
            actor=request.user,
            agree=data["agree"],
            comment=data["comment"],
            channel=Channel.API if by_customer else data["channel"],
        )
        return self._answer(case)
