"""Reads: every query a page or API list needs, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import BaseExpression, OrderBy
from django.db.models.functions import NullIf
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from clocks.models import Clock, ClockState
from escalation_desk import log_context
from escalation_desk.input_guard import is_number

from . import permissions, search
from .models import Attachment, Comment, Status, Ticket, TimelineEvent, TroubleshootingStep


@dataclass
class QueueFilters:
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    team: int | None = None
    assignee: str = ""  # "me", "none", or a user id
    q: str = ""
    open_only: bool = False
    sla: str = ""  # "soon" (past a warning point, not breached) or "breached"


def ticket_queue(*, user: User, filters: QueueFilters | None = None) -> QuerySet[Ticket]:
    """Tickets the user may see, filtered, with what a list row shows already joined."""
    filters = filters or QueueFilters()
    qs = permissions.visible_tickets(user, Ticket.objects.all()).select_related(*QUEUE_ROW_RELATIONS)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    elif filters.open_only and not search.is_reference(filters.q):
        # A ticket looked up by its reference is found whatever its state.
        qs = qs.open()
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif is_number(filters.assignee):
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.q.strip():
        qs = search.search_tickets(qs, filters.q)
    if filters.sla:
        qs = qs.filter(pk__in=_sla_ticket_ids(filters.sla))
    # A search lists the best match first (tickets.search); otherwise the newest first.
    order = ("-search_rank", "-created_at", "-pk") if filters.q.strip() else ("-created_at", "-pk")
    return with_nearest_clock(qs.prefetch_related(clocks_prefetch())).order_by(*order)


# What a list row shows of a ticket's relations, joined with it.
QUEUE_ROW_RELATIONS = ("organisation", "team", "assignee", "requester", "category", "service")


def queue_rows() -> QuerySet[Ticket]:
    """Tickets shaped as a queue row shows them (relations, clocks, nearest deadline) and not
    filtered: for reading a page whose ids were chosen already (tickets.due_order)."""
    rows = Ticket.objects.select_related(*QUEUE_ROW_RELATIONS).prefetch_related(clocks_prefetch())
    return with_nearest_clock(rows)


def with_nearest_clock(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket's nearest deadline, `next_due_at`: the earliest due_at of its running clocks.

    A correlated subquery, so sorting by it costs no query per row.
    """
    running = (
        Clock.objects.filter(
            content_type__app_label=Ticket._meta.app_label,
            content_type__model=Ticket._meta.model_name,
            object_id=OuterRef("pk"),
            state=ClockState.RUNNING,
            due_at__isnull=False,
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return qs.annotate(next_due_at=Subquery(running))


_LIFECYCLE = [
    Status.NEW,
    Status.OPEN,
    Status.IN_PROGRESS,
    Status.WAITING_ON_CUSTOMER,
    Status.RESOLVED,
    Status.CLOSED,
    Status.CANCELLED,
]

# The queue's sortable columns: each a list of expressions, compared in order. "due" is the
# nearest running clock (with_nearest_clock); status sorts in lifecycle order, not alphabetically.
QUEUE_SORTS: dict[str, list[str | BaseExpression]] = {
    "due": ["next_due_at"],
    "ref": ["pk"],
    "summary": ["summary"],
    "status": [
        Case(
            *(When(status=s, then=Value(i)) for i, s in enumerate(_LIFECYCLE)),
            default=Value(len(_LIFECYCLE)),
            output_field=IntegerField(),
        )
    ],
    "priority": [NullIf("priority", Value(""))],  # no priority yet: last, like other blanks
    "organisation": ["organisation__name"],
    "team": ["team__name"],
    "assignee": ["assignee__first_name", "assignee__last_name", "assignee__username"],
    "opened": ["created_at"],
}


# Sort columns that have a value on every ticket.
NEVER_BLANK = frozenset({"ref", "summary", "status", "opened"})


def sort_queue(
    qs: QuerySet[Ticket], sort: str, *, sorts: dict[str, list[str | BaseExpression]] | None = None
) -> QuerySet[Ticket]:
    """Order by one column ("-" first for descending); blanks last either way, then newest first."""
    sorts = sorts or QUEUE_SORTS
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    keys = sorts.get(name, sorts["opened"])
    # A column that is never blank is ordered plainly: "DESC NULLS LAST" would not match its index.
    nulls_last = True if name not in NEVER_BLANK else None
    order: list[OrderBy] = []
    for key in keys:
        expression = F(key) if isinstance(key, str) else key
        order.append(
            expression.desc(nulls_last=nulls_last) if descending else expression.asc(nulls_last=nulls_last)
        )
    return qs.order_by(*order, F("created_at").desc(), F("pk").desc())


def clocks_prefetch() -> Prefetch:
    """The ticket's SLA clocks with their calendars, for badges (a fixed number of queries)."""
    return Prefetch(
        "clocks",
        queryset=Clock.objects.select_related("calendar")
        .prefetch_related("calendar__windows", "calendar__holidays")
        .order_by("kind"),
        to_attr="sla_clocks",
    )


def _sla_ticket_ids(which: str) -> QuerySet[Any]:
    """Tickets with a time frame breached, or running past its warning point ("soon")."""
    clocks = Clock.objects.filter(content_type=ContentType.objects.get_for_model(Ticket))
    if which == "breached":
        clocks = clocks.filter(breached_at__isnull=False)
    else:
        clocks = clocks.filter(state=ClockState.RUNNING, breached_at__isnull=True).filter(
            Q(warned_at__isnull=False) | Q(warn_at__lte=timezone.now())
        )
    return clocks.values("object_id")


def my_work(*, user: User, q: str = "") -> QuerySet[Ticket]:
    """Open tickets assigned to the user, then open ones in their teams nobody has taken; `q`
    searches them as the queue does (tickets.search)."""
    return ticket_queue(user=user, filters=QueueFilters(open_only=True, q=q)).filter(
        Q(assignee_id=user.pk) | Q(assignee__isnull=True, team_id__in=user.team_ids)
    )


def get_ticket_for(user: User, pk: int | str, *, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """The ticket if the user may see it, otherwise 404 (never reveal that it exists)."""
    qs = queryset if queryset is not None else Ticket.objects.all()
    qs = permissions.visible_tickets(user, qs)
    try:
        ticket = qs.get(pk=int(pk))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such ticket.")) from None
    log_context.bind_ticket(ticket.pk)  # the request's log lines name the ticket from here on
    return ticket


# What a ticket's detail (page, API, portal) shows of its relations, joined with the ticket.
DETAIL_RELATIONS = (
    "organisation",
    "team",
    "team__manager",
    "assignee",
    "requester",
    "created_by",
    "category",
    "service",
    "duplicate_of",
)


def ticket_detail_queryset(*, user: User) -> QuerySet[Ticket]:
    """One ticket with its steps, comments, attachments and timeline: a fixed query count."""
    internal = permissions.can_view_internal(user)
    steps = TroubleshootingStep.objects.select_related("engineer", "team").prefetch_related(
        Prefetch("attachments", queryset=_attachments(internal))
    )
    comments = Comment.objects.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=_attachments(internal))
    )
    events = TimelineEvent.objects.select_related("actor")
    if not internal:
        steps = steps.filter(is_public=True)
        comments = comments.filter(is_internal=False)
        events = events.filter(is_public=True)
    return Ticket.objects.select_related(*DETAIL_RELATIONS).prefetch_related(
        Prefetch("steps", queryset=steps),
        Prefetch("comments", queryset=comments),
        Prefetch("events", queryset=events),
        Prefetch(
            "attachments",
            queryset=_attachments(internal).filter(step__isnull=True, comment__isnull=True),
            to_attr="ticket_files",
        ),
        "team__leaders",
        clocks_prefetch(),
    )


def created_ticket_detail(ticket: Ticket) -> Ticket:
    """A ticket `intake.ticket_create` just returned, shaped as `ticket_detail_queryset` loads
    it, from what the service wrote instead of reading it back: no steps, comments or clocks
    yet, its opening event, its files (public, as every file given at creation). The team's
    leaders were loaded by the service; its manager comes with the service's default team."""
    ticket._prefetched_objects_cache = {
        **getattr(ticket, "_prefetched_objects_cache", {}),
        "steps": [],
        "comments": [],
        "events": [ticket.opening_event],
    }
    ticket.ticket_files = list(ticket.opening_files)
    ticket.timeline = [ticket.opening_event]  # what the detail serializer reads (tickets.read_model)
    ticket.sla_clocks = []
    return ticket


def _attachments(internal: bool) -> QuerySet[Attachment]:
    qs = Attachment.objects.select_related("uploaded_by")
    return qs if internal else qs.filter(is_internal=False)


def get_attachment_for(user: User, pk: int | str) -> Attachment:
    """An attachment the user may download; 404 for other organisations and internal files."""
    try:
        attachment = Attachment.objects.select_related("ticket").get(pk=int(pk))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such attachment.")) from None
    if not permissions.can_view_ticket(attachment.ticket, user):
        raise Http404(gettext("No such attachment."))
    if attachment.is_internal and not permissions.can_view_internal(user):
        raise Http404(gettext("No such attachment."))
    if attachment.redacted_at is not None:
        raise Http404(gettext("This file was redacted."))
    return attachment


def available_transitions(ticket: Ticket, user: User) -> list[str]:
    """Transitions the user may take from the ticket's state (guards are checked on submit)."""
    names = []
    for transition in ticket.get_all_status_transitions():
        if transition.source not in (ticket.status, "*") or transition.name in names:
            continue
        if transition.has_perm(ticket, user):
            names.append(transition.name)
    order = [
        "triage",
        "start",
        "await_customer",
        "customer_replied",
        "resolve",
        "confirm_resolution",
        "reopen",
        "cancel",
    ]
    return sorted(names, key=order.index)


def may_take_transition(ticket: Ticket, user: User, name: str) -> bool:
    """Whether the user may take transition `name` on this ticket at all, whatever its state.

    Views and API actions ask this before reading input, so someone who may never take the
    transition gets 403 rather than form errors; the service checks again under the row lock.
    """
    return any(t.name == name and t.has_perm(ticket, user) for t in ticket.get_all_status_transitions())


def status_counts(*, user: User) -> dict[str, Any]:
    """Open tickets per status in the user's work: their teams' tickets and those assigned to
    them (the whole database is not their work). One grouped query of two index-only counts
    (PostgreSQL): the teams' tickets on the (team, status) index, and the user's own tickets
    outside those teams on the (assignee, status) one, so no ticket is counted twice."""
    teams = sorted(user.team_ids)
    open_tickets = permissions.visible_tickets(user, Ticket.objects.open()).order_by()
    in_teams = open_tickets.filter(team_id__in=teams).values("status").annotate(n=Count("*"))
    mine_elsewhere = (
        open_tickets.filter(assignee_id=user.pk)
        .exclude(team_id__in=teams)
        .values("status")
        .annotate(n=Count("*"))
    )
    counts = {
        s.value: 0
        for s in Status
        if s in (Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)
    }
    for row in in_teams.union(mine_elsewhere, all=True):
        counts[row["status"]] += row["n"]
    return counts
