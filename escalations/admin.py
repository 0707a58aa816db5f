"""Admin for the ladders (administrators edit them) and a read-only record of what happened.

Ladders, tiers, their criteria and time frames are configuration: administrators edit them
here (issue 4 point 1). Hand-offs, stints, consults, vendor engagements and IT manager
decisions are history: shown here, changed only through escalations.services.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from escalation_desk import links

from .models import (
    Consult,
    EscalationCriterion,
    EscalationPath,
    Handoff,
    ManagerDecision,
    ServiceLadder,
    Tier,
    TierStint,
    TierTimeFrame,
    VendorEngagement,
    VendorUpdate,
)

# --- the ladders (configuration) -------------------------------------------------------------


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0
    # The rest (what else entering requires, criteria, time frames per priority) is on the
    # tier's own page: its change link. vendor_name stays here: Tier.clean() checks it.
    fields = [
        "level",
        "name",
        "team",
        "kind",
        "vendor_name",
        "requires_approval",
        "min_steps_below",
        "breach_action",
    ]
    ordering = ["level"]
    show_change_link = True


class ServiceLadderInline(admin.TabularInline):
    model = ServiceLadder
    extra = 0
    fields = ["service"]
    verbose_name = _("service on this ladder")
    verbose_name_plural = _("services on this ladder")


@admin.register(EscalationPath)
class EscalationPathAdmin(admin.ModelAdmin):
    list_display = ["name", "tier_count", "service_count", "description"]
    search_fields = ["name", "description"]
    inlines = [TierInline, ServiceLadderInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_tiers=Count("tiers", distinct=True), n_services=Count("service_ladders", distinct=True)
            )
        )

    @admin.display(description=_("Tiers"), ordering="n_tiers")
    def tier_count(self, obj: EscalationPath) -> int:
        return obj.n_tiers

    @admin.display(description=_("Services"), ordering="n_services")
    def service_count(self, obj: EscalationPath) -> int:
        return obj.n_services


@admin.register(ServiceLadder)
class ServiceLadderAdmin(admin.ModelAdmin):
    list_display = ["service", "path"]
    list_filter = ["path"]
    search_fields = ["service__name", "path__name"]
    list_select_related = ["service", "path"]


class CriterionInline(admin.TabularInline):
    model = EscalationCriterion
    extra = 0
    fields = ["position", "text"]
    verbose_name = _("criterion for entering this tier")
    verbose_name_plural = _("criteria for entering this tier (one is required; none: no criterion asked)")


class TimeFrameInline(admin.TabularInline):
    model = TierTimeFrame
    extra = 0
    fields = ["priority", "minutes", "warning_percent"]
    verbose_name = _("time frame")
    verbose_name_plural = _("time frames per priority (business minutes)")


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "path", "level", "team", "kind", "requires_approval", "breach_action"]
    list_filter = ["path", "kind", "requires_approval", "breach_action"]
    list_select_related = ["path", "team"]
    search_fields = ["name", "path__name", "team__name", "vendor_name"]
    ordering = ["path__name", "level"]
    autocomplete_fields = ["team"]
    fieldsets = [
        (None, {"fields": ["path", "level", "name", "team", "kind", "vendor_name", "description"]}),
        (
            _("Entering this tier requires"),
            {
                "fields": [
                    "requires_approval",
                    "min_steps_below",
                    "requires_lower_tiers_documented",
                    "requires_evidence",
                ]
            },
        ),
        (_("When a ticket overstays its time frame"), {"fields": ["breach_action"]}),
    ]
    inlines = [CriterionInline, TimeFrameInline]


# --- what happened (read-only) -----------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """History of a ticket: visible to those who may view it; changed only through the services."""

    @admin.display(description=_("Ticket"), ordering="ticket_id")
    def ticket_ref(self, obj: Any) -> str:
        return obj.ticket.reference

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = [f for fieldset in (self.fieldsets or []) for f in fieldset[1]["fields"]]
        return declared or [f.name for f in self.model._meta.concrete_fields]


def _ticket_link(ticket: Any) -> SafeString:
    return format_html(
        '<a href="{}">{}</a> {}',
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        ticket.reference,
        ticket.summary,
    )


def _desk_link(ticket: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', links.console_ticket_path(ticket.pk), ticket.reference)


def _items(values: list[Any]) -> SafeString:
    return format_html(
        '<ul style="margin: 0; padding-left: 18px;">{}</ul>',
        format_html_join("", "<li>{}</li>", ((v,) for v in values)),
    )


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ["ticket_ref", "route", "direction", "status", "automatic", "requester", "requested_at"]
    list_filter = ["status", "direction", "automatic", "to_tier__path", "to_tier"]
    search_fields = ["ticket__summary", "findings", "criterion_text"]
    list_select_related = ["ticket", "from_tier", "to_tier", "requested_by"]
    date_hierarchy = "requested_at"
    fieldsets = [
        (
            _("Hand-off"),
            {
                "fields": [
                    "ticket_display",
                    "route",
                    "direction",
                    "status",
                    "automatic",
                    "requester",
                    "requested_at",
                    "completed_at",
                    "approval_display",
                    "previous",
                    "withdrawn_reason",
                ]
            },
        ),
        (
            _("What the requester wrote"),
            {"fields": ["criterion_text", "findings", "workaround", "evidence_note", "missing_display"]},
        ),
        (_("The package as assembled"), {"fields": ["package_display"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "ticket",
                "from_tier",
                "to_tier",
                "requested_by",
                "approval",
                "previous__from_tier",
                "previous__to_tier",
                "previous__ticket",
            )
        )

    @admin.display(description=_("Ticket"))
    def ticket_display(self, obj: Handoff) -> SafeString:
        return format_html("{} (console: {})", _ticket_link(obj.ticket), _desk_link(obj.ticket))

    @admin.display(description=_("From → to"))
    def route(self, obj: Handoff) -> str:
        return f"{obj.from_tier} → {obj.to_tier}"

    @admin.display(description=_("Requested by"), ordering="requested_by__username")
    def requester(self, obj: Handoff) -> str:
        return str(obj.requested_by) if obj.requested_by_id else gettext("the system")

    @admin.display(description=_("Approval request"))
    def approval_display(self, obj: Handoff) -> SafeString | str:
        if obj.approval_id is None:
            return gettext("— (no approval needed)") if not obj.to_tier.requires_approval else "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:approvals_approvalrequest_change", args=[obj.approval_id]),
            str(obj.approval),
        )

    @admin.display(description=_("Missing (automatic)"))
    def missing_display(self, obj: Handoff) -> SafeString | str:
        return _items(obj.missing) if obj.missing else gettext("nothing")

    @admin.display(description=_("Package"))
    def package_display(self, obj: Handoff) -> SafeString:
        return render_handoff_package(obj.package)


UL = 'style="margin: 0 0 8px; padding-left: 18px;"'
TABLE = 'style="margin: 0 0 8px; width: 100%;"'
TH = 'style="width: 14em; font-weight: 600; vertical-align: top;"'


def _when(value: str) -> str:
    moment = parse_datetime(value or "")
    return f"{timezone.localtime(moment):%a %d %b %Y %H:%M}" if moment else (value or "")


def _rows(pairs: list[tuple[str, Any]]) -> SafeString:
    rows = format_html_join("", "<tr><th " + TH + ">{}</th><td>{}</td></tr>", pairs)
    return format_html("<table " + TABLE + "><tbody>{}</tbody></table>", rows)


# The package's keys shown in their own sections; any other key is shown under "Other".
PACKAGE_KEYS = frozenset(
    {
        "from_tier",
        "to_tier",
        "criterion",
        "findings",
        "workaround",
        "evidence_note",
        "assembled_at",
        "intake",
        "tiers",
        "files",
    }
)


def render_handoff_package(package: dict[str, Any]) -> SafeString:
    """The package readably: the head, the intake, each tier's steps with their files, the files."""
    if not package:
        return format_html("<p>{}</p>", gettext("empty"))
    parts = [_package_head(package)]
    intake = package.get("intake") or {}
    if intake:
        parts.append(_package_intake(intake))
    parts.extend(_package_tier(group) for group in package.get("tiers", []))
    parts.append(_package_files(package.get("files") or []))
    extra = {k: v for k, v in package.items() if k not in PACKAGE_KEYS}
    if extra:
        parts.append(
            format_html(
                "<h3>{}</h3><pre>{}</pre>", gettext("Other"), json.dumps(extra, indent=2, default=str)
            )
        )
    return format_html('<div class="handoff-package" style="flex: 1;">{}</div>', mark_safe("".join(parts)))


