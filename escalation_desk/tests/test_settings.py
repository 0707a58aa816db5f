"""Settings fail loudly: bad booleans stop every process; development-only values with DEBUG off
stop the processes that run the product.

The rule (docs/configuration.md#fail-loudly): with DEBUG off, web (wsgi, asgi), the Celery worker
and beat, and the commands cron and the MTA run refuse the development SECRET_KEY and the
filesystem:// broker; build and administration commands (makemigrations, migrate, check) still
run on a bare checkout and `check --deploy` reports both as errors; DEBUG=true (make run) and
the test suite (TESTING) use them freely.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from escalation_desk.settings import StrictEnv

ROOT = Path(__file__).resolve().parents[2]
SECRET = "x" * 20 + "-production-like-secret-key-" + "y" * 20
REDIS = "redis://127.0.0.1:6379/15"
DROP = {"DEBUG", "TESTING", "SECRET_KEY", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "LOG_FORMAT"}


def _env(overrides: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    return env | {"TESTING": "false"} | overrides


def _run(overrides: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=_env(overrides), capture_output=True, text=True, timeout=120
    )


def _manage(overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(overrides, "manage.py", *args)


SETUP = (
    "-c",
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'escalation_desk.settings');"
    " django.setup(); print('settings loaded')",
)


@pytest.mark.parametrize("name", ["DEBUG", "SESSION_COOKIE_SECURE"])
def test_it_refuses_a_boolean_that_is_not_one_at_start_up(name: str) -> None:
    result = _run({"DEBUG": "true", name: "ture"}, *SETUP)

    assert result.returncode != 0
    assert f"{name}='ture' is not a boolean" in result.stderr


def test_every_boolean_setting_is_read_strictly() -> None:
    source = (ROOT / "escalation_desk" / "settings.py").read_text()

    assert "env.bool(" in source
    assert "environ.Env()" not in source  # every setting goes through StrictEnv


@pytest.mark.parametrize(
    ("spelling", "value"),
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("NO", False),
        ("0", False),
        ("off", False),
        ("", True),
        ("  ", True),
    ],
)
def test_it_reads_every_usual_spelling_of_a_boolean(
    spelling: str, value: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty counts as unset: the default (here True) applies."""
    monkeypatch.setenv("ED_SOME_FLAG", spelling)

    assert StrictEnv().bool("ED_SOME_FLAG", default=True) is value


@pytest.mark.parametrize("spelling", ["ture", "y", "enabled", "2"])
def test_it_refuses_anything_else(spelling: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ED_SOME_FLAG", spelling)

    with pytest.raises(ImproperlyConfigured, match=f"ED_SOME_FLAG='{spelling}' is not a boolean"):
        StrictEnv().bool("ED_SOME_FLAG", default=False)


def test_it_refuses_a_number_that_is_not_one_by_name() -> None:
    result = _run({"DEBUG": "true", "CLOCKS_SWEEP_SECONDS": "thirty"}, *SETUP)

    assert result.returncode != 0
    assert "CLOCKS_SWEEP_SECONDS='thirty' is not an integer" in result.stderr


WEB = ("-c", "import escalation_desk.wsgi; print('settings loaded')")


def test_it_refuses_the_development_secret_key_with_debug_off() -> None:
    result = _run({"CELERY_BROKER_URL": REDIS}, *WEB)

    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr
    assert "settings loaded" not in result.stdout


def test_it_refuses_the_filesystem_broker_with_debug_off() -> None:
    explicit = _run({"SECRET_KEY": SECRET, "CELERY_BROKER_URL": "filesystem://"}, *WEB)
    by_default = _run({"SECRET_KEY": SECRET}, *WEB)

    for result in (explicit, by_default):
        assert result.returncode != 0
        assert "CELERY_BROKER_URL is 'filesystem://', the development broker" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ("-c", "import escalation_desk.wsgi"),
        ("-c", "import escalation_desk.asgi"),
        ("-m", "celery", "-A", "escalation_desk", "worker", "--pool=solo"),
        ("-m", "celery", "-A", "escalation_desk", "beat"),
        ("manage.py", "sweep_deadlines"),
        ("manage.py", "redrive_notifications"),
        ("manage.py", "fetch_mail"),
        ("manage.py", "daily_report", "--send"),
    ],
)
def test_every_process_that_runs_the_product_refuses_a_bare_checkout_with_debug_off(
    argv: tuple[str, ...],
) -> None:
    """Web (wsgi, asgi), the Celery worker and beat, and the commands cron runs."""
    result = _run({}, *argv)

    assert result.returncode != 0
    assert "Escalation Desk will not start with DEBUG off and development settings" in result.stderr
    assert "SECRET_KEY is the development key" in result.stderr and "filesystem://" in result.stderr


def test_the_mta_keeps_mail_for_later_on_a_bare_checkout_with_debug_off() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "receive_mail"],
        cwd=ROOT,
        env=_env({}),
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 75  # EX_TEMPFAIL: the MTA keeps the message until the site is set up
    assert "SECRET_KEY is the development key" in result.stderr


def test_build_and_administration_commands_run_on_a_bare_checkout_with_debug_off() -> None:
    """makemigrations --check (CI and reviewers run it as is) and check; check --deploy lists both."""
    assert _manage({}, "makemigrations", "--check", "--dry-run").returncode == 0
    assert _manage({}, "check").returncode == 0
    deploy = _manage({"ALLOWED_HOSTS": "desk.example.com"}, "check", "--deploy")
    assert deploy.returncode != 0
    assert "accounts.E001" in deploy.stderr and "accounts.E002" in deploy.stderr


def test_development_and_the_test_suite_use_the_development_defaults() -> None:
    assert _manage({"DEBUG": "true"}, "check").returncode == 0  # make run
    assert _manage({"TESTING": "true"}, "check").returncode == 0  # the suite's subprocesses


def test_it_fails_the_deploy_check_with_the_development_key_even_in_debug() -> None:
    result = _manage({"DEBUG": "true", "ALLOWED_HOSTS": "desk.example.com"}, "check", "--deploy")

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr and "SECRET_KEY is the development key" in result.stderr


def test_it_passes_the_deployment_checklist_with_production_settings() -> None:
    """What CI's `check --deploy` step runs: DEBUG unset, a secret and a Redis broker."""
    result = _manage(
        {"SECRET_KEY": SECRET, "CELERY_BROKER_URL": REDIS, "ALLOWED_HOSTS": "desk.example.com"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_an_unknown_log_format_and_a_bad_metrics_network() -> None:
    log_format = _run({"DEBUG": "true", "LOG_FORMAT": "xml"}, *SETUP)
    network = _run({"DEBUG": "true", "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}, *SETUP)

    assert log_format.returncode != 0 and 'LOG_FORMAT must be "json" or "plain"' in log_format.stderr
    assert network.returncode != 0 and "'intranet' is not a network" in network.stderr
