"""The leadership review (seed 000): once the team leader and the team manager were engaged, the
customer may ask for support leadership; the engineer, team leader and team manager prepare the
case brief, and leadership records its internal review and the stakeholder meeting."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from escalation_desk.domain import Refused
from escalation_desk.state import change_state
from escalations.models import Handoff
from escalations.selectors import current_stint
from tickets.models import Ticket
from tickets.services.core import record_event

from .. import permissions
from ..models import CaseMeeting, CaseStatus, EscalationCase, MeetingKind, ParticipantRole
from .core import an_active_escalation, leadership, lock_case, locked_case
from .participants import add_participant


def engaged_roles(case: EscalationCase) -> set[str]:
    return set(case.participants.values_list("role", flat=True))


def leadership_missing(case: EscalationCase) -> list[str]:
    roles = engaged_roles(case)
    missing = []
    if ParticipantRole.TEAM_LEADER not in roles:
        missing.append(gettext("the team leader engaged first"))
    if ParticipantRole.TEAM_MANAGER not in roles:
        missing.append(gettext("the team manager engaged first"))
    return missing


# The intake fields the brief quotes, in this order.
BRIEF_INTAKE = (
    "description",
    "symptoms",
    "error_messages",
    "recent_changes",
    "business_impact",
    "workaround",
)


def case_brief(ticket: Ticket) -> str:
    """The case details for leadership, generated from the ticket's history (seed 000): the
    intake, the troubleshooting, the hand-offs and approvals, and the escalation so far."""
    lines = [
        f"{ticket.reference} — {ticket.summary}",
        gettext("Customer: %(organisation)s; priority %(priority)s; status %(status)s; opened %(opened)s.")
        % {
            "organisation": ticket.organisation,
            "priority": ticket.priority or "—",
            "status": ticket.get_status_display().lower(),
            "opened": f"{timezone.localtime(ticket.created_at):%d %b %Y}",
        },
        "",
        gettext("Intake"),
        *_brief_intake(ticket),
        "",
        *_brief_troubleshooting(ticket),
        "",
        gettext("Hand-offs and approvals"),
        *_brief_handoffs(ticket),
        "",
        gettext("Escalation"),
        *_brief_escalation(ticket),
    ]
    return "\n".join(lines)


def _brief_intake(ticket: Ticket) -> list[str]:
    return [
        f"- {ticket._meta.get_field(name).verbose_name.capitalize()}: {value}"
        for name in BRIEF_INTAKE
        if (value := getattr(ticket, name))
    ]


def _brief_troubleshooting(ticket: Ticket) -> list[str]:
    """The heading with the number of steps, then each step: when, who, what and its outcome."""
    steps = list(ticket.steps.select_related("engineer", "team").order_by("performed_at", "pk"))
    return [
        gettext("Troubleshooting (%(count)s step(s))") % {"count": len(steps)},
        *(
            f"- {timezone.localtime(s.performed_at):%d %b %H:%M} {s.team or ''} {s.engineer}: "
            f"{s.get_kind_display()} — {s.action} → {s.outcome or gettext('to do')}"
            for s in steps
        ),
    ]


def _brief_handoffs(ticket: Ticket) -> list[str]:
    """Each hand-off with its approval's notes, then the tier the ticket is in now."""
    handoffs = Handoff.objects.filter(ticket=ticket).select_related("from_tier", "to_tier", "approval")
    lines = [_brief_handoff(h) for h in handoffs] or [gettext("- none")]
    stint = current_stint(ticket)
    if stint is not None:
        lines.append(gettext("Now in %(tier)s.") % {"tier": stint.tier})
    return lines


def _brief_handoff(handoff: Handoff) -> str:
    notes = handoff.approval.decision_notes if handoff.approval else ""
    if handoff.automatic and notes:
        line = gettext("- %(at)s %(source)s → %(target)s: %(status)s (automatic); approval notes: %(notes)s")
    elif handoff.automatic:
        line = gettext("- %(at)s %(source)s → %(target)s: %(status)s (automatic)")
    elif notes:
        line = gettext("- %(at)s %(source)s → %(target)s: %(status)s; approval notes: %(notes)s")
    else:
        line = gettext("- %(at)s %(source)s → %(target)s: %(status)s")
    return line % {
        "at": f"{timezone.localtime(handoff.requested_at):%d %b %H:%M}",
        "source": handoff.from_tier,
        "target": handoff.to_tier,
        "status": handoff.get_status_display().lower(),
        "notes": notes,
    }


