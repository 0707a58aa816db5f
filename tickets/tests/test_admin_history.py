"""Django admin shows a ticket's history and never deletes or rewrites it, not even for a
superuser; who sees a step and redaction are actions that call the services (issue 10 point 7)."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from tests_support.factories import make_agent
from tickets.models import Attachment, Comment, Ticket, TroubleshootingStep
from tickets.services.conversation import ticket_comment
from tickets.services.steps import ticket_add_step
from tickets.tests.test_lifecycle import drive_to

SECRET = "Jane Doe's home number is +44 7700 900123."


@pytest.fixture
def history(ticket: Ticket, engineer: User) -> dict[str, object]:
    drive_to(ticket, "in_progress", engineer)
    step = ticket_add_step(
        ticket=ticket,
        actor=engineer,
        kind="log_analysis",
        action="Read the log.",
        outcome=SECRET,
        files=[SimpleUploadedFile("evidence.log", b"log line\n", content_type="text/plain")],
    )
    comment = ticket_comment(ticket=ticket, actor=engineer, body=SECRET)
    return {"troubleshootingstep": step, "comment": comment, "attachment": step.attachments.get()}


@pytest.fixture
def superuser(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


MODELS = ["troubleshootingstep", "comment", "attachment"]


@pytest.mark.parametrize("model", MODELS)
def test_it_offers_no_delete_of_history_even_to_a_superuser(
    superuser: Client, history: dict[str, object], model: str
) -> None:
    obj = history[model]
    base = f"/admin/tickets/{model}/"
    listing = superuser.get(base)
    assert listing.status_code == 200
    assert b"delete_selected" not in listing.content
    page = superuser.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_delete_permission"] is False
    assert b"deletelink" not in page.content
    assert superuser.get(f"{base}{obj.pk}/delete/").status_code == 403
    assert superuser.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser.post(base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_it_shows_no_delete_on_the_ticket_inlines(
    superuser: Client, history: dict[str, object], ticket: Ticket
) -> None:
    page = superuser.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    for formset in page.context["inline_admin_formsets"]:
        assert formset.has_delete_permission is False
    assert b"-DELETE" not in page.content


@pytest.mark.parametrize(
    ("model", "field"),
    [("troubleshootingstep", "is_public"), ("comment", "is_internal"), ("attachment", "is_internal")],
)
def test_it_shows_visibility_read_only(
    superuser: Client, history: dict[str, object], model: str, field: str
) -> None:
    obj = history[model]
    before = getattr(obj, field)
    url = f"/admin/tickets/{model}/{obj.pk}/change/"
    page = superuser.get(url)
    assert f'name="{field}"'.encode() not in page.content
    assert b'name="_save"' not in page.content
    assert superuser.post(url, {field: "on" if not before else ""}).status_code == 403
    obj.refresh_from_db()
    assert getattr(obj, field) == before


def test_it_shares_a_step_through_the_admin_action_with_its_event(
    superuser: Client, history: dict[str, object], ticket: Ticket, admin_user: User
) -> None:
    step = history["troubleshootingstep"]
    base = "/admin/tickets/troubleshootingstep/"
    ask = superuser.post(base, {"action": "share_selected", "_selected_action": [step.pk]})
    assert ask.status_code == 200 and b'name="reason"' in ask.content
    refused = superuser.post(
        base, {"action": "share_selected", "_selected_action": [step.pk], "post": "yes", "reason": ""}
    )
    assert refused.status_code == 200 and b"This field is required" in refused.content
    step.refresh_from_db()
    assert not step.is_public

    done = superuser.post(
        base,
        {
            "action": "share_selected",
            "_selected_action": [step.pk],
            "post": "yes",
            "reason": "The customer asked what we checked.",
        },
    )
    assert done.status_code == 302
    step.refresh_from_db()
    assert step.is_public
    assert (
        ticket.events.filter(
            kind="step_shared", actor=admin_user, reason="The customer asked what we checked."
        ).count()
        == 1
    )


@pytest.mark.parametrize("model", MODELS)
def test_it_redacts_through_the_admin_action_only_with_a_reason(
    superuser: Client,
    history: dict[str, object],
    ticket: Ticket,
    admin_user: User,
    model: str,
    django_capture_on_commit_callbacks,
) -> None:
    obj = history[model]
    base = f"/admin/tickets/{model}/"
    ask = superuser.post(base, {"action": "redact_selected", "_selected_action": [obj.pk]})
    assert ask.status_code == 200 and b'name="reason"' in ask.content
    refused = superuser.post(
        base, {"action": "redact_selected", "_selected_action": [obj.pk], "post": "yes", "reason": "  "}
    )
    assert refused.status_code == 200 and b"This field is required" in refused.content
    obj.refresh_from_db()
    assert obj.redacted_at is None
    assert not ticket.events.filter(kind="redacted").exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = superuser.post(
            base,
            {
                "action": "redact_selected",
                "_selected_action": [obj.pk],
                "post": "yes",
                "reason": "Personal data (data subject request).",
            },
        )
    assert done.status_code == 302
    obj.refresh_from_db()
    assert obj.redacted_at is not None
    assert type(obj).objects.filter(pk=obj.pk).exists()
    event = ticket.events.get(kind="redacted")
    assert (event.actor, event.reason, event.details["id"]) == (
        admin_user,
        "Personal data (data subject request).",
        obj.pk,
    )


def test_it_offers_redaction_to_administrators_and_nobody_else(
    client: Client, history: dict[str, object], team_leader: User
) -> None:
    administrator = make_agent("Administrator", username="ada")
    client.force_login(administrator)
    page = client.get("/admin/tickets/comment/")
    assert (
        page.status_code == 200
        and b"redact_selected" in page.content
        and b"delete_selected" not in page.content
    )
    client.force_login(team_leader)
    page = client.get("/admin/tickets/comment/")
    assert b"redact_selected" not in page.content
    client.post(
        "/admin/tickets/comment/",
        {
            "action": "redact_selected",
            "post": "yes",
            "reason": "x",
            "_selected_action": [history["comment"].pk],
        },
    )
    assert Comment.objects.get(pk=history["comment"].pk).redacted_at is None


def test_it_registers_the_history_models() -> None:
    assert {TroubleshootingStep, Comment, Attachment} <= set(site._registry)
