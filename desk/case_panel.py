"""What the ticket page shows of a customer escalation case, and the forms to run it.

A fixed number of queries whatever the number of requests, participants, action items,
meetings or updates: the ticket's latest case (1); when there is one, its requests,
participants, action plan, meetings and updates (5), its clocks (1) and, for someone who may
engage people or agree the plan, the staff to choose from (1). Who may do what is asked of
escalations.permissions; the services check again when a form is posted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from cases import permissions
from cases.models import (
    ActionItem,
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
    MeetingKind,
    ParticipantRole,
    clocks_of_cases,
)
from cases.services import core as case_core
from clocks.models import Clock, ClockState
from tickets import permissions as ticket_permissions
from tickets.models import Ticket

from .case_forms import (
    AcknowledgeForm,
    ActionDoneForm,
    ActivateForm,
    AnswerForm,
    BriefForm,
    CaseRequestForm,
    EngageForm,
    LeadershipReviewForm,
    LeadershipStartForm,
    MeetingForm,
    MeetingOutcomeForm,
    ProposeForm,
    UpdateForm,
)

# What each state means, in words, for the panel's headline.
STATE_WORDS = {
    CaseStatus.REQUESTED: "The customer asked to escalate; an escalation manager must acknowledge it.",
    CaseStatus.ACKNOWLEDGED: "An escalation manager took the case; the action and communication plans are next.",
    CaseStatus.ACTIVE: "The action plan and communication plan are agreed; updates are given as planned.",
    CaseStatus.LEADERSHIP_REVIEW: "Support leadership reviews the case: the brief is prepared for them.",
    CaseStatus.DE_ESCALATION_PROPOSED: "De-escalation is proposed; the customer's agreement is awaited.",
    CaseStatus.DE_ESCALATED: "The customer agreed: the request is back to normal handling.",
    CaseStatus.CLOSED: "The escalation closed with the request.",
}

# Forms of the panel: name → form class (per-item forms are named "<name>-<pk>").
SIMPLE_FORMS = {
    "case_ack": AcknowledgeForm,
    "case_update": UpdateForm,
    "case_leadership": LeadershipStartForm,
    "case_review": LeadershipReviewForm,
    "case_propose": ProposeForm,
    "case_answer": AnswerForm,
}


def latest_case(ticket: Ticket) -> EscalationCase | None:
    """The ticket's open case, else its last one (at most one case is open at a time)."""
    return (
        EscalationCase.objects.filter(ticket=ticket)
        .select_related("escalation_manager", "agreed_by", "brief_ready_engineer", "brief_ready_team_leader",
                        "brief_ready_team_manager")
        .order_by("-requested_at", "-pk")
        .first()
    )


def load_case_rows(case: EscalationCase) -> None:
    prefetch_related_objects(
        [case],
        Prefetch("requests", queryset=CaseRequest.objects.select_related("requested_by", "recorded_by")),
        Prefetch("participants", queryset=CaseParticipant.objects.select_related("user")),
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
        Prefetch("meetings", queryset=CaseMeeting.objects.select_related("recorded_by")),
        Prefetch("updates", queryset=CaseUpdate.objects.select_related("logged_by")),
    )


def case_clocks(case: EscalationCase) -> dict[str, Clock]:
    """The latest clock of each kind (acknowledgement, next update) of the case."""
    clocks = clocks_of_cases([case.pk]).order_by("pk")
    return {clock.kind: clock for clock in clocks}


def clock_view(clock: Clock | None) -> dict[str, Any] | None:
    if clock is None:
        return None
    now = timezone.now()
    running = clock.state != ClockState.STOPPED
    return {
        "due_at": clock.due_at,
        "running": running,
        "breached": clock.breached_at is not None or (running and clock.due_at is not None and clock.due_at <= now),
        "breached_at": clock.breached_at,
    }


def staff_choices(ticket: Ticket) -> list[User]:
    """Support staff (and the ticket's requester, who may own a step of the plan)."""
    people = list(User.objects.filter(is_active=True, is_staff=True).order_by("first_name", "last_name", "username"))
    if ticket.requester_id and all(u.pk != ticket.requester_id for u in people):
        people.append(ticket.requester)
    return people


def staff_only(people: list[User]) -> list[User]:
    """Only support staff are engaged (the requester may own a step of the plan, not join the case)."""
    return [u for u in people if u.is_agent]


def brief_role(ticket: Ticket, user: User) -> str | None:
    """cases.brief_role, read from the rows the ticket page already loaded (no query)."""
    if ticket.assignee_id == user.pk:
        return "engineer"
    team = ticket.team
    if team is not None and team.manager_id == user.pk:
        return "team_manager"
    if team is not None and any(leader.pk == user.pk for leader in team.leaders.all()):
        return "team_leader"
    return None


def request_initial(ticket: Ticket) -> dict[str, Any]:
    """Seed 002's review, prefilled from the ticket's intake."""
    return {"business_impact": ticket.business_impact, "critical_milestone": ticket.critical_milestone,
            "level": "next_tier"}


