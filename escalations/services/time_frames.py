"""A tier's time frame reaching its warning point or passing, and the breach action
"escalate automatically" (SPEC §4)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from clocks.batch import prefetched
from clocks.deadlines import deadline_schedule
from clocks.models import Clock
from tickets.models import Ticket
from tickets.notices import tell_staff
from tickets.services.core import lock_ticket, record_event
from tickets.sla import swept_ticket

from ..batch_reads import STINT, STINT_OF_CLOCK
from ..models import BreachAction, Direction, Handoff, TierStint
from ..records import assemble_package
from ..selectors import active_handoff, handoff_missing, ladder_tier, next_tier, team_leads
from .approval_gate import handoff_submit
from .tiers import WORKABLE, tier_name

AUTO_ESCALATE = "escalations.auto_escalate"  # a deadline on the stint whose time frame passed


def on_tier_clock(clock: Clock, *, warning: bool) -> None:
    """A tier's time frame reached its warning point or passed (inside the sweep's transaction)."""
    stint = prefetched(STINT_OF_CLOCK, clock.pk) or (
        TierStint.objects.select_related("tier", "tier__team").filter(clock=clock).first()
    )
    if stint is None:
        return
    ticket, tier = swept_ticket(stint.ticket_id), stint.tier
    frame_hours = gettext("%(hours)s business hour(s)") % {"hours": f"{clock.target_seconds / 3600:g}"}
    words = {"reference": ticket.reference, "tier": tier.name, "frame": frame_hours}
    if warning:
        recipients = [ticket.assignee] if ticket.assignee_id else team_leads(tier.team)
        message = gettext("%(reference)s has used most of its %(tier)s time frame (%(frame)s).") % words
    else:
        recipients = team_leads(tier.team)
        message = gettext("%(reference)s overstayed its %(tier)s time frame (%(frame)s).") % words
    auto = not warning and tier.breach_action == BreachAction.AUTO_ESCALATE
    tell_staff(
        ticket=ticket,
        recipients=recipients,
        actor=None,
        kind=f"escalations.tier_{'warning' if warning else 'breach'}",
        context={
            "tier": tier.name,
            "frame": frame_hours,
            "automatic": auto,
            "due_at": f"{timezone.localtime(clock.due_at):%a %d %b %Y %H:%M}" if clock.due_at else "",
            "message": message + (" " + gettext("It is being escalated automatically.") if auto else ""),
        },
        dedup_key=f"clock:{clock.pk}:{'warning' if warning else 'breach'}",
    )
    record_event(
        ticket=ticket,
        kind=f"tier_{'warning' if warning else 'breach'}",
        actor=None,
        source=tier_name(tier),
        reason=message + (" " + gettext("Escalating automatically.") if auto else ""),
        details={
            "tier": tier.pk,
            "clock": clock.pk,
            "due_at": clock.due_at.isoformat() if clock.due_at else None,
            "notified": [u.username for u in recipients],
            "breach_action": tier.breach_action,
        },
    )
    if auto:
        # Escalating locks the ticket; the sweep holds this clock's lock, and the ticket
        # services lock the ticket before its clocks. The escalation therefore runs as its own
        # deadline, in the sweep's next batch, taking its locks in the usual order.
        deadline_schedule(subject=stint, kind=AUTO_ESCALATE, due_at=clock.due_at or timezone.now())


def on_tier_warning(clock: Clock) -> None:
    on_tier_clock(clock, warning=True)


def on_tier_breach(clock: Clock) -> None:
    on_tier_clock(clock, warning=False)


def auto_escalate(deadline: Any) -> None:
    """The breach action "escalate automatically": the next tier, or an approval request
    when that tier is gated (never a silent hand-off past a gate)."""
    stint = prefetched(STINT, deadline.object_id) or (
        TierStint.objects.select_related("tier").filter(pk=deadline.object_id).first()
    )
    if stint is None:
        return
    ticket = lock_ticket(Ticket(pk=stint.ticket_id))
    # Read again under the ticket's lock: a hand-off (under that lock) may have ended the stint.
    if TierStint.objects.filter(pk=stint.pk, left_at__isnull=False).exists() or ticket.status not in WORKABLE:
        return  # moved on, or no longer being worked, meanwhile
    stint.tier = ladder_tier(stint.tier)
    pending = active_handoff(ticket)
    if pending is not None:
        record_event(
            ticket=ticket,
            kind="auto_escalation_skipped",
            actor=None,
            source=tier_name(stint.tier),
            reason=gettext("Not escalated automatically: %(from_tier)s → %(to_tier)s is already %(status)s.")
            % {
                "from_tier": pending.from_tier.name,
                "to_tier": pending.to_tier.name,
                "status": pending.get_status_display().lower(),
            },
            details={"handoff": pending.pk},
        )
        return
    target = next_tier(stint.tier)
    if target is None:
        record_event(
            ticket=ticket,
            kind="auto_escalation_skipped",
            actor=None,
            source=tier_name(stint.tier),
            reason=gettext("Not escalated automatically: %(tier)s is the last tier of the ladder.")
            % {"tier": stint.tier.name},
        )
        return
    findings = gettext("Automatic escalation: the %(tier)s time frame passed without a resolution.") % {
        "tier": stint.tier.name
    }
    missing = handoff_missing(ticket, stint.tier, target, criterion=None, findings=findings, evidence_note="")
    handoff = Handoff.objects.create(
        ticket=ticket,
        from_tier=stint.tier,
        to_tier=target,
        direction=Direction.ESCALATE,
        findings=findings,
        automatic=True,
        missing=missing,
        package=assemble_package(ticket, stint.tier, target, findings=findings),
    )
    handoff_submit(handoff, ticket, None)
