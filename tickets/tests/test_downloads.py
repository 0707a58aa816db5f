"""Downloads are typed from the stored bytes, never the uploader's claim (issue 10 point 11):
console, portal, API and step evidence alike; always an attachment, always nosniff."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from tickets.file_types import served_type
from tickets.models import Attachment, Ticket
from tickets.services.attachments import ticket_attach
from tickets.services.lifecycle import ticket_start, ticket_triage

from .api_helpers import api_client, ticket_url

pytestmark = pytest.mark.django_db


def png() -> bytes:
    """A real one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
LOG = b"2026 ERR-504 upstream timeout after 120 s\nretrying\n"


def attach(ticket: Ticket, actor: User, name: str, content: bytes, claimed: str) -> Attachment:
    return ticket_attach(
        ticket=ticket,
        actor=actor,
        is_internal=False,
        upload=SimpleUploadedFile(name, content, content_type=claimed),
    )


def downloads(attachment: Attachment, customer: User, engineer: User) -> dict[str, object]:
    """The same file through each door: the console, the portal and the API."""
    desk, portal = Client(), Client()
    desk.force_login(engineer)
    portal.force_login(customer)
    return {
        "console": desk.get(f"/desk/attachments/{attachment.pk}/"),
        "portal": portal.get(f"/portal/files/{attachment.pk}/"),
        "api": api_client(customer).get(f"/api/attachments/{attachment.pk}/download/"),
    }


@pytest.mark.parametrize(
    ("name", "content", "claimed", "served"),
    [
        ("report.txt", png(), "text/plain", "application/octet-stream"),  # a PNG the name contradicts
        ("screen.png", HTML, "image/png", "application/octet-stream"),  # HTML never goes out as a page
        ("page.txt", HTML, "text/plain", "application/octet-stream"),
        ("screen.png", png(), "text/html", "image/png"),  # the claim is ignored both ways
        ("export.log", LOG, "application/x-msdownload", "text/plain"),
    ],
)
def test_it_types_every_download_from_the_stored_bytes(
    ticket: Ticket, customer: User, engineer: User, name: str, content: bytes, claimed: str, served: str
) -> None:
    attachment = attach(ticket, customer, name, content, claimed)

    for door, response in downloads(attachment, customer, engineer).items():
        assert response.status_code == 200, door
        assert response["Content-Type"] == served, door
        assert response["Content-Disposition"].startswith("attachment;"), door
        assert response["X-Content-Type-Options"] == "nosniff", door
        assert b"".join(response.streaming_content) == content, door
    assert attachment.content_type == served  # what the listing shows is the detection too


def test_it_types_step_evidence_and_comment_files_from_their_bytes(
    ticket: Ticket, customer: User, engineer: User
) -> None:
    ticket_triage(ticket=ticket, actor=engineer, priority="P2")
    ticket_start(ticket=ticket, actor=engineer)
    api = api_client(engineer)
    step = api.post(
        ticket_url(ticket, "steps"),
        {
            "kind": "log_analysis",
            "action": "Captured the console",
            "outcome": "Blank page",
            "is_public": True,
            "files": [SimpleUploadedFile("console.png", HTML, content_type="image/png")],
        },
        format="multipart",
    )
    comment = api.post(
        ticket_url(ticket, "comments"),
        {
            "body": "Screenshot attached",
            "files": [SimpleUploadedFile("shot.txt", png(), content_type="text/plain")],
        },
        format="multipart",
    )
    assert (step.status_code, comment.status_code) == (201, 201)

    evidence = Attachment.objects.get(step__isnull=False)
    comment_file = Attachment.objects.get(comment__isnull=False)
    for attachment in (evidence, comment_file):
        for door, response in downloads(attachment, customer, engineer).items():
            assert response["Content-Type"] == "application/octet-stream", (attachment.original_name, door)


def test_it_serves_a_served_type_only_under_a_name_that_agrees() -> None:
    assert served_type("screen.PNG", png()) == "image/png"
    assert served_type("screen.jpg", png()) == "application/octet-stream"
    assert served_type("notes.txt", b"") == "application/octet-stream"
    assert served_type("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>') == (
        "application/octet-stream"
    )
