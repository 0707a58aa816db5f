"""The time frames of bulk tickets: SLA and tier clocks, their pauses and deadlines, tier stints.

`bench.bulk` inserts a batch of tickets; this module gives each the clocks the services would
have left on it by now, so a benchmark pays for what real rows cost (the queue's SLA badges, the
"Tier" column, `?sla=breached`). It plays each ticket's transitions in time order, as
`tickets.sla` and `escalations.services.tiers` do:

- at triage both SLA clocks start (first response, resolution) with the targets of the
  ticket's priority, on the service's calendar (else the 24×7 one), and the ticket enters the
  first tier of its service's ladder (a `TierStint`), whose tier clock starts when the tier
  has a time frame for the priority;
- the first public reply by staff stops the first-response clock (and sets the ticket's
  `first_response_at`, as `sla.first_response_given` does);
- waiting on the customer and resolving pause every clock (a `ClockPause` row), the
  customer's reply and reopening resume them, closing and cancelling stop them all and end the
  stint;
- business time is counted with the calendar's spec (`clocks.business_time`), and a clock that
  used its warning share or its target while running has `warned_at` / `breached_at` at the
  instant it did;
- a running clock has the deadline rows of its current run: pending when still ahead, fired
  (with `fired_at`) when already past, as the sweep would have left them.

Left out: the rows of earlier runs' cancelled deadlines, the timeline events and notifications
of warnings and breaches, and what a tier breach would have done next (an automatic escalation
moves real tickets up the ladder; bulk tickets stay in their first tier with a breached clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType

from clocks.business_time import CalendarSpec, add_business_seconds, business_seconds_between
from clocks.models import BusinessCalendar, Clock, ClockPause, ClockState, Deadline, DeadlineState
from clocks.services import CLOCK_BREACH, CLOCK_WARNING
from escalations.models import ServiceLadder, Tier, TierStint, TierTimeFrame
from escalations.services.tiers import TIER_CLOCK
from tickets.models import Service, SlaTarget, Ticket
from tickets.sla import FIRST_RESPONSE, RESOLUTION, calendar_for

PAUSES = {"await_customer", "resolve"}
RESUMES = {"customer_replied", "reopen"}
ENDS = {"confirm_resolution", "cancel"}


@dataclass
class _Run:
    """One clock being played: what `clocks.services` would have stored, plus its pauses."""

    kind: str
    calendar: BusinessCalendar
    spec: CalendarSpec
    target: int
    ratio: float
    started_at: datetime
    running_since: datetime | None = None
    accumulated: int = 0
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    pauses: list[list[datetime | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.running_since = self.started_at

    @property
    def state(self) -> str:
        if self.stopped_at is not None:
            return ClockState.STOPPED
        return ClockState.RUNNING if self.running_since is not None else ClockState.PAUSED

    def _crossing(self, threshold: int) -> datetime:
        assert self.running_since is not None
        return add_business_seconds(self.spec, self.running_since, max(0, threshold - self.accumulated))

    def passed(self, at: datetime) -> int:
        """Note a warning or breach the current run reached by `at`; the seconds it counted."""
        if self.running_since is None:
            return 0
        counted = business_seconds_between(self.spec, self.running_since, at)
        warning = int(self.target * self.ratio)
        if self.warned_at is None and self.accumulated + counted >= warning:
            self.warned_at = self._crossing(warning)
        if self.breached_at is None and self.accumulated + counted >= self.target:
            self.breached_at = self._crossing(self.target)
        return counted

    def fold(self, at: datetime) -> None:
        """Count the running time up to `at` (a pause or stop), noting what it passed."""
        if self.running_since is not None:
            self.accumulated += self.passed(at)
            self.running_since = max(self.running_since, at)

    def pause(self, at: datetime) -> None:
        if self.state == ClockState.RUNNING:
            self.fold(at)
            self.running_since = None
            self.pauses.append([at, None])

    def resume(self, at: datetime) -> None:
        if self.state == ClockState.PAUSED:
            self.running_since = at
            self.pauses[-1][1] = at

    def stop(self, at: datetime) -> None:
        if self.state == ClockState.STOPPED:
            return
        if self.state == ClockState.RUNNING:
            self.fold(at)
        elif self.pauses:
            self.pauses[-1][1] = at
        self.running_since = None
        self.stopped_at = at


class BulkClocks:
    """What the clocks of a bulk ticket need, read once per load: targets, calendars, ladders."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sla = {t.priority: t for t in SlaTarget.objects.all()}
        self.ticket_type = ContentType.objects.get_for_model(Ticket)
        self.clock_type = ContentType.objects.get_for_model(Clock)
        self.calendars: dict[int | None, BusinessCalendar] = {}
        self.specs: dict[int, CalendarSpec] = {}
        self.first_tier: dict[int, Tier] = {}
        for ladder in ServiceLadder.objects.select_related("path"):
            first = ladder.path.tiers.order_by("level").first()
            if first is not None:
                self.first_tier.setdefault(ladder.service_id, first)
        self.frames = {(f.tier_id, f.priority): f for f in TierTimeFrame.objects.all()}

    def _calendar(self, service_id: int | None) -> tuple[BusinessCalendar, CalendarSpec]:
        if service_id not in self.calendars:
            service = Service.objects.select_related("calendar").get(pk=service_id) if service_id else None
            self.calendars[service_id] = calendar_for(Ticket(service=service))
        calendar = self.calendars[service_id]
        if calendar.pk not in self.specs:
            self.specs[calendar.pk] = calendar.spec()
        return calendar, self.specs[calendar.pk]

    def first_responses(self, plans: list[Any]) -> None:
        """Before insertion: the first public staff reply after triage is the first response."""
        for plan in plans:
            triaged = plan.ticket.triaged_at
            for kind, data in plan.entries:
                reply = kind == "comment" and not data["is_internal"] and data["author"].is_staff
                if reply and triaged is not None and data["at"] >= triaged:
                    plan.ticket.first_response_at = data["at"]
                    break

    def runs(self, plan: Any) -> tuple[list[_Run], Tier | None, datetime | None]:
        """Play one ticket's transitions: its clocks, its first tier and when it left it."""
        ticket = plan.ticket
        target = self.sla.get(ticket.priority)
        if ticket.triaged_at is None or target is None:
            return [], None, None
        calendar, spec = self._calendar(ticket.service_id)
        started = ticket.triaged_at
        ratio = target.warning_percent / 100
        runs = [
            _Run(FIRST_RESPONSE, calendar, spec, target.first_response_minutes * 60, ratio, started),
            _Run(RESOLUTION, calendar, spec, target.resolution_minutes * 60, ratio, started),
        ]
        tier = self.first_tier.get(ticket.service_id)
        frame = self.frames.get((tier.pk, ticket.priority)) if tier else None
        if frame is not None:
            runs.append(
                _Run(TIER_CLOCK, calendar, spec, frame.minutes * 60, frame.warning_percent / 100, started)
            )
        left_at = self._play(plan, runs)
        for run in runs:
            run.passed(self.now)  # still running: what it reached by now, its run kept as it is
        return runs, tier, left_at

    def _play(self, plan: Any, runs: list[_Run]) -> datetime | None:
        moments = [
            (d["at"], d["kind"])
            for kind, d in plan.entries
            if kind == "event" and d["at"] > runs[0].started_at
        ]
        if plan.ticket.first_response_at is not None:
            moments.append((plan.ticket.first_response_at, "first_response"))
        left_at = None
        for at, what in sorted(moments, key=lambda m: m[0]):
            if what == "first_response":
                runs[0].stop(at)
            for run in runs:
                if what in PAUSES:
                    run.pause(at)
                elif what in RESUMES:
                    run.resume(at)
                elif what in ENDS:
                    run.stop(at)
                    left_at = at
        return left_at

    def rows(self, plans: list[Any]) -> None:
        """After insertion: the clocks, pauses, deadlines and stints of a batch, in bulk."""
        played = [(plan.ticket, *self.runs(plan)) for plan in plans]
        clocks = [self._clock(ticket, run) for ticket, runs, _, _ in played for run in runs]
        Clock.objects.bulk_create(clocks)
        pairs = list(zip(clocks, (run for _, runs, _, _ in played for run in runs), strict=True))
        ClockPause.objects.bulk_create(
            ClockPause(clock=clock, paused_at=paused, resumed_at=resumed)
            for clock, run in pairs
            for paused, resumed in run.pauses
        )
        Deadline.objects.bulk_create(row for clock, run in pairs for row in self._deadlines(clock))
        tier_clocks = {clock.object_id: clock for clock, run in pairs if run.kind == TIER_CLOCK}
        TierStint.objects.bulk_create(
            TierStint(
                ticket_id=ticket.pk,
                tier=tier,
                entered_at=ticket.triaged_at,
                left_at=left_at,
                clock=tier_clocks.get(ticket.pk),
            )
            for ticket, _, tier, left_at in played
            if tier is not None
        )

    def _clock(self, ticket: Ticket, run: _Run) -> Clock:
        clock = Clock(
            content_type=self.ticket_type,
            object_id=ticket.pk,
            kind=run.kind,
            calendar=run.calendar,
            state=run.state,
            started_at=run.started_at,
            accumulated_seconds=run.accumulated,
            running_since=run.running_since,
            target_seconds=run.target,
            warning_ratio=run.ratio,
            warned_at=run.warned_at,
            breached_at=run.breached_at,
            stopped_at=run.stopped_at,
        )
        if run.state == ClockState.RUNNING:
            assert run.running_since is not None
            left = max(0, clock.warning_seconds - run.accumulated)
            clock.warn_at = add_business_seconds(run.spec, run.running_since, left)
            clock.due_at = add_business_seconds(
                run.spec, run.running_since, max(0, run.target - run.accumulated)
            )
        return clock

    def _deadlines(self, clock: Clock) -> list[Deadline]:
        """A running clock's warning and breach rows of its current run (`clocks.services`
        schedules only what has not happened before it): pending ahead, fired once passed."""
        if clock.state != ClockState.RUNNING:
            return []
        rows = []
        for kind, due_at, passed in (
            (CLOCK_WARNING, clock.warn_at, clock.warned_at),
            (CLOCK_BREACH, clock.due_at, clock.breached_at),
        ):
            if passed is not None and passed < clock.running_since:
                continue
            rows.append(
                Deadline(
                    content_type=self.clock_type,
                    object_id=clock.pk,
                    kind=kind,
                    due_at=due_at,
                    state=DeadlineState.PENDING if passed is None else DeadlineState.FIRED,
                    fired_at=passed,
                    attempts=0 if passed is None else 1,
                )
            )
        return rows


TABLES = [Clock, ClockPause, Deadline, TierStint]
