"""Registrations of the escalations app: clock and deadline handlers, notification kinds,
the approvals callback and the ticket signal (called from EscalationsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy


def _on_consult_warning(clock: Any) -> None:
    from .services import consults

    consults.on_consult_clock(clock, warning=True)


def _on_consult_breach(clock: Any) -> None:
    from .services import consults

    consults.on_consult_clock(clock, warning=False)


def _approval_thread(request: Any) -> str:
    """A hand-off's approval mails thread with its ticket's other mails."""
    from .models import Handoff

    ticket_id = Handoff.objects.filter(pk=request.object_id).values_list("ticket_id", flat=True).first()
    return f"ticket-{ticket_id}" if ticket_id else ""


# The notification kinds of the escalations app: (name, subject template, description).
NOTIFICATION_KINDS: list[tuple[str, Any, Any]] = [
    (
        "escalations.tier_warning",
        gettext_lazy("[{{ reference }}] {{ tier }} time frame nearly used ({{ frame }}): {{ summary }}"),
        gettext_lazy("A ticket used most of its tier's time frame (to the assignee, else the team leaders)."),
    ),
    (
        "escalations.tier_breach",
        gettext_lazy(
            "[{{ reference }}] {{ tier }} time frame passed{% if automatic %}, escalating "
            "automatically{% endif %}: {{ summary }}"
        ),
        gettext_lazy("A ticket overstayed its tier (to the team leaders)."),
    ),
    (
        "escalations.handoff_received",
        gettext_lazy(
            "[{{ reference }}] {{ verb }} to {{ tier }} from {{ from_tier }}"
            "{% if automatic %} automatically{% endif %}: {{ summary }}"
        ),
        gettext_lazy("A ticket reached your team's tier with its hand-off package."),
    ),
    (
        "escalations.approval_decided",
        gettext_lazy(
            "[{{ reference }}] {{ approver }} {% if approved %}approved{% else %}sent back{% endif %} "
            "your escalation to {{ tier }}"
        ),
        gettext_lazy("A team leader decided your escalation request."),
    ),
    (
        "escalations.consult_requested",
        gettext_lazy("[{{ reference }}] {{ requested_by }} consults {{ team }}: {{ summary }}"),
        gettext_lazy("Another team asks your team for input."),
    ),
    (
        "escalations.consult_answered",
        gettext_lazy("[{{ reference }}] {{ replied_by }} of {{ team }} answered your consult: {{ summary }}"),
        gettext_lazy("The team you consulted replied."),
    ),
    (
        "escalations.consult_warning",
        gettext_lazy(
            "[{{ reference }}] {{ team }}'s reply to the consult is due{% if due_at %} by "
            "{{ due_at }}{% endif %}"
        ),
        gettext_lazy(
            "A consult's reply time frame reached its warning point (to the consulted team's leaders)."
        ),
    ),
    (
        "escalations.consult_breach",
        gettext_lazy("[{{ reference }}] {{ team }} did not reply to the consult in time"),
        gettext_lazy(
            "A consult was not answered in time (to whoever asked and the consulted team's leaders)."
        ),
    ),
]


def register() -> None:
    from approvals.registry import register_subject
    from clocks.registry import register_clock_handlers, register_deadline_handler
    from notifications import registry as kinds
    from tickets import sla
    from tickets.signals import ticket_changed

    from . import batch_reads
    from .services import approval_gate, consults, listener, tiers, time_frames

    sla.CLOCK_LABELS[tiers.TIER_CLOCK] = gettext_lazy("Tier time frame")
    register_clock_handlers(
        tiers.TIER_CLOCK, on_warning=time_frames.on_tier_warning, on_breach=time_frames.on_tier_breach
    )
    register_clock_handlers(
        consults.CONSULT_CLOCK, on_warning=_on_consult_warning, on_breach=_on_consult_breach
    )
    register_deadline_handler(time_frames.AUTO_ESCALATE, time_frames.auto_escalate)
    batch_reads.register()
    register_subject(
        "escalations.handoff",
        on_decided=approval_gate.on_approval_decided,
        thread_of=_approval_thread,
        before_approve=approval_gate.before_approval,
        on_time_frame=approval_gate.on_approval_time_frame,
    )
    ticket_changed.connect(listener.on_ticket_changed, dispatch_uid="escalations.on_ticket_changed")
    for name, subject, description in NOTIFICATION_KINDS:
        kinds.register(name, subject=subject, description=description)
