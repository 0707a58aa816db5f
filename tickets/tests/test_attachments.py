"""Attachments: size and type limits, storage, and who sees them (SPEC §2 troubleshooting log)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import override_settings

from accounts.models import User
from escalation_desk.domain import InvalidInput
from tickets import selectors
from tickets.models import Attachment, Comment, Ticket, TimelineEvent, TroubleshootingStep
from tickets.services.attachments import ticket_attach
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_create
from tickets.services.steps import ticket_add_step
from tickets.tests.test_lifecycle import drive_to

LOG = b"2024-05-03 02:14:07 ERROR export: upstream timeout after 1800 s\n"


def upload(
    name: str = "export.log", content: bytes = LOG, content_type: str = "text/plain"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file())


def as_customer_comment(ticket: Ticket, customer: User, engineer: User, files: list[Any]) -> None:
    ticket_comment(ticket=ticket, actor=customer, body="Log attached", files=files)


def as_internal_comment(ticket: Ticket, customer: User, engineer: User, files: list[Any]) -> None:
    ticket_comment(ticket=ticket, actor=engineer, body="Our notes", is_internal=True, files=files)


def as_step(ticket: Ticket, customer: User, engineer: User, files: list[Any]) -> None:
    ticket_add_step(
        ticket=ticket,
        actor=engineer,
        kind="log_analysis",
        action="Read the export log",
        outcome="Timeout at 1800 s",
        files=files,
    )


def as_ticket_file(ticket: Ticket, customer: User, engineer: User, files: list[Any]) -> None:
    for file in files:
        ticket_attach(ticket=ticket, actor=customer, upload=file)


def as_new_ticket(ticket: Ticket, customer: User, engineer: User, files: list[Any]) -> None:
    ticket_create(
        actor=customer,
        organisation=customer.organisation,
        requester=customer,
        summary="Export fails again",
        files=files,
    )


WAYS_TO_ATTACH: list[Callable[[Ticket, User, User, list[Any]], None]] = [
    as_customer_comment,
    as_internal_comment,
    as_step,
    as_ticket_file,
    as_new_ticket,
]


def footprint() -> tuple[int, int, int, int, int, list[Path]]:
    return (
        Ticket.objects.count(),
        Comment.objects.count(),
        TroubleshootingStep.objects.count(),
        Attachment.objects.count(),
        TimelineEvent.objects.count(),
        stored_files(),
    )


@pytest.fixture
def in_progress(ticket: Ticket, engineer: User) -> Ticket:
    return drive_to(ticket, "in_progress", engineer)


@pytest.mark.parametrize("attach", WAYS_TO_ATTACH)
def test_it_refuses_an_oversized_file_and_leaves_nothing(
    in_progress: Ticket, customer: User, engineer: User, attach: Callable[..., None]
) -> None:
    before = footprint()
    with override_settings(ATTACHMENT_MAX_BYTES=10), pytest.raises(InvalidInput) as invalid:
        attach(in_progress, customer, engineer, [upload("export.log", b"x" * 11)])
    assert invalid.value.errors == {"files": ['"export.log" is 11 bytes; the limit is 10 bytes.']}
    assert footprint() == before


@pytest.mark.parametrize("attach", WAYS_TO_ATTACH)
@pytest.mark.parametrize("name", ["setup.exe", "report.pdf.exe", "SETUP.EXE", "Makefile"])
def test_it_refuses_a_file_type_outside_the_allow_list_and_leaves_nothing(
    in_progress: Ticket, customer: User, engineer: User, attach: Callable[..., None], name: str
) -> None:
    before = footprint()
    with pytest.raises(InvalidInput) as invalid:
        attach(in_progress, customer, engineer, [upload(name, b"MZ\x90\x00", "application/octet-stream")])
    [message] = invalid.value.errors["files"]
    assert message.startswith(f'"{name}": files of type ".')
    assert "are not accepted; allowed: txt, log" in message
    assert footprint() == before


def test_it_refuses_the_whole_comment_when_one_of_its_files_is_refused(
    in_progress: Ticket, customer: User, engineer: User
) -> None:
    before = footprint()
    with pytest.raises(InvalidInput):
        as_customer_comment(in_progress, customer, engineer, [upload(), upload("tool.exe")])
    assert footprint() == before


def test_it_refuses_an_empty_file(in_progress: Ticket, customer: User, engineer: User) -> None:
    before = footprint()
    with pytest.raises(InvalidInput) as invalid:
        as_customer_comment(in_progress, customer, engineer, [upload("empty.log", b"")])
    assert invalid.value.errors == {"files": ['"empty.log" is empty.']}
    assert footprint() == before


def test_it_accepts_a_file_at_exactly_the_limit(in_progress: Ticket, customer: User, engineer: User) -> None:
    with override_settings(ATTACHMENT_MAX_BYTES=10):
        as_customer_comment(in_progress, customer, engineer, [upload("export.log", b"x" * 10)])
    assert Attachment.objects.get().size == 10


def test_it_stores_an_allowed_file_through_django_storage(
    in_progress: Ticket, customer: User, engineer: User
) -> None:
    before = stored_files()
    as_customer_comment(in_progress, customer, engineer, [upload("Export Log.LOG")])
    attachment = Attachment.objects.get()
    assert attachment.original_name == "Export Log.LOG"
    assert attachment.size == len(LOG)
    assert attachment.content_type == "text/plain"
    assert attachment.uploaded_by == customer
    assert attachment.ticket == in_progress
    assert attachment.comment == Comment.objects.get()
    assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".log")
    assert default_storage.exists(attachment.file.name)
    with default_storage.open(attachment.file.name) as stored:
        assert stored.read() == LOG
    assert len(stored_files()) == len(before) + 1


def test_it_keeps_two_files_of_the_same_name_apart(
    in_progress: Ticket, customer: User, engineer: User
) -> None:
    as_customer_comment(
        in_progress, customer, engineer, [upload(content=b"first"), upload(content=b"second")]
    )
    first, second = Attachment.objects.order_by("pk")
    assert first.original_name == second.original_name == "export.log"
    assert first.file.name != second.file.name
    assert [a.file.read() for a in (first, second)] == [b"first", b"second"]


@pytest.mark.parametrize(
    ("attach", "internal"),
    [(as_customer_comment, False), (as_internal_comment, True), (as_step, True), (as_ticket_file, False)],
)
def test_it_makes_attachments_as_internal_as_what_they_belong_to(
    in_progress: Ticket, customer: User, engineer: User, attach: Callable[..., None], internal: bool
) -> None:
    attach(in_progress, customer, engineer, [upload()])
    assert Attachment.objects.get().is_internal is internal


def test_it_makes_attachments_of_a_public_step_public(in_progress: Ticket, engineer: User) -> None:
    step = ticket_add_step(
        ticket=in_progress,
        actor=engineer,
        kind="workaround",
        action="Run the export per week",
        outcome="Works",
        is_public=True,
        files=[upload("steps.txt")],
    )
    assert step.attachments.get().is_internal is False


def test_it_hides_internal_attachments_from_the_customer(
    in_progress: Ticket, customer: User, engineer: User
) -> None:
    as_step(in_progress, customer, engineer, [upload()])
    attachment = Attachment.objects.get()
    assert selectors.get_attachment_for(engineer, attachment.pk) == attachment
    with pytest.raises(Http404):
        selectors.get_attachment_for(customer, attachment.pk)


def test_it_hides_attachments_from_other_organisations(
    in_progress: Ticket, customer: User, other_customer: User, engineer: User
) -> None:
    as_customer_comment(in_progress, customer, engineer, [upload()])
    attachment = Attachment.objects.get()
    assert selectors.get_attachment_for(customer, attachment.pk) == attachment
    with pytest.raises(Http404):
        selectors.get_attachment_for(other_customer, attachment.pk)


def test_it_refuses_an_internal_attachment_from_a_customer(in_progress: Ticket, customer: User) -> None:
    before = footprint()
    with pytest.raises(PermissionDenied):
        ticket_attach(ticket=in_progress, actor=customer, upload=upload(), is_internal=True)
    assert footprint() == before


def test_it_records_an_attachment_on_the_timeline(in_progress: Ticket, customer: User) -> None:
    attachment = ticket_attach(ticket=in_progress, actor=customer, upload=upload())
    event = TimelineEvent.objects.filter(ticket=in_progress).latest("pk")
    assert (event.kind, event.actor, event.is_public) == ("attachment", customer, True)
    assert event.details == {"attachment": attachment.pk, "name": "export.log"}
