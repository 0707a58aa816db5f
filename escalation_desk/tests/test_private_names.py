"""No production module imports another module's private name (issue 11: one public ticket lock)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "clocks",
    "notifications",
    "tickets",
    "approvals",
    "escalations",
    "mail",
    "desk",
    "portal",
    "demo",
    "escalation_desk",
    "bench",
    "tests_support",
)


def private_imports(path: Path) -> list[str]:
    """`from our_module import _name` lines in one file (gettext's `_` is not a private name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.ImportFrom):
            continue
        ours = node.level > 0 or (node.module or "").split(".")[0] in APPS
        for alias in node.names:
            if ours and alias.name.startswith("_") and alias.name != "_" and not alias.name.startswith("__"):
                found.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name} from {node.module}"
                )
    return found


def production_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.relative_to(ROOT).parts and "migrations" not in path.parts
    ]


def test_it_finds_a_private_import_when_there_is_one(tmp_path: Path) -> None:
    module = ROOT / "tickets" / "_probe_private_import.py"
    module.write_text("from .services import _private_helper\n")
    try:
        assert private_imports(module) == [
            "tickets/_probe_private_import.py:1 imports _private_helper from services"
        ]
    finally:
        module.unlink()


def test_no_production_module_imports_a_private_name_of_another() -> None:
    offenders = [line for path in production_modules() for line in private_imports(path)]

    assert offenders == [], "make the name public (or move the helper where both read it)"


DOMAIN_APPS = ("accounts", "clocks", "notifications", "tickets", "approvals", "escalations", "mail")


def screen_names_in(path: Path) -> list[str]:
    """Lines of a domain module that name a console or portal URL (links.py is the one place)."""
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if any(f"{quote}{site}:" in line for quote in "\"'" for site in ("desk", "portal"))
    ]


def test_the_domain_names_no_screen() -> None:
    modules = [path for path in production_modules() if path.relative_to(ROOT).parts[0] in DOMAIN_APPS]

    assert [line for path in modules for line in screen_names_in(path)] == [], (
        "ask escalation_desk/links.py for the path instead of reversing a console or portal URL"
    )


def test_the_unknown_choice_wording_is_written_once() -> None:
    writers = [
        str(path.relative_to(ROOT))
        for path in production_modules()
        if "is not one of" in path.read_text() and path.name != "domain.py"
    ]

    assert writers == [], "use escalation_desk.domain.not_one_of"
