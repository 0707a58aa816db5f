"""Latency and query-count report for the main pages and API endpoints.

    .venv/bin/python -m bench.run --tickets 10000 --repeat 30

Migrates the configured database (DATABASE_URL; SQLite by default), seeds it to at least
N tickets with `manage.py seed_demo --tickets N`, then requests each endpoint as the demo
engineer "erin" through django.test.Client: 3 warm-ups, then R measured requests, each
timed (wall clock) and its SQL queries counted. Prints a table and writes the same as JSON
to bench/results/<vendor>-<N>.json. It is a report, not a test: it never fails on slowness,
and an endpoint that does not answer 200 becomes an error row.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARM_UPS = 3


def _prepare_environment() -> None:
    """Settings for an in-process client: no HTTPS redirect or secure-only cookies, DEBUG off."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_desk.settings")
    hosts = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
    if "testserver" not in hosts.split(","):
        os.environ["ALLOWED_HOSTS"] = f"{hosts},testserver" if hosts else "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SESSION_COOKIE_SECURE"] = "false"
    os.environ["CSRF_COOKIE_SECURE"] = "false"
    # Pages render {% static %} without a collectstatic manifest.
    os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-secret-key-not-for-production-" + "0" * 24
    # DEBUG off refuses the filesystem broker; the bench runs no worker, so messages stay in-process.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")


@dataclass
class Row:
    endpoint: str
    path: str
    status: int | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    queries_min: int | None = None
    queries_max: int | None = None
    samples: int = 0
    error: str = ""
    latencies_ms: list[float] = field(default_factory=list, repr=False)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(client: Any, name: str, path: str, repeat: int, headers: dict[str, str]) -> Row:
    """Request `path` WARM_UPS + repeat times; the warm-ups are not counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    row = Row(endpoint=name, path=path)
    queries: list[int] = []
    for i in range(WARM_UPS + repeat):
        try:
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                response = client.get(path, **headers)
                elapsed = (time.perf_counter() - began) * 1000
        except Exception as exc:  # a report row, not a crash
            row.error = f"{type(exc).__name__}: {exc}"[:300]
            return row
        row.status = response.status_code
        if response.status_code != 200:
            location = response.get("Location", "")
            row.error = f"HTTP {response.status_code}" + (f" -> {location}" if location else "")
            return row
        if i >= WARM_UPS:
            row.latencies_ms.append(elapsed)
            queries.append(len(ctx.captured_queries))
    row.samples = len(row.latencies_ms)
    row.median_ms = round(statistics.median(row.latencies_ms), 2)
    row.p95_ms = round(_p95(row.latencies_ms), 2)
    row.queries_min, row.queries_max = min(queries), max(queries)
    return row


def _pick_ticket() -> int | None:
    """A ticket with several steps and comments: the demo set's richest one, or the busiest."""
    from django.db.models import Count

    from demo.stories import MARKER_SUMMARY
    from tickets.models import Ticket

    marker = Ticket.objects.filter(summary=MARKER_SUMMARY).values_list("pk", flat=True).first()
    if marker is not None:
        return marker
    busiest = (
        Ticket.objects.annotate(n=Count("steps", distinct=True) + Count("comments", distinct=True))
        .order_by("-n")
        .values_list("pk", flat=True)
        .first()
    )
    return busiest


def format_table(rows: list[Row]) -> str:
    header = f"{'endpoint':<16} {'path':<26} {'status':>6} {'median ms':>10} {'p95 ms':>9} {'queries':>9}"
    lines = [header, "-" * len(header)]
    for r in rows:
        if r.error:
            lines.append(f"{r.endpoint:<16} {r.path:<26} {r.status or '-':>6}  ERROR: {r.error}")
            continue
        q = f"{r.queries_min}" if r.queries_min == r.queries_max else f"{r.queries_min}-{r.queries_max}"
        lines.append(
            f"{r.endpoint:<16} {r.path:<26} {r.status:>6} {r.median_ms:>10.2f} {r.p95_ms:>9.2f} {q:>9}"
        )
    return "\n".join(lines)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tickets",
        type=int,
        default=int(os.environ.get("N", "10000")),
        help="Seed the database to at least this many tickets (default: $N or 10000).",
    )
    parser.add_argument("--repeat", type=int, default=30, help="Measured requests per endpoint.")
    parser.add_argument("--user", default="erin", help="Demo user the client logs in as.")
    return parser.parse_args(argv)


def _setup_django() -> None:
    _prepare_environment()
    # whitenoise warns that STATIC_ROOT is missing when collectstatic has not run; irrelevant here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()


def _seed(tickets: int) -> float:
    """Migrate and seed the demo up to `tickets`; the seconds seeding took."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    print(f"Database: {connection.vendor} ({settings.DATABASES['default']['NAME']})")
    call_command("migrate", interactive=False, verbosity=0)
    began = time.monotonic()
    call_command("seed_demo", tickets=tickets, verbosity=1)
    return round(time.monotonic() - began, 1)


def _measure_endpoints(username: str, ticket_id: int | None, repeat: int) -> list[Row]:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    json_headers = {"HTTP_ACCEPT": "application/json"}
    endpoints: list[tuple[str, str, dict[str, str]]] = [
        ("queue", "/desk/queue/", {}),
        ("ticket page", f"/desk/tickets/{ticket_id}/", {}),
        ("api list", "/api/tickets/", json_headers),
        ("api detail", f"/api/tickets/{ticket_id}/", json_headers),
    ]
    # Failing requests are reported in the table; keep the console free of their tracebacks.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    return [measure(client, name, path, repeat, headers) for name, path, headers in endpoints]


def _write_results(payload: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{payload['vendor']}-{payload['tickets_requested']}.json"
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nWritten {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    _setup_django()
    import django
    from django.db import connection

    from tickets.models import Ticket

    vendor = connection.vendor
    seed_seconds = _seed(args.tickets)
    total = Ticket.objects.count()
    ticket_id = _pick_ticket()
    rows = _measure_endpoints(args.user, ticket_id, args.repeat)

    print()
    print(
        f"{total} tickets on {vendor}; {args.repeat} requests per endpoint after {WARM_UPS} warm-ups, "
        f"as {args.user!r}; ticket #{ticket_id}"
    )
    print(format_table(rows))
    _write_results(
        {
            "vendor": vendor,
            "tickets_requested": args.tickets,
            "tickets_total": total,
            "repeat": args.repeat,
            "warm_ups": WARM_UPS,
            "user": args.user,
            "ticket_id": ticket_id,
            "seed_seconds": seed_seconds,
            "python": platform.python_version(),
            "django": django.get_version(),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "endpoints": [asdict(r) for r in rows],
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
