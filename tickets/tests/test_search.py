"""Search (issue 12, point 2): a reference is one lookup, words use the full-text index, fragments of
error codes the trigram index; the queue, My work and the API all ask tickets.search.

Behaviour both databases share runs on either; stemming, prefixes, the trigger and the indexes are
PostgreSQL's and skip elsewhere.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests_support.factories import OrganisationFactory, TeamFactory, TicketFactory, make_agent, make_customer
from tickets import search, selectors
from tickets.models import Status, Ticket
from tickets.selectors import QueueFilters

pytestmark = pytest.mark.django_db
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
)


@pytest.fixture
def engineer() -> User:
    return make_agent("Engineer", username="erin")


def found(user: User, q: str, **filters: object) -> list[str]:
    tickets = selectors.ticket_queue(user=user, filters=QueueFilters(q=q, **filters))
    return [t.summary for t in tickets]


def ticket(summary: str, **fields: object) -> Ticket:
    defaults = {
        "description": "Nothing in common.",
        "symptoms": "-",
        "error_messages": "",
        "organisation": OrganisationFactory(name=f"Customer {summary[:20]}"),
    }
    return TicketFactory(summary=summary, **{**defaults, **fields})


def test_a_reference_finds_that_ticket_alone_whatever_its_state(engineer: User) -> None:
    wanted = ticket("Printer offline", status=Status.CLOSED)
    ticket(f"Mentions ED-{wanted.pk:06d} in its summary")
    for typed in (f"ED-{wanted.pk:06d}", f"ed-{wanted.pk}", f" ED{wanted.pk} "):
        assert found(engineer, typed, open_only=True) == ["Printer offline"], typed


def test_a_bare_number_is_that_ticket_first_then_the_tickets_whose_text_holds_it(engineer: User) -> None:
    ticket("Unrelated")
    wanted = ticket("Wanted")
    ticket("Export fails", error_messages=f"ERR-{wanted.pk} upstream")
    assert found(engineer, str(wanted.pk)) == ["Wanted", "Export fails"]


def test_every_word_must_match_in_any_field_and_the_organisation_name_too(engineer: User) -> None:
    ticket("Payroll export stops", description="The nightly file is empty.")
    ticket("Payroll slips late", description="Printing is slow.")
    ticket("Mail bounces", organisation=OrganisationFactory(name="Northwind Traders"))
    assert found(engineer, "payroll nightly") == ["Payroll export stops"]
    assert sorted(found(engineer, "payroll")) == ["Payroll export stops", "Payroll slips late"]
    assert found(engineer, "northwind") == ["Mail bounces"]
    assert found(engineer, "nothing like it") == []


def test_part_of_an_error_code_matches(engineer: User) -> None:
    ticket("Outlook cannot send", error_messages="0x80040154 Class not registered")
    ticket("Teams crashes", error_messages="0x80070005 Access denied")
    assert found(engineer, "0x8004") == ["Outlook cannot send"]
    assert found(engineer, "80070005") == ["Teams crashes"]


def test_the_best_match_comes_first(engineer: User) -> None:
    ticket("Export is slow", description="The printer queue is long.")
    ticket("Printer offline")
    ticket("Scanner jams", symptoms="The printer next to it works.")
    assert found(engineer, "printer")[0] == "Printer offline"


def test_a_customer_finds_only_their_organisations_tickets() -> None:
    acme = OrganisationFactory(name="Acme")
    carla = make_customer(acme, username="carla")
    mine = ticket("Printer offline", organisation=acme, requester=carla, created_by=carla)
    other = ticket("Printer offline elsewhere")
    assert found(carla, "printer") == ["Printer offline"]
    assert found(carla, f"ED-{other.pk:06d}") == []
    assert found(carla, f"ED-{mine.pk:06d}") == ["Printer offline"]


@pytest.mark.postgres
@needs_postgres
def test_words_are_stemmed_and_the_last_one_matches_as_a_prefix(engineer: User) -> None:
    ticket("Printers offline after the move")
    ticket("Payroll export")
    assert found(engineer, "printer") == ["Printers offline after the move"]
    assert found(engineer, "moving") == ["Printers offline after the move"]
    assert found(engineer, "offline prin") == ["Printers offline after the move"]


@pytest.mark.postgres
@needs_postgres
def test_the_trigger_keeps_the_vector_of_a_new_and_a_changed_ticket(engineer: User) -> None:
    changed = ticket("Export fails", description="The nightly file is empty.")
    assert found(engineer, "nightly") == ["Export fails"]
    Ticket.objects.filter(pk=changed.pk).update(description="The weekly file is empty.")
    assert found(engineer, "nightly") == []
    assert found(engineer, "weekly") == ["Export fails"]


def _plan(sql: str, params: tuple) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@needs_postgres
def test_a_search_is_answered_from_the_indexes_not_a_scan_of_every_ticket(engineer: User) -> None:
    TicketFactory.create_batch(5)
    searched = search.search_tickets(Ticket.objects.order_by(), "printer 0x8004")
    plan = _plan(*searched.query.sql_with_params())
    assert "Seq Scan on tickets_ticket" not in plan, plan
    for index in ("search_vector", "error_messages_trgm", "summary_trgm"):
        assert f"tickets_ticket_{index}" in plan, plan

    by_reference = search.search_tickets(Ticket.objects.order_by(), "ED-000123")
    plan = _plan(*by_reference.query.sql_with_params())
    assert "Seq Scan on tickets_ticket" not in plan and "tickets_ticket_pkey" in plan, plan


def test_my_work_and_the_api_search_the_same_way(client: Client, engineer: User) -> None:
    team = TeamFactory(name="Tier 1")
    team.members.add(engineer)
    ticket("Printer offline", team=team, assignee=engineer, status=Status.OPEN)
    ticket("Payroll export", team=team, assignee=engineer, status=Status.OPEN)
    client.force_login(engineer)

    page = client.get(reverse("desk:my_work"), {"q": "printer"}).content.decode()
    assert "Printer offline" in page and "Payroll export" not in page
    assert 'value="printer"' in page
    nothing = client.get(reverse("desk:my_work"), {"q": "<b>scanner</b>"}).content.decode()
    assert "Nothing assigned to you matches “&lt;b&gt;scanner&lt;/b&gt;”." in nothing

    answer = client.get("/api/tickets/", {"q": "printer"}).json()
    assert [row["summary"] for row in answer["results"]] == ["Printer offline"]
