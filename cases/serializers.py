"""API serializers of customer escalation cases (SPEC §6, §9): read-only output, small inputs.

Two views of a case: the customer's (public parts only: status in words, level, the escalation
manager's contact, who is engaged, the action plan, the communication plan, conference calls
and updates) and the staff's (everything, with the requests, the brief, the internal review
and every meeting). The customer's serializer simply has no field for the internal parts, so
they can never leak through it.

Inputs only reject what cannot be read (400: unknown ids or values, wrong types, bad dates);
what a step still needs is left to cases.services, so the API answers 409 with the same
"missing" list as the console and the portal. Choice fields are plain strings in the schema
(their names — reason, kind, mode, role, level — are shared with other enums; see
escalations/serializers.py) and list their values in the description.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors as people
from accounts.models import User
from accounts.serializers import UserBriefSerializer
from escalation_desk.api import InstantField, viewer_of
from tickets.models import Channel
from tickets.serializers import ContactSerializer

from .models import (
    ActionItem,
    CaseLevel,
    CaseMeeting,
    CaseParticipant,
    CaseReason,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    CommunicationMode,
    EscalationCase,
    MeetingKind,
    ParticipantRole,
)


def _values(choices: type[Any]) -> str:
    return ", ".join(choices.values)


@extend_schema_field(OpenApiTypes.STR)
class NamedChoiceField(serializers.ChoiceField):
    """A choice checked on input (400 for an unknown value), a plain string in the schema."""

    def __init__(self, choices: type[Any], **kwargs: Any) -> None:
        help_text = kwargs.pop("help_text", "")
        super().__init__(
            choices=choices.choices, help_text=f"{help_text} One of: {_values(choices)}.".strip(), **kwargs
        )


# --- output: the parts of a case -----------------------------------------------------------------


class CaseParticipantSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)
    role = serializers.CharField(help_text=f"One of: {_values(ParticipantRole)}.")
    role_display = serializers.CharField(source="get_role_display")

    class Meta:
        model = CaseParticipant
        fields = ["user", "role", "role_display", "engaged_at"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer):
    owner = UserBriefSerializer(read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "owner", "step", "target_date", "done_at"]
        read_only_fields = fields


class CaseMeetingSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text=f"One of: {_values(MeetingKind)}.")
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = CaseMeeting
        fields = ["id", "kind", "kind_display", "scheduled_for", "attendees", "notes", "outcome"]
        read_only_fields = fields


class CustomerMeetingSerializer(CaseMeetingSerializer):
    """A conference call as the customer sees it: without the staff's notes (as in the portal)."""

    class Meta(CaseMeetingSerializer.Meta):
        fields = [f for f in CaseMeetingSerializer.Meta.fields if f != "notes"]
        read_only_fields = fields


class CaseUpdateSerializer(serializers.ModelSerializer):
    mode = serializers.CharField(help_text=f"One of: {_values(CommunicationMode)}.")
    logged_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = CaseUpdate
        fields = ["id", "mode", "summary", "attendees", "given_at", "logged_by", "was_late"]
        read_only_fields = fields


class CaseRequestSerializer(serializers.ModelSerializer):
    """One request to escalate with seed 002's review answers (staff only)."""

    reason = serializers.CharField(help_text=f"One of: {_values(CaseReason)}.")
    level = serializers.CharField(help_text=f"One of: {_values(CaseLevel)}.")
    requested_by = UserBriefSerializer(read_only=True)
    recorded_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = CaseRequest
        fields = [
            "id",
            "reason",
            "reason_detail",
            "level",
            "requested_by",
            "recorded_by",
            "channel",
            "requested_at",
            "problem_statement_correct",
            "corrected_problem_statement",
            "business_impact",
            "workaround_impractical_because",
            "critical_milestone",
        ]
        read_only_fields = fields


class CaseTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    summary = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name")
    priority = serializers.CharField()


class CommunicationPlanSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text=f"Empty until agreed, then one of: {_values(CommunicationMode)}.")
    mode_display = serializers.CharField()
    update_every_minutes = serializers.IntegerField(
        allow_null=True, help_text="Business minutes between updates."
    )
    required_attendees = serializers.CharField()
    next_update_due = serializers.DateTimeField(allow_null=True)


# --- output: the case as the customer sees it, and as staff see it ------------------------------


