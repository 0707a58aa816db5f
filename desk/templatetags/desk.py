from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince

from cases.models import CaseStatus, MeetingKind, ParticipantRole
from escalation_desk import formatting
from tickets.models import Status

register = template.Library()

EVENT_LABELS = {
    "created": "Ticket created",
    "intake_updated": "Intake updated",
    "intake_corrected": "Customer corrected the intake",
    "triage": "Triaged",
    "start": "Work started",
    "await_customer": "Waiting on customer",
    "customer_replied": "Customer replied",
    "resolve": "Resolved",
    "confirm_resolution": "Resolution confirmed",
    "reopen": "Reopened",
    "cancel": "Cancelled",
    "comment": "Comment",
    "step": "Troubleshooting step",
    "attachment": "File attached",
    "sla_warning": "SLA warning",
    "sla_breach": "SLA breached",
    "close_unconfirmed": "Closed automatically",
    "tier_entered": "Placed in a tier",
    "handoff_requested": "Hand-off requested",
    "handoff_withdrawn": "Hand-off withdrawn",
    "escalated": "Escalated",
    "returned": "Returned to a lower tier",
    "approval_requested": "Approval requested",
    "approval_granted": "Approved",
    "approval_changes_requested": "Changes requested",
    "approval_reminder": "Approval reminder",
    "approval_overdue": "Approval overdue",
    "tier_warning": "Tier time frame warning",
    "tier_breach": "Tier time frame passed",
    "auto_escalation_skipped": "Not escalated automatically",
    "consult_requested": "Team consulted",
    "consult_answered": "Consult answered",
    "consult_withdrawn": "Consult withdrawn",
    "consult_warning": "Consult reply due soon",
    "consult_breach": "Consult reply overdue",
    "vendor_engaged": "Vendor case opened",
    "vendor_update": "Vendor update",
    "it_manager_decision": "IT manager's decision",
    "step_done": "Suggested step done",
    "step_shared": "Step shared with the customer",
    "step_made_internal": "Step made internal",
    "redacted": "Redacted (personal data)",
    "case_requested": "Escalation requested",
    "case_request_added": "Escalation request added",
    "case_participant": "Engaged in the escalation",
    "case_acknowledged": "Escalation acknowledged",
    "case_active": "Escalation plans agreed",
    "case_update": "Escalation update given",
    "case_meeting": "Escalation meeting scheduled",
    "case_meeting_outcome": "Escalation meeting recorded",
    "case_action_done": "Action plan step done",
    "case_leadership_review": "Leadership review started",
    "case_brief": "Case brief edited",
    "case_leadership_done": "Leadership review done",
    "case_de_escalation_proposed": "De-escalation proposed",
    "case_de_escalated": "De-escalated",
    "case_kept_escalated": "Customer keeps the escalation",
    "case_closed": "Escalation closed",
    "case_ack_warning": "Escalation acknowledgement due soon",
    "case_ack_breach": "Escalation acknowledgement overdue",
    "case_update_due": "Escalation update due soon",
    "case_update_missed": "Escalation update missed",
}
# Ticket statuses first; the escalation case's states, participant roles and meeting kinds
# label the source and target of the case_* events.
STATUS_LABELS = {**dict(MeetingKind.choices), **dict(ParticipantRole.choices), **dict(CaseStatus.choices),
                 **dict(Status.choices)}


@register.filter
def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " ").capitalize())


@register.filter
def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


@register.filter
def isotime(value: str | None) -> datetime | None:
    """An ISO 8601 instant stored in JSON (an activity record) as a datetime, for |date."""
    return parse_datetime(value) if value else None


register.filter("filesize", formatting.filesize)


@register.filter
def ago(value: datetime | None) -> str:
    """'3 hours ago': the largest unit only, for dense lists."""
    if value is None:
        return ""
    return f"{timesince(value, depth=1)} ago"


def business_duration(seconds: int) -> str:
    """'2h 05m' / '3d 4h' of business time, for badges."""
    seconds = abs(int(seconds))
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


@register.inclusion_tag("desk/_sla_badges.html")
def sla_badges(ticket: object) -> dict[str, object]:
    return {"badges": _badges(ticket)}


@register.inclusion_tag("desk/_sla_badges.html")
def tier_time_frame(ticket: object) -> dict[str, object]:
    """The current tier's time frame alone (the latest tier clock), for the Tier section."""
    return {"badges": [b for b in _badges(ticket) if b["kind"] == "escalations.tier"]}


def _badges(ticket: object) -> list[dict[str, object]]:
    from tickets.sla import clock_badges

    badges = clock_badges(ticket)
    for badge in badges:
        left = business_duration(badge["remaining"])
        badge["text"] = {
            "met": "met",
            "breached": f"breached {left} ago" if badge["remaining"] < 0 else "breached",
            "paused": f"paused, {left} left",
        }.get(badge["state"], f"{left} left")
    return badges


@register.filter
def lines(text: str) -> list[str]:
    """Non-empty lines of a text (steps asked for, one per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


CHANNEL_LABELS = {"portal": "the portal", "api": "the API", "phone": "phone", "email": "e-mail", "console": "the console"}


@register.filter
def channel_label(value: str) -> str:
    return CHANNEL_LABELS.get(value, value or "—")


@register.filter
def business_minutes(minutes: int | None) -> str:
    """'2 business hours' / '30 business minutes', as the communication plan says it."""
    if not minutes:
        return "—"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    return f"{minutes} business minutes"
