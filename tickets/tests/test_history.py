"""Who sees a troubleshooting step, and redaction of personal data: services that keep the
record and write its timeline event (SPEC §10, issue 10 point 7)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused
from notifications.models import Notification
from tests_support.factories import make_agent
from tickets.history import attachment_redact, comment_redact, step_redact, step_set_visibility
from tickets.models import Comment, Ticket, TimelineEvent, TroubleshootingStep
from tickets.services.attachments import ticket_attach
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_cancel
from tickets.services.steps import ticket_add_step
from tickets.tests.test_lifecycle import drive_to

SECRET = "Called Jane Doe on +44 7700 900123, her home address is 12 Elm Row."


def log_file(name: str = "session.log") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f"{SECRET}\n".encode(), content_type="text/plain")


@pytest.fixture
def working(ticket: Ticket, engineer: User) -> Ticket:
    return drive_to(ticket, "in_progress", engineer)


@pytest.fixture
def internal_step(working: Ticket, engineer: User) -> TroubleshootingStep:
    return ticket_add_step(
        ticket=working,
        actor=engineer,
        kind="log_analysis",
        action="Read the export job's log.",
        outcome=SECRET,
        files=[log_file()],
    )


@pytest.fixture
def administrator(db: None) -> User:
    return make_agent("Administrator", username="ada")


def portal_page(client: Client, customer: User, ticket: Ticket) -> str:
    client.force_login(customer)
    response = client.get(f"/portal/requests/{ticket.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- a step's visibility ------------------------------------------------------------------------


def test_it_shares_a_step_with_the_customer_through_the_service(
    client: Client, internal_step: TroubleshootingStep, working: Ticket, engineer: User, customer: User
) -> None:
    assert "Read the export job" not in portal_page(client, customer, working)
    step_set_visibility(
        step=internal_step, actor=engineer, public=True, reason="The customer asked what we checked."
    )

    internal_step.refresh_from_db()
    assert internal_step.is_public
    assert list(internal_step.attachments.values_list("is_internal", flat=True)) == [False]
    event = working.events.get(kind="step_shared")
    assert (event.actor, event.source, event.target, event.reason, event.is_public) == (
        engineer,
        "internal",
        "public",
        "The customer asked what we checked.",
        False,
    )
    assert event.details["step"] == internal_step.pk
    page = portal_page(client, customer, working)
    assert "Read the export job" in page and "session.log" in page
    # Nobody is mailed: the customer sees the step in the portal.
    assert not Notification.objects.filter(
        kind__startswith="ticket.", recipient=customer, created_at__gte=event.at
    ).exists()


def test_it_makes_a_shared_step_internal_again(
    client: Client, working: Ticket, engineer: User, customer: User
) -> None:
    step = ticket_add_step(
        ticket=working,
        actor=engineer,
        kind="basic_check",
        action="Restarted the job.",
        outcome="It failed again.",
        is_public=True,
        files=[log_file()],
    )
    assert "Restarted the job." in portal_page(client, customer, working)
    step_set_visibility(
        step=step, actor=engineer, public=False, reason="Shared by mistake: internal host names."
    )

    assert (
        working.events.filter(kind="step_made_internal", reason__startswith="Shared by mistake").count() == 1
    )
    page = portal_page(client, customer, working)
    assert "Restarted the job." not in page and "session.log" not in page
    attachment = step.attachments.get()
    client.force_login(customer)
    assert client.get(f"/portal/files/{attachment.pk}/").status_code == 404


def test_it_writes_nothing_when_the_visibility_does_not_change(
    internal_step: TroubleshootingStep, working: Ticket, engineer: User
) -> None:
    events = working.events.count()
    step_set_visibility(step=internal_step, actor=engineer, public=False, reason="Keep it internal.")
    assert working.events.count() == events


def test_it_refuses_a_visibility_change_without_a_reason_or_permission(
    internal_step: TroubleshootingStep, working: Ticket, engineer: User, other_engineer: User, customer: User
) -> None:
    events = working.events.count()
    with pytest.raises(InvalidInput) as invalid:
        step_set_visibility(step=internal_step, actor=engineer, public=True, reason="  ")
    assert list(invalid.value.errors) == ["reason"]
    for outsider in (other_engineer, customer):
        with pytest.raises(PermissionDenied):
            step_set_visibility(step=internal_step, actor=outsider, public=True, reason="Why not.")
    internal_step.refresh_from_db()
    assert not internal_step.is_public
    assert working.events.count() == events


def test_it_shares_a_step_from_the_console(
    client: Client, internal_step: TroubleshootingStep, working: Ticket, engineer: User, customer: User
) -> None:
    client.force_login(engineer)
    page = client.get(f"/desk/tickets/{working.pk}/").content.decode()
    assert f"/desk/tickets/{working.pk}/steps/{internal_step.pk}/visibility/" in page
    url = f"/desk/tickets/{working.pk}/steps/{internal_step.pk}/visibility/"
    prefix = f"step_visibility-{internal_step.pk}"

    refused = client.post(url, {f"{prefix}-visibility": "public", f"{prefix}-reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    internal_step.refresh_from_db()
    assert not internal_step.is_public

    response = client.post(
        url, {f"{prefix}-visibility": "public", f"{prefix}-reason": "Asked for by the customer."}
    )
    assert response.status_code == 302
    internal_step.refresh_from_db()
    assert internal_step.is_public
    assert working.events.filter(kind="step_shared", actor=engineer).exists()


def test_it_shares_a_step_through_the_api(
    internal_step: TroubleshootingStep, working: Ticket, engineer: User, customer: User
) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    url = f"/api/tickets/{working.pk}/steps/{internal_step.pk}/visibility/"
    api.force_authenticate(customer)
    assert api.post(url, {"is_public": True, "reason": "Let me see."}, format="json").status_code == 404
    api.force_authenticate(engineer)
    assert api.post(url, {"is_public": True}, format="json").status_code == 400
    response = api.post(url, {"is_public": True, "reason": "The customer asked."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_public"] is True
    assert working.events.filter(kind="step_shared").count() == 1


# --- redaction ----------------------------------------------------------------------------------


def test_it_redacts_a_comment_and_keeps_it_with_its_event(
    working: Ticket, engineer: User, customer: User, administrator: User, django_capture_on_commit_callbacks
) -> None:
    comment = ticket_comment(ticket=working, actor=engineer, body=SECRET, files=[log_file("call.txt")])
    stored = comment.attachments.get().file.name
    assert default_storage.exists(stored)
    assert Notification.objects.filter(dedup_key=f"comment:{comment.pk}", context__body=SECRET).exists()

    with django_capture_on_commit_callbacks(execute=True):
        comment_redact(
            comment=comment, actor=administrator, reason="Customer's personal phone number (GDPR request)."
        )

    comment.refresh_from_db()
    assert comment.pk and comment.redacted_at is not None
    assert SECRET not in comment.body and "Redacted on" in comment.body
    attachment = comment.attachments.get()
    assert (attachment.file.name, attachment.size, attachment.redacted_at) == ("", 0, comment.redacted_at)
    assert not default_storage.exists(stored)
    # The notices of the comment (in-app and mail copies) no longer carry it either.
    assert not Notification.objects.filter(dedup_key=f"comment:{comment.pk}", context__body=SECRET).exists()
    event = working.events.get(kind="redacted")
    assert (event.actor, event.reason, event.is_public) == (
        administrator,
        "Customer's personal phone number (GDPR request).",
        False,
    )
    assert event.details == {"object": "comment", "id": comment.pk, "files": [attachment.pk]}
    # The comment's own event is still there.
    assert working.events.filter(kind="comment", details__comment=comment.pk).exists()


def test_it_redacts_a_step_and_deletes_its_evidence(
    internal_step: TroubleshootingStep,
    working: Ticket,
    administrator: User,
    django_capture_on_commit_callbacks,
) -> None:
    stored = internal_step.attachments.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        step_redact(step=internal_step, actor=administrator, reason="Personal data in the outcome.")
    internal_step.refresh_from_db()
    assert SECRET not in internal_step.outcome and "Redacted on" in internal_step.action
    assert not default_storage.exists(stored)
    assert TroubleshootingStep.objects.filter(pk=internal_step.pk).exists()
    assert working.events.filter(kind="redacted", actor=administrator, details__object="step").exists()
    assert working.events.filter(kind="step", details__step=internal_step.pk).exists()


def test_it_redacts_a_file_and_its_download_is_gone(
    client: Client, working: Ticket, engineer: User, administrator: User, django_capture_on_commit_callbacks
) -> None:
    attachment = ticket_attach(ticket=working, actor=engineer, upload=log_file("passport-jane-doe.txt"))
    stored = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachment_redact(attachment=attachment, actor=administrator, reason="A passport scan.")
    attachment.refresh_from_db()
    assert "jane" not in attachment.original_name.lower()
    assert not default_storage.exists(stored)
    client.force_login(engineer)
    assert client.get(f"/desk/attachments/{attachment.pk}/").status_code == 404
    assert client.get(f"/desk/tickets/{working.pk}/").status_code == 200


def test_it_refuses_a_redaction_without_a_reason_or_by_anyone_else(
    working: Ticket, engineer: User, team_leader: User, administrator: User
) -> None:
    comment = ticket_comment(ticket=working, actor=engineer, body=SECRET)
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as invalid:
            comment_redact(comment=comment, actor=administrator, reason=reason)
        assert list(invalid.value.errors) == ["reason"]
    for someone in (engineer, team_leader):
        with pytest.raises(PermissionDenied):
            comment_redact(comment=comment, actor=someone, reason="Personal data.")
    assert Comment.objects.get(pk=comment.pk).body == SECRET
    assert not working.events.filter(kind="redacted").exists()


def test_it_redacts_once(working: Ticket, engineer: User, administrator: User) -> None:
    comment = ticket_comment(ticket=working, actor=engineer, body=SECRET)
    comment_redact(comment=comment, actor=administrator, reason="Personal data.")
    with pytest.raises(Refused):
        comment_redact(comment=comment, actor=administrator, reason="Again.")
    assert working.events.filter(kind="redacted").count() == 1


def test_it_redacts_on_a_closed_ticket_too(ticket: Ticket, engineer: User, administrator: User) -> None:
    drive_to(ticket, "in_progress", engineer)
    comment = ticket_comment(ticket=ticket, actor=engineer, body=SECRET)
    ticket_cancel(ticket=ticket, actor=engineer, reason="withdrawn", note="Customer withdrew it.")
    comment_redact(comment=comment, actor=administrator, reason="Personal data.")
    assert SECRET not in Comment.objects.get(pk=comment.pk).body
    assert TimelineEvent.objects.filter(ticket=ticket, kind="redacted").exists()
