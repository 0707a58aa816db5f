"""No database session outlives a test run on PostgreSQL (issue 10, point 20).

Each case is a run of its own (a pytest subprocess on its own test database) over
scenarios/sessions_left_open.py, because what is checked happens when a run ends: the root
conftest's guard fails the run if any session is still on the test database before it is dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests_support import environment

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = "escalation_desk/tests/scenarios/sessions_left_open.py"
LEFT_OPEN = "database session(s) still open"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
    ),
]


def _run(*tests: str) -> subprocess.CompletedProcess[str]:
    """Run the named scenarios in a pytest of their own, strict about sessions (the default)."""
    url = environment.database_url().rstrip("/")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"STRICT_DB_SESSIONS", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "CI"}
    }
    env["DATABASE_URL"] = f"{url}_sessions"  # its own test database: test_<name>_sessions
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:randomly",
            "-q",
            *[f"{SCENARIOS}::{test}" for test in tests],
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(
    not environment.has_chromium(), reason=f"Chromium not installed at {environment.CHROMIUM}"
)
def test_it_leaves_no_session_behind_after_a_connection_opened_while_the_browser_runs() -> None:
    result = _run("test_a_first_database_test", "test_a_database_test_while_the_browser_runs")

    assert LEFT_OPEN not in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_fails_the_run_naming_the_thread_and_test_that_left_a_session_open() -> None:
    result = _run("test_a_thread_that_never_closes_its_connection")

    assert result.returncode != 0, result.stdout
    assert f"1 {LEFT_OPEN}" in result.stdout
    assert "forgetful-thread test_a_thread_that_never_closes_its_connection" in result.stdout
