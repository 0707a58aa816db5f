"""What a hand-off carries and what the IT manager decides on, read from the ticket: the hand-off
package (the intake and every troubleshooting step with its files, grouped by the tier that did it)
and the activity record (the package with the hand-offs, approvals, consults, vendor work, the
conversation and every time-frame warning and breach). Nothing here writes: the services store
what these return."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clocks.batch import prefetched
from tickets.models import Attachment, Comment, Ticket, TimelineEvent, TroubleshootingStep

from .batch_reads import TICKET_FILES
from .models import Consult, EscalationCriterion, Handoff, Tier, VendorEngagement, VendorUpdate
from .selectors import current_stint, ladder_tiers, steps_of

# The ticket's intake fields the package carries, in the order shown.
INTAKE_FIELDS = (
    "summary",
    "symptoms",
    "replication_steps",
    "error_messages",
    "recent_changes",
    "business_impact",
    "workaround",
)


def assemble_package(
    ticket: Ticket,
    from_tier: Tier,
    to_tier: Tier,
    *,
    criterion: EscalationCriterion | None = None,
    findings: str = "",
    workaround: str = "",
    evidence_note: str = "",
) -> dict[str, Any]:
    """Everything the receiving tier needs: criterion, findings, workaround, the intake, and
    every troubleshooting step with its outcome and files, grouped by the tier that did it."""
    groups = _steps_by_tier(ticket, from_tier)
    files = _ticket_files(ticket)
    return {
        "from_tier": from_tier.name,
        "to_tier": to_tier.name,
        "criterion": criterion.text if criterion else "",
        "findings": findings,
        "workaround": workaround or ticket.workaround,
        "evidence_note": evidence_note,
        "intake": {field: getattr(ticket, field) for field in INTAKE_FIELDS},
        "tiers": sorted(groups, key=lambda g: (g["level"], g["tier"])),
        "files": files,
        "assembled_at": timezone.now().isoformat(),
    }


def _steps_by_tier(ticket: Ticket, from_tier: Tier) -> list[dict[str, Any]]:
    """The ticket's steps grouped by the ladder's tier whose team did them (a team off the
    ladder was consulted), each group with its tier's name and level, in the order performed."""
    tiers = ladder_tiers(from_tier)
    by_team = {}
    for tier in tiers:
        by_team.setdefault(tier.team_id, tier)
    groups: dict[str, dict[str, Any]] = {}
    for step in steps_of(ticket):
        tier = by_team.get(step.team_id)
        key = _group_name(tier, step)
        group = groups.setdefault(key, {"tier": key, "level": tier.level if tier else 999, "steps": []})
        group["steps"].append(_step_entry(step))
    return list(groups.values())


def _group_name(tier: Tier | None, step: TroubleshootingStep) -> str:
    """The tier whose team did the step; a team off the ladder was consulted."""
    if tier is not None:
        return tier.name
    if step.team:
        return gettext("%(team)s (consulted)") % {"team": step.team.name}
    return gettext("Other")


def _step_entry(step: TroubleshootingStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "kind": step.kind,
        "kind_label": step.get_kind_display(),
        "action": step.action,
        "outcome": step.outcome,
        "state": step.state,
        "engineer": str(step.engineer),
        "at": step.performed_at.isoformat(),
        "attachments": [{"id": a.pk, "name": a.original_name} for a in step.attachments.all()],
    }


def _ticket_files(ticket: Ticket) -> list[dict[str, Any]]:
    """The files on the ticket itself (neither a step's nor a comment's)."""
    attachments = prefetched(TICKET_FILES, ticket.pk)  # a sweep's batch read them (batch_reads)
    if attachments is None:
        attachments = Attachment.objects.filter(ticket=ticket, step__isnull=True, comment__isnull=True)
        attachments = attachments.order_by("pk")
    return [{"id": a.pk, "name": a.original_name} for a in attachments]


