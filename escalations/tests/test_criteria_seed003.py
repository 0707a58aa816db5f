"""Seed 003: entering Engineering needs one of its criteria (bug, code change, performance,
security); Engineering fixes, returns the ticket to Tier 1, which verifies, communicates and
resolves — under the knowledge-base gate, since Engineering worked it — and the customer
confirms (SPEC §2, §3)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from escalation_desk.domain import InvalidInput, Refused
from escalations import selectors
from escalations.models import Direction, Handoff, HandoffStatus, Tier, TierStint
from escalations.services import handoffs
from tickets.models import StepKind, Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_confirm_resolution, ticket_resolve, ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

ENGINEERING_CRITERIA = (
    'an escalation criterion for Engineering: one of "Software bug"; "Requires code changes"; '
    '"System performance concern"; "Security concern"'
)


def in_tier_2(world: World) -> Ticket:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world, summary="Invoice totals off by a cent")
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Reproduced with the customer's invoice",
            outcome="Off by 0.01",
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Rounding looks wrong.",
            criterion=world.tier("Tier 2").criteria.get(text="Potential bug"),
        )
    with time_machine.travel(at(23, 10), tick=False):
        ticket_start(ticket=ticket, actor=world["tom"])
        ticket_add_step(
            ticket=ticket,
            actor=world["tom"],
            kind=StepKind.REPLICATION,
            action="Replicated in the test ERP",
            outcome="Rounds half-down",
        )
    ticket.refresh_from_db()
    return ticket


def test_escalating_to_engineering_requires_one_of_its_criteria(world: World) -> None:
    ticket = in_tier_2(world)
    engineering = world.tier("Engineering")
    assert selectors.requirements_of(engineering)[1] == (
        "one of its escalation criteria: Software bug; Requires code changes; System performance concern; "
        "Security concern"
    )
    with pytest.raises(Refused) as refused:
        handoffs.escalate(ticket=ticket, actor=world["tom"], findings="Rounding bug in invoicing.")
    assert refused.value.missing == [ENGINEERING_CRITERIA]
    with pytest.raises(InvalidInput) as invalid:
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Rounding bug in invoicing.",
            criterion=world.tier("Tier 2").criteria.get(text="Potential bug"),
        )
    assert invalid.value.errors == {"criterion": ['"Potential bug" is not a criterion of Engineering.']}
    assert Handoff.objects.filter(ticket=ticket, to_tier=engineering).count() == 0

    bug = engineering.criteria.get(text="Software bug")
    with time_machine.travel(at(23, 11), tick=False):
        handoff = handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            criterion=bug,
            findings="Rounding bug in invoicing.",
            workaround="Correct by hand",
        )
    ticket.refresh_from_db()
    assert (handoff.status, handoff.criterion_text, handoff.package["criterion"]) == (
        HandoffStatus.COMPLETED,
        "Software bug",
        "Software bug",
    )
    assert [g["tier"] for g in handoff.package["tiers"]] == ["Tier 1", "Tier 2"]
    assert (selectors.current_stint(ticket).tier, ticket.team.name, ticket.status) == (
        engineering,
        "Engineering",
        "open",
    )
    escalated = ticket.events.get(kind="escalated", target="Engineering")
    assert escalated.reason == "Escalated from Tier 2 to Engineering (Software bug)."


def test_engineering_returns_the_fix_to_tier_1_which_resolves_and_the_customer_confirms(world: World) -> None:
    ticket = in_tier_2(world)
    engineering, tier_1 = world.tier("Engineering"), world.tier("Tier 1")
    tier_2_escalates_and_engineering_fixes_it(world, ticket, engineering)
    only_engineering_returns_it_down_with_what_was_done(world, ticket, tier_1)
    engineering_returns_it_to_tier_1(world, ticket, engineering, tier_1)
    tier_1_resolves_with_the_knowledge_article(world, ticket)
    the_customer_confirms_and_the_timeline_tells_it(world, ticket)


def tier_2_escalates_and_engineering_fixes_it(world: World, ticket: Ticket, engineering: Tier) -> None:
    with time_machine.travel(at(23, 11), tick=False):
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Rounding bug.",
            criterion=engineering.criteria.get(text="Requires code changes"),
        )
    with time_machine.travel(at(23, 13), tick=False):
        ticket_start(ticket=ticket, actor=world["ella"])
        ticket_add_step(
            ticket=ticket,
            actor=world["ella"],
            kind=StepKind.FIX_DEPLOYED,
            action="Fixed the rounding mode and deployed 4.2.1",
            outcome="Totals match",
        )


def only_engineering_returns_it_down_with_what_was_done(world: World, ticket: Ticket, tier_1: Tier) -> None:
    # Tier 1 cannot move a ticket it no longer holds; returning upward is not a return.
    with pytest.raises(PermissionDenied):
        handoffs.return_to_tier(ticket=ticket, actor=world["erin"], to_tier=tier_1, findings="x")
    with pytest.raises(InvalidInput):
        handoffs.return_to_tier(
            ticket=ticket,
            actor=world["ella"],
            to_tier=world.tier("Onsite Support"),
            findings="Up is not back.",
        )
    with pytest.raises(Refused) as refused:
        handoffs.return_to_tier(ticket=ticket, actor=world["ella"], to_tier=tier_1, findings=" ")
    assert refused.value.missing == ["what was done and what Tier 1 should do next"]


def engineering_returns_it_to_tier_1(world: World, ticket: Ticket, engineering: Tier, tier_1: Tier) -> None:
    with time_machine.travel(at(23, 14), tick=False):
        back = handoffs.return_to_tier(
            ticket=ticket,
            actor=world["ella"],
            to_tier=tier_1,
            findings="Fix deployed in 4.2.1: verify with the customer and close.",
        )
    ticket.refresh_from_db()
    assert (back.direction, back.status, back.from_tier, back.to_tier) == (
        Direction.RETURN,
        HandoffStatus.COMPLETED,
        engineering,
        tier_1,
    )
    assert back.approval is None
    assert (selectors.current_stint(ticket).tier, ticket.team.name, ticket.status, ticket.assignee) == (
        tier_1,
        "Tier 1",
        "open",
        None,
    )
    assert [s.tier.name for s in TierStint.objects.filter(ticket=ticket)] == [
        "Tier 1",
        "Tier 2",
        "Engineering",
        "Tier 1",
    ]
    returned = ticket.events.get(kind="returned")
    assert (returned.source, returned.target, returned.actor) == ("Engineering", "Tier 1", world["ella"])


def tier_1_resolves_with_the_knowledge_article(world: World, ticket: Ticket) -> None:
    # Tier 1 starts it, verifies with the customer and resolves: Engineering worked the ticket,
    # so the knowledge-base update (or why none is needed) is required.
    with time_machine.travel(at(23, 15), tick=False):
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_comment(
            ticket=ticket,
            actor=world["erin"],
            body="Version 4.2.1 fixes the rounding; please check your next invoice.",
        )
        with pytest.raises(Refused) as refused:
            ticket_resolve(
                ticket=ticket,
                actor=world["erin"],
                resolution_summary="Fixed in 4.2.1",
                root_cause="Half-down rounding",
                fix_kind="permanent",
            )
        assert refused.value.missing == [
            "knowledge-base update, or the reason none is needed (Engineering worked it)"
        ]
        ticket_resolve(
            ticket=ticket,
            actor=world["erin"],
            resolution_summary="Fixed in 4.2.1",
            root_cause="Half-down rounding",
            fix_kind="permanent",
            knowledge_article="KB-1042 Invoice rounding",
        )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.knowledge_article) == ("resolved", "KB-1042 Invoice rounding")
    # Resolved: the tier time frame no longer counts.
    assert selectors.current_stint(ticket).clock.state == "paused"


def the_customer_confirms_and_the_timeline_tells_it(world: World, ticket: Ticket) -> None:
    with time_machine.travel(at(23, 16), tick=False):
        ticket_confirm_resolution(ticket=ticket, actor=world["carla"], note="Invoice is right now.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_kind) == ("closed", "confirmed_by_customer")
    assert selectors.current_stint(ticket).clock.state == "stopped"
    assert list(
        ticket.events.filter(kind__in=["escalated", "returned", "start", "resolve", "confirm_resolution"])
        .order_by("at", "pk")
        .values_list("kind", "actor__username")
    ) == [
        ("start", "erin"),
        ("escalated", "erin"),
        ("start", "tom"),
        ("escalated", "tom"),
        ("start", "ella"),
        ("returned", "ella"),
        ("start", "erin"),
        ("resolve", "erin"),
        ("confirm_resolution", "carla"),
    ]