def request_form(ticket: Ticket, data: Any = None) -> CaseRequestForm:
    form = CaseRequestForm(data, prefix="case_request", initial=request_initial(ticket))
    form.fields["problem_statement_correct"].help_text = f"The ticket says: “{ticket.summary}”."
    if ticket.workaround:
        form.fields["workaround_impractical_because"].help_text = f"The ticket's workaround: “{ticket.workaround}”."
    return form


def case_panel(request: HttpRequest, ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    case = latest_case(ticket)
    is_open = case is not None and case.is_open
    may_request = ticket.status in case_core.ESCALATABLE and permissions.can_request_case(ticket, user)
    context: dict[str, Any] = {
        "case": case,
        "case_words": STATE_WORDS.get(case.status, "") if case else "",
        "case_may": {"request": may_request or "case_request" in bound},
        "case_forms": {"request": bound.get("case_request") or request_form(ticket)},
        "case_open_form": next(iter(bound), None),
    }
    if case is None:
        return context
    load_case_rows(case)
    case.ticket = ticket
    clocks = case_clocks(case)
    status = case.status
    manager = permissions.can_manage_case(user)
    leader = permissions.is_leadership(user)
    engage = is_open and permissions.can_engage(ticket, user)
    role = brief_role(ticket, user)
    roles = {p.role for p in case.participants.all()}
    people = staff_choices(ticket) if (engage or "case_engage" in bound or (
        manager and status == CaseStatus.ACKNOWLEDGED) or "case_activate" in bound) else []

    may = {
        "request": context["case_may"]["request"],
        "ack": is_open and status == CaseStatus.REQUESTED and manager,
        "engage": engage,
        "activate": status == CaseStatus.ACKNOWLEDGED and manager,
        "update": status in case_core.UPDATING and manager,
        "meeting": is_open and (manager or leader),
        "leadership": status == CaseStatus.ACTIVE and (manager or engage),
        "brief": status == CaseStatus.LEADERSHIP_REVIEW and role is not None,
        "review": status == CaseStatus.LEADERSHIP_REVIEW and leader,
        "propose": status == CaseStatus.ACTIVE and manager,
        "answer": status == CaseStatus.DE_ESCALATION_PROPOSED and permissions.can_answer_de_escalation(ticket, user),
    }
    names = {"ack": "case_ack", "engage": "case_engage", "activate": "case_activate", "update": "case_update",
             "meeting": "case_meeting", "leadership": "case_leadership", "brief": "case_brief",
             "review": "case_review", "propose": "case_propose", "answer": "case_answer"}
    may = {key: bool(value) or names.get(key, "case_request") in bound for key, value in may.items()}

    meeting_kinds = ([MeetingKind.CONFERENCE_CALL] if manager else []) + (
        [MeetingKind.INTERNAL_REVIEW, MeetingKind.STAKEHOLDER_MEETING] if manager or leader else [])
    forms = {
        "request": context["case_forms"]["request"],
        "engage": bound.get("case_engage") or EngageForm(prefix="case_engage", people=staff_only(people)),
        "activate": bound.get("case_activate") or ActivateForm(
            prefix="case_activate", people=people,
            initial={"required_attendees": f"{ticket.requester}, {case.escalation_manager or ''}".strip(", ")}),
        "meeting": bound.get("case_meeting") or MeetingForm(prefix="case_meeting", kinds=meeting_kinds),
        "brief": bound.get("case_brief") or BriefForm(prefix="case_brief", initial={"brief": case.brief}),
    }
    for key, form_class in SIMPLE_FORMS.items():
        forms[key.removeprefix("case_")] = bound.get(key) or form_class(prefix=key)

    for item in case.action_items.all():
        name = f"case_action_done-{item.pk}"
        item.may_complete = (item.done_at is None and (manager or item.owner_id == user.pk)) or name in bound
        item.done_form = bound.get(name) or ActionDoneForm(prefix=name)
        item.late = item.done_at is None and item.target_date < timezone.localdate()
    for meeting in case.meetings.all():
        name = f"case_meeting_outcome-{meeting.pk}"
        allowed = manager if meeting.kind == MeetingKind.CONFERENCE_CALL else (manager or leader)
        meeting.may_record = (is_open and allowed) or name in bound
        meeting.outcome_form = bound.get(name) or MeetingOutcomeForm(prefix=name)

    ready = [(label, getattr(case, f"brief_ready_{key}")) for key, label in (
        ("engineer", "Engineer"), ("team_leader", "Team leader"), ("team_manager", "Team manager"))]
    context.update({
        "case_may": may,
        "case_forms": forms,
        "case_ack_clock": clock_view(clocks.get(case_core.ACK_CLOCK)),
        "case_update_clock": clock_view(clocks.get(case_core.UPDATE_CLOCK)),
        "case_leadership_missing": [
            text for r, text in ((ParticipantRole.TEAM_LEADER, "the team leader engaged first"),
                                 (ParticipantRole.TEAM_MANAGER, "the team manager engaged first")) if r not in roles
        ],
        "case_brief_ready": ready,
        "case_brief_missing": [f"the case brief marked ready by the {label.lower()}" for label, who in ready
                               if who is None],
        "case_brief_role": role.replace("_", " ") if role else "",
        "case_is_internal": ticket_permissions.can_view_internal(user),
    })
    return context
