"""Loop protection: what counts as mail no person wrote."""

from __future__ import annotations

import pytest

from mail.loops import automatic_reason
from mail.parsing import parse_message

from .conftest import SUPPORT, message


@pytest.mark.parametrize(
    ("headers", "sender", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "Auto-Submitted"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@example.com"}, None, "Auto-Submitted"),
        ({"Precedence": "bulk"}, None, "Precedence"),
        ({"Precedence": "auto_reply"}, None, "Precedence"),
        ({"Precedence": "list"}, None, "Precedence"),
        ({"Precedence": "junk"}, None, "Precedence"),
        ({"X-Autoreply": "yes"}, None, "X-Autoreply"),
        ({"X-Autorespond": "Out of office"}, None, "X-Autorespond"),
        ({"List-Id": "<payroll.lists.example.com>"}, None, "List-Id"),
        ({"List-Unsubscribe": "<mailto:leave@example.com>"}, None, "List-Unsubscribe"),
        ({"Return-Path": "<>"}, None, "Return-Path"),
        ({"X-Escalation-Desk-Notification": "12"}, None, "our own"),
        ({}, "MAILER-DAEMON@mx.example.com", "bounce"),
        ({}, "postmaster@example.com", "bounce"),
        ({}, SUPPORT, "our own address"),
    ],
)
def test_it_recognises_mail_no_person_wrote(
    headers: dict[str, str], sender: str | None, expected: str
) -> None:
    raw = message(headers=headers, **({"sender": sender} if sender else {}))
    assert expected in automatic_reason(parse_message(raw))


@pytest.mark.parametrize(
    "headers",
    [{}, {"Auto-Submitted": "no"}, {"Precedence": "first-class"}, {"Return-Path": "<carla@example.com>"}],
)
def test_it_lets_a_persons_mail_through(headers: dict[str, str]) -> None:
    assert automatic_reason(parse_message(message(headers=headers))) == ""


def test_it_recognises_a_delivery_status_report() -> None:
    raw = (
        b"From: Mail Delivery System <mailer@mx.example.com>\r\nTo: support@desk.example\r\nSubject: "
        b"Undelivered\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n--R\r\n"
        b"Content-Type: text/plain\r\n\r\nUndeliverable\r\n--R--\r\n"
    )
    assert "report" in automatic_reason(parse_message(raw))
