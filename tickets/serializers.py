"""API serializers: read-only output of tickets and small input serializers per action.

State fields are never writable here: every change goes through tickets.services, and the
input serializers only carry what one service call needs (SPEC §9, STYLE habit 8).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors as people
from accounts.models import Organisation, Team, User
from accounts.serializers import UserBriefSerializer
from escalation_desk.api import BuiltOnceModelSerializer, ErrorSerializer, viewer_of

from . import permissions, selectors, sla
from .models import (
    Attachment,
    CancelReason,
    Category,
    Channel,
    CloseKind,
    Comment,
    FixKind,
    Priority,
    Service,
    StepKind,
    StepState,
    Ticket,
    TimelineEvent,
    TroubleshootingStep,
)

# --- output: small nested objects ----------------------------------------------------------


class ContactSerializer(BuiltOnceModelSerializer):
    """An escalation contact shown to the customer (seed 000): name, title, e-mail, phone."""

    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name", "title", "email", "phone"]
        read_only_fields = fields

    def get_name(self, user: User) -> str:
        return str(user)


def _brief(model: type[Any]) -> type[BuiltOnceModelSerializer]:
    """A read-only {id, name} reference to a row (named <Model>BriefSerializer in the schema)."""
    meta = type("Meta", (), {"model": model, "fields": ["id", "name"], "read_only_fields": ["id", "name"]})
    return type(f"{model.__name__}BriefSerializer", (BuiltOnceModelSerializer,), {"Meta": meta})


OrganisationBriefSerializer = _brief(Organisation)
TeamBriefSerializer = _brief(Team)
CategoryBriefSerializer = _brief(Category)
ServiceBriefSerializer = _brief(Service)


class TeamContactsSerializer(BuiltOnceModelSerializer):
    """The ticket's team with its team leaders and team manager (escalation contacts)."""

    leaders = ContactSerializer(many=True, read_only=True)
    manager = ContactSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "name", "leaders", "manager"]
        read_only_fields = fields


class AttachmentSerializer(BuiltOnceModelSerializer):
    download_url = serializers.HyperlinkedIdentityField(view_name="api:attachment-download")
    uploaded_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "is_internal",
            "step",
            "comment",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields


class StepSerializer(BuiltOnceModelSerializer):
    engineer = UserBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True, source="shown_files")

    class Meta:
        model = TroubleshootingStep
        fields = [
            "id",
            "kind",
            "action",
            "outcome",
            "state",
            "engineer",
            "team",
            "is_public",
            "performed_at",
            "attachments",
        ]
        read_only_fields = fields


class CommentSerializer(BuiltOnceModelSerializer):
    author = UserBriefSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True, source="shown_files")

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "created_at", "attachments"]
        read_only_fields = fields


class TimelineEventSerializer(BuiltOnceModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "actor", "at", "source", "target", "reason", "details", "is_public"]
        read_only_fields = fields


# --- output: tickets -----------------------------------------------------------------------


