"""Writing, delivering and re-driving notifications (SPEC §8): every change to a row is here.

Delivery is claimed with a conditional update, so a row is sent once however many tasks or
sweeps reach it. In-app rows are delivered by being written: they are created `sent` (and
vanish with a rolled-back transaction); `read_at` records reading. Only e-mail rows travel
through the broker, the retries and the re-drive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.constants import OnConflict
from django.template import Context, Template
from django.template.loader import select_template
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.models import User
from escalation_desk import log_context

from . import threading
from .models import Channel, Notification, State
from .registry import get_kind, is_registered

logger = logging.getLogger(__name__)

try:  # Redis is the production broker; its errors can escape kombu's wrapping.
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    _REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover - redis is in requirements.txt
    _REDIS_ERRORS = ()

# What a broker outage looks like to the publisher: the row stays pending for the re-drive.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuOperationalError, OSError, *_REDIS_ERRORS)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_attempts() -> int:
    return _setting("NOTIFICATIONS_MAX_ATTEMPTS", 5)


def lease() -> timedelta:
    """How long a worker may hold a row in `sending` before it is presumed dead."""
    return timedelta(seconds=_setting("NOTIFICATIONS_LEASE_SECONDS", 600))


def grace() -> timedelta:
    """How long a new row waits for its on-commit task before the re-drive takes it."""
    return timedelta(seconds=_setting("NOTIFICATIONS_GRACE_SECONDS", 60))


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: base, 2×base, 4×base … capped."""
    base = _setting("NOTIFICATIONS_BACKOFF_SECONDS", 60)
    cap = _setting("NOTIFICATIONS_BACKOFF_CAP_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


# --- writing ---------------------------------------------------------------------------------


def render_subject(*, kind: str, context: dict[str, Any]) -> str:
    text = Template(get_kind(kind).subject).render(Context(context, autoescape=False))
    return " ".join(text.split())[:255]


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    context: dict[str, Any] | None,
    dedup_key: str,
    channels: Sequence[str] = (Channel.EMAIL, Channel.IN_APP),
    link: str | Callable[[User], str] = "",
    thread: str = "",
    exclude: Iterable[User | None] = (),
    new_event: bool = False,
) -> list[Notification]:
    """Write the outbox rows of one event (returns those this call wrote); call it inside the
    transaction of the event.

    The same (recipient, channel, dedup_key) is written once, ever. Users without an e-mail
    address get no e-mail row. E-mail rows are queued for delivery when the caller commits.
    `link` may be a function of the recipient (customers and staff open different pages);
    `thread` names what the mail is about so its mails thread (notifications.threading);
    `exclude` is whoever caused the event: nobody is notified of their own action.
    `new_event`: nobody can have been told of it yet (a ticket created in this very transaction:
    its dedup key names a row id nobody had), so the rows are one plain INSERT without the
    read-back; the unique constraint still holds "once, ever" (a duplicate fails the caller).
    """
    _check_notify_arguments(kind=kind, dedup_key=dedup_key, channels=channels)
    now = timezone.now()
    wanted = _wanted_rows(
        _recipients(recipients, exclude),
        kind=kind,
        context=dict(context or {}),
        dedup_key=dedup_key,
        channels=channels,
        link=link,
        thread=thread,
        now=now,
    )
    if not wanted:
        return []
    if new_event:
        Notification.objects.bulk_create(wanted)
        rows = wanted
    else:
        rows = _write_once(wanted)
    # Rows written by this call carry its own instant; an older copy of the event is not re-sent
    # (and were one taken for new, delivery's conditional claim still sends it once).
    to_deliver = [
        row.pk for row in rows if row.channel != Channel.IN_APP and row.created_at == now and not row.attempts
    ]
    if to_deliver:
        # One hand-over for the call's rows: at the first broker failure the rest wait too.
        # Inside batched_emails() (a deadline sweep) they wait for the sweep's end instead.
        transaction.on_commit(partial(_hand_over, to_deliver, batch=_email_batch.get()), robust=True)
    return rows


