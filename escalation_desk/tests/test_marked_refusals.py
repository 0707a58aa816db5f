"""Refusals reach people, so they are translatable (issue 11, point 7).

Every `Refused(...)`, `InvalidInput(...)`, `PermissionDenied(...)` and `ValidationError(...)` raised by
production code says its message (and each item of its missing-list) through gettext, never as a bare
string literal. A string literal there is English that no catalogue can reach.
"""

from __future__ import annotations

import ast
from pathlib import Path

from escalation_desk.tests.test_function_length import ROOT, production_modules

CHECKED_CALLS = {"Refused", "InvalidInput", "PermissionDenied", "ValidationError", "Http404", "NotFound"}
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _bare_texts(node: ast.AST) -> list[ast.AST]:
    """The string literals in an argument that no gettext call wraps (lists, dicts and `%` looked into)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return [node]
    if isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.Call) and _called_name(node) in GETTEXT_NAMES:
        return []
    if isinstance(node, ast.BinOp):
        return (
            _bare_texts(node.left)
            if isinstance(node.op, ast.Mod)
            else [
                *_bare_texts(node.left),
                *_bare_texts(node.right),
            ]
        )
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [found for element in node.elts for found in _bare_texts(element)]
    if isinstance(node, ast.Dict):
        return [found for value in node.values for found in _bare_texts(value)]
    if isinstance(node, ast.IfExp):
        return [*_bare_texts(node.body), *_bare_texts(node.orelse)]
    return []


def unmarked_refusals(path: Path) -> list[str]:
    """`path:line Call: text` for each refusal in one file whose words are a bare literal."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _called_name(node) not in CHECKED_CALLS:
            continue
        arguments = [*node.args[:2], *(k.value for k in node.keywords if k.arg in ("message", "missing"))]
        for bare in (text for argument in arguments for text in _bare_texts(argument)):
            words = ast.unparse(bare)[:60]
            found.append(f"{path.relative_to(ROOT)}:{bare.lineno} {_called_name(node)}: {words}")
    return found


def _probe(source: str) -> list[str]:
    module = ROOT / "escalation_desk" / "_probe_marked_refusals.py"
    module.write_text(source)
    try:
        return unmarked_refusals(module)
    finally:
        module.unlink()


def test_it_finds_a_bare_title_a_bare_missing_item_and_a_bare_format() -> None:
    source = (
        "from django.utils.translation import gettext\n"
        "raise Refused('Assigning refused', [gettext('an open ticket')])\n"
        "raise Refused(gettext('Assigning refused'), ['an open ticket'])\n"
        "raise Refused(gettext('Refused'), [f'a ticket in {tier}'])\n"
        "raise PermissionDenied('Only %(who)s may' % {'who': who})\n"
        "raise ValidationError({'body': 'Say something.'})\n"
    )
    found = [line.split(" ", 1)[0].rsplit(":", 1)[1] for line in _probe(source)]
    assert found == ["2", "3", "4", "5", "6"]


def test_it_accepts_marked_words_and_values_that_are_not_words() -> None:
    source = (
        "from django.utils.translation import gettext, gettext_lazy as _\n"
        "raise Refused(gettext('Refused'), [gettext('a ticket in %(tier)s') % {'tier': tier}])\n"
        "raise Refused(_('Refused'), missing)\n"
        "raise Refused(title, [*missing, reason])\n"
        "raise PermissionDenied()\n"
        "raise ValidationError({'body': [gettext('Say something.')]})\n"
    )
    assert _probe(source) == []


def test_no_production_refusal_is_a_bare_string() -> None:
    found = [line for path in production_modules() for line in unmarked_refusals(path)]
    assert found == [], "mark these with gettext (docs/translation.md):\n" + "\n".join(found)
