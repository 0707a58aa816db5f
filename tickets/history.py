"""Services that change how a ticket's record is shown, never what happened (SPEC §10).

A troubleshooting step is shared with the customer or taken back (`step_set_visibility`), and
personal data is redacted from a comment, a step or a file (`*_redact`): the object stays, its
content gives way to a notice, and the timeline says who did it, when and why. Each one locks
the ticket, checks the actor, changes the rows and writes its event in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused
from notifications.services import notification_redact

from . import permissions
from .models import Attachment, Comment, Ticket, TroubleshootingStep
from .services.core import lock_ticket, record_event


def _reason(reason: str, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [what]})
    return text


# --- who sees a troubleshooting step ---------------------------------------------------------


def step_set_visibility(
    *, step: TroubleshootingStep, actor: User, public: bool, reason: str
) -> TroubleshootingStep:
    """Share a step (and its evidence files) with the customer, or make it internal again.

    The event is internal: the customer sees the step appear in the portal, and is not mailed
    (a step is the engineer's log; what the customer should hear is a reply, which is mailed).
    """
    why = _reason(reason, _("Say why the customer should (or should no longer) see this step."))
    with transaction.atomic():
        locked = lock_ticket(step.ticket)
        if not permissions.can_set_step_visibility(locked, actor):
            raise PermissionDenied(_("You may not change who sees this ticket's troubleshooting."))
        current = TroubleshootingStep.objects.select_for_update().get(pk=step.pk)
        if current.is_public == public:
            return current
        current.is_public = public
        current.save(update_fields=["is_public"])
        files = list(current.attachments.values_list("pk", flat=True))
        # A step's evidence shares its visibility, as when it was recorded (ticket_add_step).
        Attachment.objects.filter(pk__in=files).update(is_internal=not public)
        record_event(
            ticket=locked,
            kind="step_shared" if public else "step_made_internal",
            actor=actor,
            source="internal" if public else "public",
            target="public" if public else "internal",
            reason=why,
            details={"step": current.pk, "step_kind": current.kind, "files": files},
        )
    step.is_public = public
    return current


# --- redaction of personal data ---------------------------------------------------------------


def _notice(when: Any) -> str:
    return _("[Redacted on %(date)s to protect personal data.]") % {
        "date": date_format(timezone.localtime(when), "j M Y")
    }


def _refuse_unless_allowed(actor: User) -> None:
    if not permissions.can_redact(actor):
        raise PermissionDenied(_("Only an administrator may redact the ticket's record."))


def _redact_files(attachments: list[Attachment], *, when: Any) -> list[int]:
    """Empty the rows now and delete the stored bytes once the redaction has committed."""
    names = []
    for attachment in attachments:
        if attachment.redacted_at is not None:
            continue
        if attachment.file.name:
            names.append((attachment.file.storage, attachment.file.name))
        Attachment.objects.filter(pk=attachment.pk).update(
            file="", original_name=_("redacted file"), content_type="", size=0, redacted_at=when
        )
    for storage, name in names:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    return [a.pk for a in attachments]


def _record_redaction(
    *, ticket: Ticket, actor: User, what: str, pk: int, reason: str, files: list[int]
) -> None:
    record_event(
        ticket=ticket,
        kind="redacted",
        actor=actor,
        target=what,
        reason=reason,
        details={"object": what, "id": pk, "files": files},
    )


def comment_redact(*, comment: Comment, actor: User, reason: str) -> Comment:
    """Replace a comment's text (and its files, and the copies of its notices) with a notice."""
    _refuse_unless_allowed(actor)
    why = _reason(reason, _("Say why this comment is redacted."))
    with transaction.atomic():
        locked = lock_ticket(comment.ticket)
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if current.redacted_at is not None:
            raise Refused(_("Already redacted"), [_("a comment not yet redacted")])
        when = timezone.now()
        current.body = _notice(when)
        current.redacted_at = when
        current.save(update_fields=["body", "redacted_at"])
        files = _redact_files(list(current.attachments.select_for_update()), when=when)
        notification_redact(
            dedup_key=f"comment:{current.pk}", fields=["body", "message"], notice=current.body
        )
        _record_redaction(ticket=locked, actor=actor, what="comment", pk=current.pk, reason=why, files=files)
    comment.body, comment.redacted_at = current.body, current.redacted_at
    return current


def step_redact(*, step: TroubleshootingStep, actor: User, reason: str) -> TroubleshootingStep:
    """Replace a step's action and outcome with a notice and delete its evidence files."""
    _refuse_unless_allowed(actor)
    why = _reason(reason, _("Say why this step is redacted."))
    with transaction.atomic():
        locked = lock_ticket(step.ticket)
        current = TroubleshootingStep.objects.select_for_update().get(pk=step.pk)
        if current.redacted_at is not None:
            raise Refused(_("Already redacted"), [_("a step not yet redacted")])
        when = timezone.now()
        current.action = _notice(when)
        current.outcome = current.action if current.outcome else ""
        current.redacted_at = when
        current.save(update_fields=["action", "outcome", "redacted_at"])
        files = _redact_files(list(current.attachments.select_for_update()), when=when)
        _record_redaction(ticket=locked, actor=actor, what="step", pk=current.pk, reason=why, files=files)
    step.action, step.outcome, step.redacted_at = current.action, current.outcome, current.redacted_at
    return current


def attachment_redact(*, attachment: Attachment, actor: User, reason: str) -> Attachment:
    """Delete a file's stored bytes and its name; the row stays, marked redacted."""
    _refuse_unless_allowed(actor)
    why = _reason(reason, _("Say why this file is redacted."))
    with transaction.atomic():
        locked = lock_ticket(attachment.ticket)
        current = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if current.redacted_at is not None:
            raise Refused(_("Already redacted"), [_("a file not yet redacted")])
        _redact_files([current], when=timezone.now())
        _record_redaction(
            ticket=locked, actor=actor, what="attachment", pk=current.pk, reason=why, files=[current.pk]
        )
        current.refresh_from_db()
    return current
