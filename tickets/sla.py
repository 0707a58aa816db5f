"""The ticket's own time frames (SPEC §2, §4): first response, resolution, confirmation window.

Called by the ticket services inside their transaction, so each clock change commits (or
rolls back) with the state change that causes it. Warnings and breaches come back through
the clocks registry (registered in TicketsConfig.ready) and land on the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from clocks import batch
from clocks.business_time import business_intervals
from clocks.deadlines import deadline_cancel, deadline_schedule
from clocks.models import BusinessCalendar, Clock, ClockState, Deadline
from clocks.services import clock_pause, clock_resume, clock_retarget, clock_start, clock_status, clock_stop

from .models import SlaTarget, Ticket

FIRST_RESPONSE = "ticket.first_response"
RESOLUTION = "ticket.resolution"
CONFIRMATION_WINDOW = "ticket.confirmation_window"
CLOCK_LABELS = {FIRST_RESPONSE: gettext_lazy("First response"), RESOLUTION: gettext_lazy("Resolution")}


def calendar_for(ticket: Ticket) -> BusinessCalendar:
    """The service's calendar, else the site's default 24×7 calendar (created on first use)."""
    if ticket.service is not None and ticket.service.calendar_id is not None:
        return ticket.service.calendar
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="24×7", defaults={"is_24x7": True, "time_zone": settings.TIME_ZONE}
    )
    return calendar


def _clocks(ticket: Ticket) -> dict[str, Clock]:
    """The ticket's running or paused clocks by kind (the latest of a kind wins), including other
    apps' clocks on the ticket (a tier's time frame): waiting on the customer pauses them all."""
    return {
        clock.kind: clock
        for clock in Clock.objects.filter(ticket=ticket).select_related("calendar").order_by("pk")
    }


def start_clocks(ticket: Ticket, *, at: datetime | None = None) -> None:
    """At triage: start both SLA clocks for the ticket's priority (none without a target)."""
    target = SlaTarget.objects.filter(priority=ticket.priority).first()
    if target is None:
        return
    existing = _clocks(ticket)
    calendar = calendar_for(ticket)
    ratio = target.warning_percent / 100
    if FIRST_RESPONSE not in existing and ticket.first_response_at is None:
        clock_start(
            subject=ticket,
            kind=FIRST_RESPONSE,
            calendar=calendar,
            target_seconds=target.first_response_minutes * 60,
            warning_ratio=ratio,
            at=at,
        )
    if RESOLUTION not in existing:
        clock_start(
            subject=ticket,
            kind=RESOLUTION,
            calendar=calendar,
            target_seconds=target.resolution_minutes * 60,
            warning_ratio=ratio,
            at=at,
        )


def retarget_clocks(ticket: Ticket) -> None:
    """After a priority change: the running clocks take the new priority's targets."""
    target = SlaTarget.objects.filter(priority=ticket.priority).first()
    if target is None:
        return
    seconds = {FIRST_RESPONSE: target.first_response_minutes * 60, RESOLUTION: target.resolution_minutes * 60}
    for kind, clock in _clocks(ticket).items():
        # Other apps' clocks on the ticket (a tier's time frame) are retargeted by those apps.
        if kind in seconds and clock.state != ClockState.STOPPED and clock.target_seconds != seconds[kind]:
            clock_retarget(clock=clock, target_seconds=seconds[kind])


def first_response_given(ticket: Ticket) -> None:
    """A first public reply by staff stops the first-response clock."""
    if ticket.first_response_at is not None:
        return
    ticket.first_response_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=ticket.first_response_at)
    clock = _clocks(ticket).get(FIRST_RESPONSE)
    if clock is not None:
        clock_stop(clock=clock)


def pause_clocks(ticket: Ticket) -> None:
    """Waiting on the customer: no time frame counts."""
    for clock in _clocks(ticket).values():
        clock_pause(clock=clock)


def resume_clocks(ticket: Ticket) -> None:
    """Work is back with us: paused time frames count again."""
    for clock in _clocks(ticket).values():
        clock_resume(clock=clock)


def ticket_resolved(ticket: Ticket) -> None:
    """Resolution (and any tier time frame) stops counting, to resume on reopen; the first
    response is over for good; the confirmation window opens."""
    for kind, clock in _clocks(ticket).items():
        if kind == FIRST_RESPONSE:
            clock_stop(clock=clock)
        else:
            clock_pause(clock=clock)
    deadline_schedule(
        subject=ticket,
        kind=CONFIRMATION_WINDOW,
        due_at=add_business_days(
            calendar_for(ticket),
            ticket.resolved_at or timezone.now(),
            settings.CONFIRMATION_WINDOW_BUSINESS_DAYS,
        ),
    )


def ticket_reopened(ticket: Ticket) -> None:
    deadline_cancel(subject=ticket, kind=CONFIRMATION_WINDOW)
    resume_clocks(ticket)


def ticket_finished(ticket: Ticket) -> None:
    """Closed or cancelled: every time frame ends."""
    deadline_cancel(subject=ticket, kind=CONFIRMATION_WINDOW)
    stop_clocks(ticket)


def stop_clocks(ticket: Ticket) -> None:
    for clock in _clocks(ticket).values():
        clock_stop(clock=clock)


