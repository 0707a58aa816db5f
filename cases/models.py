"""Customer escalation cases (SPEC §6, seeds 000 and 002): the case, its requests, participants,
action items, meetings, updates given against the communication plan, and the daily report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from clocks.models import Clock
from escalation_desk.audit import append_only
from tickets.models import Ticket


class CaseStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACTIVE = "active", _("Active")
    LEADERSHIP_REVIEW = "leadership_review", _("Leadership review")
    DE_ESCALATION_PROPOSED = "de_escalation_proposed", _("De-escalation proposed")
    DE_ESCALATED = "de_escalated", _("De-escalated")
    CLOSED = "closed", _("Closed with the ticket")


OPEN_CASE_STATES = [
    CaseStatus.REQUESTED,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.ACTIVE,
    CaseStatus.LEADERSHIP_REVIEW,
    CaseStatus.DE_ESCALATION_PROPOSED,
]


class CaseReason(models.TextChoices):
    PRODUCTION_DOWN = "production_down", _("Production system down")
    CRITICAL_IMPACT = "critical_impact", _("Critical business impact")
    RESPONSIVENESS = "responsiveness", _("Dissatisfied with responsiveness")
    RESOLUTION = "resolution", _("Dissatisfied with the resolution")
    OTHER = "other", _("Other")


class CaseLevel(models.TextChoices):
    """Who the customer asks for (seed 000 technical escalation, then leadership)."""

    NEXT_TIER = "next_tier", _("The next support tier")
    SME = "sme", _("A subject matter expert")
    TEAM_LEADER = "team_leader", _("The team leader")
    TEAM_MANAGER = "team_manager", _("The team manager")
    LEADERSHIP = "leadership", _("Support leadership")


LEVEL_ORDER = [
    CaseLevel.NEXT_TIER,
    CaseLevel.SME,
    CaseLevel.TEAM_LEADER,
    CaseLevel.TEAM_MANAGER,
    CaseLevel.LEADERSHIP,
]


class CommunicationMode(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    CONFERENCE = "conference", _("Conference call")


class EscalationCase(FSMModelMixin, models.Model):
    """A customer's escalation of a ticket, run by an escalation manager (SPEC §6)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="escalation_cases")
    status = FSMField(default=CaseStatus.REQUESTED, choices=CaseStatus.choices, protected=True, db_index=True)
    level = models.CharField(
        max_length=20,
        choices=CaseLevel.choices,
        default=CaseLevel.NEXT_TIER,
        help_text=_("The highest level asked for so far."),
    )
    reason = models.CharField(
        max_length=20, choices=CaseReason.choices, help_text=_("The reason of the first request.")
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    escalation_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalation_cases",
        help_text=_("Primary point of contact (seed 002's Customer Support Engineer)."),
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # The communication plan (seed 002): mode, frequency, required attendees, first call.
    communication_mode = models.CharField(max_length=12, choices=CommunicationMode.choices, blank=True)
    update_every_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Business minutes between updates.")
    )
    required_attendees = models.TextField(blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # Leadership review (seed 000).
    brief = models.TextField(blank=True, help_text=_("The case brief prepared for leadership."))
    brief_ready_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    brief_ready_team_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    brief_ready_team_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal_review = models.TextField(blank=True)
    # De-escalation (seed 002).
    action_plan_accepted = models.BooleanField(default=False)
    rca_on_track = models.BooleanField(default=False)
    de_escalation_note = models.TextField(blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreement_channel = models.CharField(max_length=20, blank=True)
    agreement_comment = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status__in=OPEN_CASE_STATES), name="escalations_one_open_case"
            )
        ]
        permissions = [
            ("manage_escalationcase", "Can run customer escalations (escalation manager)"),
            ("review_escalationcase", "Can run leadership reviews"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: escalation ({self.get_status_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATES

    # --- transitions: they only set fields; services lock, check, save and record ---

    @transition(field=status, source=CaseStatus.REQUESTED, target=CaseStatus.ACKNOWLEDGED)
    def acknowledge(self, *, manager_id: int) -> None:
        self.escalation_manager_id = manager_id
        self.acknowledged_at = timezone.now()

    @transition(field=status, source=CaseStatus.ACKNOWLEDGED, target=CaseStatus.ACTIVE)
    def activate(self) -> None:
        self.activated_at = timezone.now()

    @transition(field=status, source=CaseStatus.ACTIVE, target=CaseStatus.LEADERSHIP_REVIEW)
    def start_leadership_review(self) -> None:
        pass

    @transition(field=status, source=CaseStatus.LEADERSHIP_REVIEW, target=CaseStatus.ACTIVE)
    def finish_leadership_review(self) -> None:
        pass

    @transition(field=status, source=CaseStatus.ACTIVE, target=CaseStatus.DE_ESCALATION_PROPOSED)
    def propose_de_escalation(self) -> None:
        self.proposed_at = timezone.now()

    @transition(field=status, source=CaseStatus.DE_ESCALATION_PROPOSED, target=CaseStatus.DE_ESCALATED)
    def de_escalate(self, *, by_id: int, channel: str, comment: str) -> None:
        self.agreed_at = timezone.now()
        self.agreed_by_id = by_id
        self.agreement_channel = channel
        self.agreement_comment = comment

    @transition(field=status, source=CaseStatus.DE_ESCALATION_PROPOSED, target=CaseStatus.ACTIVE)
    def keep_escalated(self) -> None:
        self.proposed_at = None

    @transition(field=status, source=OPEN_CASE_STATES, target=CaseStatus.CLOSED)
    def close(self) -> None:
        self.closed_at = timezone.now()


class CaseRequest(models.Model):
    """One request to escalate (the first opens the case; later ones add to it), with seed 002's review."""

    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="requests")
    reason = models.CharField(max_length=20, choices=CaseReason.choices)
    reason_detail = models.TextField(blank=True)
    level = models.CharField(max_length=20, choices=CaseLevel.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who entered it (staff, for a request by phone or e-mail)."),
    )
    channel = models.CharField(max_length=20)
    requested_at = models.DateTimeField(default=timezone.now)
    problem_statement_correct = models.BooleanField()
    corrected_problem_statement = models.TextField(blank=True)
    business_impact = models.TextField()
    workaround_impractical_because = models.TextField(blank=True)
    critical_milestone = models.DateField(null=True, blank=True)
    review_to_complete = models.BooleanField(
        default=False,
        help_text=_(
            "Asked by e-mail: seed 002's review is still to be completed with the customer by the "
            "escalation managers (the review fields above are not the customer's answers)."
        ),
    )

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_level_display()}"


class ParticipantRole(models.TextChoices):
    NEXT_TIER = "next_tier", _("Next tier")
    SME = "sme", _("Subject matter expert")
    TEAM_LEADER = "team_leader", _("Team leader")
    TEAM_MANAGER = "team_manager", _("Team manager")
    LEADERSHIP = "leadership", _("Support leadership")
    ESCALATION_MANAGER = "escalation_manager", _("Escalation manager")


class CaseParticipant(models.Model):
    """An engaged resource: joins the ticket and receives every update of the case."""

    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=ParticipantRole.choices)
    engaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    engaged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engaged_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user", "role"], name="escalations_engaged_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ActionItem(models.Model):
    """One step of the case's action plan: owner, what, by when."""

    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="action_items")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    step = models.TextField()
    target_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "pk"]

    def __str__(self) -> str:
        return self.step[:60]


