from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only: rows change only through the services (the action re-drives)."""

    list_display = ["created_at", "kind", "recipient", "channel", "state", "attempts", "sent_at", "read_at"]
    list_filter = ["state", "channel", "kind"]
    search_fields = ["subject", "dedup_key", "recipient__username", "recipient__email"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    actions = ["redrive_selected"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    @admin.action(description=_("Re-drive selected (e-mail: one more delivery attempt now)"))
    def redrive_selected(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        sent = services.redrive_selected(notification_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{sent} notification{'s' if sent != 1 else ''} sent.", messages.SUCCESS)
