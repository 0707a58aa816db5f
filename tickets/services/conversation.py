"""The conversation on a ticket: public replies and internal notes, and who hears of them."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused

from .. import notices, permissions, sla
from ..models import Channel, Comment, Ticket
from .attachments import store_attachment, validate_upload
from .core import FINAL_STATES, check_choice, lock_ticket, record_event, refresh_stale
from .lifecycle import ticket_customer_replied


def ticket_comment(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    is_internal: bool = False,
    files: Iterable[UploadedFile] = (),
    channel: str = "",
    dropped_files: Iterable[str] = (),
) -> Comment:
    """Add a public or internal comment; a customer's reply resumes a ticket waiting on them.

    Everyone on the other side hears of it: a customer's reply reaches the assignee (or the
    team leaders) and everyone engaged, and marks the ticket "unread customer reply"; a staff
    reply reaches the customer by mail; an internal note reaches the engaged colleagues.
    `channel` is how it reached us; `dropped_files` names attachments refused on the way in.
    """
    if not permissions.can_comment(ticket, actor, internal=is_internal):
        raise PermissionDenied(gettext("You may not add this comment."))
    if not body or not body.strip():
        raise InvalidInput({"body": [gettext("The comment is empty.")]})
    check_choice(channel, Channel, "channel")
    files = list(files)
    for upload in files:
        validate_upload(upload)
    dropped = [name for name in dropped_files if name]
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _check_not_final(locked)
        comment = Comment.objects.create(
            ticket=locked, author=actor, body=body.strip(), is_internal=is_internal, channel=channel
        )
        for upload in files:
            store_attachment(
                ticket=locked, actor=actor, upload=upload, is_internal=is_internal, comment=comment
            )
        record_event(
            ticket=locked,
            kind="comment",
            actor=actor,
            details={
                "comment": comment.pk,
                "internal": is_internal,
                "files": len(files),
                **({"channel": channel} if channel else {}),
                **({"dropped_files": dropped} if dropped else {}),
            },
            is_public=not is_internal,
        )
        by_customer = permissions.is_customer_of(locked, actor)
        _answer_comment(locked, comment, by_customer=by_customer)
        _tell_of_comment(locked, comment, by_customer=by_customer)
    refresh_stale(ticket, locked)
    return comment


def _check_not_final(ticket: Ticket) -> None:
    """A closed or cancelled ticket takes no more comments: a follow-up ticket does."""
    if ticket.status in FINAL_STATES:
        raise Refused(
            gettext("Comment refused"),
            [
                gettext("an open ticket: %(reference)s is %(status)s; open a follow-up ticket instead")
                % {"reference": ticket.reference, "status": ticket.get_status_display().lower()}
            ],
        )


def _answer_comment(ticket: Ticket, comment: Comment, *, by_customer: bool) -> None:
    """What a comment does to the (locked) ticket: a staff reply to the customer counts as the
    first response; a customer's reply marks the ticket unread and resumes it if it waited on them."""
    actor = comment.author
    if not comment.is_internal and actor.is_agent:
        sla.first_response_given(ticket)
    if by_customer:
        ticket.unread_customer_reply_at = comment.created_at
        Ticket.objects.filter(pk=ticket.pk).update(unread_customer_reply_at=comment.created_at)
    if by_customer and ticket.status == "waiting_on_customer":
        ticket_customer_replied(ticket=ticket, actor=actor, note=gettext("Customer replied with a comment."))


def _tell_of_comment(ticket: Ticket, comment: Comment, *, by_customer: bool) -> None:
    author = comment.author
    excerpt = comment.body if len(comment.body) <= 4000 else comment.body[:4000] + "…"
    context = {"author": str(author), "body": excerpt, "message": excerpt, "comment_id": comment.pk}
    key = f"comment:{comment.pk}"
    if by_customer:
        notices.tell_staff(
            ticket=ticket, kind="ticket.customer_replied", context=context, dedup_key=key, actor=author
        )
        # The requester's colleagues copied in hear of each other's replies too.
        notices.tell_customers(
            ticket=ticket, kind="ticket.public_reply", context=context, dedup_key=key, actor=author
        )
        return
    what = gettext("an internal note") if comment.is_internal else gettext("a reply to the customer")
    notices.tell_staff(
        ticket=ticket,
        kind="ticket.staff_comment",
        context={**context, "what": what},
        dedup_key=key,
        actor=author,
    )
    if not comment.is_internal:
        notices.tell_customers(
            ticket=ticket, kind="ticket.public_reply", context=context, dedup_key=key, actor=author
        )


def ticket_mark_seen(*, ticket: Ticket, actor: User) -> bool:
    """A staff member opened the ticket: its "unread customer reply" marker goes. True if it did.

    A read marker, like an inbox entry's: not a change of the ticket's procedure, so no event.
    """
    if not actor.is_agent or ticket.unread_customer_reply_at is None:
        return False
    cleared = Ticket.objects.filter(pk=ticket.pk, unread_customer_reply_at__isnull=False).update(
        unread_customer_reply_at=None
    )
    ticket.unread_customer_reply_at = None
    return bool(cleared)
