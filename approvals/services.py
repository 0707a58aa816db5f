"""Every change to an approval request goes through a function here (SPEC §5).

Each decision runs through escalation_desk.state.change_state: it locks the request row, checks
that it is pending and that the actor may decide, then what the decision needs (notes to
approve; steps to request changes), changes state, stops the decision time frame and calls the
subject app's handler, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from clocks.models import BusinessCalendar, Clock
from clocks.services import clock_start, clocks_stop
from escalation_desk.domain import Refused
from escalation_desk.state import change_state
from notifications.services import notify

from . import registry
from .models import ApprovalRequest, ApprovalStatus

DECISION_CLOCK = "approvals.decision"


def _clean_steps(steps: Iterable[str]) -> list[str]:
    return [s.strip() for s in steps if s and s.strip()]


def approval_file(
    *,
    subject: models.Model,
    title: str,
    approvers: Iterable[User],
    calendar: BusinessCalendar,
    decision_seconds: int,
    requested_by: User | None = None,
    reference: str = "",
    link: str = "",
    package: list[dict[str, Any]] | None = None,
    missing: list[str] | None = None,
    overdue_recipients: Iterable[User] = (),
    previous: ApprovalRequest | None = None,
) -> ApprovalRequest:
    """Open a gate on subject; its decision time frame starts now on the given calendar."""
    eligible = _eligible_approvers(approvers, requested_by)
    _check_follow_up(previous)
    with transaction.atomic():
        request = ApprovalRequest.objects.create(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            title=title,
            reference=reference,
            link=link,
            package=package or [],
            missing=missing or [],
            requested_by=requested_by,
            previous=previous,
        )
        request.approvers.set(eligible)
        request.overdue_recipients.set([u for u in overdue_recipients if u.is_active])
        clock_start(subject=request, kind=DECISION_CLOCK, calendar=calendar, target_seconds=decision_seconds)
        _ask_approvers(request, eligible)
    return request


def _eligible_approvers(approvers: Iterable[User], requested_by: User | None) -> list[User]:
    """The active approvers other than the requester; refused when there is none."""
    eligible = [u for u in approvers if u.is_active and (requested_by is None or u.pk != requested_by.pk)]
    if not eligible:
        raise Refused(
            gettext("The approval request cannot be filed"),
            [gettext("a team leader or manager (other than the requester) to decide it")],
        )
    return eligible


def _check_follow_up(previous: ApprovalRequest | None) -> None:
    """A request that follows up another needs one sent back with changes, not followed up yet."""
    if previous is not None and previous.status != ApprovalStatus.CHANGES_REQUESTED:
        raise Refused(
            gettext("The approval request cannot be filed"),
            [gettext("a previous request that was sent back with changes to make")],
        )
    if previous is not None and ApprovalRequest.objects.filter(previous=previous).exists():
        raise Refused(
            gettext("The approval request cannot be filed"),
            [gettext("a previous request that has not been followed up already")],
        )


def _ask_approvers(request: ApprovalRequest, eligible: list[User]) -> None:
    """The eligible approvers hear that the request waits for their decision."""
    requested_by = request.requested_by
    notify(
        recipients=eligible,
        kind="approvals.requested",
        context={
            "title": request.title,
            "reference": request.reference,
            "requested_by": str(requested_by)
            if requested_by
            else gettext("the system (a time frame passed)"),
            "message": gettext("%(reference)s: %(title)s waits for your decision.")
            % {"reference": request.reference, "title": request.title},
        },
        dedup_key=f"approval:{request.pk}:requested",
        link=request.link,
        thread=registry.thread_for(request),
        exclude=[requested_by],
    )


def _lock(request: ApprovalRequest) -> ApprovalRequest:
    return (
        ApprovalRequest.objects.select_related("content_type")
        .select_for_update(of=("self",))
        .get(pk=request.pk)
    )


def _decide(
    request: ApprovalRequest, actor: User, name: str, missing: list[str], **kwargs: Any
) -> ApprovalRequest:
    label = {"approve": gettext("Approval"), "request_changes": gettext("Request for changes")}[name]

    def not_possible(locked: ApprovalRequest) -> Refused:
        return Refused(
            gettext("%(change)s refused") % {"change": label},
            [
                gettext("a pending request (this one is %(status)s)")
                % {"status": locked.get_status_display().lower()}
            ],
        )

    def denied(locked: ApprovalRequest, user: User) -> str:
        if locked.requested_by_id == user.pk:
            return gettext("You cannot decide your own request.")
        return gettext("Only a team leader or manager of the requester's team may decide.")

    def still_missing(locked: ApprovalRequest) -> list[str]:
        check = registry.approve_check_for(locked) if name == "approve" else None
        return missing + check(locked) if check is not None else missing

    # The transition's permission is permissions.can_decide.
    locked = change_state(
        request,
        name,
        actor=actor,
        lock=_lock,
        label=label,
        not_possible=not_possible,
        denied=denied,
        missing=still_missing,
        arguments={"by": actor, **kwargs},
        then=_settled,
    )
    request.refresh_from_db()
    return locked


def approval_approve(*, request: ApprovalRequest, actor: User, notes: str) -> ApprovalRequest:
    """Approve, with the approval notes the subject records (seed 000)."""
    notes = (notes or "").strip()
    missing = [] if notes else [gettext("approval notes (what was reviewed and why it may go ahead)")]
    return _decide(request, actor, "approve", missing, notes=notes)


def approval_request_changes(
    *, request: ApprovalRequest, actor: User, steps: Iterable[str], notes: str = ""
) -> ApprovalRequest:
    """Send back with the additional troubleshooting steps to perform before asking again."""
    steps = _clean_steps(steps)
    missing = [] if steps else [gettext("the additional troubleshooting steps to perform")]
    return _decide(request, actor, "request_changes", missing, notes=(notes or "").strip(), steps=steps)


def approval_cancel(*, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """Withdraw a pending request (the subject app decides who may; e.g. the hand-off was withdrawn).
    A request decided meanwhile is left as it is."""
    locked = change_state(
        request,
        "cancel",
        actor=None,
        lock=_lock,
        label=gettext("Cancellation"),
        if_possible=True,
        arguments={"reason": reason},
        then=_settled,
    )
    request.refresh_from_db()
    return locked


def _settled(request: ApprovalRequest) -> None:
    """The request left pending: its decision time frame stops and the subject's app hears of it."""
    clocks_stop(subject=request, kind=DECISION_CLOCK)
    handler = registry.decision_handler_for(request)
    if handler is not None:
        handler(request)


