"""Console actions of a customer escalation case (SPEC §6), the escalation board and the daily report.

Each action: the ticket (404 if the user may not see it), the case on it (404 if it is not
the ticket's), who may act (403 before any input is read), then the form and the service. A
refusal re-renders the ticket page with the form as typed and the service's list of what is
missing (desk.escalation_views.run_ticket_action).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import permissions
from cases.models import ActionItem, CaseMeeting, DailyReport, EscalationCase, MeetingKind
from cases.selectors import staff_choices
from cases.services import daily_report as case_daily_report
from cases.services import de_escalation as case_de_escalation
from cases.services import participants as case_participants
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import review as leadership_review
from cases.services import updates as case_updates
from tickets import selectors
from tickets.models import Ticket

from .case_forms import (
    AcknowledgeForm,
    ActionDoneForm,
    ActivateForm,
    AnswerForm,
    BoardFilterForm,
    BriefForm,
    EngageForm,
    LeadershipReviewForm,
    LeadershipStartForm,
    MeetingForm,
    MeetingOutcomeForm,
    ProposeForm,
    UpdateForm,
)
from .case_panel import request_form, staff_only
from .escalation_views import require, run_ticket_action
from .views import agent_required

ANCHOR = "#case"


def _case(ticket: Ticket, case_pk: int) -> EscalationCase:
    case = get_object_or_404(
        EscalationCase.objects.select_related("escalation_manager"), pk=case_pk, ticket=ticket
    )
    case.ticket = ticket
    return case


def _manager(user: Any) -> bool:
    return permissions.can_manage_case(user)


# --- requesting and running the case ----------------------------------------------------------


@require_POST
@agent_required
def case_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a customer's request made by phone or e-mail (seed 002's review included)."""
    ticket = selectors.get_ticket_for(request.user, pk)
    allowed = require(
        lambda: permissions.can_request_case(ticket, request.user),
        _("You may not record an escalation request."),
    )
    form = request_form(ticket, request.POST)

    def action(data: dict[str, Any]) -> Any:
        return case_requests.case_request(
            ticket=ticket,
            actor=request.user,
            reason=data["reason"],
            level=data["level"],
            review=form.review(),
            reason_detail=data["reason_detail"],
            channel=data["channel"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_request",
        form,
        action,
        done=_("Escalation request recorded."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_acknowledge(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: _manager(request.user), _("Only an escalation manager may acknowledge an escalation.")
    )
    form = AcknowledgeForm(request.POST, prefix="case_ack")
    return run_ticket_action(
        request,
        ticket,
        "case_ack",
        form,
        lambda data: case_plans.case_acknowledge(case=case, actor=request.user),
        done=_("Escalation acknowledged: you are the escalation manager."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_engage(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: permissions.can_engage(ticket, request.user),
        _("You may not engage people on this escalation."),
    )
    form = EngageForm(request.POST, prefix="case_engage", people=staff_only(staff_choices(ticket)))

    def action(data: dict[str, Any]) -> Any:
        return case_participants.case_engage(
            case=case, actor=request.user, user=data["user"], role=data["role"]
        )

    return run_ticket_action(
        request, ticket, "case_engage", form, action, done=_("Engaged."), anchor=ANCHOR, still_allowed=allowed
    )


@require_POST
@agent_required
def case_activate(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(lambda: _manager(request.user), _("Only an escalation manager agrees the plans."))
    form = ActivateForm(request.POST, prefix="case_activate", people=staff_choices(ticket))

    def action(data: dict[str, Any]) -> Any:
        return case_plans.case_activate(
            case=case,
            actor=request.user,
            action_plan=data["action_plan"],
            mode=data["mode"],
            update_every_minutes=data["update_every_minutes"],
            required_attendees=data["required_attendees"],
            first_call_at=data["first_call_at"],
            first_call_attendees=data["first_call_attendees"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_activate",
        form,
        action,
        done=_("The escalation is active."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_update(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(lambda: _manager(request.user), _("Only an escalation manager logs updates."))
    form = UpdateForm(request.POST, prefix="case_update")

    def action(data: dict[str, Any]) -> Any:
        return case_updates.case_log_update(
            case=case,
            actor=request.user,
            mode=data["mode"],
            summary=data["summary"],
            attendees=data["attendees"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_update",
        form,
        action,
        done=_("Update logged."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


def _may_meet(user: Any) -> bool:
    return permissions.can_manage_case(user) or permissions.is_leadership(user)


@require_POST
@agent_required
def case_meeting(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: _may_meet(request.user),
        _("Only an escalation manager or support leadership schedules meetings."),
    )
    form = MeetingForm(request.POST, prefix="case_meeting")

    def action(data: dict[str, Any]) -> Any:
        return case_updates.case_schedule_meeting(
            case=case,
            actor=request.user,
            kind=data["kind"],
            scheduled_for=data["scheduled_for"],
            attendees=data["attendees"],
            notes=data["notes"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_meeting",
        form,
        action,
        done=_("Meeting scheduled."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_meeting_outcome(request: HttpRequest, pk: int, case_pk: int, meeting_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    meeting = get_object_or_404(CaseMeeting, pk=meeting_pk, case=case)
    meeting.case = case

    def allowed() -> bool:
        return (
            _manager(request.user) if meeting.kind == MeetingKind.CONFERENCE_CALL else _may_meet(request.user)
        )

    require(allowed, _("You may not record this meeting."))
    name = f"case_meeting_outcome-{meeting.pk}"
    form = MeetingOutcomeForm(request.POST, prefix=name)

    def action(data: dict[str, Any]) -> Any:
        return case_updates.case_record_meeting(
            meeting=meeting, actor=request.user, outcome=data["outcome"], notes=data["notes"]
        )

    return run_ticket_action(
        request, ticket, name, form, action, done=_("Meeting recorded."), anchor=ANCHOR, still_allowed=allowed
    )


@require_POST
@agent_required
def case_action_done(request: HttpRequest, pk: int, case_pk: int, item_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    item = get_object_or_404(ActionItem, pk=item_pk, case=case)
    item.case = case
    allowed = require(
        lambda: _manager(request.user) or item.owner_id == request.user.pk,
        _("Only the step's owner or an escalation manager may mark it done."),
    )
    name = f"case_action_done-{item.pk}"
    form = ActionDoneForm(request.POST, prefix=name)
    return run_ticket_action(
        request,
        ticket,
        name,
        form,
        lambda data: case_updates.case_complete_action(item=item, actor=request.user),
        done=_("Action done."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_leadership(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: _manager(request.user) or permissions.can_engage(ticket, request.user),
        _("You may not start a leadership review."),
    )
    form = LeadershipStartForm(request.POST, prefix="case_leadership")
    return run_ticket_action(
        request,
        ticket,
        "case_leadership",
        form,
        lambda data: leadership_review.case_start_leadership_review(case=case, actor=request.user),
        done=_("Leadership review started: prepare the brief."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_brief(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: leadership_review.brief_role(case, ticket, request.user) is not None,
        _("The assigned engineer, the team leader and the team manager prepare the brief."),
    )
    form = BriefForm(request.POST, prefix="case_brief")

    def action(data: dict[str, Any]) -> Any:
        return leadership_review.case_edit_brief(
            case=case, actor=request.user, brief=data["brief"], ready=data["ready"]
        )

    return run_ticket_action(
        request,
        ticket,
        "case_brief",
        form,
        action,
        done=_("Brief saved."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_review(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: permissions.is_leadership(request.user), _("Only support leadership records the review.")
    )
    form = LeadershipReviewForm(request.POST, prefix="case_review")

    def action(data: dict[str, Any]) -> Any:
        return leadership_review.case_finish_leadership_review(
            case=case,
            actor=request.user,
            internal_review=data["internal_review"],
            meeting_at=data["meeting_at"],
            attendees=data["attendees"],
            outcome=data["outcome"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_review",
        form,
        action,
        done=_("Leadership review recorded."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_propose(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(lambda: _manager(request.user), _("Only an escalation manager proposes de-escalation."))
    form = ProposeForm(request.POST, prefix="case_propose")

    def action(data: dict[str, Any]) -> Any:
        return case_de_escalation.case_propose_de_escalation(
            case=case,
            actor=request.user,
            action_plan_accepted=data["action_plan_accepted"],
            rca_on_track=data["rca_on_track"],
            note=data["note"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_propose",
        form,
        action,
        done=_("De-escalation proposed to the customer."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


@require_POST
@agent_required
def case_answer(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    case = _case(ticket, case_pk)
    allowed = require(
        lambda: permissions.can_answer_de_escalation(ticket, request.user),
        _("Only an escalation manager records the customer's answer."),
    )
    form = AnswerForm(request.POST, prefix="case_answer")

    def action(data: dict[str, Any]) -> Any:
        return case_de_escalation.case_answer_de_escalation(
            case=case,
            actor=request.user,
            agree=data["agree"],
            comment=data["comment"],
            channel=data["channel"],
        )

    return run_ticket_action(
        request,
        ticket,
        "case_answer",
        form,
        action,
        done=_("The customer's answer is recorded."),
        anchor=ANCHOR,
        still_allowed=allowed,
    )


# --- the escalation board and the daily report (seed 002) ---------------------------------------


def _require_board(user: Any) -> None:
    if not (permissions.is_escalation_manager(user) or permissions.is_leadership(user)):
        raise PermissionDenied(_("The escalation board is for escalation managers and support leadership."))


@require_GET
@agent_required
def escalation_board(request: HttpRequest) -> HttpResponse:
    """Every open escalation: a fixed number of queries whatever their number
    (case_daily_report.report_rows)."""
    _require_board(request.user)
    form = BoardFilterForm(request.GET or None)
    rows = [row for row in case_daily_report.report_rows(timezone.localdate()) if row["case"].is_open]
    if form.is_valid():
        data = form.cleaned_data
        if data["state"]:
            rows = [row for row in rows if row["case"].status == data["state"]]
        if data["level"]:
            rows = [row for row in rows if row["case"].level == data["level"]]
        if data["mine"]:
            rows = [row for row in rows if row["case"].escalation_manager_id == request.user.pk]
    now = timezone.now()
    for row in rows:
        row["update_overdue"] = row["next_update_due"] is not None and row["next_update_due"] <= now
    return render(request, "desk/escalation_board.html", {"form": form, "rows": rows})


@require_GET
@agent_required
def escalation_report(request: HttpRequest) -> HttpResponse:
    """The daily report of one day (?date=YYYY-MM-DD, default today): the list the e-mail has."""
    _require_board(request.user)
    raw = request.GET.get("date", "").strip()
    today = timezone.localdate()
    day = _parse_day(raw) if raw else today
    if day is None:
        return render(
            request,
            "desk/escalation_report.html",
            {
                "error": _("“%(raw)s” is not a date: give it as YYYY-MM-DD, e.g. %(today)s.")
                % {"raw": raw, "today": today.isoformat()},
                "raw": raw,
                "day": None,
                "rows": [],
                "today": today,
            },
            status=400,
        )
    rows = case_daily_report.report_rows(day)
    sent = DailyReport.objects.filter(day=day).first()
    return render(
        request,
        "desk/escalation_report.html",
        {
            "day": day,
            "rows": rows,
            "sent": sent,
            "raw": day.isoformat(),
            "today": today,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


def _parse_day(raw: str) -> date | None:
    """YYYY-MM-DD, a day from 1900 to 9998 (the page links to the day before and after)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if date(1900, 1, 1) <= day <= date(9998, 12, 31) else None
