"""Keeping the customer informed against the communication plan (seed 002): updates (the next one
is due a period later), meetings and their outcomes, and the action plan's steps done."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from clocks.models import Clock
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from tickets.models import Ticket
from tickets.services.core import record_event

from .. import permissions
from ..models import ActionItem, CaseMeeting, CaseUpdate, CommunicationMode, EscalationCase, MeetingKind
from .clocks import on_case_clock, start_update_clock, stop_clock, was_late
from .core import (
    UPDATE_CLOCK,
    UPDATING,
    an_active_escalation,
    lock_case,
    require_manager,
    tell_case_customers,
    tell_case_staff,
)


def case_log_update(
    *, case: EscalationCase, actor: User, mode: str, summary: str, attendees: str = ""
) -> CaseUpdate:
    """An update given to the customer against the plan; the next one is due a period later."""
    require_manager(actor)
    if mode not in CommunicationMode.values:
        raise InvalidInput({"mode": [not_one_of(mode, CommunicationMode.values)]})
    if not summary.strip():
        raise Refused(gettext("Logging the update refused"), [gettext("what the customer was told")])
    with transaction.atomic():
        ticket, locked = lock_case(case)
        if locked.status not in UPDATING:
            raise Refused(gettext("Logging the update refused"), [an_active_escalation(locked)])
        clock = stop_clock(locked, UPDATE_CLOCK)
        late = was_late(clock)
        if late and clock is not None and clock.breached_at is None:
            # Missed before the sweep saw it: the manager still hears of the missed update.
            on_case_clock(clock, warning=False)
        update = CaseUpdate.objects.create(
            case=locked,
            mode=mode,
            summary=summary.strip(),
            attendees=attendees.strip(),
            logged_by=actor,
            was_late=late,
        )
        next_clock = start_update_clock(locked, ticket)
        record_event(
            ticket=ticket,
            kind="case_update",
            actor=actor,
            reason=update.summary,
            details={"case": locked.pk, "update": update.pk, "mode": mode, "late": late},
            is_public=True,
        )
        _tell_update(locked, ticket, update, next_clock, actor=actor, late=late)
    return update


def _tell_update(
    case: EscalationCase, ticket: Ticket, update: CaseUpdate, next_clock: Clock, *, actor: User, late: bool
) -> None:
    """The participants hear of every update; the customers get the ones given by e-mail."""
    next_due = f"{timezone.localtime(next_clock.due_at):%a %d %b %Y %H:%M}" if next_clock.due_at else ""
    update_context = {
        "mode": update.get_mode_display().lower(),
        "update_summary": update.summary,
        "given_at": f"{timezone.localtime(update.given_at):%a %d %b %Y %H:%M}",
        "next_update": next_due,
    }
    tell_case_staff(
        case,
        ticket,
        kind="escalations.case_update",
        actor=actor,
        context={
            **update_context,
            "late": late,
            "attendees": update.attendees,
            "message": gettext("Update on %(reference)s (%(mode)s): %(summary)s")
            % {
                "reference": ticket.reference,
                "mode": update.get_mode_display().lower(),
                "summary": update.summary,
            },
        },
    )
    if update.mode == CommunicationMode.EMAIL:
        # The update given by e-mail is this mail; phone and conference updates were given
        # in person and are only logged.
        tell_case_customers(
            case,
            ticket,
            kind="escalations.customer_update",
            actor=actor,
            context={**update_context, "message": update.summary},
        )


def case_schedule_meeting(
    *,
    case: EscalationCase,
    actor: User,
    kind: str,
    scheduled_for: datetime | None,
    attendees: str,
    notes: str = "",
) -> CaseMeeting:
    if kind not in MeetingKind.values:
        raise InvalidInput({"kind": [not_one_of(kind, MeetingKind.values)]})
    if kind == MeetingKind.CONFERENCE_CALL:
        require_manager(actor)
    elif not (permissions.is_leadership(actor) or permissions.can_manage_case(actor)):
        raise PermissionDenied(
            gettext("Only support leadership or an escalation manager may record this meeting.")
        )
    missing = ([] if scheduled_for else [gettext("when it takes place")]) + (
        [] if attendees.strip() else [gettext("who attends")]
    )
    if missing:
        raise Refused(gettext("Scheduling refused"), missing)
    with transaction.atomic():
        ticket, locked = lock_case(case)
        if not locked.is_open:
            raise Refused(gettext("Scheduling refused"), [gettext("an open escalation")])
        meeting = CaseMeeting.objects.create(
            case=locked,
            kind=kind,
            scheduled_for=scheduled_for,
            attendees=attendees.strip(),
            notes=notes.strip(),
            recorded_by=actor,
        )
        record_event(
            ticket=ticket,
            kind="case_meeting",
            actor=actor,
            target=kind[:40],
            reason=gettext("%(meeting)s on %(at)s.")
            % {
                "meeting": meeting.get_kind_display(),
                "at": f"{timezone.localtime(scheduled_for):%a %d %b %H:%M}",
            },
            details={"case": locked.pk, "meeting": meeting.pk},
            is_public=kind == MeetingKind.CONFERENCE_CALL,
        )
    return meeting


def case_record_meeting(*, meeting: CaseMeeting, actor: User, outcome: str, notes: str = "") -> CaseMeeting:
    """What a meeting concluded (notes and outcome)."""
    if meeting.kind == MeetingKind.CONFERENCE_CALL:
        require_manager(actor)
    elif not (permissions.is_leadership(actor) or permissions.can_manage_case(actor)):
        raise PermissionDenied(
            gettext("Only support leadership or an escalation manager may record this meeting.")
        )
    if not outcome.strip():
        raise Refused(gettext("Recording the meeting refused"), [gettext("its outcome")])
    with transaction.atomic():
        ticket, _ = lock_case(meeting.case)
        locked = CaseMeeting.objects.select_for_update().get(pk=meeting.pk)
        locked.outcome = outcome.strip()
        locked.notes = notes.strip() or locked.notes
        locked.save()
        record_event(
            ticket=ticket,
            kind="case_meeting_outcome",
            actor=actor,
            reason=locked.outcome,
            details={"case": locked.case_id, "meeting": locked.pk},
            is_public=locked.kind == MeetingKind.CONFERENCE_CALL,
        )
    return locked


def case_complete_action(*, item: ActionItem, actor: User) -> ActionItem:
    with transaction.atomic():
        ticket, case = lock_case(item.case)
        if not (permissions.can_manage_case(actor) or actor.pk == item.owner_id):
            raise PermissionDenied(
                gettext("Only the owner or an escalation manager may mark this step done.")
            )
        locked = ActionItem.objects.select_for_update().get(pk=item.pk)
        if locked.done_at is None:
            locked.done_at = timezone.now()
            locked.save(update_fields=["done_at"])
            record_event(
                ticket=ticket,
                kind="case_action_done",
                actor=actor,
                reason=locked.step,
                details={"case": case.pk, "item": locked.pk},
                is_public=True,
            )
    return locked
