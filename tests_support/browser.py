"""Playwright + Debian's Chromium for every browser journey (never `playwright install`).

One Chromium for the whole run (a session fixture registered by the root conftest): the
sync API cannot start a second Playwright while the first one's event loop is running.

While that loop runs, it is this thread's running loop, and Django keeps this thread's database
connections in a separate, context-local store (asgiref's thread-critical `Local` switches to one
whenever a loop is running). Every connection opened meanwhile, by any later test in this thread,
lives there and becomes invisible to `connections.close_all()` once the loop stops, so the
fixture closes them before it stops Playwright (issue 10, point 20).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests_support import environment

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not environment.has_chromium():
        pytest.skip(f"Chromium not installed at {environment.CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test body are still synchronous and safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright: object) -> Iterator[object]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=environment.CHROMIUM,
            args=[
                "--disable-gpu",
                "--disable-quic",
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            _close_connections_opened_under_the_loop()
            browser.close()


def _close_connections_opened_under_the_loop() -> None:
    """Close this thread's connections held in the store Django uses while Playwright's loop runs."""
    from django.db import connections

    connections.close_all()


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class Shots:
    """Numbered screenshots of one journey under test-artifacts/<journey>/."""

    def __init__(self, page: object, journey: str) -> None:
        self.page = page
        self.folder = ARTIFACTS / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


@pytest.fixture
def shots(page: object, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name.removeprefix("test_"))
