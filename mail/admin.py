"""Admin: every inbound message with its outcome, read-only (they change only through the intake)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "subject", "outcome", "ticket", "source", "attempts"]
    list_filter = ["outcome", "source", "receipt_sent"]
    search_fields = ["sender", "subject", "message_id", "reason"]
    list_select_related = ["ticket"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InboundMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: InboundMessage | None = None) -> bool:
        return False
