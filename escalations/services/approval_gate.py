"""A hand-off asked for is recorded, then completed, or stopped at a gated tier with an
approval request to the requester's team leaders; the approvals app calls back here when the
request is decided, before an approval is recorded and when its time frame runs (SPEC §3)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import approval_file
from escalation_desk import links
from escalation_desk.state import change_state
from tickets import sla
from tickets.models import StepKind, StepState, Ticket
from tickets.notices import tell_staff
from tickets.services.core import lock_ticket, record_event
from tickets.services.steps import ticket_add_step

from ..models import Handoff
from ..selectors import handoff_missing
from .tiers import check_workable, complete_handoff, lock_handoff, tier_name


def _approvers_for(requester: User | None, ticket_team: Team) -> tuple[list[User], list[User]]:
    """Team leaders and managers of the requester's teams (the ticket's team for the system),
    never the requester; and who hears when the decision is overdue (the team managers)."""
    if requester is not None:
        teams = list(
            Team.objects.filter(Q(members=requester) | Q(leaders=requester))
            .distinct()
            .select_related("manager")
            .prefetch_related("leaders")
        )
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


# The intake an approver reads, in this order: (field, label).
INTAKE_LABELS = (
    ("symptoms", _("Symptoms")),
    ("error_messages", _("Error messages")),
    ("replication_steps", _("Steps to reproduce")),
    ("recent_changes", _("Recent changes")),
    ("business_impact", _("Business impact")),
)


def _approval_package(handoff: Handoff) -> list[dict[str, Any]]:
    """The package as generic sections an approver reads (the approvals app knows no tiers)."""
    package = handoff.package
    intake = package.get("intake", {})
    sections = [
        {"title": gettext("Hand-off"), "items": _handoff_items(package)},
        {
            "title": gettext("Intake"),
            "items": [
                {
                    "text": gettext("%(label)s: %(value)s")
                    % {"label": label, "value": intake.get(field) or "—"}
                }
                for field, label in INTAKE_LABELS
            ],
        },
    ]
    sections += [_tier_section(group) for group in package.get("tiers", [])]
    files = [_attachment_item(f) for f in package.get("files", [])]
    sections.append(
        {"title": gettext("Evidence on the ticket"), "items": files or [{"text": gettext("none attached")}]}
    )
    if handoff.missing:
        sections.append(
            {
                "title": gettext("Still missing (automatic request)"),
                "items": [{"text": m} for m in handoff.missing],
            }
        )
    return sections


def _handoff_items(package: dict[str, Any]) -> list[dict[str, str]]:
    """Where the hand-off goes, its criterion, findings, workaround and why there is no evidence."""
    head = [
        {
            "text": gettext("From %(from_tier)s to %(to_tier)s")
            % {"from_tier": package["from_tier"], "to_tier": package["to_tier"]}
        },
        {"text": gettext("Criterion: %(criterion)s") % {"criterion": package["criterion"] or "—"}},
        {"text": gettext("Findings: %(findings)s") % {"findings": package["findings"] or "—"}},
        {
            "text": gettext("Workaround: %(workaround)s")
            % {"workaround": package["workaround"] or gettext("none")}
        },
    ]
    if package.get("evidence_note"):
        head.append(
            {"text": gettext("No logs or screenshots: %(note)s") % {"note": package["evidence_note"]}}
        )
    return head


def _tier_section(group: dict[str, Any]) -> dict[str, Any]:
    """One tier's steps, each followed by its files."""
    items = []
    for step in group["steps"]:
        words = {
            "kind": step["kind_label"],
            "action": step["action"],
            "outcome": step["outcome"] or "—",
            "engineer": step["engineer"],
        }
        if step["state"] == StepState.TO_DO:
            text = gettext("%(kind)s (to do): %(action)s → %(outcome)s (%(engineer)s)") % words
        else:
            text = gettext("%(kind)s: %(action)s → %(outcome)s (%(engineer)s)") % words
        items.append({"text": text})
        items += [_attachment_item(a) for a in step["attachments"]]
    return {
        "title": gettext("Troubleshooting – %(tier)s") % {"tier": group["tier"]},
        "items": items or [{"text": gettext("none")}],
    }


