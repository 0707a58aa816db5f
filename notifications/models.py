"""The outbox (SPEC §8): one row per recipient and channel, written in its cause's transaction."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    IN_APP = "in_app", "In-app"


class State(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """A message to one person on one channel; the dedup key makes each event notify once.

    `next_attempt_at` is when the row may next be tried: for a pending row the backoff after
    a failure, for a sending row the end of the worker's lease (after which it is reclaimed).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=100, help_text=_('Registered kind, e.g. "ticket.sla_warning".'))
    subject = models.CharField(max_length=255)
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    dedup_key = models.CharField(max_length=255)
    link = models.CharField(max_length=500, blank=True, help_text=_("URL path the in-app item opens."))
    thread = models.CharField(
        max_length=60,
        blank=True,
        db_index=True,
        help_text=_(
            'What the mail is about, e.g. "ticket-42": its mails thread together and '
            "replies naming them find their way back (notifications.threading)."
        ),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedup_key"], name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["recipient", "channel", "-created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.channel}, {self.state})"

    @property
    def is_unread(self) -> bool:
        return self.channel == Channel.IN_APP and self.read_at is None
