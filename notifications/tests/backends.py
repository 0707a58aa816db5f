"""An e-mail backend whose SMTP server always refuses, for the retry tests."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class FailingBackend(BaseEmailBackend):
    attempts = 0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        FailingBackend.attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
