"""Closed and cancelled are final; duplicates stay within one organisation; steps keep their tier."""

from __future__ import annotations

import pytest

from accounts.models import Team, User
from escalation_desk.domain import Refused
from tests_support.factories import TicketFactory, make_agent
from tickets.models import Comment, Ticket, TimelineEvent
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_cancel
from tickets.services.steps import ticket_add_step

from .test_lifecycle import drive_to


@pytest.mark.parametrize("state", ["closed", "cancelled"])
@pytest.mark.parametrize("who", ["customer", "engineer"])
def test_it_refuses_comments_on_a_finished_ticket(
    request: pytest.FixtureRequest, ticket: Ticket, engineer: User, state: str, who: str
) -> None:
    drive_to(ticket, state, engineer)
    events = TimelineEvent.objects.filter(ticket=ticket).count()

    with pytest.raises(Refused) as refusal:
        ticket_comment(ticket=ticket, actor=request.getfixturevalue(who), body="Any news?")

    assert "open a follow-up ticket instead" in refusal.value.missing[0]
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert TimelineEvent.objects.filter(ticket=ticket).count() == events


def test_it_refuses_a_duplicate_of_another_organisations_ticket(
    ticket: Ticket, engineer: User, other_org: object
) -> None:
    foreign = TicketFactory(organisation=other_org)

    with pytest.raises(Refused) as refusal:
        ticket_cancel(ticket=ticket, actor=engineer, reason="duplicate", duplicate_of=foreign)

    assert refusal.value.missing == ["a duplicate ticket of the same organisation"]
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_it_files_a_helpers_step_under_their_own_team(ticket: Ticket, engineer: User, tier2: Team) -> None:
    drive_to(ticket, "in_progress", engineer)
    helper = make_agent("Engineer", team=tier2, username="hal")

    own = ticket_add_step(ticket=ticket, actor=engineer, kind="basic_check", action="a", outcome="b")
    helped = ticket_add_step(ticket=ticket, actor=helper, kind="log_analysis", action="c", outcome="d")

    assert own.team.name == "Tier 1"
    assert helped.team == tier2
