"""Two people, or a person and the sweep, moving the same ticket at the same moment: the
ticket's row lock (and the one-active-hand-off constraint behind it) lets exactly one
hand-off through (SPEC §3, §4)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.models import User
from approvals import registry
from approvals.models import ApprovalRequest
from approvals.services import approval_approve
from clocks.models import Deadline, DeadlineState
from clocks.sweep import sweep_due_deadlines
from escalation_desk.domain import Refused
from escalations import selectors
from escalations.models import Handoff, HandoffStatus
from escalations.services import approval_gate, consults, decisions, handoffs, listener, time_frames, vendor
from tickets.models import StepKind, Ticket, TimelineEvent
from tickets.services.lifecycle import ticket_cancel, ticket_start
from tickets.services.steps import ticket_add_step

from .conftest import World, at, triaged

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers and ignores SELECT … FOR UPDATE "
        "(set DATABASE_URL=postgres://…)",
    ),
]


@pytest.fixture
def slow_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each escalation transaction open so the other thread certainly arrives meanwhile."""
    record_event = handoffs.record_event

    def slow_record_event(**kwargs: Any) -> TimelineEvent:
        event = record_event(**kwargs)
        time.sleep(0.3)
        return event

    for module in (handoffs, approval_gate, time_frames, consults, vendor, decisions, listener):
        monkeypatch.setattr(module, "record_event", slow_record_event)


MOVED = "refused: the ticket to still be in Tier 1: it is now in Tier 2"


def run_together(*jobs: tuple[str, Callable[[], Any]]) -> dict[str, str]:
    """Run each job in its own thread and database connection once all are ready; name → outcome."""
    barrier = threading.Barrier(len(jobs))
    outcomes: dict[str, str] = {}

    def run(name: str, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
            outcomes[name] = "done"
        except Refused as refused:
            outcomes[name] = "refused: " + "; ".join(refused.missing)
        except PermissionDenied:
            outcomes[name] = "denied"
        except Exception as error:  # reported by the test, not lost in the thread
            outcomes[name] = f"error: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def escalating(ticket_pk: int, user_pk: int, **kwargs: Any) -> Callable[[], Any]:
    def job() -> Any:
        ticket = Ticket.objects.get(pk=ticket_pk)
        here = selectors.current_stint(ticket).tier
        return handoffs.escalate(ticket=ticket, actor=User.objects.get(pk=user_pk), from_tier=here, **kwargs)

    return job


def documented_in_tier_1(world: World) -> Ticket:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked",
            outcome="Nothing found",
        )
    return ticket


def in_engineering(world: World) -> Ticket:
    ticket = documented_in_tier_1(world)
    with time_machine.travel(at(23, 9, 5), tick=False):
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Deeper",
            criterion=world.tier("Tier 2").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["tom"])
        ticket_add_step(
            ticket=ticket, actor=world["tom"], kind=StepKind.REPLICATION, action="Replicated", outcome="Fails"
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
            kind=StepKind.LOG_ANALYSIS,
            action="Read the log",
            outcome="Hardware fault",
        )
    return ticket


@pytest.mark.django_db(transaction=True)
def test_two_engineers_escalating_at_once_make_exactly_one_hand_off(world: World, slow_events: None) -> None:
    ticket = documented_in_tier_1(world)
    criterion = world.tier("Tier 2").criteria.first()
    with time_machine.travel(at(23, 9, 30), tick=False):
        outcomes = run_together(
            ("erin", escalating(ticket.pk, world["erin"].pk, criterion=criterion, findings="erin's")),
            ("omar", escalating(ticket.pk, world["omar"].pk, criterion=criterion, findings="omar's")),
        )
    # The winner hands the ticket to Tier 2; the loser, serialised behind the lock, is told where
    # it went (a 409 naming the new tier, not a 403 from Tier 2's permissions).
    assert sorted(outcomes.values()) == ["done", MOVED], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    [handoff] = Handoff.objects.filter(ticket=ticket)
    assert (handoff.requested_by, handoff.findings, handoff.status) == (
        world[winner],
        f"{winner}'s",
        HandoffStatus.COMPLETED,
    )
    assert TimelineEvent.objects.filter(ticket=ticket, kind="escalated").count() == 1
    assert selectors.current_stint(ticket).tier.name == "Tier 2"


