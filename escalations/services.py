"""Every change to a ticket's place on its ladder goes through a function here (SPEC §3–§5).

Each service locks the ticket row first (the same lock the ticket services take, so two
people, or a person and the sweep, moving one ticket are serialised), then checks the
state (including that the ticket is still where the caller believed: a race loser hears
where it went, 409), then the actor's permission (403), then what the move requires, and
changes state and writes its timeline events in one transaction. A refusal raises before
anything is saved and lists what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import Team, User
from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import approval_cancel, approval_file
from clocks.deadlines import deadline_cancel, deadline_schedule
from clocks.models import Clock, ClockState
from clocks.services import clock_retarget, clock_start, clock_stop, clocks_of, clocks_stop
from escalation_desk import links
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from tickets import sla
from tickets.models import (
    Attachment,
    Comment,
    Status,
    StepKind,
    StepState,
    Ticket,
    TimelineEvent,
    TroubleshootingStep,
)
from tickets.notices import tell_staff
from tickets.services.core import lock_ticket, record_event
from tickets.services.lifecycle import ticket_hand_over, ticket_resolve, ticket_start
from tickets.services.steps import ticket_add_step

from . import permissions
from .models import (
    ACTIVE_HANDOFF_STATES,
    BreachAction,
    Consult,
    ConsultStatus,
    DecisionOutcome,
    Direction,
    EscalationCriterion,
    EscalationPath,
    Handoff,
    HandoffStatus,
    ManagerDecision,
    Tier,
    TierKind,
    TierStint,
    TierTimeFrame,
    VendorEngagement,
    VendorUpdate,
)

TIER_CLOCK = "escalations.tier"
CONSULT_CLOCK = "escalations.consult"
AUTO_ESCALATE = "escalations.auto_escalate"  # a deadline on the stint whose time frame passed

WORKABLE = (Status.OPEN, Status.IN_PROGRESS)


# --- reading the ladder ----------------------------------------------------------------------


def path_for(ticket: Ticket) -> EscalationPath | None:
    if ticket.service_id is None:
        return None
    return EscalationPath.objects.filter(service_ladders__service_id=ticket.service_id).first()


def ladder(path: EscalationPath) -> list[Tier]:
    return list(path.tiers.select_related("team", "team__manager").prefetch_related("criteria").order_by("level"))


def current_stint(ticket: Ticket) -> TierStint | None:
    return (
        TierStint.objects.filter(ticket=ticket, left_at__isnull=True)
        .select_related("tier", "tier__team", "tier__path", "clock")
        .first()
    )


def next_tier(tier: Tier) -> Tier | None:
    return tier.path.tiers.filter(level__gt=tier.level).select_related("team").order_by("level").first()


def active_handoff(ticket: Ticket) -> Handoff | None:
    return (
        Handoff.objects.filter(ticket=ticket, status__in=ACTIVE_HANDOFF_STATES)
        .select_related("from_tier", "to_tier", "approval")
        .first()
    )


def _team_leads(team: Team) -> list[User]:
    leaders = list(team.leaders.all())
    return leaders or ([team.manager] if team.manager_id else [])


# --- stints and the tier time frame ----------------------------------------------------------


def _time_frame(tier: Tier, priority: str) -> TierTimeFrame | None:
    return TierTimeFrame.objects.filter(tier=tier, priority=priority).first()


def _start_stint(ticket: Ticket, tier: Tier, handoff: Handoff | None) -> TierStint:
    stint = TierStint.objects.create(ticket=ticket, tier=tier, handoff=handoff)
    frame = _time_frame(tier, ticket.priority)
    if frame is not None:
        stint.clock = clock_start(
            subject=ticket, kind=TIER_CLOCK, calendar=sla.calendar_for(ticket),
            target_seconds=frame.minutes * 60, warning_ratio=frame.warning_percent / 100,
        )
        stint.save(update_fields=["clock"])
    return stint


def _end_stint(stint: TierStint) -> None:
    stint.left_at = timezone.now()
    stint.save(update_fields=["left_at"])
    if stint.clock_id is not None:
        clock_stop(clock=stint.clock)
    # A pending automatic escalation of this stint is left to find it gone (it checks left_at):
    # cancelling it here would cancel the very row the sweep fires when it is the one moving us.


def place_in_first_tier(ticket: Ticket, actor: User | None) -> TierStint | None:
    """At triage: the ticket enters the first tier of its service's ladder (none: no ladder)."""
    if TierStint.objects.filter(ticket=ticket, left_at__isnull=True).exists():
        return None
    path = path_for(ticket)
    first = path.tiers.select_related("team").order_by("level").first() if path else None
    if first is None:
        return None
    ticket_hand_over(
        ticket=ticket, team=first.team, actor=actor, kind="tier_entered", target=first.name,
        assignee=ticket.assignee if ticket.assignee_id and ticket.assignee.pk in _member_ids(first.team) else None,
        reason=f"Placed in {first.name}, the first tier of the {path.name} ladder.",
        details={"tier": first.pk, "tier_name": first.name, "path": path.name},
    )  # ticket_hand_over refreshes ticket
    return _start_stint(ticket, first, None)


def _member_ids(team: Team) -> set[int]:
    return set(team.members.values_list("pk", flat=True)) | set(team.leaders.values_list("pk", flat=True))


def retarget_tier_clock(ticket: Ticket) -> None:
    """After a priority change the current tier's time frame follows the new priority."""
    stint = current_stint(ticket)
    if stint is None or stint.clock_id is None or stint.clock.state == ClockState.STOPPED:
        return
    frame = _time_frame(stint.tier, ticket.priority)
    if frame is not None and frame.minutes * 60 != stint.clock.target_seconds:
        clock_retarget(clock=stint.clock, target_seconds=frame.minutes * 60)


# --- the hand-off package --------------------------------------------------------------------


def _steps(ticket: Ticket) -> list[TroubleshootingStep]:
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


