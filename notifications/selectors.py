"""Reads for the in-app inbox: a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from accounts.models import User

from .models import Channel, Notification


def inbox(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).only(
        "pk",
        "kind",
        "subject",
        "link",
        "created_at",
        "read_at",
        "recipient_id",
        "channel",
        "thread",
        "context",
    )


@dataclass
class InboxGroup:
    """The entries of one page about one thing (a ticket), newest first."""

    thread: str
    title: str
    link: str
    items: list[Notification] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(1 for item in self.items if item.read_at is None)


def grouped(items: Iterable[Notification]) -> list[InboxGroup]:
    """Group a page of entries by what they are about, the group with the newest entry first;
    entries about nothing in particular stand alone."""
    groups: dict[str, InboxGroup] = {}
    for item in items:
        key = item.thread or f"single-{item.pk}"
        group = groups.get(key)
        if group is None:
            context = item.context or {}
            title = " ".join(
                str(part) for part in (context.get("reference", ""), context.get("summary", "")) if part
            )
            group = groups[key] = InboxGroup(
                thread=item.thread, title=title if item.thread else "", link=item.link
            )
        group.items.append(item)
    return list(groups.values())


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()
