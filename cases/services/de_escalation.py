"""De-escalation (seed 002): the escalation manager proposes it once the action plan is accepted
and the root cause analysis is on track; the customer agrees (one click) or keeps the escalation.
And a case closes with its ticket."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import User
from escalation_desk import links
from escalation_desk.domain import Refused
from escalation_desk.state import change_state
from tickets import permissions as ticket_permissions
from tickets.models import Channel, Ticket
from tickets.services.core import record_event

from .. import permissions
from ..models import OPEN_CASE_STATES, CaseStatus, EscalationCase
from .clocks import stop_clock
from .core import ACK_CLOCK, UPDATE_CLOCK, locked_case, require_manager, tell_case_customers, tell_case_staff


class _AnsweredAlready(Refused):
    """The customer's second click on "agree": the case is de-escalated already."""

    def __init__(self, case: EscalationCase) -> None:
        super().__init__("Answer refused", ["a proposal to de-escalate"])
        self.case = case


def case_propose_de_escalation(
    *, case: EscalationCase, actor: User, action_plan_accepted: bool, rca_on_track: bool, note: str = ""
) -> EscalationCase:
    """active → de-escalation proposed: the escalation manager confirms the action plan is accepted
    and the root cause analysis is on track; the customer is asked to agree."""
    require_manager(actor)
    missing = ([] if action_plan_accepted else ["confirmation that the action plan is acceptable"]) + (
        [] if rca_on_track else ["confirmation that troubleshooting or root cause analysis is on track"]
    )
    if missing:
        raise Refused("Proposing de-escalation refused", missing)

    def not_possible(locked: EscalationCase) -> Refused:
        return Refused(
            "Proposing de-escalation refused",
            [f"an active escalation (this one is {locked.get_status_display().lower()})"],
        )

    def put_confirmations(locked: EscalationCase) -> None:
        locked.action_plan_accepted = locked.rca_on_track = True
        locked.de_escalation_note = note.strip()

    def record(locked: EscalationCase, source: str) -> None:
        record_event(
            ticket=locked.ticket,
            kind="case_de_escalation_proposed",
            actor=actor,
            source=source,
            target=locked.status,
            reason=note.strip() or "The request is back on track.",
            details={"case": locked.pk},
            is_public=True,
        )

    locked = change_state(
        case,
        "propose_de_escalation",
        actor=actor,
        lock=locked_case,
        label="Proposing de-escalation",
        not_possible=not_possible,
        prepare=put_confirmations,
        record=record,
        then=lambda locked: _tell_proposal(locked, actor=actor, note=note.strip()),
    )
    case.refresh_from_db()
    return locked


def _tell_proposal(case: EscalationCase, *, actor: User, note: str) -> None:
    """The participants hear of the proposal; the customers are asked to agree (one click)."""
    ticket = case.ticket
    tell_case_staff(
        case,
        ticket,
        kind="escalations.case_de_escalation_proposed",
        actor=actor,
        context={
            "note": note,
            "message": f"{actor} proposed to de-escalate {ticket.reference}: the action plan is "
            "agreed and the "
            f"root cause analysis is on track. The customer is asked to agree in the portal.",
        },
    )
    tell_case_customers(
        case,
        ticket,
        kind="escalations.customer_de_escalation_proposed",
        actor=actor,
        context={
            "note": note,
            "agree_url": links.absolute(links.portal_escalation_agree_path(ticket.pk, case.pk)),
            "message": f"The action plan for {ticket.reference} is agreed and the root cause "
            "analysis is on track, "
            f"so we propose to close the escalation. Your request carries on with our support team.",
        },
    )


