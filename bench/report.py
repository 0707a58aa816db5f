"""The benchmark's report: the table of a run, and the same beside the previous run's.

`bench.run` writes each run to `bench/results/<vendor>-<N>.json` (git-ignored). Before it
does, the file already there is the previous run of the same database kind and size: this run
is printed beside it (median ms and queries, then and now, and the ratio), so a page that got
slower or gained a query shows at once. `--baseline PATH` compares with another file instead,
e.g. the figures kept in `bench/baselines/` (committed: the runs quoted in `bench/README.md`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASELINES_DIR = Path(__file__).resolve().parent / "baselines"
# Slower by more than this (and by more than a millisecond) is flagged as a regression.
REGRESSION_RATIO = 1.25


def _queries(row: dict[str, Any]) -> str:
    low, high = row.get("queries_min"), row.get("queries_max")
    if low is None:
        return "-"
    return f"{low}" if low == high else f"{low}-{high}"


def format_table(rows: list[dict[str, Any]]) -> str:
    header = f"{'endpoint':<22} {'path':<34} {'status':>6} {'median ms':>10} {'p95 ms':>9} {'queries':>9}"
    lines = [header, "-" * len(header)]
    for r in rows:
        path = r["path"] if len(r["path"]) <= 34 else r["path"][:33] + "…"
        if r.get("error"):
            lines.append(f"{r['endpoint']:<22} {path:<34} {r.get('status') or '-':>6}  ERROR: {r['error']}")
            continue
        lines.append(
            f"{r['endpoint']:<22} {path:<34} {r['status']:>6} {r['median_ms']:>10.2f} {r['p95_ms']:>9.2f}"
            f" {_queries(r):>9}"
        )
    return "\n".join(lines)


def load_baseline(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _verdict(before: dict[str, Any], now: dict[str, Any]) -> str:
    if before.get("error") or now.get("error") or before.get("median_ms") is None:
        return ""
    ratio = now["median_ms"] / before["median_ms"] if before["median_ms"] else 1.0
    notes = []
    if ratio > REGRESSION_RATIO and now["median_ms"] - before["median_ms"] > 1:
        notes.append("SLOWER")
    if (now.get("queries_max") or 0) > (before.get("queries_max") or 0):
        notes.append("MORE QUERIES")
    return f"{ratio:>5.2f}x " + " ".join(notes)


def format_comparison(baseline: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """This run beside the baseline's, endpoint by endpoint (new endpoints: no figure before)."""
    before = {r["endpoint"]: r for r in baseline.get("endpoints", [])}
    header = f"{'endpoint':<22} {'ms before':>10} {'ms now':>9} {'q before':>9} {'q now':>7}  ratio"
    lines = [
        f"Beside {baseline.get('timestamp', '?')} ({baseline.get('tickets_total', '?')} tickets):",
        header,
        "-" * (len(header) + 16),
    ]
    for r in rows:
        old = before.get(r["endpoint"])
        ms_now = "-" if r.get("median_ms") is None else f"{r['median_ms']:.2f}"
        if old is None:
            lines.append(f"{r['endpoint']:<22} {'-':>10} {ms_now:>9} {'-':>9} {_queries(r):>7}  (new)")
            continue
        ms_before = "-" if old.get("median_ms") is None else f"{old['median_ms']:.2f}"
        lines.append(
            f"{r['endpoint']:<22} {ms_before:>10} {ms_now:>9} {_queries(old):>9} {_queries(r):>7}  "
            f"{_verdict(old, r)}"
        )
    return "\n".join(lines)


def _create_queries(row: dict[str, Any]) -> str:
    return "-" if "queries_min" not in row else _queries(row)


def format_creates(creates: dict[str, dict[str, Any]], baseline: dict[str, Any] | None) -> str:
    """Tickets created per second and queries per create (`bench.create`), beside the baseline's
    when it has them."""
    before = (baseline or {}).get("creates") or {}
    header = f"{'create through':<16} {'tickets/s':>10} {'queries':>8} {'before /s':>10} {'before q':>9}"
    lines = [header, "-" * len(header)]
    for channel, row in creates.items():
        if row.get("error"):
            lines.append(f"{channel:<16}  ERROR: {row['error']}")
            continue
        old = before.get(channel, {}) if isinstance(before, dict) else {}
        lines.append(
            f"{channel:<16} {row['tickets_per_second']:>10.1f} {_create_queries(row):>8}"
            f" {old.get('tickets_per_second', '-'):>10} {_create_queries(old):>9}"
        )
    return "\n".join(lines)


def format_memory(memory: dict[str, Any]) -> str:
    return (
        f"Web process memory over {memory['requests']} queue requests: RSS {memory['rss_before_mb']:.1f} MB"
        f" before, peak {memory['peak_mb']:.1f} MB ({memory['peak_mb'] - memory['rss_before_mb']:+.1f} MB)"
    )
