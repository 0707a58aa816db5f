"""Mail threading: the Message-ID, In-Reply-To and References of the mails we send, and the
threads a reply names (SPEC §8, docs/email.md).

A notification about a subject carries a thread name such as "ticket-42". Every mail of that
thread says `In-Reply-To` / `References: <ticket-42@domain>` (the thread's root), so mail
clients show a ticket's mails as one conversation, and has its own Message-ID
`<ticket-42.n1234@domain>` (1234 is the outbox row). A reply names one of these in its own
In-Reply-To or References: `threads_named_by()` reads them back, checking a message id against
the outbox row it claims to be, so a made-up id names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings

from .models import Channel, Notification

_THREAD = re.compile(r"^(?P<thread>[a-z][a-z0-9_]*-\d+)(?:\.n(?P<pk>\d+))?$")
_ANGLE = re.compile(r"<([^<>\s]+)>")


def domain() -> str:
    return settings.MAIL_MESSAGE_ID_DOMAIN.lower()


def thread_root_id(thread: str) -> str:
    """The Message-ID every mail of the thread replies to."""
    return f"<{thread}@{domain()}>"


def message_id_for(notification: Notification) -> str:
    if notification.thread:
        return f"<{notification.thread}.n{notification.pk}@{domain()}>"
    return f"<notification.n{notification.pk}@{domain()}>"


def message_ids_in(values: Iterable[str | None]) -> list[str]:
    """Every <id> in header values (In-Reply-To, References), in order, without brackets."""
    found: list[str] = []
    for value in values:
        for match in _ANGLE.finditer(str(value or "")):
            if match.group(1) not in found:
                found.append(match.group(1))
    return found


def threads_named_by(header_values: Iterable[str | None]) -> list[str]:
    """The threads (e.g. "ticket-42") that In-Reply-To / References values name, newest first.

    Only ids on our domain count; an id naming an outbox row must match that row's thread.
    """
    ours = domain()
    candidates: list[tuple[str, int | None]] = []
    for message_id in message_ids_in(header_values):
        local, _, host = message_id.rpartition("@")
        if host.lower() != ours:
            continue
        match = _THREAD.match(local)
        if match:
            candidates.append((match["thread"], int(match["pk"]) if match["pk"] else None))
    pks = [pk for _thread, pk in candidates if pk is not None]
    sent = (
        dict(Notification.objects.filter(pk__in=pks, channel=Channel.EMAIL).values_list("pk", "thread"))
        if pks
        else {}
    )
    threads: list[str] = []
    # References lists the oldest first and In-Reply-To the direct parent: newest first here.
    for thread, pk in reversed(candidates):
        if pk is not None and sent.get(pk) != thread:
            continue
        if thread not in threads:
            threads.append(thread)
    return threads