def assemble_package(
    ticket: Ticket,
    from_tier: Tier,
    to_tier: Tier,
    *,
    criterion: EscalationCriterion | None = None,
    findings: str = "",
    workaround: str = "",
    evidence_note: str = "",
) -> dict[str, Any]:
    """Everything the receiving tier needs: criterion, findings, workaround, the intake, and
    every troubleshooting step with its outcome and files, grouped by the tier that did it."""
    tiers = list(from_tier.path.tiers.select_related("team").order_by("level"))
    by_team = {}
    for tier in tiers:
        by_team.setdefault(tier.team_id, tier)
    groups: dict[str, dict[str, Any]] = {}
    for step in _steps(ticket):
        tier = by_team.get(step.team_id)
        key = tier.name if tier else (f"{step.team.name} (consulted)" if step.team else "Other")
        group = groups.setdefault(key, {"tier": key, "level": tier.level if tier else 999, "steps": []})
        group["steps"].append({
            "id": step.pk,
            "kind": step.kind,
            "kind_label": step.get_kind_display(),
            "action": step.action,
            "outcome": step.outcome,
            "state": step.state,
            "engineer": str(step.engineer),
            "at": step.performed_at.isoformat(),
            "attachments": [{"id": a.pk, "name": a.original_name} for a in step.attachments.all()],
        })
    files = [
        {"id": a.pk, "name": a.original_name}
        for a in Attachment.objects.filter(ticket=ticket, step__isnull=True, comment__isnull=True).order_by("pk")
    ]
    return {
        "from_tier": from_tier.name,
        "to_tier": to_tier.name,
        "criterion": criterion.text if criterion else "",
        "findings": findings,
        "workaround": workaround or ticket.workaround,
        "evidence_note": evidence_note,
        "intake": {
            field: getattr(ticket, field)
            for field in ("summary", "symptoms", "replication_steps", "error_messages", "recent_changes",
                          "business_impact", "workaround")
        },
        "tiers": sorted(groups.values(), key=lambda g: (g["level"], g["tier"])),
        "files": files,
        "assembled_at": timezone.now().isoformat(),
    }


def requirements_of(tier: Tier) -> list[str]:
    """What entering this tier requires, in words (shown on the escalate form before submitting)."""
    needs = ["a summary of findings"]
    criteria = [c.text for c in tier.criteria.all()]
    if criteria:
        needs.append("one of its escalation criteria: " + "; ".join(criteria))
    if tier.min_steps_below:
        needs.append(f"at least {tier.min_steps_below} troubleshooting step(s) with outcome documented "
                     "by the tier it leaves")
    if tier.requires_lower_tiers_documented:
        needs.append("troubleshooting documented by every internal tier below it")
    if tier.requires_evidence:
        needs.append('logs and screenshots attached, or "none" stated')
    if tier.requires_approval:
        needs.append("a team leader's approval")
    return needs


def handoff_missing(
    ticket: Ticket,
    from_tier: Tier,
    to_tier: Tier,
    *,
    criterion: EscalationCriterion | None,
    findings: str,
    evidence_note: str,
) -> list[str]:
    """What the package lacks for entering to_tier (empty: it may go)."""
    missing: list[str] = []
    if not (findings or "").strip():
        missing.append("a summary of findings")
    criteria = list(to_tier.criteria.all())
    if criteria and criterion is None:
        missing.append(f"an escalation criterion for {to_tier.name}: one of "
                       + "; ".join(f'"{c.text}"' for c in criteria))
    steps = _steps(ticket)
    if to_tier.min_steps_below:
        done_here = [s for s in steps if _documented(s) and s.team_id == from_tier.team_id]
        if len(done_here) < to_tier.min_steps_below:
            missing.append(
                f"at least {to_tier.min_steps_below} troubleshooting step(s) with outcome documented in "
                f"{from_tier.name} (there {'is' if len(done_here) == 1 else 'are'} {len(done_here)})"
            )
    if to_tier.requires_lower_tiers_documented:
        lower = to_tier.path.tiers.filter(level__lt=to_tier.level, kind=TierKind.INTERNAL).select_related("team")
        for tier in lower.order_by("level"):
            if tier.team_id == from_tier.team_id and to_tier.min_steps_below:
                continue  # already required above, with the count
            if not any(_documented(s) and s.team_id == tier.team_id for s in steps):
                missing.append(f"{tier.name} troubleshooting: steps performed, with their outcome")
    if to_tier.requires_evidence and not (evidence_note or "").strip() and not _has_evidence(ticket):
        missing.append('logs and screenshots attached, or a statement that there are none')
    to_do = [s.action for s in steps if s.state == StepState.TO_DO]
    if to_do:
        missing.append("the suggested troubleshooting steps done first: " + "; ".join(to_do))
    return missing


# --- escalate, return, withdraw --------------------------------------------------------------


def _approvers_for(requester: User | None, ticket_team: Team) -> tuple[list[User], list[User]]:
    """Team leaders and managers of the requester's teams (the ticket's team for the system),
    never the requester; and who hears when the decision is overdue (the team managers)."""
    if requester is not None:
        teams = list(Team.objects.filter(Q(members=requester) | Q(leaders=requester)).distinct()
                     .select_related("manager").prefetch_related("leaders"))
        if ticket_team.pk in requester.team_ids and all(t.pk != ticket_team.pk for t in teams):
            teams.append(ticket_team)
    else:
        teams = [ticket_team]
    if not teams:
        teams = [ticket_team]
    approvers: dict[int, User] = {}
    managers: dict[int, User] = {}
    for team in teams:
        for leader in team.leaders.all():
            approvers[leader.pk] = leader
        if team.manager_id:
            approvers[team.manager.pk] = team.manager
            managers[team.manager.pk] = team.manager
    if requester is not None:
        approvers.pop(requester.pk, None)
    return list(approvers.values()), list(managers.values()) or list(approvers.values())


