"""Heartbeats of periodic jobs: the deadline sweep records when it last finished (read by /health/)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .models import Heartbeat

SWEEP = "clocks.sweep_deadlines"


def record(name: str, *, at: datetime | None = None) -> None:
    """Say that the job `name` finished now (two queries at most; concurrent writers are harmless)."""
    at = at or timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=at):
        Heartbeat.objects.bulk_create([Heartbeat(name=name, at=at)], ignore_conflicts=True)


def last(name: str) -> datetime | None:
    """When the job `name` last finished, or None if it never did."""
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
