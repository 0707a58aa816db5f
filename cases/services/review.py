"""The leadership review (seed 000): once the team leader and the team manager were engaged, the
customer may ask for support leadership; the engineer, team leader and team manager prepare the
case brief, and leadership records its internal review and the stakeholder meeting."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from escalation_desk.domain import Refused
from escalation_desk.state import change_state
from escalations.models import Handoff
from escalations.selectors import current_stint
from tickets.models import Ticket
from tickets.services.core import record_event

from .. import permissions
from ..models import CaseMeeting, CaseStatus, EscalationCase, MeetingKind, ParticipantRole
from .core import leadership, lock_case, locked_case
from .participants import add_participant


def engaged_roles(case: EscalationCase) -> set[str]:
    return set(case.participants.values_list("role", flat=True))


def leadership_missing(case: EscalationCase) -> list[str]:
    roles = engaged_roles(case)
    missing = []
    if ParticipantRole.TEAM_LEADER not in roles:
        missing.append("the team leader engaged first")
    if ParticipantRole.TEAM_MANAGER not in roles:
        missing.append("the team manager engaged first")
    return missing


def case_brief(ticket: Ticket) -> str:
    """The case details for leadership, generated from the ticket's history (seed 000)."""
    lines = [
        f"{ticket.reference} — {ticket.summary}",
        f"Customer: {ticket.organisation}; priority {ticket.priority or '—'}; status "
        f"{ticket.get_status_display().lower()}; opened {timezone.localtime(ticket.created_at):%d %b %Y}.",
        "",
        "Intake",
    ]
    for field in (
        "description",
        "symptoms",
        "error_messages",
        "recent_changes",
        "business_impact",
        "workaround",
    ):
        value = getattr(ticket, field)
        if value:
            lines.append(f"- {ticket._meta.get_field(field).verbose_name.capitalize()}: {value}")
    steps = list(ticket.steps.select_related("engineer", "team").order_by("performed_at", "pk"))
    lines += ["", f"Troubleshooting ({len(steps)} step(s))"]
    lines += [
        f"- {timezone.localtime(s.performed_at):%d %b %H:%M} {s.team or ''} {s.engineer}: "
        f"{s.get_kind_display()} — {s.action} → {s.outcome or 'to do'}"
        for s in steps
    ]
    handoffs = list(Handoff.objects.filter(ticket=ticket).select_related("from_tier", "to_tier", "approval"))
    lines += ["", "Hand-offs and approvals"]
    lines += [
        f"- {timezone.localtime(h.requested_at):%d %b %H:%M} {h.from_tier} → {h.to_tier}: "
        f"{h.get_status_display().lower()}"
        + (" (automatic)" if h.automatic else "")
        + (
            f"; approval notes: {h.approval.decision_notes}"
            if h.approval and h.approval.decision_notes
            else ""
        )
        for h in handoffs
    ] or ["- none"]
    stint = current_stint(ticket)
    if stint is not None:
        lines.append(f"Now in {stint.tier}.")
    lines += ["", "Escalation"]
    for case in EscalationCase.objects.filter(ticket=ticket).prefetch_related(
        "requests", "updates", "participants__user"
    ):
        for r in case.requests.all():
            lines.append(
                f"- {timezone.localtime(r.requested_at):%d %b %H:%M} {r.get_reason_display()}: "
                f"{r.get_level_display()} requested ({r.channel}); impact: {r.business_impact}"
            )
        lines += [f"- engaged: {p.user} ({p.get_role_display().lower()})" for p in case.participants.all()]
        lines += [
            f"- update {timezone.localtime(u.given_at):%d %b %H:%M} ({u.get_mode_display().lower()}): "
            f"{u.summary}"
            for u in case.updates.all()
        ]
    return "\n".join(lines)


def case_start_leadership_review(*, case: EscalationCase, actor: User) -> EscalationCase:
    """The customer asked for leadership: allowed once the team leader and manager were engaged."""
    if not (permissions.can_manage_case(actor) or permissions.can_engage(case.ticket, actor)):
        raise PermissionDenied("You may not start a leadership review.")

    def not_possible(locked: EscalationCase) -> Refused:
        return Refused(
            "Leadership review refused",
            [f"an active escalation (this one is {locked.get_status_display().lower()})"],
        )

    def put_brief(locked: EscalationCase) -> None:
        locked.brief = case_brief(locked.ticket)
        locked.brief_ready_engineer = locked.brief_ready_team_leader = locked.brief_ready_team_manager = None

    def record(locked: EscalationCase, source: str) -> None:
        for person in leadership():
            add_participant(locked, locked.ticket, person, ParticipantRole.LEADERSHIP, actor)
        record_event(
            ticket=locked.ticket,
            kind="case_leadership_review",
            actor=actor,
            source=source,
            target=locked.status,
            reason="Support leadership reviews the case.",
            details={"case": locked.pk},
            is_public=True,
        )

    locked = change_state(
        case,
        "start_leadership_review",
        actor=actor,
        lock=locked_case,
        label="Leadership review",
        not_possible=not_possible,
        missing=leadership_missing,
        prepare=put_brief,
        record=record,
    )
    case.refresh_from_db()
    return locked