@pytest.mark.django_db(transaction=True)
def test_two_people_asking_for_a_gated_tier_at_once_file_exactly_one_request(
    world: World, slow_events: None
) -> None:
    ticket = in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        outcomes = run_together(
            ("ella", escalating(ticket.pk, world["ella"].pk, findings="ella's", evidence_note="none")),
            ("kenji", escalating(ticket.pk, world["kenji"].pk, findings="kenji's", evidence_note="none")),
        )
    done = [name for name, outcome in outcomes.items() if outcome == "done"]
    assert len(done) == 1, outcomes
    loser = "kenji" if done == ["ella"] else "ella"
    assert outcomes[loser] == (
        "refused: no other hand-off in flight: Engineering → Onsite Support is pending "
        "approval (withdraw it first)"
    )
    [handoff] = Handoff.objects.filter(ticket=ticket, to_tier__name="Onsite Support")
    assert (handoff.requested_by, handoff.status) == (world[done[0]], HandoffStatus.PENDING_APPROVAL)
    assert (
        ApprovalRequest.objects.filter(pk=handoff.approval_id).count() == ApprovalRequest.objects.count() == 1
    )


def breached_but_not_yet_escalated(ticket: Ticket, moment) -> Deadline:
    """Sweep one batch at the breach: the breach fires and schedules the automatic escalation,
    which is left for the next batch — the one the race is run with."""
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines(max_batches=1)
    assert TimelineEvent.objects.filter(ticket=ticket, kind="tier_breach").count() == 1
    return Deadline.objects.get(kind=time_frames.AUTO_ESCALATE, state=DeadlineState.PENDING)


@pytest.mark.django_db(transaction=True)
def test_an_automatic_escalation_racing_a_manual_one_makes_exactly_one_hand_off(
    world: World, slow_events: None
) -> None:
    ticket = documented_in_tier_1(world)  # P2: Tier 1's hour ends at 10:00
    auto = breached_but_not_yet_escalated(ticket, at(23, 10))
    criterion = world.tier("Tier 2").criteria.first()
    with time_machine.travel(at(23, 10), tick=False):
        outcomes = run_together(
            ("sweep", sweep_due_deadlines),
            ("erin", escalating(ticket.pk, world["erin"].pk, criterion=criterion, findings="By hand")),
        )
    assert outcomes["sweep"] == "done", outcomes
    assert outcomes["erin"] in ("done", MOVED), outcomes
    [handoff] = Handoff.objects.filter(ticket=ticket)
    assert handoff.status == HandoffStatus.COMPLETED
    # Either the person was first (the sweep finds the ticket moved on) or the sweep was.
    assert handoff.automatic == (outcomes["erin"] == MOVED)
    auto.refresh_from_db()
    assert auto.state == DeadlineState.FIRED
    assert TimelineEvent.objects.filter(ticket=ticket, kind="escalated").count() == 1
    assert selectors.current_stint(ticket).tier.name == "Tier 2"


@pytest.mark.django_db(transaction=True)
def test_an_automatic_request_for_a_gated_tier_racing_a_manual_one_files_one_request(
    world: World, slow_events: None
) -> None:
    ticket = in_engineering(world)  # in Engineering since Monday 09:05: 8 business hours → Tuesday 09:05
    auto = breached_but_not_yet_escalated(ticket, at(24, 9, 5))
    with time_machine.travel(at(24, 9, 5), tick=False):
        outcomes = run_together(
            ("sweep", sweep_due_deadlines),
            ("ella", escalating(ticket.pk, world["ella"].pk, findings="By hand", evidence_note="none")),
        )
    assert outcomes["sweep"] == "done", outcomes
    [handoff] = Handoff.objects.filter(ticket=ticket, to_tier__name="Onsite Support")
    assert handoff.status == HandoffStatus.PENDING_APPROVAL
    assert ApprovalRequest.objects.count() == 1
    auto.refresh_from_db()
    assert auto.state == DeadlineState.FIRED
    if handoff.automatic:
        assert outcomes["ella"] == (
            "refused: no other hand-off in flight: Engineering → Onsite Support is "
            "pending approval (withdraw it first)"
        )
    else:
        assert outcomes["ella"] == "done"
        skipped = TimelineEvent.objects.get(ticket=ticket, kind="auto_escalation_skipped")
        assert skipped.reason == (
            "Not escalated automatically: Engineering → Onsite Support is already pending approval."
        )


