"""Helpers shared by the API tests: a logged-in client per persona, and moving a ticket on."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from tickets.models import Ticket
from tickets.services.lifecycle import (
    ticket_await_customer,
    ticket_confirm_resolution,
    ticket_resolve,
    ticket_start,
    ticket_triage,
)

# Every persona of the root conftest, plus None for an anonymous caller.
PERSONAS = [
    "customer",
    "other_customer",
    "engineer",
    "other_engineer",
    "team_leader",
    "team_manager",
    "admin_user",
]


def api_client(user: User | None = None) -> APIClient:
    """A client logged in with a session (the same auth path as a browser), or anonymous."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def ticket_url(ticket: Ticket, action: str = "") -> str:
    return f"/api/tickets/{ticket.pk}/{action + '/' if action else ''}"


RESOLUTION: dict[str, Any] = {
    "resolution_summary": "Raised the export timeout to 2 hours.",
    "root_cause": "The export query scans the full history table.",
    "fix_kind": "workaround",
}


def advance(ticket: Ticket, status: str, *, engineer: User) -> Ticket:
    """Move a new ticket to `status` through the services, as Tier 1's engineer would."""
    if status == "new":
        return ticket
    ticket_triage(ticket=ticket, actor=engineer)
    if status == "open":
        return ticket
    ticket_start(ticket=ticket, actor=engineer)
    if status == "in_progress":
        return ticket
    if status == "waiting_on_customer":
        ticket_await_customer(ticket=ticket, actor=engineer, reason="The export log.")
        return ticket
    ticket_resolve(ticket=ticket, actor=engineer, **RESOLUTION)
    if status == "resolved":
        return ticket
    if status == "closed":
        ticket_confirm_resolution(
            ticket=ticket, actor=engineer, note="Confirmed on the phone.", channel="phone"
        )
        return ticket
    raise ValueError(f"advance() does not know how to reach {status!r}")
