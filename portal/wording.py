"""The ticket's state, tier and clocks in the plain words a customer reads (no jargon)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from escalations.models import Tier, TierKind
from tickets import sla
from tickets.models import Status, Ticket

STATUS_WORDS = {
    Status.NEW: "Received",
    Status.OPEN: "With our support team",
    Status.IN_PROGRESS: "We are working on it",
    Status.WAITING_ON_CUSTOMER: "Waiting for your reply",
    Status.RESOLVED: "Solved – please check",
    Status.CLOSED: "Closed",
    Status.CANCELLED: "Cancelled",
}

# What happens next, one sentence per state.
NEXT_STEP = {
    Status.NEW: "We have received your request and will review it shortly.",
    Status.OPEN: "Your request has been reviewed and is waiting for the next available specialist.",
    Status.IN_PROGRESS: "A specialist is working on your request.",
    Status.WAITING_ON_CUSTOMER: "We need something from you before we can carry on. Please reply below.",
    Status.RESOLVED: "We believe the problem is solved. Please tell us whether it is fixed for you.",
    Status.CLOSED: "This request is finished. If the problem comes back, please open a new request.",
    Status.CANCELLED: "This request was cancelled. If you still need help, please open a new request.",
}

# Timeline events a customer may see, in their words; the reason is shown only where it is
# meant for them (what we need from them, how it was solved, why it was reopened).
EVENT_WORDS = {
    "created": "Request received",
    "triage": "Request reviewed by our support team",
    "start": "A specialist started working on it",
    "await_customer": "We asked you for something",
    "customer_replied": "You replied",
    "resolve": "We solved the problem",
    "confirm_resolution": "You confirmed it is fixed",
    "reopen": "Reopened: not fixed yet",
    "cancel": "Request cancelled",
    "close_unconfirmed": "Closed automatically after we heard nothing back",
    "comment": "Message added",
    "step": "We documented a check",
    "step_done": "We completed a check",
    "attachment": "File added",
    "tier_entered": "Passed to a support team",
    "escalated": "Passed to more specialised support",
    "returned": "Passed back to our support team",
    "intake_corrected": "What you told us was corrected",
}

# The escalation case, in the customer's words (the request page's history and its escalation panel).
CASE_EVENT_WORDS = {
    "case_requested": "You asked to escalate",
    "case_request_added": "You asked for more",
    "case_participant": "Someone joined your escalation",
    "case_acknowledged": "Your escalation manager took the case",
    "case_active": "Action plan and communication plan agreed",
    "case_update": "Update given",
    "case_meeting": "Conference call scheduled",
    "case_meeting_outcome": "Conference call held",
    "case_action_done": "Action plan step done",
    "case_leadership_review": "Our support leadership reviews your case",
    "case_leadership_done": "Support leadership review finished",
    "case_de_escalation_proposed": "We proposed to close the escalation",
    "case_de_escalated": "Escalation closed with your agreement",
    "case_kept_escalated": "You kept the escalation open",
    "case_closed": "Escalation closed with your request",
}
EVENT_WORDS.update(CASE_EVENT_WORDS)
EVENT_WORDS.update({"cc_added": "A colleague was copied in", "cc_removed": "A colleague is no longer copied in"})
EVENT_REASON_SHOWN = {"await_customer", "resolve", "reopen", "confirm_resolution", "close_unconfirmed",
                      "intake_corrected"}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def event_words(kind: str) -> str:
    return EVENT_WORDS.get(kind, "Update")


def tier_words(tier: Tier | None, ticket: Ticket) -> str:
    """Where the request is, e.g. "With our Tier 2 specialists"; never hand-off details."""
    if ticket.status in (Status.CLOSED, Status.CANCELLED):
        return "Finished"
    if tier is None:
        return "With our support team" if ticket.team_id else "Waiting to be reviewed by our support team"
    if tier.kind == TierKind.VENDOR:
        vendor = tier.vendor_name.strip()
        who = f"{vendor} support" if vendor and vendor.lower() not in ("vendor", "vendor support") else (
            "the product vendor's support team")
        return f"With {who}, working with our specialists"
    if tier.kind == TierKind.ONSITE:
        return "With our onsite engineers, who can visit your site"
    if tier.kind == TierKind.DECISION:
        return "Under review by our IT management"
    if tier.level == 1:
        return f"With our support team ({tier.name})"
    return f"With our {tier.name} specialists"


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{timezone.localtime(value):%a %-d %b %Y, %H:%M}"


def customer_clocks(ticket: Ticket, now: datetime | None = None) -> list[dict[str, Any]]:
    """First response and target resolution (never a tier's time frame), from the prefetched clocks."""
    badges = {b["kind"]: b for b in sla.clock_badges(ticket, now)}
    rows = []
    first = badges.get(sla.FIRST_RESPONSE)
    if ticket.first_response_at is not None:
        late = first is not None and first["breached_at"] is not None
        rows.append(_row("first_response", "First reply from us", "met" if not late else "late",
                         f"Answered {_when(ticket.first_response_at)}" + (", later than our target" if late else "")))
    elif first is not None:
        rows.append(_clock_row("first_response", "First reply from us", first, ticket, verb="Expected by"))
    else:
        rows.append(_row("first_response", "First reply from us", "pending",
                         "Our target starts once we have reviewed your request" if ticket.triaged_at is None
                         else "We will reply as soon as we can"))
    resolution = badges.get(sla.RESOLUTION)
    if resolution is None:
        rows.append(_row("resolution", "Target resolution", "pending",
                         "Set once we have reviewed your request" if ticket.triaged_at is None
                         else "No target date for this request"))
    elif ticket.status == Status.CLOSED:
        met = resolution["breached_at"] is None
        rows.append(_row("resolution", "Target resolution", "met" if met else "late",
                         "Solved within our target" if met else "Solved, later than our target"))
    elif ticket.status == Status.CANCELLED:
        rows.append(_row("resolution", "Target resolution", "pending", "Not applicable: cancelled"))
    else:
        rows.append(_clock_row("resolution", "Target resolution", resolution, ticket, verb="Target:"))
    return rows


def _row(kind: str, label: str, state: str, text: str) -> dict[str, Any]:
    return {"kind": kind, "label": label, "state": state, "text": text}


def _clock_row(kind: str, label: str, badge: dict[str, Any], ticket: Ticket, *, verb: str) -> dict[str, Any]:
    if badge["paused"]:
        if ticket.status == Status.RESOLVED:
            return _row(kind, label, "paused", "Paused while you check our solution")
        return _row(kind, label, "paused", "Paused while we wait for your reply")
    if badge["state"] == "met":
        return _row(kind, label, "met", "Met")
    if badge["state"] == "breached":
        return _row(kind, label, "late", f"Was due {_when(badge['due_at'])}: we are running late")
    return _row(kind, label, "running", f"{verb} {_when(badge['due_at'])}")
