"""The organisation's request list (filters, search, pages, htmx) and the new request form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from tests_support.factories import TicketFactory
from tickets.models import Attachment, Channel, Status, Ticket, TimelineEvent

from .helpers import milestone, page, request_input


def make_requests(org: Any, customer: User, n: int, **kwargs: Any) -> list[Ticket]:
    now = timezone.now()
    return Ticket.objects.bulk_create(
        [
            Ticket(
                organisation=org,
                requester=customer,
                created_by=customer,
                channel="portal",
                summary=kwargs.get("summary", f"Request number {i}"),
                created_at=now - timedelta(minutes=i),
                status=kwargs.get("status", Status.NEW),
            )
            for i in range(n)
        ]
    )


@pytest.fixture
def mixed(org: Any, other_org: Any, customer: User, other_customer: User) -> dict[str, Ticket]:
    def one(name: str, status: str, organisation: Any = org, requester: User = customer) -> Ticket:
        return TicketFactory(
            organisation=organisation, requester=requester, created_by=requester, summary=name, status=status
        )

    return {
        "new": one("Printer offline in Leeds", Status.NEW),
        "waiting": one("VPN drops every hour", Status.WAITING_ON_CUSTOMER),
        "resolved": one("Payslip totals wrong", Status.RESOLVED),
        "closed": one("Old invoice export", Status.CLOSED),
        "cancelled": one("Duplicate of the printer one", Status.CANCELLED),
        "globex": one("Globex warehouse scanner", Status.NEW, other_org, other_customer),
    }


def listed(client: Client, **params: Any) -> list[str]:
    response = client.get(reverse("portal:home"), params)
    assert response.status_code == 200
    return page(response).references()


def refs(tickets: dict[str, Ticket], *names: str) -> list[str]:
    return [tickets[n].reference for n in names]


def test_it_lists_the_organisations_open_requests_newest_first(
    carla: Client, mixed: dict[str, Ticket]
) -> None:
    assert listed(carla) == refs(mixed, "resolved", "waiting", "new")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"show": "closed"}, ["cancelled", "closed"]),
        ({"show": "all"}, ["cancelled", "closed", "resolved", "waiting", "new"]),
        ({"status": "waiting_on_customer"}, ["waiting"]),
        ({"status": "closed", "show": "open"}, ["closed"]),  # a chosen status wins
        ({"q": "payslip"}, ["resolved"]),
        ({"q": "printer", "show": "all"}, ["cancelled", "new"]),
        ({"q": "globex", "show": "all"}, []),
    ],
    ids=["closed", "all", "status", "status-wins", "search", "search-all", "other-org-text"],
)
def test_it_filters_and_searches_the_requests(
    carla: Client, mixed: dict[str, Ticket], params: dict[str, str], expected: list[str]
) -> None:
    assert listed(carla, **params) == refs(mixed, *expected)


def test_it_finds_a_request_by_its_reference_whatever_its_state(
    carla: Client, mixed: dict[str, Ticket]
) -> None:
    closed = mixed["closed"]

    assert listed(carla, q=closed.reference) == [closed.reference]
    assert listed(carla, q=str(closed.pk)) == [closed.reference]
    assert listed(carla, q=mixed["globex"].reference) == []


def test_it_counts_what_needs_the_customer_at_a_glance(carla: Client, mixed: dict[str, Ticket]) -> None:
    html = page(carla.get(reverse("portal:home")))

    assert html.one(id="count-waiting").text == "1 waiting for your reply"
    assert html.one(id="count-to-check").text == "1 solved – please check"


def test_it_names_the_states_and_the_tier_in_plain_words(carla: Client, mixed: dict[str, Ticket]) -> None:
    html = page(carla.get(reverse("portal:home")))

    assert [n.text for n in html.select("span", cls="p-status")] == [
        "Solved – please check",
        "Waiting for your reply",
        "Received",
    ]
    results = html.one(id="results").text
    assert "Waiting on customer" not in results and "Resolved" not in results
    assert [td.text for td in html.select("td", data_label="Where it is")] == [
        "Waiting to be reviewed by our support team"
    ] * 3


def test_it_pages_the_list_by_20_and_keeps_the_filters(carla: Client, org: Any, customer: User) -> None:
    make_requests(org, customer, 45, summary="Scanner jams")

    first = page(carla.get(reverse("portal:home"), {"q": "scanner"}))
    third = page(carla.get(reverse("portal:home"), {"q": "scanner", "page": "3"}))

    assert len(first.references()) == 20 and len(third.references()) == 5
    older = next(a for a in first.select("a") if a.text == "Older →")
    assert older.attrs["href"] == "?q=scanner&page=2"


def test_it_answers_htmx_with_the_results_only(carla: Client, mixed: dict[str, Ticket]) -> None:
    response = carla.get(reverse("portal:home"), {"status": "resolved"}, headers={"HX-Request": "true"})

    assert b"<html" not in response.content
    assert page(response).references() == refs(mixed, "resolved")
    assert "HX-Request" in response["Vary"]


def test_it_ignores_filters_it_does_not_understand_and_says_so(
    carla: Client, mixed: dict[str, Ticket]
) -> None:
    response = carla.get(reverse("portal:home"), {"status": "hacked"})

    assert page(response).references() == refs(mixed, "resolved", "waiting", "new")
    assert page(response).one(cls="refusal").text.startswith("Some search choices were not understood")


# --- the new request form ------------------------------------------------------------------


def test_it_opens_a_request_from_the_portal_with_its_files(
    carla: Client, customer: User, service: Any
) -> None:
    files = [SimpleUploadedFile("screen.png", b"\x89PNG fake"), SimpleUploadedFile("export.log", b"ERR-504")]

    response = carla.post(reverse("portal:request_new"), request_input(service=service.pk, files=files))

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == reverse("portal:request", args=[ticket.pk])
    assert (ticket.organisation, ticket.requester, ticket.created_by, ticket.channel) == (
        customer.organisation,
        customer,
        customer,
        Channel.PORTAL,
    )
    assert (ticket.symptoms, ticket.recent_changes, ticket.critical_milestone, ticket.service) == (
        "The tax code column says 1257L for everyone.",
        "We installed the April update on Sunday.",
        milestone(),
        service,
    )
    assert ticket.team == service.default_team  # reaches the service's first team straight away
    assert sorted(
        Attachment.objects.filter(ticket=ticket, is_internal=False).values_list("original_name", flat=True)
    ) == ["export.log", "screen.png"]
    assert TimelineEvent.objects.get(ticket=ticket, kind="created").details == {"channel": "portal"}


def test_it_offers_no_staff_only_intake_and_ignores_it_when_posted(
    carla: Client, customer: User, service: Any, category: Any
) -> None:
    from portal.forms import RequestForm
    from tickets.permissions import STAFF_ONLY_INTAKE_FIELDS

    assert set(RequestForm().fields).isdisjoint(STAFF_ONLY_INTAKE_FIELDS)
    response = carla.post(
        reverse("portal:request_new"),
        {**request_input(service=service.pk), "priority": "P1", "category": category.pk},
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.priority, ticket.category_id) == ("", None)


def test_it_keeps_what_was_typed_when_the_form_is_incomplete(carla: Client) -> None:
    response = carla.post(
        reverse("portal:request_new"),
        request_input(
            summary="",
            business_impact="",
            critical_milestone="not a date",
            files=[SimpleUploadedFile("screen.png", b"png")],
        ),
    )

    html = page(response)
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert html.value("description") == "Since Monday every payslip uses the old tax code."
    assert html.value("recent_changes") == "We installed the April update on Sunday."
    assert html.value("critical_milestone") == "not a date"
    assert set(html.errors()) == {"This field is required.", "Enter a valid date."}
    assert html.one(cls="files-again").text.startswith("For your safety, files are not kept")


def test_it_refuses_a_file_of_a_forbidden_type_and_keeps_the_text(carla: Client) -> None:
    response = carla.post(
        reverse("portal:request_new"), request_input(files=[SimpleUploadedFile("virus.exe", b"MZ")])
    )

    html = page(response)
    assert response.status_code == 400 and Ticket.objects.count() == 0
    assert html.errors()[0].startswith('"virus.exe": files of type ".exe" are not accepted')
    assert html.value("summary") == "Payslips show last month's tax code"
    assert html.by_id("request-form").select(cls="files-again")


def test_it_ignores_staff_fields_posted_by_hand_on_a_new_request(
    carla: Client,
    customer: User,
    other_org: Any,
    other_customer: User,
    tier2: Team,
    engineer: User,
    service: Any,
) -> None:
    response = carla.post(
        reverse("portal:request_new"),
        request_input(
            service=service.pk,
            priority="P1",
            status="resolved",
            team=tier2.pk,
            assignee=engineer.pk,
            channel="phone",
            organisation=other_org.pk,
            requester=other_customer.pk,
            category=1,
            is_internal="on",
            tier=1,
        ),
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.priority, ticket.status, ticket.team, ticket.assignee, ticket.channel) == (
        "",
        "new",
        service.default_team,
        None,
        "portal",
    )
    assert (ticket.organisation, ticket.requester, ticket.category) == (customer.organisation, customer, None)
    assert not Attachment.objects.filter(ticket=ticket, is_internal=True).exists()


def test_it_shows_no_staff_fields_on_the_form(carla: Client) -> None:
    html = page(carla.get(reverse("portal:request_new")))

    names = {n.attrs.get("name") for n in html.select() if n.tag in ("input", "select", "textarea")}
    assert names == {
        "csrfmiddlewaretoken",
        "summary",
        "description",
        "symptoms",
        "replication_steps",
        "error_messages",
        "recent_changes",
        "business_impact",
        "workaround",
        "critical_milestone",
        "service",
        "files",
    }


def test_it_answers_htmx_history_restoration_with_the_whole_page(
    carla: Client, mixed: dict[str, Ticket]
) -> None:
    response = carla.get(
        reverse("portal:home"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert b"<html" in response.content
    assert page(response).references() == refs(mixed, "resolved", "waiting", "new")
