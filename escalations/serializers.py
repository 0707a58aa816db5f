"""API serializers of the ladder: read-only output, and one small input serializer per action.

Nothing here writes: every change goes through escalations.services, and an input serializer
carries only what one service call needs. Rules the service checks (what a package lacks,
who may decide) are left to it, so the API answers 409 with the same "missing" list as the
console; the serializers only reject what cannot be read (400): unknown ids, wrong types.

State fields (status, state, kind) are plain strings in the schema: their names are shared
with the tickets' enums, and one enum per field name keeps the schema free of collisions.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors as people
from accounts.models import Team
from accounts.serializers import UserBriefSerializer
from escalation_desk.api import InstantField, viewer_of
from tickets.serializers import TeamBriefSerializer

from .models import (
    Consult,
    ConsultStatus,
    DecisionOutcome,
    Direction,
    EscalationCriterion,
    EscalationPath,
    Handoff,
    HandoffStatus,
    ManagerDecision,
    Tier,
    TierKind,
    VendorEngagement,
    VendorUpdate,
)
from .selectors import requirements_of


def _values(choices: type[Any]) -> str:
    return ", ".join(choices.values)


# --- output: tiers and ladders ---------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationCriterion
        fields = ["id", "text"]
        read_only_fields = fields


class PathBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationPath
        fields = ["id", "name"]
        read_only_fields = fields


class TierRefSerializer(serializers.ModelSerializer):
    """A tier named in a hand-off, engagement or decision."""

    kind = serializers.CharField(help_text=f"One of: {_values(TierKind)}.")

    class Meta:
        model = Tier
        fields = ["id", "name", "level", "kind"]
        read_only_fields = fields


class CurrentTierSerializer(TierRefSerializer):
    team = TeamBriefSerializer(read_only=True)
    gated = serializers.BooleanField(source="requires_approval")

    class Meta(TierRefSerializer.Meta):
        fields = ["id", "name", "level", "kind", "team", "gated", "vendor_name"]
        read_only_fields = fields


class LadderTierSerializer(CurrentTierSerializer):
    """A rung of the ladder with what entering it requires, in words and as settings."""

    criteria = CriterionSerializer(many=True, read_only=True)
    requirements = serializers.SerializerMethodField(help_text="What entering this tier requires, in words.")
    breach_action = serializers.CharField(help_text="notify or auto_escalate.")

    class Meta(CurrentTierSerializer.Meta):
        fields = [
            *CurrentTierSerializer.Meta.fields,
            "description",
            "criteria",
            "requirements",
            "min_steps_below",
            "requires_lower_tiers_documented",
            "requires_evidence",
            "breach_action",
        ]
        read_only_fields = fields

    def get_requirements(self, tier: Tier) -> list[str]:
        return requirements_of(tier)


class TierSerializer(CurrentTierSerializer):
    """A tier in the list of every ladder's tiers, with its open tickets and its queue."""

    path = PathBriefSerializer(read_only=True)
    open_tickets = serializers.IntegerField(read_only=True, help_text="Open tickets in the tier now.")
    queue_url = serializers.HyperlinkedIdentityField(view_name="escalations_api:tier-queue")

    class Meta(CurrentTierSerializer.Meta):
        fields = [*CurrentTierSerializer.Meta.fields, "path", "open_tickets", "queue_url"]
        read_only_fields = fields


# --- output: what moved the ticket -----------------------------------------------------------


class HandoffApprovalSerializer(serializers.Serializer):
    """The gate's approval request as the hand-off shows it (the decision and its notes)."""

    id = serializers.IntegerField()
    status = serializers.CharField(help_text="pending, approved, changes_requested or cancelled.")
    decided_by = UserBriefSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_notes = serializers.CharField()
    suggested_steps = serializers.ListField(child=serializers.CharField())


class HandoffSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text=f"One of: {_values(HandoffStatus)}.")
    direction = serializers.ChoiceField(choices=Direction.choices)
    from_tier = TierRefSerializer(read_only=True)
    to_tier = TierRefSerializer(read_only=True)
    requested_by = UserBriefSerializer(read_only=True, allow_null=True, help_text="Empty: the system.")
    approval = HandoffApprovalSerializer(read_only=True, allow_null=True)
    package = serializers.JSONField(read_only=True, help_text="The hand-off package as assembled.")
    missing = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "direction",
            "status",
            "from_tier",
            "to_tier",
            "criterion",
            "criterion_text",
            "findings",
            "workaround",
            "evidence_note",
            "automatic",
            "missing",
            "requested_by",
            "requested_at",
            "completed_at",
            "withdrawn_reason",
            "previous",
            "approval",
            "package",
        ]
        read_only_fields = fields


class ConsultSerializer(serializers.ModelSerializer):
    team = TeamBriefSerializer(read_only=True)
    state = serializers.CharField(help_text=f"One of: {_values(ConsultStatus)}.")
    requested_by = UserBriefSerializer(read_only=True)
    replied_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Consult
        fields = [
            "id",
            "team",
            "question",
            "state",
            "reply_minutes",
            "requested_by",
            "requested_at",
            "reply",
            "replied_by",
            "replied_at",
        ]
        read_only_fields = fields


class VendorUpdateSerializer(serializers.ModelSerializer):
    recorded_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = VendorUpdate
        fields = ["id", "summary", "received_at", "recorded_by"]
        read_only_fields = fields


class VendorEngagementSerializer(serializers.ModelSerializer):
    tier = TierRefSerializer(read_only=True)
    engaged_by = UserBriefSerializer(read_only=True)
    updates = VendorUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = VendorEngagement
        fields = [
            "id",
            "tier",
            "vendor_name",
            "case_number",
            "contact",
            "engaged_by",
            "engaged_at",
            "updates",
        ]
        read_only_fields = fields


