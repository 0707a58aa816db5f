"""What the test run has (PostgreSQL, Redis, Chromium, an IMAP server) and what it must have under CI."""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL", "")


def uses_postgres() -> bool:
    return database_url().startswith(("postgres://", "postgresql://", "pgsql://"))


def uses_redis() -> bool:
    return broker_url().startswith(("redis://", "rediss://"))


def imap_url() -> str:
    """The test mailbox (.ci/dovecot prints it): imap://user:password@127.0.0.1:10143/INBOX."""
    return os.environ.get("TEST_IMAP_URL", "")


def has_imap() -> bool:
    return bool(imap_url()) and reachable(imap_url(), 143)


def has_chromium() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), 3):
            return True
    except OSError:
        return False


def missing_components() -> list[str]:
    """Plain sentences: what this run lacks and so skips."""
    missing = []
    if not uses_postgres():
        missing.append("PostgreSQL (DATABASE_URL not set to postgres://): PostgreSQL-only tests skip")
    elif not reachable(database_url(), 5432):
        missing.append(f"PostgreSQL at {database_url()} is unreachable")
    if not uses_redis():
        missing.append("Redis (CELERY_BROKER_URL not set to redis://): the broker test uses filesystem://")
    elif not reachable(broker_url(), 6379):
        missing.append(f"Redis at {broker_url()} is unreachable")
    if not has_chromium():
        missing.append(f"Chromium ({CHROMIUM} not found): browser journeys skip")
    if not imap_url():
        missing.append("IMAP (TEST_IMAP_URL not set; start one with `.ci/dovecot`): IMAP round trips skip")
    elif not has_imap():
        missing.append(f"IMAP at {imap_url().split('@')[-1]} is unreachable: IMAP round trips skip")
    return missing
