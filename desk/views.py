"""The agent console (/desk/): plain function views calling tickets' selectors and services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.forms import add_service_errors
from escalation_desk.input_guard import is_number
from escalation_desk.paging import CappedPaginator
from escalations.models import TierStint
from escalations.selectors import ticket_folds
from tickets import file_types, permissions, selectors
from tickets.due_order import DueFirst
from tickets.history import step_set_visibility
from tickets.models import Ticket, TroubleshootingStep
from tickets.read_model import TicketRead, ticket_read, timeline_tail
from tickets.services import conversation
from tickets.services.intake import ticket_create, ticket_update_intake
from tickets.services.lifecycle import TRANSITION_LABELS, TRANSITION_SERVICES, transition_denied
from tickets.services.steps import ticket_add_step

from . import work
from .badges import attach_badges
from .case_panel import case_panel
from .context_processors import header_annotations, remember_header_counts
from .forms import (
    TRANSITION_FORMS,
    CommentForm,
    IntakeForm,
    QueueFilterForm,
    StartForm,
    StepForm,
    StepVisibilityForm,
    TicketCreateForm,
)
from .models import SavedView
from .tier_panel import tier_panel
from .work_forms import AssignForm, BulkAssignForm, SavedViewForm

PAGE_SIZE = 25


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in support staff only; customers use the portal."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.is_staff_reader(request.user):
            raise PermissionDenied(_("The console is for support staff."))
        return view(request, *args, **kwargs)

    return wrapper


def with_current_tier(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket's current tier for the "Tier" column (one query for the whole page)."""
    return tickets.prefetch_related(
        Prefetch(
            "tier_stints",
            queryset=TierStint.objects.filter(left_at__isnull=True).select_related("tier"),
            to_attr="current_stints",
        )
    )


@require_GET
@agent_required
def my_work(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    tickets = attach_badges(list(with_current_tier(selectors.my_work(user=request.user, q=q))[:100]))
    waiting = work.waiting_for(request.user)
    return render(
        request,
        "desk/my_work.html",
        {
            "mine": [t for t in tickets if t.assignee_id == request.user.pk],
            "team_unassigned": [t for t in tickets if t.assignee_id is None],
            "counts": selectors.status_counts(user=request.user),
            "load": work.team_load(request.user),
            "waiting": waiting,
            "waiting_count": sum(len(items) for items in waiting.values()),
            "q": q,
        },
    )


# The queue's columns a user can sort by: the tickets' own (selectors.QUEUE_SORTS) and the
# current tier's name, which lives in escalations (an annotation, so still no query per row).
QUEUE_SORTS = {**selectors.QUEUE_SORTS, "tier": ["current_tier_name"]}
DEFAULT_SORT = "due"  # due soonest: the nearest running clock first
RELEVANCE = "relevance"  # a search not sorted by a column: best match first (tickets.search)


def _sorted_queue(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket] | DueFirst:
    if sort == RELEVANCE:
        return tickets  # ticket_queue already ranks a search
    if sort.removeprefix("-") == "due":
        # Index walks along the running clocks' due times (tickets.due_order), not a sort of all.
        rows = with_current_tier(selectors.queue_rows())
        return DueFirst(tickets, rows=rows, descending=sort.startswith("-"))
    if sort.removeprefix("-") == "tier":
        tickets = tickets.annotate(
            current_tier_name=Subquery(
                TierStint.objects.filter(ticket=OuterRef("pk"), left_at__isnull=True).values("tier__name")[:1]
            )
        )
    return selectors.sort_queue(tickets, sort, sorts=QUEUE_SORTS)


@require_GET
@vary_on_headers("HX-Request")
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = selectors.QueueFilters(open_only=True)
    if form.is_valid():
        filters.open_only = not form.cleaned_data["status"]
        data = form.cleaned_data
        filters.status = data["status"]
        filters.priority = data["priority"]
        filters.team = data["team"].pk if data["team"] else None
        filters.assignee = data["assignee"]
        filters.q = data["q"]
        filters.sla = data["sla"]
    tickets = selectors.ticket_queue(user=request.user, filters=filters)
    if form.is_valid() and form.cleaned_data["tier"] is not None:
        # At most one open stint per ticket: the join adds no duplicate rows.
        tickets = tickets.filter(
            tier_stints__tier=form.cleaned_data["tier"], tier_stints__left_at__isnull=True
        )
    sort = request.GET.get("sort", "")
    if sort.removeprefix("-") not in QUEUE_SORTS:
        sort = RELEVANCE if filters.q.strip() else DEFAULT_SORT
    tickets = _sorted_queue(with_current_tier(tickets), sort)
    page = CappedPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    attach_badges(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    team_ids = permissions.assignable_team_ids(request.user)
    may_assign = team_ids is None or bool(team_ids)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "sort": sort,
        "unsorted_query": unsorted.urlencode(),
        "here_query": request.GET.urlencode(),
        "may_assign": may_assign,
        "bulk_form": BulkAssignForm(team_ids=team_ids, auto_id="bulk-%s") if may_assign else None,
    }
    # htmx restoring history after hx-push-url (cache miss) needs the whole page back.
    partial = request.htmx and not request.htmx.history_restore_request
    if not partial:
        context["saved_views"] = list(SavedView.objects.filter(user=request.user))
        context["view_form"] = SavedViewForm(prefix="view", initial={"query": query.urlencode()})
    template = "desk/_queue_results.html" if partial else "desk/queue.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        requester = data["requester"]
        intake = form.intake()
        intake["summary"] = intake["summary"] or ""
        try:
            ticket = ticket_create(
                actor=request.user,
                organisation=requester.organisation,
                requester=requester,
                channel=data["channel"],
                files=data["files"],
                **intake,
            )
        except (InvalidInput, PermissionDenied) as exc:
            show_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(reference)s created. Triage it when the intake is complete.")
                % {"reference": ticket.reference},
            )
            return redirect("desk:ticket", pk=ticket.pk)
    return render(request, "desk/ticket_new.html", {"form": form})


