"""One e-mail per person per deadline sweep: the sweep's notices to someone become a digest.

`batched_emails()` is wrapped around a deadline sweep (registered with the clocks app's sweep
hook by `NotificationsConfig.ready`, so clocks imports nothing of ours). Inside it, `notify()`
still writes each row in its cause's transaction, but the e-mail rows it commits are kept
instead of queued; when the sweep ends, a person with one row gets that mail as usual and a
person with several gets one digest listing each item. Rows a rolled-back deadline wrote
never reach the batch (they are kept from the commit). Customer-facing mail (portal links,
the engineer's signature, its own thread) is never merged. The rows stay the outbox: the
digest claims them `pending → sending` like one delivery, and whatever it cannot claim, or
a broker outage leaves behind, the re-drive sends one by one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import ngettext

from . import services
from .models import Channel, Notification, State

logger = logging.getLogger(__name__)

DIGEST_TEXT = "notifications/email/digest.txt"
DIGEST_HTML = "notifications/email/digest.html"


@contextmanager
def batched_emails() -> Iterator[None]:
    """Keep the e-mails committed inside the block; send them per person when it ends."""
    if services._email_batch.get() is not None:  # nested: the outer batch sends
        yield
        return
    batch: list[int] = []
    token = services._email_batch.set(batch)
    try:
        yield
    finally:
        services._email_batch.reset(token)
        # After the block's last commit (at once outside a transaction): the rows are visible.
        transaction.on_commit(lambda: send_batch(batch), robust=True)


def send_batch(notification_ids: Sequence[int]) -> None:
    """Queue one delivery per person: a lone row as itself, several as one digest."""
    from .tasks import deliver_digest

    rows = Notification.objects.filter(pk__in=list(notification_ids), channel=Channel.EMAIL)
    singles: list[int] = []
    per_person: dict[int, list[int]] = defaultdict(list)
    for pk, recipient_id, context in rows.order_by("pk").values_list("pk", "recipient_id", "context"):
        if context.get("customer_facing"):
            singles.append(pk)
        else:
            per_person[recipient_id].append(pk)
    for ids in per_person.values():
        if len(ids) == 1:
            singles.extend(ids)
    if singles:
        services.enqueue_deliveries(sorted(singles))
    for ids in (ids for ids in per_person.values() if len(ids) > 1):
        try:
            deliver_digest.apply_async((ids,), retry=False)
        except services.BROKER_ERRORS as exc:
            logger.warning("Broker unreachable (%s): digest of %s stays pending for the re-drive", exc, ids)


def render_digest(rows: Sequence[Notification]) -> EmailMultiAlternatives:
    """One message listing each row: its subject, message and link."""
    site = settings.SITE_URL.rstrip("/") + "/"
    items = [
        {
            "subject": row.subject,
            "message": row.context.get("message", ""),
            "link_url": urljoin(site, row.link.lstrip("/")) if row.link else "",
        }
        for row in rows
    ]
    recipient = rows[0].recipient
    subject = ngettext(
        "%(count)d notice from Escalation Desk", "%(count)d notices from Escalation Desk", len(items)
    )
    context = {"recipient": recipient, "items": items, "subject": subject % {"count": len(items)}}
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=render_to_string(DIGEST_TEXT, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        reply_to=[settings.SUPPORT_MAIL_ADDRESS],
        headers={
            "X-Escalation-Desk-Notification": ",".join(str(row.pk) for row in rows),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(render_to_string(DIGEST_HTML, context), "text/html")
    return message


def deliver_digest(*, notification_ids: Sequence[int], now: datetime | None = None) -> int:
    """Claim the due pending rows among these, send them as one mail, mark them sent.

    Returns how many rows the mail carried (0: none was ours to send). On failure the claimed
    rows go back to pending with the attempt counted, for the re-drive to send one by one.
    """
    now = now or timezone.now()
    due = Notification.objects.filter(
        pk__in=list(notification_ids), channel=Channel.EMAIL, state=State.PENDING, next_attempt_at__lte=now
    )
    claimed = list(due.values_list("pk", flat=True))
    if not claimed:
        return 0
    Notification.objects.filter(pk__in=claimed, state=State.PENDING).update(
        state=State.SENDING, next_attempt_at=now + services.lease()
    )
    rows = list(
        Notification.objects.select_related("recipient")
        .filter(pk__in=claimed, state=State.SENDING, next_attempt_at=now + services.lease())
        .order_by("created_at", "pk")
    )
    if not rows:
        return 0
    try:
        if not rows[0].recipient.email:
            raise ValueError("the recipient has no e-mail address")
        render_digest(rows).send(fail_silently=False)
    except Exception as exc:  # the rows are retried singly by the re-drive
        for row in rows:
            services._record_failure(notification_id=row.pk, attempts=row.attempts + 1, error=exc)
        return 0
    Notification.objects.filter(pk__in=[row.pk for row in rows], state=State.SENDING).update(
        state=State.SENT, sent_at=timezone.now(), last_error=""
    )
    return len(rows)
