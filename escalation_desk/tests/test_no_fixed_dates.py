"""No test posts a fixed calendar date unless it pins the clock: such a date is in the future when
the test is written and in the past some day later, and the test then fails on a fresh clone (a
meeting posted for 26 November 2026 sorted before the first call the plans scheduled from now).
Dates typed into form data, API payloads and browser fields are built relative to
timezone.now() / timezone.localdate(), or the test travels with time-machine."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")


def _is_calendar_date(value: object) -> bool:
    """A real day written as text (an impossible one such as 2026-02-30 is a bad-input test)."""
    if not isinstance(value, str) or not (match := ISO.fullmatch(value)):
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return False
    return True


def _travels(node: ast.AST) -> bool:
    """The code calls time-machine's travel (as a call, a `with` or a decorator)."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "travel":
                return True
    return False


def _has_autouse_travel(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and _travels(node):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and any(
                    k.arg == "autouse" and getattr(k.value, "value", False) is True for k in deco.keywords
                ):
                    return True
    return False


def fixed_dates(source: str, *, pinned_module: bool = False) -> list[tuple[int, str]]:
    """(line, text) of each literal date given as form data (a dict value or a keyword argument)
    or typed into a browser field (`.fill(selector, "2026-11-27")`) outside pinned time."""
    tree = ast.parse(source)
    if pinned_module or _has_autouse_travel(tree):
        return []
    parents: dict[ast.AST, ast.AST] = {
        child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
    }

    def pinned(node: ast.AST) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                _travels(node) or any(_travels(d) for d in node.decorator_list)
            ):
                return True
        return False

    given: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            given += node.values
        elif isinstance(node, ast.Call):
            given += [k.value for k in node.keywords]
            if isinstance(node.func, ast.Attribute) and node.func.attr == "fill":
                given += node.args[1:]
    return sorted(
        (value.lineno, value.value)
        for value in given
        if isinstance(value, ast.Constant) and _is_calendar_date(value.value) and not pinned(value)
    )


def suite_files() -> list[Path]:
    return sorted(p for p in ROOT.glob("*/tests/**/*.py") if ".venv" not in p.parts)


def _pinned_by_conftest(path: Path) -> bool:
    folder = path.parent
    while folder != ROOT.parent and ROOT in (folder, *folder.parents):
        conftest = folder / "conftest.py"
        if conftest.exists() and _has_autouse_travel(ast.parse(conftest.read_text())):
            return True
        folder = folder.parent
    return False


def test_no_test_posts_a_fixed_date_without_pinning_the_clock() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}": text
        for path in suite_files()
        for line, text in fixed_dates(path.read_text(), pinned_module=_pinned_by_conftest(path))
    }

    assert found == {}, (
        "build these dates from timezone.localdate()/now() or pin time with time_machine.travel"
    )
    assert len(suite_files()) > 50  # the scan reached the suite


def test_the_scan_finds_a_posted_date_only_where_time_is_not_pinned() -> None:
    unpinned = """
def test_it_schedules(client):
    client.post("/meetings/", {"scheduled_for": "2026-11-26T10:00", "bad": "2026-02-30", "word": "soon"})
    make(when="2026-11-27")
    page.fill("input[name=day]", "2026-11-28")
"""
    pinned = """
@time_machine.travel(datetime(2026, 11, 23, 9, tzinfo=UTC))
def test_a(client):
    client.post("/meetings/", {"scheduled_for": "2026-11-26T10:00"})

def test_b(client):
    with time_machine.travel(START, tick=False):
        client.post("/meetings/", {"scheduled_for": "2026-11-26T10:00Z"})
"""
    autouse = """
@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(START):
        yield

def test_c(client):
    client.post("/meetings/", {"scheduled_for": "2026-11-26"})
"""

    assert fixed_dates(unpinned) == [(3, "2026-11-26T10:00"), (4, "2026-11-27"), (5, "2026-11-28")]
    assert fixed_dates(pinned) == [] and fixed_dates(autouse) == []
    assert fixed_dates(unpinned, pinned_module=True) == []
