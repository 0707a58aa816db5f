"""A broker outage loses nothing: work commits, clocks that fell due fire once and in order,
and every notification is delivered once when deliveries resume (SPEC §4, §8)."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from clocks.models import BusinessCalendar
from clocks.sweep import sweep_due_deadlines
from notifications.models import Channel, Notification, State
from notifications.services import redrive_undelivered
from notifications.tests.conftest import unreachable_broker  # noqa: F401  (fixture)
from tickets.models import Ticket
from tickets.services.lifecycle import ticket_start, ticket_triage

from .test_sla import at, kinds, office  # noqa: F401  (office is a fixture)

# Time keeps ticking here: the broker client's own time-outs must be able to expire.


def sweep_at(moment: object) -> None:
    with time_machine.travel(moment, tick=True):
        sweep_due_deadlines()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("unreachable_broker")
def test_it_loses_nothing_while_the_broker_is_down(
    ticket: Ticket,
    engineer: User,
    team_leader: User,
    office: BusinessCalendar,  # noqa: F811
) -> None:
    # The broker is unreachable (connection refused): transitions still commit.
    with time_machine.travel(at(23, 16), tick=True):
        ticket_triage(ticket=ticket, actor=engineer)
        ticket_start(ticket=ticket, actor=engineer)
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"

    # No sweep ran for hours (beat had nothing to send through); both points fell due meanwhile.
    sweep_at(at(24, 12))
    sweep_at(at(24, 12, 1))

    events = [k for k in kinds(ticket) if k.startswith("sla_")]
    assert events == ["sla_warning", "sla_breach"]  # the first response's, once each, in order
    email = Notification.objects.filter(channel=Channel.EMAIL)
    assert email.count() == 2 and set(email.values_list("state", flat=True)) == {State.PENDING}
    assert mail.outbox == []

    # Deliveries resume: each stored notification goes out once, and only once.
    with time_machine.travel(at(24, 12, 5), tick=True):
        assert redrive_undelivered() == 2
        assert redrive_undelivered(now=at(24, 13)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([engineer.email, team_leader.email])
    assert set(email.values_list("state", flat=True)) == {State.SENT}
