"""Celery tasks of the clocks app: thin wrappers over the sweep."""

from __future__ import annotations

from celery import shared_task

from . import heartbeat
from .sweep import sweep_due_deadlines


@shared_task(name="clocks.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> dict[str, int]:
    """Fire every due deadline; beat runs this every CLOCKS_SWEEP_SECONDS."""
    result = sweep_due_deadlines()
    # Only a sweep that finished counts: /health/ and /metrics/ read this as beat's freshness.
    heartbeat.record(heartbeat.SWEEP)
    return {"fired": result.fired, "failed": result.failed, "retried": result.retried}