class ChoiceOrNullField(serializers.ChoiceField):
    """A choice the ticket may not have yet: null, never "", while it is unset (the schema's enum or null)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


class ClockSerializer(serializers.Serializer):
    """One SLA time frame of the ticket, in business seconds (SPEC §4)."""

    kind = serializers.CharField(help_text="ticket.first_response or ticket.resolution")
    label = serializers.CharField()
    state = serializers.CharField(help_text="running, warning, breached, paused or met")
    target = serializers.IntegerField(help_text="Business seconds allowed.")
    elapsed = serializers.IntegerField(help_text="Business seconds counted, pauses excluded.")
    remaining = serializers.IntegerField(help_text="Business seconds left; negative once breached.")
    paused = serializers.BooleanField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="Breach instant while running.")
    warn_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)


class TicketListSerializer(BuiltOnceModelSerializer):
    """A queue row: what a list shows, with the transitions this user may take."""

    url = serializers.HyperlinkedIdentityField(view_name="api:ticket-detail")
    reference = serializers.CharField(read_only=True)
    organisation = OrganisationBriefSerializer(read_only=True)
    requester = UserBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    category = CategoryBriefSerializer(read_only=True, allow_null=True)
    service = ServiceBriefSerializer(read_only=True, allow_null=True)
    priority = ChoiceOrNullField(choices=Priority.choices, help_text="Null until triage sets it.")
    available_transitions = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()
    unread_customer_reply = serializers.SerializerMethodField(
        help_text="Staff only (null for customers): the customer replied and no staff member has "
        "opened the ticket in the console since."
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "url",
            "summary",
            "status",
            "priority",
            "channel",
            "organisation",
            "requester",
            "team",
            "assignee",
            "category",
            "service",
            "created_at",
            "updated_at",
            "available_transitions",
            "clocks",
            "unread_customer_reply",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_unread_customer_reply(self, ticket: Ticket) -> bool | None:
        if not permissions.is_staff_reader(self.context["request"].user):
            return None
        return ticket.unread_customer_reply_at is not None

    def get_available_transitions(self, ticket: Ticket) -> list[str]:
        return selectors.available_transitions(ticket, self.context["request"].user)

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, ticket: Ticket) -> list[dict[str, Any]]:
        return sla.clock_badges(ticket)


class TicketDetailSerializer(TicketListSerializer):
    """A ticket with its intake, lifecycle fields, troubleshooting log, comments, files, timeline.

    Built on selectors.ticket_detail_queryset, so a customer never receives internal
    comments, steps, files or events, and the query count does not grow with the rows.
    """

    team = TeamContactsSerializer(read_only=True, allow_null=True)
    created_by = UserBriefSerializer(read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(
        many=True,
        read_only=True,
        source="ticket_files",
        help_text="Files attached to the ticket itself (step and comment files are nested there).",
    )
    events = TimelineEventSerializer(many=True, read_only=True, source="timeline")
    fix_kind = ChoiceOrNullField(choices=FixKind.choices, help_text="Null until resolved.")
    close_kind = ChoiceOrNullField(choices=CloseKind.choices, help_text="Null until closed.")
    cancel_reason = ChoiceOrNullField(choices=CancelReason.choices, help_text="Null unless cancelled.")

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "created_by",
            "description",
            "symptoms",
            "replication_steps",
            "error_messages",
            "recent_changes",
            "business_impact",
            "workaround",
            "critical_milestone",
            "waiting_reason",
            "resolution_summary",
            "root_cause",
            "fix_kind",
            "knowledge_article",
            "knowledge_none_reason",
            "reopen_reason",
            "reopen_count",
            "close_kind",
            "confirmation_note",
            "cancel_reason",
            "cancel_note",
            "duplicate_of",
            "follow_up_of",
            "triaged_at",
            "started_at",
            "resolved_at",
            "closed_at",
            "steps",
            "comments",
            "attachments",
            "events",
        ]
        read_only_fields = fields


# --- input: creation -----------------------------------------------------------------------


def _text(**kwargs: Any) -> serializers.CharField:
    """An optional free-text input that may be blank."""
    return serializers.CharField(required=False, allow_blank=True, **kwargs)


STAFF_ONLY_HELP = (
    "Staff only (tickets.permissions.STAFF_ONLY_INTAKE_FIELDS): a customer's request gets it when "
    "support triages it; a customer sending it gets a 400 naming the field."
)


class _OrganisationField(serializers.PrimaryKeyRelatedField):
    """An organisation id, resolved by TicketCreateSerializer.validate once the requester is known
    (usually the requester's own organisation, loaded with them: no query of its own)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)


class TicketCreateSerializer(serializers.Serializer):
    """Open a ticket. Staff name the organisation and requester; a customer's are their own.

    Status, team and assignee are not accepted: they are set by the lifecycle (triage, start).
    """

    organisation = _OrganisationField(
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
        help_text="Staff only (required for staff); a customer's ticket is for their organisation.",
    )
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        help_text="Staff only (required for staff): the customer contact the ticket is for.",
    )
    summary = serializers.CharField(max_length=200)
    description = _text()
    symptoms = _text()
    replication_steps = _text()
    error_messages = _text()
    recent_changes = _text()
    business_impact = _text()
    workaround = _text()
    critical_milestone = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, allow_blank=True, help_text=STAFF_ONLY_HELP
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True, help_text=STAFF_ONLY_HELP
    )
    service = serializers.PrimaryKeyRelatedField(
        # The default team (and its manager) the ticket reaches, in the same query.
        queryset=Service.objects.filter(is_active=True).select_related("default_team__manager"),
        required=False,
        allow_null=True,
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Logs, screenshots (multipart)."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        user = viewer_of(self)
        # Choices a form would list (browsable API) and the ids accepted: a customer only their
        # own organisation and themselves; staff the active organisations and their contacts.
        if permissions.is_staff_reader(user):
            fields["requester"].queryset = people.contact_choices(user).select_related("organisation")
        else:
            fields["organisation"].queryset = Organisation.objects.filter(
                pk=getattr(user, "organisation_id", None) or 0
            )
            fields["requester"].queryset = User.objects.filter(pk=user.pk or 0, is_active=True)
            if "request" in self.context:
                for name in permissions.STAFF_ONLY_INTAKE_FIELDS:  # not offered; refused in validate()
                    fields.pop(name, None)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        refused = permissions.staff_only_intake_errors(user, self.initial_data)
        if refused:
            raise serializers.ValidationError(refused)
        if attrs.get("organisation") is not None:
            attrs["organisation"] = self._organisation(attrs["organisation"], attrs.get("requester"))
        if permissions.is_staff_reader(user):
            errors = {
                name: [gettext("Staff must say which organisation and contact the ticket is for.")]
                for name in ("organisation", "requester")
                if attrs.get(name) is None
            }
            if errors:
                raise serializers.ValidationError(errors)
        else:
            # A customer's ticket is always their organisation's, and they are the requester.
            attrs["organisation"] = user.organisation
            attrs["requester"] = user
        return attrs

    def _organisation(self, pk: int, requester: User | None) -> Organisation:
        """The organisation named: the requester's own, already loaded with them, needs no query
        of its own (an active one, for staff); any other is looked up and checked as usual."""
        known = getattr(requester, "organisation", None)
        if (
            known is not None
            and known.pk == pk
            and known.is_active
            and permissions.is_staff_reader(viewer_of(self))
        ):
            return known
        try:
            return serializers.PrimaryKeyRelatedField.to_internal_value(self.fields["organisation"], pk)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"organisation": exc.detail}) from None


