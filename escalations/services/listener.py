"""The ticket's lifecycle, as it concerns the ladder: tickets.signals.ticket_changed."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, transaction

from accounts.models import User
from approvals.models import ApprovalRequest
from approvals.services import approval_cancel
from clocks.deadlines import deadline_cancel
from clocks.services import clocks_stop
from escalation_desk.domain import Refused
from tickets.models import Ticket
from tickets.services.core import record_event

from ..models import ACTIVE_HANDOFF_STATES, Consult, ConsultStatus, Handoff
from ..selectors import current_stint
from .consults import CONSULT_CLOCK
from .tiers import place_in_first_tier, retarget_tier_clock
from .time_frames import AUTO_ESCALATE


def on_ticket_changed(*, ticket: Ticket, change: str, actor: User | None, **_: Any) -> None:
    """tickets.signals.ticket_changed, inside the ticket's transaction."""
    if change == "triage":
        place_in_first_tier(ticket, actor)
    elif change == "priority_changed":
        retarget_tier_clock(ticket)
    elif change in ("cancel", "confirm_resolution", "close_unconfirmed"):
        _ticket_finished(ticket, change)


def _ticket_finished(ticket: Ticket, change: str) -> None:
    """A closed or cancelled ticket has nothing in flight: pending hand-offs and consults end."""
    for handoff in Handoff.objects.filter(ticket=ticket, status__in=ACTIVE_HANDOFF_STATES):
        if handoff.approval_id is not None:
            _lock_approval_without_waiting(handoff, change)
        handoff.withdraw(reason=f"The ticket was {'cancelled' if change == 'cancel' else 'closed'}.")
        handoff.save()
        if handoff.approval_id is not None:
            approval_cancel(request=handoff.approval, reason=handoff.withdrawn_reason)
        record_event(ticket=ticket, kind="handoff_withdrawn", actor=None, reason=handoff.withdrawn_reason,
                     details={"handoff": handoff.pk})
    for consult in Consult.objects.filter(ticket=ticket, state=ConsultStatus.OPEN):
        consult.state = ConsultStatus.WITHDRAWN
        consult.save(update_fields=["state"])
        clocks_stop(subject=consult, kind=CONSULT_CLOCK)
    stint = current_stint(ticket)
    if stint is not None:
        deadline_cancel(subject=stint, kind=AUTO_ESCALATE)


def _lock_approval_without_waiting(handoff: Handoff, change: str) -> None:
    """The ticket is locked already, while a decision locks its request first and then the
    ticket: waiting for the request here could deadlock. A decision being recorded wins."""
    try:
        with transaction.atomic():
            list(ApprovalRequest.objects.select_for_update(nowait=True).filter(pk=handoff.approval_id)
                 .values_list("pk", flat=True))
    except DatabaseError:
        what = "cancelled" if change == "cancel" else "closed"
        raise Refused(f"The ticket cannot be {what} at this moment", [
            f"the decision being recorded on the escalation to {handoff.to_tier.name} to finish first (try again)"
        ]) from None
