"""Escalate, return and withdraw a hand-off (SPEC §3).

Each service locks the ticket row first (the same lock the ticket services take, so two
people, or a person and the sweep, moving one ticket are serialised), then checks the
state (including that the ticket is still where the caller believed: a race loser hears
where it went, 409), then the actor's permission (403), then what the move requires, and
changes state and writes its timeline events in one transaction. A refusal raises before
anything is saved and lists what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from approvals.models import ApprovalRequest
from approvals.services import approval_cancel
from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.state import change_state
from tickets.models import Ticket
from tickets.services.core import lock_ticket, record_event

from .. import permissions
from ..models import Direction, EscalationCriterion, Handoff, HandoffStatus, Tier, TierStint
from ..records import assemble_package
from ..selectors import active_handoff, handoff_missing, next_tier
from .approval_gate import handoff_submit
from .tiers import check_workable, complete_handoff, tier_name


def _check_no_active(ticket: Ticket, what: str) -> None:
    pending = active_handoff(ticket)
    if pending is not None:
        raise Refused(
            gettext("%(change)s refused") % {"change": what},
            [
                gettext(
                    "no other hand-off in flight: %(from_tier)s → %(to_tier)s is %(status)s "
                    "(withdraw it first)"
                )
                % {
                    "from_tier": pending.from_tier.name,
                    "to_tier": pending.to_tier.name,
                    "status": pending.get_status_display().lower(),
                }
            ],
        )


def _who_moved(stint: TierStint) -> str:
    """Who brought the ticket into this stint's tier: the approver of a gated hand-off, the
    requester of a plain one, the system for an automatic one or a placement at triage."""
    handoff = stint.handoff
    if handoff is None:
        return gettext("the system")
    if handoff.approval_id is not None and handoff.approval.decided_by_id is not None:
        return str(handoff.approval.decided_by)
    if handoff.automatic or handoff.requested_by_id is None:
        return gettext("the system")
    return str(handoff.requested_by)


def moved_refusal(what: str, stint: TierStint, believed: Tier) -> Refused:
    """The 409 a caller hears whose ticket left the tier they believed it in: where it went, by whom, when."""
    when = f"{timezone.localtime(stint.entered_at):%d %b %Y %H:%M}"
    return Refused(
        gettext("This ticket has already moved to %(tier)s (by %(who)s, %(when)s)")
        % {"tier": stint.tier.name, "who": _who_moved(stint), "when": when},
        [
            gettext("the ticket to still be in %(believed)s: it is now in %(tier)s")
            % {"believed": believed.name, "tier": stint.tier.name}
        ],
    )


def _stint_with_mover(ticket: Ticket) -> TierStint | None:
    return (
        TierStint.objects.filter(ticket=ticket, left_at__isnull=True)
        .select_related(
            "tier",
            "tier__team",
            "tier__path",
            "clock",
            "handoff__requested_by",
            "handoff__approval__decided_by",
        )
        .first()
    )


def believed_tier(ticket_pk: Any, from_tier: Tier | None = None) -> Tier | None:
    """Where the caller believes the ticket is: the tier they name, else where it is now. Read
    when a request begins (before the ticket itself), so a move committed meanwhile is a 409."""
    if from_tier is not None:
        return from_tier
    stint = (
        TierStint.objects.filter(ticket_id=ticket_pk, left_at__isnull=True)
        .select_related("tier__path")
        .first()
    )
    return stint.tier if stint else None


def has_moved_from(ticket: Ticket, believed: Tier | None) -> bool:
    """The ticket is no longer in the tier the caller believes (views then leave the refusal
    to the service, which says where it went, instead of a 403 from the new team's rules)."""
    if believed is None:
        return False
    stint = TierStint.objects.filter(ticket=ticket, left_at__isnull=True).only("tier_id").first()
    return stint is not None and stint.tier_id != believed.pk


def _expected_tier(stint: TierStint | None, believed: Tier | None, what: str) -> TierStint:
    if stint is None:
        raise Refused(
            gettext("%(change)s refused") % {"change": what},
            [gettext("a ticket placed on its service's ladder (triage it first)")],
        )
    if believed is not None and stint.tier_id != believed.pk:
        raise moved_refusal(what, stint, believed)
    return stint


def _lock_for_handoff(
    ticket: Ticket,
    actor: User,
    from_tier: Tier | None,
    what: str,
    allowed: Callable[[Ticket, User], bool],
    denied: str,
) -> tuple[Ticket, TierStint]:
    """Lock the ticket, then check its state and that it is where the caller believed, then
    the actor's permission (escalate, return). Without from_tier the belief is where the
    ticket was when this call began: a caller who lost a race learns where it went (409)
    rather than being refused by its new team's rules (403)."""
    believed = believed_tier(ticket.pk, from_tier)
    locked = lock_ticket(ticket)
    check_workable(locked, what)
    stint = _expected_tier(_stint_with_mover(locked), believed, what)
    if not allowed(locked, actor):
        raise PermissionDenied(denied)
    _check_no_active(locked, what)
    return locked, stint


def escalate(
    *,
    ticket: Ticket,
    actor: User,
    to_tier: Tier | None = None,
    criterion: EscalationCriterion | None = None,
    findings: str = "",
    workaround: str = "",
    evidence_note: str = "",
    from_tier: Tier | None = None,
) -> Handoff:
    """Hand the ticket up to the next (or a chosen higher) tier with its package. A gated
    tier files an approval request instead of completing; a package that does not meet the
    tier's requirements is refused with what is missing."""
    with transaction.atomic():
        locked, stint = _lock_for_handoff(
            ticket,
            actor,
            from_tier,
            gettext("Escalation"),
            permissions.can_escalate,
            gettext("You may not escalate this ticket."),
        )
        here = stint.tier
        target = _target_above(here, to_tier, criterion)
        missing = handoff_missing(
            locked, here, target, criterion=criterion, findings=findings, evidence_note=evidence_note
        )
        if missing:
            raise Refused(gettext("Escalation to %(tier)s refused") % {"tier": target.name}, missing)
        previous = _sent_back_before(locked, target)
        handoff = Handoff.objects.create(
            ticket=locked,
            from_tier=here,
            to_tier=target,
            direction=Direction.ESCALATE,
            criterion=criterion,
            criterion_text=criterion.text if criterion else "",
            findings=findings.strip(),
            workaround=(workaround or "").strip(),
            evidence_note=(evidence_note or "").strip(),
            requested_by=actor,
            package=assemble_package(
                locked,
                here,
                target,
                criterion=criterion,
                findings=findings.strip(),
                workaround=workaround,
                evidence_note=evidence_note,
            ),
            previous=previous,
        )
        handoff_submit(handoff, locked, actor)
    return handoff


def _target_above(here: Tier, to_tier: Tier | None, criterion: EscalationCriterion | None) -> Tier:
    """The tier to escalate to: the one chosen, else the next; above here on the same ladder, and
    the criterion (if any) one of its own."""
    target = to_tier or next_tier(here)
    if target is None:
        raise Refused(
            gettext("Escalation refused"),
            [gettext("a tier above %(tier)s on the ladder") % {"tier": here.name}],
        )
    if target.path_id != here.path_id or target.level <= here.level:
        raise InvalidInput(
            {
                "to_tier": [
                    gettext("%(target)s is not above %(tier)s on this ticket's ladder.")
                    % {"target": target, "tier": here.name}
                ]
            }
        )
    if criterion is not None and criterion.tier_id != target.pk:
        raise InvalidInput(
            {
                "criterion": [
                    gettext('"%(criterion)s" is not a criterion of %(tier)s.')
                    % {"criterion": criterion, "tier": target.name}
                ]
            }
        )
    return target


def _sent_back_before(ticket: Ticket, target: Tier) -> Handoff | None:
    """The latest hand-off to the same tier that was sent back, which this request follows up.
    A sent-back request that already had its follow-up (since withdrawn) is not followed twice."""
    return (
        Handoff.objects.filter(
            ticket=ticket,
            to_tier=target,
            status=HandoffStatus.SENT_BACK,
            approval__follow_up__isnull=True,
        )
        .select_related("approval")
        .order_by("-pk")
        .first()
    )


def return_to_tier(
    *,
    ticket: Ticket,
    actor: User,
    to_tier: Tier,
    findings: str,
    workaround: str = "",
    from_tier: Tier | None = None,
) -> Handoff:
    """Hand the ticket down (no approval), e.g. Engineering back to Tier 1 to verify the fix
    with the customer and communicate the resolution (seed 003)."""
    with transaction.atomic():
        locked, stint = _lock_for_handoff(
            ticket,
            actor,
            from_tier,
            gettext("Return"),
            permissions.can_return,
            gettext("You may not return this ticket."),
        )
        here = stint.tier
        if to_tier.path_id != here.path_id or to_tier.level >= here.level:
            raise InvalidInput(
                {
                    "to_tier": [
                        gettext("%(target)s is not below %(tier)s on this ticket's ladder.")
                        % {"target": to_tier, "tier": here.name}
                    ]
                }
            )
        if not (findings or "").strip():
            raise Refused(
                gettext("Return to %(tier)s refused") % {"tier": to_tier.name},
                [gettext("what was done and what %(tier)s should do next") % {"tier": to_tier.name}],
            )
        handoff = Handoff.objects.create(
            ticket=locked,
            from_tier=here,
            to_tier=to_tier,
            direction=Direction.RETURN,
            findings=findings.strip(),
            workaround=(workaround or "").strip(),
            requested_by=actor,
            package=assemble_package(locked, here, to_tier, findings=findings.strip(), workaround=workaround),
        )
        record_event(
            ticket=locked,
            kind="handoff_requested",
            actor=actor,
            source=tier_name(here),
            target=tier_name(to_tier),
            reason=handoff.findings,
            details={"handoff": handoff.pk, "direction": Direction.RETURN},
        )
        complete_handoff(handoff, locked, actor)
    return handoff


def _lock_for_withdrawal(handoff: Handoff) -> Handoff:
    """The approval request first, then the ticket, then the hand-off: the order a decision takes its
    locks in."""
    if handoff.approval_id is not None:
        ApprovalRequest.objects.select_for_update().filter(pk=handoff.approval_id).first()
    locked_ticket = lock_ticket(handoff.ticket)
    locked = Handoff.objects.select_for_update().select_related("from_tier", "to_tier").get(pk=handoff.pk)
    locked.ticket = locked_ticket
    return locked


def handoff_withdraw(*, handoff: Handoff, actor: User | None, reason: str) -> Handoff:
    """Withdraw a hand-off still waiting (for approval); its approval request is cancelled.
    Lock, then state (still in flight), then permission: a loser of a race hears 409."""

    def not_possible(locked: Handoff) -> Refused:
        return Refused(
            gettext("Withdrawal refused"),
            [
                gettext("a hand-off still in flight (this one is %(status)s)")
                % {"status": locked.get_status_display().lower()}
            ],
        )

    def record(locked: Handoff, source: str) -> None:
        record_event(
            ticket=locked.ticket,
            kind="handoff_withdrawn",
            actor=actor,
            source=tier_name(locked.from_tier),
            target=tier_name(locked.to_tier),
            reason=reason,
            details={"handoff": locked.pk},
        )

    def then(locked: Handoff) -> None:
        if locked.approval_id is not None:
            approval_cancel(
                request=locked.approval, reason=gettext("Hand-off withdrawn: %(reason)s") % {"reason": reason}
            )

    locked = change_state(
        handoff,
        "withdraw",
        actor=actor,
        lock=_lock_for_withdrawal,
        label=gettext("Withdrawal"),
        not_possible=not_possible,
        allowed=lambda locked, user: user is None or permissions.can_withdraw(locked, user),
        denied=gettext("You may not withdraw this hand-off."),
        missing=lambda _h: (
            [gettext("the reason for withdrawing")]
            if actor is not None and not (reason or "").strip()
            else []
        ),
        arguments={"reason": (reason or "").strip()},
        record=record,
        then=then,
    )
    handoff.refresh_from_db()
    return locked
