"""Registrations of the escalations app: clock and deadline handlers, notification kinds,
the approvals callback and the ticket signal (called from EscalationsConfig.ready)."""

from __future__ import annotations

from typing import Any


def _on_consult_warning(clock: Any) -> None:
    from . import services

    services.on_consult_clock(clock, warning=True)


def _on_consult_breach(clock: Any) -> None:
    from . import services

    services.on_consult_clock(clock, warning=False)


def register() -> None:
    from approvals.registry import register_subject
    from clocks.registry import register_clock_handlers, register_deadline_handler
    from notifications import registry as kinds
    from tickets import sla
    from tickets.signals import ticket_changed

    from . import cases, services

    cases.register()
    sla.CLOCK_LABELS[services.TIER_CLOCK] = "Tier time frame"
    register_clock_handlers(services.TIER_CLOCK, on_warning=services.on_tier_warning,
                            on_breach=services.on_tier_breach)
    register_clock_handlers(services.CONSULT_CLOCK, on_warning=_on_consult_warning, on_breach=_on_consult_breach)
    register_deadline_handler(services.AUTO_ESCALATE, services.auto_escalate)
    register_subject("escalations.handoff", on_decided=services.on_approval_decided,
                     before_approve=services.before_approval, on_time_frame=services.on_approval_time_frame)
    ticket_changed.connect(services.on_ticket_changed, dispatch_uid="escalations.on_ticket_changed")

    for name, subject, description in [
        ("escalations.tier_warning", "{{ reference }}: {{ tier }} time frame at its warning point",
         "A ticket used most of its tier's time frame (to the assignee)."),
        ("escalations.tier_breach", "{{ reference }}: {{ tier }} time frame passed",
         "A ticket overstayed its tier (to the team leaders)."),
        ("escalations.handoff_received", "{{ reference }} handed to {{ tier }}",
         "A ticket reached your team's tier with its hand-off package."),
        ("escalations.approval_decided", "{{ reference }}: escalation to {{ tier }} {{ outcome }}",
         "A team leader decided your escalation request."),
        ("escalations.consult_requested", "{{ reference }}: {{ team }} consulted",
         "Another team asks your team for input."),
        ("escalations.consult_answered", "{{ reference }}: {{ team }} replied",
         "The team you consulted replied."),
        ("escalations.consult_warning", "{{ reference }}: reply to the consult due soon",
         "A consult's reply time frame reached its warning point."),
        ("escalations.consult_breach", "{{ reference }}: consult reply overdue",
         "A consult was not answered in time."),
    ]:
        kinds.register(name, subject=subject, description=description)
