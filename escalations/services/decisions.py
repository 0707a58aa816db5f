"""The IT manager's decision point, when every tier failed (seed 001)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from tickets.models import Status, Ticket
from tickets.services.core import lock_ticket, record_event
from tickets.services.lifecycle import ticket_resolve, ticket_start

from .. import permissions
from ..models import DecisionOutcome, ManagerDecision, Tier, TierKind, TierStint
from ..records import activity_record
from ..selectors import current_stint
from .handoffs import return_to_tier
from .tiers import check_workable, tier_name


def record_decision(
    *,
    ticket: Ticket,
    actor: User,
    outcome: str,
    notes: str,
    to_tier: Tier | None = None,
    root_cause: str = "",
    knowledge_article: str = "",
    knowledge_none_reason: str = "",
) -> ManagerDecision:
    """The IT manager decides what happens when every tier failed (seed 001)."""
    if outcome not in DecisionOutcome.values:
        raise InvalidInput({"outcome": [not_one_of(outcome, DecisionOutcome.values)]})
    with transaction.atomic():
        locked = lock_ticket(ticket)
        stint = _decision_point(locked, actor)
        if outcome == DecisionOutcome.CONTINUE_WITH_VENDOR:
            to_tier = to_tier or stint.tier.path.tiers.filter(kind=TierKind.VENDOR).order_by("-level").first()
        missing = _decision_missing(outcome, notes, root_cause, to_tier)
        if missing:
            raise Refused(gettext("Decision refused"), missing)
        decision = ManagerDecision.objects.create(
            ticket=locked,
            tier=stint.tier,
            outcome=outcome,
            notes=notes.strip(),
            decided_by=actor,
            activity_record=activity_record(locked),
        )
        record_event(
            ticket=locked,
            kind="it_manager_decision",
            actor=actor,
            source=tier_name(stint.tier),
            reason=decision.notes,
            details={
                "decision": decision.pk,
                "outcome": outcome,
                "outcome_label": decision.get_outcome_display(),
            },
        )
        if outcome in (DecisionOutcome.CONTINUE_WITH_VENDOR, DecisionOutcome.RETURN_TO_TIER):
            return_to_tier(
                ticket=locked,
                actor=actor,
                to_tier=to_tier,
                findings=gettext("IT manager's decision: %(outcome)s. %(notes)s")
                % {"outcome": decision.get_outcome_display(), "notes": decision.notes},
            )
        else:
            _resolve_on_decision(
                locked, actor, decision, root_cause, knowledge_article, knowledge_none_reason
            )
    ticket.refresh_from_db()
    return decision


def _decision_point(ticket: Ticket, actor: User) -> TierStint:
    """The ticket's stint at the IT manager decision point, still worked, decided by the IT manager."""
    stint = current_stint(ticket)
    if stint is None or stint.tier.kind != TierKind.DECISION:
        raise Refused(
            gettext("Decision refused"), [gettext("the ticket to be at the IT manager decision point")]
        )
    check_workable(ticket, gettext("Decision"))
    if not permissions.can_decide_at(stint.tier, actor):
        raise PermissionDenied(gettext("Only the IT manager decides here."))
    return stint


def _decision_missing(outcome: str, notes: str, root_cause: str, to_tier: Tier | None) -> list[str]:
    """What the decision lacks: its notes, the root cause of an accepted error or workaround, and
    the tier a continued or returned ticket goes to."""
    missing = [] if (notes or "").strip() else [gettext("decision notes")]
    if (
        outcome in (DecisionOutcome.KNOWN_ERROR, DecisionOutcome.CLOSE_WITH_WORKAROUND)
        and not root_cause.strip()
    ):
        missing.append(gettext("the root cause as far as it is known"))
    if outcome == DecisionOutcome.CONTINUE_WITH_VENDOR and to_tier is None:
        missing.append(gettext("a vendor tier on this ladder"))
    if outcome == DecisionOutcome.RETURN_TO_TIER and to_tier is None:
        missing.append(gettext("the tier to return the ticket to"))
    return missing


def _resolve_on_decision(
    ticket: Ticket,
    actor: User,
    decision: ManagerDecision,
    root_cause: str,
    knowledge_article: str,
    knowledge_none_reason: str,
) -> None:
    """A known error or a workaround accepted: the ticket is resolved with the decision's notes."""
    if ticket.status == Status.OPEN:
        ticket_start(ticket=ticket, actor=actor)
    ticket_resolve(
        ticket=ticket,
        actor=actor,
        resolution_summary=decision.notes,
        root_cause=root_cause,
        fix_kind="known_error" if decision.outcome == DecisionOutcome.KNOWN_ERROR else "workaround",
        knowledge_article=knowledge_article,
        knowledge_none_reason=knowledge_none_reason,
    )
