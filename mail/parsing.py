"""Reading one RFC 822 message into what the intake needs (docs/email.md "Inbound e-mail").

The standard library's `email` package with `policy.default` does the parsing. Mail from the
wild is often broken (bad charsets, truncated base64, headers the modern header parser chokes
on), so every step here falls back instead of raising: `parse_message()` never raises; what
it could not read is listed in `defects`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.utils.html import strip_tags
from mailparser_reply import EmailReplyParser

# Languages whose "On … wrote:" headers and signatures the reply parser recognises.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv"]

_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/tr|/li|/h[1-6]|/table|/blockquote|hr\s*/?)\s*>")
_DROP = re.compile(r"(?is)<\s*(script|style|head)[^>]*>.*?<\s*/\s*\1\s*>")
_BLANKS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Part:
    """One attachment: its file name (never empty), declared type and decoded bytes."""

    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str  # without angle brackets; "" when the message has none
    key: str  # what identifies the message however often it arrives (docs: "handled once")
    sender: str  # the From address, lower case; "" when there is none
    sender_name: str
    subject: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    return_path: str | None = None  # None: no Return-Path header at all
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value
    content_type: str = "text/plain"
    text: str = ""  # the body as plain text (HTML-only mail converted)
    html_only: bool = False
    attachments: list[Part] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        """Every address the message was sent to: To, Cc, Delivered-To, X-Original-To."""
        return [*self.to, *self.cc, *self.delivered_to]

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers


def message_key(message_id: str, raw: bytes) -> str:
    """The Message-ID when there is one (hashed: ids may be long), else the raw bytes' hash."""
    if message_id:
        return "id:" + hashlib.sha256(message_id.strip().lower().encode("utf-8", "replace")).hexdigest()
    return "raw:" + hashlib.sha256(raw).hexdigest()


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words in a raw header value, decoded as far as they decode."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # unknown charset, broken encoded word: keep the raw text
        return value


def _header_values(message: Message, name: str, defects: list[str]) -> list[str]:
    """Every value of one header, decoded; a value the modern header parser rejects is read raw."""
    values: list[str] = []
    for raw_name, raw_value in message.raw_items():
        if raw_name.lower() != name.lower():
            continue
        try:
            parsed = message.policy.header_fetch_parse(raw_name, raw_value)
            values.append(" ".join(str(parsed).split()))
        except Exception as exc:
            defects.append(f"unreadable {raw_name} header ({type(exc).__name__})")
            values.append(" ".join(_decode_words(str(raw_value)).split()))
    return values


