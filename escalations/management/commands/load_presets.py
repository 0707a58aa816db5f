"""Load the seeds' escalation ladders (idempotent; admins edit them afterwards)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from escalations.presets import load_presets


class Command(BaseCommand):
    help = "Create the preset escalation ladders of the seeds and put services without a ladder on them."

    def handle(self, *args: Any, **options: Any) -> None:
        for path, created in load_presets():
            tiers = " → ".join(path.tiers.order_by("level").values_list("name", flat=True))
            state = "created" if created else "already there, left as it is"
            self.stdout.write(f"{path.name} ({state}): {tiers}")
