"""Run the deadline sweep without Celery: once (cron, debugging) or in a loop."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clocks import heartbeat
from clocks.sweep import sweep_due_deadlines
from escalation_desk.startup import refuse_development_settings

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fire every due deadline once (the same sweep Celery beat runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Sweep again every --interval seconds.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between sweeps with --loop."
        )
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args: Any, loop: bool, interval: float, batch_size: int, **options: Any) -> None:
        refuse_development_settings()  # cron runs it: DEBUG off means production
        while True:
            try:
                result = sweep_due_deadlines(batch_size=batch_size)
            except Exception:
                if not loop:
                    raise
                # A database outage must not end the loop: the rows wait and the next sweep fires them.
                logger.exception("deadline sweep failed; trying again in %s s", interval)
            else:
                heartbeat.record(heartbeat.SWEEP)  # cron deployments without beat stay healthy too
                self.stdout.write(f"fired {result.fired}, retried {result.retried}, failing {result.failed}")
            if not loop:
                return
            time.sleep(interval)