class ManagerDecisionSerializer(serializers.ModelSerializer):
    tier = TierRefSerializer(read_only=True)
    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    decided_by = UserBriefSerializer(read_only=True)
    activity_record = serializers.JSONField(
        read_only=True, help_text="The complete activity the decision was taken on."
    )

    class Meta:
        model = ManagerDecision
        fields = ["id", "tier", "outcome", "notes", "decided_by", "decided_at", "activity_record"]
        read_only_fields = fields


class StepToDoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()


class LadderActionsSerializer(serializers.Serializer):
    """What this user may do on the ladder now (the services check again on submit)."""

    escalate = serializers.BooleanField()
    # "return" is a keyword: the field is declared below under its name.
    consult = serializers.BooleanField()
    record_vendor = serializers.BooleanField()
    decide = serializers.BooleanField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["return"] = serializers.BooleanField()
        return fields


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField(help_text="The ticket's status.")


class LadderSerializer(serializers.Serializer):
    """A ticket's place on its ladder: current tier, the ladder, and every move and decision."""

    ticket = TicketRefSerializer()
    path = PathBriefSerializer(allow_null=True, help_text="Empty: the ticket's service has no ladder.")
    current_tier = serializers.SerializerMethodField(help_text="Empty until triage places the ticket.")
    entered_at = serializers.SerializerMethodField(help_text="When the ticket entered its current tier.")
    tiers = LadderTierSerializer(many=True)
    handoffs = HandoffSerializer(many=True)
    consults = ConsultSerializer(many=True)
    vendor_engagements = VendorEngagementSerializer(many=True)
    decisions = ManagerDecisionSerializer(many=True)
    steps_to_do = StepToDoSerializer(many=True, help_text="Steps a team leader asked for, still to do.")
    actions = LadderActionsSerializer()

    @extend_schema_field(CurrentTierSerializer(allow_null=True))
    def get_current_tier(self, view: Any) -> dict[str, Any] | None:
        return CurrentTierSerializer(view.stint.tier).data if view.stint else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_entered_at(self, view: Any) -> str | None:
        return serializers.DateTimeField().to_representation(view.stint.entered_at) if view.stint else None


# --- input: one serializer per action --------------------------------------------------------


def _text(**kwargs: Any) -> serializers.CharField:
    """Free text that may be blank: what the service requires, it names as missing (409)."""
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


class StaffChoicesSerializer(serializers.Serializer):
    """Tiers, criteria and teams are internal: offered to (and accepted from) support staff only."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if not people.is_staff_viewer(viewer_of(self)):
            for field in fields.values():
                if isinstance(field, serializers.RelatedField):
                    field.queryset = field.queryset.none()
        return fields


def _tier(**kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=Tier.objects.select_related("path", "team"), **kwargs)


class EscalateInputSerializer(StaffChoicesSerializer):
    """Escalate to the next tier (or a chosen higher one) with the hand-off package."""

    to_tier = _tier(
        required=False,
        allow_null=True,
        default=None,
        help_text="A tier above the current one on the ticket's ladder; default the next.",
    )
    criterion = serializers.PrimaryKeyRelatedField(
        queryset=EscalationCriterion.objects.select_related("tier"),
        required=False,
        allow_null=True,
        default=None,
        help_text="One of the target tier's criteria (required when it has any).",
    )
    findings = _text(help_text="Summary of findings.")
    workaround = _text()
    evidence_note = _text(help_text='Why no logs or screenshots are attached ("none"), when there are none.')
    from_tier = _tier(
        required=False,
        allow_null=True,
        default=None,
        help_text="The tier the ticket is expected to be in (refused if it moved meanwhile).",
    )


class ReturnInputSerializer(StaffChoicesSerializer):
    """Return to a lower tier (no approval), e.g. Engineering back to Tier 1 to verify the fix."""

    to_tier = _tier(help_text="A tier below the current one on the ticket's ladder.")
    findings = _text(help_text="What was done and what the lower tier should do next.")
    workaround = _text()
    from_tier = _tier(required=False, allow_null=True, default=None)


class ConsultInputSerializer(StaffChoicesSerializer):
    """Ask another team for input without changing tier."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    question = _text()
    reply_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Reply time frame in business minutes (default: the setting CONSULT_REPLY_MINUTES).",
    )


class VendorEngagementInputSerializer(serializers.Serializer):
    """Record the vendor's case for a ticket in a vendor tier."""

    case_number = _text(max_length=120)
    contact = _text(max_length=250, help_text="Vendor contact: name, e-mail or phone.")
    vendor_name = _text(max_length=120, help_text="Default: the vendor tier's vendor.")


class VendorUpdateInputSerializer(serializers.Serializer):
    summary = _text(help_text="What the vendor reported.")
    received_at = InstantField(
        required=False, allow_null=True, default=None, help_text="When the update arrived (default: now)."
    )


class DecisionInputSerializer(StaffChoicesSerializer):
    """The IT manager's decision at the decision point (seed 001)."""

    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    notes = _text()
    to_tier = _tier(
        required=False,
        allow_null=True,
        default=None,
        help_text="return_to_tier: the tier; continue_with_vendor: default the ladder's vendor tier.",
    )
    root_cause = _text(help_text="known_error and close_with_workaround: the root cause as far as known.")
    knowledge_article = _text(max_length=200)
    knowledge_none_reason = _text()


class WithdrawInputSerializer(serializers.Serializer):
    reason = _text(help_text="Why it is withdrawn.")


class ConsultReplyInputSerializer(serializers.Serializer):
    reply = _text()
