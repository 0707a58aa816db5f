"""Every date and date-time input of the console and the portal renders an ISO value: a browser's
`<input type=date>` shows a localised value (31/05/2030) as blank, and saving the form then clears
the date (the critical milestone lost on triage, "Edit intake" and escalation requests)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from django import forms
from django.utils import timezone, translation

import desk
import portal
from desk import case_forms, escalation_forms
from desk import forms as desk_forms
from desk.tests.test_pages import Page
from escalation_desk.widgets import IsoDateInput, IsoDateTimeInput
from portal import forms as portal_forms
from tickets.models import Ticket

# A day after the 12th, so that day and month cannot be confused; its time is local.
# Next year's 31 May: always ahead of today, and its day cannot pass for a month.
DAY = date(date.today().year + 1, 5, 31)
MOMENT = datetime(DAY.year, 5, 31, 14, 30)
ISO_DAY = DAY.isoformat()
ISO_MOMENT = f"{ISO_DAY}T14:30"

# form, the field holding a date, what it is set to, the ISO value a browser accepts.
DATED_FORMS: list[tuple[str, Callable[[], forms.BaseForm], str, str]] = [
    (
        "console new ticket",
        lambda: desk_forms.TicketCreateForm(instance=Ticket(critical_milestone=DAY)),
        "critical_milestone",
        ISO_DAY,
    ),
    (
        "console triage",
        lambda: desk_forms.TriageForm(instance=Ticket(critical_milestone=DAY), prefix="triage"),
        "critical_milestone",
        ISO_DAY,
    ),
    (
        "console edit intake",
        lambda: desk_forms.IntakeForm(instance=Ticket(critical_milestone=DAY)),
        "critical_milestone",
        ISO_DAY,
    ),
    (
        "console escalation request",
        lambda: case_forms.CaseRequestForm(prefix="case_request", initial={"critical_milestone": DAY}),
        "critical_milestone",
        ISO_DAY,
    ),
    ("console action plan", lambda: case_forms.ActivateForm(initial={"target_0": DAY}), "target_0", ISO_DAY),
    (
        "console first call",
        lambda: case_forms.ActivateForm(initial={"first_call_at": local(MOMENT)}),
        "first_call_at",
        ISO_MOMENT,
    ),
    (
        "console meeting",
        lambda: case_forms.MeetingForm(initial={"scheduled_for": local(MOMENT)}),
        "scheduled_for",
        ISO_MOMENT,
    ),
    (
        "console leadership review",
        lambda: case_forms.LeadershipReviewForm(initial={"meeting_at": local(MOMENT)}),
        "meeting_at",
        ISO_MOMENT,
    ),
    (
        "console vendor update",
        lambda: escalation_forms.VendorUpdateForm(initial={"received_at": local(MOMENT)}),
        "received_at",
        ISO_MOMENT,
    ),
    (
        "portal new request",
        lambda: portal_forms.RequestForm(initial={"critical_milestone": DAY}),
        "critical_milestone",
        ISO_DAY,
    ),
    (
        "portal escalation request",
        lambda: portal_forms.EscalationRequestForm(prefix="escalation", initial={"critical_milestone": DAY}),
        "critical_milestone",
        ISO_DAY,
    ),
]


def local(moment: datetime) -> datetime:
    return timezone.make_aware(moment)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en-gb", "en", "de"])
@pytest.mark.parametrize(("form", "make", "name", "iso"), DATED_FORMS, ids=[f[0] for f in DATED_FORMS])
def test_it_renders_each_date_as_the_iso_value_a_browser_accepts(
    form: str, make: Callable[[], forms.BaseForm], name: str, iso: str, language: str
) -> None:
    with translation.override(language):
        bound = make()[name]
        field = Page(str(bound)).one(name=bound.html_name)

    assert field.attrs["value"] == iso
    assert field.attrs["type"] == ("datetime-local" if "T" in iso else "date")


@pytest.mark.parametrize(("form", "make", "name", "iso"), DATED_FORMS, ids=[f[0] for f in DATED_FORMS])
def test_it_reads_back_the_iso_value_it_rendered(
    form: str, make: Callable[[], forms.BaseForm], name: str, iso: str
) -> None:
    """What the browser posts back unchanged is the same date (with translation active)."""
    field = make().fields[name]
    with translation.override("en-gb"):
        value = field.clean(iso)

    assert value == (local(MOMENT) if "T" in iso else DAY)


# --- a guard: no date input in desk or portal without the ISO widget ----------------------------

# What the forms of desk and portal take as keyword-only arguments (an unknown one fails the test:
# add it here).
FORM_ARGUMENTS: dict[str, Any] = {
    "ticket": Ticket(),
    "tiers": [],
    "ticket_team_id": None,
    "team_ids": frozenset(),
}


def project_forms() -> Iterator[type[forms.BaseForm]]:
    """Every form class declared in the desk and portal packages (tests, migrations and private
    bases such as _TierChoiceForm aside: their subclasses are the forms shown)."""
    for package in (desk, portal):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not {"tests", "migrations"} & set(module.name.split(".")):
                importlib.import_module(module.name)
    seen: set[type] = set()
    pending: list[type] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
                parts = sub.__module__.split(".")
                if (
                    parts[0] in {"desk", "portal"}
                    and "tests" not in parts
                    and not sub.__name__.startswith("_")
                ):
                    yield sub


def build(form_class: type[forms.BaseForm]) -> forms.BaseForm:
    needed = {
        name: FORM_ARGUMENTS[name]
        for name, p in inspect.signature(form_class.__init__).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    }
    return form_class(**needed)


def wrong_date_inputs(form: forms.BaseForm) -> list[str]:
    """The fields holding a date or a moment whose input is not the ISO one."""
    wrong = []
    for name, field in form.fields.items():
        widget = field.widget
        looks_dated = isinstance(widget, forms.DateInput | forms.DateTimeInput | forms.TimeInput) or (
            getattr(widget, "input_type", None) in {"date", "datetime-local", "time", "month", "week"}
        )
        if isinstance(field, forms.SplitDateTimeField):
            wrong.append(name)
        elif isinstance(field, forms.DateTimeField):
            if type(widget) is not IsoDateTimeInput:
                wrong.append(name)
        elif isinstance(field, forms.DateField):
            if type(widget) is not IsoDateInput:
                wrong.append(name)
        elif looks_dated:
            wrong.append(name)
    return wrong


@pytest.mark.django_db
def test_it_gives_every_date_field_of_the_console_and_the_portal_the_iso_input() -> None:
    checked: set[tuple[str, str]] = set()
    wrong: dict[str, list[str]] = {}
    for form_class in project_forms():
        form = build(form_class)
        label = f"{form_class.__module__}.{form_class.__name__}"
        if bad := wrong_date_inputs(form):
            wrong[label] = bad
        checked |= {
            (form_class.__name__, name)
            for name, field in form.fields.items()
            if isinstance(field, forms.DateField | forms.DateTimeField)
        }

    assert wrong == {}
    # The walk reached the forms of both packages (a guard that finds nothing guards nothing).
    assert {
        ("IntakeForm", "critical_milestone"),
        ("CaseRequestForm", "critical_milestone"),
        ("ActivateForm", "target_4"),
        ("VendorUpdateForm", "received_at"),
        ("RequestForm", "critical_milestone"),
        ("EscalationRequestForm", "critical_milestone"),
    } <= checked


def test_the_guard_catches_a_date_field_on_a_locale_input() -> None:
    class Careless(forms.Form):
        due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
        typed = forms.CharField(widget=forms.TextInput(attrs={"type": "date"}))
        fine = forms.DateField(widget=IsoDateInput())

    assert wrong_date_inputs(Careless()) == ["due", "at", "typed"]
