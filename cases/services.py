"""Customer escalation cases (SPEC §6, seeds 000 and 002): every change goes through here.

Each service locks the ticket row first (the lock every ticket service takes), then the case,
checks who may act and what the step needs, changes state and writes its timeline event in
the same transaction. Refusals list what is missing. Two clocks per case: the acknowledgement
time frame and, once a communication plan is agreed, the time until the next update.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, Team, User
from clocks.models import BusinessCalendar, Clock, ClockState
from clocks.services import clock_start, clock_stop, clocks_of
from escalation_desk import links
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from escalations.models import Handoff
from escalations.selectors import current_stint
from notifications.services import notify
from tickets import permissions as ticket_permissions
from tickets import sla
from tickets.models import OPEN_STATES, Channel, Status, Ticket, TimelineEvent
from tickets.notices import customer_audience, tell_customers, tell_staff
from tickets.services.core import lock_ticket, record_event
from tickets.services.intake import ticket_correct_statement

from . import permissions
from .models import (
    LEVEL_ORDER,
    OPEN_CASE_STATES,
    ActionItem,
    CaseLevel,
    CaseMeeting,
    CaseParticipant,
    CaseReason,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    CommunicationMode,
    DailyReport,
    EscalationCase,
    MeetingKind,
    ParticipantRole,
    clocks_of_cases,
)

ACK_CLOCK = "escalations.case_ack"
UPDATE_CLOCK = "escalations.case_update"

# A ticket may be escalated while it is being worked, and when its resolution disappoints.
ESCALATABLE = [*OPEN_STATES, Status.RESOLVED]


# --- reading -----------------------------------------------------------------------------------


def open_case(ticket: Ticket) -> EscalationCase | None:
    return (
        EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES)
        .select_related("escalation_manager")
        .first()
    )


def engaged_on(ticket: Ticket) -> list[User]:
    """The people of the ticket's open escalation: its participants and escalation manager
    (they receive every update, seed 000; registered with tickets.participants)."""
    people: list[User] = []
    for case in EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES).select_related(
        "escalation_manager"
    ).prefetch_related("participants__user"):
        if case.escalation_manager is not None:
            people.append(case.escalation_manager)
        people.extend(p.user for p in case.participants.all())
    return people


def escalation_managers() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=str(Role.ESCALATION_MANAGER)).distinct())


def leadership() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=str(Role.LEADERSHIP)).distinct())


def managers_of(user: User | None) -> list[User]:
    """Who an escalation manager answers to: the manager (else the leaders) of their teams,
    else support leadership."""
    if user is not None:
        teams = Team.objects.filter(members=user).select_related("manager").prefetch_related("leaders")
        found: dict[int, User] = {}
        for team in teams:
            if team.manager_id and team.manager_id != user.pk:
                found[team.manager_id] = team.manager
        if not found:
            for team in teams:
                found.update({leader.pk: leader for leader in team.leaders.all() if leader.pk != user.pk})
        if found:
            return list(found.values())
    return leadership()


def _case_clock(case: EscalationCase, kind: str) -> Clock | None:
    return clocks_of(case, kind).exclude(state=ClockState.STOPPED).select_related("calendar").order_by("-pk").first()


def _stop_clock(case: EscalationCase, kind: str) -> Clock | None:
    clock = _case_clock(case, kind)
    if clock is not None:
        clock_stop(clock=clock)
    return clock


def _was_late(clock: Clock | None) -> bool:
    """A stopped clock that breached, whether or not the sweep has seen the breach yet."""
    return clock is not None and (clock.breached_at is not None or clock.accumulated_seconds >= clock.target_seconds)


def _lock_case(case: EscalationCase) -> tuple[Ticket, EscalationCase]:
    ticket = lock_ticket(case.ticket)
    locked = EscalationCase.objects.select_for_update(of=("self",)).select_related(
        "escalation_manager").get(pk=case.pk)
    return ticket, locked


def _audience(case: EscalationCase, ticket: Ticket) -> list[User]:
    """Everyone who receives every update: participants, the escalation manager, the assignee."""
    people = {p.user.pk: p.user for p in case.participants.select_related("user")}
    if case.escalation_manager_id:
        people[case.escalation_manager_id] = case.escalation_manager
    if ticket.assignee_id:
        people[ticket.assignee_id] = ticket.assignee
    return [u for u in people.values() if u.is_active]


def _tell_staff(case: EscalationCase, ticket: Ticket, *, kind: str, actor: User | None, context: dict[str, Any],
                extra: Iterable[User] = ()) -> None:
    """The case's staff audience hears of a step (console links; never the one who took it)."""
    tell_staff(ticket=ticket, recipients=_audience(case, ticket) + list(extra), actor=actor, kind=kind,
               context={"case_id": case.pk, **_case_context(case), **context},
               dedup_key=f"case:{case.pk}:{kind}:{_next_serial(case)}")


def case_customers(case: EscalationCase, ticket: Ticket) -> list[User]:
    """Who hears of the escalation on the customer's side: the ticket's requester and the
    contacts copied in, and every customer who asked for the escalation."""
    people = {u.pk: u for u in customer_audience(ticket)}
    for request in case.requests.select_related("requested_by"):
        user = request.requested_by
        if ticket_permissions.is_customer_of(ticket, user):
            people.setdefault(user.pk, user)
    return list(people.values())