# Timeline kinds of a time frame reaching its warning point or passing (SPEC §4: every
# warning and breach is on the timeline): the ticket's SLA, its tiers, consults, approvals and
# the customer escalation's acknowledgement and communication-plan updates.
CLOCK_EVENT_WORDS = {
    "sla_warning": _("SLA time frame at its warning point"),
    "sla_breach": _("SLA time frame breached"),
    "tier_warning": _("Tier time frame at its warning point"),
    "tier_breach": _("Tier time frame passed"),
    "consult_warning": _("Consult reply due soon"),
    "consult_breach": _("Consult reply overdue"),
    "approval_reminder": _("Approval waiting: approvers reminded"),
    "approval_overdue": _("Approval overdue: team manager notified"),
    "case_ack_warning": _("Escalation not yet acknowledged"),
    "case_ack_breach": _("Escalation acknowledgement overdue"),
    "case_update_due": _("Escalation update due soon"),
    "case_update_missed": _("Escalation update missed"),
}
CLOCK_EVENT_KINDS = tuple(CLOCK_EVENT_WORDS)


def conversation_of(ticket: Ticket) -> list[dict[str, Any]]:
    """Every comment, public and internal, with its author, time and channel, oldest first."""
    return [
        {
            "at": c.created_at.isoformat(),
            "author": str(c.author),
            "internal": c.is_internal,
            "channel": c.channel,
            "body": c.body,
        }
        for c in Comment.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "pk")
    ]


def clock_events_of(ticket: Ticket) -> list[dict[str, Any]]:
    """Every time-frame warning and breach on the ticket's timeline, oldest first."""
    return [
        {
            "at": e.at.isoformat(),
            "kind": e.kind,
            "breach": not e.kind.endswith(("warning", "reminder", "due")),
            "label": str(CLOCK_EVENT_WORDS.get(e.kind, e.kind)),
            "where": e.source,
            "reason": e.reason,
            "notified": e.details.get("notified", []),
        }
        for e in TimelineEvent.objects.filter(ticket=ticket, kind__in=CLOCK_EVENT_KINDS).order_by("at", "pk")
    ]


def activity_record(ticket: Ticket) -> dict[str, Any]:
    """Complete details of all activity (seed 001): intake, steps per tier, hand-offs,
    approvals, consults, vendor work, the conversation and every time-frame warning and
    breach — what the IT manager decides on."""
    stint = current_stint(ticket)
    first = stint.tier if stint else None
    record = assemble_package(ticket, first, first) if first else {}
    record["handoffs"] = [
        {
            "from": h.from_tier.name,
            "to": h.to_tier.name,
            "status": h.status,
            "automatic": h.automatic,
            "criterion": h.criterion_text,
            "findings": h.findings,
            "at": h.requested_at.isoformat(),
            "by": str(h.requested_by) if h.requested_by else gettext("the system"),
            "approved_by": str(h.approval.decided_by) if h.approval and h.approval.decided_by else "",
            "approval_notes": h.approval.decision_notes if h.approval else "",
        }
        for h in Handoff.objects.filter(ticket=ticket)
        .select_related("from_tier", "to_tier", "requested_by", "approval__decided_by")
        .order_by("requested_at", "pk")
    ]
    record["consults"] = [
        {
            "team": c.team.name,
            "question": c.question,
            "reply": c.reply,
            "state": c.state,
            "at": c.requested_at.isoformat(),
            "by": str(c.requested_by),
            "replied_by": str(c.replied_by) if c.replied_by else "",
            "replied_at": c.replied_at.isoformat() if c.replied_at else "",
        }
        for c in Consult.objects.filter(ticket=ticket)
        .select_related("team", "requested_by", "replied_by")
        .order_by("requested_at", "pk")
    ]
    record["vendor"] = [
        {
            "vendor": e.vendor_name,
            "case": e.case_number,
            "contact": e.contact,
            "updates": [
                {"at": u.received_at.isoformat(), "summary": u.summary, "by": str(u.recorded_by)}
                for u in e.updates.all()
            ],
        }
        for e in VendorEngagement.objects.filter(ticket=ticket).prefetch_related(
            Prefetch(
                "updates",
                queryset=VendorUpdate.objects.select_related("recorded_by").order_by("received_at", "pk"),
            )
        )
    ]
    record["conversation"] = conversation_of(ticket)
    record["clock_events"] = clock_events_of(ticket)
    return record
