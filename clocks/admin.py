from django.contrib import admin
from django.http import HttpRequest

from .models import BusinessCalendar, Clock, ClockPause, Deadline, Holiday, WorkingWindow


class WorkingWindowInline(admin.TabularInline):
    model = WorkingWindow
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_24x7", "holiday_country", "holiday_subdivision"]
    inlines = [WorkingWindowInline, HolidayInline]


class ClockPauseInline(admin.TabularInline):
    model = ClockPause
    extra = 0
    can_delete = False
    readonly_fields = ["paused_at", "resumed_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    """Read-only: clocks change only through clocks.services."""

    list_display = ["kind", "content_type", "object_id", "state", "due_at", "warned_at", "breached_at"]
    list_filter = ["state", "kind"]
    inlines = [ClockPauseInline]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in Clock._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["kind", "content_type", "object_id", "due_at", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "kind"]
    readonly_fields = ["created_at", "claimed_until", "claim_token"]
