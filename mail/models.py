"""Every inbound message we received, with what became of it (docs/email.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    TICKET = "ticket", _("Created a ticket")
    COMMENT = "comment", _("Added a comment")
    ESCALATION = "escalation", _("Opened an escalation request")
    DROPPED = "dropped", _("Dropped")
    FAILED = "failed", _("Failed (will be retried)")


class InboundMessage(models.Model):
    """One message as it reached us (MTA pipe or IMAP), keyed so that it is handled once.

    The row is written in the transaction of the ticket change it caused, so a message that
    arrives again (a re-fetch after a crash, the MTA retrying) is recognised and not re-applied.
    A failed attempt leaves a `failed` row counting the attempts, so a message that can never
    be handled is dropped after a few tries instead of blocking its mailbox.
    """

    key = models.CharField(
        max_length=80,
        unique=True,
        help_text=_("id:<sha256 of the Message-ID>, or raw:<sha256 of the bytes> without one."),
    )
    message_id = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(
        max_length=200, help_text=_('"pipe", or the IMAP mailbox (without its password).')
    )
    sender = models.CharField(max_length=254, blank=True, db_index=True)
    subject = models.CharField(max_length=500, blank=True)
    recipients = models.TextField(blank=True, help_text=_("To, Cc, Delivered-To and X-Original-To."))
    size = models.PositiveIntegerField(default=0, help_text=_("Bytes"))
    outcome = models.CharField(max_length=20, choices=Outcome.choices, db_index=True)
    reason = models.TextField(blank=True, help_text=_("Why it was dropped, or how it was read."))
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.EscalationCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The customer created for an unknown sender."),
    )
    receipt_sent = models.BooleanField(default=False, help_text=_('The customer was told "we received it".'))
    dropped_files = models.JSONField(default=list, blank=True)
    defects = models.JSONField(default=list, blank=True, help_text=_("What could not be read of the MIME."))
    attempts = models.PositiveSmallIntegerField(
        default=1, help_text=_("Tries to handle it, failed ones included.")
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["sender", "received_at"])]

    def __str__(self) -> str:
        return (
            f"{self.sender or '(no sender)'}: {self.subject or '(no subject)'} — {self.get_outcome_display()}"
        )
