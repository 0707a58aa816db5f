"""The request page's "Escalation" panel (issue 5, Build point 2; seed 002).

`escalation_panel(request, ticket, bound)` returns the context the panel's template
(`portal/_escalation_panel.html`) needs: the ticket's latest escalation case in plain words,
the escalation manager's contact, who was engaged, the action plan, the communication plan
(next update due), the conference calls, every update given, and the forms the customer may
use (request an escalation with seed 002's review, ask for a higher level, agree or not to
de-escalate). A refused form comes back in `bound` under its name so what was typed is kept.

Only what is meant for the customer is read: never the leadership brief, the internal review,
internal meetings nor staff-only notes (conference calls are read without their notes).

A fixed number of queries whatever the number of updates: the latest case (1); when there is
one, its requests, participants, action plan, conference calls and updates (5) and its update
clock (1). The case's timeline comes from the ticket's public events, already loaded.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases.models import (
    LEVEL_ORDER,
    ActionItem,
    CaseLevel,
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
    MeetingKind,
)
from cases.selectors import with_case_clocks
from cases.services import core as case_core
from tickets import permissions as ticket_permissions
from tickets.models import Ticket

from .forms import EscalationAgreeForm, EscalationKeepForm, EscalationRequestForm
from .wording import CASE_EVENT_WORDS as EVENT_WORDS

# What the case's state means for the customer.
STATE_WORDS = {
    CaseStatus.REQUESTED: _("We received your escalation"),
    CaseStatus.ACKNOWLEDGED: _("%(manager)s is handling your escalation"),
    CaseStatus.ACTIVE: _("Escalation active"),
    CaseStatus.LEADERSHIP_REVIEW: _("Leadership is reviewing"),
    CaseStatus.DE_ESCALATION_PROPOSED: _("We propose to close the escalation"),
    CaseStatus.DE_ESCALATED: _("Escalation closed: your request is back to normal handling"),
    CaseStatus.CLOSED: _("Escalation closed with your request"),
}

STATE_NEXT = {
    CaseStatus.REQUESTED: _("An escalation manager will contact you shortly and be your point of contact."),
    CaseStatus.ACKNOWLEDGED: _("Together we are agreeing an action plan and how often we update you."),
    CaseStatus.ACTIVE: _("We follow the action plan below and update you as agreed."),
    CaseStatus.LEADERSHIP_REVIEW: _(
        "Our support leadership is reviewing your case; we keep updating you as agreed."
    ),
    CaseStatus.DE_ESCALATION_PROPOSED: _(
        "The action plan is agreed and the root cause analysis is on track. Please tell us below whether "
        "we may close the escalation."
    ),
    CaseStatus.DE_ESCALATED: _("Thank you. Your request carries on with our support team."),
    CaseStatus.CLOSED: "",
}

# The customer's words for who is engaged.
ROLE_WORDS = {
    "next_tier": _("Next support level"),
    "sme": _("Subject matter expert"),
    "team_leader": _("Team leader"),
    "team_manager": _("Team manager"),
    "leadership": _("Support leadership"),
    "escalation_manager": _("Escalation manager"),
}

MODE_WORDS = {"email": _("by e-mail"), "phone": _("by phone"), "conference": _("in a conference call")}

# The case's timeline in the customer's words.
# Events whose reason is written for the customer (the others' reasons name staff steps).
EVENT_REASON_SHOWN = {
    "case_requested",
    "case_request_added",
    "case_participant",
    "case_acknowledged",
    "case_active",
    "case_update",
    "case_meeting",
    "case_meeting_outcome",
    "case_action_done",
    "case_de_escalation_proposed",
    "case_de_escalated",
    "case_kept_escalated",
}


def every_words(minutes: int | None) -> str:
    if not minutes:
        return ""
    if minutes % 60:
        return gettext("%(count)s working minutes") % {"count": minutes}
    hours = minutes // 60
    if hours == 1:
        return gettext("working hour")
    return ngettext("%(count)s working hour", "%(count)s working hours", hours) % {"count": hours}


def state_words(case: EscalationCase) -> str:
    manager = (
        str(case.escalation_manager) if case.escalation_manager_id else gettext("Your escalation manager")
    )
    return str(STATE_WORDS.get(case.status, case.get_status_display())) % {"manager": manager}


def latest_case(ticket: Ticket) -> EscalationCase | None:
    """The ticket's latest case with its public parts (6 queries with a case, 1 without)."""
    case = (
        EscalationCase.objects.filter(ticket=ticket)
        .select_related("escalation_manager")
        .prefetch_related(
            Prefetch("requests", queryset=CaseRequest.objects.order_by("requested_at", "pk")),
            Prefetch("participants", queryset=CaseParticipant.objects.select_related("user")),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
            Prefetch(
                "meetings",
                to_attr="calls",
                queryset=CaseMeeting.objects.filter(kind=MeetingKind.CONFERENCE_CALL).only(
                    "pk", "case_id", "kind", "scheduled_for", "attendees", "outcome"
                ),
            ),
            Prefetch("updates", queryset=CaseUpdate.objects.select_related("logged_by")),
        )
        .order_by("-requested_at", "-pk")
        .first()
    )
    if case is not None:
        case.ticket = ticket
    return case


