"""The vocabulary of the hand-written demo tickets: `DemoTicket` and its script actions.

Each helper (`triage`, `start`, `step`, `say`, ...) returns an `Action` tuple that
`demo.stories` replays through `tickets.services`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tickets.models import FixKind, Status, StepState

Action = tuple[Any, ...]


def triage(by: str = "erin", **kw: Any) -> Action:
    return ("triage", by, kw)


def start(by: str = "erin", assignee: str | None = None) -> Action:
    return ("start", by, assignee)


def step(
    by: str, kind: str, action: str, outcome: str = "", public: bool = False, state: str = StepState.DONE
) -> Action:
    return ("step", by, kind, action, outcome, public, state)


def say(by: str, body: str) -> Action:
    """A public comment (by staff or the customer)."""
    return ("comment", by, body, False)


def note(by: str, body: str) -> Action:
    """An internal comment."""
    return ("comment", by, body, True)


def wait(by: str, reason: str) -> Action:
    return ("await", by, reason)


def resolve(
    by: str, summary: str, root_cause: str, fix_kind: str = FixKind.PERMANENT, kb: str = "", kb_none: str = ""
) -> Action:
    return ("resolve", by, summary, root_cause, fix_kind, kb, kb_none)


def confirm(by: str, note_text: str, channel: str = "") -> Action:
    return ("confirm", by, note_text, channel)


def reopen(by: str, reason: str) -> Action:
    return ("reopen", by, reason)


def cancel(by: str, reason: str, note_text: str, duplicate_of: str | None = None) -> Action:
    return ("cancel", by, reason, note_text, duplicate_of)


@dataclass
class DemoTicket:
    key: str
    org: int  # index in ORGANISATIONS
    requester: str
    created_by: str  # username; the requester for portal/API tickets
    channel: str
    days_ago: float  # when the story starts; capped for an open or in-progress ticket (see stories)
    summary: str
    description: str = ""
    symptoms: str = ""
    replication_steps: str = ""
    error_messages: str = ""
    recent_changes: str = ""
    business_impact: str = ""
    workaround: str = ""
    priority: str = ""
    category: str | None = None
    service: str | None = None
    critical_milestone_in_days: int | None = None
    script: list[Action] = field(default_factory=list)
    expected: str = Status.NEW
