"""A race loser hears where the ticket went (409), never "You may not escalate this ticket." (403).

Lock, then state (is the ticket still where the caller believed?), then permission. Without
from_tier the belief is where the ticket was when the request began.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from escalation_desk.domain import Refused
from escalations import api as escalations_api
from escalations.models import Handoff
from escalations.services import handoffs
from tickets.models import Ticket

from .conftest import World, at
from .test_concurrency import documented_in_tier_1, in_engineering, slow_events  # noqa: F401 (fixture)

ROUNDS = 20


def moved_to(tier: str, by: Any) -> str:
    return f"This ticket has already moved to {tier} (by {by}, "


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def escalate_body(world: World) -> dict[str, Any]:
    return {"criterion": world.tier("Tier 2").criteria.first().pk, "findings": "Needs Tier 2"}


def escalate_at_once(
    world: World, ticket: Ticket, body: dict[str, Any], names: tuple[str, ...]
) -> dict[str, tuple[int, dict[str, Any]]]:
    """Each user POSTs the escalation in their own thread and connection at the same moment."""
    answers: dict[str, tuple[int, dict[str, Any]]] = {}
    barrier = threading.Barrier(len(names))

    def post(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            response = client_for(world[name]).post(
                f"/api/tickets/{ticket.pk}/escalate/", body, format="json"
            )
            answers[name] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers (set DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_the_loser_of_two_api_escalations_without_from_tier_always_hears_409_with_where_it_went(
    world: World,
    slow_events: None,  # noqa: F811
) -> None:
    body = escalate_body(world)
    for _ in range(ROUNDS):
        ticket = documented_in_tier_1(world)
        answers = escalate_at_once(world, ticket, body, ("erin", "omar"))
        assert sorted(status for status, _ in answers.values()) == [201, 409], answers
        winner = next(name for name, (status, _) in answers.items() if status == 201)
        loser = "omar" if winner == "erin" else "erin"
        assert answers[loser][1]["detail"].startswith(moved_to("Tier 2", world[winner])), answers
        assert answers[loser][1]["missing"] == ["the ticket to still be in Tier 1: it is now in Tier 2"]
        assert Handoff.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db
def test_a_stale_from_tier_hears_where_the_ticket_went_not_403(world: World) -> None:
    ticket = documented_in_tier_1(world)
    stale = Ticket.objects.get(pk=ticket.pk)  # the loser's view, before the winner's move
    with time_machine.travel(at(23, 9, 30), tick=False):
        handoffs.escalate(ticket=ticket, actor=world["erin"], **_service_body(world))
        with pytest.raises(Refused) as refusal:
            handoffs.escalate(
                ticket=stale, actor=world["omar"], from_tier=world.tier("Tier 1"), **_service_body(world)
            )
    assert refusal.value.message == f"{moved_to('Tier 2', world['erin'])}23 Nov 2026 09:30)"
    assert refusal.value.missing == ["the ticket to still be in Tier 1: it is now in Tier 2"]


def _service_body(world: World) -> dict[str, Any]:
    return {"criterion": world.tier("Tier 2").criteria.first(), "findings": "Needs Tier 2"}


@pytest.mark.django_db
def test_without_from_tier_the_belief_is_where_the_ticket_was_when_the_call_began(world: World) -> None:
    ticket = documented_in_tier_1(world)
    stale = Ticket.objects.get(pk=ticket.pk)
    real_lock = handoffs.lock_ticket
    winner_first = [True]

    def winner_commits_first(locked_ticket: Ticket) -> Ticket:
        if winner_first.pop() if winner_first else False:
            handoffs.escalate(
                ticket=Ticket.objects.get(pk=ticket.pk), actor=world["erin"], **_service_body(world)
            )
        return real_lock(locked_ticket)

    with time_machine.travel(at(23, 9, 30), tick=False), pytest.MonkeyPatch.context() as patch:
        patch.setattr(handoffs, "lock_ticket", winner_commits_first)
        with pytest.raises(Refused) as refusal:
            handoffs.escalate(ticket=stale, actor=world["omar"], **_service_body(world))
    assert refusal.value.message.startswith(moved_to("Tier 2", world["erin"]))


@pytest.mark.django_db
@pytest.mark.parametrize("winner_moves", ["before the ticket is read", "before the service locks it"])
def test_an_api_escalation_without_from_tier_that_lost_the_race_answers_409(
    world: World, winner_moves: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The winner commits after the loser's request began: as the loser reads the ticket, or
    after the loser's permission was checked on it, before its service takes the lock."""
    ticket = documented_in_tier_1(world)
    winner = [
        lambda: handoffs.escalate(
            ticket=Ticket.objects.get(pk=ticket.pk), actor=world["erin"], **_service_body(world)
        )
    ]
    if winner_moves == "before the ticket is read":
        real = escalations_api.selectors.get_ticket_for

        def get_ticket_for(user: Any, pk: Any) -> Ticket:
            while winner:
                winner.pop()()
            return real(user, pk)

        monkeypatch.setattr(escalations_api.selectors, "get_ticket_for", get_ticket_for)
    else:
        real_escalate = handoffs.escalate

        def escalate(**kwargs: Any) -> Handoff:
            while winner:
                winner.pop()()
            return real_escalate(**kwargs)

        monkeypatch.setattr(escalations_api.handoffs, "escalate", escalate)
    with time_machine.travel(at(23, 9, 30), tick=False):
        response = client_for(world["omar"]).post(
            f"/api/tickets/{ticket.pk}/escalate/", escalate_body(world), format="json"
        )
    assert response.status_code == 409, response.json()
    assert response.json()["detail"] == f"{moved_to('Tier 2', world['erin'])}23 Nov 2026 09:30)"


