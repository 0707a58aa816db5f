"""Date and time inputs for every console and portal form.

A browser's `<input type=date>` and `<input type=datetime-local>` accept ISO values only
(2026-12-03, 2026-12-03T14:30); a localised value such as 03/12/2026 (en-GB's first input format,
which Django's DateInput would render) is shown blank, and saving the form then clears the date.
These widgets always render ISO, whatever the language.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# What a datetime-local input posts (with seconds when the step allows them), and a typed space.
DATETIME_LOCAL_INPUT_FORMATS = [ISO_DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class IsoDateInput(forms.DateInput):
    """`<input type=date>` with its value as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class IsoDateTimeInput(forms.DateTimeInput):
    """`<input type=datetime-local>` with its value as YYYY-MM-DDTHH:MM (local time)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)


def date_field(**kwargs: Any) -> forms.DateField:
    """An optional date field on the ISO date input (keyword arguments as for DateField)."""
    kwargs.setdefault("required", False)
    return forms.DateField(widget=IsoDateInput(), **kwargs)


def datetime_field(**kwargs: Any) -> forms.DateTimeField:
    """An optional date-and-time field on the ISO datetime-local input."""
    kwargs.setdefault("required", False)
    return forms.DateTimeField(
        widget=IsoDateTimeInput(), input_formats=DATETIME_LOCAL_INPUT_FORMATS, **kwargs
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True