# --- input: one serializer per transition --------------------------------------------------


class TriageInputSerializer(serializers.Serializer):
    """new → open. Priority, category and service, plus any intake field to complete."""

    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False
    )
    summary = serializers.CharField(max_length=200, required=False)
    description = _text()
    symptoms = _text()
    replication_steps = _text()
    error_messages = _text()
    recent_changes = _text()
    business_impact = _text()
    workaround = _text()
    critical_milestone = serializers.DateField(required=False, allow_null=True)


class StartInputSerializer(serializers.Serializer):
    """open → in_progress. The assignee defaults to the engineer who starts."""

    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text="A support staff member (user id) who works the ticket's team.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["assignee"].queryset = people.staff_choices(viewer_of(self))  # never staff to customers
        return fields


class AwaitCustomerInputSerializer(serializers.Serializer):
    reason = _text(default="", help_text="What the customer needs to provide.")


class CustomerRepliedInputSerializer(serializers.Serializer):
    note = _text(default="")


class ResolveInputSerializer(serializers.Serializer):
    resolution_summary = _text(default="", help_text="What fixed it.")
    root_cause = _text(default="")
    fix_kind = serializers.ChoiceField(choices=FixKind.choices, required=False, allow_blank=True, default="")
    knowledge_article = _text(default="", max_length=200)
    knowledge_none_reason = _text(default="")


