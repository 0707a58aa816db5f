"""Input nothing can store or read answers 400 everywhere, never a 500 (issue 10, point 8).

On PostgreSQL a NUL character in a string literal fails the query itself ("A string literal
cannot contain NUL"), so before the input guard ?q=a%00b answered 500 there; "²".isdigit() is
true but int("²") fails, so a filter that trusted isdigit() did too.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from escalations.presets import load_presets
from tickets.models import Attachment, Ticket
from tickets.tests.api_helpers import api_client, ticket_url

NUL_MESSAGE = "Null characters and unpaired surrogates are not allowed."


def staff(admin_user: User) -> APIClient:
    return api_client(admin_user)


@pytest.fixture
def tier_id(db) -> int:
    from escalations.models import Tier

    load_presets()
    return Tier.objects.order_by("pk").values_list("pk", flat=True).first()


@pytest.mark.parametrize("persona", ["customer", "admin_user"])
@pytest.mark.parametrize(
    ("query", "field"),
    [("q=a%00b", "q"), ("status=open%00", "status"), ("assignee=1%00", "assignee"), ("x%00y=1", "x\ufffdy")],
)
def test_it_refuses_a_nul_in_the_ticket_filters(
    request: pytest.FixtureRequest, ticket: Ticket, persona: str, query: str, field: str
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(f"/api/tickets/?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": "The input was not accepted.", "errors": {field: [NUL_MESSAGE]}}


@pytest.mark.parametrize(
    "url",
    [
        "/api/tiers/{tier}/queue/?q=a%00b",
        "/api/escalations/?state=requested%00",
        "/api/escalations/report/?date=2026%00",
        "/api/approvals/?scope=all%00",
        "/api/tickets/{ticket}/?q=%00",
        "/api/schema/?format=json%00",
    ],
)
def test_it_refuses_a_nul_in_every_api_query(
    admin_user: User, ticket: Ticket, tier_id: int, url: str
) -> None:
    response = staff(admin_user).get(url.format(tier=tier_id, ticket=ticket.pk))

    assert response.status_code == 400
    assert response.json()["errors"] and response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("assignee=%C2%B2", "assignee"),  # "²": isdigit() but not a number
        ("team=%C2%B2", "team"),
        ("team=-1", "team"),
        ("status=nope", "status"),
        ("priority=P9", "priority"),
        ("sla=late", "sla"),
        ("page=abc", "page"),
        ("page=%C2%B2", "page"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
    ],
)
def test_it_refuses_malformed_filters_with_400(
    admin_user: User, ticket: Ticket, query: str, field: str
) -> None:
    response = staff(admin_user).get(f"/api/tickets/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/escalations/?mine=perhaps", "mine"),
        ("/api/escalations/?level=emperor", "level"),
        (f"/api/escalations/report/?date={date.today().year}-13-01", "date"),  # no 13th month in any year
        ("/api/approvals/?scope=everything", "scope"),
    ],
)
def test_it_refuses_malformed_board_and_inbox_filters(admin_user: User, url: str, field: str) -> None:
    response = staff(admin_user).get(url)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_it_answers_404_for_a_page_past_the_end(admin_user: User, ticket: Ticket) -> None:
    for page in ("0", "99", "99999999999999999999"):
        response = staff(admin_user).get(f"/api/tickets/?page={page}")
        assert response.status_code == 404 and response.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
@pytest.mark.parametrize(
    ("action", "field", "payload"),
    [
        ("comments", "body", {}),
        ("steps", "action", {"kind": "basic_check", "outcome": "ok"}),
        ("await_customer", "reason", {}),
    ],
)
def test_it_refuses_unstorable_characters_in_json_bodies(
    engineer: User, ticket: Ticket, text: str, action: str, field: str, payload: dict
) -> None:
    from tickets.tests.api_helpers import advance

    advance(ticket, "in_progress", engineer=engineer)
    # Sent as escaped JSON ("\\ud800"), the only way a lone surrogate can travel.
    body = json.dumps({**payload, field: text})
    response = api_client(engineer).post(ticket_url(ticket, action), body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_it_refuses_a_nul_in_a_json_key_of_a_list_item(admin_user: User, ticket: Ticket) -> None:
    response = staff(admin_user).post(
        "/api/tickets/",
        {
            "organisation": ticket.organisation_id,
            "requester": ticket.requester_id,
            "summary": "Export fails",
            "files": ["a\x00"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["files"]


def test_it_refuses_a_nul_in_a_multipart_field_and_a_declared_file_type(
    customer: User, ticket: Ticket
) -> None:
    client = api_client(customer)
    body = client.post(ticket_url(ticket, "comments"), {"body": "see\x00log"}, format="multipart")
    claim = client.post(
        ticket_url(ticket, "attachments"),
        {"file": SimpleUploadedFile("export.log", b"ERR-504\n", content_type="text/pl\x00ain")},
        format="multipart",
    )

    assert body.status_code == 400 and list(body.json()["errors"]) == ["body"]
    assert claim.status_code == 400 and list(claim.json()["errors"]) == ["files"]
    assert not Attachment.objects.exists()


# --- the console, the portal and admin ------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("engineer", "/desk/queue/?q=a%00b"),
        ("engineer", "/desk/?x=%00"),
        ("customer", "/portal/?q=a%00b"),
        ("admin_user", "/admin/tickets/ticket/?q=a%00b"),
        ("admin_user", "/admin/accounts/user/?q=%00"),
    ],
)
def test_it_shows_a_400_page_for_a_nul_in_a_console_portal_or_admin_filter(
    request: pytest.FixtureRequest, client: Client, ticket: Ticket, persona: str, url: str
) -> None:
    client.force_login(request.getfixturevalue(persona))

    response = client.get(url)

    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_it_refuses_a_nul_in_a_console_form_post(client: Client, engineer: User) -> None:
    client.force_login(engineer)

    encoded = client.post(
        "/desk/inbox/read-thread/", "thread=ticket-1%00", content_type="application/x-www-form-urlencoded"
    )
    multipart = client.post("/desk/inbox/read-thread/", {"thread": "ticket-1\x00"})

    for response in (encoded, multipart):
        assert response.status_code == 400
        assert "thread" in response.content.decode()


def test_it_ignores_a_non_number_in_the_console_bulk_assign(
    client: Client, team_leader: User, ticket: Ticket
) -> None:
    client.force_login(team_leader)

    response = client.post("/desk/queue/assign/", {"ticket": ["²", str(ticket.pk)], "assignee": ""})

    assert response.status_code < 500


def test_it_shows_a_form_error_for_a_malformed_console_filter(client: Client, engineer: User) -> None:
    client.force_login(engineer)

    response = client.get("/desk/queue/?team=%C2%B2&status=nope")

    assert response.status_code == 200  # the queue with the form's errors, unfiltered