class MeetingKind(models.TextChoices):
    CONFERENCE_CALL = "conference_call", _("Conference call with the customer")
    INTERNAL_REVIEW = "internal_review", _("Internal leadership review")
    STAKEHOLDER_MEETING = "stakeholder_meeting", _("Stakeholder meeting")


class CaseMeeting(models.Model):
    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=24, choices=MeetingKind.choices)
    scheduled_for = models.DateTimeField()
    attendees = models.TextField()
    notes = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["scheduled_for", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scheduled_for:%Y-%m-%d %H:%M}"


class CaseUpdate(models.Model):
    """An update given to the customer against the communication plan."""

    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="updates")
    mode = models.CharField(max_length=12, choices=CommunicationMode.choices)
    summary = models.TextField()
    attendees = models.TextField(blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)
    was_late = models.BooleanField(default=False)

    class Meta:
        ordering = ["given_at", "pk"]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"Update {self.given_at:%Y-%m-%d %H:%M} on {self.case}"


class DailyReport(models.Model):
    """The daily escalation report of one business day, sent once (seed 002)."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    open_cases = models.PositiveIntegerField()
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Daily escalation report {self.day}"


def clocks_of_cases(case_ids: list[int]) -> models.QuerySet[Clock]:
    """The clocks on these cases, joined on their content type (no content type lookup of its own)."""
    return Clock.objects.filter(
        content_type__app_label=EscalationCase._meta.app_label,
        content_type__model=EscalationCase._meta.model_name,
        object_id__in=case_ids,
    )