def _wanted_rows(
    users: Iterable[User],
    *,
    kind: str,
    context: dict[str, Any],
    dedup_key: str,
    channels: Sequence[str],
    link: str | Callable[[User], str],
    thread: str,
    now: datetime,
) -> list[Notification]:
    """One unsaved row per person and channel (no e-mail row for someone without an address)."""
    subject = render_subject(kind=kind, context=context)
    return [
        Notification(
            recipient=user,
            channel=channel,
            dedup_key=dedup_key,
            **_row_fields(
                kind=kind,
                subject=subject,
                context=context,
                link=link(user) if callable(link) else link,
                thread=thread,
                in_app=channel == Channel.IN_APP,
                now=now,
            ),
        )
        for user in users
        for channel in channels
        if channel != Channel.EMAIL or user.email
    ]


# The e-mail rows committed inside batched_emails() (notifications.batching), or None outside.
_email_batch: ContextVar[list[int] | None] = ContextVar("notification_email_batch", default=None)


def _hand_over(notification_ids: list[int], *, batch: list[int] | None) -> None:
    """After the cause commits: queue the rows, or keep them for the batch they were written in."""
    if batch is not None:
        batch.extend(notification_ids)
    else:
        enqueue_deliveries(notification_ids)


def _write_once(wanted: list[Notification]) -> list[Notification]:
    """Insert the event's rows that are not written yet; returns the rows this call wrote.

    One INSERT … ON CONFLICT DO NOTHING … RETURNING for every recipient: the unique constraint
    (recipient, channel, dedup_key) drops what this event already wrote, concurrent writers
    included, and the rows it returns are the ones written now, with their pks: no read-back.
    (``bulk_create(ignore_conflicts=True)`` returns no pks; Django's ``_insert`` is the insert it
    runs, here asked for the columns that name a row.)"""
    meta = Notification._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    written = Notification.objects._insert(
        wanted,
        fields=fields,
        returning_fields=[meta.pk, meta.get_field("recipient"), meta.get_field("channel")],
        on_conflict=OnConflict.IGNORE,
    )
    by_pair = {(row.recipient_id, row.channel): row for row in wanted}
    rows = []
    # A one-row insert that the constraint dropped returns [None] (Django fetches one row then).
    for pk, recipient_id, channel in (returned for returned in written or () if returned is not None):
        row = by_pair[(recipient_id, channel)]
        row.pk = pk
        row._state.adding, row._state.db = False, Notification.objects.db
        rows.append(row)
    return sorted(rows, key=lambda row: row.pk)


def _check_notify_arguments(*, kind: str, dedup_key: str, channels: Sequence[str]) -> None:
    if not is_registered(kind):
        raise LookupError(f"Notification kind {kind!r} is not registered")
    if not dedup_key:
        raise ValueError("notify() needs a dedup_key naming the event")
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"Unknown notification channels: {sorted(unknown)}")


def _recipients(recipients: Iterable[User], exclude: Iterable[User | None]) -> Iterator[User]:
    """Each active recipient once, leaving out whoever caused the event."""
    seen: set[int] = {user.pk for user in exclude if user is not None}
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        yield user


def _row_fields(
    *, kind: str, subject: str, context: dict[str, Any], link: str, thread: str, in_app: bool, now: datetime
) -> dict[str, Any]:
    """A new row's fields: in-app rows are sent as written, e-mail rows wait for delivery."""
    return {
        "kind": kind,
        "subject": subject,
        "context": context,
        "link": link,
        "thread": thread,
        "state": State.SENT if in_app else State.PENDING,
        "sent_at": now if in_app else None,
        "created_at": now,
        "next_attempt_at": now,
    }


# When this process last failed to publish (time.monotonic()); 0.0: the broker is presumed up.
_publish_failed_at = 0.0


def publish_pause() -> float:
    """Seconds after a failed publish during which new rows are left to the re-drive."""
    return float(getattr(settings, "NOTIFICATIONS_PUBLISH_PAUSE_SECONDS", 10))


def publishing_paused() -> bool:
    """True shortly after a failed publish: don't make another request wait on the broker."""
    return bool(_publish_failed_at) and time.monotonic() - _publish_failed_at < publish_pause()


def resume_publishing() -> None:
    """Presume the broker up again (the pause also ends by itself)."""
    global _publish_failed_at
    _publish_failed_at = 0.0