def show_service_errors(form: Any, exc: Exception) -> None:
    add_service_errors(form, exc, missing_prefix=_("Missing"), fallback=_("You may not do this."))


def _transition_form(name: str, ticket: Ticket, data: Any = None) -> Any:
    form_class = TRANSITION_FORMS[name]
    if form_class is StartForm:
        return StartForm(data, ticket=ticket, prefix=name)
    if issubclass(form_class, IntakeForm):
        return form_class(data, instance=ticket, prefix=name)
    return form_class(data, prefix=name)


def render_ticket_page(
    request: HttpRequest,
    read: TicketRead,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
    unread_since: Any = None,
) -> HttpResponse:
    """Render the ticket page from its read model (tickets.read_model); `bound` carries a
    refused form so the user's input is kept."""
    bound = bound or {}
    ticket = read.ticket
    transitions = selectors.available_transitions(ticket, request.user)
    # A refused form stays on the page even when the ticket has moved past its transition
    # (a colleague acted first); otherwise the refusal would be silently dropped.
    transitions += [name for name in bound if name in TRANSITION_FORMS and name not in transitions]
    forms = {name: bound.get(name) or _transition_form(name, ticket) for name in transitions}
    labels = TRANSITION_LABELS
    may_assign = permissions.can_assign(ticket, request.user) and ticket.is_open
    context = {
        "ticket": ticket,
        "followers": [w for w in read.watchers if w.user.is_staff],
        "copied_in": [w for w in read.watchers if not w.user.is_staff],
        "following": any(w.user_id == request.user.pk for w in read.watchers),
        "may_assign": may_assign,
        "assign_form": (bound.get("assign") or AssignForm(ticket=ticket, prefix="assign"))
        if may_assign
        else None,
        "transitions": [(name, labels[name], forms[name]) for name in transitions],
        "open_form": next(iter(bound), None),
        "unread_since": unread_since,
        "comment_form": bound.get("comment") or CommentForm(prefix="comment"),
        "step_form": bound.get("step") or StepForm(prefix="step"),
        "can_comment_internal": permissions.can_view_internal(request.user),
        "can_add_step": permissions.can_add_step(ticket, request.user),
        "can_set_step_visibility": _step_visibility_forms(request, ticket, bound),
        "can_edit_intake": permissions.can_edit_intake(ticket, request.user),
        "team_leaders": read.team_leaders,
        "ticket_files": read.ticket_files,
        **_timeline_context(read, request),
        **tier_panel(request, ticket, bound),
        **case_panel(request, ticket, bound),
    }
    return render(request, "desk/ticket.html", context, status=status)


def _timeline_context(read: TicketRead, request: HttpRequest) -> dict[str, Any]:
    return {
        "timeline_events": read.events,
        "timeline_earlier": read.earlier,
        "timeline_paged": _before(request) is not None,
    }


def _before(request: HttpRequest) -> int | None:
    """The event the timeline pages back from (?before=), if a valid one was asked for."""
    value = request.GET.get("before", "")
    return int(value) if is_number(value) else None


def _step_visibility_forms(request: HttpRequest, ticket: Ticket, bound: dict[str, Any]) -> bool:
    """Give each shown step its share / make-internal form, if the user may change it."""
    if not permissions.can_set_step_visibility(ticket, request.user):
        return False
    for step in ticket.steps.all():
        name = f"step_visibility-{step.pk}"
        step.visibility_form = bound.get(name) or StepVisibilityForm(
            prefix=name, initial={"visibility": "internal" if step.is_public else "public"}
        )
    return True


