"""The ticket's lifecycle, as it concerns the ladder: tickets.signals.ticket_changed."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext

from accounts.models import User
from approvals.models import ApprovalRequest
from approvals.services import approval_cancel
from clocks.deadlines import deadline_cancel
from clocks.services import clocks_stop
from escalation_desk.domain import Refused
from escalation_desk.state import change_state
from tickets.models import Ticket
from tickets.services.core import record_event

from ..models import ACTIVE_HANDOFF_STATES, Consult, ConsultStatus, Handoff
from ..selectors import current_stint
from .consults import CONSULT_CLOCK
from .tiers import lock_handoff, place_in_first_tier, retarget_tier_clock
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
        _withdraw_handoff(handoff, ticket, change)
    for consult in Consult.objects.filter(ticket=ticket, state=ConsultStatus.OPEN):
        change_state(
            consult,
            "withdraw",
            actor=None,
            lock=_lock_consult,
            label=gettext("Withdrawal"),
            then=lambda c: clocks_stop(subject=c, kind=CONSULT_CLOCK),
        )
    stint = current_stint(ticket)
    if stint is not None:
        deadline_cancel(subject=stint, kind=AUTO_ESCALATE)


def _withdraw_handoff(handoff: Handoff, ticket: Ticket, change: str) -> None:
    """The ticket (locked already) finished: its hand-off in flight is withdrawn by the system."""

    def lock(handoff: Handoff) -> Handoff:
        if handoff.approval_id is not None:
            _lock_approval_without_waiting(handoff, change)
        return lock_handoff(handoff)

    def record(handoff: Handoff, source: str) -> None:
        record_event(
            ticket=ticket,
            kind="handoff_withdrawn",
            actor=None,
            reason=handoff.withdrawn_reason,
            details={"handoff": handoff.pk},
        )

    def then(handoff: Handoff) -> None:
        if handoff.approval_id is not None:
            approval_cancel(request=handoff.approval, reason=handoff.withdrawn_reason)

    change_state(
        handoff,
        "withdraw",
        actor=None,
        lock=lock,
        label=gettext("Withdrawal"),
        arguments={
            "reason": gettext("The ticket was cancelled.")
            if change == "cancel"
            else gettext("The ticket was closed.")
        },
        record=record,
        then=then,
    )


def _lock_consult(consult: Consult) -> Consult:
    return Consult.objects.select_for_update().get(pk=consult.pk)


def _lock_approval_without_waiting(handoff: Handoff, change: str) -> None:
    """The ticket is locked already, while a decision locks its request first and then the
    ticket: waiting for the request here could deadlock. A decision being recorded wins."""
    try:
        with transaction.atomic():
            list(
                ApprovalRequest.objects.select_for_update(nowait=True)
                .filter(pk=handoff.approval_id)
                .values_list("pk", flat=True)
            )
    except DatabaseError:
        raise Refused(
            gettext("The ticket cannot be cancelled at this moment")
            if change == "cancel"
            else gettext("The ticket cannot be closed at this moment"),
            [
                gettext(
                    "the decision being recorded on the escalation to %(tier)s to finish first (try again)"
                )
                % {"tier": handoff.to_tier.name}
            ],
        ) from None
