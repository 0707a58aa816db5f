"""Generic approval gates (SPEC §5): a request on any subject, decided by eligible approvers.

This app knows nothing of tiers or tickets. The app that opens a gate gives the subject,
who may decide, a package to show them (sections of plain items), and registers a callback
that reacts to the decision (approvals.registry).
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from . import permissions


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    CANCELLED = "cancelled", "Cancelled"


DECIDED_STATES = [ApprovalStatus.APPROVED, ApprovalStatus.CHANGES_REQUESTED, ApprovalStatus.CANCELLED]


class ApprovalRequestQuerySet(models.QuerySet):
    def pending(self) -> ApprovalRequestQuerySet:
        return self.filter(status=ApprovalStatus.PENDING)

    def decidable_by(self, user: object) -> ApprovalRequestQuerySet:
        """Pending requests the user may decide: eligible, and not their own request."""
        return self.pending().filter(approvers=user).exclude(requested_by=user)


class ApprovalRequest(FSMModelMixin, models.Model):
    """One request for a decision; a follow-up after "request changes" links to the previous."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")

    title = models.CharField(max_length=250)
    reference = models.CharField(
        max_length=40,
        blank=True,
        db_index=True,
        help_text=_("What the subject is known as (e.g. the ticket reference)."),
    )
    link = models.CharField(max_length=300, blank=True, help_text=_("Where the subject is seen."))
    package = models.JSONField(
        default=list,
        blank=True,
        help_text=_("What the approver reviews: a list of sections {title, items: [{text, url?}]}."),
    )
    missing = models.JSONField(
        default=list,
        blank=True,
        help_text=_("What the requirements still miss when the request was filed (automatic requests)."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_requests",
        help_text=_("Empty: filed by the system (a time frame passed)."),
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="approvals_to_decide",
        help_text=_("Who may decide (never the requester)."),
    )
    overdue_recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="+",
        blank=True,
        help_text=_("Who hears when the decision time frame passes (the team manager)."),
    )
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_up",
        help_text=_("The request this one follows after changes were requested."),
    )

    status = FSMField(
        default=ApprovalStatus.PENDING, choices=ApprovalStatus.choices, protected=True, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_notes = models.TextField(blank=True)
    suggested_steps = models.JSONField(
        default=list, blank=True, help_text=_("Additional steps asked for when changes are requested.")
    )
    cancel_reason = models.TextField(blank=True)

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="approvals_subject")]
        permissions = [("decide_approvalrequest", "Can decide approval requests they are eligible for")]
        triggers = [
            # A decided request is history (SPEC §10): the database refuses to change it, and to
            # delete any request (PostgreSQL; see escalation_desk/audit.py).
            pgtrigger.Protect(
                name="decision_is_final",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status__in=DECIDED_STATES),
            ),
            pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.reference or self.title} ({self.get_status_display().lower()})"

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING

    # --- transitions: they only set fields; services lock, check, save and announce ---

    @transition(
        field=status,
        source=ApprovalStatus.PENDING,
        target=ApprovalStatus.APPROVED,
        permission=permissions.can_decide,
    )
    def approve(self, *, by: object, notes: str) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_notes = notes

    @transition(
        field=status,
        source=ApprovalStatus.PENDING,
        target=ApprovalStatus.CHANGES_REQUESTED,
        permission=permissions.can_decide,
    )
    def request_changes(self, *, by: object, notes: str, steps: list[str]) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_notes = notes
        self.suggested_steps = steps

    @transition(field=status, source=ApprovalStatus.PENDING, target=ApprovalStatus.CANCELLED)
    def cancel(self, *, reason: str) -> None:
        self.cancel_reason = reason
        self.decided_at = timezone.now()
