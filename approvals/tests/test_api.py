"""REST API of approval requests (SPEC §5, §9): the inbox, a request with its package, and the
two decisions, with each persona; refusals with what is missing; bad input as 400; fixed query
counts. The app is generic, so the gates here are on a plain subject (a team) with no handler."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Team, User
from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import approval_approve, approval_cancel, approval_file
from tests_support.factories import make_agent, make_customer, office_calendar

pytestmark = pytest.mark.django_db

PACKAGE = [
    {"title": "Hand-off", "items": [{"text": "From L2 to Microsoft L3"}]},
    {"title": "Evidence", "items": [{"text": "trace.png", "url": "/desk/attachments/1/"}]},
]


@pytest.fixture
def people(org: object, tier1: Team, tier2: Team) -> dict[str, User]:
    """tom (Tier 2 engineer) requests; ravi (Tier 2 leader) and manny (manager) decide;
    tess leads Tier 1; carla is a customer."""
    people = {
        "tom": make_agent("Engineer", team=tier2, username="tom"),
        "ravi": make_agent("Team leader", username="ravi"),
        "manny": make_agent("Team manager", username="manny"),
        "tess": make_agent("Team leader", username="tess"),
        "carla": make_customer(org, username="carla"),
    }
    tier2.leaders.add(people["ravi"])
    tier1.leaders.add(people["tess"])
    tier2.manager = people["manny"]
    tier2.save()
    return people


def file_request(
    people: dict[str, User],
    subject: Team,
    *,
    reference: str = "ED-000001",
    previous: ApprovalRequest | None = None,
) -> ApprovalRequest:
    return approval_file(
        subject=subject,
        title=f"Escalate {reference} from L2 to Microsoft L3",
        reference=reference,
        link="/desk/tickets/1/",
        package=PACKAGE,
        requested_by=people["tom"],
        approvers=[people["ravi"], people["manny"]],
        overdue_recipients=[people["manny"]],
        calendar=office_calendar(),
        decision_seconds=4 * 3600,
        previous=previous,
    )


@pytest.fixture
def pending(people: dict[str, User], tier2: Team) -> ApprovalRequest:
    return file_request(people, tier2)


def client(user: User | None = None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


# --- the inbox -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "pending_ids", "all_ids"),
    [
        ("ravi", True, True),
        ("manny", True, True),
        ("tom", False, True),
        ("tess", False, True),
        ("carla", False, False),
    ],
)
def test_the_inbox_lists_what_i_may_decide_and_scope_all_what_i_may_see(
    people: dict[str, User],
    pending: ApprovalRequest,
    tier1: Team,
    persona: str,
    pending_ids: bool,
    all_ids: bool,
) -> None:
    decided = file_request(people, tier1, reference="ED-000002")
    approval_approve(request=decided, actor=people["ravi"], notes="Reviewed.")
    api = client(people[persona])

    mine = api.get("/api/approvals/")
    everything = api.get("/api/approvals/?scope=all")

    assert mine.status_code == everything.status_code == 200
    assert [r["id"] for r in mine.json()["results"]] == ([pending.pk] if pending_ids else [])
    assert [r["id"] for r in everything.json()["results"]] == (
        [decided.pk, pending.pk] if all_ids else []
    )  # newest first


def test_a_list_row_shows_the_request_and_whether_i_may_decide(
    people: dict[str, User], pending: ApprovalRequest
) -> None:
    row = client(people["ravi"]).get("/api/approvals/").json()["results"][0]

    assert row["url"] == f"http://testserver/api/approvals/{pending.pk}/"
    assert (row["title"], row["reference"], row["link"], row["status"]) == (
        "Escalate ED-000001 from L2 to Microsoft L3",
        "ED-000001",
        "/desk/tickets/1/",
        "pending",
    )
    assert (row["subject_type"], row["subject_id"]) == ("accounts.team", pending.object_id)
    assert row["requested_by"] == {"id": people["tom"].pk, "name": str(people["tom"])}
    assert {a["id"] for a in row["approvers"]} == {people["ravi"].pk, people["manny"].pk}
    assert row["can_decide"] is True
    assert row["decision_due_at"] is not None
    assert (row["previous"], row["follow_up"], row["decided_by"]) == (None, None, None)
    assert "package" not in row
    tom_row = client(people["tom"]).get("/api/approvals/?scope=all").json()["results"][0]
    assert tom_row["can_decide"] is False


def test_the_inbox_refuses_an_unknown_scope_and_anonymous_callers(people: dict[str, User]) -> None:
    bad = client(people["ravi"]).get("/api/approvals/?scope=mine")

    assert bad.status_code == 400
    assert bad.json()["errors"] == {"scope": ['"pending" or "all".']}
    assert client().get("/api/approvals/").status_code == 401


def test_the_inbox_works_with_a_token(people: dict[str, User], pending: ApprovalRequest) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=people['ravi']).key}")

    response = api.get("/api/approvals/")

    assert [r["id"] for r in response.json()["results"]] == [pending.pk]


# --- one request -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("ravi", 200), ("tom", 200), ("tess", 200), ("carla", 404), (None, 401)]
)
def test_a_request_is_shown_to_whoever_may_see_it(
    people: dict[str, User], pending: ApprovalRequest, persona: str | None, expected: int
) -> None:
    response = client(people.get(persona or "")).get(f"/api/approvals/{pending.pk}/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["package"] == PACKAGE
    if expected == 404:
        assert response.json() == {"detail": "No such approval request."}


def test_an_unknown_request_is_404(people: dict[str, User]) -> None:
    api = client(people["ravi"])

    assert api.get("/api/approvals/999999/").status_code == 404
    assert api.get("/api/approvals/abc/").status_code == 404
    assert api.post("/api/approvals/999999/approve/", {"notes": "x"}, format="json").status_code == 404


# --- decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("ravi", 200), ("manny", 200), ("tom", 403), ("tess", 403), ("carla", 404), (None, 401)],
)
def test_only_an_eligible_approver_approves(
    people: dict[str, User], pending: ApprovalRequest, persona: str | None, expected: int
) -> None:
    response = client(people.get(persona or "")).post(
        f"/api/approvals/{pending.pk}/approve/", {"notes": "Trace reviewed; engage Microsoft."}, format="json"
    )

    assert response.status_code == expected
    pending.refresh_from_db()
    if expected == 200:
        body = response.json()
        assert (body["status"], body["decision_notes"], body["decided_by"]["id"], body["can_decide"]) == (
            "approved",
            "Trace reviewed; engage Microsoft.",
            people[persona].pk,
            False,
        )
        assert body["decision_due_at"] is None
        assert (pending.status, pending.decided_by) == (ApprovalStatus.APPROVED, people[persona])
    else:
        assert (pending.status, pending.decided_by) == (ApprovalStatus.PENDING, None)
    if persona == "tom":
        assert response.json() == {"detail": "You cannot decide your own request."}


@pytest.mark.parametrize(
    ("persona", "expected"), [("ravi", 200), ("tom", 403), ("tess", 403), ("carla", 404), (None, 401)]
)
def test_only_an_eligible_approver_requests_changes(
    people: dict[str, User], pending: ApprovalRequest, persona: str | None, expected: int
) -> None:
    steps = ["Test with a new Outlook profile", "Check the outbound spam policy"]

    response = client(people.get(persona or "")).post(
        f"/api/approvals/{pending.pk}/request-changes/",
        {"steps": steps, "notes": "Rule out the client."},
        format="json",
    )

    assert response.status_code == expected
    pending.refresh_from_db()
    if expected == 200:
        assert (response.json()["status"], response.json()["suggested_steps"]) == ("changes_requested", steps)
        assert (pending.status, pending.suggested_steps, pending.decision_notes) == (
            ApprovalStatus.CHANGES_REQUESTED,
            steps,
            "Rule out the client.",
        )
    else:
        assert pending.status == ApprovalStatus.PENDING


def test_a_decision_without_notes_or_steps_is_409_with_what_is_missing(
    people: dict[str, User], pending: ApprovalRequest
) -> None:
    api = client(people["ravi"])

    no_notes = api.post(f"/api/approvals/{pending.pk}/approve/", {"notes": "  "}, format="json")
    no_steps = api.post(f"/api/approvals/{pending.pk}/request-changes/", {"steps": ["", " "]}, format="json")
    nothing = api.post(f"/api/approvals/{pending.pk}/request-changes/", {}, format="json")

    assert no_notes.status_code == 409
    assert no_notes.json() == {
        "detail": "Approval refused",
        "missing": ["approval notes (what was reviewed and why it may go ahead)"],
    }
    assert no_steps.status_code == nothing.status_code == 409
    assert no_steps.json() == {
        "detail": "Request for changes refused",
        "missing": ["the additional troubleshooting steps to perform"],
    }
    pending.refresh_from_db()
    assert pending.status == ApprovalStatus.PENDING


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"steps": "Test with a new profile"}, "steps"),
        ({"steps": [{"text": "x"}]}, "steps"),
        ({"steps": ["x"], "notes": ["y"]}, "notes"),
    ],
)
def test_unreadable_decisions_are_400(
    people: dict[str, User], pending: ApprovalRequest, data: dict[str, Any], field: str
) -> None:
    response = client(people["ravi"]).post(
        f"/api/approvals/{pending.pk}/request-changes/", data, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    pending.refresh_from_db()
    assert pending.status == ApprovalStatus.PENDING


def test_a_decided_or_cancelled_request_is_409(
    people: dict[str, User], pending: ApprovalRequest, tier1: Team
) -> None:
    api = client(people["ravi"])
    assert (
        api.post(f"/api/approvals/{pending.pk}/approve/", {"notes": "Go."}, format="json").status_code == 200
    )
    cancelled = file_request(people, tier1, reference="ED-000002")
    approval_cancel(request=cancelled, reason="Hand-off withdrawn.")

    again = api.post(f"/api/approvals/{pending.pk}/request-changes/", {"steps": ["x"]}, format="json")
    on_cancelled = api.post(f"/api/approvals/{cancelled.pk}/approve/", {"notes": "Go."}, format="json")

    assert (again.status_code, again.json()["missing"]) == (409, ["a pending request (this one is approved)"])
    assert (on_cancelled.status_code, on_cancelled.json()["missing"]) == (
        409,
        ["a pending request (this one is cancelled)"],
    )
    assert on_cancelled.json()["detail"] == "Approval refused"


def test_a_follow_up_request_links_both_ways(
    people: dict[str, User], pending: ApprovalRequest, tier2: Team
) -> None:
    api = client(people["ravi"])
    api.post(f"/api/approvals/{pending.pk}/request-changes/", {"steps": ["Profile test"]}, format="json")
    pending.refresh_from_db()
    follow_up = file_request(people, tier2, previous=pending)

    first = api.get(f"/api/approvals/{pending.pk}/").json()
    second = api.get(f"/api/approvals/{follow_up.pk}/").json()

    assert (first["follow_up"], second["previous"]) == (follow_up.pk, pending.pk)
    assert [r["id"] for r in api.get("/api/approvals/").json()["results"]] == [follow_up.pk]


# --- query counts ----------------------------------------------------------------------------


def count_queries(api: APIClient, link: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(link)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize("scope", ["pending", "all"])
def test_the_inbox_is_read_in_a_fixed_number_of_queries(people: dict[str, User], scope: str) -> None:
    api = client(people["ravi"])
    first = file_request(people, Team.objects.create(name="Team 0"), reference="ED-000100")
    api.post(f"/api/approvals/{first.pk}/request-changes/", {"steps": ["x"]}, format="json")
    first.refresh_from_db()
    file_request(people, Team.objects.create(name="Team 0b"), previous=first)
    small_count, small_body = count_queries(api, f"/api/approvals/?scope={scope}&page_size=100")
    for i in range(1, 15):
        request = file_request(people, Team.objects.create(name=f"Team {i}"), reference=f"ED-{i:06d}")
        if i % 3 == 0:
            approval_approve(request=request, actor=people["manny"], notes="Fine.")
    large_count, large_body = count_queries(api, f"/api/approvals/?scope={scope}&page_size=100")

    expected = (1, 11) if scope == "pending" else (2, 16)
    assert (small_body["count"], large_body["count"]) == expected
    assert small_count == large_count