def _tell_customers(case: EscalationCase, ticket: Ticket, *, kind: str, actor: User | None,
                    context: dict[str, Any]) -> None:
    """Mail to the customers about their escalation: portal links, the engineer's signature,
    the ticket's thread. Only what is meant for them goes into the context."""
    tell_customers(ticket=ticket, recipients=case_customers(case, ticket), actor=actor, kind=kind,
                   context={"case_id": case.pk, **_case_context(case),
                            "escalation_url": links.absolute(links.portal_escalation_path(ticket.pk)), **context},
                   dedup_key=f"case:{case.pk}:{kind}:{_next_serial(case)}")


def _case_context(case: EscalationCase) -> dict[str, Any]:
    manager = case.escalation_manager
    return {"manager": str(manager) if manager else "", "manager_contact": manager.contact_line if manager else ""}


def _next_serial(case: EscalationCase) -> int:
    """A number naming this message among the case's events (its dedup key must be unique per
    message, not per instant: two steps in the same second are two messages)."""
    return TimelineEvent.objects.filter(ticket_id=case.ticket_id, kind__startswith="case").count()


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_case(actor):
        raise PermissionDenied("Only an escalation manager may do this.")


# --- requesting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """Seed 002's review, answered before a request is submitted."""

    problem_statement_correct: bool | None = None
    corrected_problem_statement: str = ""
    business_impact: str = ""
    workaround_impractical_because: str = ""
    critical_milestone: date | None = None


def reason_missing(reason: str, reason_detail: str) -> list[str]:
    if not reason:
        return ["the reason for the escalation"]
    if reason == CaseReason.OTHER and not reason_detail.strip():
        return ["what the reason is (you chose “other”)"]
    return []


def review_missing(ticket: Ticket, reason: str, reason_detail: str, review: Review) -> list[str]:
    missing = reason_missing(reason, reason_detail)
    if review.problem_statement_correct is None:
        missing.append("whether the problem statement is correct")
    elif not review.problem_statement_correct and not review.corrected_problem_statement.strip():
        missing.append("the corrected problem statement")
    if not review.business_impact.strip():
        missing.append("the business impact")
    if ticket.workaround.strip() and not review.workaround_impractical_because.strip():
        missing.append("why the workaround is impractical or inappropriate")
    return missing


def case_request(
    *,
    ticket: Ticket,
    actor: User,
    reason: str,
    level: str,
    review: Review,
    reason_detail: str = "",
    channel: str = "",
    review_to_complete: bool = False,
) -> EscalationCase:
    """A customer asks to escalate (portal/API), or staff record a request made by phone or
    e-mail. A request while a case is open adds to that case; the same request twice is one.

    `review_to_complete`: a request that came in by e-mail (the mail intake) carries no answers
    to seed 002's review; it is accepted with the review marked as to be completed by the
    escalation managers with the customer (they record it as a request on the same case)."""
    if not permissions.can_request_case(ticket, actor):
        raise PermissionDenied("You may not escalate this request.")
    by_customer = ticket_permissions.is_customer_of(ticket, actor)
    errors: dict[str, list[str]] = {}
    if reason and reason not in CaseReason.values:
        errors["reason"] = [not_one_of(reason, CaseReason.values)]
    if level not in CaseLevel.values:
        errors["level"] = [not_one_of(level, CaseLevel.values)]
    if channel and channel not in Channel.values:
        errors["channel"] = [not_one_of(channel, Channel.values)]
    if errors:
        raise InvalidInput(errors)
    if review_to_complete and channel != Channel.EMAIL:
        raise InvalidInput({"review_to_complete": ["Only a request that came in by e-mail may leave the review "
                                                   "to be completed."]})
    missing = (reason_missing(reason, reason_detail) if review_to_complete
               else review_missing(ticket, reason, reason_detail, review))
    if by_customer:
        allowed = (Channel.PORTAL, Channel.API, Channel.EMAIL) if review_to_complete else (Channel.PORTAL, Channel.API)
        channel = channel if channel in allowed else Channel.PORTAL
    elif channel not in (Channel.PHONE, Channel.EMAIL):
        missing.append("how the customer asked (phone or e-mail)")
    if missing:
        raise Refused("Escalation request refused", missing)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status not in ESCALATABLE:
            raise Refused("Escalation request refused", [
                f"a request that is still open or just resolved (this one is {locked.get_status_display().lower()}); "
                "open a new request instead"])
        requester = actor if by_customer else locked.requester
        case = open_case(locked)
        fields = {"reason": reason, "reason_detail": reason_detail.strip(), "level": level,
                      "problem_statement_correct": bool(review.problem_statement_correct),
                      "corrected_problem_statement": review.corrected_problem_statement.strip(),
                      "business_impact": review.business_impact.strip(),
                      "workaround_impractical_because": review.workaround_impractical_because.strip(),
                      "critical_milestone": review.critical_milestone, "review_to_complete": review_to_complete}
        if case is not None:
            last = case.requests.order_by("-pk").first()
            if last is not None and last.requested_by_id == requester.pk and all(
                getattr(last, name) == value for name, value in fields.items()
            ):
                return case  # the same request again (a second click): nothing new
            created = False
        else:
            try:
                with transaction.atomic():
                    case = EscalationCase.objects.create(ticket=locked, reason=reason, level=level)
            except IntegrityError:  # pragma: no cover - the ticket lock serialises requests
                raise Refused("Escalation request refused", ["a moment: another request is being filed"]) from None
            created = True
        corrected = _correct_statement(locked, actor, review)
        request = CaseRequest.objects.create(case=case, requested_by=requester, recorded_by=actor,
                                             channel=channel, **fields)
        if LEVEL_ORDER.index(level) > LEVEL_ORDER.index(case.level):
            case.level = level
            case.save(update_fields=["level"])
        record_event(
            ticket=locked, kind="case_requested" if created else "case_request_added", actor=actor,
            target=case.status, reason=f"{request.get_reason_display()}: {request.get_level_display()} requested"
            + (f" — {request.reason_detail}" if request.reason_detail else ""),
            details={"case": case.pk, "request": request.pk, "level": level, "reason": reason, "channel": channel,
                     "on_behalf_of": requester.pk if not by_customer else None},
            is_public=True,
        )
        if created:
            clock_start(subject=case, kind=ACK_CLOCK, calendar=sla.calendar_for(locked),
                        target_seconds=settings.CASE_ACK_MINUTES * 60)
        tell_staff(
            ticket=locked, actor=actor,
            recipients=escalation_managers() + ([case.escalation_manager] if case.escalation_manager else []),
            kind="escalations.case_requested",
            context={"case_id": case.pk, "organisation": str(locked.organisation), "requested_by": str(requester),
                     "recorded_by": "" if by_customer else str(actor), "channel": channel,
                     "level": request.get_level_display(), "reason": request.get_reason_display(),
                     "reason_detail": request.reason_detail, "business_impact": request.business_impact,
                     "corrected": corrected, "added": not created,
                     "message": f"{locked.organisation} asks to escalate {locked.reference} {locked.summary}: "
                                f"{request.get_reason_display()}; {request.get_level_display()} requested."},
            dedup_key=f"case-request:{request.pk}",
        )
        _engage_requested(case, locked, level, actor)
    return case


