"""The console calls each transition's service with its form's fields: one table, no if-chain."""

from __future__ import annotations

import inspect

from desk.views import TRANSITION_FORMS
from tickets.services.lifecycle import TRANSITION_SERVICES


def test_it_has_a_form_for_every_transition_service_and_no_other() -> None:
    assert set(TRANSITION_FORMS) == set(TRANSITION_SERVICES)


def test_every_form_field_is_a_keyword_its_service_accepts() -> None:
    for name, form in TRANSITION_FORMS.items():
        parameters = inspect.signature(TRANSITION_SERVICES[name]).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        unknown = set(form.base_fields) - set(parameters)

        assert takes_any or not unknown, f"{name}: the service takes no {sorted(unknown)}"
