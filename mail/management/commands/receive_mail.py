"""Read one RFC 822 message on standard input, as an MTA pipes it (docs/email.md).

Exit codes (sysexits.h, what Postfix and Exim understand): 0 when the message is handled or
deliberately dropped; 75 (EX_TEMPFAIL) with the reason on standard error when it could not be
handled now, so the MTA keeps it and tries again later.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalation_desk.startup import refuse_development_settings
from mail.services import TemporaryFailure, receive_message

EX_OK = 0
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Handle one e-mail read from standard input (an MTA pipe): exit 0 when handled or dropped, "
        "75 (EX_TEMPFAIL) when the MTA should try again later."
    )

    # call_command("receive_mail", stdin=io.BytesIO(raw)) in tests; sys.stdin otherwise.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", default="pipe", help='How the message reached us (default "pipe").')

    def handle(self, *args: Any, source: str, **options: Any) -> None:
        stream = options.get("stdin") or sys.stdin
        stream = getattr(stream, "buffer", stream)
        try:
            refuse_development_settings()  # the MTA keeps the message (75) until it is set up
            raw = stream.read()
            if isinstance(raw, str):
                raw = raw.encode("utf-8", "surrogateescape")
            received = receive_message(raw, source=source)
        except TemporaryFailure as exc:
            self.stderr.write(f"temporary failure, try again later: {exc}")
            raise SystemExit(EX_TEMPFAIL) from exc
        except Exception as exc:  # the database is down, the settings are broken…: the MTA keeps it
            self.stderr.write(f"temporary failure, try again later: {type(exc).__name__}: {exc}")
            raise SystemExit(EX_TEMPFAIL) from exc
        record = received.record
        what = "already handled" if received.duplicate else record.get_outcome_display().lower()
        self.stdout.write(f"{what}: {record.reason}".rstrip(": "))