def _correct_statement(ticket: Ticket, actor: User, review: Review) -> list[str]:
    """Seed 002's review corrected the problem statement, business impact or milestone: the
    ticket's intake takes the corrected values (the previous text stays in the timeline), so
    staff, the case brief and the portal all read the corrected statement. Returns what changed."""
    changes: dict[str, Any] = {}
    statement = review.corrected_problem_statement.strip()
    if review.problem_statement_correct is False and statement and statement != ticket.description.strip():
        changes["description"] = statement
    impact = review.business_impact.strip()
    if impact and impact != ticket.business_impact.strip():
        changes["business_impact"] = impact
    if review.critical_milestone is not None and review.critical_milestone != ticket.critical_milestone:
        changes["critical_milestone"] = review.critical_milestone
    if not changes:
        return []
    ticket_correct_statement(ticket=ticket, actor=actor, why="Corrected while asking to escalate.", **changes)
    words = {"description": "problem statement", "business_impact": "business impact",
             "critical_milestone": "critical milestone"}
    return [words[field] for field in changes]


def _engage_requested(case: EscalationCase, ticket: Ticket, level: str, actor: User) -> None:
    """A request for the team leader or manager engages them at once (they are known from the
    ticket's team); a subject matter expert or the next tier is engaged by staff (case_engage,
    or a hand-off)."""
    team = ticket.team
    if team is None:
        return
    if level in (CaseLevel.TEAM_LEADER, CaseLevel.TEAM_MANAGER, CaseLevel.LEADERSHIP):
        for leader in team.leaders.all():
            _add_participant(case, ticket, leader, ParticipantRole.TEAM_LEADER, actor)
    if level in (CaseLevel.TEAM_MANAGER, CaseLevel.LEADERSHIP) and team.manager_id:
        _add_participant(case, ticket, team.manager, ParticipantRole.TEAM_MANAGER, actor)


def _add_participant(case: EscalationCase, ticket: Ticket, user: User, role: str, actor: User) -> bool:
    participant, created = CaseParticipant.objects.get_or_create(
        case=case, user=user, role=role, defaults={"engaged_by": actor})
    if created:
        record_event(ticket=ticket, kind="case_participant", actor=actor, target=role[:40],
                     reason=f"{user} ({participant.get_role_display().lower()}) joined the escalation.",
                     details={"case": case.pk, "user": user.pk, "role": role}, is_public=True)
        tell_staff(ticket=ticket, recipients=[user], actor=actor, kind="escalations.case_engaged",
                   context={"case_id": case.pk, "role": participant.get_role_display(),
                            "engaged_by": str(actor), "level": case.get_level_display(),
                            "message": f"{actor} engaged you as {participant.get_role_display().lower()} on the "
                                       f"escalation of {ticket.reference} {ticket.summary}. You receive every "
                                       f"update of the escalation."},
                   dedup_key=f"case:{case.pk}:engaged:{user.pk}:{role}")
    return created


def case_engage(*, case: EscalationCase, actor: User, user: User, role: str) -> CaseParticipant:
    """Engage a requested resource (SME, next tier, team leader, manager…) as a participant."""
    if role not in ParticipantRole.values:
        raise InvalidInput({"role": [not_one_of(role, ParticipantRole.values)]})
    if not user.is_active or not user.is_agent:
        raise InvalidInput({"user": [f"{user} is not active support staff."]})
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if not permissions.can_engage(ticket, actor):
            raise PermissionDenied("You may not engage people on this escalation.")
        if not locked.is_open:
            raise Refused("Engaging refused", ["an open escalation"])
        _add_participant(locked, ticket, user, role, actor)
    return CaseParticipant.objects.get(case=case, user=user, role=role)


# --- running the case --------------------------------------------------------------------------


