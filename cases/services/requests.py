"""Asking to escalate (SPEC §6, seed 002): a customer asks in the portal or the API, or staff
record a request made by phone or e-mail; seed 002's review is answered first."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from tickets import permissions as ticket_permissions
from tickets.models import Channel, Ticket
from tickets.notices import tell_staff
from tickets.services.core import lock_ticket, record_event
from tickets.services.intake import ticket_correct_statement

from .. import permissions
from ..models import LEVEL_ORDER, CaseLevel, CaseReason, CaseRequest, EscalationCase
from .clocks import start_ack_clock
from .core import ESCALATABLE, Review, escalation_managers, open_case
from .participants import engage_requested


def _refused(missing: list[str]) -> Refused:
    return Refused(gettext("Escalation request refused"), missing)


def reason_missing(reason: str, reason_detail: str) -> list[str]:
    if not reason:
        return [gettext("the reason for the escalation")]
    if reason == CaseReason.OTHER and not reason_detail.strip():
        return [gettext("what the reason is (you chose “other”)")]
    return []


def review_missing(ticket: Ticket, reason: str, reason_detail: str, review: Review) -> list[str]:
    missing = reason_missing(reason, reason_detail)
    if review.problem_statement_correct is None:
        missing.append(gettext("whether the problem statement is correct"))
    elif not review.problem_statement_correct and not review.corrected_problem_statement.strip():
        missing.append(gettext("the corrected problem statement"))
    if not review.business_impact.strip():
        missing.append(gettext("the business impact"))
    if ticket.workaround.strip() and not review.workaround_impractical_because.strip():
        missing.append(gettext("why the workaround is impractical or inappropriate"))
    return missing


def case_request(
    *,
    ticket: Ticket,
    actor: User,
    reason: str,
    level: str,
    review: Review,
    reason_detail: str = "",
    channel: str = "",
    review_to_complete: bool = False,
) -> EscalationCase:
    """A customer asks to escalate (portal/API), or staff record a request made by phone or
    e-mail. A request while a case is open adds to that case; the same request twice is one.

    `review_to_complete`: a request that came in by e-mail (the mail intake) carries no answers
    to seed 002's review; it is accepted with the review marked as to be completed by the
    escalation managers with the customer (they record it as a request on the same case)."""
    if not permissions.can_request_case(ticket, actor):
        raise PermissionDenied(gettext("You may not escalate this request."))
    by_customer = ticket_permissions.is_customer_of(ticket, actor)
    _check_choices(reason=reason, level=level, channel=channel, review_to_complete=review_to_complete)
    channel = _complete_request(
        ticket,
        by_customer=by_customer,
        reason=reason,
        reason_detail=reason_detail,
        review=review,
        channel=channel,
        review_to_complete=review_to_complete,
    )
    fields = _request_fields(reason, reason_detail, level, review, review_to_complete)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status not in ESCALATABLE:
            raise _refused(
                [
                    gettext(
                        "a request that is still open or just resolved (this one is %(status)s); open a "
                        "new request instead"
                    )
                    % {"status": locked.get_status_display().lower()}
                ]
            )
        requester = actor if by_customer else locked.requester
        case, created, repeated = _case_to_request_on(locked, requester, fields)
        if repeated:
            return case  # the same request again (a second click): nothing new
        corrected = _correct_statement(locked, actor, review)
        request = CaseRequest.objects.create(
            case=case, requested_by=requester, recorded_by=actor, channel=channel, **fields
        )
        _raise_level(case, level)
        _record_request(case, locked, request, actor=actor, created=created, by_customer=by_customer)
        if created:
            start_ack_clock(case, locked)
        _tell_escalation_managers(
            case, locked, request, actor=actor, by_customer=by_customer, created=created, corrected=corrected
        )
        engage_requested(case, locked, level, actor)
    return case


def _check_choices(*, reason: str, level: str, channel: str, review_to_complete: bool) -> None:
    """Input that can never be accepted: an unknown reason, level or channel; a review left to
    complete on a request that did not come in by e-mail."""
    errors: dict[str, list[str]] = {}
    if reason and reason not in CaseReason.values:
        errors["reason"] = [not_one_of(reason, CaseReason.values)]
    if level not in CaseLevel.values:
        errors["level"] = [not_one_of(level, CaseLevel.values)]
    if channel and channel not in Channel.values:
        errors["channel"] = [not_one_of(channel, Channel.values)]
    if errors:
        raise InvalidInput(errors)
    if review_to_complete and channel != Channel.EMAIL:
        raise InvalidInput(
            {
                "review_to_complete": [
                    gettext("Only a request that came in by e-mail may leave the review to be completed.")
                ]
            }
        )


def _complete_request(
    ticket: Ticket,
    *,
    by_customer: bool,
    reason: str,
    reason_detail: str,
    review: Review,
    channel: str,
    review_to_complete: bool,
) -> str:
    """Refuse a request that lacks what it needs (all of it listed); returns the channel it came by."""
    missing = (
        reason_missing(reason, reason_detail)
        if review_to_complete
        else review_missing(ticket, reason, reason_detail, review)
    )
    if by_customer:
        allowed = (
            (Channel.PORTAL, Channel.API, Channel.EMAIL)
            if review_to_complete
            else (Channel.PORTAL, Channel.API)
        )
        channel = channel if channel in allowed else Channel.PORTAL
    elif channel not in (Channel.PHONE, Channel.EMAIL):
        missing.append(gettext("how the customer asked (phone or e-mail)"))
    if missing:
        raise _refused(missing)
    return channel


def _request_fields(
    reason: str, reason_detail: str, level: str, review: Review, review_to_complete: bool
) -> dict[str, Any]:
    return {
        "reason": reason,
        "reason_detail": reason_detail.strip(),
        "level": level,
        "problem_statement_correct": bool(review.problem_statement_correct),
        "corrected_problem_statement": review.corrected_problem_statement.strip(),
        "business_impact": review.business_impact.strip(),
        "workaround_impractical_because": review.workaround_impractical_because.strip(),
        "critical_milestone": review.critical_milestone,
        "review_to_complete": review_to_complete,
    }


def _case_to_request_on(
    ticket: Ticket, requester: User, fields: dict[str, Any]
) -> tuple[EscalationCase, bool, bool]:
    """The open case the request adds to, else a new one; whether it is new, and whether the
    requester's last request on the open case is this same one."""
    case = open_case(ticket)
    if case is not None:
        last = case.requests.order_by("-pk").first()
        if (
            last is not None
            and last.requested_by_id == requester.pk
            and all(getattr(last, name) == value for name, value in fields.items())
        ):
            return case, False, True
        return case, False, False
    try:
        with transaction.atomic():
            case = EscalationCase.objects.create(
                ticket=ticket, reason=fields["reason"], level=fields["level"]
            )
    except IntegrityError:  # pragma: no cover - the ticket lock serialises requests
        raise _refused([gettext("a moment: another request is being filed")]) from None
    return case, True, False


