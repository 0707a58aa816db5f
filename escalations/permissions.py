"""Who may move a ticket between tiers, consult, record vendor work and decide (SPEC §1, §3).

The one place these rules live; functions touch only loaded attributes and the user's
cached team ids, so they can run per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.models import Role
from tickets import permissions as ticket_permissions

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

    from .models import Consult, Handoff, Tier


def can_escalate(ticket: Ticket, user: User) -> bool:
    """Engineers of the ticket's current team (or its assignee), their leaders and managers."""
    return (
        user.is_authenticated
        and user.is_agent
        and ticket.is_open
        and ticket_permissions.can_work_ticket(ticket, user)
    )


can_return = can_escalate
can_consult = can_escalate
can_record_vendor = can_escalate


def ladder_actions(
    *, ticket: Ticket, user: User, here: Tier | None, tiers: list[Tier], active: Handoff | None
) -> dict[str, bool]:
    """What this user may do on the ticket's ladder now: the console's tier panel and the API's
    ladder view both read this, so neither offers what the services would refuse."""
    from tickets.models import Status

    from .models import TierKind

    workable = ticket.status in (Status.OPEN, Status.IN_PROGRESS)
    still = workable and active is None  # nothing is moving the ticket already
    return {
        "escalate": here is not None
        and still
        and any(t.level > here.level for t in tiers)
        and can_escalate(ticket, user),
        "return": here is not None
        and still
        and any(t.level < here.level for t in tiers)
        and can_return(ticket, user),
        "consult": ticket.team_id is not None and can_consult(ticket, user),
        "record_vendor": here is not None
        and here.kind == TierKind.VENDOR
        and can_record_vendor(ticket, user),
        "decide": here is not None
        and here.kind == TierKind.DECISION
        and workable
        and can_decide_at(here, user),
    }


def can_withdraw(handoff: Handoff, user: User) -> bool:
    return (
        user.is_authenticated
        and user.is_agent
        and (handoff.requested_by_id == user.pk or ticket_permissions.can_work_ticket(handoff.ticket, user))
    )


def can_withdraw_consult(consult: Consult, user: User) -> bool:
    """Whoever asked for the consult, or anyone who may consult on its ticket."""
    return user.is_authenticated and (consult.requested_by_id == user.pk or can_consult(consult.ticket, user))


def can_reply_consult(consult: Consult, user: User) -> bool:
    """Members, leaders and the manager of the consulted team."""
    return (
        user.is_authenticated and user.is_active and (user.is_superuser or consult.team_id in user.team_ids)
    )


def can_decide_at(tier: Tier, user: User) -> bool:
    """The IT manager (the decision tier's team, or anyone holding the IT manager role)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_agent
        and (user.is_superuser or tier.team_id in user.team_ids or user.has_role(Role.IT_MANAGER))
    )
