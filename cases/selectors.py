"""Reads of customer escalation cases for the API, the console and the portal.

`case_panel_view(ticket, user)` is the read model of the console's case panel: everything the
panel shows of the ticket's latest case, in a fixed number of queries (desk.case_panel turns it
into the template's context: forms and words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clocks.models import Clock, ClockState
from escalation_desk.folding import Fold, set_prefetched
from tickets import permissions as ticket_permissions
from tickets.models import Ticket
from tickets.read_model import is_known_empty

from . import permissions
from .models import (
    ActionItem,
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
    ParticipantRole,
    clocks_of_cases,
)
from .services.core import ACK_CLOCK, ESCALATABLE, UPDATE_CLOCK
from .services.review import brief_missing


def with_case_clocks(items: list[EscalationCase]) -> list[EscalationCase]:
    """Attach acknowledge_due and next_update_due from the cases' running clocks (one query)."""
    due: dict[tuple[int, str], Any] = {}
    if items:
        clocks = (
            clocks_of_cases([c.pk for c in items])
            .filter(kind__in=[ACK_CLOCK, UPDATE_CLOCK])
            .exclude(state=ClockState.STOPPED)
            .order_by("pk")
        )
        for clock in clocks:
            due[(clock.object_id, clock.kind)] = clock.due_at
    for case in items:
        case.acknowledge_due = due.get((case.pk, ACK_CLOCK))
        case.next_update_due = due.get((case.pk, UPDATE_CLOCK))
    return items


# --- the console's case panel ----------------------------------------------------------------------

# Who prepares the brief: the case's field and the panel's label.
BRIEF_PREPARERS = (
    ("engineer", _("Engineer")),
    ("team_leader", _("Team leader")),
    ("team_manager", _("Team manager")),
)


@dataclass(frozen=True)
class CaseClockView:
    """A case clock as the panel shows it."""

    due_at: datetime | None
    running: bool
    breached: bool
    breached_at: datetime | None


@dataclass(frozen=True)
class CasePanel:
    """What the console's case panel shows of a ticket's latest case, and what the user may do.

    `case` carries its requests, participants, action items, meetings and updates (prefetched)
    and the ticket; the permission fields are asked once, of cases.permissions."""

    case: EscalationCase | None
    may_request: bool
    may_manage: bool = False
    is_leadership: bool = False
    may_engage: bool = False
    may_answer: bool = False
    is_internal: bool = False
    brief_role: str | None = None
    ack_clock: CaseClockView | None = None
    update_clock: CaseClockView | None = None
    staff: list[User] = field(default_factory=list)
    leadership_missing: list[str] = field(default_factory=list)
    brief_ready: list[tuple[str, User | None]] = field(default_factory=list)
    brief_missing: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.case is not None and self.case.is_open


def case_panel_view(ticket: Ticket, user: User, *, staff: bool = False) -> CasePanel:
    """The panel's read model: the latest case with its rows (1 query); with one, its clocks (1)
    and, for someone who may engage people or agree the plan (or `staff`), the staff (1)."""
    case = latest_case(ticket, with_rows=True)
    may_request = ticket.status in ESCALATABLE and permissions.can_request_case(ticket, user)
    if case is None:
        return CasePanel(case=None, may_request=may_request)
    case.ticket = ticket
    clocks = case_clocks(case)
    manager = permissions.can_manage_case(user)
    engage = case.is_open and permissions.can_engage(ticket, user)
    roles = {p.role for p in case.participants.all()}
    wants_staff = staff or engage or (manager and case.status == CaseStatus.ACKNOWLEDGED)
    return CasePanel(
        case=case,
        may_request=may_request,
        may_manage=manager,
        is_leadership=permissions.is_leadership(user),
        may_engage=engage,
        may_answer=case.status == CaseStatus.DE_ESCALATION_PROPOSED
        and permissions.can_answer_de_escalation(ticket, user),
        is_internal=ticket_permissions.can_view_internal(user),
        brief_role=brief_role(ticket, user),
        ack_clock=clock_view(clocks.get(ACK_CLOCK)),
        update_clock=clock_view(clocks.get(UPDATE_CLOCK)),
        staff=staff_choices(ticket) if wants_staff else [],
        leadership_missing=[
            text
            for role, text in (
                (ParticipantRole.TEAM_LEADER, gettext("the team leader engaged first")),
                (ParticipantRole.TEAM_MANAGER, gettext("the team manager engaged first")),
            )
            if role not in roles
        ],
        brief_ready=[(str(label), getattr(case, f"brief_ready_{key}")) for key, label in BRIEF_PREPARERS],
        brief_missing=brief_missing(case),
    )


