"""`manage.py receive_mail`: the MTA pipe's exit code contract (0 handled or dropped, 75 retry)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from mail.models import InboundMessage, Outcome
from tickets.models import Ticket
from tickets.services import intake

from .conftest import message

pytestmark = pytest.mark.django_db


def run(raw: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("receive_mail", stdin=io.BytesIO(raw), stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_it_exits_0_when_the_message_became_a_ticket(customer: User) -> None:
    code, out, _ = run(message())
    assert code == 0
    assert Ticket.objects.count() == 1
    assert out.startswith("created a ticket")


def test_it_exits_0_when_the_message_is_dropped_on_purpose(customer: User) -> None:
    code, out, _ = run(message(headers={"Auto-Submitted": "auto-replied"}))
    assert code == 0 and out.startswith("dropped")
    assert InboundMessage.objects.get().outcome == Outcome.DROPPED


def test_it_exits_0_when_the_mta_delivers_the_same_message_again(customer: User) -> None:
    raw = message()
    run(raw)
    code, out, _ = run(raw)
    assert code == 0 and out.startswith("already handled")
    assert Ticket.objects.count() == 1


def test_it_exits_75_with_the_reason_on_a_temporary_failure(customer: User) -> None:
    with mock.patch.object(intake, "ticket_create", side_effect=RuntimeError("disk full")):
        code, _, err = run(message())
    assert code == 75
    assert "try again later" in err and "disk full" in err
    assert not Ticket.objects.exists()


def test_it_exits_75_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """What the MTA really sees: a process with no database keeps the message queued."""
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "TESTING": "true"}
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "receive_mail"],
        input=message(),
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 75, result.stderr
    assert b"try again later" in result.stderr


def test_fetch_mail_says_when_there_is_no_mailbox(settings: object) -> None:
    settings.INBOUND_MAIL_URLS = []  # type: ignore[attr-defined]
    out = io.StringIO()
    call_command("fetch_mail", stdout=out)
    assert "no mailbox to poll" in out.getvalue()
