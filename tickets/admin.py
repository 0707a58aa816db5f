"""Admin: configuration and a read-only view of each ticket's history.

Ticket state is never edited here: status is protected and changes only through services.
History (steps, comments, files, events) is never deleted or edited here, not even by a
superuser; a step's visibility and redaction are actions that call tickets.history.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from escalation_desk.domain import InvalidInput, Refused

from . import permissions
from .history import attachment_redact, comment_redact, step_redact, step_set_visibility
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

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
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
    list_display = [
        "reference",
        "summary",
        "status",
        "priority",
        "organisation",
        "team",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "priority", "team", "category", "service", "channel"]
    search_fields = ["summary", "description", "organisation__name", "requester__email"]
    list_select_related = ["organisation", "team", "assignee"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["requester", "assignee", "duplicate_of", "follow_up_of"]
    readonly_fields = [
        "status",
        "organisation",
        "created_by",
        "channel",
        "team",
        "assignee",
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
        "created_at",
        "updated_at",
        "triaged_at",
        "started_at",
        "resolved_at",
        "closed_at",
        "waiting_reason",
        "requester",
        "duplicate_of",
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


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text=_("Recorded on each ticket's timeline with your name and the time."),
    )


class HistoryAdmin(admin.ModelAdmin):
    """Part of a ticket's history: shown read-only and never deleted, by anyone, superusers too.

    What may change (who sees a step, redaction of personal data) is an action that calls the
    service, which writes the timeline event.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_redact_permission(self, request: HttpRequest) -> bool:
        return permissions.can_redact(request.user)

    def _with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        action: str,
        title: str,
        intro: str,
        button: str,
        done: str,
        apply: Callable[[Any, str], object],
    ) -> HttpResponse | None:
        """Ask for the reason on an intermediate page, then call the service once per object."""
        objects = list(queryset.select_related("ticket"))
        form = ReasonForm(request.POST) if request.POST.get("post") == "yes" else ReasonForm()
        if form.is_bound and form.is_valid():
            changed = []
            for obj in objects:
                try:
                    apply(obj, form.cleaned_data["reason"])
                except (PermissionDenied, Refused, InvalidInput) as exc:
                    self.message_user(request, f"{obj.ticket.reference} – {obj}: {exc}", messages.ERROR)
                else:
                    changed.append(obj)
            if changed:
                self.message_user(request, done % {"count": len(changed)}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "subtitle": None,
            "intro": intro,
            "button": button,
            "objects": objects,
            "form": form,
            "action_name": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tickets/reason.html", context)


@admin.register(TroubleshootingStep)
class TroubleshootingStepAdmin(HistoryAdmin):
    list_display = ["performed_at", "ticket", "kind", "state", "engineer", "team", "is_public", "redacted_at"]
    list_filter = ["kind", "state", "team", "is_public"]
    search_fields = ["action", "outcome", "ticket__summary"]
    list_select_related = ["ticket", "engineer", "team"]
    actions = ["share_selected", "make_internal_selected", "redact_selected"]

    def has_visibility_permission(self, request: HttpRequest) -> bool:
        return permissions.can_view_internal(request.user)

    @admin.action(description=_("Share selected steps with the customer"), permissions=["visibility"])
    def share_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._visibility(request, queryset, public=True)

    @admin.action(description=_("Make selected steps internal"), permissions=["visibility"])
    def make_internal_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._visibility(request, queryset, public=False)

    def _visibility(self, request: HttpRequest, queryset: QuerySet, *, public: bool) -> HttpResponse | None:
        return self._with_reason(
            request,
            queryset,
            action="share_selected" if public else "make_internal_selected",
            title=_("Share steps with the customer") if public else _("Make steps internal"),
            intro=_("The customer will see these steps and their evidence files in the portal.")
            if public
            else _("The customer will no longer see these steps or their evidence files."),
            button=_("Share with the customer") if public else _("Make internal"),
            done=_("%(count)d step(s) changed; each ticket's timeline records it."),
            apply=lambda step, reason: step_set_visibility(
                step=step, actor=request.user, public=public, reason=reason
            ),
        )

    @admin.action(description=_("Redact selected steps (personal data)"), permissions=["redact"])
    def redact_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._with_reason(
            request,
            queryset,
            action="redact_selected",
            title=_("Redact troubleshooting steps"),
            intro=_(
                "What was done and what it showed are replaced by a redaction notice and the "
                "evidence files are deleted. The steps stay on the tickets. This cannot be undone."
            ),
            button=_("Redact"),
            done=_("%(count)d step(s) redacted."),
            apply=lambda step, reason: step_redact(step=step, actor=request.user, reason=reason),
        )


@admin.register(Comment)
class CommentAdmin(HistoryAdmin):
    list_display = ["created_at", "ticket", "author", "is_internal", "redacted_at"]
    list_filter = ["is_internal"]
    search_fields = ["body", "ticket__summary"]
    list_select_related = ["ticket", "author"]
    actions = ["redact_selected"]

    @admin.action(description=_("Redact selected comments (personal data)"), permissions=["redact"])
    def redact_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._with_reason(
            request,
            queryset,
            action="redact_selected",
            title=_("Redact comments"),
            intro=_(
                "The text is replaced by a redaction notice (in the notices sent of it too) and the "
                "comment's files are deleted. The comments stay on the tickets. This cannot be undone."
            ),
            button=_("Redact"),
            done=_("%(count)d comment(s) redacted."),
            apply=lambda comment, reason: comment_redact(comment=comment, actor=request.user, reason=reason),
        )


@admin.register(Attachment)
class AttachmentAdmin(HistoryAdmin):
    list_display = [
        "uploaded_at",
        "original_name",
        "ticket",
        "size",
        "is_internal",
        "uploaded_by",
        "redacted_at",
    ]
    list_filter = ["is_internal"]
    search_fields = ["original_name", "ticket__summary"]
    list_select_related = ["ticket", "uploaded_by"]
    actions = ["redact_selected"]

    @admin.action(description=_("Redact selected files (personal data)"), permissions=["redact"])
    def redact_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._with_reason(
            request,
            queryset,
            action="redact_selected",
            title=_("Redact files"),
            intro=_(
                "The stored files are deleted and their names removed. The entries stay on the "
                "tickets. This cannot be undone."
            ),
            button=_("Redact"),
            done=_("%(count)d file(s) redacted."),
            apply=lambda attachment, reason: attachment_redact(
                attachment=attachment, actor=request.user, reason=reason
            ),
        )


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