def _addresses(values: list[str]) -> list[str]:
    return [address.strip().lower() for _name, address in getaddresses(values) if "@" in address]


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: blocks end lines, tags and scripts go, entities decode."""
    text = _DROP.sub("", markup)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(strip_tags(text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _text_of(part: Message, defects: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return str(content)
    except Exception as exc:  # unknown charset, bad transfer encoding
        defects.append(f"body part read leniently ({type(exc).__name__})")
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            charset = part.get_content_charset() or "utf-8"
            try:
                return payload.decode(charset, "replace")
            except LookupError:
                return payload.decode("utf-8", "replace")
        return str(part.get_payload() or "")


def _filename(part: Message, index: int, defects: list[str]) -> str:
    try:
        name = part.get_filename() or ""
    except Exception as exc:
        defects.append(f"unreadable attachment name ({type(exc).__name__})")
        name = ""
    name = _decode_words(name).replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    if name:
        return name[:200]
    content_type = part.get_content_type()
    extension = (
        ".eml" if content_type == "message/rfc822" else (mimetypes.guess_extension(content_type) or ".bin")
    )
    return f"attachment-{index}{extension}"


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            text = (
                inner[0].as_bytes(policy=policy.SMTP)
                if isinstance(inner, list) and inner
                else (str(inner or "").encode("utf-8", "surrogateescape"))
            )
            # Some clients base64 a forwarded message (RFC 2046 forbids it, but it is seen).
            if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
                return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", text))
            return text
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""
    except Exception as exc:
        defects.append(f"attachment could not be decoded ({type(exc).__name__})")
        return b""


def _body_and_attachments(message: EmailMessage, parsed: ParsedMail) -> None:
    defects = parsed.defects
    body: Message | None = None
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception as exc:
        defects.append(f"no readable body ({type(exc).__name__})")
    if body is not None:
        text = _text_of(body, defects)
        if body.get_content_type() == "text/html":
            parsed.html_only = True
            text = html_to_text(text)
        parsed.text = text.replace("\r\n", "\n").strip()
    elif not message.is_multipart() and message.get_content_maintype() == "text":
        parsed.text = _text_of(message, defects).strip()
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
    except Exception as exc:
        defects.append(f"attachments could not be listed ({type(exc).__name__})")
        parts = []
    if not parts and message.is_multipart():
        # iter_attachments() sees only the top level of mixed mail; walk the rest.
        parts = [
            p
            for p in message.walk()
            if p is not body
            and not p.is_multipart()
            and p.get_content_disposition() in ("attachment", "inline")
            and p.get_filename()
        ]
    for index, part in enumerate(parts, start=1):
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue  # an alternative body nested under mixed: not a file
        parsed.attachments.append(
            Part(
                name=_filename(part, index, defects),
                content_type=part.get_content_type(),
                data=_payload_bytes(part, defects),
            )
        )


def parse_message(raw: bytes) -> ParsedMail:
    """The parts of one message the intake reads; never raises."""
    defects: list[str] = []
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # pragma: no cover - the parser itself is lenient
        defects.append(f"unparseable message ({type(exc).__name__})")
        message = EmailMessage()

    def first(name: str) -> str:
        values = _header_values(message, name, defects)
        return values[0] if values else ""

    message_id = ""
    found = re.search(r"<([^<>\s]+)>", first("Message-ID")) or re.search(r"(\S+@\S+)", first("Message-ID"))
    if found:
        message_id = found.group(1)
    name, address = parseaddr(first("From"))
    headers: dict[str, str] = {}
    for raw_name in dict.fromkeys(n.lower() for n, _v in message.raw_items()):
        values = _header_values(message, raw_name, defects)
        headers[raw_name] = values[0] if values else ""
    return_path = None
    if "return-path" in headers:
        return_path = headers["return-path"].strip()
    parsed = ParsedMail(
        message_id=message_id,
        key=message_key(message_id, raw),
        sender=address.strip().lower() if "@" in address else "",
        sender_name=name.strip(),
        subject=" ".join(first("Subject").split()),
        to=_addresses(_header_values(message, "To", defects)),
        cc=_addresses(_header_values(message, "Cc", defects)),
        delivered_to=_addresses(
            _header_values(message, "Delivered-To", defects)
            + _header_values(message, "X-Original-To", defects)
        ),
        in_reply_to=first("In-Reply-To"),
        references=" ".join(_header_values(message, "References", defects)),
        return_path=return_path,
        headers=headers,
        defects=defects,
    )
    try:
        parsed.content_type = message.get_content_type()
    except Exception:  # pragma: no cover - get_content_type falls back by itself
        parsed.content_type = "text/plain"
    try:
        _body_and_attachments(message, parsed)
    except Exception as exc:  # whatever else the MIME tree holds: keep what was read
        defects.append(f"MIME structure could not be read ({type(exc).__name__})")
    for defect in getattr(message, "defects", []):
        defects.append(type(defect).__name__)
    return parsed


def latest_reply(text: str) -> str:
    """The new words of a reply: quoted history and signature stripped (mail-parser-reply)."""
    if not text.strip():
        return ""
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).read(text)
        body = reply.replies[0].body if reply.replies else text
    except Exception:  # the parser's regexes on odd input: keep the whole text
        body = text
    # Clients that quote without an "On … wrote:" line: drop the trailing "> " block.
    lines = body.rstrip().splitlines()
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip()
