"""Portal forms: only the fields a customer may set. Staff-reserved fields (tier, team,
assignee, status, priority, internal flags) are simply not here, so posting them does nothing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cases.services.core import Review
from escalation_desk.forms import MultipleFileField
from escalation_desk.widgets import date_field
from tickets import permissions
from tickets.models import Service, Status

from .wording import STATUS_WORDS


def _area(rows: int = 3, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


def files_help() -> str:
    limit = settings.ATTACHMENT_MAX_BYTES / (1024 * 1024)
    return (
        f"Screenshots, logs or documents. You can choose several files, up to {limit:.0f} MB each "
        f"({', '.join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)})."
    )


class RequestForm(forms.Form):
    """A new request, with the intake of seed 003 asked in plain language; never a staff-only
    intake field (tickets.permissions.STAFF_ONLY_INTAKE_FIELDS: support sets them at triage)."""

    summary = forms.CharField(
        max_length=200,
        label=_("In one sentence, what is the problem?"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. The payroll export stops half way")}),
    )
    description = forms.CharField(
        label=_("Tell us more"),
        widget=_area(4),
        help_text=_("What were you trying to do, and what went wrong?"),
    )
    symptoms = forms.CharField(
        label=_("What do you see?"),
        widget=_area(3),
        help_text=_("What happens on your screen or in your system."),
    )
    replication_steps = forms.CharField(
        label=_("How can we see it happen?"),
        required=False,
        widget=_area(3),
        help_text=_('The steps to make it happen again. Write "none" if it does not happen on demand.'),
    )
    error_messages = forms.CharField(
        label=_("Any error messages?"),
        required=False,
        widget=_area(2),
        help_text=_('Copy the exact words of any error, or write "none".'),
    )
    recent_changes = forms.CharField(
        label=_("Did anything change recently?"),
        required=False,
        widget=_area(2),
        help_text=_('Upgrades, new settings, network changes… or write "none".'),
    )
    business_impact = forms.CharField(
        label=_("How does this affect your work?"),
        widget=_area(2),
        help_text=_("Who is affected, and what can they not do?"),
    )
    workaround = forms.CharField(
        label=_("Have you found a way around it for now?"),
        required=False,
        widget=_area(2),
        help_text=_("Leave empty if there is none."),
    )
    critical_milestone = date_field(
        label=_("Is there a date by which it must be fixed?"),
        help_text=_("For example a go-live or a pay day."),
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label=_("Which service is affected?"),
        empty_label=_("I am not sure"),
    )
    files = MultipleFileField(label=_("Add files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(is_active=True)
        self.fields["files"].help_text = files_help()

    def intake(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in self.fields
            if name != "files" and name not in permissions.STAFF_ONLY_INTAKE_FIELDS
        }


class MessageForm(forms.Form):
    """A public message on a request (customers never write internal comments)."""

    body = forms.CharField(label=_("Your message"), widget=_area(4))
    files = MultipleFileField(label=_("Add files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = files_help()


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Anything to add?"), required=False, widget=_area(2))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still not working?"),
        widget=_area(3),
        help_text=_("Tell us what you see now, so we can pick it up straight away."),
    )


class CopyInForm(forms.Form):
    """Copy a colleague of the customer's organisation in on a request (CC)."""

    contact = forms.ModelChoiceField(
        queryset=None,
        label=_("Copy in a colleague"),
        empty_label=_("Choose a colleague"),
        help_text=_("They hear of every reply by e-mail and can follow it here."),
    )

    def __init__(self, *args: Any, colleagues: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = colleagues


SHOW_CHOICES = [("open", _("Open requests")), ("closed", _("Closed requests")), ("all", _("All requests"))]


class RequestFilterForm(forms.Form):
    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False, label=_("Show"))
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *[(s.value, STATUS_WORDS[s]) for s in Status]],
        required=False,
        label=_("Status"),
    )
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words or ED-000123")}),
    )


# --- escalation (issue 5, seed 002) -------------------------------------------------------------
# Channel, status, escalation manager and every other staff field are not here: posting them does
# nothing. Answers are optional on the form: the service lists everything missing at once.

REASON_WORDS = [
    ("production_down", _("Our production system is down")),
    ("critical_impact", _("It has a critical impact on our business")),
    ("responsiveness", _("We are not happy with how fast you respond")),
    ("resolution", _("We are not happy with the solution")),
    ("other", _("Something else")),
]
LEVEL_WORDS = [
    ("next_tier", _("The next support level")),
    ("sme", _("A subject matter expert")),
    ("team_leader", _("The team leader")),
    ("team_manager", _("The team manager")),
    ("leadership", _("Support leadership")),
]
YES_NO = [("yes", _("Yes, it is correct")), ("no", _("No, it needs correcting"))]


class EscalationRequestForm(forms.Form):
    """Request an escalation (or ask for more on an open one), with seed 002's review."""

    reason = forms.ChoiceField(
        choices=REASON_WORDS,
        required=False,
        widget=forms.RadioSelect,
        label=_("Why do you want to escalate?"),
    )
    reason_detail = forms.CharField(
        required=False,
        label=_("Tell us the reason"),
        widget=_area(2),
        help_text=_("Needed when you choose “Something else”."),
    )
    level = forms.ChoiceField(
        choices=LEVEL_WORDS,
        initial="next_tier",
        widget=forms.RadioSelect,
        label=_("Who do you want to talk to?"),
    )
    problem_statement_correct = forms.ChoiceField(
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
        label=_("Is this description of the problem correct?"),
    )
    corrected_problem_statement = forms.CharField(
        required=False,
        widget=_area(3),
        label=_("How should we describe the problem?"),
        help_text=_("Needed when the description is not correct."),
    )
    business_impact = forms.CharField(
        required=False,
        widget=_area(3),
        label=_("How does this affect your business?"),
        help_text=_("Who is affected, and what can they not do?"),
    )
    workaround_impractical_because = forms.CharField(
        required=False, widget=_area(2), label=_("If there is a workaround, why doesn't it work for you?")
    )
    critical_milestone = date_field(
        label=_("Is there a date by which it must be fixed?"),
        help_text=_("For example a go-live or a pay day."),
    )

    def __init__(self, *args: Any, ticket: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        if ticket is None or not ticket.workaround.strip():
            del self.fields["workaround_impractical_because"]

    def review(self) -> Review:
        data = self.cleaned_data
        return Review(
            problem_statement_correct={"yes": True, "no": False}.get(data["problem_statement_correct"]),
            corrected_problem_statement=data["corrected_problem_statement"],
            business_impact=data["business_impact"],
            workaround_impractical_because=data.get("workaround_impractical_because", ""),
            critical_milestone=data["critical_milestone"],
        )


class EscalationAgreeForm(forms.Form):
    comment = forms.CharField(required=False, widget=_area(2), label=_("Anything to add?"))


class EscalationKeepForm(forms.Form):
    comment = forms.CharField(
        widget=_area(2),
        label=_("Why is your request not back on track?"),
        help_text=_("Tell us what is still wrong, so we can act on it."),
        error_messages={"required": "Please tell us why your request is not back on track."},
    )
