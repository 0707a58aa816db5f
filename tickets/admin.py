"""Admin: configuration and a read-only view of each ticket's history.

Ticket state is never edited here: status is protected and changes only through services.
"""

from django.contrib import admin

from .models import (
    Attachment,
    Category,
    Comment,
    Service,
    SlaTarget,
    Ticket,
    TimelineEvent,
    TroubleshootingStep,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["at", "kind", "actor", "source", "target", "reason", "details", "is_public"]
    readonly_fields = fields
    ordering = ["at", "pk"]


class StepInline(ReadOnlyInline):
    model = TroubleshootingStep
    fields = ["performed_at", "kind", "state", "action", "outcome", "engineer", "team", "is_public"]
    readonly_fields = fields


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author", "is_internal", "body"]
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["uploaded_at", "original_name", "size", "content_type", "is_internal", "uploaded_by"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["reference", "summary", "status", "priority", "organisation", "team", "assignee", "created_at"]
    list_filter = ["status", "priority", "team", "category", "service", "channel"]
    search_fields = ["summary", "description", "organisation__name", "requester__email"]
    list_select_related = ["organisation", "team", "assignee"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["requester", "assignee", "duplicate_of", "follow_up_of"]
    readonly_fields = [
        "status", "organisation", "created_by", "channel", "team", "assignee", "resolution_summary",
        "root_cause", "fix_kind", "knowledge_article", "knowledge_none_reason", "reopen_reason",
        "reopen_count", "close_kind", "confirmation_note", "cancel_reason", "cancel_note",
        "created_at", "updated_at", "triaged_at", "started_at", "resolved_at", "closed_at",
        "waiting_reason", "requester", "duplicate_of",
    ]
    inlines = [StepInline, CommentInline, AttachmentInline, TimelineInline]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        # Tickets are created through the console, the portal or the API (services).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        # Intake and state change through services only; admin shows the record.
        return False


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["at", "ticket", "kind", "actor", "source", "target", "is_public"]
    list_filter = ["kind", "is_public"]
    search_fields = ["reason", "ticket__summary"]
    list_select_related = ["ticket", "actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(TroubleshootingStep)
class TroubleshootingStepAdmin(admin.ModelAdmin):
    list_display = ["performed_at", "ticket", "kind", "state", "engineer", "team"]
    list_filter = ["kind", "state", "team"]
    search_fields = ["action", "outcome", "ticket__summary"]
    list_select_related = ["ticket", "engineer", "team"]
    readonly_fields = ["ticket", "engineer", "team", "performed_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "ticket", "author", "is_internal"]
    list_filter = ["is_internal"]
    search_fields = ["body", "ticket__summary"]
    list_select_related = ["ticket", "author"]
    readonly_fields = ["ticket", "author", "created_at", "is_internal", "body"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["uploaded_at", "original_name", "ticket", "size", "is_internal", "uploaded_by"]
    list_filter = ["is_internal"]
    search_fields = ["original_name", "ticket__summary"]
    list_select_related = ["ticket", "uploaded_by"]
    readonly_fields = ["ticket", "step", "comment", "file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at", "is_internal"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "default_team", "calendar", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["priority", "first_response_minutes", "resolution_minutes", "warning_percent"]