def case_acknowledge(*, case: EscalationCase, actor: User) -> EscalationCase:
    """An escalation manager takes the case as primary point of contact (seed 002)."""
    _require_manager(actor)
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status != CaseStatus.REQUESTED:
            raise Refused("Acknowledgement refused", [
                f"a case waiting to be acknowledged (this one is {locked.get_status_display().lower()}"
                + (f", by {locked.escalation_manager}" if locked.escalation_manager else "") + ")"])
        ack = _stop_clock(locked, ACK_CLOCK)
        locked.acknowledge(manager_id=actor.pk)
        locked.save()
        _add_participant(locked, ticket, actor, ParticipantRole.ESCALATION_MANAGER, actor)
        late = _was_late(ack)
        record_event(ticket=ticket, kind="case_acknowledged", actor=actor, source=CaseStatus.REQUESTED,
                     target=locked.status, reason=f"{actor} is the escalation manager and your point of contact.",
                     details={"case": locked.pk, "late": late}, is_public=True)
        _tell_staff(locked, ticket, kind="escalations.case_acknowledged", actor=actor,
                    context={"late": late, "message": f"{actor} ({actor.contact_line}) is now the escalation "
                                                      f"manager for {ticket.reference}."})
        _tell_customers(locked, ticket, kind="escalations.customer_acknowledged", actor=actor,
                        context={"message": f"{actor} is now the escalation manager for {ticket.reference} and "
                                            f"your point of contact: {actor.contact_line}."})
    case.refresh_from_db()
    return locked


@dataclass(frozen=True)
class PlanItem:
    owner: User
    step: str
    target_date: date


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
    """The action plan and the communication plan are agreed; the first call is scheduled."""
    _require_manager(actor)
    if mode and mode not in CommunicationMode.values:
        raise InvalidInput({"mode": [not_one_of(mode, CommunicationMode.values)]})
    missing = []
    plan = [item for item in action_plan if item.step.strip()]
    if not plan:
        missing.append("an action plan: at least one step with its owner and target date")
    if not mode:
        missing.append("how updates are given (e-mail, phone, conference call)")
    if not update_every_minutes or update_every_minutes <= 0:
        missing.append("how often updates are given")
    if not required_attendees.strip():
        missing.append("the required attendees of the updates")
    if first_call_at is None:
        missing.append("when the first conference call takes place")
    if missing:
        raise Refused("Activating the escalation refused", missing)
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status != CaseStatus.ACKNOWLEDGED:
            raise Refused("Activating the escalation refused", [
                f"an acknowledged case (this one is {locked.get_status_display().lower()})"])
        ActionItem.objects.bulk_create(ActionItem(case=locked, owner=i.owner, step=i.step.strip(),
                                                  target_date=i.target_date) for i in plan)
        locked.communication_mode = mode
        locked.update_every_minutes = update_every_minutes
        locked.required_attendees = required_attendees.strip()
        locked.activate()
        locked.save()
        CaseMeeting.objects.create(case=locked, kind=MeetingKind.CONFERENCE_CALL, scheduled_for=first_call_at,
                                   attendees=first_call_attendees.strip() or required_attendees.strip(),
                                   recorded_by=actor)
        _start_update_clock(locked, ticket)
        record_event(
            ticket=ticket, kind="case_active", actor=actor, source=CaseStatus.ACKNOWLEDGED, target=locked.status,
            reason=f"Action plan of {len(plan)} step(s); updates by {locked.get_communication_mode_display().lower()} "
                   f"every {_duration(update_every_minutes)}; first call "
                   f"{timezone.localtime(first_call_at):%a %d %b %H:%M}.",
            details={"case": locked.pk}, is_public=True,
        )
        first_call = f"{timezone.localtime(first_call_at):%a %d %b %Y %H:%M}"
        steps = [{"step": i.step.strip(), "owner": str(i.owner), "target_date": f"{i.target_date:%a %d %b %Y}"}
                 for i in plan]
        plan_context = {"mode": locked.get_communication_mode_display().lower(),
                        "every": _duration(update_every_minutes), "attendees": locked.required_attendees,
                        "first_call": first_call, "steps": steps}
        _tell_staff(locked, ticket, kind="escalations.case_plan_agreed", actor=actor, context={
            **plan_context, "message": f"The action plan and communication plan for {ticket.reference} are "
                                       f"agreed; first conference call {first_call}."})
        _tell_customers(locked, ticket, kind="escalations.customer_plan_agreed", actor=actor, context={
            **plan_context, "message": f"We agreed with you an action plan of {len(steps)} step(s) and how we keep "
                                       f"you informed: by {plan_context['mode']} every {plan_context['every']}. "
                                       f"The first conference call is on {first_call}."})
    case.refresh_from_db()
    return locked


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    return f"{minutes} business minutes"


def _start_update_clock(case: EscalationCase, ticket: Ticket) -> Clock:
    return clock_start(subject=case, kind=UPDATE_CLOCK, calendar=sla.calendar_for(ticket),
                       target_seconds=(case.update_every_minutes or settings.CASE_UPDATE_MINUTES) * 60)


UPDATING = [CaseStatus.ACTIVE, CaseStatus.LEADERSHIP_REVIEW, CaseStatus.DE_ESCALATION_PROPOSED]


