"""The ticket page's and the API detail's read model: one ticket with what they show, in a fixed,
small number of queries however many steps, comments, files, clocks or events it has.

- the ticket, its select_related relations and one EXISTS flag per related collection a panel
  lists (steps, comments, files, watchers, hand-offs, consults, ...): one query. A panel whose
  flag is false reads nothing more (escalations.selectors and cases.selectors ask `is_known_empty`);
- with it, as JSON columns (escalation_desk.folding): the team's leaders and the SLA clocks with
  their calendars' working windows and holidays, and any `annotations` (the console's header
  counts and escalations.selectors.ticket_folds);
- the steps, the comments and the watchers: one query each, only when there are any;
- every file of the ticket in one query, handed to its step, its comment or the ticket (`files`);
- the timeline's tail: the latest TIMELINE_TAIL events (one query); `before` pages backwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects

from accounts.models import User
from clocks.folded import clocks_fold, unfold_clocks
from clocks.models import Clock
from escalation_desk.folding import Fold, set_prefetched

from . import permissions, selectors
from .models import Attachment, Comment, Ticket, TimelineEvent, TroubleshootingStep, Watcher

TIMELINE_TAIL = 30  # events shown at first; "Earlier events" shows as many again each time

# Read with the ticket, as JSON columns (escalation_desk.folding): the team's leaders, and the
# SLA clocks with their calendars' working windows and holidays.
LEADERS = Fold(User.objects.filter(led_teams=OuterRef("team_id")))
CLOCKS = clocks_fold(
    Clock.objects.filter(
        content_type__app_label=Ticket._meta.app_label,
        content_type__model=Ticket._meta.model_name,
        object_id=OuterRef("pk"),
    ).order_by("kind")
)

# Related collections whose emptiness is read with the ticket: (flag, relation, filter).
FLAGS: list[tuple[str, str, Q]] = [
    ("has_steps", "steps", Q()),
    ("has_comments", "comments", Q()),
    ("has_files", "attachments", Q()),
    ("has_watchers", "watchers", Q()),
    ("has_stint", "tier_stints", Q(left_at__isnull=True)),
    ("has_handoffs", "handoffs", Q()),
    ("has_consults", "consults", Q()),
    ("has_engagements", "vendor_engagements", Q()),
    ("has_decisions", "manager_decisions", Q()),
    ("has_case", "escalation_cases", Q()),
]


def is_known_empty(ticket: Ticket, flag: str) -> bool:
    """True only when the ticket was read with `flag` (FLAGS) and it is false: nothing to query."""
    return getattr(ticket, flag, True) is False


def _flag(relation: str, condition: Q) -> Exists:
    related = Ticket._meta.get_field(relation)
    remote = related.remote_field.attname  # type: ignore[union-attr]
    return Exists(related.related_model.objects.filter(condition, **{remote: OuterRef("pk")}))


@dataclass
class TicketRead:
    """One ticket as the page or the API detail shows it."""

    ticket: Ticket
    events: list[TimelineEvent]  # oldest first: the tail (or the page before `before`)
    earlier: int | None  # the pk to page back from ("Earlier events"), None when all are shown
    ticket_files: list[Attachment]
    watchers: list[Watcher] = field(default_factory=list)
    team_leaders: list[User] = field(default_factory=list)


def ticket_read(
    user: User,
    pk: int | str,
    *,
    before: int | None = None,
    tail: int | None = TIMELINE_TAIL,
    annotations: dict[str, Any] | None = None,
) -> TicketRead:
    """The ticket the user may see (404 otherwise) with what its page shows; customers and
    anyone without `view_internal` get no internal steps, comments, files or events.
    `annotations` are read with the ticket too (the console's header counts)."""
    internal = permissions.can_view_internal(user)
    queryset = Ticket.objects.select_related(*selectors.DETAIL_RELATIONS).annotate(
        **{name: _exists_of(relation, condition, internal) for name, relation, condition in FLAGS},
        folded_leaders=LEADERS.on(Ticket),
        folded_clocks=CLOCKS.on(Ticket),
        **(annotations or {}),
    )
    ticket = selectors.get_ticket_for(user, pk, queryset=queryset)
    ticket.sla_clocks = unfold_clocks(CLOCKS, ticket.folded_clocks)
    leaders = LEADERS.rows(ticket.folded_leaders) if ticket.team else []
    if ticket.team:
        set_prefetched(ticket.team, "leaders", leaders)
    prefetch_related_objects([ticket], *_prefetches(ticket, internal))
    files = _distribute_files(ticket, internal)
    events, earlier = timeline_tail(ticket, internal=internal, before=before, tail=tail)
    watchers = list(ticket.watchers.all()) if not is_known_empty(ticket, "has_watchers") else []
    return TicketRead(
        ticket=ticket,
        events=events,
        earlier=earlier,
        ticket_files=files,
        watchers=watchers,
        team_leaders=leaders,
    )


def _exists_of(relation: str, condition: Q, internal: bool) -> Exists:
    if not internal:
        condition &= {
            "steps": Q(is_public=True),
            "comments": Q(is_internal=False),
            "attachments": Q(is_internal=False),
        }.get(relation, Q())
    return _flag(relation, condition)


def _prefetches(ticket: Ticket, internal: bool) -> list[Any]:
    """Only the collections the ticket has; an empty one is known empty without a query."""
    steps = TroubleshootingStep.objects.select_related("engineer", "team")
    comments = Comment.objects.select_related("author")
    if not internal:
        steps = steps.filter(is_public=True)
        comments = comments.filter(is_internal=False)
    wanted = [
        ("has_steps", Prefetch("steps", queryset=steps)),
        ("has_comments", Prefetch("comments", queryset=comments)),
        (
            "has_watchers",
            Prefetch(
                "watchers", queryset=Watcher.objects.select_related("user").order_by("created_at", "pk")
            ),
        ),
    ]
    prefetches: list[Any] = []
    for flag, prefetch in wanted:
        if is_known_empty(ticket, flag):
            ticket._prefetched_objects_cache = getattr(ticket, "_prefetched_objects_cache", {})
            if prefetch.to_attr:
                setattr(ticket, prefetch.to_attr, [])
            else:
                ticket._prefetched_objects_cache[prefetch.prefetch_to] = prefetch.queryset.none()
        else:
            prefetches.append(prefetch)
    return prefetches


def _distribute_files(ticket: Ticket, internal: bool) -> list[Attachment]:
    """Every file of the ticket in one query: each step and comment gets its `files`; the
    ticket's own files (on no step or comment) are returned."""
    files: list[Attachment] = []
    if not is_known_empty(ticket, "has_files"):
        qs = (
            Attachment.objects.filter(ticket=ticket)
            .select_related("uploaded_by")
            .order_by("uploaded_at", "pk")
        )
        files = list(qs if internal else qs.filter(is_internal=False))
    by_step: dict[int, list[Attachment]] = {}
    by_comment: dict[int, list[Attachment]] = {}
    own = []
    for f in files:
        if f.step_id:
            by_step.setdefault(f.step_id, []).append(f)
        elif f.comment_id:
            by_comment.setdefault(f.comment_id, []).append(f)
        else:
            own.append(f)
    for step in ticket.steps.all():
        step.files = by_step.get(step.pk, [])
    for comment in ticket.comments.all():
        comment.files = by_comment.get(comment.pk, [])
    return own


def timeline_tail(
    ticket: Ticket, *, internal: bool, before: int | None = None, tail: int | None = TIMELINE_TAIL
) -> tuple[list[TimelineEvent], int | None]:
    """The latest `tail` events (before event `before`, when given), oldest first, and the pk to
    page back from when there are earlier ones (one query: it reads one event more than shown);
    `tail=None` reads them all."""
    events: QuerySet[TimelineEvent] = TimelineEvent.objects.filter(ticket=ticket).select_related("actor")
    if not internal:
        events = events.filter(is_public=True)
    if before is not None:
        pivot = events.filter(pk=before).values("at")[:1]
        events = events.filter(Q(at__lt=pivot) | Q(at=pivot, pk__lt=before))
    if tail is None:  # every event (the API detail)
        return list(events.order_by("at", "pk")), None
    rows = list(events.order_by("-at", "-pk")[: tail + 1])
    shown = rows[:tail]
    shown.reverse()
    return shown, (shown[0].pk if len(rows) > tail else None)
