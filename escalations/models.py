"""Escalation ladders, tiers, hand-offs, consults, vendor engagements, IT manager decisions (§3).

A service's escalation path is an ordered ladder of tiers; a ticket is in exactly one tier
at a time (its open TierStint) and climbs through Handoffs. Each stint carries the tier's
time frame as a clock on the ticket (kind "escalations.tier").
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.models import Team
from clocks.models import Clock
from escalation_desk.audit import append_only
from tickets.models import Priority, Service, Ticket


class EscalationPath(models.Model):
    """A ladder of tiers shared by one or more services."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceLadder(models.Model):
    """Which ladder a service's tickets climb (one per service)."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="ladder")
    path = models.ForeignKey(EscalationPath, on_delete=models.PROTECT, related_name="service_ladders")

    class Meta:
        ordering = ["service__name"]
        verbose_name = _("service on this ladder")
        verbose_name_plural = _("services on this ladder")

    def __str__(self) -> str:
        return f"{self.service} → {self.path}"


class TierKind(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    ONSITE = "onsite", _("Onsite")
    VENDOR = "vendor", _("Vendor")
    DECISION = "decision", _("Decision point")


class BreachAction(models.TextChoices):
    NOTIFY = "notify", _("Notify the team leader")
    AUTO_ESCALATE = "auto_escalate", _("Escalate automatically to the next tier")


class Tier(models.Model):
    """One rung of a ladder, owned by a team, with what entering it requires (§3, §5)."""

    path = models.ForeignKey(EscalationPath, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=120)
    level = models.PositiveSmallIntegerField(help_text=_("Position on the ladder: 1 is the first tier."))
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="tiers",
        help_text=_("The assignment group that works tickets in this tier."),
    )
    kind = models.CharField(max_length=10, choices=TierKind.choices, default=TierKind.INTERNAL)
    description = models.TextField(blank=True)
    requires_approval = models.BooleanField(
        default=False, help_text=_("Entering this tier needs a team leader's approval (vendor, onsite).")
    )
    vendor_name = models.CharField(max_length=120, blank=True, help_text=_("Vendor tiers: e.g. Microsoft."))
    min_steps_below = models.PositiveSmallIntegerField(
        default=1,
        help_text=_(
            "Troubleshooting steps with outcome the tier being left must have documented "
            "before a ticket may enter this tier."
        ),
    )
    requires_lower_tiers_documented = models.BooleanField(
        default=False,
        help_text=_(
            "Every internal tier below this one must have documented troubleshooting "
            "(seed 000: L1/L2 before Microsoft L3)."
        ),
    )
    requires_evidence = models.BooleanField(
        default=False,
        help_text=_('Logs and screenshots must be attached, or the hand-off must state "none".'),
    )
    breach_action = models.CharField(
        max_length=20,
        choices=BreachAction.choices,
        default=BreachAction.NOTIFY,
        help_text=_("What happens when a ticket overstays this tier's time frame."),
    )

    class Meta:
        ordering = ["path", "level"]
        constraints = [models.UniqueConstraint(fields=["path", "level"], name="escalations_tier_level_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_gated(self) -> bool:
        return self.requires_approval

    def clean(self) -> None:
        if self.kind == TierKind.VENDOR and not self.vendor_name:
            raise ValidationError({"vendor_name": gettext("A vendor tier names its vendor.")})


class EscalationCriterion(models.Model):
    """A reason that justifies entering a tier (seed 003), e.g. "potential bug"."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="criteria")
    text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["tier", "position", "pk"]
        verbose_name_plural = _("escalation criteria")

    def __str__(self) -> str:
        return self.text


