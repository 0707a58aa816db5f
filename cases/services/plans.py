"""Running a case (seed 002): an escalation manager acknowledges it as the primary point of
contact, then agrees the action plan and the communication plan with the customer, which
activates it and schedules the first conference call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from escalation_desk.state import change_state
from tickets.services.core import record_event

from ..models import ActionItem, CaseMeeting, CommunicationMode, EscalationCase, MeetingKind, ParticipantRole
from .clocks import start_update_clock, stop_clock, was_late
from .core import ACK_CLOCK, PlanItem, locked_case, require_manager, tell_case_customers, tell_case_staff
from .participants import add_participant


def case_acknowledge(*, case: EscalationCase, actor: User) -> EscalationCase:
    """An escalation manager takes the case as primary point of contact (seed 002)."""
    require_manager(actor)
    late = False

    def stop_ack_clock(locked: EscalationCase) -> None:
        nonlocal late
        late = was_late(stop_clock(locked, ACK_CLOCK))

    def record(locked: EscalationCase, source: str) -> None:
        add_participant(locked, locked.ticket, actor, ParticipantRole.ESCALATION_MANAGER, actor)
        record_event(
            ticket=locked.ticket,
            kind="case_acknowledged",
            actor=actor,
            source=source,
            target=locked.status,
            reason=gettext("%(actor)s is the escalation manager and your point of contact.")
            % {"actor": actor},
            details={"case": locked.pk, "late": late},
            is_public=True,
        )

    locked = change_state(
        case,
        "acknowledge",
        actor=actor,
        lock=locked_case,
        label=gettext("Acknowledgement"),
        not_possible=_not_waiting,
        prepare=stop_ack_clock,
        arguments={"manager_id": actor.pk},
        record=record,
        then=lambda locked: _tell_acknowledged(locked, actor=actor, late=late),
    )
    case.refresh_from_db()
    return locked


def _not_waiting(locked: EscalationCase) -> Refused:
    """A case acknowledged already (by whom), or past that point."""
    values = {"status": locked.get_status_display().lower(), "manager": locked.escalation_manager}
    return Refused(
        gettext("Acknowledgement refused"),
        [
            gettext("a case waiting to be acknowledged (this one is %(status)s, by %(manager)s)") % values
            if locked.escalation_manager
            else gettext("a case waiting to be acknowledged (this one is %(status)s)") % values
        ],
    )


def _tell_acknowledged(case: EscalationCase, *, actor: User, late: bool) -> None:
    """The participants and the customers hear who their escalation manager is, and how to reach them."""
    ticket = case.ticket
    tell_case_staff(
        case,
        ticket,
        kind="escalations.case_acknowledged",
        actor=actor,
        context={
            "late": late,
            "message": gettext("%(actor)s (%(contact)s) is now the escalation manager for %(reference)s.")
            % {"actor": actor, "contact": actor.contact_line, "reference": ticket.reference},
        },
    )
    tell_case_customers(
        case,
        ticket,
        kind="escalations.customer_acknowledged",
        actor=actor,
        context={
            "message": gettext(
                "%(actor)s is now the escalation manager for %(reference)s and your point of contact: "
                "%(contact)s."
            )
            % {"actor": actor, "reference": ticket.reference, "contact": actor.contact_line}
        },
    )


def plan_missing(
    plan: list[PlanItem],
    mode: str,
    update_every_minutes: int | None,
    required_attendees: str,
    first_call_at: datetime | None,
) -> list[str]:
    """What agreeing the plans still needs, in words."""
    missing = []
    if not plan:
        missing.append(gettext("an action plan: at least one step with its owner and target date"))
    if not mode:
        missing.append(gettext("how updates are given (e-mail, phone, conference call)"))
    if not update_every_minutes or update_every_minutes <= 0:
        missing.append(gettext("how often updates are given"))
    if not required_attendees.strip():
        missing.append(gettext("the required attendees of the updates"))
    if first_call_at is None:
        missing.append(gettext("when the first conference call takes place"))
    return missing


def case_activate(
    *,
    case: EscalationCase,
    actor: User,
    action_plan: list[PlanItem],
    mode: str,
    update_every_minutes: int | None,
    required_attendees: str,
    first_call_at: datetime | None,
    first_call_attendees: str = "",
) -> EscalationCase:
    """acknowledged → active: the action plan and the communication plan are agreed; the first
    call is scheduled and the update clock starts."""
    require_manager(actor)
    plan = _complete_plan(action_plan, mode, update_every_minutes, required_attendees, first_call_at)
    attendees = required_attendees.strip()

    def put_plans(locked: EscalationCase) -> None:
        ActionItem.objects.bulk_create(
            ActionItem(case=locked, owner=i.owner, step=i.step.strip(), target_date=i.target_date)
            for i in plan
        )
        locked.communication_mode = mode
        locked.update_every_minutes = update_every_minutes
        locked.required_attendees = attendees

    def record(locked: EscalationCase, source: str) -> None:
        record_event(
            ticket=locked.ticket,
            kind="case_active",
            actor=actor,
            source=source,
            target=locked.status,
            reason=_plans_in_words(locked, plan, first_call_at),
            details={"case": locked.pk},
            is_public=True,
        )

    def then(locked: EscalationCase) -> None:
        _schedule_first_call(locked, first_call_at, first_call_attendees.strip() or attendees, actor=actor)
        start_update_clock(locked, locked.ticket)
        _tell_plan_agreed(locked, plan, first_call_at, actor=actor)

    locked = change_state(
        case,
        "activate",
        actor=actor,
        lock=locked_case,
        label=gettext("Activating the escalation"),
        not_possible=_not_acknowledged,
        prepare=put_plans,
        record=record,
        then=then,
    )
    case.refresh_from_db()
    return locked


def _complete_plan(
    action_plan: list[PlanItem],
    mode: str,
    update_every_minutes: int | None,
    required_attendees: str,
    first_call_at: datetime | None,
) -> list[PlanItem]:
    """The plan's steps that say something; refuses plans that lack something (all of it listed)."""
    if mode and mode not in CommunicationMode.values:
        raise InvalidInput({"mode": [not_one_of(mode, CommunicationMode.values)]})
    plan = [item for item in action_plan if item.step.strip()]
    missing = plan_missing(plan, mode, update_every_minutes, required_attendees, first_call_at)
    if missing:
        raise Refused(gettext("Activating the escalation refused"), missing)
    return plan