def load_ticket(request: HttpRequest, pk: int) -> TicketRead:
    """The ticket page's read model (404 for a ticket the user may not see), with the header's
    counts and what moved the ticket on its ladder (escalations.selectors.ticket_folds) read in
    the same query."""
    annotations = {**header_annotations(request.user), **ticket_folds()}
    read = ticket_read(request.user, pk, before=_before(request), annotations=annotations)
    remember_header_counts(request, read.ticket)
    return read


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    read = load_ticket(request, pk)
    # Shown before it is cleared, so whoever opens it sees why it was marked.
    unread_since = read.ticket.unread_customer_reply_at
    conversation.ticket_mark_seen(ticket=read.ticket, actor=request.user)
    return render_ticket_page(request, read, unread_since=unread_since)


@require_GET
@agent_required
def ticket_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline's events before ?before= (htmx's "Earlier events"): the list and the next
    "Earlier events" control, in place of the control that asked."""
    ticket = selectors.get_ticket_for(request.user, pk)
    internal = permissions.can_view_internal(request.user)
    events, earlier = timeline_tail(ticket, internal=internal, before=_before(request))
    context = {"ticket": ticket, "timeline_events": events, "timeline_earlier": earlier}
    return render(request, "desk/_timeline.html", context)


@require_POST
@agent_required
def ticket_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    if name not in TRANSITION_FORMS:
        raise Http404(_("No such transition."))
    if not selectors.may_take_transition(ticket, request.user, name):
        raise PermissionDenied(transition_denied(name))
    form = _transition_form(name, ticket, request.POST)
    if form.is_valid():
        try:
            # The form's fields are the service's keyword arguments (desk/forms.py, TRANSITION_FORMS).
            TRANSITION_SERVICES[name](ticket=ticket, actor=request.user, **form.cleaned_data)
        except (Refused, InvalidInput, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied) and name not in selectors.available_transitions(
                ticket, request.user
            ):
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("%(change)s: done.") % {"change": TRANSITION_LABELS[name]})
            return redirect("desk:ticket", pk=ticket.pk)
    return render_ticket_page(request, load_ticket(request, pk), bound={name: form})


@require_POST
@agent_required
def ticket_comment(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    form = CommentForm(request.POST, request.FILES, prefix="comment")
    if form.is_valid():
        try:
            conversation.ticket_comment(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data["is_internal"],
                files=form.cleaned_data["files"],
            )
        except (InvalidInput, Refused, PermissionDenied) as exc:
            show_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Internal note added.")
                if form.cleaned_data["is_internal"]
                else _("Reply sent to the customer."),
            )
            return redirect(reverse("desk:ticket", args=[ticket.pk]) + "#comments")
    return render_ticket_page(request, load_ticket(request, pk), bound={"comment": form})


@require_POST
@agent_required
def ticket_step(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    if not permissions.can_add_step(ticket, request.user):
        raise PermissionDenied(_("You may not add troubleshooting steps to this ticket."))
    form = StepForm(request.POST, request.FILES, prefix="step")
    if form.is_valid():
        try:
            ticket_add_step(ticket=ticket, actor=request.user, **form.cleaned_data)
        except (InvalidInput, Refused) as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Troubleshooting step recorded."))
            return redirect(reverse("desk:ticket", args=[ticket.pk]) + "#troubleshooting")
    return render_ticket_page(request, load_ticket(request, pk), bound={"step": form})


@require_POST
@agent_required
def step_visibility(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    """Share a troubleshooting step with the customer, or make it internal again."""
    ticket = selectors.get_ticket_for(request.user, pk)
    if not permissions.can_set_step_visibility(ticket, request.user):
        raise PermissionDenied(_("You may not change who sees this ticket's troubleshooting."))
    step = TroubleshootingStep.objects.filter(pk=step_pk, ticket=ticket).first()
    if step is None:
        raise Http404(_("No such step."))
    step.ticket = ticket
    name = f"step_visibility-{step.pk}"
    form = StepVisibilityForm(request.POST, prefix=name)
    if form.is_valid():
        public = form.cleaned_data["visibility"] == "public"
        try:
            step_set_visibility(
                step=step, actor=request.user, public=public, reason=form.cleaned_data["reason"]
            )
        except (InvalidInput, Refused) as exc:
            show_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The step is now shared with the customer.") if public else _("The step is now internal."),
            )
            return redirect(reverse("desk:ticket", args=[ticket.pk]) + f"#step-{step.pk}")
    return render_ticket_page(request, load_ticket(request, pk), bound={name: form})


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_intake(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    if not permissions.can_edit_intake(ticket, request.user):
        raise PermissionDenied(_("You may not edit this ticket's intake."))
    form = IntakeForm(request.POST or None, instance=Ticket.objects.get(pk=ticket.pk))
    if request.method == "POST" and form.is_valid():
        try:
            ticket_update_intake(ticket=ticket, actor=request.user, **form.intake())
        except (InvalidInput, PermissionDenied) as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Intake updated."))
            return redirect("desk:ticket", pk=ticket.pk)
    return render(request, "desk/intake.html", {"ticket": ticket, "form": form})


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return file_types.download_response(selectors.get_attachment_for(request.user, pk))
