"""Console forms of a customer escalation case (SPEC §6, seeds 000 and 002).

Fields are optional where the service decides what is missing: a refusal lists every missing
item at once and the form keeps what was typed. Choices of people come from rows the panel
has already loaded (no query per form).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import (
    OPEN_CASE_STATES,
    CaseLevel,
    CaseReason,
    CaseStatus,
    CommunicationMode,
    MeetingKind,
    ParticipantRole,
)
from cases.services.core import PlanItem, Review
from escalation_desk.widgets import date_field, datetime_field
from tickets.models import Channel

STAFF_CHANNELS = [("", "—"), (Channel.PHONE, _("Phone")), (Channel.EMAIL, _("E-mail"))]
YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]
# How often updates are given (business minutes).
FREQUENCIES = [
    ("", "—"),
    ("30", _("Every 30 business minutes")),
    ("60", _("Every business hour")),
    ("120", _("Every 2 business hours")),
    ("240", _("Every 4 business hours")),
    ("480", _("Once a business day")),
]
PLAN_ROWS = 5


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class _PeopleForm(forms.Form):
    """A form choosing among already loaded staff."""

    people_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, people: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(u.pk): u for u in people}
        choices = [("", "—")] + [(pk, str(u)) for pk, u in self.people.items()]
        for name in self.fields:
            if name in self.people_fields or name.startswith("owner_"):
                self.fields[name].choices = choices

    def person(self, value: str) -> User | None:
        return self.people.get(value) if value else None


class CaseRequestForm(forms.Form):
    """A customer's request made by phone or e-mail, with seed 002's review."""

    channel = forms.ChoiceField(choices=STAFF_CHANNELS, required=False, label=_("The customer asked by"))
    reason = forms.ChoiceField(
        choices=[("", "—"), *CaseReason.choices], required=False, label=_("Reason for the escalation")
    )
    reason_detail = forms.CharField(
        required=False, label=_("Other reason"), help_text=_("Only when the reason is “other”.")
    )
    level = forms.ChoiceField(choices=CaseLevel.choices, initial=CaseLevel.NEXT_TIER, label=_("Asks for"))
    problem_statement_correct = forms.ChoiceField(
        choices=YES_NO, required=False, label=_("Is the problem statement correct?")
    )
    corrected_problem_statement = forms.CharField(
        widget=_textarea(), required=False, help_text=_("Only when it is not.")
    )
    business_impact = forms.CharField(widget=_textarea(), required=False)
    workaround_impractical_because = forms.CharField(
        widget=_textarea(),
        required=False,
        label=_("Why the workaround is impractical or inappropriate"),
        help_text=_("Needed when the ticket has a workaround."),
    )
    critical_milestone = date_field()

    def review(self) -> Review:
        data = self.cleaned_data
        return Review(
            problem_statement_correct=_yes_no(data["problem_statement_correct"]),
            corrected_problem_statement=data["corrected_problem_statement"],
            business_impact=data["business_impact"],
            workaround_impractical_because=data["workaround_impractical_because"],
            critical_milestone=data["critical_milestone"],
        )


class AcknowledgeForm(forms.Form):
    """No input: the escalation manager takes the case."""


class EngageForm(_PeopleForm):
    people_fields = ("user",)
    user = forms.ChoiceField(label=_("Engage"), required=False)
    role = forms.ChoiceField(choices=[("", "—"), *ParticipantRole.choices], required=False, label=_("As"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["user"] = self.person(data.get("user", ""))
        if data["user"] is None and "user" not in self.errors:
            self.add_error("user", _("Choose who to engage."))
        if not data.get("role"):
            self.add_error("role", _("Choose their role in the escalation."))
        return data


class ActivateForm(_PeopleForm):
    """The action plan (owner, step, target date per row) and the communication plan."""

    mode = forms.ChoiceField(
        choices=[("", "—"), *CommunicationMode.choices], required=False, label=_("Updates by")
    )
    update_every_minutes = forms.ChoiceField(choices=FREQUENCIES, required=False, label=_("How often"))
    required_attendees = forms.CharField(
        widget=_textarea(), required=False, label=_("Required attendees of the updates")
    )
    first_call_at = datetime_field(label=_("First conference call"))
    first_call_attendees = forms.CharField(
        required=False, label=_("First call attendees"), help_text=_("Empty: the required attendees.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan: dict[str, forms.Field] = {}
        for i in range(PLAN_ROWS):
            plan[f"owner_{i}"] = forms.ChoiceField(
                required=False,
                label=gettext("Step %(n)s: owner") % {"n": i + 1},
                choices=[("", "—")] + [(pk, str(u)) for pk, u in self.people.items()],
            )
            plan[f"step_{i}"] = forms.CharField(
                required=False, label=gettext("Step %(n)s: what") % {"n": i + 1}
            )
            plan[f"target_{i}"] = date_field(label=gettext("Step %(n)s: target date") % {"n": i + 1})
        self.fields = {**plan, **self.fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        plan = []
        for i in range(PLAN_ROWS):
            step = (data.get(f"step_{i}") or "").strip()
            owner = self.person(data.get(f"owner_{i}") or "")
            target: date | None = data.get(f"target_{i}")
            if not step:
                if owner or target:
                    self.add_error(f"step_{i}", _("Say what the step is, or clear its owner and date."))
                continue
            if owner is None:
                self.add_error(f"owner_{i}", _("Who owns this step?"))
            if target is None and f"target_{i}" not in self.errors:
                self.add_error(f"target_{i}", _("By when?"))
            if owner is not None and target is not None:
                plan.append(PlanItem(owner=owner, step=step, target_date=target))
        data["action_plan"] = plan
        every = data.get("update_every_minutes")
        data["update_every_minutes"] = int(every) if every else None
        return data

    def plan_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"owner_{i}"], self[f"step_{i}"], self[f"target_{i}"]) for i in range(PLAN_ROWS)]

    def plan_fields(self) -> set[str]:
        return {f"{kind}_{i}" for kind in ("owner", "step", "target") for i in range(PLAN_ROWS)}


class UpdateForm(forms.Form):
    mode = forms.ChoiceField(choices=CommunicationMode.choices, label=_("Given by"))
    summary = forms.CharField(widget=_textarea(3), required=False, label=_("What the customer was told"))
    attendees = forms.CharField(required=False)


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(choices=MeetingKind.choices)
    scheduled_for = datetime_field(label=_("When"))
    attendees = forms.CharField(widget=_textarea(), required=False)
    notes = forms.CharField(widget=_textarea(), required=False)

    def __init__(self, *args: Any, kinds: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            allowed = set(kinds)
            self.fields["kind"].choices = [c for c in MeetingKind.choices if c[0] in allowed]


class MeetingOutcomeForm(forms.Form):
    outcome = forms.CharField(widget=_textarea(), required=False)
    notes = forms.CharField(widget=_textarea(), required=False, help_text=_("Empty: keep the notes."))


class ActionDoneForm(forms.Form):
    """No input: the step is done now."""


class LeadershipStartForm(forms.Form):
    """No input: the service checks that the team leader and manager were engaged."""


class BriefForm(forms.Form):
    brief = forms.CharField(widget=_textarea(14), required=False, label=_("Case brief"))
    ready = forms.BooleanField(
        required=False, label=_("I have reviewed the brief: it is ready for leadership")
    )


class LeadershipReviewForm(forms.Form):
    internal_review = forms.CharField(widget=_textarea(4), required=False, label=_("Internal review"))
    meeting_at = datetime_field(label=_("Stakeholder meeting held at"))
    attendees = forms.CharField(widget=_textarea(), required=False, label=_("Who attended"))
    outcome = forms.CharField(widget=_textarea(), required=False, label=_("Outcome of the meeting"))


class ProposeForm(forms.Form):
    action_plan_accepted = forms.BooleanField(required=False, label=_("The customer accepts the action plan"))
    rca_on_track = forms.BooleanField(
        required=False, label=_("Troubleshooting or root cause analysis is on track")
    )
    note = forms.CharField(widget=_textarea(), required=False)


class AnswerForm(forms.Form):
    """The customer's answer to the de-escalation proposal, given by phone or e-mail."""

    agree = forms.ChoiceField(choices=YES_NO, required=False, label=_("The customer agrees to de-escalate"))
    channel = forms.ChoiceField(choices=STAFF_CHANNELS, required=False, label=_("Answered by"))
    comment = forms.CharField(
        widget=_textarea(), required=False, help_text=_("Needed when the customer keeps the escalation: why.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        agree = _yes_no(data.get("agree", ""))
        if agree is None:
            self.add_error("agree", _("Does the customer agree?"))
        data["agree"] = agree
        return data


class BoardFilterForm(forms.Form):
    """The escalation board's filters."""

    state = forms.ChoiceField(
        required=False,
        choices=[("", _("Any open state"))]
        + [(value, label) for value, label in CaseStatus.choices if value in OPEN_CASE_STATES],
    )
    level = forms.ChoiceField(required=False, choices=[("", _("Any level")), *CaseLevel.choices])
    mine = forms.BooleanField(required=False, label=_("Only mine"))
