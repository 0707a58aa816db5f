"""The console header's two counts, pending approvals and unread notifications: one query for
both, only when a staff page renders one of them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from approvals.models import ApprovalRequest
from notifications.models import Channel, Notification


def _count(qs: QuerySet[Any]) -> Coalesce:
    """A scalar subquery counting qs's rows (0 when there are none)."""
    counted = qs.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk", distinct=True))
    return Coalesce(Subquery(counted.values("n")[:1]), Value(0), output_field=IntegerField())


def header_annotations(user: Any) -> dict[str, Coalesce]:
    """The two counts as scalar subqueries, to annotate any one-row query with (`header_pending`,
    `header_unread`): the ticket page reads them with the ticket (remember_header_counts)."""
    return {
        "header_pending": _count(ApprovalRequest.objects.decidable_by(user)),
        "header_unread": _count(
            Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
        ),
    }


def _counts_of(row: Any) -> dict[str, int]:
    """The two counts a row was read with (header_annotations); zeros for no row."""
    if row is None:
        return {"pending": 0, "unread": 0}
    return {"pending": row.header_pending, "unread": row.header_unread}


def remember_header_counts(request: HttpRequest, row: Any) -> None:
    """Keep the counts a view read with its own query (header_annotations): no query for the header."""
    request._header_counts = _counts_of(row)  # type: ignore[attr-defined]


def header_counts(user: Any) -> dict[str, int]:
    """Both counts in one SELECT (two scalar subqueries); zeros for anyone but signed-in staff."""
    if user is None or not user.is_authenticated or not user.is_staff:
        return _counts_of(None)
    return _counts_of(User.objects.filter(pk=user.pk).annotate(**header_annotations(user)).first())


def pending_approvals(request: HttpRequest) -> dict[str, Any]:
    """`pending_approvals` and `unread_notifications` for base.html's header, read together on
    first use and kept on the request (notifications.context_processors is not listed: this
    one also answers its key)."""

    def counts() -> dict[str, int]:
        if not hasattr(request, "_header_counts"):
            request._header_counts = header_counts(getattr(request, "user", None))  # type: ignore[attr-defined]
        return request._header_counts  # type: ignore[attr-defined]

    # Lazy: htmx partials, JSON and pages without the header run no query for it.
    return {
        "pending_approvals": SimpleLazyObject(lambda: counts()["pending"]),
        "unread_notifications": SimpleLazyObject(lambda: counts()["unread"]),
    }
