"""One way to write a state change, for every state machine of the product (docs/architecture.md).

Tickets, approval requests, hand-offs, consults and escalation cases each keep their state in a
protected `FSMField` (django-fsm-2) whose transition methods only set fields. A service changes a
state only through `change_state`, which runs the same steps in the same order, in one
transaction:

1. lock the row (`lock`, a `select_for_update` of the app's choosing);
2. the state must allow the transition (`can_proceed` without its conditions), else `Refused`
   naming the state; then the actor's permission (the transition's `permission`, plus `allowed`
   when the rule needs more than the row), else `PermissionDenied`;
3. `prepare` puts the user's input on the locked row, and `missing` lists, in words, what the
   guard still lacks (a refusal lists it all, and nothing is saved);
4. the transition runs and the row is saved;
5. `record` writes the timeline event (same transaction), `then` does what must change with it
   (clocks, the subject's callbacks, notifications written to the outbox);
6. `on_commit` runs once the transaction committed (work for the broker).

It lives in the project package because `approvals` may not import `tickets`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext
from django_fsm import can_proceed

from .domain import Refused

M = TypeVar("M", bound=models.Model)
Check = Callable[[M, Any], bool]


def state_of(row: models.Model, transition: str) -> str:
    """The current value of the state field the transition changes."""
    meta = getattr(row, transition)._django_fsm
    return meta.field.get_state(row)


def state_label(row: models.Model, transition: str) -> str:
    """The current state in words, as the model's choices spell it."""
    meta = getattr(row, transition)._django_fsm
    name = meta.field if isinstance(meta.field, str) else meta.field.name
    return str(getattr(row, f"get_{name}_display")()).lower()


def change_state(
    row: M,
    transition: str,
    *,
    actor: Any,
    lock: Callable[[M], M],
    label: str,
    not_possible: Callable[[M], Refused] | None = None,
    allowed: Check | None = None,
    denied: str | Callable[[M, Any], str] = "",
    prepare: Callable[[M], None] | None = None,
    missing: Callable[[M], list[str]] | None = None,
    arguments: dict[str, Any] | Callable[[M], dict[str, Any]] | None = None,
    record: Callable[[M, str], None] | None = None,
    then: Callable[[M], None] | None = None,
    on_commit: Callable[[M], None] | None = None,
    if_possible: bool = False,
) -> M:
    """Run `transition` on `row` as `actor` (see the module's docstring for the steps).

    `label` names the change in refusals ("Escalation", "Approval"); `not_possible` builds the
    refusal when the state does not allow it (default: "<label> is not possible while it is
    <state>"); `denied` is the permission refusal's message; `arguments` are the transition
    method's keyword arguments (or a function of the locked row); `record(locked, source)` writes
    the timeline event. `if_possible`: a state that no longer allows the change is not a
    refusal, the locked row is returned unchanged (cancelling a request decided meanwhile).
    Returns the locked, changed row.
    """
    with transaction.atomic():
        locked = lock(row)
        method = getattr(locked, transition)
        source = state_of(locked, transition)
        if not can_proceed(method, check_conditions=False):
            if if_possible:
                return locked
            raise (
                not_possible(locked) if not_possible is not None else _not_possible(locked, transition, label)
            )
        _check_permission(locked, method, source, actor, allowed, denied)
        if prepare is not None:
            prepare(locked)
        gaps = missing(locked) if missing is not None else []
        if gaps or not can_proceed(method):
            raise Refused(gettext("%(change)s refused") % {"change": label}, gaps)
        method(**(arguments(locked) if callable(arguments) else arguments or {}))
        locked.save()
        if record is not None:
            record(locked, source)
        if then is not None:
            then(locked)
        if on_commit is not None:
            transaction.on_commit(partial(on_commit, locked))
    return locked


def _not_possible(row: models.Model, transition: str, label: str) -> Refused:
    """The default refusal when the state does not allow the change."""
    return Refused(
        gettext("%(change)s is not possible while it is %(state)s")
        % {"change": label, "state": state_label(row, transition)},
        [gettext("a state that allows it")],
    )


def _check_permission(
    locked: M,
    method: Any,
    source: str,
    actor: Any,
    allowed: Check | None,
    denied: str | Callable[[M, Any], str],
) -> None:
    """The transition's permission, and `allowed` when given, else `PermissionDenied`."""
    if not method._django_fsm.has_transition_perm(locked, source, actor) or (
        allowed is not None and not allowed(locked, actor)
    ):
        message = denied(locked, actor) if callable(denied) else denied
        raise PermissionDenied(message or gettext("You may not do this."))
