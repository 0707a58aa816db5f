"""Deadline sweep throughput: N due deadlines, K sweepers at once, deadlines per second.

    .venv/bin/python -m bench.sweep --deadlines 10000 100000 --sweepers 1 4

For each (N, K): migrates the configured database (DATABASE_URL; SQLite by default),
deletes the previous run's "bench.sweep" deadlines, bulk-creates N deadlines already due,
starts K sweeper processes (each with its own connection), releases them together and
times until all have returned. The handler does nothing, so the figure is the sweep's own
cost: claim, fire, mark fired. Checks that every row fired exactly once, prints a table and
writes bench/results/sweep-<vendor>-<N>-<K>.json. A report, not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
KIND = "bench.sweep"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_desk.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-secret-key-not-for-production-" + "0" * 24
    # DEBUG off refuses the filesystem broker; the bench runs no worker, so messages stay in-process.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()


def _do_nothing(deadline: Any) -> None:
    """The benchmark's handler: the sweep's own cost is what is measured."""


def statement_kind(sql: str) -> str:
    """A statement's verb and first table: "UPDATE clocks_deadline", "SELECT tickets_ticket"."""
    text = sql.lstrip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', text, re.IGNORECASE)
    return f"{verb} {match.group(1) if match else '?'}"


class _Counter:
    """Counts this process's statements (savepoint statements apart) by kind, and its commits."""

    def __init__(self, connection: Any) -> None:
        self.queries = self.savepoints = self.commits = 0
        self.by_kind: Counter[str] = Counter()
        commit = connection.commit

        def counted_commit() -> None:
            self.commits += 1
            commit()

        connection.commit = counted_commit  # atomic() commits through the instance's method

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            self.savepoints += 1
        else:
            self.queries += 1
            self.by_kind[statement_kind(sql)] += 1
        return execute(sql, params, many, context)


def _sweeper(ready: Any, go: Any, results: Any, batch_size: int, real_handlers: bool = False) -> None:
    """One sweeper process: set up Django, say ready, wait for the start, sweep, report."""
    _setup_django()
    from django.db import connection

    from clocks.registry import register_deadline_handler
    from clocks.sweep import sweep_due_deadlines

    if not real_handlers:
        register_deadline_handler(KIND, _do_nothing)
    connection.ensure_connection()
    counter = _Counter(connection)
    ready.put(os.getpid())
    go.wait()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = sweep_due_deadlines(batch_size=batch_size)
    results.put(
        {
            "fired": result.fired,
            "failed": result.failed,
            "retried": result.retried,
            "seconds": time.perf_counter() - started,
            "queries": counter.queries,
            "savepoint_statements": counter.savepoints,
            "commits": counter.commits,
            "queries_by_kind": dict(counter.by_kind),
        }
    )
    connection.close()


