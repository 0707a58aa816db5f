"""Fixtures of the inbound-mail tests: our addresses, messages built like a mail client's, and a
private folder on the real test IMAP server (.ci/dovecot)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.utils import timezone
from imap_tools import MailBoxUnencrypted

from tests_support import environment

DOMAIN = "desk.example"
SUPPORT = f"support@{DOMAIN}"
ESCALATIONS = f"escalations@{DOMAIN}"


@pytest.fixture(autouse=True)
def mail_settings(settings: Any) -> Any:
    settings.SUPPORT_MAIL_ADDRESS = SUPPORT
    settings.ESCALATION_MAIL_ADDRESS = ESCALATIONS
    settings.MAIL_MESSAGE_ID_DOMAIN = DOMAIN
    settings.DEFAULT_FROM_EMAIL = f"Escalation Desk <{SUPPORT}>"
    settings.INBOUND_MAIL_UNKNOWN_SENDERS = "reject"
    return settings


def message(
    *,
    sender: str = "Carla Customer <carla@example.com>",
    to: str = SUPPORT,
    subject: str = "Payroll export fails",
    body: str = "The nightly export stops half way.",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    html: str | None = None,
    message_id: str | None = "",
) -> bytes:
    """A message as a mail client writes it: From, To, Subject, Date, Message-ID, a body."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        mail["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        mail[name] = value
    if html is not None and body is None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(body)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    for name, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


@dataclass
class ImapFolder:
    """One private folder of the test IMAP account; the intake polls it as INBOUND_MAIL_URLS."""

    url: str
    folder: str
    user: str
    password: str
    host: str
    port: int

    def _client(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(
            self.user, self.password, initial_folder=self.folder
        )

    def deliver(self, raw: bytes) -> None:
        """APPEND a message, unseen, as an MTA's local delivery would."""
        with self._client() as client:
            client.append(raw, self.folder)

    def flags(self) -> list[tuple[str, ...]]:
        with self._client() as client:
            return [m.flags for m in client.fetch(mark_seen=False, headers_only=True)]

    def unseen(self) -> int:
        return sum("\\Seen" not in flags for flags in self.flags())


@pytest.fixture
def imap_mailbox(settings: Any) -> Iterator[ImapFolder]:
    if not environment.has_imap():
        pytest.skip("needs an IMAP server: start one with `.ci/dovecot` and export TEST_IMAP_URL")
    parts = urlsplit(environment.imap_url())
    folder = f"test-{uuid.uuid4().hex[:12]}"
    box = ImapFolder(
        url=urlunsplit((parts.scheme, parts.netloc, f"/{folder}", "", "")),
        folder=folder,
        user=parts.username or "",
        password=parts.password or "",
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 143,
    )
    with MailBoxUnencrypted(box.host, box.port, timeout=10).login(box.user, box.password) as client:
        client.folder.create(folder)
    settings.INBOUND_MAIL_URLS = [box.url]
    yield box
    with MailBoxUnencrypted(box.host, box.port, timeout=10).login(box.user, box.password) as client:
        client.folder.delete(folder)
