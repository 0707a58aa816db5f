"""The ticket's SLA clocks walk warn → breach in business time, pause while waiting on the
customer, and the confirmation window closes an unanswered resolution (SPEC §2, §4)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import User
from clocks.models import BusinessCalendar, Clock, WorkingWindow
from clocks.services import clock_status
from clocks.sweep import sweep_due_deadlines
from tickets import sla
from tickets.models import Service, SlaTarget, Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_update_intake
from tickets.services.lifecycle import (
    ticket_await_customer,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
    ticket_triage,
)

LONDON = ZoneInfo("Europe/London")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in London in the week of Monday 23 November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def office(service: Service) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="London office", time_zone="Europe/London")
    for weekday in range(5):
        WorkingWindow.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(17))
    service.calendar = calendar
    service.save()
    SlaTarget.objects.create(priority="P2", first_response_minutes=60, resolution_minutes=480)
    SlaTarget.objects.create(priority="P1", first_response_minutes=15, resolution_minutes=240)
    return calendar


def clocks(ticket: Ticket) -> dict[str, Clock]:
    return {c.kind: c for c in Clock.objects.filter(ticket=ticket)}


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines(now=moment)


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("pk").values_list("kind", flat=True))


def test_it_walks_a_ticket_through_warning_and_breach_with_a_pause(
    ticket: Ticket, engineer: User, customer: User, office: BusinessCalendar
) -> None:
    with time_machine.travel(at(23, 16), tick=False):
        ticket_triage(ticket=ticket, actor=engineer)
    first, resolution = clocks(ticket)[sla.FIRST_RESPONSE], clocks(ticket)[sla.RESOLUTION]
    assert (first.warn_at, first.due_at) == (at(23, 16, 45), at(23, 17))
    assert (resolution.warn_at, resolution.due_at) == (at(24, 14), at(24, 16))

    sweep_at(at(23, 16, 44))
    assert "sla_warning" not in kinds(ticket)
    sweep_at(at(23, 16, 46))
    assert kinds(ticket)[-1] == "sla_warning"
    sweep_at(at(23, 17, 1))
    assert kinds(ticket)[-1] == "sla_breach"
    sweep_at(at(23, 17, 2))
    assert kinds(ticket).count("sla_breach") == 1, "a breach fires once"

    # Tuesday: work starts, the engineer answers, then waits on the customer for three hours.
    with time_machine.travel(at(24, 9, 30), tick=False):
        ticket_start(ticket=ticket, actor=engineer)
        ticket_comment(ticket=ticket, actor=engineer, body="Looking at the export logs now.")
    with time_machine.travel(at(24, 10), tick=False):
        ticket_await_customer(ticket=ticket, actor=engineer, reason="Send the export log")
    sweep_at(at(24, 14, 30))  # the old warning instant passes while paused: nothing fires
    assert kinds(ticket).count("sla_warning") == 1
    with time_machine.travel(at(24, 13), tick=False):
        ticket_comment(ticket=ticket, actor=customer, body="Log attached.")

    resolution.refresh_from_db()
    assert resolution.accumulated_seconds == 120 * 60  # Monday 16-17 and Tuesday 9-10
    assert (resolution.warn_at, resolution.due_at) == (at(24, 17), at(25, 11))
    sweep_at(at(24, 17, 1))
    assert kinds(ticket).count("sla_warning") == 2
    sweep_at(at(25, 11, 1))
    assert kinds(ticket)[-1] == "sla_breach"
    assert clock_status(resolution, at(25, 12))["state"] == "breached"
    first.refresh_from_db()
    assert first.state == "stopped" and ticket.__class__.objects.get(pk=ticket.pk).first_response_at


def test_it_retargets_the_clocks_when_the_priority_changes(
    ticket: Ticket, engineer: User, office: BusinessCalendar
) -> None:
    with time_machine.travel(at(23, 10), tick=False):
        ticket_triage(ticket=ticket, actor=engineer)
        ticket_update_intake(ticket=ticket, actor=engineer, priority="P1")

    assert clocks(ticket)[sla.FIRST_RESPONSE].due_at == at(23, 10, 15)
    assert clocks(ticket)[sla.RESOLUTION].due_at == at(23, 14)


def test_it_closes_an_unanswered_resolution_when_the_confirmation_window_passes(
    ticket: Ticket, engineer: User, customer: User, office: BusinessCalendar
) -> None:
    with time_machine.travel(at(25, 12), tick=False):
        ticket_triage(ticket=ticket, actor=engineer)
        ticket_start(ticket=ticket, actor=engineer)
        ticket_resolve(
            ticket=ticket,
            actor=engineer,
            resolution_summary="Raised the timeout",
            root_cause="Slow tax service",
            fix_kind="permanent",
        )
    # Five business days after Wednesday: Thu, Fri, Mon, Tue, Wed -> Wednesday 2 December, 17:00.
    window_end = datetime(2026, 12, 2, 17, tzinfo=LONDON)
    assert sla.add_business_days(office, at(25, 12), 5) == window_end

    sweep_at(datetime(2026, 12, 2, 16, 59, tzinfo=LONDON))
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"
    sweep_at(datetime(2026, 12, 2, 17, 1, tzinfo=LONDON))
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.close_kind == "auto_closed"
    assert kinds(ticket)[-1] == "close_unconfirmed"
    assert all(c.state == "stopped" for c in clocks(ticket).values())


def test_it_keeps_the_window_from_closing_a_reopened_ticket(
    ticket: Ticket, engineer: User, customer: User, office: BusinessCalendar
) -> None:
    with time_machine.travel(at(25, 12), tick=False):
        ticket_triage(ticket=ticket, actor=engineer)
        ticket_start(ticket=ticket, actor=engineer)
        ticket_resolve(
            ticket=ticket, actor=engineer, resolution_summary="x", root_cause="y", fix_kind="workaround"
        )
    with time_machine.travel(at(26, 10), tick=False):
        ticket_reopen(ticket=ticket, actor=customer, reason="Still failing")

    sweep_at(datetime(2026, 12, 3, 9, tzinfo=LONDON))
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert clocks(ticket)[sla.RESOLUTION].state == "running"


def test_it_shows_each_clock_in_the_api_queue_and_on_the_ticket_page(
    client, ticket: Ticket, engineer: User, office: BusinessCalendar
) -> None:
    from rest_framework.test import APIClient

    with time_machine.travel(at(23, 16), tick=False):
        ticket_triage(ticket=ticket, actor=engineer)
    api = APIClient()
    api.force_authenticate(engineer)
    client.force_login(engineer)

    with time_machine.travel(at(23, 16, 50), tick=False):
        detail = api.get(f"/api/tickets/{ticket.pk}/").json()
        row = api.get("/api/tickets/").json()["results"][0]
        soon = [t["id"] for t in api.get("/api/tickets/", {"sla": "soon"}).json()["results"]]
        queue = client.get("/desk/queue/", {"sla": "soon"}).content.decode()
        page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()

    first = {c["kind"]: c for c in detail["clocks"]}[sla.FIRST_RESPONSE]
    assert first == {
        "kind": sla.FIRST_RESPONSE,
        "label": "First response",
        "state": "warning",
        "target": 3600,
        "elapsed": 3000,
        "remaining": 600,
        "paused": False,
        "due_at": "2026-11-23T17:00:00Z",
        "warn_at": "2026-11-23T16:45:00Z",
        "breached_at": None,
    }
    assert row["clocks"] == detail["clocks"]
    assert soon == [ticket.pk]
    assert ticket.reference in queue and "First response: 10m left" in queue
    assert 'class="sla sla-warning"' in page


def test_it_notifies_the_assignee_of_a_warning_and_the_team_leader_of_a_breach(
    ticket: Ticket, engineer: User, team_leader: User, office: BusinessCalendar
) -> None:
    from notifications.models import Notification

    with time_machine.travel(at(23, 16), tick=False):
        ticket_triage(ticket=ticket, actor=engineer)
        ticket_start(ticket=ticket, actor=engineer)
    sweep_at(at(23, 16, 46))
    sweep_at(at(23, 17, 1))
    sweep_at(at(23, 17, 2))

    rows = Notification.objects.filter(channel="in_app").order_by("pk")
    assert [(n.recipient, n.kind) for n in rows] == [
        (engineer, "ticket.sla_warning"),
        (team_leader, "ticket.sla_breach"),
    ]
    assert rows[1].subject == f"[{ticket.reference}] First response time frame breached: {ticket.summary}"
    assert rows[1].link == f"/desk/tickets/{ticket.pk}/"
    breach = ticket.events.get(kind="sla_breach")
    assert breach.details["notified"] == [team_leader.username]

    from notifications.services import render_email

    mail_row = Notification.objects.get(channel="email", kind="ticket.sla_breach")
    text = render_email(mail_row).body
    assert (
        "The first response time frame of this ticket is breached (it was due Mon 23 Nov 2026 17:00 GMT)"
        in text
    )