class CustomerCaseSerializer(serializers.ModelSerializer):
    """The public parts of a case: what the customer sees in the portal and the API."""

    ticket = CaseTicketSerializer(read_only=True)
    status = serializers.CharField(help_text=f"One of: {_values(CaseStatus)}.")
    status_display = serializers.CharField(source="get_status_display", help_text="The status in words.")
    level = serializers.CharField(help_text=f"The highest level asked for; one of: {_values(CaseLevel)}.")
    level_display = serializers.CharField(source="get_level_display")
    escalation_manager = ContactSerializer(
        read_only=True, allow_null=True, help_text="The primary point of contact, once acknowledged."
    )
    participants = CaseParticipantSerializer(many=True, read_only=True)
    action_plan = ActionItemSerializer(source="action_items", many=True, read_only=True)
    communication_plan = serializers.SerializerMethodField()
    meetings = serializers.SerializerMethodField(help_text="The conference calls with the customer.")
    updates = CaseUpdateSerializer(many=True, read_only=True)
    view = serializers.SerializerMethodField(
        help_text='Which view of the case this is: "customer" (public parts).'
    )

    class Meta:
        model = EscalationCase
        fields = [
            "view",
            "id",
            "ticket",
            "status",
            "status_display",
            "level",
            "level_display",
            "requested_at",
            "escalation_manager",
            "acknowledged_at",
            "activated_at",
            "participants",
            "action_plan",
            "communication_plan",
            "meetings",
            "updates",
            "proposed_at",
            "de_escalation_note",
            "agreed_at",
            "agreement_channel",
            "agreement_comment",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["customer"]})
    def get_view(self, case: EscalationCase) -> str:
        return "customer"

    @extend_schema_field(CommunicationPlanSerializer)
    def get_communication_plan(self, case: EscalationCase) -> dict[str, Any]:
        return CommunicationPlanSerializer(
            {
                "mode": case.communication_mode,
                "mode_display": case.get_communication_mode_display(),
                "update_every_minutes": case.update_every_minutes,
                "required_attendees": case.required_attendees,
                "next_update_due": getattr(case, "next_update_due", None),
            }
        ).data

    @extend_schema_field(CustomerMeetingSerializer(many=True))
    def get_meetings(self, case: EscalationCase) -> list[dict[str, Any]]:
        calls = [m for m in case.meetings.all() if m.kind == MeetingKind.CONFERENCE_CALL]
        return CustomerMeetingSerializer(calls, many=True).data


class StaffCaseSerializer(CustomerCaseSerializer):
    """Everything about a case (support staff)."""

    reason = serializers.CharField(help_text=f"The first request's reason; one of: {_values(CaseReason)}.")
    requests = CaseRequestSerializer(many=True, read_only=True)
    acknowledge_due = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="When the acknowledgement time frame ends (while open)."
    )
    brief_ready_engineer = UserBriefSerializer(read_only=True, allow_null=True)
    brief_ready_team_leader = UserBriefSerializer(read_only=True, allow_null=True)
    brief_ready_team_manager = UserBriefSerializer(read_only=True, allow_null=True)
    agreed_by = UserBriefSerializer(read_only=True, allow_null=True)
    view = serializers.SerializerMethodField(
        help_text='Which view of the case this is: "staff" (everything).'
    )

    class Meta(CustomerCaseSerializer.Meta):
        fields = [
            *CustomerCaseSerializer.Meta.fields,
            "reason",
            "requests",
            "acknowledge_due",
            "brief",
            "brief_ready_engineer",
            "brief_ready_team_leader",
            "brief_ready_team_manager",
            "internal_review",
            "action_plan_accepted",
            "rca_on_track",
            "agreed_by",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["staff"]})
    def get_view(self, case: EscalationCase) -> str:
        return "staff"

    @extend_schema_field(CaseMeetingSerializer(many=True))
    def get_meetings(self, case: EscalationCase) -> list[dict[str, Any]]:
        return CaseMeetingSerializer(case.meetings.all(), many=True).data


class BoardCaseSerializer(serializers.ModelSerializer):
    """One open case on the escalation managers' board."""

    ticket = CaseTicketSerializer(read_only=True)
    status = serializers.CharField(help_text=f"One of: {_values(CaseStatus)}.")
    status_display = serializers.CharField(source="get_status_display")
    level = serializers.CharField(help_text=f"One of: {_values(CaseLevel)}.")
    level_display = serializers.CharField(source="get_level_display")
    reason = serializers.CharField(help_text=f"One of: {_values(CaseReason)}.")
    escalation_manager = UserBriefSerializer(read_only=True, allow_null=True)
    acknowledge_due = serializers.DateTimeField(allow_null=True, read_only=True)
    next_update_due = serializers.DateTimeField(allow_null=True, read_only=True)

    class Meta:
        model = EscalationCase
        fields = [
            "id",
            "ticket",
            "status",
            "status_display",
            "level",
            "level_display",
            "reason",
            "requested_at",
            "escalation_manager",
            "acknowledged_at",
            "acknowledge_due",
            "next_update_due",
        ]
        read_only_fields = fields