class ConfirmResolutionInputSerializer(serializers.Serializer):
    note = _text(default="")
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Staff recording the customer's confirmation: how the customer confirmed.",
    )


class ReopenInputSerializer(serializers.Serializer):
    reason = _text(default="", help_text="Why the resolution is not satisfactory.")


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=CancelReason.choices, required=False, allow_blank=True, default=""
    )
    note = _text(default="")
    duplicate_of = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(), required=False, allow_null=True, default=None
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Only a ticket the user may see can be named as the original.
        visible: QuerySet[Ticket] = permissions.visible_tickets(viewer_of(self), Ticket.objects.all())
        fields["duplicate_of"].queryset = visible
        return fields


TRANSITION_INPUTS: dict[str, type[serializers.Serializer]] = {
    "triage": TriageInputSerializer,
    "start": StartInputSerializer,
    "await_customer": AwaitCustomerInputSerializer,
    "customer_replied": CustomerRepliedInputSerializer,
    "resolve": ResolveInputSerializer,
    "confirm_resolution": ConfirmResolutionInputSerializer,
    "reopen": ReopenInputSerializer,
    "cancel": CancelInputSerializer,
}


# --- input: assignment ----------------------------------------------------------------------


class AssignInputSerializer(serializers.Serializer):
    """Who works the ticket from now on; null unassigns it. Team leaders and managers only."""

    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        allow_null=True,
        help_text="A staff member of the ticket's team (user id), or null for nobody.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["assignee"].queryset = people.staff_choices(viewer_of(self))
        return fields


class CopyInInputSerializer(serializers.Serializer):
    """A contact of the ticket's organisation to copy in on it (or to stop copying in)."""

    contact = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), help_text="A contact (user id) of the ticket's organisation."
    )

    def __init__(self, *args: Any, organisation_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_id = organisation_id

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Only the ticket's organisation's own contacts are choices: nobody else is revealed
        # (and without a ticket, nobody at all).
        fields["contact"].queryset = (
            people.contact_choices(viewer_of(self), self.organisation_id)
            if self.organisation_id is not None
            else User.objects.none()
        )
        return fields


class WatcherSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    name = serializers.CharField(source="user.__str__")


# --- input: comments, steps, attachments ---------------------------------------------------


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField()
    is_internal = serializers.BooleanField(default=False, help_text="Staff only.")
    files = serializers.ListField(child=serializers.FileField(), required=False)


class StepInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StepKind.choices)
    action = serializers.CharField(help_text="What was done.")
    outcome = _text(default="", help_text="What it showed (required when done).")
    state = serializers.ChoiceField(choices=StepState.choices, default=StepState.DONE)
    is_public = serializers.BooleanField(default=False, help_text="Shown to the customer.")
    files = serializers.ListField(child=serializers.FileField(), required=False)


class StepCompleteInputSerializer(serializers.Serializer):
    """A to-do step (suggested by a team leader) done: what it showed, with its evidence."""

    outcome = _text(default="", help_text="What the step showed (required).")
    files = serializers.ListField(child=serializers.FileField(), required=False)


class StepVisibilityInputSerializer(serializers.Serializer):
    """Share a step (and its evidence files) with the customer, or make it internal again."""

    is_public = serializers.BooleanField(help_text="true: shown to the customer; false: internal.")
    reason = serializers.CharField(max_length=2000, help_text="Why (recorded on the timeline).")


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    is_internal = serializers.BooleanField(default=False, help_text="Staff only.")


# --- error bodies, for the schema (the shared ones live beside the exception handler) -------


class UnknownTransitionSerializer(ErrorSerializer):
    known = serializers.ListField(child=serializers.CharField())
