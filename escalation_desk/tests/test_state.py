"""escalation_desk.state.change_state: the one shape of a state change, step by step, on a real
state machine (a ticket's), so that a refusal at any step leaves no change, no input and no event."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from escalation_desk.domain import Refused
from escalation_desk.state import change_state, state_label, state_of
from tests_support.factories import TicketFactory, make_agent
from tickets.models import Status, Ticket, TimelineEvent
from tickets.services.core import lock_ticket

pytestmark = pytest.mark.django_db


def triage(ticket: Ticket, actor, **kwargs) -> Ticket:
    return change_state(ticket, "triage", actor=actor, lock=lock_ticket, label="Triage", **kwargs)


def test_it_runs_the_steps_in_order_and_commits_them_together(django_capture_on_commit_callbacks) -> None:
    ticket = TicketFactory(priority="P3")
    erin = make_agent("Engineer", team=ticket.team)
    steps: list[str] = []

    def record(locked: Ticket, source: str) -> None:
        steps.append(f"record {source}→{locked.status}")
        TimelineEvent.objects.create(
            ticket=locked, kind="triage", actor=erin, source=source, target=locked.status
        )

    with django_capture_on_commit_callbacks(execute=True):
        changed = triage(
            ticket,
            erin,
            prepare=lambda t: steps.append("prepare"),
            missing=lambda t: steps.append("missing") or [],
            record=record,
            then=lambda t: steps.append("then"),
            on_commit=lambda t: steps.append("committed"),
        )

    assert steps == ["prepare", "missing", "record new→open", "then", "committed"]
    assert Ticket.objects.get(pk=ticket.pk).status == changed.status == Status.OPEN
    assert TimelineEvent.objects.filter(ticket=ticket, kind="triage").count() == 1


def test_a_state_that_does_not_allow_it_is_refused_naming_the_state() -> None:
    ticket = TicketFactory(status=Status.OPEN)
    erin = make_agent("Engineer", team=ticket.team)

    with pytest.raises(Refused) as refused:
        triage(ticket, erin)

    assert refused.value.message == "Triage is not possible while it is open"
    assert (state_of(ticket, "triage"), state_label(ticket, "triage")) == ("open", "open")


def test_the_permission_is_the_transitions_and_then_the_callers_rule() -> None:
    ticket = TicketFactory()
    customer = ticket.requester
    erin = make_agent("Engineer", team=ticket.team)

    with pytest.raises(PermissionDenied, match="Not you"):
        triage(ticket, customer, denied="Not you.")
    with pytest.raises(PermissionDenied, match="Not today"):
        triage(
            ticket, erin, allowed=lambda t, user: False, denied=lambda t, user: f"Not today, {user.username}."
        )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_a_refusal_lists_what_is_missing_and_keeps_nothing_of_the_input() -> None:
    ticket = TicketFactory(summary="Printer")
    erin = make_agent("Engineer", team=ticket.team)
    recorded: list[str] = []

    def prepare(locked: Ticket) -> None:
        locked.summary = "Typed by the engineer"
        locked.save(update_fields=["summary"])

    with pytest.raises(Refused) as refused:
        triage(
            ticket,
            erin,
            prepare=prepare,
            missing=lambda t: ["the business impact", "a category"],
            record=lambda t, source: recorded.append(source),
        )

    assert (refused.value.message, refused.value.missing) == (
        "Triage refused",
        ["the business impact", "a category"],
    )
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.summary, recorded) == (Status.NEW, "Printer", [])


def test_if_possible_leaves_a_row_whose_state_moved_on_as_it_is() -> None:
    ticket = TicketFactory(status=Status.OPEN)
    erin = make_agent("Engineer", team=ticket.team)
    steps: list[str] = []

    unchanged = triage(
        ticket,
        erin,
        if_possible=True,
        prepare=lambda t: steps.append("prepare"),
        record=lambda t, source: steps.append("record"),
        then=lambda t: steps.append("then"),
    )

    assert (unchanged.pk, unchanged.status, steps) == (ticket.pk, Status.OPEN, [])
    assert not TimelineEvent.objects.filter(ticket=ticket, kind="triage").exists()