def case_log_update(*, case: EscalationCase, actor: User, mode: str, summary: str,
                    attendees: str = "") -> CaseUpdate:
    """An update given to the customer against the plan; the next one is due a period later."""
    _require_manager(actor)
    if mode not in CommunicationMode.values:
        raise InvalidInput({"mode": [not_one_of(mode, CommunicationMode.values)]})
    if not summary.strip():
        raise Refused("Logging the update refused", ["what the customer was told"])
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status not in UPDATING:
            raise Refused("Logging the update refused", [
                f"an active escalation (this one is {locked.get_status_display().lower()})"])
        clock = _stop_clock(locked, UPDATE_CLOCK)
        late = _was_late(clock)
        if late and clock is not None and clock.breached_at is None:
            # Missed before the sweep saw it: the manager still hears of the missed update.
            on_case_clock(clock, warning=False)
        update = CaseUpdate.objects.create(case=locked, mode=mode, summary=summary.strip(),
                                           attendees=attendees.strip(), logged_by=actor, was_late=late)
        next_clock = _start_update_clock(locked, ticket)
        record_event(ticket=ticket, kind="case_update", actor=actor, reason=update.summary,
                     details={"case": locked.pk, "update": update.pk, "mode": mode, "late": late},
                     is_public=True)
        next_due = (f"{timezone.localtime(next_clock.due_at):%a %d %b %Y %H:%M}"
                    if next_clock.due_at else "")
        update_context = {"mode": update.get_mode_display().lower(), "update_summary": update.summary,
                          "given_at": f"{timezone.localtime(update.given_at):%a %d %b %Y %H:%M}",
                          "next_update": next_due}
        _tell_staff(locked, ticket, kind="escalations.case_update", actor=actor, context={
            **update_context, "late": late, "attendees": update.attendees,
            "message": f"Update on {ticket.reference} ({update.get_mode_display().lower()}): {update.summary}"})
        if mode == CommunicationMode.EMAIL:
            # The update given by e-mail is this mail; phone and conference updates were given
            # in person and are only logged.
            _tell_customers(locked, ticket, kind="escalations.customer_update", actor=actor, context={
                **update_context, "message": update.summary})
    return update


def case_schedule_meeting(*, case: EscalationCase, actor: User, kind: str, scheduled_for: datetime | None,
                          attendees: str, notes: str = "") -> CaseMeeting:
    if kind not in MeetingKind.values:
        raise InvalidInput({"kind": [not_one_of(kind, MeetingKind.values)]})
    if kind == MeetingKind.CONFERENCE_CALL:
        _require_manager(actor)
    elif not (permissions.is_leadership(actor) or permissions.can_manage_case(actor)):
        raise PermissionDenied("Only support leadership or an escalation manager may record this meeting.")
    missing = ([] if scheduled_for else ["when it takes place"]) + ([] if attendees.strip() else ["who attends"])
    if missing:
        raise Refused("Scheduling refused", missing)
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if not locked.is_open:
            raise Refused("Scheduling refused", ["an open escalation"])
        meeting = CaseMeeting.objects.create(case=locked, kind=kind, scheduled_for=scheduled_for,
                                             attendees=attendees.strip(), notes=notes.strip(), recorded_by=actor)
        record_event(ticket=ticket, kind="case_meeting", actor=actor, target=kind[:40],
                     reason=f"{meeting.get_kind_display()} on {timezone.localtime(scheduled_for):%a %d %b %H:%M}.",
                     details={"case": locked.pk, "meeting": meeting.pk},
                     is_public=kind == MeetingKind.CONFERENCE_CALL)
    return meeting


def case_record_meeting(*, meeting: CaseMeeting, actor: User, outcome: str, notes: str = "") -> CaseMeeting:
    """What a meeting concluded (notes and outcome)."""
    if meeting.kind == MeetingKind.CONFERENCE_CALL:
        _require_manager(actor)
    elif not (permissions.is_leadership(actor) or permissions.can_manage_case(actor)):
        raise PermissionDenied("Only support leadership or an escalation manager may record this meeting.")
    if not outcome.strip():
        raise Refused("Recording the meeting refused", ["its outcome"])
    with transaction.atomic():
        ticket, _ = _lock_case(meeting.case)
        locked = CaseMeeting.objects.select_for_update().get(pk=meeting.pk)
        locked.outcome = outcome.strip()
        locked.notes = notes.strip() or locked.notes
        locked.save()
        record_event(ticket=ticket, kind="case_meeting_outcome", actor=actor, reason=locked.outcome,
                     details={"case": locked.case_id, "meeting": locked.pk},
                     is_public=locked.kind == MeetingKind.CONFERENCE_CALL)
    return locked


def case_complete_action(*, item: ActionItem, actor: User) -> ActionItem:
    with transaction.atomic():
        ticket, case = _lock_case(item.case)
        if not (permissions.can_manage_case(actor) or actor.pk == item.owner_id):
            raise PermissionDenied("Only the owner or an escalation manager may mark this step done.")
        locked = ActionItem.objects.select_for_update().get(pk=item.pk)
        if locked.done_at is None:
            locked.done_at = timezone.now()
            locked.save(update_fields=["done_at"])
            record_event(ticket=ticket, kind="case_action_done", actor=actor, reason=locked.step,
                         details={"case": case.pk, "item": locked.pk}, is_public=True)
    return locked


