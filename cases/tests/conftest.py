"""Customer escalation tests start from the escalations app's staffed world with the seeds' ladders."""

from __future__ import annotations

from escalations.tests.conftest import World, at, load_preset, new_ticket, triaged, world  # noqa: F401

__all__ = ["World", "at", "load_preset", "new_ticket", "triaged"]
