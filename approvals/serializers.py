"""API serializers of approval requests: read-only output and the two decisions' inputs.

Generic like the app: a request is shown with its title, reference, link and package, never
with what its subject is made of. The status is a plain string in the schema (the name
"status" is shared with other apps' enums).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserBriefSerializer

from . import permissions
from .models import ApprovalRequest, ApprovalStatus


class PackageItemSerializer(serializers.Serializer):
    text = serializers.CharField()
    url = serializers.CharField(required=False, help_text="Where the item (e.g. a file) is seen.")


class PackageSectionSerializer(serializers.Serializer):
    title = serializers.CharField()
    items = PackageItemSerializer(many=True)


class ApprovalRequestSerializer(serializers.ModelSerializer):
    """A request in a list: who asked, who may decide, the decision; the package is on the detail."""

    url = serializers.HyperlinkedIdentityField(view_name="approvals_api:approval-detail")
    status = serializers.CharField(help_text=f"One of: {', '.join(ApprovalStatus.values)}.")
    subject_type = serializers.SerializerMethodField(
        help_text='What the gate is on, e.g. "escalations.handoff".'
    )
    subject_id = serializers.IntegerField(source="object_id", read_only=True)
    requested_by = UserBriefSerializer(read_only=True, allow_null=True, help_text="Empty: the system.")
    approvers = UserBriefSerializer(many=True, read_only=True)
    decided_by = UserBriefSerializer(read_only=True, allow_null=True)
    missing = serializers.ListField(child=serializers.CharField(), read_only=True)
    suggested_steps = serializers.ListField(child=serializers.CharField(), read_only=True)
    follow_up = serializers.SerializerMethodField(help_text="The request filed after changes were made.")
    decision_due_at = serializers.SerializerMethodField(help_text="When the decision time frame passes.")
    can_decide = serializers.SerializerMethodField(help_text="Whether this user may decide it now.")

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "url",
            "title",
            "reference",
            "link",
            "status",
            "subject_type",
            "subject_id",
            "requested_by",
            "requested_at",
            "approvers",
            "missing",
            "decided_by",
            "decided_at",
            "decision_notes",
            "suggested_steps",
            "cancel_reason",
            "previous",
            "follow_up",
            "decision_due_at",
            "can_decide",
        ]
        read_only_fields = fields

    def get_subject_type(self, request: ApprovalRequest) -> str:
        return f"{request.content_type.app_label}.{request.content_type.model}"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_follow_up(self, request: ApprovalRequest) -> int | None:
        try:
            return request.follow_up.pk
        except ApprovalRequest.DoesNotExist:
            return None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_decision_due_at(self, request: ApprovalRequest) -> str | None:
        due = self.context.get("due_at", {}).get(request.pk)
        return serializers.DateTimeField().to_representation(due) if due and request.is_pending else None

    def get_can_decide(self, request: ApprovalRequest) -> bool:
        return request.is_pending and permissions.can_decide(request, self.context["request"].user)


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    """A request with the package the approver reviews."""

    package = PackageSectionSerializer(many=True, read_only=True)

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [*ApprovalRequestSerializer.Meta.fields, "package"]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------------


class ApproveInputSerializer(serializers.Serializer):
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Approval notes: what was reviewed and why it may go ahead (required; 409 when empty).",
    )


class RequestChangesInputSerializer(serializers.Serializer):
    steps = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=list,
        help_text="The additional troubleshooting steps to perform (at least one; 409 when none).",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