def _not_acknowledged(locked: EscalationCase) -> Refused:
    return Refused(
        gettext("Activating the escalation refused"),
        [
            gettext("an acknowledged case (this one is %(status)s)")
            % {"status": locked.get_status_display().lower()}
        ],
    )


def _plans_in_words(case: EscalationCase, plan: list[PlanItem], first_call_at: datetime | None) -> str:
    """The timeline's summary of the agreed plans."""
    return gettext(
        "Action plan of %(count)s step(s); updates by %(mode)s every %(every)s; first call %(first_call)s."
    ) % {
        "count": len(plan),
        "mode": case.get_communication_mode_display().lower(),
        "every": duration(case.update_every_minutes or 0),
        "first_call": f"{timezone.localtime(first_call_at):%a %d %b %H:%M}",
    }


def _schedule_first_call(
    case: EscalationCase, first_call_at: datetime | None, attendees: str, *, actor: User
) -> CaseMeeting:
    return CaseMeeting.objects.create(
        case=case,
        kind=MeetingKind.CONFERENCE_CALL,
        scheduled_for=first_call_at,
        attendees=attendees,
        recorded_by=actor,
    )


def _tell_plan_agreed(
    case: EscalationCase, plan: list[PlanItem], first_call_at: datetime | None, *, actor: User
) -> None:
    """The participants and the customers hear of the agreed plans and the first call."""
    ticket = case.ticket
    first_call = f"{timezone.localtime(first_call_at):%a %d %b %Y %H:%M}"
    steps = [
        {"step": i.step.strip(), "owner": str(i.owner), "target_date": f"{i.target_date:%a %d %b %Y}"}
        for i in plan
    ]
    plan_context: dict[str, Any] = {
        "mode": case.get_communication_mode_display().lower(),
        "every": duration(case.update_every_minutes or 0),
        "attendees": case.required_attendees,
        "first_call": first_call,
        "steps": steps,
    }
    tell_case_staff(
        case,
        ticket,
        kind="escalations.case_plan_agreed",
        actor=actor,
        context={
            **plan_context,
            "message": gettext(
                "The action plan and communication plan for %(reference)s are agreed; first conference "
                "call %(first_call)s."
            )
            % {"reference": ticket.reference, "first_call": first_call},
        },
    )
    tell_case_customers(
        case,
        ticket,
        kind="escalations.customer_plan_agreed",
        actor=actor,
        context={
            **plan_context,
            "message": gettext(
                "We agreed with you an action plan of %(count)s step(s) and how we keep you informed: by "
                "%(mode)s every %(every)s. The first conference call is on %(first_call)s."
            )
            % {
                "count": len(steps),
                "mode": plan_context["mode"],
                "every": plan_context["every"],
                "first_call": first_call,
            },
        },
    )


def duration(minutes: int) -> str:
    """A period of business time in words ("4 business hours", "90 business minutes")."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)s business hour", "%(count)s business hours", hours) % {"count": hours}
    return gettext("%(count)s business minutes") % {"count": minutes}
