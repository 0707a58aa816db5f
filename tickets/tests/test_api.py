"""REST API: list, detail, creation, errors, authentication, schema and docs (SPEC §9)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from accounts.models import User
from tests_support.factories import PASSWORD, TicketFactory, make_customer
from tickets.models import Comment, Ticket, TimelineEvent
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_triage
from tickets.services.steps import ticket_add_step

from .api_helpers import PERSONAS, api_client, ticket_url

pytestmark = pytest.mark.django_db

# Who sees the Acme ticket: staff see every ticket, a customer their organisation's only.
SEES_TICKET = {
    "customer": True,
    "other_customer": False,
    "engineer": True,
    "other_engineer": True,
    "team_leader": True,
    "team_manager": True,
    "admin_user": True,
}


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_only_the_tickets_the_persona_may_see(
    request: pytest.FixtureRequest, persona: str, ticket: Ticket, other_org: object
) -> None:
    other = TicketFactory(organisation=other_org, summary="Globex ticket")
    user = request.getfixturevalue(persona)

    response = api_client(user).get("/api/tickets/")

    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    expected = {"customer": {ticket.pk}, "other_customer": {other.pk}}.get(persona, {ticket.pk, other.pk})
    assert ids == expected


def test_it_refuses_the_list_to_anonymous_callers(ticket: Ticket) -> None:
    response = api_client().get("/api/tickets/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_it_shows_list_rows_with_links_and_transitions(engineer: User, ticket: Ticket) -> None:
    response = api_client(engineer).get("/api/tickets/")

    row = response.json()["results"][0]
    assert row["reference"] == f"ED-{ticket.pk:06d}"
    assert row["url"] == f"http://testserver/api/tickets/{ticket.pk}/"
    assert row["status"] == "new"
    assert row["organisation"] == {"id": ticket.organisation_id, "name": "Acme Manufacturing"}
    assert row["available_transitions"] == ["triage", "cancel"]
    assert response.json()["count"] == 1


@pytest.fixture
def queue(
    org: object,
    customer: User,
    engineer: User,
    other_engineer: User,
    tier1: object,
    tier2: object,
    service: object,
    category: object,
) -> dict[str, Ticket]:
    """Four tickets spread over statuses, priorities, teams and assignees."""
    common = {
        "organisation": org,
        "requester": customer,
        "created_by": engineer,
        "service": service,
        "category": category,
    }
    return {
        "new_p1": TicketFactory(**common, priority="P1", summary="VPN down for everyone"),
        "open_p2": TicketFactory(**common, priority="P2", status="open", team=tier1),
        "mine_p3": TicketFactory(
            **common, priority="P3", status="in_progress", team=tier1, assignee=engineer
        ),
        "tier2_p4": TicketFactory(
            **common,
            priority="P4",
            status="in_progress",
            team=tier2,
            assignee=other_engineer,
            symptoms="printer jams",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=new", {"new_p1"}),
        ("status=new,open", {"new_p1", "open_p2"}),
        ("status=new&status=in_progress", {"new_p1", "mine_p3", "tier2_p4"}),
        ("priority=P1,P4", {"new_p1", "tier2_p4"}),
        ("priority=P2&priority=P3", {"open_p2", "mine_p3"}),
        ("status=in_progress&priority=P3", {"mine_p3"}),
        ("assignee=me", {"mine_p3"}),
        ("assignee=none", {"new_p1", "open_p2"}),
        ("q=vpn", {"new_p1"}),
        ("q=PRINTER", {"tier2_p4"}),
        ("", {"new_p1", "open_p2", "mine_p3", "tier2_p4"}),
    ],
)
def test_it_filters_the_list(
    engineer: User, queue: dict[str, Ticket], query: str, expected: set[str]
) -> None:
    response = api_client(engineer).get(f"/api/tickets/?{query}")

    assert response.status_code == 200
    names = {name for name, t in queue.items() if t.pk in {r["id"] for r in response.json()["results"]}}
    assert names == expected


def test_it_filters_by_team_and_assignee_id_and_reference(
    engineer: User, other_engineer: User, tier2: object, queue: dict[str, Ticket]
) -> None:
    client = api_client(engineer)

    by_team = client.get(f"/api/tickets/?team={tier2.pk}").json()["results"]
    by_assignee = client.get(f"/api/tickets/?assignee={other_engineer.pk}").json()["results"]
    by_reference = client.get(f"/api/tickets/?q={queue['open_p2'].reference}").json()["results"]

    assert [r["id"] for r in by_team] == [queue["tier2_p4"].pk]
    assert [r["id"] for r in by_assignee] == [queue["tier2_p4"].pk]
    assert [r["id"] for r in by_reference] == [queue["open_p2"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=nonsense", "status"),
        ("priority=P9", "priority"),
        ("team=abc", "team"),
        ("assignee=someone", "assignee"),
    ],
)
def test_it_answers_400_for_bad_filters(engineer: User, ticket: Ticket, query: str, field: str) -> None:
    response = api_client(engineer).get(f"/api/tickets/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_it_pages_the_list(engineer: User, org: object, customer: User) -> None:
    TicketFactory.create_batch(7, organisation=org, requester=customer)
    client = api_client(engineer)

    first = client.get("/api/tickets/?page_size=5").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 7
    assert len(first["results"]) == 5
    assert len(second["results"]) == 2
    assert second["next"] is None
    assert client.get("/api/tickets/?page=9").status_code == 404


# --- detail --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_the_detail_to_who_may_see_it(
    request: pytest.FixtureRequest, persona: str, ticket: Ticket
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(ticket_url(ticket))

    if SEES_TICKET[persona]:
        assert response.status_code == 200
        assert response.json()["id"] == ticket.pk
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "No such ticket."}


def test_it_refuses_the_detail_to_anonymous_callers(ticket: Ticket) -> None:
    assert api_client().get(ticket_url(ticket)).status_code in (401, 403)


def test_it_answers_404_for_ids_that_are_not_tickets(engineer: User) -> None:
    client = api_client(engineer)

    assert client.get("/api/tickets/999999/").status_code == 404
    assert client.get("/api/tickets/abc/").json() == {"detail": "No such ticket."}


def test_it_never_shows_internal_work_to_the_customer(customer: User, engineer: User, ticket: Ticket) -> None:
    ticket_comment(ticket=ticket, actor=engineer, body="Looks like bug 4411", is_internal=True)
    ticket_comment(ticket=ticket, actor=engineer, body="We are on it.")
    ticket_add_step(
        ticket=ticket,
        actor=engineer,
        kind="log_analysis",
        action="Read logs",
        outcome="Timeout in export",
        is_public=False,
    )
    ticket_add_step(
        ticket=ticket,
        actor=engineer,
        kind="basic_check",
        action="Re-ran it",
        outcome="Same failure",
        is_public=True,
    )

    as_customer = api_client(customer).get(ticket_url(ticket)).json()
    as_engineer = api_client(engineer).get(ticket_url(ticket)).json()

    assert [c["body"] for c in as_customer["comments"]] == ["We are on it."]
    assert [s["action"] for s in as_customer["steps"]] == ["Re-ran it"]
    assert all(e["is_public"] for e in as_customer["events"])
    assert [c["body"] for c in as_engineer["comments"]] == ["Looks like bug 4411", "We are on it."]
    assert [s["action"] for s in as_engineer["steps"]] == ["Read logs", "Re-ran it"]
    assert len(as_engineer["events"]) > len(as_customer["events"])


def test_it_shows_the_escalation_contacts_and_transitions_on_the_detail(
    customer: User, engineer: User, team_leader: User, team_manager: User, ticket: Ticket
) -> None:
    ticket_triage(ticket=ticket, actor=engineer)

    body = api_client(customer).get(ticket_url(ticket)).json()

    assert body["status"] == "open"
    assert body["team"]["name"] == "Tier 1"
    assert [leader["id"] for leader in body["team"]["leaders"]] == [team_leader.pk]
    assert body["team"]["manager"]["id"] == team_manager.pk
    assert body["available_transitions"] == []
    assert api_client(engineer).get(ticket_url(ticket)).json()["available_transitions"] == ["start", "cancel"]


# --- creation ------------------------------------------------------------------------------


def test_it_creates_a_ticket_for_the_customer_themselves(customer: User, service: object) -> None:
    response = api_client(customer).post(
        "/api/tickets/",
        {"summary": "Payslips are blank", "description": "Since Monday.", "service": service.pk},
        format="json",
    )

    assert response.status_code == 201
    created = Ticket.objects.get(pk=response.json()["id"])
    assert response["Location"] == f"/api/tickets/{created.pk}/"
    assert (created.organisation_id, created.requester_id, created.created_by_id) == (
        customer.organisation_id,
        customer.pk,
        customer.pk,
    )
    assert created.channel == "api"
    assert created.status == "new"
    assert (created.priority, created.category_id, created.service_id) == ("", None, service.pk)
    assert [e.kind for e in created.events.all()] == ["created"]


@pytest.mark.parametrize(
    "staff_only", [{"priority": "P1"}, {"category": "category"}, {"priority": "P2", "category": "category"}]
)
def test_it_refuses_the_staff_only_intake_from_a_customer_with_400(
    customer: User, category: object, staff_only: dict[str, str]
) -> None:
    data = {name: category.pk if value == "category" else value for name, value in staff_only.items()}

    response = api_client(customer).post("/api/tickets/", {"summary": "Mine first", **data}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The input was not accepted."
    assert sorted(response.json()["errors"]) == sorted(staff_only)
    assert not Ticket.objects.exists()


def test_it_takes_the_staff_only_intake_from_staff_opening_on_behalf(
    engineer: User, customer: User, category: object
) -> None:
    response = api_client(engineer).post(
        "/api/tickets/",
        {
            "summary": "Payslips are blank",
            "organisation": customer.organisation_id,
            "requester": customer.pk,
            "priority": "P2",
            "category": category.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    created = Ticket.objects.get()
    assert (created.priority, created.category_id) == ("P2", category.pk)


def test_it_describes_the_staff_only_intake_in_the_schema_and_offers_it_to_staff_only(
    customer: User, engineer: User
) -> None:
    schema = api_client(engineer).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    fields = schema["components"]["schemas"]["TicketCreateRequest"]["properties"]

    for name in ("priority", "category"):
        assert "Staff only" in fields[name]["description"]
    customer_post = api_client(customer).options("/api/tickets/").json()["actions"]["POST"]
    staff_post = api_client(engineer).options("/api/tickets/").json()["actions"]["POST"]
    assert {"priority", "category"} & set(customer_post) == set()
    assert {"priority", "category"} <= set(staff_post)


def test_it_ignores_fields_reserved_to_staff_when_a_customer_creates(
    customer: User, engineer: User, tier1: object
) -> None:
    response = api_client(customer).post(
        "/api/tickets/",
        {
            "summary": "Let me pick",
            "status": "resolved",
            "team": tier1.pk,
            "assignee": engineer.pk,
            "channel": "phone",
            "organisation": customer.organisation_id,
            "requester": customer.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    created = Ticket.objects.get(pk=response.json()["id"])
    assert created.status == "new"
    assert created.team_id is None
    assert created.assignee_id is None
    assert created.organisation_id == customer.organisation_id
    assert created.requester_id == customer.pk
    assert created.channel == "api"


@pytest.mark.parametrize("field", ["organisation", "requester"])
def test_it_refuses_a_customer_naming_another_organisation_or_requester(
    customer: User, other_customer: User, field: str
) -> None:
    other = {"organisation": other_customer.organisation_id, "requester": other_customer.pk}[field]

    response = api_client(customer).post("/api/tickets/", {"summary": "Sneaky", field: other}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Ticket.objects.exists()


def test_it_creates_a_ticket_on_a_customers_behalf(engineer: User, customer: User, org: object) -> None:
    response = api_client(engineer).post(
        "/api/tickets/",
        {"summary": "Called in: payroll down", "organisation": org.pk, "requester": customer.pk},
        format="json",
    )

    assert response.status_code == 201
    created = Ticket.objects.get(pk=response.json()["id"])
    assert (created.requester_id, created.created_by_id) == (customer.pk, engineer.pk)
    assert created.events.get().details == {"channel": "api", "on_behalf_of": customer.pk}


def test_it_requires_staff_to_name_the_organisation_and_requester(engineer: User) -> None:
    response = api_client(engineer).post("/api/tickets/", {"summary": "Who is it for?"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"organisation", "requester"}
    assert not Ticket.objects.exists()


def test_it_refuses_a_requester_from_another_organisation(
    engineer: User, org: object, other_customer: User
) -> None:
    response = api_client(engineer).post(
        "/api/tickets/",
        {"summary": "Mixed up", "organisation": org.pk, "requester": other_customer.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["requester"]
    assert not Ticket.objects.exists()


def test_it_creates_a_ticket_with_files(customer: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client(customer).post(
        "/api/tickets/",
        {"summary": "With a log", "files": [SimpleUploadedFile("export.log", b"ERR-504\n")]},
        format="multipart",
    )

    assert response.status_code == 201
    created = Ticket.objects.get(pk=response.json()["id"])
    assert [a.original_name for a in created.attachments.all()] == ["export.log"]
    assert [a["original_name"] for a in response.json()["attachments"]] == ["export.log"]


def test_it_refuses_creation_to_anonymous_callers_and_users_without_an_organisation() -> None:
    nobody = User.objects.create_user("nobody", password=PASSWORD)

    assert api_client().post("/api/tickets/", {"summary": "x"}, format="json").status_code in (401, 403)
    response = api_client(nobody).post("/api/tickets/", {"summary": "x"}, format="json")
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_it_answers_400_for_a_missing_summary(customer: User) -> None:
    response = api_client(customer).post("/api/tickets/", {"summary": ""}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["summary"]


# --- errors --------------------------------------------------------------------------------


def test_it_answers_400_for_malformed_json(engineer: User, ticket: Ticket) -> None:
    client = api_client(engineer)

    on_create = client.post("/api/tickets/", '{"summary": "broken', content_type="application/json")
    on_action = client.post(ticket_url(ticket, "triage"), "{not json", content_type="application/json")

    assert on_create.status_code == 400
    assert on_action.status_code == 400
    assert "JSON parse error" in on_action.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_it_answers_404_with_the_known_names_for_an_unknown_transition(
    engineer: User, ticket: Ticket
) -> None:
    response = api_client(engineer).post(ticket_url(ticket, "escalate_to_mars"), {}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Unknown transition 'escalate_to_mars'",
        "known": [
            "triage",
            "start",
            "await_customer",
            "customer_replied",
            "resolve",
            "confirm_resolution",
            "reopen",
            "cancel",
        ],
    }


def test_it_hides_the_ticket_before_naming_transitions(other_customer: User, ticket: Ticket) -> None:
    response = api_client(other_customer).post(ticket_url(ticket, "escalate_to_mars"), {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such ticket."}


def test_it_answers_400_with_field_errors_for_a_bad_choice(engineer: User, ticket: Ticket) -> None:
    response = api_client(engineer).post(ticket_url(ticket, "triage"), {"priority": "P9"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["priority"]
    assert response.json()["detail"]


# --- authentication ------------------------------------------------------------------------


def test_it_issues_a_token_that_authenticates(customer: User, ticket: Ticket) -> None:
    client = api_client()

    issued = client.post("/api/auth/token/", {"username": "carla", "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    listed = client.get("/api/tickets/")

    assert issued.status_code == 200
    assert issued.json()["token"] == Token.objects.get(user=customer).key
    assert [row["id"] for row in listed.json()["results"]] == [ticket.pk]


def test_it_refuses_a_token_for_a_wrong_password(customer: User) -> None:
    response = api_client().post("/api/auth/token/", {"username": "carla", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_it_refuses_an_unknown_token(ticket: Ticket) -> None:
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")

    assert client.get("/api/tickets/").status_code in (401, 403)


# --- schema and docs -----------------------------------------------------------------------


def test_it_serves_the_openapi_schema(customer: User) -> None:
    response = api_client(customer).get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/tickets/{id}/resolve/" in paths
    assert "/api/attachments/{id}/download/" in paths
    assert "/api/tickets/{id}/{transition}/" not in paths


def test_it_generates_the_schema_without_warnings(tmp_path: object) -> None:
    # --fail-on-warn raises on any drf-spectacular warning or error; --validate checks OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert "TicketDetail" in (tmp_path / "schema.yml").read_text()


@pytest.mark.parametrize(
    ("url", "asset"),
    [
        ("/api/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ],
)
def test_it_serves_the_docs_without_a_cdn(url: str, asset: str) -> None:
    response = api_client().get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert f"/static/{asset}" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html
    assert finders.find(asset) is not None


# --- audit ---------------------------------------------------------------------------------


def test_it_writes_a_timeline_event_for_an_api_comment(customer: User, ticket: Ticket) -> None:
    make_customer(ticket.organisation, username="colleague")

    response = api_client(customer).post(ticket_url(ticket, "comments"), {"body": "Any news?"}, format="json")

    assert response.status_code == 201
    comment = Comment.objects.get()
    event = TimelineEvent.objects.filter(ticket=ticket, kind="comment").get()
    assert event.details["comment"] == comment.pk
    assert event.actor_id == customer.pk


# --- browsable API and OPTIONS -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["engineer", "team_leader"])
@pytest.mark.parametrize("action", ["", "comments", "steps", "attachments"])
def test_it_renders_the_browsable_api_pages_for_staff(
    request: pytest.FixtureRequest, persona: str, action: str, ticket: Ticket
) -> None:
    client = api_client(request.getfixturevalue(persona))

    response = client.get(ticket_url(ticket, action), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    if not action:
        assert ticket.summary in response.content.decode()


@pytest.mark.parametrize("action", ["", "comments", "steps", "attachments"])
def test_it_answers_a_customer_asking_for_the_browsable_api_in_json(
    customer: User, action: str, ticket: Ticket
) -> None:
    response = api_client(customer).get(ticket_url(ticket, action), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_it_describes_the_input_of_an_action_on_options(engineer: User, ticket: Ticket) -> None:
    response = api_client(engineer).options(ticket_url(ticket, "resolve"))

    assert response.status_code == 200
    assert list(response.json()["actions"]["POST"]) == [
        "resolution_summary",
        "root_cause",
        "fix_kind",
        "knowledge_article",
        "knowledge_none_reason",
    ]


def test_it_never_lists_other_people_in_a_customers_forms(
    customer: User, other_customer: User, engineer: User
) -> None:
    response = api_client(customer).get("/api/tickets/", HTTP_ACCEPT="text/html")

    body = response.content.decode()
    assert response["Content-Type"] == "application/json"
    assert str(other_customer) not in body
    assert str(engineer) not in body
