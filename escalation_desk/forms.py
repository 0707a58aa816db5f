"""What the console's and the portal's forms share: a service's refusal on the form, several files in
one input."""

from __future__ import annotations

from typing import Any

from django import forms

from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.widgets import MultipleFileInput


def add_service_errors(form: forms.Form, exc: Exception, *, missing_prefix: str, fallback: str) -> None:
    """Put InvalidInput on its fields (or the form), a refusal's message and each missing item
    on the form, anything else (a PermissionDenied) as one form error."""
    if isinstance(exc, InvalidInput):
        for field, errors in exc.errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    elif isinstance(exc, Refused):
        form.add_error(None, exc.message)
        for item in exc.missing:
            form.add_error(None, f"{missing_prefix}: {item}")
    else:
        form.add_error(None, str(exc) or fallback)


class MultipleFileField(forms.FileField):
    """Several files in one input; size and type are checked by the services."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []
