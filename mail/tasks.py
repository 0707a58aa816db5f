"""Celery task of the mail app: beat polls the inbound mailboxes every INBOUND_MAIL_SECONDS."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="mail.fetch", ignore_result=True)
def fetch() -> list[str]:
    """Poll every mailbox of INBOUND_MAIL_URLS once (nothing to do when there is none)."""
    from .imap import fetch_all

    return [str(report) for report in fetch_all()]