def _approval_package(handoff: Handoff) -> list[dict[str, Any]]:
    """The package as generic sections an approver reads (the approvals app knows no tiers)."""
    package = handoff.package
    head = [
        {"text": f"From {package['from_tier']} to {package['to_tier']}"},
        {"text": f"Criterion: {package['criterion'] or '—'}"},
        {"text": f"Findings: {package['findings'] or '—'}"},
        {"text": f"Workaround: {package['workaround'] or 'none'}"},
    ]
    if package.get("evidence_note"):
        head.append({"text": f"No logs or screenshots: {package['evidence_note']}"})
    sections = [{"title": "Hand-off", "items": head}]
    intake = package.get("intake", {})
    sections.append({"title": "Intake", "items": [
        {"text": f"{label}: {intake.get(field) or '—'}"} for field, label in (
            ("symptoms", "Symptoms"), ("error_messages", "Error messages"),
            ("replication_steps", "Steps to reproduce"), ("recent_changes", "Recent changes"),
            ("business_impact", "Business impact"))
    ]})
    for group in package.get("tiers", []):
        items = []
        for step in group["steps"]:
            state = " (to do)" if step["state"] == StepState.TO_DO else ""
            items.append({"text": f"{step['kind_label']}{state}: {step['action']} → {step['outcome'] or '—'} "
                                  f"({step['engineer']})"})
            items += [{"text": f"Attachment: {a['name']}", "url": links.console_attachment_path(a["id"])}
                      for a in step["attachments"]]
        sections.append({"title": f"Troubleshooting – {group['tier']}", "items": items or [{"text": "none"}]})
    files = [{"text": f"Attachment: {f['name']}", "url": links.console_attachment_path(f["id"])}
             for f in package.get("files", [])]
    sections.append({"title": "Evidence on the ticket", "items": files or [{"text": "none attached"}]})
    if handoff.missing:
        sections.append({"title": "Still missing (automatic request)", "items": [{"text": m} for m in handoff.missing]})
    return sections


def _tier_name(tier: Tier) -> str:
    return tier.name[:40]


def _complete(handoff: Handoff, ticket: Ticket, actor: User | None) -> None:
    """The ticket changes tier and team; the old time frame stops and the new one starts.
    The receiving team hears of it, and so does the engineer whose queue it left."""
    stint = current_stint(ticket)
    previous_assignee = ticket.assignee if ticket.assignee_id else None
    handoff.complete()
    handoff.save()
    kind = "escalated" if handoff.direction == Direction.ESCALATE else "returned"
    verb = "Escalated" if handoff.direction == Direction.ESCALATE else "Returned"
    ticket_hand_over(
        ticket=ticket, team=handoff.to_tier.team, actor=actor, kind=kind,
        source=_tier_name(handoff.from_tier), target=_tier_name(handoff.to_tier),
        reason=f"{verb} from {handoff.from_tier.name} to {handoff.to_tier.name}"
               + (f" ({handoff.criterion_text})" if handoff.criterion_text else "")
               + (" automatically: the time frame passed." if handoff.automatic else "."),
        details={"handoff": handoff.pk, "from_tier": handoff.from_tier_id, "to_tier": handoff.to_tier_id,
                 "automatic": handoff.automatic},
    )
    if stint is not None:
        _end_stint(stint)
    _start_stint(ticket, handoff.to_tier, handoff)
    receiving = handoff.to_tier.team
    recipients = list(receiving.leaders.all()) + list(receiving.members.all())
    if handoff.to_tier.kind == TierKind.DECISION:
        recipients += list(User.objects.filter(groups__name="IT manager", is_active=True))
    how = " automatically (the time frame passed)" if handoff.automatic else (f" by {actor}" if actor else "")
    tell_staff(
        ticket=ticket, recipients=recipients, actor=actor,
        kind="escalations.handoff_received",
        context={"tier": handoff.to_tier.name, "from_tier": handoff.from_tier.name, "verb": verb,
                 "automatic": handoff.automatic, "findings": handoff.findings,
                 "criterion": handoff.criterion_text,
                 "message": f"{ticket.reference} {ticket.summary} was {verb.lower()} to {handoff.to_tier.name} "
                            f"from {handoff.from_tier.name}{how}."},
        dedup_key=f"handoff:{handoff.pk}:completed",
    )
    _tell_left_queue(handoff, ticket, previous_assignee, actor)


def _tell_left_queue(handoff: Handoff, ticket: Ticket, previous: User | None, actor: User | None) -> None:
    """The engineer whose queue the ticket left hears where it went, unless they moved it
    themselves or asked for it (they hear of the decision on their request)."""
    if previous is None or ticket.assignee_id == previous.pk:
        return
    if handoff.requested_by_id == previous.pk:
        return
    team = handoff.to_tier.team
    why = ("automatically: the " + handoff.from_tier.name + " time frame passed" if handoff.automatic
           else f"by {actor}" if actor else "")
    tell_staff(
        ticket=ticket, recipients=[previous], actor=actor, kind="ticket.left_queue",
        context={"team_name": team.name, "tier": handoff.to_tier.name, "from_tier": handoff.from_tier.name,
                 "automatic": handoff.automatic,
                 "message": f"{ticket.reference} {ticket.summary} moved from you to {team.name} "
                            f"({handoff.to_tier.name}) {why}. It is no longer in your queue."},
        dedup_key=f"handoff:{handoff.pk}:left:{previous.pk}",
    )


def _check_workable(ticket: Ticket, what: str) -> None:
    if ticket.status not in WORKABLE:
        raise Refused(f"{what} refused",
                      [f"a ticket that is open or in progress (this one is {ticket.get_status_display().lower()})"])


def _check_no_active(ticket: Ticket, what: str) -> None:
    pending = active_handoff(ticket)
    if pending is not None:
        raise Refused(f"{what} refused", [
            f"no other hand-off in flight: {pending.from_tier.name} → {pending.to_tier.name} is "
            f"{pending.get_status_display().lower()} (withdraw it first)"
        ])


def _who_moved(stint: TierStint) -> str:
    """Who brought the ticket into this stint's tier: the approver of a gated hand-off, the
    requester of a plain one, the system for an automatic one or a placement at triage."""
    handoff = stint.handoff
    if handoff is None:
        return "the system"
    if handoff.approval_id is not None and handoff.approval.decided_by_id is not None:
        return str(handoff.approval.decided_by)
    if handoff.automatic or handoff.requested_by_id is None:
        return "the system"
    return str(handoff.requested_by)


