"""Who may decide an approval request (SPEC §5): an eligible approver, never the requester."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

    from .models import ApprovalRequest


def can_decide(request: ApprovalRequest, user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if request.requested_by_id is not None and request.requested_by_id == user.pk:
        return False
    # Eligibility was fixed when the request was filed; prefetched lists are used when present.
    cached = getattr(request, "_prefetched_objects_cache", {}).get("approvers")
    if cached is not None:
        return any(approver.pk == user.pk for approver in cached)
    return request.approvers.filter(pk=user.pk).exists()


def can_view(request: ApprovalRequest, user: User) -> bool:
    """Approvers, the requester, and staff who may see every ticket's internals."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm("tickets.view_internal") or user.is_superuser:
        return True
    return request.requested_by_id == user.pk or can_decide(request, user)
