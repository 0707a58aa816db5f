"""Tickets created per second, and queries per create, through the console and the API.

    from bench.create import measure_creates
    measure_creates(50)  # after bench.run has set up Django and seeded the demo

Logs in as the demo engineer "erin" (django.test.Client, in-process) and opens N tickets for
the demo customer "carla" each way: the console's form (POST /desk/tickets/new/) and the API
(POST /api/tickets/ as JSON), with a priority, a category and a service (so the ticket reaches
the service's team and the customer is told). The first create of each way is a warm-up. The
console's "created" message is dropped after each create, as the ticket page a browser is sent
to shows and clears it (before, the unread messages piled up in the cookie, each create decoding
and encoding all the earlier ones).
Returns {"console": {...}, "api": {...}} with tickets_per_second and queries_min/max.
"""

from __future__ import annotations

import time
from typing import Any


def _payloads() -> tuple[Any, dict[str, Any], dict[str, Any]]:
    from accounts.models import User
    from tickets.models import Category, Priority, Service

    engineer = User.objects.get(username="erin")
    customer = User.objects.get(username="carla")
    service = Service.objects.filter(is_active=True, default_team__isnull=False).order_by("pk").first()
    category = Category.objects.order_by("pk").first()
    common = {
        "summary": "Printer jam on the third floor",
        "description": "Paper jams on every print job.",
        "priority": Priority.P3,
        "service": service.pk if service else None,
        "category": category.pk if category else None,
    }
    form = {
        **{k: v for k, v in common.items() if v is not None},
        "requester": customer.pk,
        "channel": "phone",
    }
    api = {**common, "organisation": customer.organisation_id, "requester": customer.pk}
    return engineer, form, api


def _run(post: Any, n: int, expected: int) -> dict[str, Any]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    queries: list[int] = []
    elapsed = 0.0
    for i in range(n + 1):
        # The query log keeps the last 9,000: past them, every create would count 0 queries.
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            response = post()
            took = time.perf_counter() - began
        if response.status_code != expected:
            return {"error": f"HTTP {response.status_code}", "status": response.status_code}
        if i:  # the first is a warm-up
            elapsed += took
            queries.append(len(ctx.captured_queries))
    return {
        "tickets": n,
        "tickets_per_second": round(n / elapsed, 1),
        "ms_per_create": round(1000 * elapsed / n, 2),
        "queries_min": min(queries),
        "queries_max": max(queries),
    }


def measure_creates(n: int = 50) -> dict[str, dict[str, Any]]:
    """Create n tickets through the console and n through the API; rate and queries of each."""
    from django.test import Client

    engineer, form, api = _payloads()
    client = Client()
    client.force_login(engineer)

    def console_create() -> Any:
        response = client.post("/desk/tickets/new/", form)
        # A browser follows the redirect to the ticket page, which shows the "created" message and
        # clears it; unread, every create would carry all the earlier ones in its cookie (issue 12).
        client.cookies.pop("messages", None)
        return response

    return {
        "console": _run(console_create, n, 302),
        "api": _run(
            lambda: client.post(
                "/api/tickets/", api, content_type="application/json", HTTP_ACCEPT="application/json"
            ),
            n,
            201,
        ),
    }


if __name__ == "__main__":
    import json
    import logging

    from bench.run import setup_django

    setup_django()
    logging.disable(logging.INFO)
    print(json.dumps(measure_creates(100), indent=2))
