"""Production settings come from the environment and refuse to start without a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_check(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    drop = {"DEBUG", "TESTING", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )


def test_it_runs_commands_on_a_bare_checkout_but_fails_the_deploy_check_without_a_secret() -> None:
    assert _run_check({"TESTING": "false"}).returncode == 0

    result = _run_check({"TESTING": "false", "ALLOWED_HOSTS": "desk.example.com"}, "--deploy")

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr and "SECRET_KEY is the development key" in result.stderr


def test_it_refuses_to_serve_without_a_secret_key() -> None:
    drop = {"DEBUG", "TESTING", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop} | {"TESTING": "false"}
    result = subprocess.run([sys.executable, "-c", "import escalation_desk.wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode != 0
    assert "the development key never serves a production site" in result.stderr


def test_it_passes_the_deployment_checklist_with_production_settings() -> None:
    result = _run_check(
        {"TESTING": "false", "SECRET_KEY": "x" * 20 + "-production-like-secret-key-" + "y" * 20,
         "ALLOWED_HOSTS": "desk.example.com"},
        "--deploy", "--fail-level", "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
