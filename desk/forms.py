"""Console forms: they validate and clean input; services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from escalation_desk.forms import MultipleFileField
from escalation_desk.input_guard import is_number
from escalation_desk.widgets import IsoDateInput
from escalations.models import Tier
from tickets.models import (
    CancelReason,
    Category,
    Channel,
    FixKind,
    Priority,
    Service,
    Status,
    StepKind,
    StepState,
    Ticket,
)

INTAKE_HELP = {
    "replication_steps": _('Write "none" if it cannot be reproduced on demand.'),
    "error_messages": _('Exact text of any error, or "none".'),
    "recent_changes": _('Upgrades, configuration or network changes, or "none".'),
}


class IntakeForm(forms.ModelForm):
    """The intake of seed 003 Tier 1; blanks are allowed here, triage lists what is missing."""

    class Meta:
        model = Ticket
        fields = [
            "summary",
            "description",
            "symptoms",
            "replication_steps",
            "error_messages",
            "recent_changes",
            "business_impact",
            "workaround",
            "critical_milestone",
            "priority",
            "category",
            "service",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "symptoms": forms.Textarea(attrs={"rows": 2}),
            "replication_steps": forms.Textarea(attrs={"rows": 2}),
            "error_messages": forms.Textarea(attrs={"rows": 2}),
            "recent_changes": forms.Textarea(attrs={"rows": 2}),
            "business_impact": forms.Textarea(attrs={"rows": 2}),
            "workaround": forms.Textarea(attrs={"rows": 2}),
            "critical_milestone": IsoDateInput(),
        }
        help_texts = INTAKE_HELP

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The default team (and its manager) a new ticket reaches, in the service's own query.
        self.fields["service"].queryset = Service.objects.filter(is_active=True).select_related(
            "default_team__manager"
        )
        self.fields["category"].queryset = Category.objects.all()

    def _get_validation_exclusions(self) -> set[str]:
        """The model's foreign-key check (one EXISTS per relation) repeats what each choice
        field did: it loaded the row from its own, narrower queryset."""
        exclusions = super()._get_validation_exclusions()
        return exclusions | {
            name for name, field in self.fields.items() if isinstance(field, forms.ModelChoiceField)
        }

    def intake(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in IntakeForm.Meta.fields}


class TicketCreateForm(IntakeForm):
    """A ticket opened by an engineer on a customer's behalf (phone or e-mail)."""

    requester = forms.ModelChoiceField(
        queryset=User.objects.none(), help_text=_("The customer contact who reported it.")
    )
    channel = forms.ChoiceField(
        choices=[(Channel.PHONE, _("Phone")), (Channel.EMAIL, _("E-mail")), (Channel.CONSOLE, _("Other"))],
        initial=Channel.PHONE,
    )
    files = MultipleFileField(label=_("Attachments"))

    class Meta(IntakeForm.Meta):
        fields = ["requester", "channel", *IntakeForm.Meta.fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = (
            User.objects.filter(organisation__isnull=False, is_staff=False, is_active=True)
            .select_related("organisation")
            .order_by("organisation__name", "first_name", "last_name")
        )
        self.fields["requester"].label_from_instance = lambda u: f"{u} — {u.organisation}"
        self.order_fields(["requester", "channel", *IntakeForm.Meta.fields, "files"])


class TriageForm(IntakeForm):
    pass


class StartForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Me"),
        help_text=_("Who works the ticket from now on."),
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ticket.team_id:
            self.fields["assignee"].queryset = User.objects.filter(
                Q(teams=ticket.team_id) | Q(led_teams=ticket.team_id), is_active=True
            ).distinct()


class AwaitCustomerForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("What the customer needs to provide"),
    )


class CustomerRepliedForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("What the customer said (phone, e-mail…)"),
    )