def latest_case(ticket: Ticket, *, with_rows: bool = False) -> EscalationCase | None:
    """The ticket's open case, else its last one (at most one case is open at a time);
    `with_rows`: with its requests, participants, action items, meetings and updates, read in
    the same query (CASE_ROWS)."""
    if is_known_empty(ticket, "has_case"):  # read with the ticket (tickets.read_model)
        return None
    cases = EscalationCase.objects.filter(ticket=ticket).select_related(
        "escalation_manager",
        "agreed_by",
        "brief_ready_engineer",
        "brief_ready_team_leader",
        "brief_ready_team_manager",
    )
    if with_rows:
        cases = cases.annotate(
            **{f"folded_{name}": fold.on(EscalationCase) for name, fold in CASE_ROWS.items()}
        )
    case = cases.order_by("-requested_at", "-pk").first()
    if case is not None and with_rows:
        for name, fold in CASE_ROWS.items():
            rows = fold.rows(getattr(case, f"folded_{name}"))
            for row in rows:
                row.case = case
            set_prefetched(case, name, rows)
    return case


# A case's rows the panel lists, each with the people it names: folded into the case's query
# (escalation_desk.folding), in their models' order.
CASE_ROWS = {
    "requests": Fold(
        CaseRequest.objects.filter(case_id=OuterRef("pk")), related=("requested_by", "recorded_by")
    ),
    "participants": Fold(CaseParticipant.objects.filter(case_id=OuterRef("pk")), related=("user",)),
    "action_items": Fold(ActionItem.objects.filter(case_id=OuterRef("pk")), related=("owner",)),
    "meetings": Fold(CaseMeeting.objects.filter(case_id=OuterRef("pk")), related=("recorded_by",)),
    "updates": Fold(CaseUpdate.objects.filter(case_id=OuterRef("pk")), related=("logged_by",)),
}


def case_clocks(case: EscalationCase) -> dict[str, Clock]:
    """The latest clock of each kind (acknowledgement, next update) of the case."""
    clocks = clocks_of_cases([case.pk]).order_by("pk")
    return {clock.kind: clock for clock in clocks}


def clock_view(clock: Clock | None) -> CaseClockView | None:
    if clock is None:
        return None
    now = timezone.now()
    running = clock.state != ClockState.STOPPED
    return CaseClockView(
        due_at=clock.due_at,
        running=running,
        breached=clock.breached_at is not None
        or (running and clock.due_at is not None and clock.due_at <= now),
        breached_at=clock.breached_at,
    )


def staff_choices(ticket: Ticket) -> list[User]:
    """Support staff (and the ticket's requester, who may own a step of the plan)."""
    people = list(
        User.objects.filter(is_active=True, is_staff=True).order_by("first_name", "last_name", "username")
    )
    if ticket.requester_id and all(u.pk != ticket.requester_id for u in people):
        people.append(ticket.requester)
    return people


def brief_role(ticket: Ticket, user: User) -> str | None:
    """cases.services.review.brief_role, read from the rows the ticket page already loaded (no query)."""
    if ticket.assignee_id == user.pk:
        return "engineer"
    team = ticket.team
    if team is not None and team.manager_id == user.pk:
        return "team_manager"
    if team is not None and any(leader.pk == user.pk for leader in team.leaders.all()):
        return "team_leader"
    return None
