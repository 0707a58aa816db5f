"""What each transition of SPEC §2 requires, as lists of what is missing.

Each `*_missing` function names every gap in words a support engineer understands; the
matching condition (named like a sentence) is what django-fsm checks before a transition.
Guards look only at the ticket's fields: services put the user's input on the ticket first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

if TYPE_CHECKING:
    from .models import Ticket

# Fields triage requires. Replication steps, error messages and recent changes accept an
# explicit "none"/"n/a"; an empty value is missing.
INTAKE_FIELDS: list[tuple[str, str]] = [
    ("summary", gettext_lazy("summary")),
    ("description", gettext_lazy("description")),
    ("symptoms", gettext_lazy("symptoms")),
    ("replication_steps", gettext_lazy('replication steps (or "none")')),
    ("error_messages", gettext_lazy('error messages (or "none")')),
    ("recent_changes", gettext_lazy('recent changes to the system (or "none")')),
    ("business_impact", gettext_lazy("business impact")),
]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def intake_missing(ticket: Ticket) -> list[str]:
    missing = [str(label) for field, label in INTAKE_FIELDS if _blank(getattr(ticket, field))]
    if not ticket.priority:
        missing.append(gettext("priority"))
    if ticket.category_id is None:
        missing.append(gettext("category"))
    if ticket.service_id is None:
        missing.append(gettext("affected service"))
    return missing


def intake_is_documented(ticket: Ticket) -> bool:
    return not intake_missing(ticket)


def wait_missing(ticket: Ticket) -> list[str]:
    return [gettext("what the customer needs to provide")] if _blank(ticket.waiting_reason) else []


def wait_is_explained(ticket: Ticket) -> bool:
    return not wait_missing(ticket)


def ticket_needs_knowledge_update(ticket: Ticket) -> bool:
    """True when a team that must update the knowledge base (Engineering) worked the ticket."""
    if ticket.team is not None and ticket.team.requires_knowledge_update:
        return True
    # A step is filed under the ticket's team only when its engineer belongs to it, so an
    # Engineering member helping on a Tier 1 ticket is recognised by their own teams.
    return ticket.steps.filter(
        Q(team__requires_knowledge_update=True)
        | Q(engineer__teams__requires_knowledge_update=True)
        | Q(engineer__led_teams__requires_knowledge_update=True)
    ).exists()


def resolution_missing(ticket: Ticket) -> list[str]:
    missing = []
    if _blank(ticket.resolution_summary):
        missing.append(gettext("resolution details (what fixed it)"))
    if _blank(ticket.root_cause):
        missing.append(gettext("root cause"))
    if not ticket.fix_kind:
        missing.append(gettext("whether it is a workaround or a permanent fix"))
    if (
        ticket_needs_knowledge_update(ticket)
        and _blank(ticket.knowledge_article)
        and _blank(ticket.knowledge_none_reason)
    ):
        missing.append(gettext("knowledge-base update, or the reason none is needed (Engineering worked it)"))
    return missing


def resolution_is_documented(ticket: Ticket) -> bool:
    return not resolution_missing(ticket)


def reopen_missing(ticket: Ticket) -> list[str]:
    return [gettext("the reason the resolution is not satisfactory")] if _blank(ticket.reopen_reason) else []


def reopen_is_explained(ticket: Ticket) -> bool:
    return not reopen_missing(ticket)


def cancellation_missing(ticket: Ticket) -> list[str]:
    missing = []
    if not ticket.cancel_reason:
        missing.append(gettext("cancellation reason (duplicate, spam or withdrawn)"))
    elif ticket.cancel_reason == "duplicate" and ticket.duplicate_of_id is None:
        missing.append(gettext("the ticket this one duplicates"))
    elif ticket.duplicate_of_id is not None and ticket.duplicate_of_id == ticket.pk:
        missing.append(gettext("a different ticket to duplicate (not itself)"))
    elif ticket.duplicate_of is not None and ticket.duplicate_of.organisation_id != ticket.organisation_id:
        missing.append(gettext("a duplicate ticket of the same organisation"))
    return missing


def cancellation_is_explained(ticket: Ticket) -> bool:
    return not cancellation_missing(ticket)


MISSING_FOR = {
    "triage": intake_missing,
    "await_customer": wait_missing,
    "resolve": resolution_missing,
    "reopen": reopen_missing,
    "cancel": cancellation_missing,
}
