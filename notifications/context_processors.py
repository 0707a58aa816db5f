"""The unread count in the console's header: one query, only when a staff page renders it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import selectors


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return 0
        return selectors.unread_count(user=user)

    # Lazy: htmx partials, JSON and pages without the header run no query for it.
    return {"unread_notifications": SimpleLazyObject(count)}