def next_update_due(case: EscalationCase) -> Any:
    if not case.is_open or not case.update_every_minutes:
        return None
    return with_case_clocks([case])[0].next_update_due


def request_initial(ticket: Ticket, case: EscalationCase | None) -> dict[str, Any]:
    """The review prefilled: from the last request on an open case, else from the ticket."""
    # A request that came in by e-mail answered no review question: it prefills nothing.
    requests = (
        [r for r in case.requests.all() if not r.review_to_complete]
        if case is not None and case.is_open
        else []
    )
    if requests:
        last = requests[-1]
        higher = [
            level for level in CaseLevel.values if LEVEL_ORDER.index(level) > LEVEL_ORDER.index(case.level)
        ]
        return {
            "level": higher[0] if higher else case.level,
            "problem_statement_correct": "yes" if last.problem_statement_correct else "no",
            "corrected_problem_statement": last.corrected_problem_statement,
            "business_impact": last.business_impact,
            "workaround_impractical_because": last.workaround_impractical_because,
            "critical_milestone": last.critical_milestone,
        }
    return {"business_impact": ticket.business_impact, "critical_milestone": ticket.critical_milestone}


def escalation_panel(request: HttpRequest, ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    case = latest_case(ticket)
    is_customer = ticket_permissions.is_customer_of(ticket, request.user)
    escalatable = ticket.status in case_core.ESCALATABLE
    open_case = case if case is not None and case.is_open else None
    may_request = is_customer and escalatable
    context: dict[str, Any] = {
        "escalation": True,
        "case": case,
        "case_open": open_case is not None,
        "may_request_escalation": may_request,
        "escalation_form": bound.get("escalation")
        or (
            EscalationRequestForm(
                prefix="escalation", ticket=ticket, initial=request_initial(ticket, open_case)
            )
            if may_request
            else None
        ),
        "escalation_open_form": next((name for name in bound if name.startswith("escalation")), None),
    }
    if case is None:
        return context
    proposed = case.status == CaseStatus.DE_ESCALATION_PROPOSED
    context.update(
        {
            "case_state_words": state_words(case),
            "case_next": str(STATE_NEXT.get(case.status, "")),
            "case_participants": [
                {"user": p.user, "role": str(ROLE_WORDS.get(p.role, p.get_role_display()))}
                for p in case.participants.all()
                if p.role != "escalation_manager"
            ],
            "case_mode": str(MODE_WORDS.get(case.communication_mode, "")),
            "case_every": every_words(case.update_every_minutes),
            "case_next_update": next_update_due(case),
            "case_events": [
                {
                    "at": e.at,
                    "kind": e.kind,
                    "words": EVENT_WORDS[e.kind] if e.kind in EVENT_WORDS else gettext("Escalation update"),
                    "reason": e.reason if e.kind in EVENT_REASON_SHOWN else "",
                }
                for e in ticket.events.all()
                if e.is_public and e.kind.startswith("case_")
            ],
            "may_answer_de_escalation": proposed and is_customer,
            "agree_form": bound.get("escalation_agree") or EscalationAgreeForm(prefix="escalation_agree"),
            "keep_form": bound.get("escalation_keep") or EscalationKeepForm(prefix="escalation_keep"),
        }
    )
    return context
