"""The API docs (ReDoc, Swagger UI) load nothing from outside this site (SPEC §9, issue 10 point 10)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import User
from tests_support.browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (path, an operation's title element, its text): shown once the page has rendered the schema
DOCS = {
    "redoc": ("/api/redoc/", "h2", "Triage: new → open"),
    "swagger": ("/api/docs/", ".opblock-summary-path", "/api/tickets/{id}/triage/"),
}


def signed_in(page: object, live_server: object, user: User) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.parametrize("docs", list(DOCS))
def test_the_api_docs_load_nothing_from_outside(
    page: object, live_server: object, admin_user: User, docs: str
) -> None:
    from playwright.sync_api import expect

    path, title, rendered = DOCS[docs]
    host = urlsplit(live_server.url).netloc
    requested: list[str] = []
    sent_outside: list[str] = []  # requests the browser really sent elsewhere (answered here, empty)
    page.on("request", lambda request: requested.append(request.url))

    def network(route: object) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != host:
            sent_outside.append(url)
            route.fulfill(status=204, body="")
        else:
            route.continue_()

    page.route("**/*", network)
    signed_in(page, live_server, admin_user)
    folder = ARTIFACTS / "api_docs"
    folder.mkdir(parents=True, exist_ok=True)

    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(path)
        expect(page.locator(title).filter(has_text=rendered).first).to_be_visible(timeout=60_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"{docs}-{width}.png"))

    # ReDoc's sidebar asks for Redocly's logo; the page's Content-Security-Policy stops it unsent.
    assert requested and not sent_outside, f"requests that left {host}: {sent_outside}"
    assert not [url for url in requested if urlsplit(url).scheme not in ("http", "https", "data", "blob")]