def brief_role(case: EscalationCase, ticket: Ticket, user: User) -> str | None:
    """Which of the three who prepare the brief the user is: engineer, team leader or manager."""
    if ticket.assignee_id == user.pk:
        return "engineer"
    team = ticket.team
    if team is not None and team.manager_id == user.pk:
        return "team_manager"
    if team is not None and team.leaders.filter(pk=user.pk).exists():
        return "team_leader"
    return None


def case_edit_brief(*, case: EscalationCase, actor: User, brief: str, ready: bool = False) -> EscalationCase:
    """The engineer, team leader and team manager edit the brief and each marks it ready."""
    with transaction.atomic():
        ticket, locked = lock_case(case)
        role = brief_role(locked, ticket, actor)
        if role is None:
            raise PermissionDenied(
                "The assigned engineer, the team leader and the team manager prepare the brief."
            )
        if locked.status != CaseStatus.LEADERSHIP_REVIEW:
            raise Refused("Editing the brief refused", ["a case under leadership review"])
        if not brief.strip():
            raise Refused("Editing the brief refused", ["the brief's text"])
        changed = brief.strip() != locked.brief
        locked.brief = brief.strip()
        if changed:  # everyone looks again at a changed brief
            locked.brief_ready_engineer = locked.brief_ready_team_leader = locked.brief_ready_team_manager = (
                None
            )
        if ready:
            setattr(locked, f"brief_ready_{role}", actor)
        locked.save()
        record_event(
            ticket=ticket,
            kind="case_brief",
            actor=actor,
            reason=f"Case brief {'edited' if changed else 'reviewed'}"
            + (f" and marked ready by the {role.replace('_', ' ')}" if ready else "")
            + ".",
            details={"case": locked.pk, "ready": ready, "role": role},
        )
    case.refresh_from_db()
    return locked


def brief_missing(case: EscalationCase) -> list[str]:
    missing = []
    for role, label in (
        ("engineer", "the engineer"),
        ("team_leader", "the team leader"),
        ("team_manager", "the team manager"),
    ):
        if getattr(case, f"brief_ready_{role}_id") is None:
            missing.append(f"the case brief marked ready by {label}")
    return missing


def case_finish_leadership_review(
    *,
    case: EscalationCase,
    actor: User,
    internal_review: str,
    meeting_at: datetime | None,
    attendees: str,
    outcome: str,
) -> EscalationCase:
    """leadership review → active: leadership records its internal review and the stakeholder
    meeting (once the brief is marked ready by all three who prepare it), then the case goes on."""
    if not permissions.is_leadership(actor):
        raise PermissionDenied("Only support leadership records the review.")

    def not_possible(_locked: EscalationCase) -> Refused:
        return Refused("Recording the review refused", ["a case under leadership review"])

    def put_review(locked: EscalationCase) -> None:
        locked.internal_review = internal_review.strip()

    def record(locked: EscalationCase, source: str) -> None:
        _record_stakeholder_meeting(locked, meeting_at, attendees.strip(), outcome.strip(), actor=actor)
        record_event(
            ticket=locked.ticket,
            kind="case_leadership_done",
            actor=actor,
            source=source,
            target=locked.status,
            reason=f"Stakeholder meeting: {outcome.strip()}",
            details={"case": locked.pk},
            is_public=True,
        )

    locked = change_state(
        case,
        "finish_leadership_review",
        actor=actor,
        lock=locked_case,
        label="Recording the review",
        not_possible=not_possible,
        prepare=put_review,
        missing=lambda locked: review_missing(
            locked,
            internal_review=internal_review,
            meeting_at=meeting_at,
            attendees=attendees,
            outcome=outcome,
        ),
        record=record,
    )
    case.refresh_from_db()
    return locked


def review_missing(
    case: EscalationCase, *, internal_review: str, meeting_at: datetime | None, attendees: str, outcome: str
) -> list[str]:
    """What recording the review still needs, in words: the brief marked ready, then the review
    and the stakeholder meeting."""
    gaps = brief_missing(case)
    if not internal_review.strip():
        gaps.append("the internal review")
    if meeting_at is None:
        gaps.append("when the stakeholder meeting took place")
    if not attendees.strip():
        gaps.append("who attended the stakeholder meeting")
    if not outcome.strip():
        gaps.append("the stakeholder meeting's outcome")
    return gaps


def _record_stakeholder_meeting(
    case: EscalationCase, meeting_at: datetime | None, attendees: str, outcome: str, *, actor: User
) -> CaseMeeting:
    return CaseMeeting.objects.create(
        case=case,
        kind=MeetingKind.STAKEHOLDER_MEETING,
        scheduled_for=meeting_at,
        attendees=attendees,
        outcome=outcome,
        recorded_by=actor,
    )
