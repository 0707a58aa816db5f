"""Every change to a clock goes through a function here (SPEC §4).

Each service opens a transaction, locks the clock row, changes it and keeps the clock's
own deadline rows ("clock.warning", "clock.breach") in step: pending while the clock
runs, cancelled while it is paused or stopped. Warnings and breaches fire at most once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from escalation_desk.domain import Refused

from .business_time import add_business_seconds, business_seconds_between
from .models import BusinessCalendar, Clock, ClockPause, ClockState, Deadline, DeadlineState

CLOCK_WARNING = "clock.warning"
CLOCK_BREACH = "clock.breach"


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


def _locked(clock: Clock) -> Clock:
    locked = Clock.objects.select_for_update().select_related("calendar").get(pk=clock.pk)
    return locked


def _copy_into(target: Clock, source: Clock) -> None:
    """Refresh the caller's instance so it sees what the service saved."""
    for field in Clock._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _validate_target(target_seconds: int, warning_ratio: float) -> None:
    missing = []
    if target_seconds <= 0:
        missing.append(gettext("the target must be a positive number of seconds"))
    if not 0 < warning_ratio <= 1:
        missing.append(gettext("the warning ratio must be above 0 and at most 1"))
    if missing:
        raise Refused(gettext("This time frame cannot be set"), missing)


def deadlines_of(clock: Clock) -> models.QuerySet[Deadline]:
    """The deadline rows that belong to this clock."""
    return Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Clock), object_id=clock.pk)


def clocks_of(subject: models.Model, kind: str) -> models.QuerySet[Clock]:
    """The clocks of this kind started on subject (any state, oldest first)."""
    return Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk, kind=kind
    ).order_by("pk")


def clocks_stop(*, subject: models.Model, kind: str, at: datetime | None = None) -> list[Clock]:
    """Stop every clock of this kind on subject that still counts; returns the ones stopped."""
    stopped = list(clocks_of(subject, kind).exclude(state=ClockState.STOPPED))
    for clock in stopped:
        clock_stop(clock=clock, at=at)
    return stopped


def _cancel_pending_deadlines(clock: Clock) -> None:
    deadlines_of(clock).filter(state=DeadlineState.PENDING).update(
        state=DeadlineState.CANCELLED, claimed_until=None, claim_token=None
    )


def _schedule(clock: Clock, at: datetime) -> None:
    """From `at` (the clock running since then), recompute warn_at/due_at and their deadline rows."""
    _cancel_pending_deadlines(clock)
    spec = clock.calendar.spec()
    clock.warn_at = add_business_seconds(spec, at, max(0, clock.warning_seconds - clock.accumulated_seconds))
    clock.due_at = add_business_seconds(spec, at, max(0, clock.target_seconds - clock.accumulated_seconds))
    content_type = ContentType.objects.get_for_model(Clock)
    rows = []
    if clock.warned_at is None:
        rows.append(
            Deadline(content_type=content_type, object_id=clock.pk, kind=CLOCK_WARNING, due_at=clock.warn_at)
        )
    if clock.breached_at is None:
        rows.append(
            Deadline(content_type=content_type, object_id=clock.pk, kind=CLOCK_BREACH, due_at=clock.due_at)
        )
    Deadline.objects.bulk_create(rows)


def _fold_running_time(clock: Clock, at: datetime) -> None:
    """Move the business time counted since running_since into accumulated_seconds."""
    if clock.running_since is not None:
        clock.accumulated_seconds += business_seconds_between(clock.calendar.spec(), clock.running_since, at)
        clock.running_since = max(clock.running_since, at)


def clock_start(
    *,
    subject: models.Model,
    kind: str,
    calendar: BusinessCalendar,
    target_seconds: int,
    warning_ratio: float = 0.75,
    at: datetime | None = None,
) -> Clock:
    """Start a time frame on subject, with its warning and breach deadlines."""
    _validate_target(target_seconds, warning_ratio)
    at = _now(at)
    with transaction.atomic():
        clock = Clock.objects.create(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            kind=kind,
            calendar=calendar,
            state=ClockState.RUNNING,
            started_at=at,
            running_since=at,
            target_seconds=target_seconds,
            warning_ratio=warning_ratio,
        )
        _schedule(clock, at)
        clock.save(update_fields=["warn_at", "due_at"])
    return clock