def moved_refusal(what: str, stint: TierStint, believed: Tier) -> Refused:
    """The 409 a caller hears whose ticket left the tier they believed it in: where it went, by whom, when."""
    when = f"{timezone.localtime(stint.entered_at):%d %b %Y %H:%M}"
    return Refused(
        f"This ticket has already moved to {stint.tier.name} (by {_who_moved(stint)}, {when})",
        [f"the ticket to still be in {believed.name}: it is now in {stint.tier.name}"],
    )


def _stint_with_mover(ticket: Ticket) -> TierStint | None:
    return (
        TierStint.objects.filter(ticket=ticket, left_at__isnull=True)
        .select_related("tier", "tier__team", "tier__path", "clock", "handoff__requested_by",
                        "handoff__approval__decided_by")
        .first()
    )


def believed_tier(ticket_pk: Any, from_tier: Tier | None = None) -> Tier | None:
    """Where the caller believes the ticket is: the tier they name, else where it is now. Read
    when a request begins (before the ticket itself), so a move committed meanwhile is a 409."""
    if from_tier is not None:
        return from_tier
    stint = TierStint.objects.filter(ticket_id=ticket_pk, left_at__isnull=True).select_related("tier__path").first()
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
        raise Refused(f"{what} refused", ["a ticket placed on its service's ladder (triage it first)"])
    if believed is not None and stint.tier_id != believed.pk:
        raise moved_refusal(what, stint, believed)
    return stint


def _lock_for_handoff(
    ticket: Ticket, actor: User, from_tier: Tier | None, what: str,
    allowed: Callable[[Ticket, User], bool], denied: str,
) -> tuple[Ticket, TierStint]:
    """Lock the ticket, then check its state and that it is where the caller believed, then
    the actor's permission (escalate, return). Without from_tier the belief is where the
    ticket was when this call began: a caller who lost a race learns where it went (409)
    rather than being refused by its new team's rules (403)."""
    believed = believed_tier(ticket.pk, from_tier)
    locked = lock_ticket(ticket)
    _check_workable(locked, what)
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
        locked, stint = _lock_for_handoff(ticket, actor, from_tier, "Escalation", permissions.can_escalate,
                                          "You may not escalate this ticket.")
        here = stint.tier
        target = to_tier or next_tier(here)
        if target is None:
            raise Refused("Escalation refused", [f"a tier above {here.name} on the ladder"])
        if target.path_id != here.path_id or target.level <= here.level:
            raise InvalidInput({"to_tier": [f"{target} is not above {here.name} on this ticket's ladder."]})
        if criterion is not None and criterion.tier_id != target.pk:
            raise InvalidInput({"criterion": [f'"{criterion}" is not a criterion of {target.name}.']})
        missing = handoff_missing(locked, here, target, criterion=criterion, findings=findings,
                                  evidence_note=evidence_note)
        if missing:
            raise Refused(f"Escalation to {target.name} refused", missing)
        previous = (
            # A sent-back request that already had its follow-up (since withdrawn) is not followed twice.
            Handoff.objects.filter(ticket=locked, to_tier=target, status=HandoffStatus.SENT_BACK,
                                   approval__follow_up__isnull=True)
            .select_related("approval").order_by("-pk").first()
        )
        handoff = Handoff.objects.create(
            ticket=locked, from_tier=here, to_tier=target, direction=Direction.ESCALATE,
            criterion=criterion, criterion_text=criterion.text if criterion else "",
            findings=findings.strip(), workaround=(workaround or "").strip(),
            evidence_note=(evidence_note or "").strip(), requested_by=actor,
            package=assemble_package(locked, here, target, criterion=criterion, findings=findings.strip(),
                                     workaround=workaround, evidence_note=evidence_note),
            previous=previous,
        )
        _after_request(handoff, locked, actor)
    return handoff


