"""Latency and query-count report for the main pages and API endpoints.

    .venv/bin/python -m bench.run --tickets 10000 --repeat 30

Migrates the configured database (DATABASE_URL; SQLite by default), seeds it to at least
N tickets with `manage.py seed_demo --tickets N`, then requests each endpoint as the demo
engineer "erin" through django.test.Client: 3 warm-ups, then R measured requests, each
timed (wall clock) and its SQL queries counted; then the process's peak RSS over 30 queue
requests, and tickets created per second (and queries per create) through the console and the
API (`bench.create`). Prints a table, the same beside the previous run's (`bench.report`), and
writes it as JSON to bench/results/<vendor>-<N>.json. It is a report, not a test: it never
fails on slowness, and an endpoint that does not answer 200 becomes an error row.
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

from bench import report

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
    parser.add_argument(
        "--creates", type=int, default=200, help="Tickets created through the console and through the API."
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="The run to compare with (default: the previous run's bench/results file of this size).",
    )
    return parser.parse_args(argv)


def setup_django() -> None:
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
    seconds = round(time.monotonic() - began, 1)
    if connection.vendor == "postgresql":
        # What autovacuum gives a database in service: fresh statistics, and a visibility map
        # so the covering indexes answer index-only (a freshly bulk-loaded table has none).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return seconds


def _paths(ticket_id: int | None) -> list[tuple[str, str, bool]]:
    """(name, path, is API) of every measured request; the ids come from the seeded data."""
    from escalations.models import Tier
    from tickets.models import Ticket

    total = Ticket.objects.count()
    middle = Ticket.objects.order_by("pk").values_list("pk", flat=True)[total // 2 : total // 2 + 1]
    reference = Ticket(pk=middle[0]).reference if middle else "ED-000001"
    tier2 = Tier.objects.filter(level=2).order_by("path__name").values_list("pk", flat=True).first()
    return [
        ("my work", "/desk/", False),
        ("my work search", "/desk/?q=printer", False),
        ("queue", "/desk/queue/", False),
        ("queue by reference", f"/desk/queue/?q={reference}", False),
        ("queue text search", "/desk/queue/?q=printer", False),
        ("queue tier 2", f"/desk/queue/?tier={tier2}", False),
        ("queue sla breached", "/desk/queue/?sla=breached", False),
        ("queue due soonest", "/desk/queue/?sort=due", False),
        ("ticket page", f"/desk/tickets/{ticket_id}/", False),
        ("api list", "/api/tickets/", True),
        ("api search", "/api/tickets/?q=printer", True),
        ("api by reference", f"/api/tickets/?q={reference}", True),
        ("api detail", f"/api/tickets/{ticket_id}/", True),
    ]


def _client(username: str) -> Any:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _measure_endpoints(username: str, ticket_id: int | None, repeat: int) -> list[Row]:
    client = _client(username)
    json_headers = {"HTTP_ACCEPT": "application/json"}
    # Failing requests are reported in the table; keep the console free of their tracebacks,
    # and of the access log's line per request.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    logging.getLogger("escalation_desk.request").setLevel(logging.WARNING)
    return [
        measure(client, name, path, repeat, json_headers if api else {})
        for name, path, api in _paths(ticket_id)
    ]


def _rss_mb(field: str) -> float | None:
    """A memory figure of this process from /proc (Linux): VmRSS now, VmHWM its peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure_memory(username: str, requests: int = 30) -> dict[str, Any] | None:
    """Peak RSS of this (web) process over `requests` queue requests: the peak is reset first
    (/proc/self/clear_refs), so seeding does not count. None where /proc is not there."""
    client = _client(username)
    client.get("/desk/queue/")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    before = _rss_mb("VmRSS")
    for page in range(requests):
        client.get("/desk/queue/", {"page": str(page % 3 + 1)})
    peak = _rss_mb("VmHWM")
    if before is None or peak is None:
        return None
    return {"requests": requests, "rss_before_mb": round(before, 1), "peak_mb": round(peak, 1)}


def _results_path(vendor: str, tickets: int) -> Path:
    return RESULTS_DIR / f"{vendor}-{tickets}.json"


def _write_results(payload: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = _results_path(payload["vendor"], payload["tickets_requested"])
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nWritten {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


def _measure_creates(count: int) -> dict[str, dict[str, Any]]:
    """Tickets/s and queries per create through the console and the API (`bench.create`)."""
    if count <= 0:
        return {}
    from bench.create import measure_creates

    return measure_creates(count)


def _print_report(args: argparse.Namespace, payload: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    endpoints, creates, memory = payload["endpoints"], payload["creates"], payload["memory"]
    print()
    print(
        f"{payload['tickets_total']} tickets on {payload['vendor']}; {args.repeat} requests per endpoint "
        f"after {WARM_UPS} warm-ups, as {args.user!r}; ticket #{payload['ticket_id']}"
    )
    print(report.format_table(endpoints))
    if creates:
        print()
        print(report.format_creates(creates, baseline))
    if memory:
        print()
        print(report.format_memory(memory))
    if baseline is not None:
        print()
        print(report.format_comparison(baseline, endpoints))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    setup_django()
    import django
    from django.db import connection

    from tickets.models import Ticket

    vendor = connection.vendor
    seed_seconds = _seed(args.tickets)
    baseline = report.load_baseline(args.baseline or _results_path(vendor, args.tickets))
    ticket_id = _pick_ticket()
    rows = _measure_endpoints(args.user, ticket_id, args.repeat)
    memory = measure_memory(args.user)
    creates = _measure_creates(args.creates)
    payload = {
        "vendor": vendor,
        "tickets_requested": args.tickets,
        "tickets_total": Ticket.objects.count(),
        "repeat": args.repeat,
        "warm_ups": WARM_UPS,
        "user": args.user,
        "ticket_id": ticket_id,
        "seed_seconds": seed_seconds,
        "python": platform.python_version(),
        "django": django.get_version(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "endpoints": [asdict(r) for r in rows],
        "creates": creates,
        "memory": memory,
    }
    _print_report(args, payload, baseline)
    _write_results(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
