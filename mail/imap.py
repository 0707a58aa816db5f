"""Polling IMAP mailboxes (INBOUND_MAIL_URLS) with imap-tools: each unseen message is handled
by the intake and marked seen only after its ticket change has committed (docs/email.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted

from .services import TemporaryFailure, receive_message

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Mailbox:
    secure: bool
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str

    @property
    def label(self) -> str:
        """The mailbox as the records and the logs name it: never its password."""
        return f"{'imaps' if self.secure else 'imap'}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_mailbox_url(url: str) -> Mailbox:
    """imap://user:password@host:port/FOLDER or imaps://… (user and password percent-encoded)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(
            f"an inbound mailbox URL must start with imap:// or imaps://, not {parts.scheme or '(none)'}://"
        )
    if not parts.hostname or not parts.username:
        raise ValueError(
            "an inbound mailbox URL needs a user and a host: imap://user:password@host:port/FOLDER"
        )
    secure = parts.scheme == "imaps"
    return Mailbox(
        secure=secure,
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def configured_mailboxes() -> list[Mailbox]:
    return [parse_mailbox_url(url) for url in settings.INBOUND_MAIL_URLS if url.strip()]


@dataclass
class FetchReport:
    mailbox: str
    handled: int = 0
    acknowledged: int = 0  # handled before (after a crash): only marked seen now
    failed: int = 0
    error: str = ""

    def __str__(self) -> str:
        if self.error:
            return f"{self.mailbox}: not polled: {self.error}"
        return (
            f"{self.mailbox}: {self.handled} handled, {self.acknowledged} already handled, "
            f"{self.failed} to retry"
        )


def _connect(box: Mailbox) -> BaseMailBox:
    client = (
        MailBox(box.host, box.port, timeout=TIMEOUT_SECONDS)
        if box.secure
        else MailBoxUnencrypted(box.host, box.port, timeout=TIMEOUT_SECONDS)
    )
    return client.login(box.user, box.password, initial_folder=box.folder)


def _raw(client: BaseMailBox, uid: str) -> bytes | None:
    """The message exactly as stored (PEEK: reading it does not mark it seen)."""
    status, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise OSError(f"FETCH {uid} failed: {status} {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged meanwhile


def _mark_seen(client: BaseMailBox, uid: str) -> None:
    status, data = client.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    if status != "OK":
        raise OSError(f"STORE {uid} \\Seen failed: {status} {data!r}")


def fetch_mailbox(box: Mailbox, *, limit: int | None = None) -> FetchReport:
    """Handle the mailbox's unseen messages once, oldest first."""
    report = FetchReport(mailbox=box.label)
    try:
        with _connect(box) as client:
            uids = client.uids(AND(seen=False))
            for uid in uids[:limit] if limit else uids:
                raw = _raw(client, uid)
                if raw is None:
                    continue
                try:
                    received = receive_message(raw, source=box.label)
                except TemporaryFailure:
                    report.failed += 1  # stays unseen: the next poll tries it again
                    continue
                # Only now, with the ticket change committed: a crash before this line leaves
                # the message unseen, and the next poll recognises it and only marks it seen.
                _mark_seen(client, uid)
                if received.duplicate:
                    report.acknowledged += 1
                else:
                    report.handled += 1
    except Exception as exc:  # the server is down, the login is refused: the next poll tries again
        report.error = f"{type(exc).__name__}: {exc}"
        logger.warning("Inbound mailbox %s could not be polled: %s", box.label, report.error)
    return report


def fetch_all(*, limit: int | None = None) -> list[FetchReport]:
    """Poll every mailbox of INBOUND_MAIL_URLS once."""
    return [fetch_mailbox(box, limit=limit) for box in configured_mailboxes()]
