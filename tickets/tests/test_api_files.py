"""REST API: comments, troubleshooting steps, attachments and downloads (SPEC §2, §10)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accounts.models import User
from tickets.models import Attachment, Comment, Ticket, TimelineEvent, TroubleshootingStep
from tickets.services.attachments import ticket_attach
from tickets.services.conversation import ticket_comment
from tickets.services.steps import ticket_add_step

from .api_helpers import PERSONAS, advance, api_client, ticket_url

pytestmark = pytest.mark.django_db

STAFF = {"engineer", "other_engineer", "team_leader", "team_manager", "admin_user"}


def upload(name: str = "export.log", content: bytes = b"ERR-504 upstream timeout\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


# --- comments ------------------------------------------------------------------------------


@pytest.fixture
def comments(ticket: Ticket, engineer: User) -> dict[str, Comment]:
    return {
        "public": ticket_comment(ticket=ticket, actor=engineer, body="We are on it."),
        "internal": ticket_comment(
            ticket=ticket, actor=engineer, body="Probably bug 4411.", is_internal=True
        ),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_the_comments_each_persona_may_see(
    request: pytest.FixtureRequest, persona: str, ticket: Ticket, comments: dict[str, Comment]
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(ticket_url(ticket, "comments"))

    if persona == "other_customer":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    bodies = [c["body"] for c in response.json()]
    assert bodies == (["We are on it."] if persona == "customer" else ["We are on it.", "Probably bug 4411."])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("internal", [False, True])
def test_it_lets_each_persona_comment_as_allowed(
    request: pytest.FixtureRequest, persona: str, internal: bool, ticket: Ticket
) -> None:
    user = request.getfixturevalue(persona)

    response = api_client(user).post(
        ticket_url(ticket, "comments"), {"body": "A note", "is_internal": internal}, format="json"
    )

    if persona == "other_customer":
        expected = 404
    elif persona == "customer" and internal:
        expected = 403
    else:
        expected = 201
    assert response.status_code == expected
    assert Comment.objects.filter(ticket=ticket).count() == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json()["is_internal"] is internal
        assert response.json()["author"]["id"] == user.pk


def test_it_refuses_an_internal_comment_from_the_customer_without_saving(
    customer: User, ticket: Ticket
) -> None:
    response = api_client(customer).post(
        ticket_url(ticket, "comments"), {"body": "Secret?", "is_internal": True}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not add this comment."}
    assert not Comment.objects.exists()
    assert not TimelineEvent.objects.filter(kind="comment").exists()


def test_it_refuses_comments_to_anonymous_callers(ticket: Ticket) -> None:
    client = api_client()

    assert client.get(ticket_url(ticket, "comments")).status_code in (401, 403)
    posted = client.post(ticket_url(ticket, "comments"), {"body": "hi"}, format="json")
    assert posted.status_code in (401, 403)
    assert not Comment.objects.exists()


def test_it_attaches_files_to_a_comment(customer: User, engineer: User, ticket: Ticket) -> None:
    response = api_client(customer).post(
        ticket_url(ticket, "comments"), {"body": "Here is the log", "files": [upload()]}, format="multipart"
    )

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert (attachment.comment_id, attachment.is_internal) == (response.json()["id"], False)
    assert [a["original_name"] for a in response.json()["attachments"]] == ["export.log"]


def test_it_refuses_an_empty_comment(customer: User, ticket: Ticket) -> None:
    response = api_client(customer).post(ticket_url(ticket, "comments"), {"body": "  "}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]
    assert not Comment.objects.exists()


# --- troubleshooting steps -----------------------------------------------------------------


STEP = {"kind": "log_analysis", "action": "Read the export log", "outcome": "Timeout after 30 min"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_staff_document_steps_and_shows_customers_the_public_ones(
    request: pytest.FixtureRequest, persona: str, ticket: Ticket, engineer: User
) -> None:
    ticket_add_step(
        ticket=ticket,
        actor=engineer,
        kind="basic_check",
        action="Checked disk",
        outcome="Plenty of space",
        is_public=True,
    )
    user = request.getfixturevalue(persona)
    client = api_client(user)

    posted = client.post(ticket_url(ticket, "steps"), STEP, format="json")
    listed = client.get(ticket_url(ticket, "steps"))

    if persona == "other_customer":
        assert (posted.status_code, listed.status_code) == (404, 404)
        assert TroubleshootingStep.objects.count() == 1
    elif persona == "customer":
        assert posted.status_code == 403
        assert [s["action"] for s in listed.json()] == ["Checked disk"]
        assert TroubleshootingStep.objects.count() == 1
    else:
        assert posted.status_code == 201
        assert posted.json()["engineer"]["id"] == user.pk
        assert [s["action"] for s in listed.json()] == ["Checked disk", "Read the export log"]


def test_it_records_the_team_of_the_engineer_on_a_step(engineer: User, ticket: Ticket) -> None:
    advance(ticket, "in_progress", engineer=engineer)

    response = api_client(engineer).post(ticket_url(ticket, "steps"), STEP, format="json")

    assert response.status_code == 201
    assert response.json()["team"]["name"] == "Tier 1"
    assert TimelineEvent.objects.filter(ticket=ticket, kind="step").count() == 1


def test_it_attaches_evidence_to_a_step(engineer: User, customer: User, ticket: Ticket) -> None:
    response = api_client(engineer).post(
        ticket_url(ticket, "steps"),
        {**STEP, "files": [upload("screen.png", b"\x89PNG...")]},
        format="multipart",
    )

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert (attachment.step_id, attachment.is_internal) == (response.json()["id"], True)
    assert api_client(customer).get(ticket_url(ticket, "attachments")).json() == []


def test_it_refuses_a_step_without_an_outcome(engineer: User, ticket: Ticket) -> None:
    response = api_client(engineer).post(
        ticket_url(ticket, "steps"), {"kind": "basic_check", "action": "Looked"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["outcome"]
    assert not TroubleshootingStep.objects.exists()


def test_it_refuses_a_step_on_a_closed_ticket(engineer: User, ticket: Ticket) -> None:
    advance(ticket, "closed", engineer=engineer)

    response = api_client(engineer).post(ticket_url(ticket, "steps"), STEP, format="json")

    assert response.status_code == 403
    assert not TroubleshootingStep.objects.exists()


# --- attachments ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("internal", [False, True])
def test_it_lets_each_persona_attach_as_allowed(
    request: pytest.FixtureRequest, persona: str, internal: bool, ticket: Ticket
) -> None:
    user = request.getfixturevalue(persona)

    response = api_client(user).post(
        ticket_url(ticket, "attachments"), {"file": upload(), "is_internal": internal}, format="multipart"
    )

    if persona == "other_customer":
        expected = 404
    elif persona == "customer" and internal:
        expected = 403
    else:
        expected = 201
    assert response.status_code == expected
    assert Attachment.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        body = response.json()
        assert (body["original_name"], body["size"], body["is_internal"]) == ("export.log", 25, internal)
        assert body["download_url"] == f"http://testserver/api/attachments/{body['id']}/download/"
        event = TimelineEvent.objects.get(ticket=ticket, kind="attachment")
        assert event.is_public is not internal


@pytest.fixture
def files(ticket: Ticket, engineer: User, customer: User) -> dict[str, Attachment]:
    return {
        "public": ticket_attach(ticket=ticket, actor=customer, upload=upload("public.log")),
        "internal": ticket_attach(
            ticket=ticket, actor=engineer, upload=upload("internal.log", b"secret"), is_internal=True
        ),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_the_attachments_each_persona_may_see(
    request: pytest.FixtureRequest, persona: str, ticket: Ticket, files: dict[str, Attachment]
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(ticket_url(ticket, "attachments"))

    if persona == "other_customer":
        assert response.status_code == 404
        return
    names = [a["original_name"] for a in response.json()]
    assert names == (["public.log"] if persona == "customer" else ["public.log", "internal.log"])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["public", "internal"])
def test_it_lets_each_persona_download_what_they_may_see(
    request: pytest.FixtureRequest, persona: str, which: str, files: dict[str, Attachment]
) -> None:
    attachment = files[which]

    response = api_client(request.getfixturevalue(persona)).get(f"/api/attachments/{attachment.pk}/download/")

    visible = persona in STAFF or (persona == "customer" and which == "public")
    if not visible:
        assert response.status_code == 404
        assert response.json() == {"detail": "No such attachment."}
        return
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{which}.log"'
    expected = b"secret" if which == "internal" else b"ERR-504 upstream timeout\n"
    assert b"".join(response.streaming_content) == expected


def test_it_downloads_whatever_the_accept_header(customer: User, files: dict[str, Attachment]) -> None:
    response = api_client(customer).get(
        f"/api/attachments/{files['public'].pk}/download/", HTTP_ACCEPT="application/octet-stream"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"ERR-504 upstream timeout\n"


def test_it_refuses_downloads_to_anonymous_callers_and_unknown_ids(
    engineer: User, files: dict[str, Attachment]
) -> None:
    assert api_client().get(f"/api/attachments/{files['public'].pk}/download/").status_code in (401, 403)
    assert api_client(engineer).get("/api/attachments/999999/download/").status_code == 404
    assert api_client(engineer).get("/api/attachments/abc/download/").status_code == 404


def test_it_answers_404_when_the_stored_file_is_gone(engineer: User, files: dict[str, Attachment]) -> None:
    files["public"].file.delete(save=False)

    response = api_client(engineer).get(f"/api/attachments/{files['public'].pk}/download/")

    assert response.status_code == 404


@override_settings(ATTACHMENT_MAX_BYTES=10)
@pytest.mark.parametrize("action", ["attachments", "comments", "steps"])
def test_it_refuses_an_oversized_file_saving_nothing(engineer: User, ticket: Ticket, action: str) -> None:
    data = {
        "attachments": {"file": upload("big.log", b"x" * 11)},
        "comments": {"body": "See log", "files": [upload("big.log", b"x" * 11)]},
        "steps": {**STEP, "files": [upload("big.log", b"x" * 11)]},
    }[action]
    events_before = TimelineEvent.objects.count()

    response = api_client(engineer).post(ticket_url(ticket, action), data, format="multipart")

    assert response.status_code == 400
    assert "the limit is 10 bytes" in response.json()["errors"]["files"][0]
    assert not Attachment.objects.exists()
    assert not Comment.objects.exists()
    assert not TroubleshootingStep.objects.exists()
    assert TimelineEvent.objects.count() == events_before


@pytest.mark.parametrize("name", ["setup.exe", "script.EXE", "noextension"])
def test_it_refuses_a_disallowed_type_saving_nothing(customer: User, ticket: Ticket, name: str) -> None:
    response = api_client(customer).post(
        ticket_url(ticket, "attachments"), {"file": upload(name, b"MZ\x90\x00")}, format="multipart"
    )

    assert response.status_code == 400
    assert "are not accepted" in response.json()["errors"]["files"][0]
    assert not Attachment.objects.exists()
    assert not TimelineEvent.objects.filter(kind="attachment").exists()


def test_it_refuses_an_upload_without_a_file(customer: User, ticket: Ticket) -> None:
    response = api_client(customer).post(ticket_url(ticket, "attachments"), {}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
