"""The pending-approvals count in the console's header: one query, only for staff pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from approvals.models import ApprovalRequest


def pending_approvals(request: HttpRequest) -> dict[str, Any]:
    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return 0
        return ApprovalRequest.objects.decidable_by(user).count()

    # Lazy: htmx partials, JSON and pages without the header run no query for it.
    return {"pending_approvals": SimpleLazyObject(count)}
