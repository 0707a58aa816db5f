"""Input no field can hold is refused at the door: 400, never a 500 from the database.

PostgreSQL cannot store or compare a string with a NUL character, and a lone surrogate cannot be
encoded at all, so a filter such as ?q=a%00b failed deep in a query. Every query string (and
every form body outside the API, whose serializers refuse such characters themselves)
is checked once here, before any view reads it: the API answers its usual error shape
({"detail", "errors"}), the console and the portal a page that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_unstorable_characters(text: str) -> bool:
    """A NUL character or a lone surrogate (U+D800–U+DFFF): nothing the database can hold."""
    return NUL in text or any("\ud800" <= char <= "\udfff" for char in text)


def is_number(text: str) -> bool:
    """Plain ASCII digits: what int() reads and a database id can be ("²".isdigit() is true)."""
    return text.isascii() and text.isdigit()


def unstorable_fields(params: QueryDict) -> dict[str, list[str]]:
    """The parameters (by name) whose name or value holds a character nothing can store."""
    message = _("Null characters and unpaired surrogates are not allowed.")
    errors: dict[str, list[str]] = {}
    for name, values in params.lists():
        if has_unstorable_characters(name) or any(has_unstorable_characters(v) for v in values):
            shown = "".join(
                c if not has_unstorable_characters(c) else "\N{REPLACEMENT CHARACTER}" for c in name
            )
            errors[shown or "non_field_errors"] = [message]
    return errors


class InputGuardMiddleware:
    """Refuse a query string (or a form body outside the API) with unstorable characters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        errors = unstorable_fields(request.GET)
        api = request.path_info.startswith(API_PREFIX)
        if not errors and not api and request.method == "POST" and request.content_type in FORM_TYPES:
            # Read as CsrfViewMiddleware reads it for every console form anyway. The API's bodies
            # go through serializers, whose fields refuse these characters themselves.
            errors = unstorable_fields(request.POST)
        if errors:
            return self.refuse(request, errors, api=api)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest, errors: dict[str, list[str]], *, api: bool) -> HttpResponse:
        if api:
            from escalation_desk.api import INVALID_INPUT  # the API module imports this one

            return JsonResponse({"detail": INVALID_INPUT, "errors": errors}, status=400)
        return render(request, "400.html", {"errors": errors}, status=400)
