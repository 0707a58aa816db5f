"""The case clocks and the daily report in business time (the office calendar: Mon–Fri
09:00–17:00 London; 23 November 2026 is a Monday). Acknowledgement: 60 business minutes, a
warning at 75 %, both to the escalation managers' manager. Communication plan: the warning to
the escalation manager, the miss to their manager. The daily report: once per business day at
DAILY_REPORT_HOUR, to every escalation manager."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import override_settings
from django.urls import reverse

from accounts.models import Team, User
from cases.models import DailyReport, EscalationCase
from cases.services import core as case_core
from cases.services import daily_report as case_daily_report
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import updates as case_updates
from cases.services.core import PlanItem, Review
from clocks.models import Clock, ClockState
from clocks.sweep import sweep_due_deadlines
from notifications.models import Notification
from tests_support.factories import make_agent
from tickets.models import Ticket
from tickets.services.lifecycle import ticket_cancel

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

REVIEW = Review(problem_statement_correct=True, business_impact="Salaries cannot be paid on Friday.")


@pytest.fixture
def desk(world: World) -> dict[str, User]:
    """An "Escalation Management" team: esme is a member, elena its manager."""
    elena = make_agent("Team manager", username="elena")
    team = Team.objects.create(name="Escalation Management", manager=elena)
    esme = make_agent("Escalation manager", team=team, username="esme")
    return {"esme": esme, "elena": elena}


def ask(ticket: Ticket, carla: User) -> EscalationCase:
    return case_requests.case_request(
        ticket=ticket, actor=carla, reason="critical_impact", level="next_tier", review=REVIEW
    )


def sweep(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sweep_due_deadlines()


def notified(kind: str) -> list[tuple[str, datetime]]:
    return [
        (n.recipient.username, n.created_at)
        for n in Notification.objects.filter(kind=f"escalations.{kind}", channel="in_app")
        .select_related("recipient")
        .order_by("created_at", "recipient__username")
    ]


def clock_events(ticket: Ticket) -> list[tuple[str, datetime, list[str]]]:
    return [
        (e.kind, e.at, sorted(e.details["notified"]))
        for e in ticket.events.filter(
            kind__in=["case_ack_warning", "case_ack_breach", "case_update_due", "case_update_missed"]
        ).order_by("at", "pk")
    ]


def test_the_escalation_managers_manager_hears_of_a_late_acknowledgement_across_the_night(
    world: World, desk: dict[str, User]
) -> None:
    esme = desk["esme"]
    assert case_core.managers_of(esme) == [desk["elena"]]
    with time_machine.travel(at(23, 16, 30), tick=False):
        ticket = triaged(world)
        case = ask(ticket, world["carla"])
    clock = Clock.objects.get(kind=case_core.ACK_CLOCK, object_id=case.pk)
    # 30 business minutes on Monday, the rest on Tuesday morning.
    assert (clock.warn_at, clock.due_at) == (at(24, 9, 15), at(24, 9, 30))
    sweep(at(23, 23, 59))
    sweep(at(24, 9, 14))
    assert clock_events(ticket) == []
    sweep(at(24, 9, 15))
    assert clock_events(ticket) == [("case_ack_warning", at(24, 9, 15), ["elena", "esme"])]
    assert notified("case_ack_warning") == [("elena", at(24, 9, 15)), ("esme", at(24, 9, 15))]
    warning = ticket.events.get(kind="case_ack_warning")
    assert (warning.reason, warning.is_public) == (
        f"The escalation of {ticket.reference} is not acknowledged yet; it must be by Tue 24 Nov 09:30.",
        False,
    )
    sweep(at(24, 9, 29))
    assert notified("case_ack_breach") == []
    sweep(at(24, 9, 30))
    sweep(at(24, 9, 45))  # once only
    assert notified("case_ack_breach") == [("elena", at(24, 9, 30))]
    assert clock_events(ticket)[1:] == [("case_ack_breach", at(24, 9, 30), ["elena"])]
    with time_machine.travel(at(24, 9, 40), tick=False):
        case_plans.case_acknowledge(case=case, actor=esme)
    assert ticket.events.get(kind="case_acknowledged").details["late"] is True
    assert Clock.objects.get(pk=clock.pk).state == ClockState.STOPPED


def test_a_request_on_friday_evening_is_due_on_monday_morning(world: World, desk: dict[str, User]) -> None:
    with time_machine.travel(at(27, 16, 50), tick=False):
        ticket = triaged(world)
        case = ask(ticket, world["carla"])
    clock = Clock.objects.get(kind=case_core.ACK_CLOCK, object_id=case.pk)
    assert (clock.warn_at, clock.due_at) == (at(30, 9, 35), at(30, 9, 50))
    for moment in (at(28, 12), at(29, 23), at(30, 9, 34)):
        sweep(moment)
    assert clock_events(ticket) == []
    sweep(at(30, 9, 35))
    sweep(at(30, 9, 50))
    assert clock_events(ticket) == [
        ("case_ack_warning", at(30, 9, 35), ["elena", "esme"]),
        ("case_ack_breach", at(30, 9, 50), ["elena"]),
    ]
    # Acknowledged in time on another case: no warning, not late.
    with time_machine.travel(at(30, 10), tick=False):
        other = triaged(world)
        on_time = ask(other, world["carla"])
    with time_machine.travel(at(30, 10, 40), tick=False):
        case_plans.case_acknowledge(case=on_time, actor=desk["esme"])
    sweep(at(30, 12))
    assert clock_events(other) == []
    assert other.events.get(kind="case_acknowledged").details["late"] is False


def test_no_escalation_management_team_means_leadership_hears_of_the_breach(world: World) -> None:
    make_agent("Escalation manager", username="esme")
    make_agent("Leadership", username="leah")
    with time_machine.travel(at(23, 10), tick=False):
        ticket = triaged(world)
        ask(ticket, world["carla"])
    sweep(at(23, 10, 45))
    sweep(at(23, 11))
    assert clock_events(ticket) == [
        ("case_ack_warning", at(23, 10, 45), ["esme", "leah"]),
        ("case_ack_breach", at(23, 11), ["leah"]),
    ]


def test_a_missed_update_warns_the_manager_then_their_manager_and_an_update_restarts_the_clock(
    world: World, desk: dict[str, User]
) -> None:
    esme = desk["esme"]
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        case = ask(ticket, world["carla"])
        case_plans.case_acknowledge(case=case, actor=esme)
        travel.move_to(at(23, 10))
        case_plans.case_activate(
            case=case,
            actor=esme,
            action_plan=[PlanItem(world["erin"], "Fix", date(2026, 11, 25))],
            mode="phone",
            update_every_minutes=120,
            required_attendees="Carla",
            first_call_at=at(23, 11),
        )
    clock = Clock.objects.get(kind=case_core.UPDATE_CLOCK, object_id=case.pk)
    assert (clock.warn_at, clock.due_at) == (at(23, 11, 30), at(23, 12))
    sweep(at(23, 11, 29))
    assert clock_events(ticket) == []
    sweep(at(23, 11, 30))
    assert notified("case_update_due") == [("esme", at(23, 11, 30))]
    sweep(at(23, 12))
    assert notified("case_update_missed") == [("elena", at(23, 12)), ("esme", at(23, 12))]
    assert clock_events(ticket) == [
        ("case_update_due", at(23, 11, 30), ["esme"]),
        ("case_update_missed", at(23, 12), ["elena", "esme"]),
    ]

    # The late update is marked late; the next is due a period later.
    with time_machine.travel(at(23, 12, 10), tick=False):
        late = case_updates.case_log_update(case=case, actor=esme, mode="phone", summary="Still reproducing")
    assert late.was_late is True
    assert Clock.objects.get(pk=clock.pk).state == ClockState.STOPPED
    second = Clock.objects.get(kind=case_core.UPDATE_CLOCK, object_id=case.pk, state=ClockState.RUNNING)
    assert (second.warn_at, second.due_at) == (at(23, 13, 40), at(23, 14, 10))
    with time_machine.travel(at(23, 13), tick=False):
        on_time = case_updates.case_log_update(case=case, actor=esme, mode="email", summary="Fix found")
    assert on_time.was_late is False
    third = Clock.objects.get(kind=case_core.UPDATE_CLOCK, object_id=case.pk, state=ClockState.RUNNING)
    # 13:00 + 2 business hours.
    assert third.due_at == at(23, 15)
    sweep(at(23, 14, 29))
    assert len(clock_events(ticket)) == 2  # the restarted clocks have not warned
    with time_machine.travel(at(23, 16), tick=False):
        evening = case_updates.case_log_update(
            case=case, actor=esme, mode="phone", summary="Deploying tomorrow"
        )
    assert evening.was_late is True  # 15:00 passed (before any sweep saw it)
    # ...and the manager still hears of the miss, when the late update is logged.
    assert clock_events(ticket)[-1] == ("case_update_missed", at(23, 16), ["elena", "esme"])
    fourth = Clock.objects.get(kind=case_core.UPDATE_CLOCK, object_id=case.pk, state=ClockState.RUNNING)
    assert (fourth.warn_at, fourth.due_at) == (at(24, 9, 30), at(24, 10))
    sweep(at(24, 9, 30))
    assert clock_events(ticket)[-1] == ("case_update_due", at(24, 9, 30), ["esme"])
    assert [u.was_late for u in case.updates.all()] == [True, False, True]


# --- the daily report ---------------------------------------------------------------------------


def open_cases(world: World) -> list[EscalationCase]:
    with time_machine.travel(at(23, 9), tick=False):
        first = ask(triaged(world, summary="Payroll export fails"), world["carla"])
        second = ask(triaged(world, summary="Invoices print blank"), world["carla"])
    return [first, second]


@override_settings(DAILY_REPORT_HOUR=7)
def test_the_daily_report_goes_once_per_business_day_at_the_hour(world: World, desk: dict[str, User]) -> None:
    make_agent("Escalation manager", username="emil")
    first, second = open_cases(world)
    assert case_daily_report.daily_report_send(now=at(24, 6, 59)) is None
    assert not DailyReport.objects.exists()
    report = case_daily_report.daily_report_send(now=at(24, 7))
    assert report is not None
    assert (report.day, report.open_cases, sorted(report.recipients)) == (
        date(2026, 11, 24),
        2,
        ["emil", "esme"],
    )
    for moment in (at(24, 7, 10), at(24, 12), at(24, 23, 59)):
        assert case_daily_report.daily_report_send(now=moment) is None
    assert DailyReport.objects.count() == 1
    rows = Notification.objects.filter(kind="escalations.daily_report", channel="in_app")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["emil", "esme"]
    sent = rows.get(recipient=desk["esme"])
    assert sent.link == reverse("desk:escalation_report") + "?date=2026-11-24"
    assert (sent.context["count"], sent.context["day"]) == (2, "Tuesday 24 November 2026")
    message = sent.context["message"]
    assert message.startswith("2 open escalation(s) on Tuesday 24 November 2026:\n")
    for case in (first, second):
        assert f"- {case.ticket.reference} {case.ticket.summary} (Acme Manufacturing): Requested" in message
    assert "manager not assigned" in message
    assert sent.subject == "Daily escalation report, Tuesday 24 November 2026: 2 open"

    # Not at the weekend; Monday's goes at 07:00 (the beat asks every 10 minutes).
    with time_machine.travel(at(28, 8), tick=False):
        ticket_cancel(ticket=first.ticket, actor=world["erin"], reason="withdrawn", note="Done")
    for moment in (at(28, 7), at(28, 10), at(29, 9), at(30, 6, 50)):
        assert case_daily_report.daily_report_send(now=moment) is None
    assert case_daily_report.daily_report_send(now=at(30, 7, 0)).open_cases == 1
    assert list(DailyReport.objects.order_by("day").values_list("day", "open_cases")) == [
        (date(2026, 11, 24), 2),
        (date(2026, 11, 30), 1),
    ]
    monday = Notification.objects.get(
        kind="escalations.daily_report",
        channel="in_app",
        recipient=desk["esme"],
        dedup_key="daily-report:2026-11-30",
    )
    assert second.ticket.reference in monday.context["message"]
    assert first.ticket.reference not in monday.context["message"]


@override_settings(DAILY_REPORT_HOUR=8)
def test_the_beat_task_sends_through_daily_report_send(world: World, desk: dict[str, User]) -> None:
    from cases.tasks import send_daily_report

    open_cases(world)
    with time_machine.travel(at(24, 7, 50), tick=False):
        assert send_daily_report() == "not due"
    with time_machine.travel(at(24, 8, 0), tick=False):
        assert send_daily_report() == "sent for 2026-11-24"
    with time_machine.travel(at(24, 8, 10), tick=False):
        assert send_daily_report() == "not due"
    assert Notification.objects.filter(kind="escalations.daily_report", channel="in_app").count() == 1


def test_report_rows_of_a_past_day_include_cases_closed_since(world: World, desk: dict[str, User]) -> None:
    esme = desk["esme"]
    first, second = open_cases(world)
    with time_machine.travel(at(24, 10), tick=False):
        case_plans.case_acknowledge(case=second, actor=esme)
        later = ask(triaged(world, summary="Login page slow"), world["carla"])
    with time_machine.travel(at(25, 11), tick=False):
        ticket_cancel(ticket=first.ticket, actor=world["erin"], reason="withdrawn", note="Done")
    with time_machine.travel(at(26, 12), tick=False):
        assert [row["case"] for row in case_daily_report.report_rows(date(2026, 11, 23))] == [first, second]
        assert [row["case"] for row in case_daily_report.report_rows(date(2026, 11, 24))] == [
            first,
            second,
            later,
        ]
        assert [row["case"] for row in case_daily_report.report_rows(date(2026, 11, 25))] == [second, later]
        rows = case_daily_report.report_rows(date(2026, 11, 26))
    assert [(r["case"], r["status"], r["manager"], r["level"]) for r in rows] == [
        (second, "Acknowledged", esme, "The next support tier"),
        (later, "Requested", None, "The next support tier"),
    ]
    # Ages in hours up to now (today) or to the end of a past day.
    assert [r["age_hours"] for r in rows] == [75, 50]
    with time_machine.travel(at(26, 12), tick=False):
        assert [r["age_hours"] for r in case_daily_report.report_rows(date(2026, 11, 23))] == [15, 15]


@pytest.mark.django_db(transaction=True)
@override_settings(DAILY_REPORT_HOUR=8)
def test_two_workers_sending_the_report_at_once_send_it_once(
    world: World, desk: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    open_cases(world)
    rows = case_daily_report.report_rows
    calls = 0

    def slow_rows(day: date) -> list:
        nonlocal calls
        calls += 1
        found = rows(day)
        time.sleep(0.3)  # both workers are past the "already sent?" check before either writes
        return found

    monkeypatch.setattr(case_daily_report, "report_rows", slow_rows)
    barrier = threading.Barrier(2)
    results: list[object] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            results.append(case_daily_report.daily_report_send(now=at(24, 8, 0)))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r is None for r in results) == [False, True]
    assert calls == 2  # both really raced
    assert DailyReport.objects.count() == 1
    assert Notification.objects.filter(kind="escalations.daily_report", channel="in_app").count() == 1


def test_an_acknowledgement_after_the_due_instant_is_late_even_before_the_sweep_saw_it(
    world: World, desk: dict[str, User]
) -> None:
    with time_machine.travel(at(23, 10), tick=False):
        ticket = triaged(world)
        case = ask(ticket, world["carla"])
    with time_machine.travel(at(23, 11), tick=False):  # exactly 60 business minutes
        case_plans.case_acknowledge(case=case, actor=desk["esme"])
    assert ticket.events.get(kind="case_acknowledged").details["late"] is True
    assert clock_events(ticket) == []
    sweep(at(23, 12))  # the stopped clock fires nothing
    assert clock_events(ticket) == []


@override_settings(DAILY_REPORT_HOUR=8)
def test_the_daily_report_command_prints_a_day_and_sends_today_once(
    world: World, desk: dict[str, User]
) -> None:
    first, second = open_cases(world)
    out = StringIO()
    call_command("daily_report", "--date", "2026-11-23", stdout=out)
    printed = out.getvalue().splitlines()
    assert printed[0] == "Open escalations on Monday 23 November 2026: 2"
    assert [line.split(" ", 2)[1] for line in printed[1:]] == [
        first.ticket.reference,
        second.ticket.reference,
    ]

    with time_machine.travel(at(24, 7, 59), tick=False):
        early = StringIO()
        call_command("daily_report", "--send", stdout=early)
    with time_machine.travel(at(24, 8, 5), tick=False):
        sent, again = StringIO(), StringIO()
        call_command("daily_report", "--send", stdout=sent)
        call_command("daily_report", "--send", stdout=again)
    assert early.getvalue().startswith("Not due")
    assert sent.getvalue().strip() == "Sent the report of 2026-11-24: 2 open escalation(s)."
    assert again.getvalue().startswith("Not due")
    assert DailyReport.objects.count() == 1
    with pytest.raises(CommandError, match="is not a date"):
        call_command("daily_report", "--date", "24/11/2026")