# --- leadership review (seed 000) ----------------------------------------------------------------


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
    lines = [f"{ticket.reference} — {ticket.summary}",
             f"Customer: {ticket.organisation}; priority {ticket.priority or '—'}; status "
             f"{ticket.get_status_display().lower()}; opened {timezone.localtime(ticket.created_at):%d %b %Y}.",
             "", "Intake"]
    for field in ("description", "symptoms", "error_messages", "recent_changes", "business_impact", "workaround"):
        value = getattr(ticket, field)
        if value:
            lines.append(f"- {ticket._meta.get_field(field).verbose_name.capitalize()}: {value}")
    steps = list(ticket.steps.select_related("engineer", "team").order_by("performed_at", "pk"))
    lines += ["", f"Troubleshooting ({len(steps)} step(s))"]
    lines += [f"- {timezone.localtime(s.performed_at):%d %b %H:%M} {s.team or ''} {s.engineer}: "
              f"{s.get_kind_display()} — {s.action} → {s.outcome or 'to do'}" for s in steps]
    handoffs = list(Handoff.objects.filter(ticket=ticket).select_related("from_tier", "to_tier", "approval"))
    lines += ["", "Hand-offs and approvals"]
    lines += [f"- {timezone.localtime(h.requested_at):%d %b %H:%M} {h.from_tier} → {h.to_tier}: "
              f"{h.get_status_display().lower()}" + (" (automatic)" if h.automatic else "")
              + (f"; approval notes: {h.approval.decision_notes}" if h.approval and h.approval.decision_notes else "")
              for h in handoffs] or ["- none"]
    stint = current_stint(ticket)
    if stint is not None:
        lines.append(f"Now in {stint.tier}.")
    lines += ["", "Escalation"]
    for case in EscalationCase.objects.filter(ticket=ticket).prefetch_related("requests", "updates",
                                                                                 "participants__user"):
        for r in case.requests.all():
            lines.append(f"- {timezone.localtime(r.requested_at):%d %b %H:%M} {r.get_reason_display()}: "
                         f"{r.get_level_display()} requested ({r.channel}); impact: {r.business_impact}")
        lines += [f"- engaged: {p.user} ({p.get_role_display().lower()})" for p in case.participants.all()]
        lines += [f"- update {timezone.localtime(u.given_at):%d %b %H:%M} ({u.get_mode_display().lower()}): "
                  f"{u.summary}" for u in case.updates.all()]
    return "\n".join(lines)


def case_start_leadership_review(*, case: EscalationCase, actor: User) -> EscalationCase:
    """The customer asked for leadership: allowed once the team leader and manager were engaged."""
    if not (permissions.can_manage_case(actor) or permissions.can_engage(case.ticket, actor)):
        raise PermissionDenied("You may not start a leadership review.")
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status != CaseStatus.ACTIVE:
            raise Refused("Leadership review refused", [
                f"an active escalation (this one is {locked.get_status_display().lower()})"])
        missing = leadership_missing(locked)
        if missing:
            raise Refused("Leadership review refused", missing)
        locked.brief = case_brief(ticket)
        locked.brief_ready_engineer = locked.brief_ready_team_leader = locked.brief_ready_team_manager = None
        locked.start_leadership_review()
        locked.save()
        for person in leadership():
            _add_participant(locked, ticket, person, ParticipantRole.LEADERSHIP, actor)
        record_event(ticket=ticket, kind="case_leadership_review", actor=actor, source=CaseStatus.ACTIVE,
                     target=locked.status, reason="Support leadership reviews the case.",
                     details={"case": locked.pk}, is_public=True)
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
        ticket, locked = _lock_case(case)
        role = brief_role(locked, ticket, actor)
        if role is None:
            raise PermissionDenied("The assigned engineer, the team leader and the team manager prepare the brief.")
        if locked.status != CaseStatus.LEADERSHIP_REVIEW:
            raise Refused("Editing the brief refused", ["a case under leadership review"])
        if not brief.strip():
            raise Refused("Editing the brief refused", ["the brief's text"])
        changed = brief.strip() != locked.brief
        locked.brief = brief.strip()
        if changed:  # everyone looks again at a changed brief
            locked.brief_ready_engineer = locked.brief_ready_team_leader = locked.brief_ready_team_manager = None
        if ready:
            setattr(locked, f"brief_ready_{role}", actor)
        locked.save()
        record_event(ticket=ticket, kind="case_brief", actor=actor,
                     reason=f"Case brief {'edited' if changed else 'reviewed'}"
                            + (f" and marked ready by the {role.replace('_', ' ')}" if ready else "") + ".",
                     details={"case": locked.pk, "ready": ready, "role": role})
    case.refresh_from_db()
    return locked


def brief_missing(case: EscalationCase) -> list[str]:
    missing = []
    for role, label in (("engineer", "the engineer"), ("team_leader", "the team leader"),
                        ("team_manager", "the team manager")):
        if getattr(case, f"brief_ready_{role}_id") is None:
            missing.append(f"the case brief marked ready by {label}")
    return missing


def case_finish_leadership_review(
    *, case: EscalationCase, actor: User, internal_review: str, meeting_at: datetime | None,
    attendees: str, outcome: str,
) -> EscalationCase:
    """Leadership records its internal review and the stakeholder meeting, then the case goes on."""
    if not permissions.is_leadership(actor):
        raise PermissionDenied("Only support leadership records the review.")
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status != CaseStatus.LEADERSHIP_REVIEW:
            raise Refused("Recording the review refused", ["a case under leadership review"])
        missing = brief_missing(locked)
        if not internal_review.strip():
            missing.append("the internal review")
        if meeting_at is None:
            missing.append("when the stakeholder meeting took place")
        if not attendees.strip():
            missing.append("who attended the stakeholder meeting")
        if not outcome.strip():
            missing.append("the stakeholder meeting's outcome")
        if missing:
            raise Refused("Recording the review refused", missing)
        locked.internal_review = internal_review.strip()
        locked.finish_leadership_review()
        locked.save()
        CaseMeeting.objects.create(case=locked, kind=MeetingKind.STAKEHOLDER_MEETING, scheduled_for=meeting_at,
                                   attendees=attendees.strip(), outcome=outcome.strip(), recorded_by=actor)
        record_event(ticket=ticket, kind="case_leadership_done", actor=actor, source=CaseStatus.LEADERSHIP_REVIEW,
                     target=locked.status, reason=f"Stakeholder meeting: {outcome.strip()}",
                     details={"case": locked.pk}, is_public=True)
    case.refresh_from_db()
    return locked


