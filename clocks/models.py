"""Business calendars, clocks and deadline rows (SPEC §4); this app imports no other app of ours."""

from __future__ import annotations

import zoneinfo

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .business_time import CalendarSpec, Window
from .calendar_cache import spec_of


def validate_time_zone(value: str) -> None:
    """Refuse a name that is not an IANA time zone zoneinfo knows."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone (e.g. Europe/London).") % {"value": value}
        ) from error


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    """Working hours per weekday in a time zone, minus holidays; 24x7 is a calendar too."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_24x7 = models.BooleanField(
        _("24×7"), default=False, help_text=_("Count every second; working windows and holidays are ignored.")
    )
    holiday_country = models.CharField(
        max_length=3, blank=True, help_text=_("ISO country code for public holidays (e.g. GB), or empty.")
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text=_("Subdivision within the country (e.g. ENG), or empty.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.holiday_country:
            import holidays

            try:
                holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision or None)
            except NotImplementedError as error:
                raise ValidationError({"holiday_country": str(error)}) from error
        elif self.holiday_subdivision:
            raise ValidationError({"holiday_subdivision": _("A subdivision needs a country.")})

    def spec(self) -> CalendarSpec:
        """The immutable spec business-time arithmetic works on (uses prefetched windows and
        holidays); read once per calendar inside ``calendar_cache.cached_specs()`` (the sweep)."""
        return spec_of(self.pk, self._read_spec)

    def _read_spec(self) -> CalendarSpec:
        if self.is_24x7:
            # Windows and holidays do not matter around the clock: no queries.
            return CalendarSpec(time_zone=self.time_zone, is_24x7=True)
        return CalendarSpec(
            time_zone=self.time_zone,
            is_24x7=self.is_24x7,
            windows=tuple(Window(weekday=w.weekday, start=w.start, end=w.end) for w in self.windows.all()),
            holiday_dates=frozenset(holiday.date for holiday in self.holidays.all()),
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
        )


class WorkingWindow(models.Model):
    """A working window on one weekday; an end at or before the start ends the next day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text=_("At or before the start: the window crosses midnight."))

    class Meta:
        ordering = ["calendar", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A date with no business time, added by an administrator on top of the public holidays."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="clocks_holiday_once_a_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"


class Clock(models.Model):
    """A time frame on any subject, counting business seconds across pauses."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(
        max_length=64, help_text=_("What the time frame is for, e.g. ticket.first_response.")
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="clocks")
    # Assigned only by clocks.services.
    state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    started_at = models.DateTimeField()
    accumulated_seconds = models.PositiveBigIntegerField(
        default=0, help_text=_("Business seconds counted before running_since.")
    )
    running_since = models.DateTimeField(null=True, blank=True)
    target_seconds = models.PositiveBigIntegerField()
    warning_ratio = models.FloatField(default=0.75)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="clocks_clock_subject"),
            # The queue's "due soonest" walks running clocks by due time (tickets.due_order).
            models.Index(
                fields=["due_at", "object_id"],
                condition=Q(state=ClockState.RUNNING, due_at__isnull=False),
                name="clocks_running_due",
            ),
            # The queue's "breached" filter: the subjects of breached clocks, index-only.
            models.Index(
                fields=["content_type", "object_id"],
                condition=Q(breached_at__isnull=False),
                name="clocks_breached_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.content_type.model} {self.object_id} ({self.state})"

    @property
    def warning_seconds(self) -> int:
        """Business seconds at which the clock warns: floor(target × warning ratio)."""
        return int(self.target_seconds * self.warning_ratio)


class ClockPause(models.Model):
    """One pause of a clock, kept so pauses are auditable."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="pauses")
    paused_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clock", "paused_at"]

    def __str__(self) -> str:
        return f"paused {self.paused_at:%Y-%m-%d %H:%M:%S}, resumed {self.resumed_at or '—'}"


class DeadlineState(models.TextChoices):
    PENDING = "pending", "Pending"
    FIRED = "fired", "Fired"
    CANCELLED = "cancelled", "Cancelled"


class Deadline(models.Model):
    """A duty due at an instant; the sweep fires it once through its kind's handler."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=64)
    due_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=DeadlineState.choices, default=DeadlineState.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: at due_at."))
    last_error = models.TextField(blank=True)
    # The claim: a sweeper owns the row while claimed_until is in the future and the token is its own.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="clocks_deadline_subject"),
            # The sweep's query: pending rows by their next attempt time.
            models.Index(
                Coalesce("next_attempt_at", "due_at"),
                condition=Q(state="pending"),
                name="clocks_deadline_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M:%S} ({self.state})"


class Heartbeat(models.Model):
    """When a periodic job last finished (one row per job): how /health/ and /metrics/ see beat."""

    name = models.CharField(
        max_length=64, primary_key=True, help_text=_('The job, e.g. "clocks.sweep_deadlines".')
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
