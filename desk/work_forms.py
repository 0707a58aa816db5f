"""Forms of the team leader's work: assigning tickets, and the queue's saved views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from tickets.models import Ticket


def assignable_staff(team_ids: frozenset[int] | set[int] | None) -> QuerySet[User]:
    """Active staff of these teams (members and team leaders); None: every active staff member."""
    staff = User.objects.filter(is_active=True, is_staff=True)
    if team_ids is not None:
        staff = staff.filter(Q(teams__in=team_ids) | Q(led_teams__in=team_ids)).distinct()
    return staff.order_by("first_name", "last_name", "username")


class AssignForm(forms.Form):
    """Who works the ticket from now on (a team leader's choice); empty: nobody."""

    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (unassigned)"),
        label=_("Assignee"),
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_staff({ticket.team_id} if ticket.team_id else set())
        if ticket.assignee_id and not self.is_bound:
            self.initial["assignee"] = ticket.assignee_id


class BulkAssignForm(forms.Form):
    """Several tickets of the queue to one assignee (or to nobody)."""

    ticket = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("Tickets"))
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (unassigned)"),
        label=_("Assign to"),
    )

    def __init__(self, *args: Any, team_ids: frozenset[int] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_staff(team_ids)

    def full_clean(self) -> None:
        # Any ticket id is a choice here: which of them the user may see and assign is the
        # view's and the service's business (per-ticket refusals), not a form error.
        if self.is_bound:
            self.fields["ticket"].choices = [(v, v) for v in self.data.getlist(self.add_prefix("ticket"))]
        super().full_clean()


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name of this view"))
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)
