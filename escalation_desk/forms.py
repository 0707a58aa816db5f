"""How a form shows a service's refusal: the one place the console and the portal share."""

from __future__ import annotations

from django import forms

from escalation_desk.domain import InvalidInput, Refused


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
