"""Registrations of the cases app: the case clocks' handlers, who is engaged on a ticket's open case,
the ticket signal and the notification kinds (called from CasesConfig.ready).

The kinds keep their "escalations." names: rows already in the outbox and the clocks already running
carry them, and they are data, not code."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


def _on_case_warning(clock: Any) -> None:
    from .services.clocks import on_case_clock

    on_case_clock(clock, warning=True)


def _on_case_breach(clock: Any) -> None:
    from .services.clocks import on_case_clock

    on_case_clock(clock, warning=False)


def _on_ticket_changed(*, ticket: Any, change: str, **_: Any) -> None:
    """tickets.signals.ticket_changed: a closed or cancelled ticket closes its open case. Connected
    after the escalations app's receiver (INSTALLED_APPS order), so what was in flight on the ladder
    is withdrawn first, as before the cases app existed."""
    if change in ("cancel", "confirm_resolution", "close_unconfirmed"):
        from .services.de_escalation import close_cases_with

        close_cases_with(ticket)


# The notification kinds of the cases app: (name, subject template, description), translated
# lazily: the registry renders a subject when a notification is written, in the active language.
NOTIFICATION_KINDS: list[tuple[str, Promise, Promise]] = [
    (
        "escalations.case_requested",
        gettext_lazy(
            "[{{ reference }}] {{ organisation }} asks to escalate{% if added %} further{% endif %} "
            "({{ level|lower }}): {{ summary }}"
        ),
        gettext_lazy("A customer asked to escalate a request (to the escalation managers)."),
    ),
    (
        "escalations.case_engaged",
        gettext_lazy(
            "[{{ reference }}] {{ engaged_by }} engaged you as {{ role|lower }} on the escalation: "
            "{{ summary }}"
        ),
        gettext_lazy("You joined a customer escalation as a participant."),
    ),
    (
        "escalations.case_acknowledged",
        gettext_lazy("[{{ reference }}] {{ manager }} acknowledged the escalation: {{ summary }}"),
        gettext_lazy(
            "An escalation manager took a customer escalation as primary point of contact (to its "
            "participants)."
        ),
    ),
    (
        "escalations.case_plan_agreed",
        gettext_lazy(
            "[{{ reference }}] {{ manager }} agreed the action and communication plans: {{ summary }}"
        ),
        gettext_lazy(
            "The action plan and communication plan of an escalation are agreed (to its participants)."
        ),
    ),
    (
        "escalations.case_update",
        gettext_lazy(
            "[{{ reference }}] {{ manager }} gave the customer an update by {{ mode }}: {{ summary }}"
        ),
        gettext_lazy(
            "An update was given against the communication plan (to the escalation's participants)."
        ),
    ),
    (
        "escalations.case_de_escalation_proposed",
        gettext_lazy("[{{ reference }}] {{ manager }} proposed to de-escalate: {{ summary }}"),
        gettext_lazy(
            "The escalation manager proposed de-escalation to the customer (to the escalation's "
            "participants)."
        ),
    ),
    (
        "escalations.case_answered",
        gettext_lazy(
            "[{{ reference }}] {{ customer }} {% if agreed %}agreed to de-escalate{% else %}keeps the "
            "escalation{% endif %}: {{ summary }}"
        ),
        gettext_lazy("The customer answered the proposal to de-escalate (to the escalation's participants)."),
    ),
    (
        "escalations.case_ack_warning",
        gettext_lazy(
            "[{{ reference }}] Escalation not acknowledged yet{% if due %}, due {{ due }}{% endif %}: {{ "
            "summary }}"
        ),
        gettext_lazy("A new escalation waits for an escalation manager."),
    ),
    (
        "escalations.case_ack_breach",
        gettext_lazy("[{{ reference }}] Escalation not acknowledged in time: {{ summary }}"),
        gettext_lazy("A new escalation was not acknowledged in time (to the escalation managers' manager)."),
    ),
    (
        "escalations.case_update_due",
        gettext_lazy(
            "[{{ reference }}] Escalation update due{% if due %} by {{ due }}{% endif %}: {{ summary }}"
        ),
        gettext_lazy("The next update of the communication plan is due soon (to the escalation manager)."),
    ),
    (
        "escalations.case_update_missed",
        gettext_lazy(
            "[{{ reference }}] Escalation update missed{% if manager %} by {{ manager }}{% endif %}: {{ "
            "summary }}"
        ),
        gettext_lazy("An update of the communication plan was missed (to the escalation manager's manager)."),
    ),
    (
        "escalations.daily_report",
        gettext_lazy("Daily escalation report, {{ day }}: {{ count }} open"),
        gettext_lazy("Every business-day morning, the open escalations and their status (seed 002)."),
    ),
    # To the customers (portal links, the engineer's signature, the ticket's thread).
    (
        "escalations.customer_acknowledged",
        gettext_lazy("{{ manager }} acknowledged your escalation of {{ reference }}"),
        gettext_lazy("Your escalation has an escalation manager: your point of contact (to the customer)."),
    ),
    (
        "escalations.customer_plan_agreed",
        gettext_lazy("Action plan agreed for your escalation of {{ reference }}"),
        gettext_lazy(
            "The action plan and how we keep you informed, with the first conference call (to the customer)."
        ),
    ),
    (
        "escalations.customer_update",
        gettext_lazy("Update on your escalation of {{ reference }}: {{ update_summary|truncatechars:80 }}"),
        gettext_lazy("An update of the communication plan given by e-mail (to the customer)."),
    ),
    (
        "escalations.customer_de_escalation_proposed",
        gettext_lazy("We propose to de-escalate {{ reference }}"),
        gettext_lazy(
            "The escalation manager proposes to close the escalation, with a one-click agree link (to the "
            "customer)."
        ),
    ),
    (
        "escalations.customer_answer_recorded",
        gettext_lazy(
            "{% if agreed %}Your escalation of {{ reference }} is closed{% else %}{{ reference }} stays "
            "escalated{% endif %}: we recorded your answer"
        ),
        gettext_lazy(
            "Staff recorded the customer's answer to the proposal to de-escalate (to the customer)."
        ),
    ),
]


def register() -> None:
    from clocks.registry import register_clock_handlers
    from notifications import registry as kinds
    from tickets.participants import register_engaged
    from tickets.signals import ticket_changed

    from .services.core import ACK_CLOCK, UPDATE_CLOCK, engaged_on

    for kind in (ACK_CLOCK, UPDATE_CLOCK):
        register_clock_handlers(kind, on_warning=_on_case_warning, on_breach=_on_case_breach)
    register_engaged("escalations.case", engaged_on)
    ticket_changed.connect(_on_ticket_changed, dispatch_uid="cases.on_ticket_changed")
    for name, subject, description in NOTIFICATION_KINDS:
        kinds.register(name, subject=subject, description=description)
