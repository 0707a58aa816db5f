"""Bodies over UPLOAD_MAX_REQUEST_BYTES are refused with 413 before they are read (issue 10 point
11): a declared Content-Length at once, a chunked body once it passes the limit."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.test import Client, override_settings

from accounts.models import User
from escalation_desk.uploads import UploadLimitMiddleware
from tickets.models import Attachment, Comment, Ticket

pytestmark = pytest.mark.django_db

SIXTY_MB = 60 * 1024 * 1024
BOUNDARY = "BoUnDaRy"


class Body(io.RawIOBase):
    """A request body that fails the test if the server reads more than `allowed` bytes of it;
    endless unless `content` is given."""

    def __init__(self, allowed: int, content: bytes | None = None) -> None:
        self.allowed, self.content, self.taken = allowed, content, 0

    def read(self, size: int = -1) -> bytes:
        if self.content is not None:
            chunk = self.content[self.taken : self.taken + (size if size >= 0 else len(self.content))]
        else:
            chunk = b"x" * (size if size >= 0 else 1024 * 1024)
        self.taken += len(chunk)
        assert self.taken <= self.allowed, f"the server read {self.taken} bytes of an oversized body"
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size >= 0 else 1024)


def multipart(**fields: tuple[str, bytes] | str) -> bytes:
    parts = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, data = value
            parts.append(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: text/plain\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        else:
            parts.append(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(client: Client, path: str, body: Body, **environ: Any) -> Any:
    return client.generic(
        "POST",
        path,
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": body, **environ},
    )


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_refuses_a_60_mb_upload_to_the_api_with_413_json_without_reading_it(
    customer: User, ticket: Ticket
) -> None:
    response = post(
        logged_in(customer),
        f"/api/tickets/{ticket.pk}/attachments/",
        Body(allowed=0),
        CONTENT_LENGTH=str(SIXTY_MB),
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] == "The request is too large."
    assert list(body["errors"]) == ["files"] and "each file at most 10.0\xa0MB" in body["errors"]["files"][0]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("customer", "/portal/requests/new/"),
        ("customer", "/portal/requests/{pk}/messages/"),
        ("engineer", "/desk/tickets/{pk}/comments/"),
        ("engineer", "/desk/tickets/new/"),
    ],
)
def test_it_refuses_a_60_mb_form_with_a_page_saying_why_without_reading_it(
    request: pytest.FixtureRequest, ticket: Ticket, persona: str, path: str
) -> None:
    response = post(
        logged_in(request.getfixturevalue(persona)),
        path.format(pk=ticket.pk),
        Body(allowed=0),
        CONTENT_LENGTH=str(SIXTY_MB),
    )

    assert response.status_code == 413
    html = response.content.decode()
    assert "The files are too large" in html and "your browser keeps what you typed" in html
    assert "at most 31.0\xa0MB" in html
    assert not Comment.objects.exists() and Ticket.objects.count() == 1


@override_settings(UPLOAD_MAX_REQUEST_BYTES=200_000)
def test_it_stops_reading_a_chunked_upload_once_it_passes_the_limit(customer: User, ticket: Ticket) -> None:
    body = Body(allowed=200_001)

    response = post(
        logged_in(customer),
        f"/api/tickets/{ticket.pk}/attachments/",
        body,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input_terminated": True},
    )

    assert response.status_code == 413
    assert body.taken == 200_001
    assert not Attachment.objects.exists()


def test_it_takes_a_chunked_upload_within_the_limit(customer: User, ticket: Ticket) -> None:
    content = multipart(file=("export.log", b"ERR-504 upstream timeout\n"))

    response = post(
        logged_in(customer),
        f"/api/tickets/{ticket.pk}/attachments/",
        Body(allowed=len(content), content=content),
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input_terminated": True},
    )

    assert response.status_code == 201
    assert Attachment.objects.get().original_name == "export.log"


def test_it_never_reads_past_the_declared_length_of_an_asgi_body() -> None:
    declared = b'{"body": "short"}'
    request = ASGIRequest(
        {
            "type": "http",
            "method": "POST",
            "path": "/api/x/",
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(declared)).encode()),
            ],
        },
        io.BytesIO(declared + b"x" * 1_000_000),
    )

    UploadLimitMiddleware(lambda r: None)(request)

    assert request.body == declared


def test_it_sets_the_request_limit_above_a_few_full_size_files() -> None:
    assert settings.UPLOAD_MAX_REQUEST_BYTES == 3 * settings.ATTACHMENT_MAX_BYTES + 1024 * 1024