def add_business_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The end of the `days`-th business day after start's day (24×7: start + days)."""
    if calendar.is_24x7:
        return start + timedelta(days=days)
    spec = calendar.spec()
    first_day = start.astimezone(spec.zone).date()
    seen: list = []
    last_end = start
    for interval_start, interval_end in business_intervals(spec, start):
        day = interval_start.astimezone(spec.zone).date()
        if day > first_day and day not in seen:
            if len(seen) == days:
                return last_end
            seen.append(day)
        last_end = interval_end
    raise AssertionError("unreachable: business_intervals never ends")


def clock_badges(
    ticket: Ticket, now: datetime | None = None, *, elapsed: Callable[[Clock], int] | None = None
) -> list[dict[str, object]]:
    """What the console shows per SLA clock: label, state and business time left.

    Uses the clocks prefetched by the selectors (`sla_clocks`); no query of its own. `elapsed`
    gives a clock's business time counted at `now` when the caller computes it for a whole page
    (desk.badges); otherwise each clock walks its calendar.
    """
    now = now or timezone.now()
    badges = []
    # A kind may have had several clocks (one per tier the ticket was in): show the latest.
    latest = {clock.kind: clock for clock in sorted(getattr(ticket, "sla_clocks", []), key=lambda c: c.pk)}
    for clock in sorted(latest.values(), key=lambda c: c.kind):
        status = clock_status(clock, now, elapsed=None if elapsed is None else elapsed(clock))
        if status["state"] == "stopped" and clock.breached_at is None:
            state = "met"
        elif status["state"] == "stopped":
            state = "breached"
        else:
            state = status["state"]
        badges.append(
            {
                "kind": clock.kind,
                "label": CLOCK_LABELS.get(clock.kind, clock.kind),
                "state": state,
                "paused": status["paused"],
                "target": status["target"],
                "elapsed": status["elapsed"],
                "remaining": status["remaining"],
                "due_at": status["due_at"],
                "warn_at": status["warn_at"],
                "breached_at": status["breached_at"],
            }
        )
    return badges


# --- what the clocks' deadlines do to a ticket -----------------------------------------------


# What a sweep's handlers read of a ticket: its team with leaders and manager, assignee, service.
SWEPT_TICKET_RELATIONS = ("team", "team__manager", "assignee", "service")
BATCH_TICKETS = "tickets.ticket"


def tickets_of_batch(sweep_batch: batch.Batch) -> dict[int, Ticket]:
    """The tickets of a sweep batch's clocks (SLA and tier time frames), for its handlers:
    two queries for the batch (the tickets, their teams' leaders)."""
    ticket_type = ContentType.objects.get_for_model(Ticket).pk
    ids = {c.object_id for c in sweep_batch.clocks().values() if c.content_type_id == ticket_type}
    if not ids:
        return {}
    rows = (
        Ticket.objects.filter(pk__in=ids)
        .select_related(*SWEPT_TICKET_RELATIONS)
        .prefetch_related("team__leaders")
    )
    return {ticket.pk: ticket for ticket in rows}


def swept_ticket(ticket_id: int) -> Ticket:
    """The ticket as the sweep's batch read it (``tickets_of_batch``), else read now."""
    ticket = batch.prefetched(BATCH_TICKETS, ticket_id)
    if ticket is None:
        ticket = Ticket.objects.select_related(*SWEPT_TICKET_RELATIONS).get(pk=ticket_id)
    return ticket


def _on_clock(clock: Clock, *, warning: bool) -> None:
    from .services.timeframes import ticket_clock_event

    ticket_clock_event(ticket=swept_ticket(clock.object_id), clock=clock, warning=warning)


def on_warning(clock: Clock) -> None:
    _on_clock(clock, warning=True)


def on_breach(clock: Clock) -> None:
    _on_clock(clock, warning=False)


def on_confirmation_window_passed(deadline: Deadline) -> None:
    from .services.lifecycle import ticket_close_unconfirmed

    ticket = Ticket.objects.filter(pk=deadline.object_id).first()
    if ticket is not None:
        with transaction.atomic():
            ticket_close_unconfirmed(ticket=ticket)


def team_leads(ticket: Ticket) -> list:
    """Who hears of a breach: the team's leaders, else its manager."""
    if ticket.team is None:
        return []
    leaders = list(ticket.team.leaders.all())
    return leaders or ([ticket.team.manager] if ticket.team.manager else [])


def register() -> None:
    from clocks.registry import register_batch_loader, register_clock_handlers, register_deadline_handler
    from notifications import registry as notification_kinds

    register_batch_loader(BATCH_TICKETS, tickets_of_batch)

    notification_kinds.register(
        "ticket.sla_warning",
        subject=gettext_lazy("[{{ reference }}] {{ clock }} time frame at its warning point: {{ summary }}"),
        description=gettext_lazy("A ticket's SLA time frame used its warning share (to the assignee)."),
    )
    notification_kinds.register(
        "ticket.sla_breach",
        subject=gettext_lazy("[{{ reference }}] {{ clock }} time frame breached: {{ summary }}"),
        description=gettext_lazy("A ticket's SLA time frame passed (to the team leaders)."),
    )

    for kind in (FIRST_RESPONSE, RESOLUTION):
        register_clock_handlers(kind, on_warning=on_warning, on_breach=on_breach)
    register_deadline_handler(CONFIRMATION_WINDOW, on_confirmation_window_passed)