def _brief_escalation(ticket: Ticket) -> list[str]:
    """Every case of the ticket: its requests, who is engaged, the updates given."""
    lines = []
    for case in EscalationCase.objects.filter(ticket=ticket).prefetch_related(
        "requests", "updates", "participants__user"
    ):
        lines += [
            gettext("- %(at)s %(reason)s: %(level)s requested (%(channel)s); impact: %(impact)s")
            % {
                "at": f"{timezone.localtime(r.requested_at):%d %b %H:%M}",
                "reason": r.get_reason_display(),
                "level": r.get_level_display(),
                "channel": r.channel,
                "impact": r.business_impact,
            }
            for r in case.requests.all()
        ]
        lines += [
            gettext("- engaged: %(user)s (%(role)s)") % {"user": p.user, "role": p.get_role_display().lower()}
            for p in case.participants.all()
        ]
        lines += [
            gettext("- update %(at)s (%(mode)s): %(summary)s")
            % {
                "at": f"{timezone.localtime(u.given_at):%d %b %H:%M}",
                "mode": u.get_mode_display().lower(),
                "summary": u.summary,
            }
            for u in case.updates.all()
        ]
    return lines


def case_start_leadership_review(*, case: EscalationCase, actor: User) -> EscalationCase:
    """The customer asked for leadership: allowed once the team leader and manager were engaged."""
    if not (permissions.can_manage_case(actor) or permissions.can_engage(case.ticket, actor)):
        raise PermissionDenied(gettext("You may not start a leadership review."))

    def not_possible(locked: EscalationCase) -> Refused:
        return Refused(gettext("Leadership review refused"), [an_active_escalation(locked)])

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
            reason=gettext("Support leadership reviews the case."),
            details={"case": locked.pk},
            is_public=True,
        )

    locked = change_state(
        case,
        "start_leadership_review",
        actor=actor,
        lock=locked_case,
        label=gettext("Leadership review"),
        not_possible=not_possible,
        missing=leadership_missing,
        prepare=put_brief,
        record=record,
    )
    case.refresh_from_db()
    return locked


# The three who prepare the brief, in words, and what is missing until each marks it ready.
BRIEF_PREPARER_WORDS = {
    "engineer": _("the engineer"),
    "team_leader": _("the team leader"),
    "team_manager": _("the team manager"),
}
BRIEF_NOT_READY = {
    "engineer": _("the case brief marked ready by the engineer"),
    "team_leader": _("the case brief marked ready by the team leader"),
    "team_manager": _("the case brief marked ready by the team manager"),
}


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
                gettext("The assigned engineer, the team leader and the team manager prepare the brief.")
            )
        if locked.status != CaseStatus.LEADERSHIP_REVIEW:
            raise Refused(gettext("Editing the brief refused"), [gettext("a case under leadership review")])
        if not brief.strip():
            raise Refused(gettext("Editing the brief refused"), [gettext("the brief's text")])
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
            reason=_brief_reason(changed=changed, ready_as=role if ready else None),
            details={"case": locked.pk, "ready": ready, "role": role},
        )
    case.refresh_from_db()
    return locked


def _brief_reason(*, changed: bool, ready_as: str | None) -> str:
    """The timeline's words: "Case brief edited.", "Case brief reviewed and marked ready by the engineer."."""
    if ready_as is None:
        return gettext("Case brief edited.") if changed else gettext("Case brief reviewed.")
    who = BRIEF_PREPARER_WORDS[ready_as]
    if changed:
        return gettext("Case brief edited and marked ready by %(who)s.") % {"who": who}
    return gettext("Case brief reviewed and marked ready by %(who)s.") % {"who": who}


def brief_missing(case: EscalationCase) -> list[str]:
    return [
        str(item) for role, item in BRIEF_NOT_READY.items() if getattr(case, f"brief_ready_{role}_id") is None
    ]


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
        raise PermissionDenied(gettext("Only support leadership records the review."))

    def not_possible(_locked: EscalationCase) -> Refused:
        return Refused(gettext("Recording the review refused"), [gettext("a case under leadership review")])

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
            reason=gettext("Stakeholder meeting: %(outcome)s") % {"outcome": outcome.strip()},
            details={"case": locked.pk},
            is_public=True,
        )

    locked = change_state(
        case,
        "finish_leadership_review",
        actor=actor,
        lock=locked_case,
        label=gettext("Recording the review"),
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
        gaps.append(gettext("the internal review"))
    if meeting_at is None:
        gaps.append(gettext("when the stakeholder meeting took place"))
    if not attendees.strip():
        gaps.append(gettext("who attended the stakeholder meeting"))
    if not outcome.strip():
        gaps.append(gettext("the stakeholder meeting's outcome"))
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
