"""Reads for the in-app inbox: a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import Channel, Notification


def inbox(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).only(
        "pk", "kind", "subject", "link", "created_at", "read_at", "recipient_id", "channel"
    )


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()
