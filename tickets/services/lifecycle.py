"""The transitions of SPEC §2: one `ticket_<transition>` per transition, run by one runner.

`_run_transition` locks the ticket, puts the caller's input on it, checks the actor's
permission and the transition's guards, transitions, saves and records the event, all in one
transaction. `TRANSITION_SERVICES` names each transition's service (the console's forms follow
it); the system's own moves (closing unconfirmed, a tier hand-over) are here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Team, User
from escalation_desk import links
from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.state import change_state

from .. import notices, permissions, sla
from ..guards import MISSING_FOR
from ..models import CancelReason, Category, Channel, CloseKind, FixKind, Service, Status, Ticket
from ..signals import ticket_changed
from .core import check_choice, lock_ticket, record_event, refresh_stale
from .intake import apply_intake

TRANSITION_LABELS = {
    "triage": gettext_lazy("Triage"),
    "start": gettext_lazy("Start work"),
    "await_customer": gettext_lazy("Wait on customer"),
    "customer_replied": gettext_lazy("Customer replied"),
    "resolve": gettext_lazy("Resolve"),
    "confirm_resolution": gettext_lazy("Confirm resolution"),
    "reopen": gettext_lazy("Reopen"),
    "cancel": gettext_lazy("Cancel"),
}


def transition_denied(name: str) -> str:
    """The refusal of a transition the actor may not take: "You may not triage this ticket."."""
    return gettext("You may not %(action)s this ticket.") % {"action": TRANSITION_LABELS[name].lower()}


def _run_transition(
    *,
    ticket: Ticket,
    actor: User,
    name: str,
    prepare: Callable[[Ticket], None] | None = None,
    call_kwargs: dict[str, Any] | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    then: Callable[[Ticket], None] | None = None,
) -> Ticket:
    """Lock, put the input on the ticket, check permission and guards, transition, record
    (escalation_desk.state.change_state, the one way every state machine changes).

    `then` runs after the change in the same transaction (the ticket's clocks follow it).
    """
    label = TRANSITION_LABELS[name]

    def not_possible(locked: Ticket) -> Refused:
        return Refused(
            gettext("%(change)s is not possible while the ticket is %(status)s")
            % {"change": label, "status": locked.get_status_display().lower()},
            [gettext("the ticket to be in a state that allows %(change)s") % {"change": label.lower()}],
        )

    def record(locked: Ticket, source: str) -> None:
        record_event(
            ticket=locked,
            kind=name,
            actor=actor,
            source=source,
            target=locked.status,
            reason=reason,
            details=details,
            is_public=True,
        )

    def after(locked: Ticket) -> None:
        if then is not None:
            then(locked)
        ticket_changed.send(sender=Ticket, ticket=locked, change=name, actor=actor)

    locked = change_state(
        ticket,
        name,
        actor=actor,
        lock=lock_ticket,
        label=label,
        not_possible=not_possible,
        denied=transition_denied(name),
        prepare=prepare,
        missing=MISSING_FOR.get(name, lambda _t: []),
        arguments=call_kwargs,
        record=record,
        then=after,
    )
    refresh_stale(ticket, locked)
    return locked


def ticket_triage(
    *,
    ticket: Ticket,
    actor: User,
    priority: str | None = None,
    category: Category | None = None,
    service: Service | None = None,
    **intake: Any,
) -> Ticket:
    """new → open: the issue is identified and documented; the ticket reaches its team."""
    changes = dict(intake)
    for field, value in (("priority", priority), ("category", category), ("service", service)):
        if value is not None:
            changes[field] = value
    changed: dict[str, list[str]] = {}

    def prepare(locked: Ticket) -> None:
        changed.update(apply_intake(locked, changes))

    return _run_transition(
        ticket=ticket,
        actor=actor,
        name="triage",
        prepare=prepare,
        details={"changed": changed, "priority": priority or ticket.priority},
        then=sla.start_clocks,
    )


def ticket_start(*, ticket: Ticket, actor: User, assignee: User | None = None) -> Ticket:
    """open → in_progress: an engineer of the team takes the ticket (themselves by default)."""
    assignee = assignee or actor
    if assignee.pk != actor.pk and not (assignee.is_agent and permissions.can_work_ticket(ticket, assignee)):
        raise InvalidInput(
            {"assignee": [gettext("%(assignee)s cannot work this ticket.") % {"assignee": assignee}]}
        )
    return _run_transition(
        ticket=ticket,
        actor=actor,
        name="start",
        call_kwargs={"assignee_id": assignee.pk},
        details={"assignee": assignee.pk, "assignee_name": str(assignee)},
    )


def ticket_await_customer(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """in_progress → waiting_on_customer: what the customer must provide is stated."""

    def prepare(locked: Ticket) -> None:
        locked.waiting_reason = (reason or "").strip()

    def then(locked: Ticket) -> None:
        sla.pause_clocks(locked)
        notices.tell_customers(
            ticket=locked,
            kind="ticket.waiting_on_you",
            actor=actor,
            context={
                "waiting_reason": locked.waiting_reason,
                "message": gettext("To go on with %(reference)s we need: %(waiting_reason)s")
                % {"reference": locked.reference, "waiting_reason": locked.waiting_reason},
            },
            dedup_key=f"ticket:{locked.pk}:waiting:{timezone.now().isoformat()}",
        )

    return _run_transition(
        ticket=ticket, actor=actor, name="await_customer", prepare=prepare, reason=reason, then=then
    )


def ticket_customer_replied(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    """waiting_on_customer → in_progress: the customer answered (portal comment, or recorded)."""
    return _run_transition(
        ticket=ticket, actor=actor, name="customer_replied", reason=note, then=sla.resume_clocks
    )


def ticket_resolve(
    *,
    ticket: Ticket,
    actor: User,
    resolution_summary: str,
    root_cause: str,
    fix_kind: str,
    knowledge_article: str = "",
    knowledge_none_reason: str = "",
) -> Ticket:
    """in_progress → resolved, with what fixed it, the root cause and the kind of fix."""
    check_choice(fix_kind, FixKind, "fix_kind")

    def prepare(locked: Ticket) -> None:
        locked.resolution_summary = (resolution_summary or "").strip()
        locked.root_cause = (root_cause or "").strip()
        locked.fix_kind = fix_kind or ""
        locked.knowledge_article = (knowledge_article or "").strip()
        locked.knowledge_none_reason = (knowledge_none_reason or "").strip()

    def then(locked: Ticket) -> None:
        sla.ticket_resolved(locked)
        # Seed 001 quality control, seed 003 "Tier 1 communicates the resolution": the customer
        # reads what fixed it and confirms or reopens in one click.
        notices.tell_customers(
            ticket=locked,
            kind="ticket.resolved",
            actor=actor,
            context={
                "resolution_summary": locked.resolution_summary,
                "fix_kind": locked.get_fix_kind_display(),
                "confirm_url": links.absolute(links.portal_confirm_path(locked.pk)),
                "reopen_url": links.absolute(links.portal_reopen_path(locked.pk)),
                "message": locked.resolution_summary,
            },
            dedup_key=f"ticket:{locked.pk}:resolved:{locked.reopen_count}",
        )

    return _run_transition(
        ticket=ticket,
        actor=actor,
        name="resolve",
        prepare=prepare,
        reason=resolution_summary,
        details={"fix_kind": fix_kind, "knowledge_article": knowledge_article},
        then=then,
    )


def ticket_confirm_resolution(*, ticket: Ticket, actor: User, note: str = "", channel: str = "") -> Ticket:
    """resolved → closed: the customer confirms, or staff record the customer's confirmation.

    `channel` is how the confirmation reached us: the caller's own channel when the customer
    confirms (the portal says "portal", the API "api"), how the customer told staff otherwise.
    """
    by_customer = permissions.is_customer_of(ticket, actor)
    check_choice(channel, Channel, "channel")
    close_kind = CloseKind.CONFIRMED_BY_CUSTOMER if by_customer else CloseKind.CONFIRMED_ON_BEHALF

    def prepare(locked: Ticket) -> None:
        if not by_customer and not channel:
            raise Refused(
                gettext("Recording the customer's confirmation refused"),
                [gettext("how the customer confirmed (phone, e-mail…)")],
            )
        locked.confirmation_note = (note or "").strip()

    return _run_transition(
        ticket=ticket,
        actor=actor,
        name="confirm_resolution",
        prepare=prepare,
        call_kwargs={"close_kind": close_kind},
        reason=note,
        # A customer's confirmation without a stated channel predates the portal/API split: the portal.
        details={"close_kind": close_kind, "channel": channel or Channel.PORTAL},
        then=sla.ticket_finished,
    )


def ticket_reopen(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """resolved → in_progress: the customer is not satisfied with the resolution."""

    def prepare(locked: Ticket) -> None:
        locked.reopen_reason = (reason or "").strip()

    return _run_transition(
        ticket=ticket, actor=actor, name="reopen", prepare=prepare, reason=reason, then=sla.ticket_reopened
    )


def ticket_cancel(
    *, ticket: Ticket, actor: User, reason: str, note: str = "", duplicate_of: Ticket | None = None
) -> Ticket:
    """Any open state → cancelled (duplicate, spam, withdrawn) with the reason."""
    check_choice(reason, CancelReason, "reason")

    def prepare(locked: Ticket) -> None:
        locked.cancel_reason = reason or ""
        locked.cancel_note = (note or "").strip()
        locked.duplicate_of = duplicate_of

    return _run_transition(
        ticket=ticket,
        actor=actor,
        name="cancel",
        prepare=prepare,
        reason=note,
        details={"cancel_reason": reason, "duplicate_of": duplicate_of.pk if duplicate_of else None},
        then=sla.ticket_finished,
    )


# --- the system's own moves ------------------------------------------------------------------


def ticket_close_unconfirmed(*, ticket: Ticket) -> Ticket:
    """resolved → closed by the system: the confirmation window passed without an answer."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status != Status.RESOLVED:
            return locked  # reopened or confirmed meanwhile: nothing to do
        locked.close_unconfirmed()
        locked.save()
        record_event(
            ticket=locked,
            kind="close_unconfirmed",
            actor=None,
            source=Status.RESOLVED,
            target=locked.status,
            is_public=True,
            reason=gettext("Closed automatically: the confirmation window passed without an answer."),
            details={"close_kind": locked.close_kind},
        )
        # The window's own deadline is being fired by the sweep: only the clocks stop here.
        sla.stop_clocks(locked)
        ticket_changed.send(sender=Ticket, ticket=locked, change="close_unconfirmed", actor=None)
    return locked


def ticket_hand_over(
    *,
    ticket: Ticket,
    team: Team,
    actor: User | None,
    kind: str,
    reason: str = "",
    source: str = "",
    target: str = "",
    details: dict[str, Any] | None = None,
    assignee: User | None = None,
) -> Ticket:
    """The ticket moves to another assignment team (a tier hand-off): it lands open in that
    team's queue, unassigned unless an assignee of that team is given. The caller (the
    escalations services) checks who may do this; this records it in the same transaction."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status not in (Status.NEW, Status.OPEN, Status.IN_PROGRESS):
            raise Refused(
                gettext("The ticket cannot change hands now"),
                [
                    gettext("a ticket that is open or in progress (this one is %(status)s)")
                    % {"status": locked.get_status_display().lower()}
                ],
            )
        previous_status = locked.status
        if locked.status != Status.NEW:
            locked.hand_over(team_id=team.pk, assignee_id=assignee.pk if assignee else None)
        else:  # placed at triage, before the status moved on: only the team changes
            locked.team_id = team.pk
        locked.save()
        record_event(
            ticket=locked,
            kind=kind,
            actor=actor,
            source=source[:40],
            target=target[:40],
            reason=reason,
            details={
                "team": team.pk,
                "team_name": team.name,
                "status_before": previous_status,
                **(details or {}),
            },
            is_public=True,
        )
    refresh_stale(ticket, locked)
    return locked


TRANSITION_SERVICES: dict[str, Callable[..., Ticket]] = {
    "triage": ticket_triage,
    "start": ticket_start,
    "await_customer": ticket_await_customer,
    "customer_replied": ticket_customer_replied,
    "resolve": ticket_resolve,
    "confirm_resolution": ticket_confirm_resolution,
    "reopen": ticket_reopen,
    "cancel": ticket_cancel,
}