class ReportRowSerializer(serializers.Serializer):
    """One row of the daily escalation report (cases.services.daily_report.report_rows)."""

    case = serializers.IntegerField(source="case.pk")
    ticket = CaseTicketSerializer()
    status = serializers.CharField(help_text="The status in words.")
    level = serializers.CharField(help_text="The level in words.")
    manager = UserBriefSerializer(allow_null=True)
    age_hours = serializers.IntegerField()
    next_update_due = serializers.DateTimeField(allow_null=True)
    breaches = serializers.IntegerField(help_text="Time frames of the case breached by the end of the day.")


class ReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    rows = ReportRowSerializer(many=True)


# --- input: one serializer per action ----------------------------------------------------------


class CaseRequestInputSerializer(serializers.Serializer):
    """A request to escalate with seed 002's review (what is left out is listed in a 409)."""

    reason = NamedChoiceField(CaseReason, required=False, allow_blank=True, default="")
    level = NamedChoiceField(CaseLevel, help_text="Who the customer asks for.")
    reason_detail = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required when the reason is other."
    )
    problem_statement_correct = serializers.BooleanField(required=False, allow_null=True, default=None)
    corrected_problem_statement = serializers.CharField(required=False, allow_blank=True, default="")
    business_impact = serializers.CharField(required=False, allow_blank=True, default="")
    workaround_impractical_because = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required when the ticket has a workaround."
    )
    critical_milestone = serializers.DateField(required=False, allow_null=True, default=None)
    channel = NamedChoiceField(
        Channel,
        required=False,
        allow_blank=True,
        default="",
        help_text="Staff: how the customer asked (phone or email). Ignored for customers (recorded as api).",
    )


class EngageInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        help_text="The support staff member to engage.",
        error_messages={"does_not_exist": _("User {pk_value} is not active support staff.")},
    )
    role = NamedChoiceField(ParticipantRole)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["user"].queryset = people.staff_choices(viewer_of(self))  # customers: nobody
        return fields


class PlanItemInputSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        help_text="A support staff member, or the ticket's requester, who owns the step.",
        error_messages={"does_not_exist": _("User {pk_value} is neither support staff nor the requester.")},
    )
    step = serializers.CharField(allow_blank=True)
    target_date = serializers.DateField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # As in the console: support staff, and the requester of the case's ticket (when known).
        viewer = viewer_of(self)
        owners = people.staff_choices(viewer)
        ticket = self.context.get("ticket")
        if ticket is not None and people.is_staff_viewer(viewer):
            owners = User.objects.filter(Q(pk__in=owners) | Q(pk=ticket.requester_id), is_active=True)
        fields["owner"].queryset = owners
        return fields


class ActivateInputSerializer(serializers.Serializer):
    action_plan = PlanItemInputSerializer(many=True, required=False, default=list)
    mode = NamedChoiceField(
        CommunicationMode, required=False, allow_blank=True, default="", help_text="How updates are given."
    )
    update_every_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="Business minutes between updates.",
    )
    required_attendees = serializers.CharField(required=False, allow_blank=True, default="")
    first_call_at = InstantField(required=False, allow_null=True, default=None)
    first_call_attendees = serializers.CharField(required=False, allow_blank=True, default="")


class UpdateInputSerializer(serializers.Serializer):
    mode = NamedChoiceField(CommunicationMode)
    summary = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What the customer was told."
    )
    attendees = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingInputSerializer(serializers.Serializer):
    kind = NamedChoiceField(MeetingKind)
    scheduled_for = InstantField(required=False, allow_null=True, default=None)
    attendees = serializers.CharField(required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingOutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What the meeting concluded."
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class BriefInputSerializer(serializers.Serializer):
    brief = serializers.CharField(required=False, allow_blank=True, default="")
    ready = serializers.BooleanField(
        required=False, default=False, help_text="Mark the brief ready (as engineer, team leader or manager)."
    )


class FinishReviewInputSerializer(serializers.Serializer):
    internal_review = serializers.CharField(required=False, allow_blank=True, default="")
    meeting_at = InstantField(
        required=False, allow_null=True, default=None, help_text="When the stakeholder meeting took place."
    )
    attendees = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.CharField(required=False, allow_blank=True, default="")


class ProposeInputSerializer(serializers.Serializer):
    action_plan_accepted = serializers.BooleanField(required=False, default=False)
    rca_on_track = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeEscalationInputSerializer(serializers.Serializer):
    agree = serializers.BooleanField(help_text="Whether the customer agrees to de-escalate.")
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the request is not back on track (required when not agreeing).",
    )
    channel = NamedChoiceField(
        Channel,
        required=False,
        allow_blank=True,
        default="",
        help_text="Staff: how the customer answered (phone or email). Ignored for customers (recorded "
        "as api).",
    )
