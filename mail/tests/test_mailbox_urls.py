"""INBOUND_MAIL_URLS: imap:// and imaps:// mailboxes, and beat polling them only when set."""

from __future__ import annotations

import importlib
import os
from unittest import mock

import pytest

from mail.imap import parse_mailbox_url


def test_it_reads_a_mailbox_url_with_encoded_user_password_and_folder() -> None:
    box = parse_mailbox_url("imaps://desk%40acme.example:p%2Fss%3Aword@imap.acme.example/Support%20Desk")
    assert (box.secure, box.host, box.port) == (True, "imap.acme.example", 993)
    assert (box.user, box.password, box.folder) == ("desk@acme.example", "p/ss:word", "Support Desk")
    assert box.label == "imaps://desk@acme.example@imap.acme.example:993/Support Desk"
    assert "p/ss:word" not in repr(box)
    plain = parse_mailbox_url("imap://u:p@127.0.0.1:10143")
    assert (plain.secure, plain.port, plain.folder) == (False, 10143, "INBOX")


@pytest.mark.parametrize("url", ["pop3://u:p@host/INBOX", "imap://host/INBOX", "imap:///INBOX"])
def test_it_refuses_what_is_not_an_imap_mailbox(url: str) -> None:
    with pytest.raises(ValueError):
        parse_mailbox_url(url)


@pytest.mark.parametrize(("urls", "scheduled"), [("", False), ("imap://u:p@127.0.0.1:10143/INBOX", True)])
def test_beat_polls_only_when_mailboxes_are_configured(urls: str, scheduled: bool) -> None:
    from escalation_desk import settings as settings_module

    with mock.patch.dict(os.environ, {"INBOUND_MAIL_URLS": urls, "INBOUND_MAIL_SECONDS": "45"}):
        reloaded = importlib.reload(settings_module)
        try:
            entry = reloaded.CELERY_BEAT_SCHEDULE.get("mail-fetch")
            assert (entry is not None) == scheduled
            if scheduled:
                assert entry == {"task": "mail.fetch", "schedule": 45.0, "options": {"expires": 45.0}}
        finally:
            importlib.reload(settings_module)