def clock_pause(*, clock: Clock, at: datetime | None = None) -> Clock:
    """Stop counting (waiting on the customer); a paused or stopped clock is left as it is."""
    at = _now(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.state == ClockState.RUNNING:
            _fold_running_time(locked, at)
            locked.state = ClockState.PAUSED
            locked.running_since = None
            locked.warn_at = locked.due_at = None
            _cancel_pending_deadlines(locked)
            locked.save()
            ClockPause.objects.create(clock=locked, paused_at=at)
    _copy_into(clock, locked)
    return clock


def clock_resume(*, clock: Clock, at: datetime | None = None) -> Clock:
    """Count again from `at`; a running or stopped clock is left as it is."""
    at = _now(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.state == ClockState.PAUSED:
            locked.state = ClockState.RUNNING
            locked.running_since = at
            _schedule(locked, at)
            locked.save()
            ClockPause.objects.filter(clock=locked, resumed_at__isnull=True).update(resumed_at=at)
    _copy_into(clock, locked)
    return clock


def clock_stop(*, clock: Clock, at: datetime | None = None) -> Clock:
    """End the time frame for good (e.g. first reply sent); stopping twice changes nothing."""
    at = _now(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.state != ClockState.STOPPED:
            if locked.state == ClockState.RUNNING:
                _fold_running_time(locked, at)
            else:
                ClockPause.objects.filter(clock=locked, resumed_at__isnull=True).update(resumed_at=at)
            locked.state = ClockState.STOPPED
            locked.running_since = None
            locked.warn_at = locked.due_at = None
            locked.stopped_at = at
            _cancel_pending_deadlines(locked)
            locked.save()
    _copy_into(clock, locked)
    return clock


def clock_retarget(*, clock: Clock, target_seconds: int, at: datetime | None = None) -> Clock:
    """Change the target (priority change) and recompute the due instants; time counted is kept."""
    at = _now(at)
    with transaction.atomic():
        locked = _locked(clock)
        _validate_target(target_seconds, locked.warning_ratio)
        if locked.state == ClockState.STOPPED:
            raise Refused(
                gettext("This time frame is stopped"), [gettext("a stopped clock cannot be retargeted")]
            )
        locked.target_seconds = target_seconds
        if locked.state == ClockState.RUNNING:
            _fold_running_time(locked, at)
            _schedule(locked, locked.running_since)
        locked.save()
    _copy_into(clock, locked)
    return clock


def elapsed_seconds(clock: Clock, at: datetime | None = None) -> int:
    """Business seconds counted so far, pauses excluded."""
    at = _now(at)
    elapsed = clock.accumulated_seconds
    if clock.state == ClockState.RUNNING and clock.running_since is not None:
        elapsed += business_seconds_between(clock.calendar.spec(), clock.running_since, at)
    return elapsed


def remaining_seconds(clock: Clock, at: datetime | None = None) -> int:
    """Business seconds left before the breach point; negative once breached."""
    return clock.target_seconds - elapsed_seconds(clock, at)


def clock_status(clock: Clock, at: datetime | None = None, *, elapsed: int | None = None) -> dict[str, Any]:
    """What a badge or the API shows: target, elapsed, remaining, state and due instant.

    `elapsed` is the business time counted at `at` when the caller already knows it (a page of
    badges reads it off a per-calendar timeline, ``business_time.BusinessTimeline``)."""
    if elapsed is None:
        elapsed = elapsed_seconds(clock, at)
    if clock.state == ClockState.STOPPED:
        state = "stopped"
    elif clock.breached_at is not None or elapsed >= clock.target_seconds:
        state = "breached"
    elif clock.warned_at is not None or elapsed >= clock.warning_seconds:
        state = "warning"
    else:
        state = str(clock.state)
    return {
        "kind": clock.kind,
        "target": clock.target_seconds,
        "elapsed": elapsed,
        "remaining": clock.target_seconds - elapsed,
        "state": state,
        "paused": clock.state == ClockState.PAUSED,
        "warn_at": clock.warn_at,
        "due_at": clock.due_at,
        "warned_at": clock.warned_at,
        "breached_at": clock.breached_at,
    }
