"""Engaging people on a case: the requested resources (SME, next tier, team leader and manager,
leadership) become participants and receive every update of the escalation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from tickets.models import Ticket
from tickets.notices import tell_staff
from tickets.services.core import record_event

from .. import permissions
from ..models import CaseLevel, CaseParticipant, EscalationCase, ParticipantRole
from .core import lock_case


def add_participant(case: EscalationCase, ticket: Ticket, user: User, role: str, actor: User) -> bool:
    """`user` joins the case in `role` (once): the timeline says so and they are told."""
    participant, created = CaseParticipant.objects.get_or_create(
        case=case, user=user, role=role, defaults={"engaged_by": actor}
    )
    if created:
        record_event(
            ticket=ticket,
            kind="case_participant",
            actor=actor,
            target=role[:40],
            reason=gettext("%(user)s (%(role)s) joined the escalation.")
            % {"user": user, "role": participant.get_role_display().lower()},
            details={"case": case.pk, "user": user.pk, "role": role},
            is_public=True,
        )
        tell_staff(
            ticket=ticket,
            recipients=[user],
            actor=actor,
            kind="escalations.case_engaged",
            context={
                "case_id": case.pk,
                "role": participant.get_role_display(),
                "engaged_by": str(actor),
                "level": case.get_level_display(),
                "message": gettext(
                    "%(actor)s engaged you as %(role)s on the escalation of %(reference)s %(summary)s. "
                    "You receive every update of the escalation."
                )
                % {
                    "actor": actor,
                    "role": participant.get_role_display().lower(),
                    "reference": ticket.reference,
                    "summary": ticket.summary,
                },
            },
            dedup_key=f"case:{case.pk}:engaged:{user.pk}:{role}",
        )
    return created


def engage_requested(case: EscalationCase, ticket: Ticket, level: str, actor: User) -> None:
    """A request for the team leader or manager engages them at once (they are known from the
    ticket's team); a subject matter expert or the next tier is engaged by staff (case_engage,
    or a hand-off)."""
    team = ticket.team
    if team is None:
        return
    if level in (CaseLevel.TEAM_LEADER, CaseLevel.TEAM_MANAGER, CaseLevel.LEADERSHIP):
        for leader in team.leaders.all():
            add_participant(case, ticket, leader, ParticipantRole.TEAM_LEADER, actor)
    if level in (CaseLevel.TEAM_MANAGER, CaseLevel.LEADERSHIP) and team.manager_id:
        add_participant(case, ticket, team.manager, ParticipantRole.TEAM_MANAGER, actor)


def case_engage(*, case: EscalationCase, actor: User, user: User, role: str) -> CaseParticipant:
    """Engage a requested resource (SME, next tier, team leader, manager…) as a participant."""
    if role not in ParticipantRole.values:
        raise InvalidInput({"role": [not_one_of(role, ParticipantRole.values)]})
    if not user.is_active or not user.is_agent:
        raise InvalidInput({"user": [gettext("%(user)s is not active support staff.") % {"user": user}]})
    with transaction.atomic():
        ticket, locked = lock_case(case)
        if not permissions.can_engage(ticket, actor):
            raise PermissionDenied(gettext("You may not engage people on this escalation."))
        if not locked.is_open:
            raise Refused(gettext("Engaging refused"), [gettext("an open escalation")])
        add_participant(locked, ticket, user, role, actor)
    return CaseParticipant.objects.get(case=case, user=user, role=role)