def _after_request(handoff: Handoff, ticket: Ticket, actor: User | None) -> None:
    """Record the request, then complete it or stop it at the target tier's gate."""
    target = handoff.to_tier
    record_event(
        ticket=ticket, kind="handoff_requested", actor=actor,
        source=_tier_name(handoff.from_tier), target=_tier_name(target),
        reason=handoff.findings,
        details={"handoff": handoff.pk, "criterion": handoff.criterion_text, "automatic": handoff.automatic,
                 "gated": target.requires_approval, "missing": handoff.missing},
    )
    if not target.requires_approval:
        _complete(handoff, ticket, actor)
        return
    approvers, overdue = _approvers_for(actor, ticket.team)
    previous_request = None
    if handoff.previous is not None and handoff.previous.approval is not None:
        candidate = handoff.previous.approval
        if candidate.status == ApprovalStatus.CHANGES_REQUESTED and not hasattr(candidate, "follow_up"):
            previous_request = candidate
    request = approval_file(
        subject=handoff,
        title=f"Escalate {ticket.reference} from {handoff.from_tier.name} to {target.name}",
        reference=ticket.reference,
        link=links.console_ticket_path(ticket.pk),
        package=_approval_package(handoff),
        missing=handoff.missing,
        requested_by=actor,
        approvers=approvers,
        overdue_recipients=overdue,
        previous=previous_request,
        calendar=sla.calendar_for(ticket),
        decision_seconds=settings.APPROVAL_DECISION_MINUTES * 60,
    )
    handoff.approval = request
    handoff.submit_for_approval()
    handoff.save()
    record_event(
        ticket=ticket, kind="approval_requested", actor=actor, target=_tier_name(target),
        reason=f"{target.name} needs a team leader's approval; asked of "
               + ", ".join(str(u) for u in approvers) + ".",
        details={"handoff": handoff.pk, "approval": request.pk,
                 "previous_approval": previous_request.pk if previous_request else None,
                 "approvers": [u.username for u in approvers]},
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
        locked, stint = _lock_for_handoff(ticket, actor, from_tier, "Return", permissions.can_return,
                                          "You may not return this ticket.")
        here = stint.tier
        if to_tier.path_id != here.path_id or to_tier.level >= here.level:
            raise InvalidInput({"to_tier": [f"{to_tier} is not below {here.name} on this ticket's ladder."]})
        if not (findings or "").strip():
            raise Refused(f"Return to {to_tier.name} refused",
                          [f"what was done and what {to_tier.name} should do next"])
        handoff = Handoff.objects.create(
            ticket=locked, from_tier=here, to_tier=to_tier, direction=Direction.RETURN,
            findings=findings.strip(), workaround=(workaround or "").strip(), requested_by=actor,
            package=assemble_package(locked, here, to_tier, findings=findings.strip(), workaround=workaround),
        )
        record_event(ticket=locked, kind="handoff_requested", actor=actor, source=_tier_name(here),
                     target=_tier_name(to_tier), reason=handoff.findings,
                     details={"handoff": handoff.pk, "direction": Direction.RETURN})
        _complete(handoff, locked, actor)
    return handoff


def handoff_withdraw(*, handoff: Handoff, actor: User | None, reason: str) -> Handoff:
    """Withdraw a hand-off still waiting (for approval); its approval request is cancelled.
    Lock, then state (still in flight), then permission: a loser of a race hears 409."""
    with transaction.atomic():
        # Approval request first, then the ticket: the order a decision takes its locks in.
        if handoff.approval_id is not None:
            ApprovalRequest.objects.select_for_update().filter(pk=handoff.approval_id).first()
        locked_ticket = lock_ticket(handoff.ticket)
        locked = Handoff.objects.select_for_update().select_related("from_tier", "to_tier").get(pk=handoff.pk)
        if not locked.is_active:
            raise Refused("Withdrawal refused",
                          [f"a hand-off still in flight (this one is {locked.get_status_display().lower()})"])
        locked.ticket = locked_ticket
        if actor is not None and not permissions.can_withdraw(locked, actor):
            raise PermissionDenied("You may not withdraw this hand-off.")
        if actor is not None and not (reason or "").strip():
            raise Refused("Withdrawal refused", ["the reason for withdrawing"])
        locked.withdraw(reason=(reason or "").strip())
        locked.save()
        if locked.approval_id is not None:
            approval_cancel(request=locked.approval, reason=f"Hand-off withdrawn: {reason}")
        record_event(ticket=locked_ticket, kind="handoff_withdrawn", actor=actor,
                     source=_tier_name(locked.from_tier), target=_tier_name(locked.to_tier), reason=reason,
                     details={"handoff": locked.pk})
    handoff.refresh_from_db()
    return locked


# --- the approval gate's decision ------------------------------------------------------------


def on_approval_decided(request: ApprovalRequest) -> None:
    """Called by the approvals app inside the decision's transaction."""
    handoff = Handoff.objects.select_related("ticket", "from_tier", "to_tier", "requested_by").get(approval=request)
    if request.status == ApprovalStatus.CANCELLED:
        return  # withdrawn: handoff_withdraw records it
    ticket = lock_ticket(handoff.ticket)
    approver = request.decided_by
    if request.status == ApprovalStatus.APPROVED:
        handoff.approve()
        handoff.save()
        record_event(
            ticket=ticket, kind="approval_granted", actor=approver, target=_tier_name(handoff.to_tier),
            reason=request.decision_notes,
            details={"handoff": handoff.pk, "approval": request.pk},
        )
        _check_workable(ticket, f"Escalation to {handoff.to_tier.name}")
        _complete(handoff, ticket, approver)
        outcome = "approved"
    else:
        handoff.send_back()
        handoff.save()
        record_event(
            ticket=ticket, kind="approval_changes_requested", actor=approver, target=_tier_name(handoff.to_tier),
            reason=request.decision_notes,
            details={"handoff": handoff.pk, "approval": request.pk, "steps": request.suggested_steps},
        )
        for text in request.suggested_steps:
            ticket_add_step(ticket=ticket, actor=approver, kind=StepKind.SUGGESTED, action=text,
                            state=StepState.TO_DO)
        outcome = "sent back with steps to do"
    if handoff.requested_by is not None:
        tell_staff(
            ticket=ticket, recipients=[handoff.requested_by], actor=approver,
            kind="escalations.approval_decided",
            context={"tier": handoff.to_tier.name, "outcome": outcome, "approver": str(approver),
                     "approved": request.status == ApprovalStatus.APPROVED, "notes": request.decision_notes,
                     "steps": list(request.suggested_steps),
                     "message": f"{ticket.reference}: your escalation to {handoff.to_tier.name} was {outcome} "
                                f"by {approver}. {request.decision_notes}"},
            dedup_key=f"approval:{request.pk}:decided",
        )


def before_approval(request: ApprovalRequest) -> list[str]:
    """At decision time the package must (still) meet the gate, e.g. after an automatic request."""
    handoff = Handoff.objects.select_related("ticket", "from_tier__path", "to_tier__path", "criterion").get(
        approval=request
    )
    missing = handoff_missing(handoff.ticket, handoff.from_tier, handoff.to_tier, criterion=handoff.criterion,
                              findings=handoff.findings, evidence_note=handoff.evidence_note)
    if handoff.automatic:
        # The system files without a criterion; the time frame that passed is its justification.
        missing = [m for m in missing if not m.startswith("an escalation criterion")]
    return missing


def on_approval_time_frame(request: ApprovalRequest, point: str) -> None:
    handoff = Handoff.objects.select_related("ticket").get(approval=request)
    record_event(
        ticket=handoff.ticket, kind=f"approval_{'reminder' if point == 'warning' else 'overdue'}", actor=None,
        reason="The approval is waiting: approvers reminded." if point == "warning"
        else "The approval was not decided within its time frame: the team manager was notified.",
        details={"handoff": handoff.pk, "approval": request.pk,
                 "notified": [u.username for u in (request.approvers.all() if point == "warning"
                                                   else request.overdue_recipients.all())]},
    )


# --- tier time frames ------------------------------------------------------------------------


def on_tier_clock(clock: Clock, *, warning: bool) -> None:
    """A tier's time frame reached its warning point or passed (inside the sweep's transaction)."""
    stint = TierStint.objects.select_related("tier", "tier__team", "ticket", "ticket__assignee").filter(
        clock=clock
    ).first()
    if stint is None:
        return
    ticket, tier = stint.ticket, stint.tier
    frame_hours = f"{clock.target_seconds / 3600:g} business hour(s)"
    if warning:
        recipients = [ticket.assignee] if ticket.assignee_id else _team_leads(tier.team)
        message = f"{ticket.reference} has used most of its {tier.name} time frame ({frame_hours})."
    else:
        recipients = _team_leads(tier.team)
        message = f"{ticket.reference} overstayed its {tier.name} time frame ({frame_hours})."
    auto = not warning and tier.breach_action == BreachAction.AUTO_ESCALATE
    tell_staff(
        ticket=ticket, recipients=recipients, actor=None,
        kind=f"escalations.tier_{'warning' if warning else 'breach'}",
        context={"tier": tier.name, "frame": frame_hours, "automatic": auto,
                 "due_at": f"{timezone.localtime(clock.due_at):%a %d %b %Y %H:%M}" if clock.due_at else "",
                 "message": message + (" It is being escalated automatically." if auto else "")},
        dedup_key=f"clock:{clock.pk}:{'warning' if warning else 'breach'}",
    )
    record_event(
        ticket=ticket, kind=f"tier_{'warning' if warning else 'breach'}", actor=None, source=_tier_name(tier),
        reason=message + (" Escalating automatically." if auto else ""),
        details={"tier": tier.pk, "clock": clock.pk, "due_at": clock.due_at.isoformat() if clock.due_at else None,
                 "notified": [u.username for u in recipients], "breach_action": tier.breach_action},
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
    stint = TierStint.objects.select_related("ticket").filter(pk=deadline.object_id).first()
    if stint is None:
        return
    ticket = lock_ticket(stint.ticket)
    stint = TierStint.objects.select_related("tier", "tier__path", "tier__team").get(pk=stint.pk)
    if stint.left_at is not None or ticket.status not in WORKABLE:
        return  # moved on, or no longer being worked, meanwhile
    pending = active_handoff(ticket)
    if pending is not None:
        record_event(ticket=ticket, kind="auto_escalation_skipped", actor=None, source=_tier_name(stint.tier),
                     reason=f"Not escalated automatically: {pending.from_tier.name} → {pending.to_tier.name} is "
                            f"already {pending.get_status_display().lower()}.",
                     details={"handoff": pending.pk})
        return
    target = next_tier(stint.tier)
    if target is None:
        record_event(ticket=ticket, kind="auto_escalation_skipped", actor=None, source=_tier_name(stint.tier),
                     reason=f"Not escalated automatically: {stint.tier.name} is the last tier of the ladder.")
        return
    findings = (f"Automatic escalation: the {stint.tier.name} time frame passed without a resolution.")
    missing = handoff_missing(ticket, stint.tier, target, criterion=None, findings=findings, evidence_note="")
    handoff = Handoff.objects.create(
        ticket=ticket, from_tier=stint.tier, to_tier=target, direction=Direction.ESCALATE,
        findings=findings, automatic=True, missing=missing,
        package=assemble_package(ticket, stint.tier, target, findings=findings),
    )
    _after_request(handoff, ticket, None)


# --- consults --------------------------------------------------------------------------------


def consult_request(*, ticket: Ticket, actor: User, team: Team, question: str,
                    reply_minutes: int | None = None) -> Consult:
    """Ask another internal team for input without changing tier; their reply has a time frame."""
    minutes = reply_minutes if reply_minutes is not None else settings.CONSULT_REPLY_MINUTES
    errors: dict[str, list[str]] = {}
    if not (question or "").strip():
        errors["question"] = ["Say what you need from the team."]
    if minutes <= 0:
        errors["reply_minutes"] = ["A reply time frame of at least one minute."]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not locked.is_open:
            raise Refused("Consult refused", ["an open ticket"])
        if not permissions.can_consult(locked, actor):
            raise PermissionDenied("You may not consult on this ticket.")
        if locked.team_id == team.pk:
            raise Refused("Consult refused", [f"another team than {team.name}, which already has the ticket"])
        consult = Consult.objects.create(ticket=locked, team=team, question=question.strip(),
                                         requested_by=actor, reply_minutes=minutes)
        clock_start(subject=consult, kind=CONSULT_CLOCK, calendar=sla.calendar_for(locked),
                    target_seconds=minutes * 60)
        record_event(ticket=locked, kind="consult_requested", actor=actor, target=team.name[:40],
                     reason=consult.question, details={"consult": consult.pk, "team": team.pk})
        tell_staff(
            ticket=locked, recipients=list(team.leaders.all()) + list(team.members.all()), actor=actor,
            kind="escalations.consult_requested",
            context={"team": team.name, "requested_by": str(actor), "question": consult.question,
                     "reply_minutes": minutes,
                     "message": f"{actor} asks {team.name} about {locked.reference}: {consult.question}"},
            dedup_key=f"consult:{consult.pk}:requested",
        )
    return consult


def _consult_clock(consult: Consult) -> Clock | None:
    return clocks_of(consult, CONSULT_CLOCK).first()


def consult_reply(*, consult: Consult, actor: User, reply: str) -> Consult:
    if not permissions.can_reply_consult(consult, actor):
        raise PermissionDenied("Only the consulted team may reply.")
    if not (reply or "").strip():
        raise InvalidInput({"reply": ["The reply is empty."]})
    with transaction.atomic():
        ticket = lock_ticket(consult.ticket)
        locked = Consult.objects.select_for_update().select_related("team", "requested_by").get(pk=consult.pk)
        if locked.state != ConsultStatus.OPEN:
            raise Refused("Reply refused", [f"an open consult (this one is {locked.get_state_display().lower()})"])
        locked.state = ConsultStatus.ANSWERED
        locked.reply = reply.strip()
        locked.replied_by = actor
        locked.replied_at = timezone.now()
        locked.save()
        clocks_stop(subject=locked, kind=CONSULT_CLOCK)
        record_event(ticket=ticket, kind="consult_answered", actor=actor, source=locked.team.name[:40],
                     reason=locked.reply, details={"consult": locked.pk})
        tell_staff(ticket=ticket, recipients=[locked.requested_by], actor=actor, kind="escalations.consult_answered",
                   context={"team": locked.team.name, "replied_by": str(actor), "question": locked.question,
                            "reply": locked.reply,
                            "message": f"{actor} of {locked.team.name} answered on {ticket.reference}: {locked.reply}"},
                   dedup_key=f"consult:{locked.pk}:answered")
    consult.refresh_from_db()
    return locked


def consult_withdraw(*, consult: Consult, actor: User | None, reason: str = "") -> Consult:
    if actor is not None and not permissions.can_withdraw_consult(consult, actor):
        raise PermissionDenied("You may not withdraw this consult.")
    with transaction.atomic():
        ticket = lock_ticket(consult.ticket)
        locked = Consult.objects.select_for_update().select_related("team").get(pk=consult.pk)
        if locked.state != ConsultStatus.OPEN:
            raise Refused("Withdrawal refused", ["an open consult"])
        locked.state = ConsultStatus.WITHDRAWN
        locked.save()
        clocks_stop(subject=locked, kind=CONSULT_CLOCK)
        record_event(ticket=ticket, kind="consult_withdrawn", actor=actor, source=locked.team.name[:40],
                     reason=reason, details={"consult": locked.pk})
    consult.refresh_from_db()
    return locked


def on_consult_clock(clock: Clock, *, warning: bool) -> None:
    consult = Consult.objects.select_related("ticket", "team", "requested_by").filter(pk=clock.object_id).first()
    if consult is None or consult.state != ConsultStatus.OPEN:
        return
    team = consult.team
    recipients = _team_leads(team) if warning else [consult.requested_by, *_team_leads(team)]
    point = "warning" if warning else "breach"
    message = (f"{team.name}'s reply on {consult.ticket.reference} is due soon." if warning
               else f"{team.name} did not reply on {consult.ticket.reference} within its time frame.")
    tell_staff(ticket=consult.ticket, recipients=recipients, actor=None, kind=f"escalations.consult_{point}",
               context={"team": team.name, "question": consult.question, "message": message,
                        "due_at": f"{timezone.localtime(clock.due_at):%a %d %b %Y %H:%M}" if clock.due_at else ""},
               dedup_key=f"clock:{clock.pk}:{point}")
    record_event(ticket=consult.ticket, kind=f"consult_{point}", actor=None, source=team.name[:40],
                 reason=message, details={"consult": consult.pk, "notified": [u.username for u in recipients]})


# --- vendor tiers ----------------------------------------------------------------------------


def _vendor_stint(ticket: Ticket, what: str) -> TierStint:
    stint = current_stint(ticket)
    if stint is None or stint.tier.kind != TierKind.VENDOR:
        raise Refused(f"{what} refused", ["the ticket to be in a vendor tier (after an approved hand-off)"])
    return stint


def vendor_engage(*, ticket: Ticket, actor: User, case_number: str, contact: str,
                  vendor_name: str = "") -> VendorEngagement:
    """Record the vendor's case for a ticket in a vendor tier."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        stint = _vendor_stint(locked, "Recording the vendor case")
        if not permissions.can_record_vendor(locked, actor):
            raise PermissionDenied("You may not record vendor work on this ticket.")
        name = (vendor_name or "").strip() or stint.tier.vendor_name
        missing = [label for value, label in ((name, "the vendor's name"), (case_number, "the vendor case number"),
                                              (contact, "the vendor contact")) if not (value or "").strip()]
        if missing:
            raise Refused("Recording the vendor case refused", missing)
        engagement = VendorEngagement.objects.create(
            ticket=locked, tier=stint.tier, vendor_name=name.strip(), case_number=case_number.strip(),
            contact=contact.strip(), engaged_by=actor,
        )
        record_event(ticket=locked, kind="vendor_engaged", actor=actor, target=name[:40],
                     reason=f"{name} case {engagement.case_number}, contact {engagement.contact}.",
                     details={"engagement": engagement.pk})
    return engagement


def vendor_update(*, engagement: VendorEngagement, actor: User, summary: str,
                  received_at: datetime | None = None) -> VendorUpdate:
    """Record an update received from the vendor."""
    if not (summary or "").strip():
        raise InvalidInput({"summary": ["Say what the vendor reported."]})
    if received_at is not None and received_at > timezone.now():
        raise InvalidInput({"received_at": ["An update cannot be received in the future."]})
    with transaction.atomic():
        ticket = lock_ticket(engagement.ticket)
        if not ticket.is_open:
            raise Refused("Vendor update refused", ["an open ticket"])
        if not permissions.can_record_vendor(ticket, actor):
            raise PermissionDenied("You may not record vendor work on this ticket.")
        update = VendorUpdate.objects.create(engagement=engagement, summary=summary.strip(), recorded_by=actor,
                                             received_at=received_at or timezone.now())
        record_event(ticket=ticket, kind="vendor_update", actor=actor, source=engagement.vendor_name[:40],
                     reason=update.summary, details={"engagement": engagement.pk, "update": update.pk})
    return update


# --- the IT manager's decision point ---------------------------------------------------------


# Timeline kinds of a time frame reaching its warning point or passing (SPEC §4: every
# warning and breach is on the timeline): the ticket's SLA, its tiers, consults, approvals and
# the customer escalation's acknowledgement and communication-plan updates.
CLOCK_EVENT_WORDS = {
    "sla_warning": "SLA time frame at its warning point",
    "sla_breach": "SLA time frame breached",
    "tier_warning": "Tier time frame at its warning point",
    "tier_breach": "Tier time frame passed",
    "consult_warning": "Consult reply due soon",
    "consult_breach": "Consult reply overdue",
    "approval_reminder": "Approval waiting: approvers reminded",
    "approval_overdue": "Approval overdue: team manager notified",
    "case_ack_warning": "Escalation not yet acknowledged",
    "case_ack_breach": "Escalation acknowledgement overdue",
    "case_update_due": "Escalation update due soon",
    "case_update_missed": "Escalation update missed",
}
CLOCK_EVENT_KINDS = tuple(CLOCK_EVENT_WORDS)


def conversation_of(ticket: Ticket) -> list[dict[str, Any]]:
    """Every comment, public and internal, with its author, time and channel, oldest first."""
    return [
        {"at": c.created_at.isoformat(), "author": str(c.author), "internal": c.is_internal,
         "channel": c.channel, "body": c.body}
        for c in Comment.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "pk")
    ]


def clock_events_of(ticket: Ticket) -> list[dict[str, Any]]:
    """Every time-frame warning and breach on the ticket's timeline, oldest first."""
    return [
        {"at": e.at.isoformat(), "kind": e.kind, "breach": not e.kind.endswith(("warning", "reminder", "due")),
         "label": CLOCK_EVENT_WORDS.get(e.kind, e.kind), "where": e.source, "reason": e.reason,
         "notified": e.details.get("notified", [])}
        for e in TimelineEvent.objects.filter(ticket=ticket, kind__in=CLOCK_EVENT_KINDS).order_by("at", "pk")
    ]


def activity_record(ticket: Ticket) -> dict[str, Any]:
    """Complete details of all activity (seed 001): intake, steps per tier, hand-offs,
    approvals, consults, vendor work, the conversation and every time-frame warning and
    breach — what the IT manager decides on."""
    stint = current_stint(ticket)
    first = stint.tier if stint else None
    record = assemble_package(ticket, first, first) if first else {}
    record["handoffs"] = [
        {"from": h.from_tier.name, "to": h.to_tier.name, "status": h.status, "automatic": h.automatic,
         "criterion": h.criterion_text, "findings": h.findings, "at": h.requested_at.isoformat(),
         "by": str(h.requested_by) if h.requested_by else "the system",
         "approved_by": str(h.approval.decided_by) if h.approval and h.approval.decided_by else "",
         "approval_notes": h.approval.decision_notes if h.approval else ""}
        for h in Handoff.objects.filter(ticket=ticket).select_related(
            "from_tier", "to_tier", "requested_by", "approval__decided_by").order_by("requested_at", "pk")
    ]
    record["consults"] = [
        {"team": c.team.name, "question": c.question, "reply": c.reply, "state": c.state,
         "at": c.requested_at.isoformat(), "by": str(c.requested_by),
         "replied_by": str(c.replied_by) if c.replied_by else "",
         "replied_at": c.replied_at.isoformat() if c.replied_at else ""}
        for c in Consult.objects.filter(ticket=ticket).select_related("team", "requested_by", "replied_by")
        .order_by("requested_at", "pk")
    ]
    record["vendor"] = [
        {"vendor": e.vendor_name, "case": e.case_number, "contact": e.contact,
         "updates": [{"at": u.received_at.isoformat(), "summary": u.summary, "by": str(u.recorded_by)}
                     for u in e.updates.all()]}
        for e in VendorEngagement.objects.filter(ticket=ticket).prefetch_related(
            Prefetch("updates", queryset=VendorUpdate.objects.select_related("recorded_by").order_by(
                "received_at", "pk")))
    ]
    record["conversation"] = conversation_of(ticket)
    record["clock_events"] = clock_events_of(ticket)
    return record


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
        stint = current_stint(locked)
        if stint is None or stint.tier.kind != TierKind.DECISION:
            raise Refused("Decision refused", ["the ticket to be at the IT manager decision point"])
        _check_workable(locked, "Decision")
        if not permissions.can_decide_at(stint.tier, actor):
            raise PermissionDenied("Only the IT manager decides here.")
        missing = [] if (notes or "").strip() else ["decision notes"]
        if outcome in (DecisionOutcome.KNOWN_ERROR, DecisionOutcome.CLOSE_WITH_WORKAROUND) and not root_cause.strip():
            missing.append("the root cause as far as it is known")
        if outcome == DecisionOutcome.CONTINUE_WITH_VENDOR:
            to_tier = to_tier or stint.tier.path.tiers.filter(kind=TierKind.VENDOR).order_by("-level").first()
            if to_tier is None:
                missing.append("a vendor tier on this ladder")
        if outcome == DecisionOutcome.RETURN_TO_TIER and to_tier is None:
            missing.append("the tier to return the ticket to")
        if missing:
            raise Refused("Decision refused", missing)
        decision = ManagerDecision.objects.create(
            ticket=locked, tier=stint.tier, outcome=outcome, notes=notes.strip(), decided_by=actor,
            activity_record=activity_record(locked),
        )
        record_event(ticket=locked, kind="it_manager_decision", actor=actor, source=_tier_name(stint.tier),
                     reason=decision.notes,
                     details={"decision": decision.pk, "outcome": outcome,
                              "outcome_label": decision.get_outcome_display()})
        if outcome in (DecisionOutcome.CONTINUE_WITH_VENDOR, DecisionOutcome.RETURN_TO_TIER):
            return_to_tier(ticket=locked, actor=actor, to_tier=to_tier,
                           findings=f"IT manager's decision: {decision.get_outcome_display()}. {decision.notes}")
        else:
            if locked.status == Status.OPEN:
                ticket_start(ticket=locked, actor=actor)
            ticket_resolve(
                ticket=locked, actor=actor, resolution_summary=decision.notes, root_cause=root_cause,
                fix_kind="known_error" if outcome == DecisionOutcome.KNOWN_ERROR else "workaround",
                knowledge_article=knowledge_article, knowledge_none_reason=knowledge_none_reason,
            )
    ticket.refresh_from_db()
    return decision


# --- the ticket's lifecycle, as it concerns the ladder ---------------------------------------


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


def steps_to_do(ticket: Ticket) -> list[TroubleshootingStep]:
    return list(TroubleshootingStep.objects.filter(ticket=ticket, state=StepState.TO_DO).order_by("pk"))


def tiers_above(tier: Tier) -> Iterable[Tier]:
    return tier.path.tiers.filter(level__gt=tier.level).prefetch_related("criteria").order_by("level")


def tiers_below(tier: Tier) -> Iterable[Tier]:
    return tier.path.tiers.filter(level__lt=tier.level).order_by("level")
