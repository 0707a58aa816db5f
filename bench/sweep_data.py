"""Tickets whose time frames fall due, for the sweep benchmark's real-handler mode.

Each ticket is opened, triaged (SLA clocks and Tier 1's time frame start), taken by a Tier 1
engineer and given one troubleshooting step, through the services, `ago` in the past. Swept
now, every one of its time frames has passed: the first response and resolution warnings
and breaches, Tier 1's warning and breach, and the automatic escalation to Tier 2 that the
breach schedules (each writing its timeline events and notifications to the outbox).
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from demo.cast import ensure_cast
from escalations.presets import load_presets
from tickets.models import StepKind, Ticket
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import ticket_start, ticket_triage
from tickets.services.steps import ticket_add_step

SUMMARY = "Sweep benchmark: orders stuck in the ERP export"


def seed_due_tickets(count: int, *, ago: timedelta = timedelta(days=28)) -> list[int]:
    """Open `count` P2 ERP tickets `ago` in the past (business hours, a Monday at 09:00 UK
    office time or earlier); returns their ids."""
    cast = ensure_cast()
    load_presets()
    engineer = cast.users["erin"]
    org = cast.orgs[0]
    requester = cast.customers[org.pk][0]
    moment = timezone.now() - ago
    moment = moment.replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=moment.weekday())
    ids = []
    with time_machine.travel(moment, tick=True):
        for _ in range(count):
            ticket = ticket_create(
                actor=engineer,
                organisation=org,
                requester=requester,
                summary=SUMMARY,
                description="The nightly export stops at the first order with a long address.",
                symptoms="Orders after 02:00 are missing from the warehouse file.",
                replication_steps="none",
                error_messages="none",
                recent_changes="none",
                business_impact="Shipments wait a day.",
                priority="P2",
                service=cast.services["ERP"],
                category=next(iter(cast.categories.values())),
            )
            ticket = ticket_triage(ticket=ticket, actor=engineer)
            ticket = ticket_start(ticket=ticket, actor=engineer)
            ticket_add_step(
                ticket=ticket,
                actor=engineer,
                kind=StepKind.BASIC_CHECK,
                action="Checked the export log",
                outcome="Fails on long addresses",
            )
            ids.append(ticket.pk)
    return ids


def tickets_of_a_run(ids: list[int]) -> int:
    return Ticket.objects.filter(pk__in=ids).count()
