"""Team leaders decide approval requests in Django admin (SPEC §5, issue 4 point 6).

Generic: this module knows nothing of tiers or tickets. What an approver reviews is the
request's package (sections of items, items with a url are the evidence) and its missing list.
Nothing is edited here directly: approve and request changes go through approvals.services,
from a request's page (its buttons open a form) or from the changelist's actions (an
intermediate form for the selected requests, like the delete confirmation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clocks.models import Clock, ClockState
from clocks.services import clock_status
from escalation_desk.domain import Refused

from . import permissions
from .models import ApprovalRequest, ApprovalStatus
from .services import DECISION_CLOCK, approval_approve, approval_request_changes

MINE = "mine"
ALL = "all"


class ApprovalsShownFilter(admin.SimpleListFilter):
    """ "My pending approvals" (what waits for my decision) or everything I may see.

    Team leaders land on their pending approvals; superusers land on everything."""

    title = "approvals"
    parameter_name = "show"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self.request = request
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(MINE, "My pending approvals"), (ALL, "All I may see")]

    def effective(self, request: HttpRequest) -> str:
        value = self.value()
        if value in (MINE, ALL):
            return value
        return ALL if request.user.is_superuser else MINE

    def choices(self, changelist: Any) -> Any:
        current = self.effective(self.request)
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.effective(request) == MINE:
            return queryset.filter(pk__in=ApprovalRequest.objects.decidable_by(request.user).values("pk"))
        return queryset


class ApproveForm(forms.Form):
    notes = forms.CharField(
        label=_("Approval notes (required)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("What you reviewed and why it may go ahead; recorded with the decision."),
    )


class RequestChangesForm(forms.Form):
    steps = forms.CharField(
        label=_("Additional troubleshooting steps (required, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("Each line becomes a step to do before a new request can be filed."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80})
    )

    def step_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("steps", "").splitlines() if line.strip()]


DECISIONS: dict[str, dict[str, Any]] = {
    "approve": {
        "form": ApproveForm,
        "title": "Approve",
        "button": "Approve",
        "done": "Approved",
        "intro": "Approving lets the request go ahead. Your notes are recorded with the decision.",
    },
    "request_changes": {
        "form": RequestChangesForm,
        "title": "Request changes",
        "button": "Request changes",
        "done": "Changes requested on",
        "intro": "The requester does the steps you list, then files a new request linked to this one.",
    },
}


def _decide(kind: str, request_obj: ApprovalRequest, actor: Any, form: forms.Form) -> ApprovalRequest:
    if kind == "approve":
        return approval_approve(request=request_obj, actor=actor, notes=form.cleaned_data.get("notes", ""))
    return approval_request_changes(
        request=request_obj, actor=actor, steps=form.step_lines(), notes=form.cleaned_data.get("notes", "")
    )


def _label(obj: ApprovalRequest) -> str:
    return f"{obj.reference}: {obj.title}" if obj.reference else obj.title


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ["reference_link", "title", "requester", "requested_at", "status", "decision_due"]
    list_display_links = ["title"]
    list_filter = [ApprovalsShownFilter, "status"]
    search_fields = ["reference", "title"]
    list_select_related = ["requested_by"]
    list_per_page = 50
    date_hierarchy = "requested_at"
    actions = ["approve_selected", "request_changes_selected"]
    change_form_template = "admin/approvals/approvalrequest/change_form.html"
    fieldsets = [
        (
            "Request",
            {
                "fields": [
                    "reference_link",
                    "title",
                    "status",
                    "requester",
                    "requested_at",
                    "decision_time_frame",
                    "approver_names",
                    "previous_request",
                ]
            },
        ),
        ("Package: what was done, with the evidence", {"fields": ["package_display", "missing_display"]}),
        (
            "Decision",
            {
                "fields": [
                    "decided_by",
                    "decided_at",
                    "decision_notes",
                    "suggested_steps_display",
                    "cancel_reason",
                    "follow_up_request",
                ]
            },
        ),
    ]
    readonly_fields = [
        "reference_link",
        "title",
        "status",
        "requester",
        "requested_at",
        "decision_time_frame",
        "approver_names",
        "previous_request",
        "package_display",
        "missing_display",
        "decided_by",
        "decided_at",
        "decision_notes",
        "suggested_steps_display",
        "cancel_reason",
        "follow_up_request",
    ]

    # --- who sees what -------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request).select_related("requested_by", "decided_by", "content_type")
        clocks = Clock.objects.filter(
            content_type=ContentType.objects.get_for_model(ApprovalRequest),
            object_id=OuterRef("pk"),
            kind=DECISION_CLOCK,
        ).order_by("-pk")
        qs = qs.annotate(
            decision_due_at=Subquery(clocks.values("due_at")[:1]),
            decision_breached_at=Subquery(clocks.values("breached_at")[:1]),
        )
        user = request.user
        if user.is_superuser:
            return qs
        mine = ApprovalRequest.approvers.through.objects.filter(user=user).values("approvalrequest_id")
        return qs.filter(Q(pk__in=mine) | Q(requested_by=user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApprovalRequest | None = None) -> bool:
        # Decisions go through the services (approve / request changes); nothing is edited here.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApprovalRequest | None = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("approvals.decide_approvalrequest")

    # --- columns and fields ----------------------------------------------------------------

    @admin.display(description=_("Reference"), ordering="reference")
    def reference_link(self, obj: ApprovalRequest) -> str:
        text = obj.reference or f"#{obj.pk}"
        if obj.link:
            return format_html('<a href="{}">{}</a>', obj.link, text)
        return text

    @admin.display(description=_("Requested by"), ordering="requested_by__username")
    def requester(self, obj: ApprovalRequest) -> str:
        return str(obj.requested_by) if obj.requested_by_id else "the system (a time frame passed)"

    @admin.display(description=_("Decision due"), ordering="decision_due_at")
    def decision_due(self, obj: ApprovalRequest) -> str:
        if obj.status != ApprovalStatus.PENDING:
            return "—"
        due: datetime | None = getattr(obj, "decision_due_at", None)
        if due is None:
            return "—"
        local = timezone.localtime(due)
        if getattr(obj, "decision_breached_at", None) is not None or due <= timezone.now():
            return format_html(
                '<strong class="errornote-inline">overdue</strong> (was due {})', f"{local:%a %d %b %H:%M}"
            )
        return f"{local:%a %d %b %H:%M}"

    @admin.display(description=_("Decision time frame"))
    def decision_time_frame(self, obj: ApprovalRequest) -> str:
        clock = (
            Clock.objects.filter(
                content_type=ContentType.objects.get_for_model(ApprovalRequest),
                object_id=obj.pk,
                kind=DECISION_CLOCK,
            )
            .select_related("calendar")
            .order_by("-pk")
            .first()
        )
        if clock is None:
            return "—"
        if clock.state == ClockState.STOPPED:
            return "stopped (decided)" if clock.breached_at is None else "stopped, after it had passed"
        status = clock_status(clock)
        remaining = int(status["remaining"])
        due = f"due {timezone.localtime(clock.due_at):%a %d %b %H:%M}" if clock.due_at else ""
        if remaining <= 0:
            return f"passed: {_duration(-remaining)} over ({due})"
        return f"{_duration(remaining)} of business time left ({due})"

    @admin.display(description=_("Who may decide"))
    def approver_names(self, obj: ApprovalRequest) -> str:
        return ", ".join(str(u) for u in obj.approvers.order_by("username")) or "—"

    @admin.display(description=_("Previous request"))
    def previous_request(self, obj: ApprovalRequest) -> str:
        if obj.previous_id is None:
            return "— (first request)"
        prev = obj.previous
        url = reverse("admin:approvals_approvalrequest_change", args=[prev.pk])
        steps = format_html_join("", "<li>{}</li>", ((s,) for s in prev.suggested_steps))
        return format_html(
            '<a href="{}">{}</a> — {} by {}{}{}',
            url,
            _label(prev),
            prev.get_status_display().lower(),
            prev.decided_by or "—",
            format_html(": {}", prev.decision_notes) if prev.decision_notes else "",
            format_html("<ul>{}</ul>", steps) if prev.suggested_steps else "",
        )

    @admin.display(description=_("Follow-up request"))
    def follow_up_request(self, obj: ApprovalRequest) -> str:
        follow = ApprovalRequest.objects.filter(previous=obj).first()
        if follow is None:
            return "—"
        url = reverse("admin:approvals_approvalrequest_change", args=[follow.pk])
        return format_html(
            '<a href="{}">{}</a> ({})', url, _label(follow), follow.get_status_display().lower()
        )

    @admin.display(description=_("Package"))
    def package_display(self, obj: ApprovalRequest) -> SafeString:
        return render_package(obj.package)

    @admin.display(description=_("Missing when filed"))
    def missing_display(self, obj: ApprovalRequest) -> SafeString | str:
        if not obj.missing:
            return "nothing"
        return format_html(
            '<ul class="approval-missing">{}</ul>',
            format_html_join("", "<li>{}</li>", ((m,) for m in obj.missing)),
        )

    @admin.display(description=_("Suggested steps"))
    def suggested_steps_display(self, obj: ApprovalRequest) -> SafeString | str:
        if not obj.suggested_steps:
            return "—"
        return format_html(
            "<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((s,) for s in obj.suggested_steps))
        )

    # --- the request's page: buttons ------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra["title"] = _label(obj)
            extra["may_decide"] = (
                obj.is_pending
                and self.has_decide_permission(request)
                and permissions.can_decide(obj, request.user)
            )
            extra["own_request"] = obj.requested_by_id == request.user.pk
        return super().change_view(request, object_id, form_url, extra)

    # --- deciding one request ----------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name=f"{prefix}_approve",
            ),
            path(
                "<path:object_id>/request-changes/",
                self.admin_site.admin_view(self.request_changes_view),
                name=f"{prefix}_request_changes",
            ),
            *super().get_urls(),
        ]

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decision_view(request, object_id, "approve")

    def request_changes_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decision_view(request, object_id, "request_changes")

    def _decision_view(self, request: HttpRequest, object_id: str, kind: str) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(gettext("No such approval request you may see."))
        change_url = reverse("admin:approvals_approvalrequest_change", args=[obj.pk])
        if not obj.is_pending:
            self.message_user(
                request, f"{_label(obj)} is already {obj.get_status_display().lower()}.", messages.WARNING
            )
            return HttpResponseRedirect(change_url)
        spec = DECISIONS[kind]
        refusal: Refused | None = None
        if request.method == "POST":
            form = spec["form"](request.POST)
            form.is_valid()  # every field is optional here: the service says what is missing
            try:
                _decide(kind, obj, request.user, form)
            except Refused as exc:
                refusal = exc
            except PermissionDenied as exc:
                self.message_user(
                    request, f"{_label(obj)}: {exc or 'you may not decide this request.'}", messages.ERROR
                )
                return HttpResponseRedirect(change_url)
            else:
                self.message_user(request, f"{spec['done']} {_label(obj)}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:approvals_approvalrequest_changelist"))
        else:
            form = spec["form"]()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec['title']}: {_label(obj)}",
            "subtitle": None,
            "decision": kind,
            "spec": spec,
            "original": obj,
            "objects": [obj],
            "package": render_package(obj.package),
            "form": form,
            "refusal": refusal,
            "change_url": change_url,
            "batch": False,
        }
        return TemplateResponse(request, "admin/approvals/decide.html", context)

    # --- deciding the selected requests (changelist actions) ----------------------------------

    @admin.action(description=_("Approve selected approval requests"), permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._decide_selected(request, queryset, "approve")

    @admin.action(description=_("Request changes on selected approval requests"), permissions=["decide"])
    def request_changes_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._decide_selected(request, queryset, "request_changes")

    def _decide_selected(self, request: HttpRequest, queryset: QuerySet, kind: str) -> HttpResponse | None:
        spec = DECISIONS[kind]
        selected = list(queryset.order_by("requested_at", "pk"))
        pending = [obj for obj in selected if obj.is_pending]
        for obj in selected:
            if not obj.is_pending:
                self.message_user(
                    request,
                    f"{_label(obj)} is already {obj.get_status_display().lower()}: left as it is.",
                    messages.WARNING,
                )
        if not pending:
            return None
        refusals: dict[int, Refused] = {}
        if request.POST.get("post") == "yes":
            form = spec["form"](request.POST)
            form.is_valid()
            done = []
            for obj in pending:
                try:
                    _decide(kind, obj, request.user, form)
                except Refused as exc:
                    refusals[obj.pk] = exc
                except PermissionDenied as exc:
                    self.message_user(
                        request,
                        f"{_label(obj)}: {exc or 'you may not decide this request.'} Nothing was changed.",
                        messages.ERROR,
                    )
                else:
                    done.append(obj)
            if done:
                self.message_user(
                    request,
                    f"{spec['done']} {len(done)} request(s): " + "; ".join(_label(o) for o in done) + ".",
                    messages.SUCCESS,
                )
            if not refusals:
                return None
            pending = [obj for obj in pending if obj.pk in refusals]
        else:
            form = spec["form"]()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec['title']}: {len(pending)} selected request(s)",
            "subtitle": None,
            "decision": kind,
            "spec": spec,
            "objects": pending,
            "refusals": [(obj, refusals[obj.pk]) for obj in pending if obj.pk in refusals],
            "refusal": None,
            "form": form,
            "batch": True,
            "action_name": f"{kind}_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/approvals/decide.html", context)


def _duration(seconds: int) -> str:
    minutes = max(seconds, 0) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def render_package(package: Any) -> SafeString:
    """Sections with their items; an item with a url (the evidence) is a link."""
    if not package:
        return mark_safe('<p class="approval-package-empty">The request carries no package.</p>')
    sections = []
    for section in package:
        items = []
        for item in section.get("items", []):
            if item.get("url"):
                items.append(format_html('<li><a href="{}">{}</a></li>', item["url"], item.get("text", "")))
            else:
                items.append(format_html("<li>{}</li>", item.get("text", "")))
        sections.append(
            format_html(
                '<section class="approval-section"><h3>{}</h3><ul>{}</ul></section>',
                section.get("title", ""),
                mark_safe("".join(items)) if items else mark_safe("<li>—</li>"),
            )
        )
    return format_html('<div class="approval-package">{}</div>', mark_safe("".join(sections)))
