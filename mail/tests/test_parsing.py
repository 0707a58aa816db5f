"""The parser over tricky inputs: it reads what it can and never raises."""

from __future__ import annotations

from typing import Any

import pytest

from mail.loops import automatic_reason
from mail.parsing import latest_reply, message_key, parse_message
from mail.services import clean_subject, subject_references, uploads

from .conftest import message


def test_it_reads_sender_subject_recipients_and_body() -> None:
    mail = parse_message(
        message(to="Support <SUPPORT@desk.example>", headers={"Cc": "a@x.example, B <b@y.example>"})
    )
    assert mail.sender == "carla@example.com"
    assert mail.sender_name == "Carla Customer"
    assert mail.subject == "Payroll export fails"
    assert mail.to == ["support@desk.example"]
    assert mail.cc == ["a@x.example", "b@y.example"]
    assert mail.text == "The nightly export stops half way."
    assert mail.message_id.endswith("@example.com")
    assert mail.key.startswith("id:")


def test_it_reads_html_only_mail_as_text() -> None:
    raw = (
        b"From: carla@example.com\r\nTo: support@desk.example\r\nSubject: html\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Export&nbsp;fails</p>"
        b"<div>since <b>Monday</b></div><script>alert(1)</script><br>Carla</body></html>\r\n--XX--\r\n"
    )
    mail = parse_message(raw)
    assert mail.html_only
    assert [line for line in mail.text.splitlines() if line] == ["Export fails", "since Monday", "Carla"]
    assert "alert" not in mail.text and "color" not in mail.text


def test_it_decodes_encoded_headers() -> None:
    raw = (
        "From: =?utf-8?q?Bj=C3=B6rn_M=C3=BCller?= <bjorn@example.com>\r\nTo: support@desk.example\r\n"
        "Subject: =?utf-8?b?W0VELTAwMDA0Ml0gRMOpasOgIHZ1IOKAkyBwYWllIGNhc3PDqWU=?=\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Gr=FC=DFe\r\n"
    ).encode("ascii")
    mail = parse_message(raw)
    assert mail.sender_name == "Björn Müller"
    assert mail.subject == "[ED-000042] Déjà vu – paie cassée"
    assert subject_references(mail.subject) == [42]
    assert clean_subject("Re: AW: [ED-000042] Déjà vu") == "Déjà vu"
    assert mail.text == "Grüße"


def test_it_keeps_attachments_with_their_names_and_types() -> None:
    inner = message(subject="the original", body="forwarded text")
    raw = message(
        attachments=[
            ("export.log", b"ERR-504 upstream timeout\n", "text/plain"),
            ("screen.png", b"\x89PNG\r\n\x1a\nfake", "image/png"),
            ("", inner, "message/rfc822"),
        ]
    )
    mail = parse_message(raw)
    names = [p.name for p in mail.attachments]
    assert names[:2] == ["export.log", "screen.png"]
    assert names[2].endswith(".eml")
    assert mail.attachments[0].data == b"ERR-504 upstream timeout\n"
    assert mail.attachments[1].content_type == "image/png"
    assert b"forwarded text" in mail.attachments[2].data
    assert mail.text == "The nightly export stops half way."


def test_it_keeps_a_forwarded_message_as_an_eml_file() -> None:
    raw = (
        b"From: carla@example.com\r\nTo: support@desk.example\r\nSubject: Fwd: alert\r\n"
        b"Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\nSee "
        b"below.\r\n"
        b"--M\r\nContent-Type: message/rfc822\r\n\r\nFrom: monitor@example.com\r\nSubject: alert\r\n\r\n"
        b"disk full\r\n--M--\r\n"
    )
    mail = parse_message(raw)
    assert mail.text == "See below."
    assert [p.name for p in mail.attachments] == ["attachment-1.eml"]
    assert b"disk full" in mail.attachments[0].data


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"From: carla@example.com\r\nSubject: no body separator",
        # multipart without its boundary parameter
        b"From: carla@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--X\r\nhello\r\n--X--\r\n",
        # boundary declared, never closed, a part with broken base64
        b"From: carla@example.com\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not "
        b"base64%%%\r\n",
        # an unknown charset and a header the modern parser rejects
        b'From: "broken <carla@example.com\r\nTo: <<>>@@\r\nMessage-ID: <>\r\n'
        b"Subject: =?x-unknown?q?abc?=\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla\xe9\r\n",
        # nested multiparts with an empty alternative
        b"From: c@example.com\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n--A\r\n"
        b"Content-Type: multipart/alternative; boundary=B\r\n\r\n--B--\r\n--A--\r\n",
    ],
)
def test_it_never_raises_on_malformed_mime(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.key
    automatic_reason(mail)  # nothing downstream raises either
    latest_reply(mail.text)


def test_it_keys_mail_without_a_message_id_by_its_bytes() -> None:
    first = message(message_id=None, body="one")
    assert parse_message(first).message_id == ""
    assert parse_message(first).key == parse_message(first).key == message_key("", first)
    assert parse_message(first).key.startswith("raw:")
    assert parse_message(message(message_id=None, body="two")).key != parse_message(first).key


def test_it_keys_mail_by_message_id_whatever_else_changes() -> None:
    a = message(message_id="<same@example.com>", body="one")
    b = message(message_id="<same@example.com>", body="two", headers={"Received": "by another relay"})
    assert parse_message(a).key == parse_message(b).key


def test_it_reads_a_huge_attachment_and_the_upload_rules_drop_it(settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    huge = b"x" * (3 * 1024 * 1024)
    mail = parse_message(
        message(
            attachments=[
                ("dump.log", huge, "text/plain"),
                ("tool.exe", b"MZ", "application/octet-stream"),
                ("ok.txt", b"fine", "text/plain"),
            ]
        )
    )
    assert [len(p.data) for p in mail.attachments] == [len(huge), 2, 4]
    kept, dropped, why = uploads(mail)
    assert [u.name for u in kept] == ["ok.txt"]
    assert dropped == ["dump.log", "tool.exe"]
    assert any("limit" in reason for reason in why) and any(".exe" in reason for reason in why)


def test_it_strips_quoted_history_and_signature_from_a_reply() -> None:
    text = (
        "Thanks, it works again after the restart.\n\n-- \nCarla Customer\nAcme Manufacturing\n\n"
        "On Tue, 1 Dec 2026 at 10:00, Escalation Desk <support@desk.example> wrote:\n"
        "> Hello Carla,\n> please restart the export service.\n"
    )
    assert latest_reply(text) == "Thanks, it works again after the restart."
    outlook = (
        "Still failing.\n\nBest regards,\nCarla\n\n-----Original Message-----\n"
        "From: Escalation Desk\nSent: Tuesday\n\nold text"
    )
    assert latest_reply(outlook) == "Still failing."
    assert latest_reply("New words\n\n> quoted without a header\n> more") == "New words"
