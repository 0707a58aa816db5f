"""The case's two clocks: the acknowledgement time frame and, once a communication plan is
agreed, the time until the next update; and what their warnings and breaches tell whom."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from clocks.models import Clock, ClockState
from clocks.services import clock_start, clock_stop, clocks_of
from tickets import sla
from tickets.models import Ticket
from tickets.notices import tell_staff
from tickets.services.core import record_event

from ..models import EscalationCase
from .core import ACK_CLOCK, UPDATE_CLOCK, case_context, escalation_managers, leadership, managers_of


def case_clock(case: EscalationCase, kind: str) -> Clock | None:
    return (
        clocks_of(case, kind)
        .exclude(state=ClockState.STOPPED)
        .select_related("calendar")
        .order_by("-pk")
        .first()
    )


def stop_clock(case: EscalationCase, kind: str) -> Clock | None:
    clock = case_clock(case, kind)
    if clock is not None:
        clock_stop(clock=clock)
    return clock


def was_late(clock: Clock | None) -> bool:
    """A stopped clock that breached, whether or not the sweep has seen the breach yet."""
    return clock is not None and (
        clock.breached_at is not None or clock.accumulated_seconds >= clock.target_seconds
    )


def start_ack_clock(case: EscalationCase, ticket: Ticket) -> Clock:
    return clock_start(
        subject=case,
        kind=ACK_CLOCK,
        calendar=sla.calendar_for(ticket),
        target_seconds=settings.CASE_ACK_MINUTES * 60,
    )


def start_update_clock(case: EscalationCase, ticket: Ticket) -> Clock:
    return clock_start(
        subject=case,
        kind=UPDATE_CLOCK,
        calendar=sla.calendar_for(ticket),
        target_seconds=(case.update_every_minutes or settings.CASE_UPDATE_MINUTES) * 60,
    )


def on_case_clock(clock: Clock, *, warning: bool) -> None:
    """A case clock warned or breached (registered by cases.handlers): who must act hears of it,
    and the timeline says whom."""
    case = (
        EscalationCase.objects.select_related("ticket", "escalation_manager")
        .filter(pk=clock.object_id)
        .first()
    )
    if case is None or not case.is_open:
        return
    ticket = case.ticket
    point = "warning" if warning else "breach"
    if clock.kind == ACK_CLOCK:
        recipients, what, kind = _late_acknowledgement(ticket, clock, warning=warning)
    else:
        recipients, what, kind = _late_update(case, ticket, warning=warning)
    tell_staff(
        ticket=ticket,
        recipients=recipients,
        actor=None,
        kind=f"escalations.{kind}",
        context={
            "case_id": case.pk,
            **case_context(case),
            "message": what,
            "due": f"{timezone.localtime(clock.due_at):%a %d %b %H:%M}" if clock.due_at else "",
        },
        dedup_key=f"clock:{clock.pk}:{point}",
    )
    record_event(
        ticket=ticket,
        kind=kind,
        actor=None,
        reason=what,
        details={"case": case.pk, "clock": clock.pk, "notified": [u.username for u in recipients]},
    )


def _late_acknowledgement(ticket: Ticket, clock: Clock, *, warning: bool) -> tuple[list, str, str]:
    """The escalation managers' manager hears of a late acknowledgement (warning and breach)."""
    managers = escalation_managers()
    recipients = list({u.pk: u for m in managers for u in managers_of(m)}.values()) or leadership()
    if warning:
        recipients = list({u.pk: u for u in recipients + managers}.values())
    what = (
        gettext("The escalation of %(reference)s is not acknowledged yet; it must be by %(due)s.")
        % {"reference": ticket.reference, "due": f"{timezone.localtime(clock.due_at):%a %d %b %H:%M}"}
        if warning and clock.due_at
        else gettext("The escalation of %(reference)s was not acknowledged in time.")
        % {"reference": ticket.reference}
    )
    return recipients, what, f"case_ack_{'warning' if warning else 'breach'}"


def _late_update(case: EscalationCase, ticket: Ticket, *, warning: bool) -> tuple[list, str, str]:
    """The escalation manager hears an update is due; their manager too when it was missed."""
    manager = case.escalation_manager
    recipients = [manager] if warning and manager else managers_of(manager) + ([manager] if manager else [])
    what = (
        gettext("The next update on the escalation of %(reference)s is due soon.")
        if warning
        else gettext("The update on the escalation of %(reference)s was missed.")
    ) % {"reference": ticket.reference}
    return recipients, what, f"case_update_{'due' if warning else 'missed'}"
