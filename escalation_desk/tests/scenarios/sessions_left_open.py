"""Runs of their own for test_database_sessions.py (never collected by the suite: no test_ prefix)."""

from __future__ import annotations

import threading

from django.db import connections

from accounts.models import User

KEPT: list[object] = []  # so the forgetful thread's connection is not closed by garbage collection


def test_a_first_database_test(db: None) -> None:
    """Opens the main thread's usual connection, before any browser starts."""
    assert User.objects.count() == 0


def test_a_database_test_while_the_browser_runs(browser: object, db: None) -> None:
    """Opens a connection while Playwright's loop runs: Django keeps it in a context-local store."""
    assert User.objects.count() == 0


def test_a_thread_that_never_closes_its_connection(db: None) -> None:
    """A connection nobody closes: the guard must name it and fail the run."""

    def query() -> None:
        KEPT.append(connections["default"])
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")

    thread = threading.Thread(target=query, name="forgetful-thread")
    thread.start()
    thread.join()
