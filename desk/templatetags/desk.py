from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStatus, MeetingKind, ParticipantRole
from desk.badges import with_texts
from escalation_desk import formatting
from tickets.models import Status
from tickets.sla import clock_badges

register = template.Library()

EVENT_LABELS = {
    "created": _("Ticket created"),
    "intake_updated": _("Intake updated"),
    "intake_corrected": _("Customer corrected the intake"),
    "triage": _("Triaged"),
    "start": _("Work started"),
    "await_customer": _("Waiting on customer"),
    "customer_replied": _("Customer replied"),
    "resolve": _("Resolved"),
    "confirm_resolution": _("Resolution confirmed"),
    "reopen": _("Reopened"),
    "cancel": _("Cancelled"),
    "comment": _("Comment"),
    "step": _("Troubleshooting step"),
    "attachment": _("File attached"),
    "sla_warning": _("SLA warning"),
    "sla_breach": _("SLA breached"),
    "close_unconfirmed": _("Closed automatically"),
    "tier_entered": _("Placed in a tier"),
    "handoff_requested": _("Hand-off requested"),
    "handoff_withdrawn": _("Hand-off withdrawn"),
    "escalated": _("Escalated"),
    "returned": _("Returned to a lower tier"),
    "approval_requested": _("Approval requested"),
    "approval_granted": _("Approved"),
    "approval_changes_requested": _("Changes requested"),
    "approval_reminder": _("Approval reminder"),
    "approval_overdue": _("Approval overdue"),
    "tier_warning": _("Tier time frame warning"),
    "tier_breach": _("Tier time frame passed"),
    "auto_escalation_skipped": _("Not escalated automatically"),
    "consult_requested": _("Team consulted"),
    "consult_answered": _("Consult answered"),
    "consult_withdrawn": _("Consult withdrawn"),
    "consult_warning": _("Consult reply due soon"),
    "consult_breach": _("Consult reply overdue"),
    "vendor_engaged": _("Vendor case opened"),
    "vendor_update": _("Vendor update"),
    "it_manager_decision": _("IT manager's decision"),
    "step_done": _("Suggested step done"),
    "step_shared": _("Step shared with the customer"),
    "step_made_internal": _("Step made internal"),
    "redacted": _("Redacted (personal data)"),
    "case_requested": _("Escalation requested"),
    "case_request_added": _("Escalation request added"),
    "case_participant": _("Engaged in the escalation"),
    "case_acknowledged": _("Escalation acknowledged"),
    "case_active": _("Escalation plans agreed"),
    "case_update": _("Escalation update given"),
    "case_meeting": _("Escalation meeting scheduled"),
    "case_meeting_outcome": _("Escalation meeting recorded"),
    "case_action_done": _("Action plan step done"),
    "case_leadership_review": _("Leadership review started"),
    "case_brief": _("Case brief edited"),
    "case_leadership_done": _("Leadership review done"),
    "case_de_escalation_proposed": _("De-escalation proposed"),
    "case_de_escalated": _("De-escalated"),
    "case_kept_escalated": _("Customer keeps the escalation"),
    "case_closed": _("Escalation closed"),
    "case_ack_warning": _("Escalation acknowledgement due soon"),
    "case_ack_breach": _("Escalation acknowledgement overdue"),
    "case_update_due": _("Escalation update due soon"),
    "case_update_missed": _("Escalation update missed"),
}
# Ticket statuses first; the escalation case's states, participant roles and meeting kinds
# label the source and target of the case_* events.
STATUS_LABELS = {
    **dict(MeetingKind.choices),
    **dict(ParticipantRole.choices),
    **dict(CaseStatus.choices),
    **dict(Status.choices),
}


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
    return gettext("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.inclusion_tag("desk/_sla_badges.html")
def sla_badges(ticket: object) -> dict[str, object]:
    return {"badges": _badges(ticket)}


@register.inclusion_tag("desk/_sla_badges.html")
def tier_time_frame(ticket: object) -> dict[str, object]:
    """The current tier's time frame alone (the latest tier clock), for the Tier section."""
    return {"badges": [b for b in _badges(ticket) if b["kind"] == "escalations.tier"]}


def _badges(ticket: object) -> list[dict[str, object]]:
    return with_texts(clock_badges(ticket))


@register.filter
def lines(text: str) -> list[str]:
    """Non-empty lines of a text (steps asked for, one per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


CHANNEL_LABELS = {
    "portal": _("the portal"),
    "api": _("the API"),
    "phone": _("phone"),
    "email": _("e-mail"),
    "console": _("the console"),
}


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
        return ngettext("%(n)s business hour", "%(n)s business hours", hours) % {"n": hours}
    return gettext("%(n)s business minutes") % {"n": minutes}
