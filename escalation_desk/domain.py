"""Domain errors shared by every app's services.

Services raise these; views show them as form errors, the API as 4xx answers.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _


class Refused(Exception):
    """A state change the rules do not allow now, with the list of what is missing."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.missing = list(missing or [])

    def __str__(self) -> str:
        if not self.missing:
            return self.message
        return f"{self.message}: " + "; ".join(self.missing)


class InvalidInput(Exception):
    """Input that can never be accepted as given (bad file, unknown choice), with field errors."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def not_one_of(value: object, allowed: Iterable[str]) -> str:
    """The one wording of an unknown choice: '"P9" is not one of: P1, P2, P3, P4'."""
    return _('"%(value)s" is not one of: %(allowed)s') % {"value": value, "allowed": ", ".join(allowed)}
