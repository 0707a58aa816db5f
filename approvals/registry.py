"""How the app that opened a gate hears of its decision, without this app importing it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import ApprovalRequest

DecisionHandler = Callable[["ApprovalRequest"], None]
# A check run before an approval is recorded: returns what is still missing (empty: fine).
ApproveCheck = Callable[["ApprovalRequest"], list[str]]

# Told when the decision time frame reaches its reminder ("warning") or passes ("breach").
TimeFrameHandler = Callable[["ApprovalRequest", str], None]

_handlers: dict[str, DecisionHandler] = {}
_checks: dict[str, ApproveCheck] = {}
_time_frame: dict[str, TimeFrameHandler] = {}
ThreadOf = Callable[["ApprovalRequest"], str]
_threads: dict[str, ThreadOf] = {}


def register_subject(
    model_label: str,
    *,
    on_decided: DecisionHandler,
    before_approve: ApproveCheck | None = None,
    on_time_frame: TimeFrameHandler | None = None,
    thread_of: ThreadOf | None = None,
) -> None:
    """model_label is "app_label.modelname" of the subject; on_decided runs in the decision's
    transaction after approve, request changes or cancel; before_approve may refuse an approval
    with what is missing; on_time_frame hears the decision time frame's reminder and breach;
    thread_of names the mail thread the request's notifications belong to (its ticket's)."""
    existing = _handlers.get(model_label)
    if existing is not None and existing is not on_decided:
        raise ImproperlyConfigured(f"approvals for {model_label!r} already have a handler")
    _handlers[model_label] = on_decided
    if before_approve is not None:
        _checks[model_label] = before_approve
    if on_time_frame is not None:
        _time_frame[model_label] = on_time_frame
    if thread_of is not None:
        _threads[model_label] = thread_of


def _label(request: ApprovalRequest) -> str:
    return f"{request.content_type.app_label}.{request.content_type.model}"


def decision_handler_for(request: ApprovalRequest) -> DecisionHandler | None:
    return _handlers.get(_label(request))


def approve_check_for(request: ApprovalRequest) -> ApproveCheck | None:
    return _checks.get(_label(request))


def time_frame_handler_for(request: ApprovalRequest) -> TimeFrameHandler | None:
    return _time_frame.get(_label(request))


def thread_for(request: ApprovalRequest) -> str:
    """The mail thread of the request's subject, or "" when its app names none."""
    thread_of = _threads.get(_label(request))
    return thread_of(request) if thread_of is not None else ""
