"""Loop protection: mail no person wrote never creates a ticket and never gets an answer.

RFC 3834 (Auto-Submitted), the de-facto Precedence and X-Autoreply/X-Autorespond headers,
mailing-list headers (RFC 2369/2919), bounces (empty Return-Path, MAILER-DAEMON, postmaster,
delivery status reports) and our own notifications coming back are all recognised here.
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext

from .parsing import ParsedMail

BULK_PRECEDENCE = {"bulk", "auto_reply", "list", "junk"}
DAEMON_SENDERS = {"mailer-daemon", "postmaster"}


def _our_addresses() -> set[str]:
    found = {settings.SUPPORT_MAIL_ADDRESS.lower(), settings.ESCALATION_MAIL_ADDRESS.lower()}
    found.add(parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower())
    return {a for a in found if a}


def automatic_reason(mail: ParsedMail) -> str:
    """Why this message is automatic (an auto-reply, bulk or list mail, a bounce), or ""."""
    auto_submitted = mail.header("Auto-Submitted").split(";", 1)[0].strip().lower()
    if mail.has_header("Auto-Submitted") and auto_submitted != "no":
        return gettext("automatic mail (Auto-Submitted: %(value)s)") % {
            "value": auto_submitted or gettext("empty")
        }
    precedence = mail.header("Precedence").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return gettext("bulk or automatic mail (Precedence: %(value)s)") % {"value": precedence}
    for name in ("X-Autoreply", "X-Autorespond"):
        if mail.has_header(name):
            return gettext("an auto-reply (%(header)s)") % {"header": name}
    if mail.has_header("X-Escalation-Desk-Notification"):
        return gettext("one of our own notifications came back")
    # Mailing lists (RFC 2919, 2369): a list's copy of a post, or a newsletter, is nobody's
    # request; a person who copies us in directly sends a copy without these headers.
    if mail.has_header("List-Id"):
        return gettext("mailing-list mail (List-Id)")
    if mail.has_header("List-Unsubscribe"):
        return gettext("bulk mail (List-Unsubscribe)")
    if mail.return_path is not None and mail.return_path.replace(" ", "") in ("<>", ""):
        return gettext("a bounce (Return-Path: <>)")
    local = mail.sender.partition("@")[0]
    if local in DAEMON_SENDERS:
        return gettext("a bounce or system message (from %(sender)s)") % {"sender": mail.sender}
    if mail.content_type == "multipart/report":
        return gettext("a delivery or disposition report (multipart/report)")
    if mail.sender and mail.sender in _our_addresses():
        return gettext("mail from our own address (%(sender)s)") % {"sender": mail.sender}
    return ""