@pytest.mark.django_db
def test_a_request_begun_after_the_move_is_judged_where_the_ticket_is_now(world: World) -> None:
    ticket = documented_in_tier_1(world)
    with time_machine.travel(at(23, 9, 30), tick=False):
        handoffs.escalate(ticket=ticket, actor=world["erin"], **_service_body(world))
        response = client_for(world["omar"]).post(
            f"/api/tickets/{ticket.pk}/escalate/", escalate_body(world), format="json"
        )
        # Naming the tier the caller saw it in turns the same request into "it moved".
        named = client_for(world["omar"]).post(
            f"/api/tickets/{ticket.pk}/escalate/",
            {**escalate_body(world), "from_tier": world.tier("Tier 1").pk},
            format="json",
        )
    assert response.status_code == 403
    assert named.status_code == 409
    assert named.json()["detail"].startswith(moved_to("Tier 2", world["erin"]))


@pytest.mark.django_db
def test_a_return_whose_ticket_moved_meanwhile_hears_where_it_went(world: World) -> None:
    ticket = in_engineering(world)
    stale = Ticket.objects.get(pk=ticket.pk)
    with time_machine.travel(at(23, 10), tick=False):
        handoffs.return_to_tier(
            ticket=ticket, actor=world["ella"], to_tier=world.tier("Tier 1"), findings="Fixed"
        )
        with pytest.raises(Refused) as refusal:
            handoffs.return_to_tier(
                ticket=stale,
                actor=world["kenji"],
                to_tier=world.tier("Tier 2"),
                findings="Fixed",
                from_tier=world.tier("Engineering"),
            )
    assert refusal.value.message.startswith(moved_to("Tier 1", world["ella"]))


@pytest.mark.django_db
def test_withdrawing_a_hand_off_approved_meanwhile_answers_409_not_403(world: World) -> None:
    from approvals.services import approval_approve

    ticket = in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        handoff = handoffs.escalate(
            ticket=ticket, actor=world["ella"], findings="Needs hands on site", evidence_note="none"
        )
        # kenji (Engineering's leader) may withdraw it while it waits; the approval lands first and
        # the ticket moves to Onsite Support, whose tickets he may not work.
        approval_approve(request=handoff.approval, actor=world["kenji"], notes="Evidence reviewed.")
        response = client_for(world["kenji"]).post(
            f"/api/handoffs/{handoff.pk}/withdraw/", {"reason": "Not needed."}, format="json"
        )

    assert response.status_code == 409, response.json()
    assert response.json()["missing"] == ["a hand-off still in flight (this one is completed)"]
    with pytest.raises(Refused):
        handoffs.handoff_withdraw(handoff=handoff, actor=world["kenji"], reason="Not needed.")
