"""Plain deadlines for any app's timed duty (a confirmation window, a consult reply…)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import Deadline, DeadlineState


def _of(subject: models.Model, kind: str) -> models.QuerySet[Deadline]:
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk, kind=kind
    )


def deadline_schedule(*, subject: models.Model, kind: str, due_at: datetime) -> Deadline:
    """Make `kind` on subject due at due_at, replacing any pending one of the same kind."""
    with transaction.atomic():
        deadline_cancel(subject=subject, kind=kind)
        return Deadline.objects.create(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            kind=kind,
            due_at=due_at,
        )


def deadline_cancel(*, subject: models.Model, kind: str) -> int:
    """Cancel the pending deadlines of `kind` on subject; returns how many were cancelled."""
    return (
        _of(subject, kind)
        .filter(state=DeadlineState.PENDING)
        .update(state=DeadlineState.CANCELLED, claimed_until=None, claim_token=None)
    )


def pending_deadline(*, subject: models.Model, kind: str) -> Deadline | None:
    return _of(subject, kind).filter(state=DeadlineState.PENDING).order_by("due_at").first()
