"""De-escalation (seed 002): the escalation manager proposes it once the action plan is accepted
and the root cause analysis is on track; the customer agrees (one click) or keeps the escalation.
And a case closes with its ticket."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

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
from .core import (
    ACK_CLOCK,
    UPDATE_CLOCK,
    an_active_escalation,
    locked_case,
    require_manager,
    tell_case_customers,
    tell_case_staff,
)


class _AnsweredAlready(Refused):
    """The customer's second click on "agree": the case is de-escalated already."""

    def __init__(self, case: EscalationCase) -> None:
        super().__init__(gettext("Answer refused"), [gettext("a proposal to de-escalate")])
        self.case = case


def case_propose_de_escalation(
    *, case: EscalationCase, actor: User, action_plan_accepted: bool, rca_on_track: bool, note: str = ""
) -> EscalationCase:
    """active → de-escalation proposed: the escalation manager confirms the action plan is accepted
    and the root cause analysis is on track; the customer is asked to agree."""
    require_manager(actor)
    missing = [
        item
        for confirmed, item in (
            (action_plan_accepted, gettext("confirmation that the action plan is acceptable")),
            (rca_on_track, gettext("confirmation that troubleshooting or root cause analysis is on track")),
        )
        if not confirmed
    ]
    if missing:
        raise Refused(gettext("Proposing de-escalation refused"), missing)

    def not_possible(locked: EscalationCase) -> Refused:
        return Refused(gettext("Proposing de-escalation refused"), [an_active_escalation(locked)])

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
            reason=note.strip() or gettext("The request is back on track."),
            details={"case": locked.pk},
            is_public=True,
        )

    locked = change_state(
        case,
        "propose_de_escalation",
        actor=actor,
        lock=locked_case,
        label=gettext("Proposing de-escalation"),
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
            "message": gettext(
                "%(actor)s proposed to de-escalate %(reference)s: the action plan is agreed and the root "
                "cause analysis is on track. The customer is asked to agree in the portal."
            )
            % {"actor": actor, "reference": ticket.reference},
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
            "message": gettext(
                "The action plan for %(reference)s is agreed and the root cause analysis is on track, so "
                "we propose to close the escalation. Your request carries on with our support team."
            )
            % {"reference": ticket.reference},
        },
    )


def case_answer_de_escalation(
    *, case: EscalationCase, actor: User, agree: bool, comment: str = "", channel: str = ""
) -> EscalationCase:
    """The customer agrees (one click in the portal) or not; staff record the customer's answer
    with the channel it came by."""
    by_customer, channel = _who_answers(case, actor, channel)
    if not agree and not comment.strip():
        raise Refused(
            gettext("Keeping the escalation refused"), [gettext("why the request is not back on track")]
        )

    def not_possible(locked: EscalationCase) -> Refused:
        if agree and locked.status == CaseStatus.DE_ESCALATED:
            return _AnsweredAlready(locked)
        return Refused(gettext("Answer refused"), [gettext("a proposal to de-escalate")])

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
            label=gettext("Answer"),
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
            gettext("Only the customer, or an escalation manager recording their answer, may answer.")
        )
    if by_customer:
        return True, channel if channel in (Channel.PORTAL, Channel.API) else Channel.PORTAL
    if channel not in (Channel.PHONE, Channel.EMAIL):
        raise Refused(
            gettext("Recording the customer's answer refused"),
            [gettext("how the customer answered (phone or e-mail)")],
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
            "message": _answer_in_words(ticket, customer, agree=agree, comment=comment, channel=channel),
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
                    gettext(
                        "We recorded that you agreed to close the escalation of %(reference)s; your "
                        "request carries on with our support team."
                    )
                    if agree
                    else gettext("We recorded that you want %(reference)s to stay escalated.")
                )
                % {"reference": ticket.reference},
            },
        )


def _answer_in_words(ticket: Ticket, customer: User, *, agree: bool, comment: str, channel: str) -> str:
    """The participants' words for the answer: "ED-000042: Carla agreed to de-escalate — Thanks (portal)."."""
    values = {"reference": ticket.reference, "customer": customer, "comment": comment, "channel": channel}
    if agree and comment:
        return (
            gettext("%(reference)s: %(customer)s agreed to de-escalate — %(comment)s (%(channel)s).") % values
        )
    if agree:
        return gettext("%(reference)s: %(customer)s agreed to de-escalate (%(channel)s).") % values
    if comment:
        return (
            gettext("%(reference)s: %(customer)s keeps the escalation — %(comment)s (%(channel)s).") % values
        )
    return gettext("%(reference)s: %(customer)s keeps the escalation (%(channel)s).") % values


def close_cases_with(ticket: Ticket) -> None:
    """The ticket closed or was cancelled: its open case closes too (ticket_changed receiver; the
    ticket's service holds the ticket's lock)."""
    for case in EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES):
        change_state(
            case,
            "close",
            actor=None,
            lock=lambda row: row,
            label=gettext("Closing the escalation"),
            record=lambda locked, source: record_event(
                ticket=ticket,
                kind="case_closed",
                actor=None,
                source=source,
                target=locked.status,
                reason=gettext("The escalation closed with the request."),
                details={"case": locked.pk},
                is_public=True,
            ),
            then=_stop_clocks,
        )


def _stop_clocks(case: EscalationCase) -> None:
    for kind in (ACK_CLOCK, UPDATE_CLOCK):
        stop_clock(case, kind)
