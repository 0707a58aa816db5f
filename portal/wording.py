"""The ticket's state, tier and clocks in the plain words a customer reads (no jargon)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from escalations.models import Tier, TierKind
from tickets import sla
from tickets.models import Status, Ticket

STATUS_WORDS = {
    Status.NEW: _("Received"),
    Status.OPEN: _("With our support team"),
    Status.IN_PROGRESS: _("We are working on it"),
    Status.WAITING_ON_CUSTOMER: _("Waiting for your reply"),
    Status.RESOLVED: _("Solved – please check"),
    Status.CLOSED: _("Closed"),
    Status.CANCELLED: _("Cancelled"),
}

# What happens next, one sentence per state.
NEXT_STEP = {
    Status.NEW: _("We have received your request and will review it shortly."),
    Status.OPEN: _("Your request has been reviewed and is waiting for the next available specialist."),
    Status.IN_PROGRESS: _("A specialist is working on your request."),
    Status.WAITING_ON_CUSTOMER: _("We need something from you before we can carry on. Please reply below."),
    Status.RESOLVED: _("We believe the problem is solved. Please tell us whether it is fixed for you."),
    Status.CLOSED: _("This request is finished. If the problem comes back, please open a new request."),
    Status.CANCELLED: _("This request was cancelled. If you still need help, please open a new request."),
}

# Timeline events a customer may see, in their words; the reason is shown only where it is
# meant for them (what we need from them, how it was solved, why it was reopened).
EVENT_WORDS = {
    "created": _("Request received"),
    "triage": _("Request reviewed by our support team"),
    "start": _("A specialist started working on it"),
    "await_customer": _("We asked you for something"),
    "customer_replied": _("You replied"),
    "resolve": _("We solved the problem"),
    "confirm_resolution": _("You confirmed it is fixed"),
    "reopen": _("Reopened: not fixed yet"),
    "cancel": _("Request cancelled"),
    "close_unconfirmed": _("Closed automatically after we heard nothing back"),
    "comment": _("Message added"),
    "step": _("We documented a check"),
    "step_done": _("We completed a check"),
    "attachment": _("File added"),
    "tier_entered": _("Passed to a support team"),
    "escalated": _("Passed to more specialised support"),
    "returned": _("Passed back to our support team"),
    "intake_corrected": _("What you told us was corrected"),
}

# The escalation case, in the customer's words (the request page's history and its escalation panel).
CASE_EVENT_WORDS = {
    "case_requested": _("You asked to escalate"),
    "case_request_added": _("You asked for more"),
    "case_participant": _("Someone joined your escalation"),
    "case_acknowledged": _("Your escalation manager took the case"),
    "case_active": _("Action plan and communication plan agreed"),
    "case_update": _("Update given"),
    "case_meeting": _("Conference call scheduled"),
    "case_meeting_outcome": _("Conference call held"),
    "case_action_done": _("Action plan step done"),
    "case_leadership_review": _("Our support leadership reviews your case"),
    "case_leadership_done": _("Support leadership review finished"),
    "case_de_escalation_proposed": _("We proposed to close the escalation"),
    "case_de_escalated": _("Escalation closed with your agreement"),
    "case_kept_escalated": _("You kept the escalation open"),
    "case_closed": _("Escalation closed with your request"),
}
EVENT_WORDS.update(CASE_EVENT_WORDS)
EVENT_WORDS.update(
    {"cc_added": _("A colleague was copied in"), "cc_removed": _("A colleague is no longer copied in")}
)
EVENT_REASON_SHOWN = {
    "await_customer",
    "resolve",
    "reopen",
    "confirm_resolution",
    "close_unconfirmed",
    "intake_corrected",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def event_words(kind: str) -> str:
    return EVENT_WORDS.get(kind) or gettext("Update")


def tier_words(tier: Tier | None, ticket: Ticket) -> str:
    """Where the request is, e.g. "With our Tier 2 specialists"; never hand-off details."""
    if ticket.status in (Status.CLOSED, Status.CANCELLED):
        return gettext("Finished")
    if tier is None:
        return (
            gettext("With our support team")
            if ticket.team_id
            else gettext("Waiting to be reviewed by our support team")
        )
    if tier.kind == TierKind.VENDOR:
        vendor = tier.vendor_name.strip()
        who = (
            gettext("%(vendor)s support") % {"vendor": vendor}
            if vendor and vendor.lower() not in ("vendor", "vendor support")
            else gettext("the product vendor's support team")
        )
        return gettext("With %(who)s, working with our specialists") % {"who": who}
    if tier.kind == TierKind.ONSITE:
        return gettext("With our onsite engineers, who can visit your site")
    if tier.kind == TierKind.DECISION:
        return gettext("Under review by our IT management")
    if tier.level == 1:
        return gettext("With our support team (%(tier)s)") % {"tier": tier.name}
    return gettext("With our %(tier)s specialists") % {"tier": tier.name}


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{timezone.localtime(value):%a %-d %b %Y, %H:%M}"


def customer_clocks(ticket: Ticket, now: datetime | None = None) -> list[dict[str, Any]]:
    """First response and target resolution (never a tier's time frame), from the prefetched clocks."""
    badges = {b["kind"]: b for b in sla.clock_badges(ticket, now)}
    return [
        _first_response_row(ticket, badges.get(sla.FIRST_RESPONSE)),
        _resolution_row(ticket, badges.get(sla.RESOLUTION)),
    ]


def _first_response_row(ticket: Ticket, first: dict[str, Any] | None) -> dict[str, Any]:
    """Answered (in time or late), expected by when, or not timed yet."""
    label = gettext("First reply from us")
    if ticket.first_response_at is not None:
        late = first is not None and first["breached_at"] is not None
        return _row(
            "first_response",
            label,
            "met" if not late else "late",
            (gettext("Answered %(when)s, later than our target") if late else gettext("Answered %(when)s"))
            % {"when": _when(ticket.first_response_at)},
        )
    if first is not None:
        return _clock_row("first_response", label, first, ticket, verb=gettext("Expected by"))
    return _row(
        "first_response",
        label,
        "pending",
        gettext("Our target starts once we have reviewed your request")
        if ticket.triaged_at is None
        else gettext("We will reply as soon as we can"),
    )


def _resolution_row(ticket: Ticket, resolution: dict[str, Any] | None) -> dict[str, Any]:
    """Not set yet, solved (in time or late), not applicable, or the target and how it stands."""
    label = gettext("Target resolution")
    if resolution is None:
        return _row(
            "resolution",
            label,
            "pending",
            gettext("Set once we have reviewed your request")
            if ticket.triaged_at is None
            else gettext("No target date for this request"),
        )
    if ticket.status == Status.CLOSED:
        met = resolution["breached_at"] is None
        return _row(
            "resolution",
            label,
            "met" if met else "late",
            gettext("Solved within our target") if met else gettext("Solved, later than our target"),
        )
    if ticket.status == Status.CANCELLED:
        return _row("resolution", label, "pending", gettext("Not applicable: cancelled"))
    return _clock_row("resolution", label, resolution, ticket, verb=gettext("Target:"))


def _row(kind: str, label: str, state: str, text: str) -> dict[str, Any]:
    return {"kind": kind, "label": label, "state": state, "text": text}


def _clock_row(kind: str, label: str, badge: dict[str, Any], ticket: Ticket, *, verb: str) -> dict[str, Any]:
    if badge["paused"]:
        if ticket.status == Status.RESOLVED:
            return _row(kind, label, "paused", gettext("Paused while you check our solution"))
        return _row(kind, label, "paused", gettext("Paused while we wait for your reply"))
    if badge["state"] == "met":
        return _row(kind, label, "met", gettext("Met"))
    if badge["state"] == "breached":
        return _row(
            kind,
            label,
            "late",
            gettext("Was due %(when)s: we are running late") % {"when": _when(badge["due_at"])},
        )
    return _row(
        kind, label, "running", gettext("%(verb)s %(when)s") % {"verb": verb, "when": _when(badge["due_at"])}
    )