@pytest.mark.django_db(transaction=True)
def test_a_manual_escalation_racing_the_tier_breach_itself_makes_one_hand_off_without_a_deadlock(
    world: World, slow_events: None
) -> None:
    """The sweep fires the breach holding the clock's lock and writes the event on the ticket;
    the escalation holds the ticket and stops that clock. Neither may wait for the other."""
    ticket = documented_in_tier_1(world)
    criterion = world.tier("Tier 2").criteria.first()

    def sweep_a_moment_later() -> None:
        time.sleep(0.1)  # the escalation takes the ticket first, then needs the clock
        sweep_due_deadlines()

    with time_machine.travel(at(23, 9, 45), tick=False):
        sweep_due_deadlines()  # the warning: only the breach is left to race with
    with time_machine.travel(at(23, 10), tick=False):
        outcomes = run_together(
            ("sweep", sweep_a_moment_later),
            ("erin", escalating(ticket.pk, world["erin"].pk, criterion=criterion, findings="By hand")),
        )
        sweep_due_deadlines()  # whatever the race left for the next sweep
    assert outcomes["sweep"] == "done", outcomes
    assert outcomes["erin"] in ("done", MOVED), outcomes
    assert not Deadline.objects.filter(state=DeadlineState.PENDING, attempts__gt=0).exists(), list(
        Deadline.objects.filter(attempts__gt=0).values_list("kind", "last_error")
    )
    [handoff] = Handoff.objects.filter(ticket=ticket)
    assert handoff.status == HandoffStatus.COMPLETED
    assert handoff.automatic == (outcomes["erin"] == MOVED)
    assert TimelineEvent.objects.filter(ticket=ticket, kind="escalated").count() == 1
    assert TimelineEvent.objects.filter(ticket=ticket, kind="tier_breach").count() <= 1
    assert selectors.current_stint(ticket).tier.name == "Tier 2"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["approve", "cancel"])
def test_approving_while_the_ticket_is_cancelled_ends_cleanly_one_way_or_the_other(
    world: World, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """A decision locks the request, then the ticket; cancelling locks the ticket, then cancels
    the request. Whoever is first wins; the other is refused — never a deadlock."""
    ticket = in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        handoff = handoffs.escalate(
            ticket=ticket, actor=world["ella"], findings="Site visit", evidence_note="none"
        )
    check = registry._checks["escalations.handoff"]

    def slow_check(request: ApprovalRequest) -> list[str]:
        time.sleep(0.5)  # the request is locked: the cancellation arrives meanwhile
        return check(request)

    monkeypatch.setitem(registry._checks, "escalations.handoff", slow_check)

    def approve() -> None:
        if first == "cancel":
            time.sleep(0.1)
        approval_approve(
            request=ApprovalRequest.objects.get(pk=handoff.approval_id),
            actor=User.objects.get(username="kenji"),
            notes="Go on site",
        )

    def cancel() -> None:
        if first == "approve":
            time.sleep(0.1)
        ticket_cancel(
            ticket=Ticket.objects.get(pk=ticket.pk),
            actor=User.objects.get(username="ella"),
            reason="withdrawn",
            note="The customer withdrew it",
        )

    with time_machine.travel(at(23, 11), tick=False):
        outcomes = run_together(("approve", approve), ("cancel", cancel))
    assert not any(outcome.startswith("error") for outcome in outcomes.values()), outcomes
    handoff.refresh_from_db()
    ticket.refresh_from_db()
    request = ApprovalRequest.objects.get(pk=handoff.approval_id)
    if outcomes["approve"] == "done":
        assert (handoff.status, request.status) == (HandoffStatus.COMPLETED, "approved")
        assert selectors.current_stint(ticket).tier.name == "Onsite Support"
        # Cancelling while the decision was being recorded is refused (try again), not deadlocked.
        assert outcomes["cancel"] == (
            "refused: the decision being recorded on the escalation to Onsite Support "
            "to finish first (try again)"
        ), outcomes
        assert ticket.status == "open"
    else:
        assert outcomes["cancel"] == "done", outcomes
        assert (ticket.status, handoff.status, request.status) == (
            "cancelled",
            HandoffStatus.WITHDRAWN,
            "cancelled",
        )
        assert outcomes["approve"] == "refused: a pending request (this one is cancelled)"
