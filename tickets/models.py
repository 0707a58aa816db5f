"""Tickets and their lifecycle (SPEC §2), troubleshooting log, comments, attachments, timeline."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.models import Organisation, Team
from clocks.models import BusinessCalendar
from escalation_desk.audit import append_only

from . import permissions
from .guards import (
    cancellation_is_explained,
    intake_is_documented,
    reopen_is_explained,
    resolution_is_documented,
    wait_is_explained,
)
from .search import search_vector_trigger


class Priority(models.TextChoices):
    P1 = "P1", _("P1 – critical")
    P2 = "P2", _("P2 – high")
    P3 = "P3", _("P3 – medium")
    P4 = "P4", _("P4 – low")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER]


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    CONSOLE = "console", _("Console")


class FixKind(models.TextChoices):
    PERMANENT = "permanent", _("Permanent fix")
    WORKAROUND = "workaround", _("Workaround")
    KNOWN_ERROR = "known_error", _("Accepted as a known error")


class CancelReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate")
    SPAM = "spam", _("Spam")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")


class CloseKind(models.TextChoices):
    CONFIRMED_BY_CUSTOMER = "confirmed_by_customer", _("Confirmed by the customer")
    CONFIRMED_ON_BEHALF = "confirmed_on_behalf", _("Customer's confirmation recorded by staff")
    AUTO_CLOSED = "auto_closed", _("Closed automatically: confirmation window passed")


class Category(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """An affected service; its escalation ladder arrives with the escalations app."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    default_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Team that receives new tickets for this service at triage."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Business hours the SLA clocks of this service count (default: 24×7)."),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """The SLA of one priority: first response and resolution, in business minutes."""

    priority = models.CharField(max_length=2, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    warning_percent = models.PositiveSmallIntegerField(
        default=75, help_text=_("Warn when this share of the time frame is used.")
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA target")

    def __str__(self) -> str:
        return (
            f"{self.priority}: respond {self.first_response_minutes} min, resolve "
            f"{self.resolution_minutes} min"
        )


class TicketQuerySet(models.QuerySet):
    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATES)


class Ticket(FSMModelMixin, models.Model):
    """A support request and where it stands in the lifecycle of SPEC §2."""

    # Who and how
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="tickets")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_tickets"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.CONSOLE)

    # Intake (seed 003 Tier 1)
    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    symptoms = models.TextField(blank=True)
    replication_steps = models.TextField(blank=True, help_text=_('Steps to reproduce, or "none"'))
    error_messages = models.TextField(blank=True, help_text=_('Exact error messages, or "none"'))
    recent_changes = models.TextField(blank=True, help_text=_('Recent changes to the system, or "none"'))
    business_impact = models.TextField(blank=True)
    workaround = models.TextField(blank=True, help_text=_("Workaround, if any"))
    critical_milestone = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("affected service")
    )

    # Lifecycle
    status = FSMField(default=Status.NEW, choices=Status.choices, protected=True, db_index=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("assignment team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    waiting_reason = models.TextField(blank=True)
    resolution_summary = models.TextField(blank=True, help_text=_("What fixed it"))
    root_cause = models.TextField(blank=True)
    fix_kind = models.CharField(max_length=20, choices=FixKind.choices, blank=True)
    knowledge_article = models.CharField(
        max_length=200, blank=True, help_text=_("Knowledge-base article created or updated")
    )
    knowledge_none_reason = models.TextField(
        blank=True, help_text=_("Why no knowledge-base update is needed")
    )
    reopen_reason = models.TextField(blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    close_kind = models.CharField(max_length=30, choices=CloseKind.choices, blank=True)
    confirmation_note = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)
    cancel_note = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Set by a customer's reply (portal, API or e-mail), cleared when a staff member opens the
    # ticket: queues and My work show the "unread customer reply" marker from it.
    unread_customer_reply_at = models.DateTimeField(null=True, blank=True)

    # The text search's document (tickets.search): written by a PostgreSQL trigger, empty on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    clocks = GenericRelation("clocks.Clock", related_query_name="ticket")

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "priority"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["organisation", "status"]),
            # The open queue newest first, and the open tickets the "due soonest" order lists last.
            models.Index(
                fields=["-created_at", "-id"], condition=Q(status__in=OPEN_STATES), name="tickets_open_newest"
            ),
            # My work's counters: the user's open tickets outside their teams, index-only.
            models.Index(
                fields=["assignee", "status", "team"],
                condition=Q(status__in=OPEN_STATES),
                name="tickets_open_assignee_team",
            ),
        ]
        # The search vector's GIN index and the trigram indexes live in migration 0007 (PostgreSQL only).
        triggers = [search_vector_trigger()]
        permissions = [
            ("view_all_tickets", "Can see every organisation's tickets (staff)"),
            ("view_internal", "Can see internal comments and troubleshooting"),
            ("work_ticket", "Can work tickets of their own teams"),
            ("work_any_ticket", "Can work any ticket"),
            ("confirm_resolution", "Can confirm the resolution of their organisation's tickets"),
            ("redact_history", "Can redact personal data from comments, troubleshooting steps and files"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    @property
    def reference(self) -> str:
        return f"ED-{self.pk:06d}" if self.pk else "ED-(new)"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    # --- transitions: they only set fields; services lock, check, save and record ---

    @transition(
        field=status,
        source=Status.NEW,
        target=Status.OPEN,
        conditions=[intake_is_documented],
        permission=permissions.can_work_ticket,
    )
    def triage(self) -> None:
        self.triaged_at = timezone.now()
        # Triage places the ticket with its (possibly corrected) service's first team.
        if self.service is not None and self.service.default_team_id is not None:
            self.team_id = self.service.default_team_id

    @transition(
        field=status, source=Status.OPEN, target=Status.IN_PROGRESS, permission=permissions.can_work_ticket
    )
    def start(self, *, assignee_id: int) -> None:
        self.assignee_id = assignee_id
        self.started_at = self.started_at or timezone.now()

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.WAITING_ON_CUSTOMER,
        conditions=[wait_is_explained],
        permission=permissions.can_work_ticket,
    )
    def await_customer(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.WAITING_ON_CUSTOMER,
        target=Status.IN_PROGRESS,
        permission=permissions.can_reply_as_customer_or_work,
    )
    def customer_replied(self) -> None:
        self.waiting_reason = ""

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.RESOLVED,
        conditions=[resolution_is_documented],
        permission=permissions.can_work_ticket,
    )
    def resolve(self) -> None:
        self.resolved_at = timezone.now()

    @transition(
        field=status,
        source=Status.RESOLVED,
        target=Status.CLOSED,
        permission=permissions.can_confirm_resolution,
    )
    def confirm_resolution(self, *, close_kind: str) -> None:
        self.close_kind = close_kind
        self.closed_at = timezone.now()

    @transition(
        field=status,
        source=Status.RESOLVED,
        target=Status.IN_PROGRESS,
        conditions=[reopen_is_explained],
        permission=permissions.can_confirm_resolution,
    )
    def reopen(self) -> None:
        self.reopen_count += 1
        self.resolved_at = None

    @transition(
        field=status,
        source=[Status.OPEN, Status.IN_PROGRESS],
        target=Status.OPEN,
        permission=permissions.system_only,
    )
    def hand_over(self, *, team_id: int, assignee_id: int | None) -> None:
        """Another team takes the ticket over (a tier hand-off, run by the escalations services)."""
        self.team_id = team_id
        self.assignee_id = assignee_id

    @transition(
        field=status, source=Status.RESOLVED, target=Status.CLOSED, permission=permissions.system_only
    )
    def close_unconfirmed(self) -> None:
        """The confirmation window passed without an answer (the system, never a person)."""
        self.close_kind = CloseKind.AUTO_CLOSED
        self.closed_at = timezone.now()

    @transition(
        field=status,
        source=OPEN_STATES,
        target=Status.CANCELLED,
        conditions=[cancellation_is_explained],
        permission=permissions.can_work_ticket,
    )
    def cancel(self) -> None:
        self.closed_at = timezone.now()


class StepKind(models.TextChoices):
    BASIC_CHECK = "basic_check", _("Basic check")
    CONFIGURATION = "configuration", _("Configuration verified")
    LOG_ANALYSIS = "log_analysis", _("Log analysis")
    KNOWN_ISSUE = "known_issue", _("Known-issue check")
    REMOTE_SESSION = "remote_session", _("Remote screen-sharing session")
    REPLICATION = "replication", _("Replication in a test environment")
    ROOT_CAUSE = "root_cause", _("Root cause analysis")
    WORKAROUND = "workaround", _("Workaround")
    FIX_DEPLOYED = "fix_deployed", _("Fix deployed")
    SUGGESTED = "suggested", _("Suggested by team leader")
    OTHER = "other", _("Other")


class StepState(models.TextChoices):
    DONE = "done", _("Done")
    TO_DO = "to_do", _("To do")


class TroubleshootingStep(models.Model):
    """One documented troubleshooting action and its outcome (seeds 000, 003)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=30, choices=StepKind.choices)
    action = models.TextField(help_text=_("What was done"))
    outcome = models.TextField(blank=True, help_text=_("What it showed"))
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.DONE)
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_public = models.BooleanField(default=False, help_text=_("Shown to the customer; internal by default"))
    performed_at = models.DateTimeField(default=timezone.now)
    redacted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When its content was redacted (the timeline says who and why).")
    )

    class Meta:
        ordering = ["performed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.action[:60]}"

    @property
    def shown_files(self) -> Any:
        """The files tickets.read_model handed this row (`files`, no query), else its attachments."""
        return self.__dict__["files"] if "files" in self.__dict__ else self.attachments.all()


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    channel = models.CharField(
        max_length=20, choices=Channel.choices, blank=True, help_text=_("How the comment reached us.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    redacted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When its content was redacted (the timeline says who and why).")
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{'Internal' if self.is_internal else 'Public'} comment by {self.author}"

    @property
    def shown_files(self) -> Any:
        """The files tickets.read_model handed this row (`files`, no query), else its attachments."""
        return self.__dict__["files"] if "files" in self.__dict__ else self.attachments.all()


class Watcher(models.Model):
    """Someone who hears of every update of a ticket besides the people working it: a staff
    member following it, or a customer's colleague copied in (CC) by the customer."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="watcher_once_per_ticket")]

    def __str__(self) -> str:
        return f"{self.user} watches {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class Attachment(models.Model):
    """A file on a ticket, optionally on one step or comment; stored through Django storage."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    step = models.ForeignKey(
        TroubleshootingStep, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField()
    is_internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    redacted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When its file was removed (the timeline says who and why).")
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class TimelineQuerySet(models.QuerySet):
    """The timeline is append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs: object) -> int:
        raise ValidationError(_("Timeline events are append-only and cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Timeline events are append-only and cannot be deleted."))


class TimelineEvent(models.Model):
    """One append-only audit record on a ticket (SPEC §10)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=40, blank=True)
    target = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField(default=False, help_text=_("Visible to the customer"))

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        triggers = [append_only()]  # refused in the database too (escalation_desk/audit.py)

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Timeline events are append-only and cannot be changed."))
        # A new instance given an existing event's id must not turn into an UPDATE of that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Timeline events are append-only and cannot be deleted."))