# --- de-escalation (seed 002) -------------------------------------------------------------------


def case_propose_de_escalation(*, case: EscalationCase, actor: User, action_plan_accepted: bool,
                               rca_on_track: bool, note: str = "") -> EscalationCase:
    _require_manager(actor)
    missing = ([] if action_plan_accepted else ["confirmation that the action plan is acceptable"]) + (
        [] if rca_on_track else ["confirmation that troubleshooting or root cause analysis is on track"])
    if missing:
        raise Refused("Proposing de-escalation refused", missing)
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status != CaseStatus.ACTIVE:
            raise Refused("Proposing de-escalation refused", [
                f"an active escalation (this one is {locked.get_status_display().lower()})"])
        locked.action_plan_accepted = locked.rca_on_track = True
        locked.de_escalation_note = note.strip()
        locked.propose_de_escalation()
        locked.save()
        record_event(ticket=ticket, kind="case_de_escalation_proposed", actor=actor, source=CaseStatus.ACTIVE,
                     target=locked.status, reason=note.strip() or "The request is back on track.",
                     details={"case": locked.pk}, is_public=True)
        _tell_staff(locked, ticket, kind="escalations.case_de_escalation_proposed", actor=actor, context={
            "note": note.strip(),
            "message": f"{actor} proposed to de-escalate {ticket.reference}: the action plan is agreed and the "
                       f"root cause analysis is on track. The customer is asked to agree in the portal."})
        _tell_customers(locked, ticket, kind="escalations.customer_de_escalation_proposed", actor=actor, context={
            "note": note.strip(),
            "agree_url": links.absolute(links.portal_escalation_agree_path(ticket.pk, locked.pk)),
            "message": f"The action plan for {ticket.reference} is agreed and the root cause analysis is on track, "
                       f"so we propose to close the escalation. Your request carries on with our support team."})
    case.refresh_from_db()
    return locked


def case_answer_de_escalation(*, case: EscalationCase, actor: User, agree: bool, comment: str = "",
                              channel: str = "") -> EscalationCase:
    """The customer agrees (one click in the portal) or not; staff record the customer's answer
    with the channel it came by."""
    by_customer = ticket_permissions.is_customer_of(case.ticket, actor)
    if not permissions.can_answer_de_escalation(case.ticket, actor):
        raise PermissionDenied("Only the customer, or an escalation manager recording their answer, may answer.")
    if by_customer:
        channel = channel if channel in (Channel.PORTAL, Channel.API) else Channel.PORTAL
    elif channel not in (Channel.PHONE, Channel.EMAIL):
        raise Refused("Recording the customer's answer refused", ["how the customer answered (phone or e-mail)"])
    if not agree and not comment.strip():
        raise Refused("Keeping the escalation refused", ["why the request is not back on track"])
    with transaction.atomic():
        ticket, locked = _lock_case(case)
        if locked.status != CaseStatus.DE_ESCALATION_PROPOSED:
            if agree and locked.status == CaseStatus.DE_ESCALATED:
                return locked  # a second click
            raise Refused("Answer refused", ["a proposal to de-escalate"])
        if agree:
            locked.de_escalate(by_id=actor.pk, channel=channel, comment=comment.strip())
            _stop_clock(locked, UPDATE_CLOCK)
        else:
            locked.keep_escalated()
        locked.save()
        record_event(ticket=ticket, kind="case_de_escalated" if agree else "case_kept_escalated", actor=actor,
                     source=CaseStatus.DE_ESCALATION_PROPOSED, target=locked.status, reason=comment.strip(),
                     details={"case": locked.pk, "channel": channel, "by_customer": by_customer}, is_public=True)
        customer = actor if by_customer else ticket.requester
        answer = {"agreed": agree, "customer": str(customer), "comment": comment.strip(), "channel": channel,
                  "recorded_by": "" if by_customer else str(actor)}
        _tell_staff(locked, ticket, kind="escalations.case_answered", actor=actor, context={
            **answer, "message": f"{ticket.reference}: {customer} "
                                 f"{'agreed to de-escalate' if agree else 'keeps the escalation'}"
                                 + (f" — {comment.strip()}" if comment.strip() else "") + f" ({channel})."})
        if not by_customer:  # the customer is told what staff recorded for them
            _tell_customers(locked, ticket, kind="escalations.customer_answer_recorded", actor=actor, context={
                **answer, "message": (f"We recorded that you agreed to close the escalation of {ticket.reference}; "
                                      "your request carries on with our support team." if agree else
                                      f"We recorded that you want {ticket.reference} to stay escalated.")})
    case.refresh_from_db()
    return locked


# --- with the ticket ----------------------------------------------------------------------------


def close_cases_with(ticket: Ticket) -> None:
    """The ticket closed or was cancelled: its open case closes too (ticket_changed receiver)."""
    for case in EscalationCase.objects.filter(ticket=ticket, status__in=OPEN_CASE_STATES):
        source = case.status
        case.close()
        case.save()
        for kind in (ACK_CLOCK, UPDATE_CLOCK):
            _stop_clock(case, kind)
        record_event(ticket=ticket, kind="case_closed", actor=None, source=source, target=case.status,
                     reason="The escalation closed with the request.", details={"case": case.pk}, is_public=True)