def _pause_publishing() -> None:
    global _publish_failed_at
    _publish_failed_at = time.monotonic()


def _some(ids: Sequence[int]) -> str:
    return ", ".join(map(str, ids[:10])) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def enqueue_deliveries(notification_ids: Sequence[int]) -> int:
    """Hand rows to the workers over one connection; at the first broker failure leave the rest
    to the re-drive. Returns how many were handed over.

    Each publish is tried once (no retry; BROKER_TIMEOUT_SECONDS bounds the connect, every socket
    operation and the wait for a pooled connection), so a request with any number of recipients
    waits on a frozen or dead broker for one timeout at most, and for none during the pause that
    follows a failure. The rows stay pending: the re-drive sends them.
    """
    from .tasks import deliver_notification  # tasks import this module

    ids = list(notification_ids)
    app = deliver_notification.app
    if app.conf.task_always_eager:  # runs in-process: no broker to wait on
        for pk in ids:
            deliver_notification.apply_async((pk,))
        return len(ids)
    if publishing_paused():
        logger.warning(
            "Broker failed under %ss ago: notifications %s stay pending for the re-drive",
            publish_pause(),
            _some(ids),
        )
        return 0
    handed = 0
    try:
        # Our own connection, acquired with broker_pool_acquire_timeout: kombu's producer pool
        # would wait for a pooled connection without any timeout.
        with app.connection_or_acquire() as broker:
            for pk in ids:
                deliver_notification.apply_async((pk,), retry=False, connection=broker)
                handed += 1
    except BROKER_ERRORS as exc:
        _pause_publishing()
        logger.warning(
            "Broker unreachable (%s): notifications %s stay pending for the re-drive",
            exc,
            _some(ids[handed:]),
        )
    return handed


# --- delivering ------------------------------------------------------------------------------