def _package_head(package: dict[str, Any]) -> SafeString:
    """Where the hand-off goes, on which criterion, with what was found."""
    return _rows(
        [
            (gettext("From → to"), f"{package.get('from_tier', '')} → {package.get('to_tier', '')}"),
            (gettext("Criterion"), package.get("criterion") or "—"),
            (gettext("Findings"), package.get("findings") or "—"),
            (gettext("Workaround"), package.get("workaround") or gettext("none")),
            (gettext("No logs or screenshots because"), package.get("evidence_note") or "—"),
            (gettext("Assembled"), _when(package.get("assembled_at", ""))),
        ]
    )


def _package_intake(intake: dict[str, Any]) -> SafeString:
    return format_html(
        "<h3>{}</h3>{}",
        gettext("Intake"),
        _rows([(k.replace("_", " ").capitalize(), v or "—") for k, v in intake.items()]),
    )


def _package_tier(group: dict[str, Any]) -> SafeString:
    """One tier's troubleshooting steps, each with its files."""
    rows = [_package_step(step) for step in group.get("steps", [])]
    return format_html(
        "<h3>{}</h3><ul " + UL + ">{}</ul>",
        gettext("Troubleshooting – %(tier)s") % {"tier": group.get("tier", "")},
        mark_safe("".join(rows)) if rows else format_html("<li>{}</li>", gettext("none")),
    )


