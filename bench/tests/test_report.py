"""The benchmark's comparison with the previous run flags what got slower or gained queries."""

from __future__ import annotations

from bench.report import format_comparison


def _row(endpoint: str, median: float, queries: int) -> dict[str, object]:
    return {"endpoint": endpoint, "median_ms": median, "queries_min": queries, "queries_max": queries}


def test_the_comparison_flags_a_slower_page_and_a_new_query() -> None:
    before = {
        "timestamp": "then",
        "tickets_total": 100,
        "endpoints": [_row("queue", 10, 7), _row("page", 50, 12)],
    }
    now = [_row("queue", 30, 7), _row("page", 51, 13), _row("search", 5, 3)]

    lines = {line.split()[0]: line for line in format_comparison(before, now).splitlines()[3:]}

    assert "SLOWER" in lines["queue"] and "MORE QUERIES" not in lines["queue"]
    assert "MORE QUERIES" in lines["page"] and "SLOWER" not in lines["page"]
    assert lines["search"].endswith("(new)")
