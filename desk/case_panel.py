"""What the ticket page shows of a customer escalation case, and the forms to run it.

The reads are cases.selectors.case_panel_view's (a fixed number of queries whatever the number
of requests, participants, action items, meetings or updates); this module only turns that
read model into the template's context: the words, the forms and which of them the user may
use. The services check again when a form is posted.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import CaseStatus, MeetingKind
from cases.selectors import CasePanel, case_panel_view
from cases.services.core import UPDATING
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
    CaseStatus.REQUESTED: _("The customer asked to escalate; an escalation manager must acknowledge it."),
    CaseStatus.ACKNOWLEDGED: _(
        "An escalation manager took the case; the action and communication plans are next."
    ),
    CaseStatus.ACTIVE: _("The action plan and communication plan are agreed; updates are given as planned."),
    CaseStatus.LEADERSHIP_REVIEW: _("Support leadership reviews the case: the brief is prepared for them."),
    CaseStatus.DE_ESCALATION_PROPOSED: _("De-escalation is proposed; the customer's agreement is awaited."),
    CaseStatus.DE_ESCALATED: _("The customer agreed: the request is back to normal handling."),
    CaseStatus.CLOSED: _("The escalation closed with the request."),
}

# Who the user reviews the brief as, in the words of the panel's sentence ("You review it as the …").
BRIEF_ROLE_WORDS = {
    "engineer": _("engineer"),
    "team_leader": _("team leader"),
    "team_manager": _("team manager"),
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

# The name of each step's form (a refused form comes back in `bound` under it).
FORM_NAMES = {
    "ack": "case_ack",
    "engage": "case_engage",
    "activate": "case_activate",
    "update": "case_update",
    "meeting": "case_meeting",
    "leadership": "case_leadership",
    "brief": "case_brief",
    "review": "case_review",
    "propose": "case_propose",
    "answer": "case_answer",
}


def staff_only(people: list[User]) -> list[User]:
    """Only support staff are engaged (the requester may own a step of the plan, not join the case)."""
    return [u for u in people if u.is_agent]


def request_initial(ticket: Ticket) -> dict[str, Any]:
    """Seed 002's review, prefilled from the ticket's intake."""
    return {
        "business_impact": ticket.business_impact,
        "critical_milestone": ticket.critical_milestone,
        "level": "next_tier",
    }


def request_form(ticket: Ticket, data: Any = None) -> CaseRequestForm:
    form = CaseRequestForm(data, prefix="case_request", initial=request_initial(ticket))
    form.fields["problem_statement_correct"].help_text = gettext("The ticket says: “%(summary)s”.") % {
        "summary": ticket.summary
    }
    if ticket.workaround:
        form.fields["workaround_impractical_because"].help_text = gettext(
            "The ticket's workaround: “%(workaround)s”."
        ) % {"workaround": ticket.workaround}
    return form


def case_panel(request: HttpRequest, ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    view = case_panel_view(ticket, request.user, staff="case_engage" in bound or "case_activate" in bound)
    case = view.case
    may_request = view.may_request or "case_request" in bound
    request_form_ = bound.get("case_request") or request_form(ticket)
    context: dict[str, Any] = {
        "case": case,
        "case_words": str(STATE_WORDS.get(case.status, "")) if case else "",
        "case_may": {"request": may_request},
        "case_forms": {"request": request_form_},
        "case_open_form": next(iter(bound), None),
    }
    if case is None:
        return context
    context.update(
        {
            "case_may": panel_may(view, may_request, bound),
            "case_forms": panel_forms(view, ticket, request_form_, bound),
            "case_ack_clock": view.ack_clock,
            "case_update_clock": view.update_clock,
            "case_leadership_missing": view.leadership_missing,
            "case_brief_ready": view.brief_ready,
            "case_brief_missing": view.brief_missing,
            "case_brief_role": str(BRIEF_ROLE_WORDS[view.brief_role]) if view.brief_role else "",
            "case_is_internal": view.is_internal,
        }
    )
    item_forms(view, request.user, bound)
    return context


def panel_may(view: CasePanel, may_request: bool, bound: dict[str, Any]) -> dict[str, bool]:
    """Which steps the user may take now (a refused form stays shown)."""
    case = view.case
    assert case is not None
    status, manager, leader = case.status, view.may_manage, view.is_leadership
    may = {
        "request": may_request,
        "ack": view.is_open and status == CaseStatus.REQUESTED and manager,
        "engage": view.may_engage,
        "activate": status == CaseStatus.ACKNOWLEDGED and manager,
        "update": status in UPDATING and manager,
        "meeting": view.is_open and (manager or leader),
        "leadership": status == CaseStatus.ACTIVE and (manager or view.may_engage),
        "brief": status == CaseStatus.LEADERSHIP_REVIEW and view.brief_role is not None,
        "review": status == CaseStatus.LEADERSHIP_REVIEW and leader,
        "propose": status == CaseStatus.ACTIVE and manager,
        "answer": view.may_answer,
    }
    return {key: bool(value) or FORM_NAMES.get(key, "case_request") in bound for key, value in may.items()}


def panel_forms(
    view: CasePanel, ticket: Ticket, request_form_: CaseRequestForm, bound: dict[str, Any]
) -> dict[str, Any]:
    """The panel's forms: the refused one as it came back, the others fresh."""
    case = view.case
    assert case is not None
    manager, leader = view.may_manage, view.is_leadership
    meeting_kinds = ([MeetingKind.CONFERENCE_CALL] if manager else []) + (
        [MeetingKind.INTERNAL_REVIEW, MeetingKind.STAKEHOLDER_MEETING] if manager or leader else []
    )
    forms: dict[str, Any] = {
        "request": request_form_,
        "engage": bound.get("case_engage") or EngageForm(prefix="case_engage", people=staff_only(view.staff)),
        "activate": bound.get("case_activate")
        or ActivateForm(
            prefix="case_activate",
            people=view.staff,
            initial={
                "required_attendees": f"{ticket.requester}, {case.escalation_manager or ''}".strip(", ")
            },
        ),
        "meeting": bound.get("case_meeting") or MeetingForm(prefix="case_meeting", kinds=meeting_kinds),
        "brief": bound.get("case_brief") or BriefForm(prefix="case_brief", initial={"brief": case.brief}),
    }
    for key, form_class in SIMPLE_FORMS.items():
        forms[key.removeprefix("case_")] = bound.get(key) or form_class(prefix=key)
    return forms


def item_forms(view: CasePanel, user: User, bound: dict[str, Any]) -> None:
    """Each action item's and meeting's own form, and whether the user may use it."""
    case = view.case
    assert case is not None
    manager, leader = view.may_manage, view.is_leadership
    for item in case.action_items.all():
        name = f"case_action_done-{item.pk}"
        item.may_complete = (item.done_at is None and (manager or item.owner_id == user.pk)) or name in bound
        item.done_form = bound.get(name) or ActionDoneForm(prefix=name)
        item.late = item.done_at is None and item.target_date < timezone.localdate()
    for meeting in case.meetings.all():
        name = f"case_meeting_outcome-{meeting.pk}"
        allowed = manager if meeting.kind == MeetingKind.CONFERENCE_CALL else (manager or leader)
        meeting.may_record = (view.is_open and allowed) or name in bound
        meeting.outcome_form = bound.get(name) or MeetingOutcomeForm(prefix=name)
