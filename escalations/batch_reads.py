"""What the escalations app's sweep handlers read, read once per sweep batch (clocks.batch).

A tier's time frame warning or passing reads its stint with the tier, its team and the team's
leaders (``STINT_OF_CLOCK``); an automatic escalation reads its stint (``STINT``), the ladder
with each tier's team, leaders, criteria and time frames (``LADDER``, ``TIME_FRAMES``), and the
ticket's steps with their files and the ticket's own files, from which its hand-off package is
assembled (``STEPS``, ``TICKET_FILES``). Each is one or two queries for the whole batch; the
selectors and records fall back to their own query outside a sweep.

The steps and files are read at the batch's start, unlocked, so a step recorded in the second
between that read and the escalation's ticket lock is not in that package (it is on the ticket).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType

from clocks.batch import Batch, prefetched
from tickets.models import Attachment, TroubleshootingStep

from .models import Tier, TierStint, TierTimeFrame

STINT_OF_CLOCK = "escalations.stint_of_clock"
STINT = "escalations.stint"
LADDER = "escalations.ladder"
TIME_FRAMES = "escalations.time_frames"
STEPS = "escalations.steps"
TICKET_FILES = "escalations.ticket_files"


def _stints_of_clocks(batch: Batch) -> dict[int, TierStint]:
    stints = (
        TierStint.objects.filter(clock_id__in=list(batch.clocks()))
        .select_related("tier", "tier__team", "tier__team__manager")
        .prefetch_related("tier__team__leaders")
    )
    return {stint.clock_id: stint for stint in stints}


def _escalation_ids(batch: Batch) -> set[int]:
    from .services.time_frames import AUTO_ESCALATE

    stint_type = ContentType.objects.get_for_model(TierStint).pk
    return {
        row.object_id
        for row in batch.deadlines
        if row.kind == AUTO_ESCALATE and row.content_type_id == stint_type
    }


def _stints(batch: Batch) -> dict[int, TierStint]:
    ids = _escalation_ids(batch)
    if not ids:
        return {}
    return {stint.pk: stint for stint in TierStint.objects.filter(pk__in=ids).select_related("tier")}


def _escalated_stints(batch: Batch) -> list[TierStint]:
    return [stint for pk in _escalation_ids(batch) if (stint := prefetched(STINT, pk)) is not None]


def _ladders(batch: Batch) -> dict[int, list[Tier]]:
    """The ladders (paths) of the batch's escalations: every tier, in level order."""
    paths = {stint.tier.path_id for stint in _escalated_stints(batch)}
    ladders: dict[int, list[Tier]] = {path: [] for path in paths}
    tiers = (
        Tier.objects.filter(path_id__in=paths)
        .select_related("path", "team", "team__manager")
        .prefetch_related("criteria", "team__leaders")
        .order_by("level", "pk")
    )
    for tier in tiers:
        ladders[tier.path_id].append(tier)
    return ladders


def _time_frames(batch: Batch) -> dict[int, dict[str, TierTimeFrame]]:
    """Each tier's time frame per priority, for the ladders of the batch's escalations."""
    tier_ids = {
        tier.pk
        for stint in _escalated_stints(batch)
        for tier in (prefetched(LADDER, stint.tier.path_id) or [])
    }
    frames: dict[int, dict[str, TierTimeFrame]] = {pk: {} for pk in tier_ids}
    for frame in TierTimeFrame.objects.filter(tier_id__in=tier_ids):
        frames[frame.tier_id][frame.priority] = frame
    return frames


def _escalated_tickets(batch: Batch) -> set[int]:
    return {stint.ticket_id for stint in _escalated_stints(batch)}


def _steps(batch: Batch) -> dict[int, list[TroubleshootingStep]]:
    """Every step of the batch's escalating tickets, in the order performed, with its files."""
    tickets = _escalated_tickets(batch)
    steps: dict[int, list[TroubleshootingStep]] = {pk: [] for pk in tickets}
    rows = (
        TroubleshootingStep.objects.filter(ticket_id__in=tickets)
        .select_related("engineer", "team")
        .prefetch_related("attachments")
        .order_by("performed_at", "pk")
    )
    for step in rows:
        steps[step.ticket_id].append(step)
    return steps


def _ticket_files(batch: Batch) -> dict[int, list[Attachment]]:
    """The files on the batch's escalating tickets themselves (neither a step's nor a comment's)."""
    tickets = _escalated_tickets(batch)
    files: dict[int, list[Attachment]] = defaultdict(list)
    files.update({pk: [] for pk in tickets})
    rows = Attachment.objects.filter(ticket_id__in=tickets, step__isnull=True, comment__isnull=True)
    for attachment in rows.order_by("pk"):
        files[attachment.ticket_id].append(attachment)
    return dict(files)


LOADERS: dict[str, Any] = {
    STINT_OF_CLOCK: _stints_of_clocks,
    STINT: _stints,
    LADDER: _ladders,
    TIME_FRAMES: _time_frames,
    STEPS: _steps,
    TICKET_FILES: _ticket_files,
}


def register() -> None:
    from clocks.registry import register_batch_loader

    for name, loader in LOADERS.items():
        register_batch_loader(name, loader)