def _seed(deadlines: int, clock_points: bool) -> float:
    """N due rows; with clock_points, in pairs on one clock each (a warning 15 min before its
    breach), so the sweep's in-order claim of a clock's points is part of what is measured."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from clocks.models import Clock, Deadline

    started = time.perf_counter()
    Deadline.objects.filter(kind=KIND).delete()
    content_type = ContentType.objects.get_for_model(Clock if clock_points else Deadline)
    now = timezone.now()
    rows = (
        Deadline(
            content_type=content_type,
            object_id=(i // 2 if clock_points else i) + 1,
            kind=KIND,
            due_at=now - timedelta(seconds=(i // 2) % 86400 + (900 if clock_points and i % 2 == 0 else 0)),
        )
        for i in range(deadlines)
    )
    Deadline.objects.bulk_create(rows, batch_size=5000)
    return time.perf_counter() - started


def _sweep_with(sweepers: int, batch_size: int, real_handlers: bool) -> tuple[list[dict[str, Any]], float]:
    """Start K sweeper processes, release them together; their reports and the wall time."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=_sweeper, args=(ready, go, results, batch_size, real_handlers))
        for _ in range(sweepers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    started = time.perf_counter()
    go.set()
    outcomes = [results.get(timeout=3600) for _ in processes]
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
    return outcomes, wall


def _by_kind(outcomes: list[dict[str, Any]]) -> Counter[str]:
    """The sweepers' statements by kind, added up."""
    by_kind: Counter[str] = Counter()
    for outcome in outcomes:
        by_kind.update(outcome["queries_by_kind"])
    return by_kind


def run_real(tickets: int, sweepers: int, batch_size: int) -> dict[str, Any]:
    """Seed N tickets whose time frames all passed, sweep with K processes, and measure."""
    from django.db import connection
    from django.utils import timezone

    from bench.sweep_data import seed_due_tickets
    from clocks.models import Deadline, DeadlineState
    from clocks.sweep import due_deadlines
    from escalations.models import Handoff
    from tickets.models import TimelineEvent

    Deadline.objects.filter(kind=KIND).delete()  # no-op rows of another run have no handler here
    seed_started = time.perf_counter()
    ids = seed_due_tickets(tickets)
    seed_seconds = time.perf_counter() - seed_started
    due_before = set(due_deadlines(timezone.now()).values_list("pk", flat=True))
    since = timezone.now()
    connection.close()
    outcomes, wall = _sweep_with(sweepers, batch_size, real_handlers=True)
    fired_rows = Deadline.objects.filter(fired_at__gte=since, state=DeadlineState.FIRED)
    fired = sum(o["fired"] for o in outcomes)
    points = TimelineEvent.objects.filter(
        ticket_id__in=ids, kind__in=["sla_warning", "sla_breach", "tier_warning", "tier_breach"]
    ).count()
    escalated = Handoff.objects.filter(ticket_id__in=ids, automatic=True).count()
    exactly_once = (
        fired == fired_rows.count() == fired_rows.filter(attempts=1).count()
        and not due_before - set(fired_rows.values_list("pk", flat=True))
        and points == 6 * tickets
        and escalated == tickets
    )
    total = {key: sum(o[key] for o in outcomes) for key in ("queries", "savepoint_statements", "commits")}
    by_kind = _by_kind(outcomes)
    return {
        "vendor": connection.vendor,
        "mode": "real-handlers",
        "tickets": tickets,
        "deadlines": fired,
        "sweepers": sweepers,
        "batch_size": batch_size,
        "seed_seconds": round(seed_seconds, 2),
        "wall_seconds": round(wall, 3),
        "deadlines_per_second": round(fired / wall, 1) if wall else None,
        "tickets_per_second": round(tickets / wall, 1) if wall else None,
        "queries_per_deadline": round(total["queries"] / fired, 2) if fired else None,
        "savepoint_statements_per_deadline": round(total["savepoint_statements"] / fired, 2)
        if fired
        else None,
        "commits_per_deadline": round(total["commits"] / fired, 3) if fired else None,
        "queries_per_deadline_by_kind": {
            kind: round(count / fired, 2) for kind, count in by_kind.most_common()
        }
        if fired
        else {},
        "fired": fired,
        "fired_exactly_once": exactly_once,
        "per_sweeper": outcomes,
        "python": platform.python_version(),
    }


def run_one(deadlines: int, sweepers: int, batch_size: int, clock_points: bool = False) -> dict[str, Any]:
    """Seed N due deadlines, sweep them with K processes at once, and measure."""
    from django.db import connection

    from clocks.models import Deadline, DeadlineState

    seed_seconds = _seed(deadlines, clock_points)
    connection.close()  # the children get their own connections
    outcomes, wall = _sweep_with(sweepers, batch_size, real_handlers=False)
    fired_rows = Deadline.objects.filter(kind=KIND, state=DeadlineState.FIRED, attempts=1).count()
    fired = sum(o["fired"] for o in outcomes)
    # How long one batch took a sweeper, on average: compare with the lease a claim holds for.
    batch_seconds = max((o["seconds"] * batch_size / o["fired"] for o in outcomes if o["fired"]), default=0.0)
    from django.conf import settings

    return {
        "vendor": connection.vendor,
        "deadlines": deadlines,
        "sweepers": sweepers,
        "batch_size": batch_size,
        "clock_points": clock_points,
        "seed_seconds": round(seed_seconds, 2),
        "wall_seconds": round(wall, 3),
        "deadlines_per_second": round(fired / wall) if wall else None,
        "seconds_per_batch": round(batch_seconds, 3),
        "lease_seconds": settings.CLOCKS_SWEEP_LEASE_SECONDS,
        "fired": fired,
        "fired_exactly_once": fired == deadlines == fired_rows,
        "per_sweeper": outcomes,
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, nargs="+", default=[10000])
    parser.add_argument("--sweepers", type=int, nargs="+", default=[1])
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--clock-points",
        action="store_true",
        help="Seed the rows as warning/breach pairs of clocks (the in-order claim is measured too).",
    )
    parser.add_argument(
        "--real-handlers",
        action="store_true",
        help="--deadlines counts tickets whose SLA and tier time frames all passed (7 deadlines each), "
        "swept by the real handlers; reports queries and commits per deadline too.",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="With --real-handlers: print the queries per deadline by kind (verb and table).",
    )
    args = parser.parse_args(argv)
    if args.real_handlers:
        return _main_real(args)

    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    RESULTS_DIR.mkdir(exist_ok=True)
    print(
        f"{'deadlines':>10} {'sweepers':>8} {'seconds':>9} {'deadlines/s':>12} {'s/batch':>8} {'lease s':>8}"
        "  exactly once"
    )
    ok = True
    for deadlines in args.deadlines:
        for sweepers in args.sweepers:
            row = run_one(deadlines, sweepers, args.batch_size, args.clock_points)
            ok = ok and row["fired_exactly_once"]
            print(
                f"{deadlines:>10} {sweepers:>8} {row['wall_seconds']:>9.2f} {row['deadlines_per_second']:>12}"
                f" {row['seconds_per_batch']:>8.3f} {row['lease_seconds']:>8}"
                f"  {'yes' if row['fired_exactly_once'] else 'NO'}",
                flush=True,
            )
            clocks = "-clocks" if args.clock_points else ""
            path = RESULTS_DIR / f"sweep-{row['vendor']}{clocks}-{deadlines}-{sweepers}.json"
            path.write_text(json.dumps(row, indent=2))
    return 0 if ok else 1