def render_email(notification: Notification) -> EmailMultiAlternatives:
    """The message of one e-mail row: the kind's text and HTML templates over its context."""
    kind = get_kind(notification.kind)
    site = settings.SITE_URL.rstrip("/") + "/"
    context: dict[str, Any] = {
        **notification.context,
        "subject": notification.subject,
        "recipient": notification.recipient,
        "notification": notification,
        "site_url": settings.SITE_URL,
        "link_url": urljoin(site, notification.link.lstrip("/")) if notification.link else "",
    }
    if "signature" not in context:
        context["signature"] = kind.signature(notification) if kind.signature else ""
    if kind.delivery_context:
        # What must not be stored on the row (a reset link's token) is made only now.
        context.update(kind.delivery_context(notification))
    text = select_template(kind.text_templates).render(context)
    html = select_template(kind.html_templates).render(context)
    headers = {
        "X-Escalation-Desk-Notification": str(notification.pk),
        "Message-ID": threading.message_id_for(notification),
    }
    if notification.thread:
        root = threading.thread_root_id(notification.thread)
        headers.update({"In-Reply-To": root, "References": root})
    if kind.automatic:
        # RFC 3834: auto-responders must not answer; Exchange's own switch for the same.
        headers.update({"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"})
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        reply_to=[settings.SUPPORT_MAIL_ADDRESS],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def deliver(*, notification_id: int, now: datetime | None = None) -> bool:
    """Claim one due pending e-mail row, send it, mark it sent; False if not ours to send."""
    now = now or timezone.now()
    seen = (
        Notification.objects.filter(pk=notification_id, channel=Channel.EMAIL)
        .values_list("state", "attempts")
        .first()
    )
    if seen is None or seen[0] != State.PENDING:
        return False
    attempts = seen[1]
    claimed = Notification.objects.filter(
        pk=notification_id, state=State.PENDING, attempts=attempts, next_attempt_at__lte=now
    ).update(state=State.SENDING, next_attempt_at=now + lease())
    if not claimed:
        return False  # another worker has it, or its backoff has not passed
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    with log_context.about_thread(notification.thread):
        try:
            if not notification.recipient.email:
                raise ValueError("the recipient has no e-mail address")
            render_email(notification).send(fail_silently=False)
        except Exception as exc:  # any failure (SMTP, template) is retried, then given up
            _record_failure(notification_id=notification_id, attempts=attempts + 1, error=exc)
            return False
    # A row reclaimed meanwhile (lease passed) but not yet re-sent is sent now: don't send twice.
    Notification.objects.filter(pk=notification_id, state__in=[State.SENDING, State.PENDING]).update(
        state=State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def _record_failure(*, notification_id: int, attempts: int, error: BaseException) -> None:
    now = timezone.now()
    message = f"{type(error).__name__}: {error}"[:2000]
    gives_up = attempts >= max_attempts()
    Notification.objects.filter(pk=notification_id, state=State.SENDING).update(
        attempts=attempts,
        last_error=message,
        state=State.FAILED if gives_up else State.PENDING,
        next_attempt_at=now if gives_up else now + backoff(attempts),
    )
    log = logger.error if gives_up else logger.warning
    log(
        "Notification %s attempt %s failed%s: %s",
        notification_id,
        attempts,
        " (giving up)" if gives_up else "",
        message,
    )


# --- re-driving ------------------------------------------------------------------------------


def reclaim_stale(*, now: datetime | None = None) -> int:
    """Rows left `sending` past their lease (the worker died) count as a failed attempt."""
    now = now or timezone.now()
    stale = Notification.objects.filter(state=State.SENDING, next_attempt_at__lte=now)
    error = "worker lost: the delivery lease expired"
    given_up = stale.filter(attempts__gte=max_attempts() - 1).update(
        state=State.FAILED, attempts=F("attempts") + 1, last_error=error
    )
    retried = stale.update(
        state=State.PENDING, attempts=F("attempts") + 1, next_attempt_at=now, last_error=error
    )
    if given_up or retried:
        logger.warning("Reclaimed %s stale notifications (%s given up)", given_up + retried, given_up)
    return given_up + retried


def due_for_redrive(*, now: datetime) -> QuerySet[Notification]:
    """Pending e-mail rows whose task should have run: new past the grace, retries past backoff."""
    return Notification.objects.filter(channel=Channel.EMAIL, state=State.PENDING).filter(
        Q(attempts=0, created_at__lte=now - grace(), next_attempt_at__lte=now)
        | Q(attempts__gt=0, next_attempt_at__lte=now)
    )


def redrive_undelivered(*, now: datetime | None = None, limit: int = 500) -> int:
    """Deliver, inline and with the same claim, what the broker lost or a failure postponed."""
    now = now or timezone.now()
    reclaim_stale(now=now)
    ids = list(
        due_for_redrive(now=now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )
    sent = sum(deliver(notification_id=pk, now=now) for pk in ids)
    if ids:
        logger.info("Re-drive: %s of %s due notifications sent", sent, len(ids))
    return sent


def redrive_selected(*, notification_ids: Iterable[int], now: datetime | None = None) -> int:
    """One more try now for chosen e-mail rows, failed ones included (the admin action)."""
    now = now or timezone.now()
    ids = list(notification_ids)
    Notification.objects.filter(
        pk__in=ids, channel=Channel.EMAIL, state__in=[State.PENDING, State.FAILED]
    ).update(state=State.PENDING, next_attempt_at=now)
    return sum(deliver(notification_id=pk, now=now) for pk in ids)


# --- reading ---------------------------------------------------------------------------------


def mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's in-app notifications read; DoesNotExist if it is not theirs."""
    notification = Notification.objects.get(pk=notification_id, recipient=user, channel=Channel.IN_APP)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user: User, thread: str | None = None) -> int:
    """Mark read all the user's unread in-app entries, or only those of one thread."""
    rows = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
    if thread is not None:
        if not thread:
            return 0
        rows = rows.filter(thread=thread)
    return rows.update(read_at=timezone.now())


# --- redaction -------------------------------------------------------------------------------


def notification_redact(*, dedup_key: str, fields: Iterable[str], notice: str) -> int:
    """Replace the named context fields of every copy of one event's notice (personal data
    redacted at its source); a copy not yet sent goes out with the notice. Returns the count."""
    names = list(fields)
    rows = list(Notification.objects.select_for_update().filter(dedup_key=dedup_key))
    for row in rows:
        row.context = {**row.context, **{name: notice for name in names if name in row.context}}
        Notification.objects.filter(pk=row.pk).update(context=row.context)
    return len(rows)
