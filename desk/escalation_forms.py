"""Console forms of the escalation procedure: hand-offs, consults, vendor work, decisions.

Choices are built from rows the page has already loaded (no query per form); what a form
cannot know (what the package lacks, who may act) the services decide and list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from escalation_desk.forms import MultipleFileField
from escalation_desk.widgets import datetime_field
from escalations.models import DecisionOutcome, Tier


def tier_label(tier: Tier) -> str:
    values = {"tier": tier.name, "level": tier.level, "team": tier.team.name}
    if tier.requires_approval:
        return gettext("%(tier)s (level %(level)s, %(team)s, needs a team leader's approval)") % values
    return gettext("%(tier)s (level %(level)s, %(team)s)") % values


class _TierChoiceForm(forms.Form):
    """A form choosing one of the given (already loaded) tiers."""

    # The tier the page was shown in: if the ticket moved meanwhile the service says so.
    from_tier = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, tiers: Iterable[Tier], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tiers = {str(t.pk): t for t in tiers}
        self.fields["to_tier"].choices = [(pk, tier_label(t)) for pk, t in self.tiers.items()]

    def clean_to_tier(self) -> Tier | None:
        return self.tiers.get(self.cleaned_data["to_tier"])


class EscalateForm(_TierChoiceForm):
    to_tier = forms.ChoiceField(label=_("Escalate to"))
    criterion = forms.ChoiceField(
        label=_("Escalation criterion"),
        required=False,
        help_text=_("Why the ticket needs that tier (its criteria)."),
    )
    findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Summary of findings")
    )
    workaround = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Empty: the ticket's workaround, if any."),
    )
    evidence_note = forms.CharField(
        required=False,
        label=_("No logs or screenshots because…"),
        help_text=_('Only when none are attached, e.g. "none: the failure leaves no log".'),
    )

    def __init__(self, *args: Any, tiers: Iterable[Tier], **kwargs: Any) -> None:
        tiers = list(tiers)
        super().__init__(*args, tiers=tiers, **kwargs)
        self.criteria = {str(c.pk): c for t in tiers for c in t.criteria.all()}
        self.fields["criterion"].choices = [("", "—")] + [
            (t.name, [(str(c.pk), c.text) for c in t.criteria.all()]) for t in tiers if t.criteria.all()
        ]
        if tiers and not self.is_bound:
            self.initial.setdefault("to_tier", str(tiers[0].pk))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        pk = data.get("criterion")
        data["criterion"] = self.criteria.get(pk) if pk else None
        tier, criterion = data.get("to_tier"), data["criterion"]
        if tier is not None and criterion is not None and criterion.tier_id != tier.pk:
            self.add_error(
                "criterion",
                gettext('"%(criterion)s" is not a criterion of %(tier)s: choose one of %(tier)s\'s, or none.')
                % {"criterion": criterion.text, "tier": tier.name},
            )
        return data


class ReturnForm(_TierChoiceForm):
    to_tier = forms.ChoiceField(label=_("Return to"))
    findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("What was done, and what that tier should do next"),
    )
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Why the hand-off is withdrawn")
    )


class ConsultForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team to consult"))
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("What you need from them")
    )
    reply_minutes = forms.IntegerField(
        min_value=1,
        label=_("Reply time frame (business minutes)"),
        help_text=_("They are reminded, and their leaders told, as it runs out."),
    )

    def __init__(self, *args: Any, ticket_team_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.exclude(pk=ticket_team_id).order_by("name")
        self.fields["reply_minutes"].initial = settings.CONSULT_REPLY_MINUTES


class ConsultReplyForm(forms.Form):
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Your team's reply")
    )


class ConsultWithdrawForm(forms.Form):
    reason = forms.CharField(required=False, label=_("Why it is no longer needed"))


class ApproveForm(forms.Form):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("Approval notes (what you reviewed, why it may go ahead)"),
    )


class RequestChangesForm(forms.Form):
    steps = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label=_("Additional troubleshooting steps, one per line"),
        help_text=_("Each becomes a to-do step on the ticket; the engineer asks again once they are done."),
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_steps(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]


class VendorEngageForm(forms.Form):
    vendor_name = forms.CharField(required=False, label=_("Vendor"))
    case_number = forms.CharField(required=False, label=_("Vendor case number"))
    contact = forms.CharField(required=False, label=_("Vendor contact (name, e-mail or phone)"))


class VendorUpdateForm(forms.Form):
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("What the vendor reported")
    )
    received_at = datetime_field(label=_("Received at"), help_text=_("Empty: now."))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "—"), *DecisionOutcome.choices], required=False)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Decision notes")
    )
    to_tier = forms.ChoiceField(
        required=False,
        label=_("Tier (continue with vendor / return)"),
        help_text=_("Continue with the vendor: empty picks the ladder's vendor tier."),
    )
    root_cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Root cause as far as it is known"),
        help_text=_("Needed to accept as a known error or close with the workaround."),
    )
    knowledge_article = forms.CharField(required=False, label=_("Knowledge-base article"))
    knowledge_none_reason = forms.CharField(required=False, label=_("…or why none is needed"))

    def __init__(self, *args: Any, tiers: Iterable[Tier], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tiers = {str(t.pk): t for t in tiers}
        self.fields["to_tier"].choices = [("", "—")] + [(pk, tier_label(t)) for pk, t in self.tiers.items()]

    def clean_outcome(self) -> str:
        if not self.cleaned_data["outcome"]:
            raise forms.ValidationError(_("Choose what happens to the ticket."))
        return self.cleaned_data["outcome"]

    def clean_to_tier(self) -> Tier | None:
        pk = self.cleaned_data["to_tier"]
        return self.tiers[pk] if pk else None


class StepDoneForm(forms.Form):
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Outcome (what it showed)")
    )
    files = MultipleFileField(label=_("Evidence (logs, screenshots)"))