def _main_real(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    RESULTS_DIR.mkdir(exist_ok=True)
    print(
        f"{'tickets':>8} {'deadlines':>10} {'sweepers':>8} {'seconds':>8} {'deadlines/s':>12}"
        f" {'tickets/s':>10} {'q/deadline':>11} {'savepoint stmts/dl':>19} {'commits/dl':>11}  exactly once"
    )
    ok = True
    for tickets in args.deadlines:
        for sweepers in args.sweepers:
            row = run_real(tickets, sweepers, args.batch_size)
            ok = ok and row["fired_exactly_once"]
            print(
                f"{tickets:>8} {row['deadlines']:>10} {sweepers:>8} {row['wall_seconds']:>8.2f}"
                f" {row['deadlines_per_second']:>12} {row['tickets_per_second']:>10}"
                f" {row['queries_per_deadline']:>11} {row['savepoint_statements_per_deadline']:>19}"
                f" {row['commits_per_deadline']:>11}  {'yes' if row['fired_exactly_once'] else 'NO'}",
                flush=True,
            )
            if args.breakdown:
                for kind, per_deadline in row["queries_per_deadline_by_kind"].items():
                    print(f"{'':>10} {per_deadline:>6.2f}  {kind}")
            path = RESULTS_DIR / f"sweep-{row['vendor']}-real-{tickets}-{sweepers}.json"
            path.write_text(json.dumps(row, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