class ResolveForm(forms.Form):
    resolution_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("Resolution details (what fixed it)"),
    )
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    fix_kind = forms.ChoiceField(
        choices=[("", "—"), *FixKind.choices], required=False, label=_("Workaround or permanent fix")
    )
    knowledge_article = forms.CharField(required=False, label=_("Knowledge-base article"))
    knowledge_none_reason = forms.CharField(required=False, label=_("…or why none is needed"))


class ConfirmResolutionForm(forms.Form):
    channel = forms.ChoiceField(
        choices=[("", "—"), (Channel.PHONE, _("Phone")), (Channel.EMAIL, _("E-mail"))],
        required=False,
        label=_("How the customer confirmed"),
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Why the customer is not satisfied")
    )


class CancelForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "—"), *CancelReason.choices], required=False)
    duplicate_of = forms.CharField(
        required=False, label=_("Duplicate of (ticket reference)"), help_text=_("e.g. ED-000123")
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_duplicate_of(self) -> Ticket | None:
        value = self.cleaned_data["duplicate_of"].strip().upper().removeprefix("ED-")
        if not value:
            return None
        if not is_number(value):
            raise forms.ValidationError(_("Give a ticket reference such as ED-000123."))
        ticket = Ticket.objects.filter(pk=int(value)).first()
        if ticket is None:
            raise forms.ValidationError(
                gettext("There is no ticket %(reference)s.") % {"reference": f"ED-{int(value):06d}"}
            )
        return ticket


TRANSITION_FORMS: dict[str, type[forms.Form]] = {
    "triage": TriageForm,
    "start": StartForm,
    "await_customer": AwaitCustomerForm,
    "customer_replied": CustomerRepliedForm,
    "resolve": ResolveForm,
    "confirm_resolution": ConfirmResolutionForm,
    "reopen": ReopenForm,
    "cancel": CancelForm,
}


class CommentForm(forms.Form):
    """The conversation's reply box: a reply to the customer (the default) or an internal note."""

    REPLY, NOTE = "reply", "note"
    mode = forms.ChoiceField(
        choices=[(REPLY, _("Reply to customer")), (NOTE, _("Internal note"))],
        initial=REPLY,
        widget=forms.RadioSelect,
        required=False,
        label=_("Kind of comment"),
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Message"))
    files = MultipleFileField(label=_("Attachments"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["mode"] = data.get("mode") or self.REPLY
        data["is_internal"] = data["mode"] == self.NOTE
        return data


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=StepKind.choices)
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("What was done"))
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Outcome (what it showed)")
    )
    state = forms.ChoiceField(choices=StepState.choices, initial=StepState.DONE)
    is_public = forms.BooleanField(required=False, label=_("Visible to the customer"))
    files = MultipleFileField(label=_("Evidence (logs, screenshots)"))


class StepVisibilityForm(forms.Form):
    """Share a step with the customer or make it internal again; the reason goes on the timeline."""

    visibility = forms.ChoiceField(
        choices=[("public", _("shared")), ("internal", _("internal"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Why"), max_length=2000)


class TiersByLadder(ModelChoiceIterator):
    """The tiers as option groups, one per ladder (one query, when the select is rendered)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list[Any]] = {}
        for tier in self.queryset:
            groups.setdefault(tier.path.name, []).append(self.choice(tier))
        yield from groups.items()


class TierChoiceField(forms.ModelChoiceField):
    iterator = TiersByLadder

    def label_from_instance(self, obj: Tier) -> str:
        return f"{obj.level}. {obj.name}"


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    status = forms.MultipleChoiceField(choices=Status.choices, required=False)
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, empty_label=_("All teams"))
    tier = TierChoiceField(
        queryset=Tier.objects.select_related("path").order_by("path__name", "level"),
        required=False,
        empty_label=_("All tiers"),
        help_text=_("Tickets currently in this tier of a ladder."),
    )
    assignee = forms.ChoiceField(
        choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))], required=False
    )
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[("", _("Any")), ("soon", _("Breaching soon")), ("breached", _("Breached"))],
    )
