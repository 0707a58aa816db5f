"""A ticket's time frames (SLA clocks) reaching their warning or breach point."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext

from clocks.models import Clock

from .. import notices, sla
from ..models import Ticket
from .core import record_event


def ticket_clock_event(*, ticket: Ticket, clock: Clock, warning: bool) -> None:
    """A time frame reached its warning or breach point: the timeline says so, and the
    assignee (warning) or the team leaders (breach) are notified in the same transaction."""
    label = str(sla.CLOCK_LABELS.get(clock.kind, clock.kind))
    point = "warning" if warning else "breach"
    if warning:
        recipients = [ticket.assignee] if ticket.assignee else list(sla.team_leads(ticket))
    else:
        recipients = list(sla.team_leads(ticket))
    notices.tell_staff(
        ticket=ticket,
        recipients=recipients,
        kind=f"ticket.sla_{point}",
        context={
            "clock": label,
            "due_at": f"{timezone.localtime(clock.due_at):%a %d %b %Y %H:%M %Z}" if clock.due_at else "",
            "message": (
                gettext("%(reference)s %(summary)s: the %(clock)s time frame has reached its warning point.")
                if warning
                else gettext("%(reference)s %(summary)s: the %(clock)s time frame is breached.")
            )
            % {"reference": ticket.reference, "summary": ticket.summary, "clock": label.lower()},
        },
        dedup_key=f"clock:{clock.pk}:{point}",
        actor=None,
    )
    record_event(
        ticket=ticket,
        kind="sla_warning" if warning else "sla_breach",
        actor=None,
        reason=(
            gettext("%(clock)s time frame reached its warning point.")
            if warning
            else gettext("%(clock)s time frame breached.")
        )
        % {"clock": label},
        details={
            "clock": clock.kind,
            "target_seconds": clock.target_seconds,
            "due_at": clock.due_at.isoformat() if clock.due_at else None,
            "notified": [user.username for user in recipients],
        },
    )
