"""The schema's promises, one by one (issue 10, point 9); test_api_contract.py checks them all live."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases.tests.test_case_api import acknowledged, as_, monday_morning, people, requested  # noqa: F401
from escalations.tests.conftest import World, world  # noqa: F401  (the staffed world with ladders)
from tickets import file_types
from tickets.models import Ticket
from tickets.tests.api_helpers import api_client, ticket_url


@pytest.fixture
def crew(people: World) -> World:  # noqa: F811
    """The escalations tests' staffed world with its escalation manager and customer."""
    return people


def test_a_body_that_cannot_be_parsed_answers_the_documented_400(customer: User, ticket: Ticket) -> None:
    broken = api_client(customer).post(ticket_url(ticket, "comments"), "{", content_type="application/json")
    boundless = api_client(customer).post(
        ticket_url(ticket, "comments"), "x", content_type="multipart/form-data"
    )

    for response in (broken, boundless):
        assert response.status_code == 400
        body = response.json()
        assert body["detail"] and body["errors"]["non_field_errors"] == [body["detail"]]


def test_errors_inside_a_list_are_listed_under_their_field(admin_user: User, ticket: Ticket) -> None:
    response = api_client(admin_user).post(
        "/api/tickets/",
        {
            "organisation": ticket.organisation_id,
            "requester": ticket.requester_id,
            "summary": "Export fails",
            "files": ["not a file", "nor this"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["files"] == [
        "item 1: The submitted data was not a file. Check the encoding type on the form.",
        "item 2: The submitted data was not a file. Check the encoding type on the form.",
    ]


def test_errors_inside_nested_objects_name_the_item_and_the_field(crew: World) -> None:
    case = acknowledged(crew)
    response = as_(crew, "esme").post(
        f"/api/escalations/{case.pk}/activate/",
        {
            "action_plan": [
                {
                    "owner": crew["erin"].pk,
                    "step": "Fix it",
                    "target_date": (timezone.localdate() + timedelta(days=2)).isoformat(),
                },
                {"step": "Check it"},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "action_plan": [
            "item 2, owner: This field is required.",
            "item 2, target_date: This field is required.",
        ]
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/tickets/0.5/",
        "/api/approvals/x.y/approve/",
        "/api/nothing/here/",
        "/api/tickets/1/steps/a%0Ab/complete/",
    ],
)
def test_an_unknown_api_address_answers_json_404(admin_user: User, method: str, url: str) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)  # a session cookie, and no CSRF token: still a 404, not a 403 page

    response = getattr(client, method)(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_unset_choices_are_null_not_blank(admin_user: User, ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(priority="")
    client = api_client(admin_user)

    row = client.get("/api/tickets/").json()["results"][0]
    detail = client.get(ticket_url(ticket)).json()

    assert row["priority"] is None and detail["priority"] is None
    assert detail["fix_kind"] is None and detail["close_kind"] is None and detail["cancel_reason"] is None


def test_the_two_views_of_a_case_say_which_they_are(crew: World) -> None:
    case = requested(crew)

    staff = as_(crew, "esme").get(f"/api/escalations/{case.pk}/").json()
    customer = as_(crew, "carla").get(f"/api/escalations/{case.pk}/").json()

    assert staff["view"] == "staff" and customer["view"] == "customer"
    assert "brief" in staff and "brief" not in customer


@pytest.mark.parametrize("instant", ["0354-06-13T14:51:34-05:30", "9999-12-31T23:00:00-05:00"])
def test_a_date_and_time_outside_1900_to_9998_is_refused(crew: World, instant: str) -> None:
    case = acknowledged(crew)

    response = as_(crew, "esme").post(
        f"/api/escalations/{case.pk}/meetings/",
        {"kind": "conference_call", "scheduled_for": instant},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["scheduled_for"]


def test_every_operation_documents_the_shared_error_answers(customer: User) -> None:
    schema = api_client(customer).get("/api/schema/?format=json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"400", "401", "403", "404", "429"} | ({"409"} if method == "post" else set())
            expected |= {"413", "415"} if "requestBody" in operation else set()
            assert expected <= set(operation["responses"]), (method, path)
    download = schema["paths"]["/api/attachments/{id}/download/"]["get"]["responses"]["200"]["content"]
    assert sorted(download) == file_types.SERVED_MEDIA_TYPES  # what the stored bytes may be served as
    token = schema["paths"]["/api/auth/token/"]["post"]["responses"]["400"]["content"]["application/json"]
    assert token["schema"] == {"$ref": "#/components/schemas/InvalidInput"}
    case_view = schema["components"]["schemas"]["EscalationCaseView"]
    assert case_view["discriminator"]["propertyName"] == "view"
    assert json.dumps(
        schema["components"]["schemas"]["InvalidInput"]["properties"]["errors"]["additionalProperties"]
    ) == ('{"type": "array", "items": {"type": "string"}}')