def case_answer_de_escalation(
    *, case: EscalationCase, actor: User, agree: bool, comment: str = "", channel: str = ""
) -> EscalationCase:
    """The customer agrees (one click in the portal) or not; staff record the customer's answer
    with the channel it came by."""
    by_customer, channel = _who_answers(case, actor, channel)
    if not agree and not comment.strip():
        raise Refused("Keeping the escalation refused", ["why the request is not back on track"])

    def not_possible(locked: EscalationCase) -> Refused:
        if agree and locked.status == CaseStatus.DE_ESCALATED:
            return _AnsweredAlready(locked)
        return Refused("Answer refused", ["a proposal to de-escalate"])

    def stop_update_clock(locked: EscalationCase) -> None:
        if agree:
            stop_clock(locked, UPDATE_CLOCK)

    def record(locked: EscalationCase, source: str) -> None:
        record_event(
            ticket=locked.ticket,
            kind="case_de_escalated" if agree else "case_kept_escalated",
            actor=actor,
            source=source,
            target=locked.status,
            reason=comment.strip(),
            details={"case": locked.pk, "channel": channel, "by_customer": by_customer},
            is_public=True,
        )

    try:
        locked = change_state(
            case,
            "de_escalate" if agree else "keep_escalated",
            actor=actor,
            lock=locked_case,
            label="Answer",
            not_possible=not_possible,
            prepare=stop_update_clock,
            record=record,
            arguments={"by_id": actor.pk, "channel": channel, "comment": comment.strip()} if agree else None,
            then=lambda locked: _tell_answer(
                locked,
                actor=actor,
                agree=agree,
                comment=comment.strip(),
                channel=channel,
                by_customer=by_customer,
            ),
        )
    except _AnsweredAlready as second_click:
        return second_click.case
    case.refresh_from_db()
    return locked


def _who_answers(case: EscalationCase, actor: User, channel: str) -> tuple[bool, str]:
    """Whether the customer answers themselves, and the channel the answer came by: the portal
    (or the API) for the customer, the phone or e-mail staff name when they record it."""
    by_customer = ticket_permissions.is_customer_of(case.ticket, actor)
    if not permissions.can_answer_de_escalation(case.ticket, actor):
        raise PermissionDenied(
            "Only the customer, or an escalation manager recording their answer, may answer."
        )
    if by_customer:
        return True, channel if channel in (Channel.PORTAL, Channel.API) else Channel.PORTAL
    if channel not in (Channel.PHONE, Channel.EMAIL):
        raise Refused(
            "Recording the customer's answer refused", ["how the customer answered (phone or e-mail)"]
        )
    return False, channel


def _tell_answer(
    case: EscalationCase, *, actor: User, agree: bool, comment: str, channel: str, by_customer: bool
) -> None:
    """The participants hear the customer's answer; the customer hears what staff recorded for them."""
    ticket = case.ticket
    customer = actor if by_customer else ticket.requester
    answer = {
        "agreed": agree,
        "customer": str(customer),
        "comment": comment,
        "channel": channel,
        "recorded_by": "" if by_customer else str(actor),
    }
    tell_case_staff(
        case,
        ticket,
        kind="escalations.case_answered",
        actor=actor,
        context={
            **answer,
            "message": f"{ticket.reference}: {customer} "
            f"{'agreed to de-escalate' if agree else 'keeps the escalation'}"
            + (f" — {comment}" if comment else "")
            + f" ({channel}).",
        },
    )
    if not by_customer:  # the customer is told what staff recorded for them
        tell_case_customers(
            case,
            ticket,
            kind="escalations.customer_answer_recorded",
            actor=actor,
            context={
                **answer,
                "message": (
                    f"We recorded that you agreed to close the escalation of {ticket.reference}; "
                    "your request carries on with our support team."
                    if agree
                    else f"We recorded that you want {ticket.reference} to stay escalated."
                ),
            },
        )


def close_cases_with(ticket: Ticket) -> None:
    """The ticket closed or was cancelled: its open case closes too (ticket_changed receiver; the
    ticket's service holds the ticket's lock)."""
    for case in EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES):
        change_state(
            case,
            "close",
            actor=None,
            lock=lambda row: row,
            label="Closing the escalation",
            record=lambda locked, source: record_event(
                ticket=ticket,
                kind="case_closed",
                actor=None,
                source=source,
                target=locked.status,
                reason="The escalation closed with the request.",
                details={"case": locked.pk},
                is_public=True,
            ),
            then=_stop_clocks,
        )


def _stop_clocks(case: EscalationCase) -> None:
    for kind in (ACK_CLOCK, UPDATE_CLOCK):
        stop_clock(case, kind)