# --- the decision time frame ---------------------------------------------------------------


def _on_clock(clock: Clock, point: str) -> None:
    request = ApprovalRequest.objects.select_related("content_type", "requested_by").get(pk=clock.object_id)
    if request.status != ApprovalStatus.PENDING:
        return
    words = {"reference": request.reference, "title": request.title}
    if point == "warning":
        recipients = list(request.approvers.all())
        kind = "approvals.reminder"
        message = gettext("%(reference)s: %(title)s still waits for your decision.") % words
    else:
        recipients = list(request.overdue_recipients.all()) or list(request.approvers.all())
        kind = "approvals.overdue"
        message = gettext("%(reference)s: %(title)s was not decided within its time frame.") % words
    notify(
        recipients=recipients,
        kind=kind,
        context={"title": request.title, "reference": request.reference, "message": message},
        dedup_key=f"approval:{request.pk}:{point}",
        link=request.link,
        thread=registry.thread_for(request),
    )
    handler = registry.time_frame_handler_for(request)
    if handler is not None:
        handler(request, point)


def on_warning(clock: Clock) -> None:
    _on_clock(clock, "warning")


def on_breach(clock: Clock) -> None:
    _on_clock(clock, "breach")


def register() -> None:
    from clocks.registry import register_clock_handlers
    from notifications import registry as kinds

    kinds.register(
        "approvals.requested",
        subject=gettext_lazy("[{{ reference }}] Your approval is asked by {{ requested_by }}: {{ title }}"),
        description="An approval request waits for an eligible approver.",
    )
    kinds.register(
        "approvals.reminder",
        subject=gettext_lazy("[{{ reference }}] Reminder: your approval is waited for: {{ title }}"),
        description="An approval request reached its reminder point (to the approvers).",
    )
    kinds.register(
        "approvals.overdue",
        subject=gettext_lazy("[{{ reference }}] Approval overdue, not decided in time: {{ title }}"),
        description="An approval request passed its decision time frame (to the team manager).",
    )
    register_clock_handlers(DECISION_CLOCK, on_warning=on_warning, on_breach=on_breach)