def _raise_level(case: EscalationCase, level: str) -> None:
    if LEVEL_ORDER.index(level) > LEVEL_ORDER.index(case.level):
        case.level = level
        case.save(update_fields=["level"])


def _record_request(
    case: EscalationCase,
    ticket: Ticket,
    request: CaseRequest,
    *,
    actor: User,
    created: bool,
    by_customer: bool,
) -> None:
    record_event(
        ticket=ticket,
        kind="case_requested" if created else "case_request_added",
        actor=actor,
        target=case.status,
        reason=_request_in_words(request),
        details={
            "case": case.pk,
            "request": request.pk,
            "level": request.level,
            "reason": request.reason,
            "channel": request.channel,
            "on_behalf_of": request.requested_by_id if not by_customer else None,
        },
        is_public=True,
    )


def _tell_escalation_managers(
    case: EscalationCase,
    ticket: Ticket,
    request: CaseRequest,
    *,
    actor: User,
    by_customer: bool,
    created: bool,
    corrected: list[str],
) -> None:
    requester = request.requested_by
    tell_staff(
        ticket=ticket,
        actor=actor,
        recipients=escalation_managers() + ([case.escalation_manager] if case.escalation_manager else []),
        kind="escalations.case_requested",
        context={
            "case_id": case.pk,
            "organisation": str(ticket.organisation),
            "requested_by": str(requester),
            "recorded_by": "" if by_customer else str(actor),
            "channel": request.channel,
            "level": request.get_level_display(),
            "reason": request.get_reason_display(),
            "reason_detail": request.reason_detail,
            "business_impact": request.business_impact,
            "corrected": corrected,
            "added": not created,
            "message": gettext(
                "%(organisation)s asks to escalate %(reference)s %(summary)s: %(reason)s; %(level)s "
                "requested."
            )
            % {
                "organisation": ticket.organisation,
                "reference": ticket.reference,
                "summary": ticket.summary,
                "reason": request.get_reason_display(),
                "level": request.get_level_display(),
            },
        },
        dedup_key=f"case-request:{request.pk}",
    )


# The intake fields seed 002's review may correct, in the escalation managers' words.
CORRECTED_WORDS = {
    "description": _("problem statement"),
    "business_impact": _("business impact"),
    "critical_milestone": _("critical milestone"),
}


def _request_in_words(request: CaseRequest) -> str:
    """The timeline's words: "Critical business impact: The team leader requested — why"."""
    values = {
        "reason": request.get_reason_display(),
        "level": request.get_level_display(),
        "detail": request.reason_detail,
    }
    if request.reason_detail:
        return gettext("%(reason)s: %(level)s requested — %(detail)s") % values
    return gettext("%(reason)s: %(level)s requested") % values


def _correct_statement(ticket: Ticket, actor: User, review: Review) -> list[str]:
    """Seed 002's review corrected the problem statement, business impact or milestone: the
    ticket's intake takes the corrected values (the previous text stays in the timeline), so
    staff, the case brief and the portal all read the corrected statement. Returns what changed."""
    changes: dict[str, Any] = {}
    statement = review.corrected_problem_statement.strip()
    if review.problem_statement_correct is False and statement and statement != ticket.description.strip():
        changes["description"] = statement
    impact = review.business_impact.strip()
    if impact and impact != ticket.business_impact.strip():
        changes["business_impact"] = impact
    if review.critical_milestone is not None and review.critical_milestone != ticket.critical_milestone:
        changes["critical_milestone"] = review.critical_milestone
    if not changes:
        return []
    ticket_correct_statement(
        ticket=ticket, actor=actor, why=gettext("Corrected while asking to escalate."), **changes
    )
    return [str(CORRECTED_WORDS[field]) for field in changes]