def _attachment_item(attachment: dict[str, Any]) -> dict[str, str]:
    return {
        "text": gettext("Attachment: %(name)s") % {"name": attachment["name"]},
        "url": links.console_attachment_path(attachment["id"]),
    }


def handoff_submit(handoff: Handoff, ticket: Ticket, actor: User | None) -> None:
    """Record the request, then complete it or stop it at the target tier's gate."""
    target = handoff.to_tier
    _record_requested(handoff, ticket, actor)
    if not target.requires_approval:
        complete_handoff(handoff, ticket, actor)
        return
    approvers, overdue = _approvers_for(actor, ticket.team)
    previous_request = _request_to_follow_up(handoff)
    request = approval_file(
        subject=handoff,
        title=gettext("Escalate %(reference)s from %(from_tier)s to %(to_tier)s")
        % {"reference": ticket.reference, "from_tier": handoff.from_tier.name, "to_tier": target.name},
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
    _stop_at_gate(handoff, ticket, actor, request, approvers, previous_request)


def _record_requested(handoff: Handoff, ticket: Ticket, actor: User | None) -> None:
    """The timeline's "hand-off requested", with whether the target tier is gated."""
    target = handoff.to_tier
    record_event(
        ticket=ticket,
        kind="handoff_requested",
        actor=actor,
        source=tier_name(handoff.from_tier),
        target=tier_name(target),
        reason=handoff.findings,
        details={
            "handoff": handoff.pk,
            "criterion": handoff.criterion_text,
            "automatic": handoff.automatic,
            "gated": target.requires_approval,
            "missing": handoff.missing,
        },
    )


def _request_to_follow_up(handoff: Handoff) -> ApprovalRequest | None:
    """The previous hand-off's approval request, when it was sent back and not followed up yet."""
    if handoff.previous is not None and handoff.previous.approval is not None:
        candidate = handoff.previous.approval
        if candidate.status == ApprovalStatus.CHANGES_REQUESTED and not hasattr(candidate, "follow_up"):
            return candidate
    return None


def _stop_at_gate(
    handoff: Handoff,
    ticket: Ticket,
    actor: User | None,
    request: ApprovalRequest,
    approvers: list[User],
    previous_request: ApprovalRequest | None,
) -> None:
    """The hand-off waits for the approval request filed at the gate; the timeline says of whom."""
    target = handoff.to_tier

    def record(handoff: Handoff, source: str) -> None:
        record_event(
            ticket=ticket,
            kind="approval_requested",
            actor=actor,
            target=tier_name(target),
            reason=gettext("%(tier)s needs a team leader's approval; asked of %(approvers)s.")
            % {"tier": target.name, "approvers": ", ".join(str(u) for u in approvers)},
            details={
                "handoff": handoff.pk,
                "approval": request.pk,
                "previous_approval": previous_request.pk if previous_request else None,
                "approvers": [u.username for u in approvers],
            },
        )

    change_state(
        handoff,
        "submit_for_approval",
        actor=actor,
        lock=lock_handoff,
        label=gettext("Asking for approval"),
        prepare=lambda h: setattr(h, "approval", request),
        record=record,
    )


def on_approval_decided(request: ApprovalRequest) -> None:
    """Called by the approvals app inside the decision's transaction."""
    handoff = Handoff.objects.select_related("ticket", "from_tier", "to_tier", "requested_by").get(
        approval=request
    )
    if request.status == ApprovalStatus.CANCELLED:
        return  # withdrawn: handoff_withdraw records it
    ticket = lock_ticket(handoff.ticket)
    approver = request.decided_by
    words = {
        "reference": ticket.reference,
        "tier": handoff.to_tier.name,
        "approver": approver,
        "notes": request.decision_notes,
    }
    if request.status == ApprovalStatus.APPROVED:
        _handoff_approved(handoff, ticket, request)
        outcome = gettext("approved")
        message = gettext(
            "%(reference)s: your escalation to %(tier)s was approved by %(approver)s. %(notes)s"
        )
    else:
        _handoff_sent_back(handoff, ticket, request)
        outcome = gettext("sent back with steps to do")
        message = gettext(
            "%(reference)s: your escalation to %(tier)s was sent back with steps to do by %(approver)s. "
            "%(notes)s"
        )
    if handoff.requested_by is not None:
        tell_staff(
            ticket=ticket,
            recipients=[handoff.requested_by],
            actor=approver,
            kind="escalations.approval_decided",
            context={
                "tier": handoff.to_tier.name,
                "outcome": outcome,
                "approver": str(approver),
                "approved": request.status == ApprovalStatus.APPROVED,
                "notes": request.decision_notes,
                "steps": list(request.suggested_steps),
                "message": message % words,
            },
            dedup_key=f"approval:{request.pk}:decided",
        )


def _handoff_approved(handoff: Handoff, ticket: Ticket, request: ApprovalRequest) -> None:
    """Approved: recorded, then the hand-off completes (the ticket must still be worked)."""
    approver = request.decided_by

    def record(handoff: Handoff, source: str) -> None:
        record_event(
            ticket=ticket,
            kind="approval_granted",
            actor=approver,
            target=tier_name(handoff.to_tier),
            reason=request.decision_notes,
            details={"handoff": handoff.pk, "approval": request.pk},
        )

    def then(handoff: Handoff) -> None:
        check_workable(ticket, gettext("Escalation to %(tier)s") % {"tier": handoff.to_tier.name})
        complete_handoff(handoff, ticket, approver)

    change_state(
        handoff,
        "approve",
        actor=approver,
        lock=lock_handoff,
        label=gettext("Approving the hand-off"),
        record=record,
        then=then,
    )


def _handoff_sent_back(handoff: Handoff, ticket: Ticket, request: ApprovalRequest) -> None:
    """Changes requested: recorded, and the steps asked for become steps to do on the ticket."""
    approver = request.decided_by

    def record(handoff: Handoff, source: str) -> None:
        record_event(
            ticket=ticket,
            kind="approval_changes_requested",
            actor=approver,
            target=tier_name(handoff.to_tier),
            reason=request.decision_notes,
            details={"handoff": handoff.pk, "approval": request.pk, "steps": request.suggested_steps},
        )

    def then(handoff: Handoff) -> None:
        for text in request.suggested_steps:
            ticket_add_step(
                ticket=ticket, actor=approver, kind=StepKind.SUGGESTED, action=text, state=StepState.TO_DO
            )

    change_state(
        handoff,
        "send_back",
        actor=approver,
        lock=lock_handoff,
        label=gettext("Sending the hand-off back"),
        record=record,
        then=then,
    )


def before_approval(request: ApprovalRequest) -> list[str]:
    """At decision time the package must (still) meet the gate, e.g. after an automatic request."""
    handoff = Handoff.objects.select_related("ticket", "from_tier__path", "to_tier__path", "criterion").get(
        approval=request
    )
    return handoff_missing(
        handoff.ticket,
        handoff.from_tier,
        handoff.to_tier,
        criterion=handoff.criterion,
        findings=handoff.findings,
        evidence_note=handoff.evidence_note,
        # The system files without a criterion; the time frame that passed is its justification.
        criterion_needed=not handoff.automatic,
    )


def on_approval_time_frame(request: ApprovalRequest, point: str) -> None:
    handoff = Handoff.objects.select_related("ticket").get(approval=request)
    record_event(
        ticket=handoff.ticket,
        kind=f"approval_{'reminder' if point == 'warning' else 'overdue'}",
        actor=None,
        reason=gettext("The approval is waiting: approvers reminded.")
        if point == "warning"
        else gettext("The approval was not decided within its time frame: the team manager was notified."),
        details={
            "handoff": handoff.pk,
            "approval": request.pk,
            "notified": [
                u.username
                for u in (request.approvers.all() if point == "warning" else request.overdue_recipients.all())
            ],
        },
    )
