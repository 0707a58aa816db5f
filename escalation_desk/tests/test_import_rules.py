"""Who may import whom (docs/architecture.md, "Apps and who imports whom"), checked on every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The project package (settings, domain errors, links, shared form pieces) may be read by every app.
SHARED = {"escalation_desk"}
MAY_IMPORT: dict[str, set[str]] = {
    "accounts": set(),
    "clocks": set(),
    "notifications": {"accounts"},
    "tickets": {"accounts", "clocks", "notifications"},
    "approvals": {"accounts", "clocks", "notifications"},
    "escalations": {"tickets", "approvals", "accounts", "clocks", "notifications"},
    # Customer escalation cases build on the ladder; the ladder knows nothing of them.
    "cases": {"escalations", "tickets", "accounts", "clocks", "notifications"},
    "mail": {"tickets", "cases", "notifications", "accounts", "clocks"},
    # The portal composes the domain with its own look; what it shares with the console lives in
    # escalation_desk (forms, widgets, formatting, password reset), never in desk.
    "portal": {"tickets", "escalations", "cases", "approvals", "notifications", "accounts", "clocks"},
    "desk": {
        "tickets",
        "escalations",
        "cases",
        "approvals",
        "notifications",
        "accounts",
        "clocks",
        "mail",
        "portal",
    },
}
# The demo stories and `manage.py seed_demo` may import every app; no app imports demo (it is in no
# app's set). bench, which is no app, reads the demo's cast and texts for its bulk loader.
MAY_IMPORT["demo"] = set(MAY_IMPORT)


def imported_apps(path: Path) -> set[str]:
    """Our apps a module imports by absolute name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & (set(MAY_IMPORT) | SHARED)


def forbidden_imports(app: str) -> list[str]:
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue  # tests may build whatever world they need
        for other in imported_apps(path) - MAY_IMPORT[app] - SHARED - {app}:
            found.append(f"{path.relative_to(ROOT)} imports {other}")
    return found


def test_every_app_with_code_has_a_rule() -> None:
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}

    assert apps <= set(MAY_IMPORT), "add the new app to MAY_IMPORT and to docs/architecture.md"


def test_it_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = ROOT / "tickets" / "_probe_forbidden_import.py"
    module.write_text("from escalations.models import Tier\n")
    try:
        assert "tickets/_probe_forbidden_import.py imports escalations" in forbidden_imports("tickets")
    finally:
        module.unlink()


def test_no_app_imports_what_the_architecture_forbids() -> None:
    assert [line for app in MAY_IMPORT for line in forbidden_imports(app)] == []
