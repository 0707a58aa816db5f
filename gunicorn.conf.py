"""gunicorn's configuration, read from the working directory: Prometheus metrics across workers.

Only with PROMETHEUS_MULTIPROC_DIR set (docs/configuration.md#metrics): the folder is emptied
when gunicorn starts, and a dead worker's live gauges are dropped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