# --- clocks -------------------------------------------------------------------------------------


def on_case_clock(clock: Clock, *, warning: bool) -> None:
    case = EscalationCase.objects.select_related("ticket", "escalation_manager").filter(pk=clock.object_id).first()
    if case is None or not case.is_open:
        return
    ticket = case.ticket
    point = "warning" if warning else "breach"
    if clock.kind == ACK_CLOCK:
        # The escalation managers' manager hears of a late acknowledgement (warning and breach).
        managers = escalation_managers()
        recipients = list({u.pk: u for m in managers for u in managers_of(m)}.values()) or leadership()
        if warning:
            recipients = list({u.pk: u for u in recipients + managers}.values())
        what = (f"The escalation of {ticket.reference} is not acknowledged yet; it must be by "
                f"{timezone.localtime(clock.due_at):%a %d %b %H:%M}." if warning and clock.due_at else
                f"The escalation of {ticket.reference} was not acknowledged in time.")
        kind = f"case_ack_{point}"
    else:
        manager = case.escalation_manager
        recipients = [manager] if warning and manager else managers_of(manager) + ([manager] if manager else [])
        what = (f"The next update on the escalation of {ticket.reference} is due soon." if warning
                else f"The update on the escalation of {ticket.reference} was missed.")
        kind = f"case_update_{'due' if warning else 'missed'}"
    tell_staff(ticket=ticket, recipients=recipients, actor=None, kind=f"escalations.{kind}",
               context={"case_id": case.pk, **_case_context(case), "message": what,
                        "due": f"{timezone.localtime(clock.due_at):%a %d %b %H:%M}" if clock.due_at else ""},
               dedup_key=f"clock:{clock.pk}:{point}")
    record_event(ticket=ticket, kind=kind, actor=None, reason=what,
                 details={"case": case.pk, "clock": clock.pk, "notified": [u.username for u in recipients]})


# --- the daily report (seed 002) ----------------------------------------------------------------


def _report_calendar() -> BusinessCalendar | None:
    name = settings.DAILY_REPORT_CALENDAR
    return BusinessCalendar.objects.filter(name=name).prefetch_related("windows", "holidays").first() if name else None


def is_report_day(day: date) -> bool:
    calendar = _report_calendar()
    if calendar is None or calendar.is_24x7:
        return day.weekday() < 5
    spec = calendar.spec()
    return bool(spec.windows_on(day.weekday())) and not spec.is_holiday(day)


def report_rows(day: date) -> list[dict[str, Any]]:
    """Every escalation open at the end of `day`, with its state, level, age, next update, breaches."""
    zone = timezone.get_current_timezone()
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    cases = (
        EscalationCase.objects.filter(requested_at__lt=end)
        .filter(Q(status__in=OPEN_CASE_STATES) | Q(closed_at__gte=end) | Q(agreed_at__gte=end))
        .select_related("ticket", "ticket__organisation", "ticket__assignee", "escalation_manager")
        .order_by("requested_at", "pk")
    )
    cases = list(cases)
    update_clocks = {
        c.object_id: c for c in clocks_of_cases([case.pk for case in cases]).filter(kind=UPDATE_CLOCK).exclude(state=ClockState.STOPPED)
    }
    breaches: dict[int, int] = {}
    for row in clocks_of_cases([case.pk for case in cases]).filter(breached_at__lt=end):
        breaches[row.object_id] = breaches.get(row.object_id, 0) + 1
    now = min(end, timezone.now())
    return [{
        "case": case,
        "ticket": case.ticket,
        "status": case.get_status_display(),
        "level": case.get_level_display(),
        "manager": case.escalation_manager,
        "age_hours": int((now - case.requested_at).total_seconds() // 3600),
        "next_update_due": update_clocks[case.pk].due_at if case.pk in update_clocks else None,
        "breaches": breaches.get(case.pk, 0),
    } for case in cases]


def daily_report_send(now: datetime | None = None) -> DailyReport | None:
    """Send today's report once, at or after DAILY_REPORT_HOUR on a business day; else None."""
    now = timezone.localtime(now or timezone.now())
    day = now.date()
    if now.hour < settings.DAILY_REPORT_HOUR or not is_report_day(day):
        return None
    if DailyReport.objects.filter(day=day).exists():
        return None
    rows = report_rows(day)
    recipients = escalation_managers()
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(day=day, open_cases=len(rows),
                                                recipients=[u.username for u in recipients])
            lines = [f"- {r['ticket'].reference} {r['ticket'].summary} ({r['ticket'].organisation}): "
                     f"{r['status']}, {r['level']}, manager {r['manager'] or 'not assigned'}, open {r['age_hours']} h"
                     + (f", next update {timezone.localtime(r['next_update_due']):%a %H:%M}"
                        if r["next_update_due"] else "")
                     for r in rows]
            notify(recipients=recipients, kind="escalations.daily_report",
                   context={"day": f"{day:%A %d %B %Y}", "count": len(rows),
                            "message": f"{len(rows)} open escalation(s) on {day:%A %d %B %Y}:\n" + "\n".join(lines)
                            if rows else f"No open escalations on {day:%A %d %B %Y}."},
                   dedup_key=f"daily-report:{day.isoformat()}",
                   link=links.console_escalation_report_path(day))
    except IntegrityError:  # another worker sent it a moment ago
        return None
    return report


def case_events(ticket: Ticket) -> list[TimelineEvent]:
    return list(ticket.events.filter(kind__startswith="case_").order_by("at", "pk"))
