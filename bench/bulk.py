"""Bulk tickets for volume: `bulk_create_tickets` tops the database up with `bulk_create`.

`manage.py seed_demo --tickets N` (the demo app's command, which `make bench` runs) calls it
after the demo stories, until there are N tickets. It reads the demo's cast (`demo.cast`: the
people, teams, categories and services it picks from) and the demo tickets' texts
(`demo.stories_data`); the demo package does not import this module (the command passes it to
`demo.seeding.seed` as `top_up`).

It is a documented fast path past the ticket services, for volume only: the services take
one locked transaction and several queries per change, hours for 100,000 tickets. It writes
the rows and the timeline a service would write for the same history: the ticket with the
fields each transition sets, its steps and comments, and one `TimelineEvent` per change with
the kind, source and target states, reason, details (same keys) and visibility of the event
`tickets.services` records (`record_event`). `bench/tests/test_bulk.py` plays the same
histories through the services and checks that every bulk event has the shape of one of
theirs. The state mix and the texts it draws from are `bench.bulk_data`'s. What it leaves out:
hand-offs (a bulk ticket stays in the first tier of its ladder), notifications, and the signal
other apps listen to (`ticket_changed`). Its SLA and tier clocks, their pauses and deadlines and
its tier stint are `bench.bulk_clocks`'s: the rows the clock services would have left by now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from demo.cast import Cast
from demo.progress import ProgressBar
from demo.stories_data import DEMO_TICKETS
from tickets.models import (
    CancelReason,
    Channel,
    CloseKind,
    Comment,
    FixKind,
    Priority,
    Status,
    StepState,
    Ticket,
    TimelineEvent,
    TroubleshootingStep,
)

from .bulk_clocks import TABLES as CLOCK_TABLES
from .bulk_clocks import BulkClocks
from .bulk_data import (
    CUSTOMER_COMMENTS,
    INTERNAL_COMMENTS,
    PUBLIC_COMMENTS,
    RESOLUTIONS,
    SITES,
    STATE_MIX,
    STEP_TEXTS,
    WAIT_REASONS,
)


@dataclass
class _Planned:
    """One bulk ticket before insertion: the ticket, and its timeline in order."""

    ticket: Ticket
    entries: list[tuple[str, dict[str, Any]]]  # ("event"|"step"|"comment", fields)


# A change to play: (transition name or "comment", actor, fields for the event).
_Change = tuple[str, User, dict[str, Any]]


@dataclass
class _Draft:
    """What the planner has drawn of one ticket so far; the transitions add to `fields`."""

    status: str
    spec: Any
    org: Any
    requester: User
    channel: str
    engineer: User
    creator: User
    created_at: datetime
    priority: str
    cancel_from_new: bool = False
    started: bool = False
    fields: dict[str, Any] = field(default_factory=dict)


def _times(rng: random.Random, start: datetime, count: int, now: datetime) -> list[datetime]:
    """`count` increasing times from `start`, hours to days apart, never after now."""
    gaps = [timedelta(minutes=rng.randint(5, 60 * 30)) for _ in range(count - 1)]
    span = sum(gaps, timedelta())
    room = now - timedelta(minutes=1) - start
    if span > room:
        factor = max(room, timedelta(seconds=count)) / span
        gaps = [g * factor for g in gaps]
    times = [start]
    for gap in gaps:
        times.append(times[-1] + gap + timedelta(microseconds=1))
    return times


class _BulkPlanner:
    def __init__(self, cast: Cast, rng: random.Random, now: datetime, duplicate_pool: list[int]) -> None:
        self.cast = cast
        self.rng = rng
        self.now = now
        self.duplicate_pool = duplicate_pool
        self.templates = [t for t in DEMO_TICKETS if t.category and t.service]
        tier1 = cast.teams["Tier 1"]
        self.tier1 = tier1
        self.tier1_engineers = [cast.users[u] for u in ("erin", "omar", "lucy")]
        self.helpers = [cast.users[u] for u in ("tom", "rachel", "tess", "nils", "sofia", "ella")]
        self.tier1_ids = {u.pk for u in self.tier1_engineers} | {cast.users["tess"].pk}
        self.states = [s for s, _ in STATE_MIX]
        self.weights = [w for _, w in STATE_MIX]

    def plan(self) -> _Planned:
        """One ticket's history, drawn from the planner's random source (in a fixed order)."""
        draft = self._draft()
        chain = self._chain(draft)
        work = self._steps(draft) + self._comments(draft)
        tail = self._tail(draft)
        entries = self._entries(draft, chain, work, tail)
        return _Planned(self._ticket(draft), entries)

    def _draft(self) -> _Draft:
        """Who asks, how, when and at what priority, and the state the ticket ends in."""
        rng, cast = self.rng, self.cast
        status = rng.choices(self.states, self.weights)[0]
        spec = rng.choice(self.templates)
        org = cast.orgs[rng.randrange(len(cast.orgs))]
        requester = rng.choice(cast.customers[org.pk])
        channel = rng.choice([Channel.PORTAL, Channel.PORTAL, Channel.PHONE, Channel.EMAIL, Channel.API])
        engineer = rng.choice(self.tier1_engineers)
        creator = requester if channel in (Channel.PORTAL, Channel.API) else engineer
        created_at = self.now - timedelta(days=rng.uniform(0.05, 182))
        priority = spec.priority or rng.choice(Priority.values)
        if status == Status.NEW and channel == Channel.PORTAL and rng.random() < 0.5:
            priority = ""  # customers often leave it to triage
        return _Draft(
            status=status,
            spec=spec,
            org=org,
            requester=requester,
            channel=channel,
            engineer=engineer,
            creator=creator,
            created_at=created_at,
            priority=priority,
        )

    def _chain(self, draft: _Draft) -> list[_Change]:
        """The transitions that lead to the ticket being worked: (name, actor, fields for the event)."""
        rng, status, engineer = self.rng, draft.status, draft.engineer
        chain: list[_Change] = []
        draft.cancel_from_new = status == Status.CANCELLED and rng.random() < 0.4
        if status != Status.NEW and not draft.cancel_from_new:
            chain.append(("triage", engineer, {"details": {"changed": {}, "priority": draft.priority}}))
        draft.started = status in (
            Status.IN_PROGRESS,
            Status.WAITING_ON_CUSTOMER,
            Status.RESOLVED,
            Status.CLOSED,
        ) or (status == Status.CANCELLED and not draft.cancel_from_new and rng.random() < 0.5)
        if draft.started:
            chain.append(
                ("start", engineer, {"details": {"assignee": engineer.pk, "assignee_name": str(engineer)}})
            )
        return chain

    def _steps(self, draft: _Draft) -> list[tuple[str, dict[str, Any]]]:
        """1-3 troubleshooting steps, done while the ticket is being worked."""
        rng, work = self.rng, []
        for _ in range(rng.randint(1, 3)):
            kind, action, outcome = rng.choice(STEP_TEXTS)
            by = draft.engineer if rng.random() < 0.7 else rng.choice(self.helpers)
            team = (
                self.tier1
                if (draft.status != Status.NEW and by.pk in self.tier1_ids and not draft.cancel_from_new)
                else None
            )
            work.append(
                (
                    "step",
                    {
                        "kind": kind,
                        "action": action,
                        "outcome": outcome,
                        "engineer": by,
                        "team": team,
                        "is_public": rng.random() < 0.3,
                    },
                )
            )
        return work

    def _comments(self, draft: _Draft) -> list[tuple[str, dict[str, Any]]]:
        """1-3 comments: internal notes, answers to the customer, the customer's own."""
        rng, work = self.rng, []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.35:
                work.append(
                    (
                        "comment",
                        {
                            "author": draft.engineer,
                            "is_internal": True,
                            "body": rng.choice(INTERNAL_COMMENTS),
                        },
                    )
                )
            elif roll < 0.7:
                work.append(
                    (
                        "comment",
                        {"author": draft.engineer, "is_internal": False, "body": rng.choice(PUBLIC_COMMENTS)},
                    )
                )
            else:
                work.append(
                    (
                        "comment",
                        {
                            "author": draft.requester,
                            "is_internal": False,
                            "body": rng.choice(CUSTOMER_COMMENTS),
                        },
                    )
                )
        return work

    def _tail(self, draft: _Draft) -> list[_Change]:
        """The changes after the work: a finished wait, then the wait, resolution, closing or
        cancelling the ticket's state asks for."""
        tail: list[_Change] = []
        if draft.started and draft.status != Status.CANCELLED and self.rng.random() < 0.25:
            # A finished wait: the customer's comment resumes the ticket (as ticket_comment does).
            reason = self.rng.choice(WAIT_REASONS)
            tail.append(("await_customer", draft.engineer, {"reason": reason}))
            tail.append(("comment", draft.requester, {"body": self.rng.choice(CUSTOMER_COMMENTS)}))
            tail.append(("customer_replied", draft.requester, {"reason": "Customer replied with a comment."}))
        if draft.status == Status.WAITING_ON_CUSTOMER:
            reason = self.rng.choice(WAIT_REASONS)
            draft.fields["waiting_reason"] = reason
            tail.append(("await_customer", draft.engineer, {"reason": reason}))
        if draft.status in (Status.RESOLVED, Status.CLOSED):
            tail += self._resolution(draft)
        if draft.status == Status.CLOSED:
            tail.append(self._closing(draft))
        if draft.status == Status.CANCELLED:
            tail.append(self._cancelling(draft))
        return tail

    def _resolution(self, draft: _Draft) -> list[_Change]:
        """Resolved, and one time in ten reopened by the customer and resolved again."""
        rng = self.rng
        summary, root_cause = rng.choice(RESOLUTIONS)
        fix_kind = FixKind.PERMANENT if rng.random() < 0.8 else FixKind.WORKAROUND
        draft.fields.update(resolution_summary=summary, root_cause=root_cause, fix_kind=fix_kind)
        resolve_event = (
            "resolve",
            draft.engineer,
            {"reason": summary, "details": {"fix_kind": fix_kind, "knowledge_article": ""}},
        )
        if rng.random() >= 0.1:
            return [resolve_event]
        reason = "The problem came back the next day."
        draft.fields.update(reopen_reason=reason, reopen_count=1)
        return [resolve_event, ("reopen", draft.requester, {"reason": reason}), resolve_event]

    def _closing(self, draft: _Draft) -> _Change:
        """Closed: confirmed by the customer in the portal, or on their behalf by phone or e-mail."""
        rng = self.rng
        if rng.random() < 0.6:
            kind, actor, ch, text = CloseKind.CONFIRMED_BY_CUSTOMER, draft.requester, Channel.PORTAL, ""
        else:
            ch = rng.choice([Channel.PHONE, Channel.EMAIL])
            kind, actor, text = CloseKind.CONFIRMED_ON_BEHALF, draft.engineer, f"Customer confirmed by {ch}."
        draft.fields.update(close_kind=kind, confirmation_note=text)
        return ("confirm_resolution", actor, {"reason": text, "details": {"close_kind": kind, "channel": ch}})

    def _cancelling(self, draft: _Draft) -> _Change:
        """Cancelled: withdrawn, spam, or (when there are tickets to point at) a duplicate."""
        rng = self.rng
        reasons = [CancelReason.WITHDRAWN, CancelReason.SPAM]
        if self.duplicate_pool:
            reasons.append(CancelReason.DUPLICATE)
        reason = rng.choice(reasons)
        dup = rng.choice(self.duplicate_pool) if reason == CancelReason.DUPLICATE else None
        text = {
            CancelReason.WITHDRAWN: "Withdrawn by the customer.",
            CancelReason.SPAM: "Not a support request.",
            CancelReason.DUPLICATE: "Duplicate of an existing ticket.",
        }[reason]
        draft.fields.update(cancel_reason=reason, cancel_note=text, duplicate_of_id=dup)
        return (
            "cancel",
            draft.engineer,
            {"reason": text, "details": {"cancel_reason": reason, "duplicate_of": dup}},
        )

    def _entries(
        self, draft: _Draft, chain: list[_Change], work: list[tuple[str, dict[str, Any]]], tail: list[_Change]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The timeline in time order: created, the chain, the work, the tail."""
        times = iter(_times(self.rng, draft.created_at, 1 + len(chain) + len(work) + len(tail), self.now))
        created_details: dict[str, Any] = {"channel": draft.channel}
        if draft.creator.pk != draft.requester.pk:
            created_details["on_behalf_of"] = draft.requester.pk
        entries: list[tuple[str, dict[str, Any]]] = [
            (
                "event",
                {
                    "kind": "created",
                    "actor_id": draft.creator.pk,
                    "at": next(times),
                    "target": Status.NEW,
                    "details": created_details,
                    "is_public": True,
                },
            )
        ]
        state = Status.NEW
        for name, actor, extra in chain:
            state = self._transition(entries, name, actor, state, next(times), extra, draft.fields)
        for kind, data in work:
            entries.append((kind, {**data, "at": next(times)}))
        for name, actor, extra in tail:
            if name == "comment":
                entries.append(
                    (
                        "comment",
                        {"author": actor, "is_internal": False, "body": extra["body"], "at": next(times)},
                    )
                )
            else:
                state = self._transition(entries, name, actor, state, next(times), extra, draft.fields)
        assert state == draft.status, (state, draft.status)
        return entries

    def _ticket(self, draft: _Draft) -> Ticket:
        spec, suffix = draft.spec, self.rng.choice(SITES)
        # *_id fields rather than objects: the related descriptors are slow at this volume.
        return Ticket(
            organisation_id=draft.org.pk,
            requester_id=draft.requester.pk,
            created_by_id=draft.creator.pk,
            channel=draft.channel,
            summary=f"{spec.summary} ({suffix})"[:200],
            description=spec.description,
            symptoms=spec.symptoms,
            replication_steps=spec.replication_steps,
            error_messages=spec.error_messages,
            recent_changes=spec.recent_changes,
            business_impact=spec.business_impact,
            workaround=spec.workaround,
            priority=draft.priority,
            category_id=self.cast.categories[spec.category or "Software"].pk,
            service_id=self.cast.services[spec.service or "ERP"].pk,
            created_at=draft.created_at,
            status=draft.status,  # allowed in the constructor; only assignment on a loaded row is refused
            **draft.fields,
        )

    def _transition(
        self,
        entries: list[tuple[str, dict[str, Any]]],
        name: str,
        actor: User,
        source: str,
        at: datetime,
        extra: dict[str, Any],
        fields: dict[str, Any],
    ) -> str:
        target = {
            "triage": Status.OPEN,
            "start": Status.IN_PROGRESS,
            "await_customer": Status.WAITING_ON_CUSTOMER,
            "customer_replied": Status.IN_PROGRESS,
            "resolve": Status.RESOLVED,
            "reopen": Status.IN_PROGRESS,
            "confirm_resolution": Status.CLOSED,
            "cancel": Status.CANCELLED,
        }[name]
        # The timestamps the model's transition methods set.
        if name == "triage":
            fields["triaged_at"] = at
            fields["team_id"] = self.tier1.pk
        elif name == "start":
            fields["assignee_id"] = actor.pk
            fields.setdefault("started_at", at)
        elif name == "resolve":
            fields["resolved_at"] = at
        elif name == "reopen":
            fields["resolved_at"] = None
        elif name in ("confirm_resolution", "cancel"):
            fields["closed_at"] = at
        entries.append(
            (
                "event",
                {
                    "kind": name,
                    "actor_id": actor.pk,
                    "at": at,
                    "source": source,
                    "target": target,
                    "reason": extra.get("reason", ""),
                    "details": extra.get("details", {}),
                    "is_public": True,
                },
            )
        )
        return target


BULK_BATCH = 2000


def bulk_create_tickets(
    cast: Cast, count: int, progress: ProgressBar | None = None, seed: int | None = None
) -> int:
    """Insert `count` tickets with bulk_create, in batches, for volume (benchmarks).

    Why this path exists: `--tickets 100000` must finish in minutes on PostgreSQL, and the
    services (one locked transaction and several queries per change) would need hours.
    It writes the same rows the services would for the same history: the ticket with the
    fields each transition sets (team, assignee, triaged/started/resolved/closed times,
    resolution, close kind, cancel reason…), 1-3 troubleshooting steps and 1-3 comments (some
    internal), and the timeline: a 'created' event, one event per step and per comment, and
    every transition event from 'new' to the ticket's state with its source and target, in
    time order. `status` is passed to the Ticket constructor (never assigned to a loaded row).
    """
    if count <= 0:
        return 0
    rng = random.Random(seed if seed is not None else Ticket.objects.count())
    now = timezone.now()
    pool = list(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[:200])
    planner = _BulkPlanner(cast, rng, now, pool)
    clocks = BulkClocks(now)
    created = 0
    while created < count:
        size = min(BULK_BATCH, count - created)
        plans = [planner.plan() for _ in range(size)]
        _insert(plans, clocks)
        if len(pool) < 200:
            pool.extend(p.ticket.pk for p in plans[: 200 - len(pool)])
        created += size
        if progress is not None:
            progress.advance(size)
    if progress is not None:
        progress.finish()
    _analyze([Ticket, TroubleshootingStep, Comment, TimelineEvent, *CLOCK_TABLES])
    return created


def _insert(plans: list[_Planned], clocks: BulkClocks) -> None:
    """One batch in one transaction: the tickets, their steps and comments, then the timeline
    (which names the steps and comments by id), then their time frames (`bench.bulk_clocks`)."""
    with transaction.atomic():
        clocks.first_responses(plans)
        Ticket.objects.bulk_create([p.ticket for p in plans])
        clocks.rows(plans)
        steps, comments = _steps_and_comments(plans)
        TroubleshootingStep.objects.bulk_create(steps)
        Comment.objects.bulk_create(comments)
        TimelineEvent.objects.bulk_create(_events(plans))


def _steps_and_comments(plans: list[_Planned]) -> tuple[list[TroubleshootingStep], list[Comment]]:
    """The rows of the planned steps and comments; each entry keeps its row (`obj`) for its event."""
    steps: list[TroubleshootingStep] = []
    comments: list[Comment] = []
    for p in plans:
        for i, (kind, data) in enumerate(p.entries):
            if kind == "step":
                obj: Any = TroubleshootingStep(
                    ticket_id=p.ticket.pk,
                    kind=data["kind"],
                    action=data["action"],
                    outcome=data["outcome"],
                    state=StepState.DONE,
                    engineer_id=data["engineer"].pk,
                    team_id=data["team"].pk if data["team"] else None,
                    is_public=data["is_public"],
                    performed_at=data["at"],
                )
                steps.append(obj)
                p.entries[i] = ("step", {**data, "obj": obj})
            elif kind == "comment":
                obj = Comment(
                    ticket_id=p.ticket.pk,
                    author_id=data["author"].pk,
                    body=data["body"],
                    is_internal=data["is_internal"],
                    created_at=data["at"],
                )
                comments.append(obj)
                p.entries[i] = ("comment", {**data, "obj": obj})
    return steps, comments


def _events(plans: list[_Planned]) -> list[TimelineEvent]:
    """Every planned timeline event, with the step and comment events the services record."""
    events: list[TimelineEvent] = []
    for p in plans:
        for kind, data in p.entries:
            if kind == "event":
                events.append(TimelineEvent(ticket_id=p.ticket.pk, **data))
            elif kind == "step":
                events.append(
                    TimelineEvent(
                        ticket_id=p.ticket.pk,
                        kind="step",
                        actor_id=data["engineer"].pk,
                        at=data["at"],
                        details={
                            "step": data["obj"].pk,
                            "step_kind": data["kind"],
                            "files": 0,
                            "state": StepState.DONE,
                        },
                        is_public=data["is_public"],
                    )
                )
            else:
                events.append(
                    TimelineEvent(
                        ticket_id=p.ticket.pk,
                        kind="comment",
                        actor_id=data["author"].pk,
                        at=data["at"],
                        details={"comment": data["obj"].pk, "internal": data["is_internal"], "files": 0},
                        is_public=not data["is_internal"],
                    )
                )
    return events


def _analyze(models: list[type[Any]]) -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would do later.

    Without it PostgreSQL plans the first queries on 100,000 fresh rows with the estimates of
    an empty table (nested loops where a hash join is due), and benchmarks measure that.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
