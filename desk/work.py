"""Reads of "My work" beyond the user's own tickets: the load of the teams they lead and what is
waiting for their decision. Each is a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from accounts.models import Role, Team, User
from approvals.models import ApprovalRequest
from cases import permissions as case_permissions
from cases.models import CaseStatus, EscalationCase
from cases.selectors import with_case_clocks
from escalations.models import TierKind, TierStint
from tickets.models import OPEN_STATES, Status, Ticket

LOAD_STATUSES = [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER]


@dataclass
class LoadRow:
    engineer: User | None  # None: the unassigned tickets
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> list[int]:
        return [self.by_status.get(s, 0) for s in LOAD_STATUSES]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def team_load(user: User) -> dict[str, Any] | None:
    """Open tickets per engineer of the teams the user leads, by status, and the unassigned ones.

    None when the user leads no team. Three queries: the teams, their people, the counts.
    """
    team_ids = user.led_team_ids
    if not team_ids:
        return None
    teams = list(Team.objects.filter(pk__in=team_ids).order_by("name"))
    people = {
        u.pk: u
        for u in User.objects.filter(
            Q(teams__in=team_ids)
            | Q(pk__in=Ticket.objects.open().filter(team_id__in=team_ids).values("assignee_id")),
            is_active=True,
            is_staff=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    }
    rows = {pk: LoadRow(engineer=u) for pk, u in people.items()}
    unassigned = LoadRow(engineer=None)
    counts = (
        Ticket.objects.filter(team_id__in=team_ids, status__in=OPEN_STATES)
        .values("assignee_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in counts:
        target = unassigned if row["assignee_id"] is None else rows.get(row["assignee_id"])
        if target is not None:
            target.by_status[row["status"]] = row["n"]
    return {
        "teams": teams,
        "statuses": [Status(s).label for s in LOAD_STATUSES],
        "rows": sorted(rows.values(), key=lambda r: -r.total),
        "unassigned": unassigned,
    }


def waiting_for(user: User) -> dict[str, list[Any]]:
    """What waits for this user's decision: approvals they may decide, escalations to acknowledge
    (escalation managers) and tickets at an IT manager's decision point they may decide."""
    approvals = list(
        ApprovalRequest.objects.decidable_by(user)
        .select_related("requested_by")
        .order_by("requested_at", "pk")[:50]
    )
    acknowledgements: list[EscalationCase] = []
    if case_permissions.is_escalation_manager(user):
        acknowledgements = with_case_clocks(
            list(
                EscalationCase.objects.filter(status=CaseStatus.REQUESTED)
                .select_related("ticket", "ticket__organisation")
                .order_by("requested_at", "pk")[:50]
            )
        )
    decisions: list[TierStint] = []
    if user.is_agent:
        stints = TierStint.objects.filter(
            left_at__isnull=True, tier__kind=TierKind.DECISION, ticket__status__in=OPEN_STATES
        )
        if not user.has_role(Role.IT_MANAGER):  # escalations.permissions.can_decide_at, in one query
            stints = stints.filter(
                tier__team__in=Team.objects.filter(
                    Q(members=user) | Q(leaders=user) | Q(manager=user)
                ).values("pk")
            )
        decisions = list(
            stints.select_related("ticket", "ticket__organisation", "tier").order_by("entered_at", "pk")[:50]
        )
    return {"approvals": approvals, "acknowledgements": acknowledgements, "decisions": decisions}
