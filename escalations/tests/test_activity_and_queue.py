"""The IT manager's activity record holds the ticket's conversation and its time-frame
warnings and breaches (issue 9, point 17); a ticket that leaves an engineer's queue by a
hand-off tells them, unless they moved it themselves (point 12)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from clocks.sweep import sweep_due_deadlines
from escalations import records
from escalations.models import DecisionOutcome
from escalations.services import decisions as decision_services
from escalations.services import handoffs
from notifications.models import Channel, Notification
from notifications.services import deliver
from tickets.models import StepKind, Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines(now=moment)


def left_queue(username: str) -> list[Notification]:
    return list(
        Notification.objects.filter(
            kind="ticket.left_queue", recipient__username=username, channel=Channel.IN_APP
        ).order_by("pk")
    )


# --- the activity record (seed 001) ----------------------------------------------------------------


def worked_to_the_decision_point(world: World) -> Ticket:
    """Tier 1 → Tier 2 with a conversation and a tier warning, then Engineering escalates to the IT
    manager."""
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked the VPN",
            outcome="Connected",
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Timeouts to the ERP host.",
            criterion=world.tier("Tier 2").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["tom"])
        travel.move_to(at(23, 9, 20))
        ticket_comment(ticket=ticket, actor=world["carla"], body="It fails again this morning.")
        travel.move_to(at(23, 9, 40))
        ticket_comment(
            ticket=ticket, actor=world["tom"], body="Looks like the 2.4 upgrade.", is_internal=True
        )
    sweep_at(at(23, 12))  # Tier 2's P2 time frame (4 business hours from 09:00) at its warning point
    with time_machine.travel(at(23, 12, 30), tick=False) as travel:
        ticket_add_step(
            ticket=ticket, actor=world["tom"], kind=StepKind.REPLICATION, action="Replicated", outcome="Same"
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Bug",
            criterion=world.tier("Engineering").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["ella"])
        ticket_add_step(
            ticket=ticket,
            actor=world["ella"],
            kind=StepKind.ROOT_CAUSE,
            action="Profiled",
            outcome="Design limit of the product",
        )
        travel.move_to(at(23, 12, 45))
        ticket_comment(ticket=ticket, actor=world["ella"], body="We cannot change this.")
        handoffs.escalate(
            ticket=ticket,
            actor=world["ella"],
            to_tier=world.tier("IT Manager decision"),
            findings="Nothing any tier can change.",
        )
    ticket.refresh_from_db()
    return ticket


def test_the_activity_record_holds_the_conversation_and_the_clock_events_in_time_order(world: World) -> None:
    ticket = worked_to_the_decision_point(world)
    carla, tom, ella = (str(world[u]) for u in ("carla", "tom", "ella"))

    with time_machine.travel(at(23, 13), tick=False):
        decision = decision_services.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=DecisionOutcome.KNOWN_ERROR,
            notes="Accept the limit.",
            root_cause="Design limit",
            knowledge_none_reason="Product limit",
        )

    record = decision.activity_record
    assert [(c["author"], c["internal"], c["body"], c["at"]) for c in record["conversation"]] == [
        (carla, False, "It fails again this morning.", at(23, 9, 20).isoformat()),
        (tom, True, "Looks like the 2.4 upgrade.", at(23, 9, 40).isoformat()),
        (ella, False, "We cannot change this.", at(23, 12, 45).isoformat()),
    ]
    clock_events = record["clock_events"]
    expected = [(e.kind, e.at.isoformat()) for e in ticket.events.filter(kind__in=records.CLOCK_EVENT_KINDS)]
    assert [(e["kind"], e["at"]) for e in clock_events] == expected
    assert [e["at"] for e in clock_events] == sorted(e["at"] for e in clock_events)
    tier_warning = next(e for e in clock_events if e["kind"] == "tier_warning")
    assert (tier_warning["at"], tier_warning["where"], tier_warning["breach"], tier_warning["label"]) == (
        at(23, 12).isoformat(),
        "Tier 2",
        False,
        "Tier time frame at its warning point",
    )
    assert tier_warning["notified"] == ["tom"]
    # Hand-offs and consults say who and when, too.
    assert [(h["from"], h["to"], h["by"]) for h in record["handoffs"]] == [
        ("Tier 1", "Tier 2", str(world["erin"])),
        ("Tier 2", "Engineering", tom),
        ("Engineering", "IT Manager decision", ella),
    ]


def test_the_it_manager_reads_the_complete_record_in_the_console(world: World, client: Client) -> None:
    ticket = worked_to_the_decision_point(world)
    client.force_login(world["ivan"])

    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()

    live = page[page.index('id="activity-record"') :]
    assert live.count('class="record-comment') == 3
    assert (
        live.index("It fails again this morning.")
        < live.index("Looks like the 2.4 upgrade.")
        < live.index("We cannot change this.")
    )
    assert 'data-internal="true"' in live and "internal note" in live
    assert 'data-kind="tier_warning"' in live and "23 Nov 2026 12:00" in live
    # Someone else sees no record form; the record taken with a decision stays on the ticket.
    with time_machine.travel(at(23, 13), tick=False):
        decision_services.record_decision(
            ticket=ticket,
            actor=world["ivan"],
            outcome=DecisionOutcome.KNOWN_ERROR,
            notes="Accept the limit.",
            root_cause="Design limit",
            knowledge_none_reason="Product limit",
        )
    client.force_login(world["tom"])
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert 'id="activity-record"' not in page
    decisions = page[page.index('id="decisions"') :]
    assert "The activity record this decision was taken on" in decisions
    assert "Looks like the 2.4 upgrade." in decisions and 'data-kind="tier_warning"' in decisions


# --- leaving a person's queue (point 12) -----------------------------------------------------------


def test_the_automatic_escalation_tells_the_engineer_whose_queue_the_ticket_left(
    world: World, settings: object
) -> None:
    settings.SITE_URL = "https://desk.example.com"
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.KNOWN_ISSUE,
            action="Searched the known issues",
            outcome="Nothing matches",
        )
    sweep_at(at(23, 10))  # Tier 1's hour passed: escalated automatically to Tier 2
    ticket.refresh_from_db()
    assert (ticket.team.name, ticket.assignee) == ("Tier 2", None)

    [told] = left_queue("erin")
    assert told.context["team_name"] == "Tier 2" and told.context["automatic"] is True
    assert told.link == reverse("desk:ticket", args=[ticket.pk]) and told.thread == f"ticket-{ticket.pk}"
    assert told.subject == f"[{ticket.reference}] Moved from you to Tier 2: {ticket.summary}"
    assert "automatically" in told.context["message"]
    row = Notification.objects.get(kind="ticket.left_queue", recipient=world["erin"], channel=Channel.EMAIL)
    assert deliver(notification_id=row.pk)
    assert f"https://desk.example.com/desk/tickets/{ticket.pk}/" in mail.outbox[-1].body
    # The receiving team's leader, who dispatches it, hears it arrived automatically; its members
    # see it in their queue (SPEC §4) rather than each getting a mail from the sweep.
    received = Notification.objects.filter(kind="escalations.handoff_received", channel=Channel.IN_APP)
    assert {n.recipient.username for n in received} == {"ravi"}
    assert "automatically" in received.first().subject


def test_a_hand_off_by_someone_else_tells_the_assignee_but_nobody_hears_of_their_own(world: World) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked the VPN",
            outcome="Connected",
        )
        # Erin escalates her own ticket: she is not told it left her.
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Timeouts to the ERP host.",
            criterion=world.tier("Tier 2").criteria.first(),
        )
        assert left_queue("erin") == []
        ticket_start(ticket=ticket, actor=world["tom"])
        # Tier 2's team leader sends Tom's ticket back to Tier 1: Tom is told, Ravi is not.
        back = handoffs.return_to_tier(
            ticket=ticket,
            actor=world["ravi"],
            to_tier=world.tier("Tier 1"),
            findings="Not a Tier 2 matter: a VPN profile to renew.",
        )
    [told] = left_queue("tom")
    assert told.context["team_name"] == "Tier 1" and told.context["automatic"] is False
    assert f"by {world['ravi']}" in told.context["message"]
    assert left_queue("ravi") == []
    returned = Notification.objects.filter(
        dedup_key__startswith=f"handoff:{back.pk}:", channel=Channel.IN_APP
    )
    assert {(n.kind, n.recipient.username) for n in returned} == {
        ("escalations.handoff_received", "erin"),
        ("escalations.handoff_received", "omar"),
        ("escalations.handoff_received", "tess"),
        ("ticket.left_queue", "tom"),
    }
