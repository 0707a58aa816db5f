"""The database's own limit for the sweep's kind of work, measured beside it: pgbench.

A deadline sweep is, at bottom, short transactions that update a row and commit. PostgreSQL's
`pgbench` running one-row UPDATE transactions against the same server, with as many clients as
there are sweepers, is the ceiling the sweep is compared with (`bench.sweep --pgbench`). It
uses a scratch database of its own (`<database>_pgbench`), created and initialised on first use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import Any

# One row updated per transaction, as the sweep marks a deadline fired.
SCRIPT = (
    "\\set aid random(1, 100000 * :scale)\n"
    "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
)


def _connection_args(settings: dict[str, Any]) -> tuple[list[str], dict[str, str], str]:
    args = ["-h", str(settings.get("HOST") or "127.0.0.1"), "-p", str(settings.get("PORT") or 5432)]
    if settings.get("USER"):
        args += ["-U", str(settings["USER"])]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return args, env, f"{settings['NAME']}_pgbench"


def pgbench_tps(settings: dict[str, Any], clients: int, seconds: int = 10) -> float | None:
    """Transactions per second of one-row UPDATEs with `clients` clients; None without pgbench."""
    if shutil.which("pgbench") is None or shutil.which("createdb") is None:
        return None
    args, env, database = _connection_args(settings)
    subprocess.run(["createdb", *args, database], env=env, capture_output=True)
    initialised = subprocess.run(
        ["psql", *args, "-d", database, "-tAc", "SELECT to_regclass('pgbench_accounts') IS NOT NULL"],
        env=env,
        capture_output=True,
        text=True,
    )
    if initialised.stdout.strip() != "t":
        subprocess.run(["pgbench", *args, "-i", "-q", database], env=env, capture_output=True, check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(SCRIPT)
        script.flush()
        command = ["pgbench", *args, "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds)]
        run = subprocess.run(
            [*command, "-f", script.name, database],
            env=env,
            capture_output=True,
            text=True,
        )
    found = re.search(r"tps = ([\d.]+)", run.stdout)
    return round(float(found.group(1))) if found else None
