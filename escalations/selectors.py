"""Reads of the ladder, nothing here writes: a ticket's place on its ladder and the tiers'
queues for the API, each in a fixed number of queries whatever the number of hand-offs,
consults or tickets; and
what the services and the screens read of a ladder: its tiers, the ticket's current stint,
what entering a tier requires and what a hand-off package lacks. The package itself and the
activity record the IT manager decides on are escalations.records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext, ngettext

from accounts.models import Team, User
from approvals import permissions as approval_permissions
from clocks.batch import prefetched
from escalation_desk.folding import Fold, extra_of, set_prefetched
from tickets import permissions as ticket_permissions
from tickets import selectors as ticket_selectors
from tickets.models import (
    OPEN_STATES,
    Attachment,
    StepState,
    Ticket,
    TroubleshootingStep,
)
from tickets.read_model import is_known_empty

from . import permissions
from .batch_reads import LADDER, STEPS
from .models import (
    ACTIVE_HANDOFF_STATES,
    Consult,
    ConsultStatus,
    EscalationCriterion,
    EscalationPath,
    Handoff,
    ManagerDecision,
    Tier,
    TierKind,
    TierStint,
    VendorEngagement,
    VendorUpdate,
)

if TYPE_CHECKING:
    from approvals.models import ApprovalRequest


def may_see_ladders(user: User) -> bool:
    """Tiers, hand-offs and packages are internal: staff who see ticket internals."""
    return ticket_permissions.can_view_internal(user)


def get_ticket_for(user: User, pk: int | str) -> Ticket:
    """A ticket whose ladder the user may see; 404 otherwise (customers never see the ladder)."""
    if not may_see_ladders(user):
        raise Http404(gettext("No such ticket."))
    return ticket_selectors.get_ticket_for(
        user, pk, queryset=Ticket.objects.select_related("team", "assignee", "service")
    )


def _visible_ticket_object(
    model: type[Any], user: User, pk: int | str, not_found: str, related: tuple[str, ...] = ()
) -> Any:
    """A hand-off, consult or vendor engagement on a ticket the user may see the ladder of;
    `not_found` is the 404's message."""
    if not may_see_ladders(user):
        raise Http404(not_found)
    try:
        obj = model.objects.select_related("ticket", "ticket__team", "ticket__assignee", *related).get(
            pk=int(pk)
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(not_found) from None
    if not ticket_permissions.can_view_ticket(obj.ticket, user):
        raise Http404(not_found)
    return obj


def get_handoff_for(user: User, pk: int | str) -> Handoff:
    related = ("from_tier", "to_tier", "approval")
    return _visible_ticket_object(Handoff, user, pk, gettext("No such hand-off."), related)


def get_consult_for(user: User, pk: int | str) -> Consult:
    return _visible_ticket_object(Consult, user, pk, gettext("No such consult."), ("team",))


def get_engagement_for(user: User, pk: int | str) -> VendorEngagement:
    return _visible_ticket_object(
        VendorEngagement, user, pk, gettext("No such vendor engagement."), ("tier",)
    )


# --- what moved the ticket on its ladder: each read once, shared by the API and the console ----


# What moved the ticket, folded into the ticket page's query of the ticket (ticket_folds(),
# escalation_desk.folding): read back by handoffs_of, consults_of, engagements_of and decisions_of.
APPROVERS = Fold(User.objects.filter(approvals_to_decide=OuterRef("approval_id")))
UPDATES = Fold(VendorUpdate.objects.filter(engagement_id=OuterRef("pk")), related=("recorded_by",))
# The rows read with each one, by the fold and by the reader's own query alike.
HANDOFF_RELATIONS = (
    "from_tier",
    "to_tier",
    "requested_by",
    "approval",
    "approval__decided_by",
    "approval__requested_by",
)
CONSULT_RELATIONS = ("team", "requested_by", "replied_by")
ENGAGEMENT_RELATIONS = ("tier", "engaged_by")
DECISION_RELATIONS = ("tier", "decided_by")
TICKET_FOLDS = {
    "handoffs": Fold(
        Handoff.objects.filter(ticket_id=OuterRef("pk")).order_by("requested_at", "pk"),
        related=HANDOFF_RELATIONS,
        extra={"approvers": APPROVERS.expression()},
    ),
    "consults": Fold(
        Consult.objects.filter(ticket_id=OuterRef("pk")).order_by("requested_at", "pk"),
        related=CONSULT_RELATIONS,
    ),
    "engagements": Fold(
        VendorEngagement.objects.filter(ticket_id=OuterRef("pk")).order_by("engaged_at", "pk"),
        related=ENGAGEMENT_RELATIONS,
        extra={"updates": UPDATES.expression()},
    ),
    "decisions": Fold(
        ManagerDecision.objects.filter(ticket_id=OuterRef("pk")).order_by("decided_at", "pk"),
        related=DECISION_RELATIONS,
    ),
}


def ticket_folds() -> dict[str, Any]:
    """The annotations that read the ticket's hand-offs, consults, vendor engagements (with their
    updates) and IT manager decisions with the ticket (tickets.read_model's `annotations`)."""
    return {f"folded_{name}": fold.on(Ticket) for name, fold in TICKET_FOLDS.items()}


def _folded(ticket: Ticket, name: str) -> list[Any] | None:
    """The rows of TICKET_FOLDS[name] read with the ticket, or None when they were not."""
    text = getattr(ticket, f"folded_{name}", None)
    if text is None:
        return None
    rows = TICKET_FOLDS[name].rows(text)
    for row in rows:
        row.ticket = ticket  # permission checks read it: no query per row
    return rows


def handoffs_of(ticket: Ticket) -> list[Handoff]:
    """The ticket's hand-offs, oldest first, with their tiers, requester and approval."""
    if is_known_empty(ticket, "has_handoffs"):  # read with the ticket (tickets.read_model)
        return []
    folded = _folded(ticket, "handoffs")
    if folded is not None:
        for handoff in folded:
            if handoff.approval is not None:
                set_prefetched(handoff.approval, "approvers", APPROVERS.rows(extra_of(handoff, "approvers")))
        return folded
    handoffs = list(
        Handoff.objects.filter(ticket=ticket)
        .select_related(*HANDOFF_RELATIONS)
        .order_by("requested_at", "pk")
    )
    for handoff in handoffs:
        handoff.ticket = ticket  # permission checks read it: no query per row
    return handoffs


def consults_of(ticket: Ticket) -> list[Consult]:
    if is_known_empty(ticket, "has_consults"):  # read with the ticket (tickets.read_model)
        return []
    folded = _folded(ticket, "consults")
    if folded is not None:
        return folded
    consults = list(
        Consult.objects.filter(ticket=ticket)
        .select_related(*CONSULT_RELATIONS)
        .order_by("requested_at", "pk")
    )
    for consult in consults:
        consult.ticket = ticket
    return consults


def engagements_of(ticket: Ticket) -> list[VendorEngagement]:
    if is_known_empty(ticket, "has_engagements"):  # read with the ticket (tickets.read_model)
        return []
    folded = _folded(ticket, "engagements")
    if folded is not None:
        for engagement in folded:
            set_prefetched(engagement, "updates", UPDATES.rows(extra_of(engagement, "updates")))
        return folded
    return list(
        VendorEngagement.objects.filter(ticket=ticket)
        .select_related(*ENGAGEMENT_RELATIONS)
        .prefetch_related(Prefetch("updates", queryset=VendorUpdate.objects.select_related("recorded_by")))
        .order_by("engaged_at", "pk")
    )


def decisions_of(ticket: Ticket) -> list[ManagerDecision]:
    if is_known_empty(ticket, "has_decisions"):  # read with the ticket (tickets.read_model)
        return []
    folded = _folded(ticket, "decisions")
    if folded is not None:
        return folded
    return list(
        ManagerDecision.objects.filter(ticket=ticket)
        .select_related(*DECISION_RELATIONS)
        .order_by("decided_at", "pk")
    )


@dataclass
class LadderView:
    """Everything GET /api/tickets/{id}/ladder/ shows, loaded up front."""

    ticket: Ticket
    path: EscalationPath | None
    stint: TierStint | None
    tiers: list[Tier]
    handoffs: list[Handoff]
    consults: list[Consult]
    vendor_engagements: list[VendorEngagement]
    decisions: list[ManagerDecision]
    steps_to_do: list[TroubleshootingStep]
    actions: dict[str, bool] = field(default_factory=dict)


def ladder_view(ticket: Ticket, user: User) -> LadderView:
    """The ticket's current tier, its ladder with requirements, and everything that moved it."""
    stint = current_stint(ticket)
    path = stint.tier.path if stint is not None else path_for(ticket)
    tiers = ladder(path) if path else []
    handoffs = handoffs_of(ticket)
    here = stint.tier if stint else None
    active = next((handoff for handoff in handoffs if handoff.is_active), None)
    actions = permissions.ladder_actions(ticket=ticket, user=user, here=here, tiers=tiers, active=active)
    return LadderView(
        ticket=ticket,
        path=path,
        stint=stint,
        tiers=tiers,
        handoffs=handoffs,
        consults=consults_of(ticket),
        vendor_engagements=engagements_of(ticket),
        decisions=decisions_of(ticket),
        steps_to_do=steps_to_do(ticket),
        actions=actions,
    )


@dataclass(frozen=True)
class TierPanelView:
    """What the console's tier panel shows of a ticket's place on its ladder, read up front: the
    current stint and its tier, the ladder (tiers and criteria), the hand-offs, the pending
    approval with its approvers, the consults, the vendor engagements with their updates, the IT
    manager's decisions, the steps still to do, and what this user may do on each."""

    stint: TierStint | None
    here: Tier | None
    tiers: list[Tier]
    above: list[Tier]
    below: list[Tier]
    requirements: list[tuple[Tier, list[str]]]
    handoffs: list[Handoff]
    active_handoff: Handoff | None
    arrival: Handoff | None
    pending_approval: ApprovalRequest | None
    consults: list[Consult]
    engagements: list[VendorEngagement]
    decisions: list[ManagerDecision]
    to_do_steps: list[TroubleshootingStep]
    # escalate, return, consult, record_vendor, decide (permissions.ladder_actions), and withdraw,
    # decide_approval, add_step.
    may: dict[str, bool]
    consults_to_reply: frozenset[int]  # open consults this user may reply to
    consults_to_withdraw: frozenset[int]  # open consults this user may withdraw
    engagements_to_update: frozenset[int]  # vendor engagements this user may record an update on


def tier_panel_view(ticket: Ticket, user: User) -> TierPanelView:
    """The tier panel's read model in a fixed number of queries, whatever the number of hand-offs,
    consults or vendor updates. The ticket's steps are read from its prefetched `steps`."""
    stint = current_stint(ticket)
    tiers = ladder(stint.tier.path) if stint else []
    here = next((t for t in tiers if stint and t.pk == stint.tier_id), None)
    above = [t for t in tiers if here and t.level > here.level]
    handoffs = handoffs_of(ticket)
    active = next((h for h in handoffs if h.is_active), None)
    approval = _pending_approval(active)
    may = permissions.ladder_actions(ticket=ticket, user=user, here=here, tiers=tiers, active=active)
    may |= {
        "withdraw": active is not None and permissions.can_withdraw(active, user),
        "decide_approval": approval is not None and approval_permissions.can_decide(approval, user),
        "add_step": ticket_permissions.can_add_step(ticket, user),
    }
    consults = consults_of(ticket)
    open_consults = [c for c in consults if c.state == ConsultStatus.OPEN]
    engagements = engagements_of(ticket)
    return TierPanelView(
        stint=stint,
        here=here,
        tiers=tiers,
        above=above,
        below=[t for t in tiers if here and t.level < here.level],
        requirements=[(t, requirements_of(t)) for t in above],
        handoffs=handoffs,
        active_handoff=active,
        arrival=next((h for h in handoffs if stint and h.pk == stint.handoff_id), None),
        pending_approval=approval,
        consults=consults,
        engagements=engagements,
        decisions=decisions_of(ticket),
        to_do_steps=[s for s in ticket.steps.all() if s.state == StepState.TO_DO],
        may=may,
        consults_to_reply=frozenset(c.pk for c in open_consults if permissions.can_reply_consult(c, user)),
        consults_to_withdraw=frozenset(
            c.pk for c in open_consults if permissions.can_withdraw_consult(c, user)
        ),
        engagements_to_update=frozenset(
            e.pk for e in engagements if may["record_vendor"] and here is not None and e.tier_id == here.pk
        ),
    )


def _pending_approval(active: Handoff | None) -> ApprovalRequest | None:
    """The active hand-off's approval while it waits, with its approvers (one query)."""
    if active is None or not active.approval_id or not active.approval.is_pending:
        return None
    if "approvers" not in getattr(active.approval, "_prefetched_objects_cache", {}):  # not folded
        prefetch_related_objects([active.approval], "approvers")
    return active.approval


def tiers_with_counts() -> QuerySet[Tier]:
    """Every ladder's tiers with how many open tickets are in each now (one query)."""
    return (
        Tier.objects.select_related("path", "team")
        .annotate(
            open_tickets=Count(
                "stints", filter=Q(stints__left_at__isnull=True, stints__ticket__status__in=OPEN_STATES)
            )
        )
        .order_by("path__name", "level")
    )


def get_tier(pk: int | str) -> Tier:
    try:
        return Tier.objects.select_related("path", "team").get(pk=int(pk))
    except (Tier.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such tier.")) from None


def tier_queue(*, user: User, tier: Tier, filters: ticket_selectors.QueueFilters) -> QuerySet[Ticket]:
    """The queue's tickets (visible, filtered, open unless a status is asked for) now in the tier."""
    filters.open_only = True
    return ticket_selectors.ticket_queue(user=user, filters=filters).filter(
        tier_stints__tier=tier, tier_stints__left_at__isnull=True
    )


# --- the ladder and a ticket's place on it ------------------------------------------------------


def path_for(ticket: Ticket) -> EscalationPath | None:
    if ticket.service_id is None:
        return None
    return EscalationPath.objects.filter(service_ladders__service_id=ticket.service_id).first()


CRITERIA = Fold(EscalationCriterion.objects.filter(tier_id=OuterRef("pk")))


def ladder(path: EscalationPath) -> list[Tier]:
    """The path's tiers, lowest first, each with its criteria (read in the same query)."""
    tiers = list(
        path.tiers.select_related("team", "team__manager")
        .annotate(folded_criteria=CRITERIA.on(Tier))
        .order_by("level")
    )
    for tier in tiers:
        criteria = CRITERIA.rows(tier.folded_criteria)
        for criterion in criteria:
            criterion.tier = tier
        set_prefetched(tier, "criteria", criteria)
    return tiers


def current_stint(ticket: Ticket) -> TierStint | None:
    if is_known_empty(ticket, "has_stint"):
        return None
    return (
        TierStint.objects.filter(ticket=ticket, left_at__isnull=True)
        .select_related("tier", "tier__team", "tier__path", "clock")
        .first()
    )


def next_tier(tier: Tier) -> Tier | None:
    ladder_read = prefetched(LADDER, tier.path_id)  # a sweep's batch read the ladder (batch_reads)
    if ladder_read is not None:
        return next((t for t in ladder_read if t.level > tier.level), None)
    return tier.path.tiers.filter(level__gt=tier.level).select_related("team").order_by("level").first()


def ladder_tier(tier: Tier) -> Tier:
    """The tier as a sweep's batch read it with its ladder (team, leaders, criteria), else itself."""
    return next((t for t in prefetched(LADDER, tier.path_id) or () if t.pk == tier.pk), tier)


def ladder_tiers(tier: Tier) -> list[Tier]:
    """Every tier of the tier's ladder in level order, with its team."""
    ladder_read = prefetched(LADDER, tier.path_id)
    if ladder_read is not None:
        return list(ladder_read)
    return list(tier.path.tiers.select_related("team").order_by("level"))


def active_handoff(ticket: Ticket) -> Handoff | None:
    return (
        Handoff.objects.filter(ticket=ticket, status__in=ACTIVE_HANDOFF_STATES)
        .select_related("from_tier", "to_tier", "approval")
        .first()
    )


def team_leads(team: Team) -> list[User]:
    leaders = list(team.leaders.all())
    return leaders or ([team.manager] if team.manager_id else [])


def tiers_above(tier: Tier) -> Iterable[Tier]:
    return tier.path.tiers.filter(level__gt=tier.level).prefetch_related("criteria").order_by("level")


def tiers_below(tier: Tier) -> Iterable[Tier]:
    return tier.path.tiers.filter(level__lt=tier.level).order_by("level")


def steps_to_do(ticket: Ticket) -> list[TroubleshootingStep]:
    return list(TroubleshootingStep.objects.filter(ticket=ticket, state=StepState.TO_DO).order_by("pk"))


def steps_of(ticket: Ticket) -> list[TroubleshootingStep]:
    """Every troubleshooting step of the ticket, in the order performed, with its files (as a
    sweep's batch read them for an escalation, batch_reads.STEPS)."""
    steps_read = prefetched(STEPS, ticket.pk)
    if steps_read is not None:
        return list(steps_read)
    return list(
        TroubleshootingStep.objects.filter(ticket=ticket)
        .select_related("engineer", "team")
        .prefetch_related("attachments")
        .order_by("performed_at", "pk")
    )


def _documented(step: TroubleshootingStep) -> bool:
    return step.state == StepState.DONE and bool(step.outcome.strip())


def _has_evidence(ticket: Ticket) -> bool:
    return Attachment.objects.filter(ticket=ticket, comment__isnull=True).exists()


def requirements_of(tier: Tier) -> list[str]:
    """What entering this tier requires, in words (shown on the escalate form before submitting)."""
    needs = [gettext("a summary of findings")]
    criteria = [c.text for c in tier.criteria.all()]
    if criteria:
        needs.append(
            gettext("one of its escalation criteria: %(criteria)s") % {"criteria": "; ".join(criteria)}
        )
    if tier.min_steps_below:
        needs.append(
            gettext(
                "at least %(count)s troubleshooting step(s) with outcome documented by the tier it leaves"
            )
            % {"count": tier.min_steps_below}
        )
    if tier.requires_lower_tiers_documented:
        needs.append(gettext("troubleshooting documented by every internal tier below it"))
    if tier.requires_evidence:
        needs.append(gettext('logs and screenshots attached, or "none" stated'))
    if tier.requires_approval:
        needs.append(gettext("a team leader's approval"))
    return needs


def handoff_missing(
    ticket: Ticket,
    from_tier: Tier,
    to_tier: Tier,
    *,
    criterion: EscalationCriterion | None,
    findings: str,
    evidence_note: str,
    criterion_needed: bool = True,
) -> list[str]:
    """What the package lacks for entering to_tier (empty: it may go). `criterion_needed=False`
    leaves out the criterion (an automatic request: the time frame that passed is its reason)."""
    missing: list[str] = []
    if not (findings or "").strip():
        missing.append(gettext("a summary of findings"))
    criteria = list(to_tier.criteria.all())
    if criteria and criterion is None and criterion_needed:
        missing.append(
            gettext("an escalation criterion for %(tier)s: one of %(criteria)s")
            % {"tier": to_tier.name, "criteria": "; ".join(f'"{c.text}"' for c in criteria)}
        )
    steps = steps_of(ticket)
    if to_tier.min_steps_below:
        done_here = [s for s in steps if _documented(s) and s.team_id == from_tier.team_id]
        if len(done_here) < to_tier.min_steps_below:
            missing.append(_too_few_steps(to_tier, from_tier, len(done_here)))
    if to_tier.requires_lower_tiers_documented:
        missing += _undocumented_lower_tiers(to_tier, from_tier, steps)
    if to_tier.requires_evidence and not (evidence_note or "").strip() and not _has_evidence(ticket):
        missing.append(gettext("logs and screenshots attached, or a statement that there are none"))
    to_do = [s.action for s in steps if s.state == StepState.TO_DO]
    if to_do:
        missing.append(
            gettext("the suggested troubleshooting steps done first: %(steps)s") % {"steps": "; ".join(to_do)}
        )
    return missing


def _too_few_steps(to_tier: Tier, from_tier: Tier, done: int) -> str:
    """The step minimum of to_tier, unmet by the tier being left."""
    return ngettext(
        "at least %(required)s troubleshooting step(s) with outcome documented in %(tier)s "
        "(there is %(done)s)",
        "at least %(required)s troubleshooting step(s) with outcome documented in %(tier)s "
        "(there are %(done)s)",
        done,
    ) % {"required": to_tier.min_steps_below, "tier": from_tier.name, "done": done}


def _undocumented_lower_tiers(to_tier: Tier, from_tier: Tier, steps: list[TroubleshootingStep]) -> list[str]:
    """The internal tiers below to_tier without a documented step (the tier being left is
    counted by the step minimum instead, when to_tier has one)."""
    lower = to_tier.path.tiers.filter(level__lt=to_tier.level, kind=TierKind.INTERNAL).select_related("team")
    missing = []
    for tier in lower.order_by("level"):
        if tier.team_id == from_tier.team_id and to_tier.min_steps_below:
            continue  # already required above, with the count
        if not any(_documented(s) and s.team_id == tier.team_id for s in steps):
            missing.append(
                gettext("%(tier)s troubleshooting: steps performed, with their outcome") % {"tier": tier.name}
            )
    return missing
