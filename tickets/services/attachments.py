"""Files on a ticket: the upload rules every service applies, storing a file, attaching one."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput
from escalation_desk.input_guard import has_unstorable_characters

from .. import file_types, permissions
from ..models import Attachment, Comment, Ticket, TroubleshootingStep
from .core import lock_ticket, record_event


def validate_upload(upload: UploadedFile) -> None:
    """Refuse files over the size limit or of a type outside the allow-list."""
    name = upload.name or ""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    allowed = [e.lower() for e in settings.ATTACHMENT_ALLOWED_EXTENSIONS]
    errors = []
    if ext not in allowed:
        errors.append(
            gettext('"%(name)s": files of type ".%(ext)s" are not accepted; allowed: %(allowed)s.')
            % {"name": name, "ext": ext or gettext("(none)"), "allowed": ", ".join(allowed)}
        )
    if upload.size is not None and upload.size > settings.ATTACHMENT_MAX_BYTES:
        errors.append(
            gettext('"%(name)s" is %(size)s bytes; the limit is %(limit)s bytes.')
            % {"name": name, "size": f"{upload.size:,}", "limit": f"{settings.ATTACHMENT_MAX_BYTES:,}"}
        )
    if upload.size == 0:
        errors.append(gettext('"%(name)s" is empty.') % {"name": name})
    if has_unstorable_characters(name) or has_unstorable_characters(
        getattr(upload, "content_type", "") or ""
    ):
        errors.append(
            gettext("The file's name or declared type holds a null character or an unpaired surrogate.")
        )
    if errors:
        raise InvalidInput({"files": errors})


def store_attachment(
    *,
    ticket: Ticket,
    actor: User,
    upload: UploadedFile,
    is_internal: bool,
    step: TroubleshootingStep | None = None,
    comment: Comment | None = None,
) -> Attachment:
    """Keep an uploaded (already validated) file on the ticket, its comment or its step;
    call inside the change's transaction."""
    attachment = Attachment.objects.create(
        ticket=ticket,
        step=step,
        comment=comment,
        file=upload,
        original_name=os.path.basename(upload.name or "file")[:255],
        # What the bytes are (the uploader's claim is never kept); downloads detect again.
        content_type=file_types.served_type(upload.name or "", file_types.read_head(upload)),
        size=upload.size or 0,
        is_internal=is_internal,
        uploaded_by=actor,
    )
    return attachment


def ticket_attach(
    *, ticket: Ticket, actor: User, upload: UploadedFile, is_internal: bool = False
) -> Attachment:
    """Attach a file to the ticket itself."""
    if not permissions.can_attach(ticket, actor):
        raise PermissionDenied(gettext("You may not attach files to this ticket."))
    if is_internal and not permissions.can_view_internal(actor):
        raise PermissionDenied(gettext("You may not add internal attachments."))
    validate_upload(upload)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        attachment = store_attachment(ticket=locked, actor=actor, upload=upload, is_internal=is_internal)
        record_event(
            ticket=locked,
            kind="attachment",
            actor=actor,
            details={"attachment": attachment.pk, "name": attachment.original_name},
            is_public=not is_internal,
        )
    return attachment