def _package_step(step: dict[str, Any]) -> SafeString:
    files = ", ".join(a["name"] for a in step.get("attachments", []))
    return format_html(
        "<li><strong>{}</strong>{}: {} → {} <small>({}, {})</small>{}</li>",
        step.get("kind_label", step.get("kind", "")),
        " " + gettext("(to do)") if step.get("state") == "to_do" else "",
        step.get("action", ""),
        step.get("outcome") or "—",
        step.get("engineer", ""),
        _when(step.get("at", "")),
        format_html(" — {}", gettext("files: %(names)s") % {"names": files}) if files else "",
    )


def _package_files(files: list[dict[str, Any]]) -> SafeString:
    """The files on the ticket, by name."""
    names = format_html_join("", "<li>{}</li>", ((f["name"],) for f in files))
    return format_html(
        "<h3>{}</h3>{}",
        gettext("Files on the ticket"),
        format_html("<ul " + UL + ">{}</ul>", names) if files else gettext("none"),
    )


@admin.register(TierStint)
class TierStintAdmin(ReadOnlyAdmin):
    list_display = ["ticket_ref", "tier", "path", "entered_at", "left_at", "clock_state"]
    list_filter = ["tier__path", "tier"]
    search_fields = ["ticket__summary"]
    list_select_related = ["ticket", "tier__path", "clock"]
    date_hierarchy = "entered_at"
    fieldsets = [(None, {"fields": ["ticket", "tier", "entered_at", "left_at", "handoff", "clock"]})]

    @admin.display(description=_("Ladder"))
    def path(self, obj: TierStint) -> str:
        return str(obj.tier.path)

    @admin.display(description=_("Time frame"))
    def clock_state(self, obj: TierStint) -> str:
        if obj.clock is None:
            return "—"
        state = obj.clock.get_state_display().lower()
        return gettext("%(state)s, breached") % {"state": state} if obj.clock.breached_at else state


@admin.register(Consult)
class ConsultAdmin(ReadOnlyAdmin):
    list_display = ["ticket_ref", "team", "state", "requested_by", "requested_at", "replied_by", "replied_at"]
    list_filter = ["state", "team"]
    search_fields = ["ticket__summary", "question", "reply"]
    list_select_related = ["ticket", "team", "requested_by", "replied_by"]
    date_hierarchy = "requested_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "ticket",
                    "team",
                    "question",
                    "requested_by",
                    "requested_at",
                    "reply_minutes",
                    "state",
                    "reply",
                    "replied_by",
                    "replied_at",
                ]
            },
        )
    ]


class VendorUpdateInline(admin.TabularInline):
    model = VendorUpdate
    extra = 0
    can_delete = False
    fields = ["received_at", "summary", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VendorEngagement)
class VendorEngagementAdmin(ReadOnlyAdmin):
    list_display = ["ticket_ref", "vendor_name", "case_number", "contact", "tier", "engaged_by", "engaged_at"]
    list_filter = ["vendor_name", "tier"]
    search_fields = ["case_number", "vendor_name", "contact", "ticket__summary"]
    list_select_related = ["ticket", "tier", "engaged_by"]
    date_hierarchy = "engaged_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "ticket",
                    "tier",
                    "vendor_name",
                    "case_number",
                    "contact",
                    "engaged_by",
                    "engaged_at",
                ]
            },
        )
    ]
    inlines = [VendorUpdateInline]


@admin.register(ManagerDecision)
class ManagerDecisionAdmin(ReadOnlyAdmin):
    list_display = ["ticket_ref", "outcome", "tier", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["notes", "ticket__summary"]
    list_select_related = ["ticket", "tier", "decided_by"]
    date_hierarchy = "decided_at"
    fieldsets = [
        (None, {"fields": ["ticket", "tier", "outcome", "notes", "decided_by", "decided_at"]}),
        (_("The activity record it was decided on"), {"fields": ["activity_record_display"]}),
    ]

    @admin.display(description=_("Activity record"))
    def activity_record_display(self, obj: ManagerDecision) -> SafeString:
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>",
            json.dumps(obj.activity_record, indent=2, default=str, ensure_ascii=False),
        )
