"""Production code reads in short named steps (issue 11, point 8): no function over 60 lines and
no module over 600, unless the function says why it is long.

A long function is allowed only with a `# long: <reason>` comment on the line just before its
`def` (above any decorators) or as the first line of its docstring. Tests and migrations are
not counted here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 600
MARKER = "# long:"
SKIPPED_FOLDERS = {
    "tests",
    "migrations",
    "node_modules",
    "static",
    "staticfiles",
    "media",
    "var",
    "test-artifacts",
    "locale",
    "templates",
    "docs",
}


def production_modules() -> list[Path]:
    """Every .py file of the project outside tests, migrations and hidden folders (.venv, .git)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts[:-1]):
            continue
        if parts[-1].startswith("test_") or parts[-1] in ("conftest.py", "tests.py"):
            continue
        found.append(path)
    return found


def _explained(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> bool:
    """The line before the `def` (or its first decorator), or the docstring, says why it is long."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    before = lines[first - 2].strip() if first >= 2 else ""
    docstring = ast.get_docstring(node) or ""
    return before.startswith(MARKER) or docstring.lstrip().startswith((MARKER, MARKER.lstrip("# ")))


def long_functions(path: Path) -> list[str]:
    """`path:line name (n lines)` for each unexplained function over the limit in one file."""
    text = path.read_text()
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = node.end_lineno - first + 1
        if length > MAX_FUNCTION_LINES and not _explained(node, lines):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return found


def long_modules(paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} ({count} lines)"
        for path in paths
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]


def _probe(tmp_path: Path, source: str) -> list[str]:
    module = ROOT / "escalation_desk" / "_probe_function_length.py"
    module.write_text(source)
    try:
        return long_functions(module)
    finally:
        module.unlink()


def _body(count: int) -> str:
    return "".join(f"    x{n} = {n}\n" for n in range(count))


def test_it_finds_a_long_function_when_there_is_one(tmp_path: Path) -> None:
    source = "def short():\n" + _body(59) + "\n\n@decorated\ndef long():\n" + _body(60)

    assert _probe(tmp_path, source) == ["escalation_desk/_probe_function_length.py:64 long (62 lines)"]


def test_a_long_function_that_says_why_is_allowed(tmp_path: Path) -> None:
    commented = "# long: one table, read top to bottom\ndef commented():\n" + _body(70)
    documented = '\n\ndef documented():\n    """long: one table, read top to bottom."""\n' + _body(70)
    unrelated = "\n\n# a comment that says nothing about length\ndef unexplained():\n" + _body(70)

    assert _probe(tmp_path, commented + documented + unrelated) == [
        "escalation_desk/_probe_function_length.py:150 unexplained (71 lines)"
    ]


def test_the_scan_covers_the_apps_and_leaves_out_tests_and_migrations() -> None:
    paths = {str(path.relative_to(ROOT)) for path in production_modules()}

    assert "desk/tier_panel.py" in paths
    assert "escalations/selectors.py" in paths or "escalations/selectors/__init__.py" in paths
    assert "bench/bulk.py" in paths and "manage.py" in paths
    assert not any("/tests/" in p or "/migrations/" in p or p.startswith(".") for p in paths)


def test_no_production_function_is_over_60_lines() -> None:
    offenders = [line for path in production_modules() for line in long_functions(path)]

    assert offenders == [], (
        f"break these into named steps, or say why on the line before the def ({MARKER} <reason>):\n"
        + "\n".join(offenders)
    )


def test_no_production_module_is_over_600_lines() -> None:
    offenders = long_modules(production_modules())

    assert offenders == [], "split these modules by what they do:\n" + "\n".join(offenders)