class TierTimeFrame(models.Model):
    """The longest a ticket of this priority may stay in the tier (§4), in business minutes."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="time_frames")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    minutes = models.PositiveIntegerField()
    warning_percent = models.PositiveSmallIntegerField(default=75)

    class Meta:
        ordering = ["tier", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "priority"], name="escalations_time_frame_once")
        ]

    def __str__(self) -> str:
        return f"{self.tier} {self.priority}: {self.minutes} min"


class TierStint(models.Model):
    """A ticket's time in one tier; the open stint (left_at empty) is its current tier."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tier_stints")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="stints")
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    handoff = models.ForeignKey(
        "Handoff",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The hand-off that brought the ticket here (empty: placed at triage)."),
    )
    clock = models.OneToOneField(Clock, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["entered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(left_at__isnull=True), name="escalations_one_current_tier"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} in {self.tier}"


class HandoffStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    APPROVED = "approved", _("Approved")
    SENT_BACK = "sent_back", _("Sent back")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


ACTIVE_HANDOFF_STATES = [HandoffStatus.REQUESTED, HandoffStatus.PENDING_APPROVAL, HandoffStatus.APPROVED]


class Direction(models.TextChoices):
    ESCALATE = "escalate", _("Escalation")
    RETURN = "return", _("Return to a lower tier")


class Handoff(FSMModelMixin, models.Model):
    """A ticket moving between tiers with its package (§3); one active per ticket at most."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="handoffs")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.ESCALATE)
    criterion = models.ForeignKey(
        EscalationCriterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    criterion_text = models.CharField(max_length=200, blank=True)
    findings = models.TextField(blank=True, help_text=_("Summary of findings"))
    workaround = models.TextField(blank=True)
    evidence_note = models.TextField(
        blank=True, help_text=_('Why no logs or screenshots are attached ("none"), when there are none.')
    )
    package = models.JSONField(default=dict, blank=True, help_text=_("The hand-off package as assembled."))
    missing = models.JSONField(
        default=list, blank=True, help_text=_("What the package lacked (automatic escalations only).")
    )
    automatic = models.BooleanField(default=False, help_text=_("Filed by the system: a time frame passed."))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    approval = models.OneToOneField(
        "approvals.ApprovalRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="handoff"
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The hand-off sent back before this one was filed."),
    )
    withdrawn_reason = models.TextField(blank=True)

    status = FSMField(default=HandoffStatus.REQUESTED, choices=HandoffStatus.choices, protected=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status__in=ACTIVE_HANDOFF_STATES),
                name="escalations_one_active_handoff",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.ticket.reference}: {self.from_tier} → {self.to_tier} "
            f"({self.get_status_display().lower()})"
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_HANDOFF_STATES

    # --- transitions: they only set fields; services lock, check, save and record ---

    @transition(field=status, source=HandoffStatus.REQUESTED, target=HandoffStatus.PENDING_APPROVAL)
    def submit_for_approval(self) -> None:
        pass

    @transition(field=status, source=HandoffStatus.PENDING_APPROVAL, target=HandoffStatus.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=HandoffStatus.PENDING_APPROVAL, target=HandoffStatus.SENT_BACK)
    def send_back(self) -> None:
        pass

    @transition(
        field=status, source=[HandoffStatus.REQUESTED, HandoffStatus.APPROVED], target=HandoffStatus.COMPLETED
    )
    def complete(self) -> None:
        self.completed_at = timezone.now()

    @transition(field=status, source=ACTIVE_HANDOFF_STATES, target=HandoffStatus.WITHDRAWN)
    def withdraw(self, *, reason: str) -> None:
        self.withdrawn_reason = reason


class ConsultStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a reply")
    ANSWERED = "answered", _("Answered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Consult(FSMModelMixin, models.Model):
    """Input asked of another internal team without changing tier (seed 003 Tier 2)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="consults")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="consults")
    question = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    reply_minutes = models.PositiveIntegerField(help_text=_("Reply time frame in business minutes."))
    state = FSMField(max_length=10, choices=ConsultStatus.choices, default=ConsultStatus.OPEN, protected=True)
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: consult {self.team}"

    # --- transitions: they only set fields; services lock, check, save and record ---

    @transition(field=state, source=ConsultStatus.OPEN, target=ConsultStatus.ANSWERED)
    def answer(self, *, by: object, reply: str) -> None:
        self.reply = reply
        self.replied_by = by
        self.replied_at = timezone.now()

    @transition(field=state, source=ConsultStatus.OPEN, target=ConsultStatus.WITHDRAWN)
    def withdraw(self) -> None:
        pass


class VendorEngagement(models.Model):
    """The vendor's case for a ticket in a vendor tier (seed 000 L3, seed 001)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="vendor_engagements")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    vendor_name = models.CharField(max_length=120)
    case_number = models.CharField(max_length=120)
    contact = models.CharField(max_length=250, help_text=_("Vendor contact: name, e-mail or phone."))
    engaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    engaged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engaged_at", "pk"]

    def __str__(self) -> str:
        return f"{self.vendor_name} case {self.case_number}"


class VendorUpdate(models.Model):
    engagement = models.ForeignKey(VendorEngagement, on_delete=models.CASCADE, related_name="updates")
    summary = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["received_at", "pk"]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"Update on {self.engagement}"


class DecisionOutcome(models.TextChoices):
    CONTINUE_WITH_VENDOR = "continue_with_vendor", _("Continue with the vendor")
    RETURN_TO_TIER = "return_to_tier", _("Return to a tier for more work")
    KNOWN_ERROR = "known_error", _("Accept as a known error")
    CLOSE_WITH_WORKAROUND = "close_with_workaround", _("Close with the workaround")


class ManagerDecision(models.Model):
    """The IT manager's decision when every tier failed (seed 001), with the activity record."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="manager_decisions")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=30, choices=DecisionOutcome.choices)
    notes = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    activity_record = models.JSONField(
        default=dict, blank=True, help_text=_("The complete activity the decision was taken on.")
    )

    class Meta:
        ordering = ["decided_at", "pk"]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.get_outcome_display()}"
