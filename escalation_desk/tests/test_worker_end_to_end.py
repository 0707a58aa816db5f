"""A real Celery worker with beat runs the scheduled deadline sweep end to end (SPEC §4, §11).

Twice: the embedded default (SQLite file + kombu's filesystem broker, as `make run`), and the
run's configured database and broker (PostgreSQL + Redis in CI). The test uses a database of its own,
because the worker is another process and cannot see the test transaction.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests_support import environment

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from django.contrib.auth.models import Group
from accounts.models import Organisation, User
from clocks.models import BusinessCalendar
from clocks.services import clock_start
from tickets import sla
from tickets.services.intake import ticket_create
from tickets.models import Ticket

org = Organisation.objects.create(name="Acme")
customer = User.objects.create(username="carla", organisation=org)
customer.groups.add(Group.objects.get(name="Customer"))
ticket = ticket_create(actor=customer, organisation=org, requester=customer, summary="Down")
calendar = BusinessCalendar.objects.create(name="always", is_24x7=True, time_zone="UTC")
# A 4-second first-response time frame: warns after 3 s, breaches after 4 s.
clock_start(subject=ticket, kind=sla.FIRST_RESPONSE, calendar=calendar, target_seconds=4)
print(ticket.pk)
"""

READ = """
from tickets.models import TimelineEvent
print(",".join(TimelineEvent.objects.order_by("pk").values_list("kind", flat=True)))
"""


def _postgres_database(name: str) -> str:
    """A fresh PostgreSQL database beside the configured one; returns its URL."""
    import psycopg2

    url = urlparse(environment.database_url())
    admin = psycopg2.connect(
        dbname="postgres", user=url.username, password=url.password, host=url.hostname, port=url.port or 5432
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunparse(url._replace(path=f"/{name}"))


@pytest.fixture(params=["embedded", "configured"])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """`embedded`: SQLite file + filesystem broker, as `make run`; `configured`: the run's own
    database and broker (PostgreSQL + Redis in CI)."""
    embedded = request.param == "embedded"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        {
            "DEBUG": "true",
            "TESTING": "false",
            "CLOCKS_SWEEP_SECONDS": "1",
            "NOTIFICATIONS_REDRIVE_SECONDS": "5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if environment.uses_postgres() and not embedded:
        env["DATABASE_URL"] = _postgres_database(f"{urlparse(environment.database_url()).path[1:]}_worker")
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    if environment.uses_redis() and not embedded:
        # A Redis database of its own: messages the rest of the suite queued are not its work.
        env["CELERY_BROKER_URL"] = urlunparse(urlparse(environment.broker_url())._replace(path="/13"))
    else:
        env.pop("CELERY_BROKER_URL", None)  # the default: kombu's filesystem transport
        env["CELERY_BROKER_DIR"] = str(tmp_path / "broker")
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    if embedded:
        assert "CELERY_BROKER_URL" not in env and env["DATABASE_URL"].startswith("sqlite")
    yield env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_it_fires_a_warning_and_a_breach_through_a_real_worker_with_beat(
    worker_env: dict[str, str], tmp_path: Path
) -> None:
    _manage(worker_env, "migrate", "--noinput", "-v0")
    _manage(worker_env, "shell", "--no-imports", "-c", SETUP)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "escalation_desk",
            "worker",
            "--beat",
            "--pool=solo",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        kinds = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            kinds = _manage(worker_env, "shell", "--no-imports", "-c", READ)
            if "sla_breach" in kinds:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert kinds.split(",") == ["created", "sla_warning", "sla_breach"], (tmp_path / "worker.log").read_text()
    assert "clocks" in (tmp_path / "worker.log").read_text()
