"""Ready for translation (issue 11, point 7): the user-facing text is marked, the catalogue is current.

- every template whose visible text is not all inside {% translate %} / {% blocktranslate %} fails
  the scan, naming the file and the text;
- `makemessages` runs without a warning, finds strings of templates and of Python, and finds
  exactly the strings of the committed catalogue locale/en/LC_MESSAGES/django.po (run `make messages`);
- under a made-up German catalogue a page, an e-mail and a Python string come out in German: the
  marking is wired (LocaleMiddleware, LOCALE_PATHS, lazy strings), not just decoration.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
# The same as MESSAGES_IGNORE in the Makefile (`make messages`).
IGNORE = [
    ".venv",
    "tests",
    "tests_support",
    "bench",
    "conftest.py",
    "staticfiles",
    "media",
    "var",
    "test-artifacts",
    "docs",
]
SKIPPED_BLOCKS = {
    "comment": "endcomment",
    "verbatim": "endverbatim",
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
}


def untranslated_text(source: str, *, html: bool) -> list[str]:
    """The visible words of a template that no translate tag covers (tags, attributes and code aside)."""
    kept, until = [], None
    for token in Lexer(source).tokenize():
        if until:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == until:
                until = None
            continue
        if token.token_type == TokenType.TEXT:
            kept.append(token.contents)
            continue
        kept.append("\0")  # a variable or a tag: not text, but it may sit inside an HTML tag
        if token.token_type == TokenType.BLOCK:
            bits = token.contents.split()
            if bits[0] in SKIPPED_BLOCKS:
                until = SKIPPED_BLOCKS[bits[0]]
            elif bits[0] == "block" and bits[1] == "bodyclass":  # CSS class names
                until = "endblock"
    text = "".join(kept)
    if html:
        text = re.sub(r"(?is)<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>", " ", text)
        text = re.sub(r"<[!/]?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r"&#?\w+;", " ", text)
    return [piece.strip() for piece in text.split("\0") if re.search(r"[A-Za-z]", piece)]


def template_files() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*") if p.suffix in (".html", ".txt"))


def test_the_scan_finds_raw_text_and_accepts_marked_text() -> None:
    raw = '{% load i18n %}<p title="x">Hello {{ name }}</p>{% translate "Fine" %}'
    assert untranslated_text(raw, html=True) == ["Hello"]
    marked = (
        '{% load i18n %}<p class="a{% if x %} b{% endif %}">{% blocktranslate %}Hello {{ name }}'
        '{% endblocktranslate %}</p><script>var a = "x";</script>{# a comment #}'
    )
    assert untranslated_text(marked, html=True) == []
    assert untranslated_text("{% autoescape off %}Open it: {{ url }}{% endautoescape %}", html=False) == [
        "Open it:"
    ]


def test_every_template_marks_its_visible_text_for_translation() -> None:
    problems = []
    for path in template_files():
        source = path.read_text(encoding="utf-8")
        words = untranslated_text(source, html=path.suffix == ".html")
        if words:
            problems.append(f"{path.relative_to(ROOT)}: {words[:3]}")
        elif ("{% translate" in source or "{% blocktranslate" in source) and not re.search(
            r"\{%\s*load\b[^%]*\bi18n\b", source
        ):
            problems.append(f"{path.relative_to(ROOT)}: translates without {{% load i18n %}}")
    assert not problems, "Text not marked for translation:\n" + "\n".join(problems)


def gettext_tools_or_skip() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq", "msgfmt") if shutil.which(tool) is None]
    if missing:
        message = f"GNU gettext is not installed ({', '.join(missing)} missing): apt-get install gettext"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def msgids(po: str) -> set[str]:
    """The entries of a .po file as (context, msgid, plural) strings, the header left out."""
    entries = set()
    for block in po.split("\n\n"):
        fields = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            entries.add(
                "\x04".join((fields.get("msgctxt", ""), fields["msgid"], fields.get("msgid_plural", "")))
            )
    return entries


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """makemessages over the project, into a temporary locale folder: (the .po, what it printed on stderr)."""
    gettext_tools_or_skip()
    # On a copy of the sources: makemessages writes into a locale/ folder it finds in the tree.
    tree = tmp_path_factory.mktemp("catalogue")
    shutil.copytree(
        ROOT,
        tree / "src",
        ignore=shutil.ignore_patterns(
            *IGNORE, "locale", ".git", "__pycache__", "*.pyc", "*.sqlite3*", ".ruff_cache", ".hypothesis"
        ),
    )
    locale = tree / "locale"
    locale.mkdir()
    stdout, stderr = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(tree / "src")
    try:
        with override_settings(LOCALE_PATHS=[locale]):
            call_command(
                "makemessages",
                locale=["en"],
                ignore_patterns=IGNORE,
                no_obsolete=True,
                stdout=stdout,
                stderr=stderr,
                verbosity=1,
            )
    finally:
        os.chdir(cwd)
    return (locale / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"), stderr.getvalue()


def test_makemessages_runs_clean_and_finds_template_and_python_strings(fresh_catalogue) -> None:
    po, stderr = fresh_catalogue
    assert stderr == ""
    found = msgids(po)
    for expected in [
        "\x04Not found\x04",  # templates/404.html
        "\x04Hello %(name)s,\x04",  # the e-mails
        "\x04%(n)s open escalation.\x04%(n)s open escalations.",  # a plural (desk/escalation_board.html)
        "\x04Your message has been sent.\x04",  # portal/views.py
        "\x04How does this affect your work?\x04",  # a form label (portal/forms.py)
        "\x04You cannot decide your own request.\x04",  # a refusal (approvals)
        "\x04whether it is a workaround or a permanent fix\x04",  # a missing-list item (tickets/guards.py)
        "\x04not a person's request: %(why)s\x04",  # why inbound mail is dropped (mail/services.py)
        "\x04Accounts, organisations and teams\x04",  # an app's verbose name
    ]:
        assert expected in found, expected.replace("\x04", " | ")


def test_the_committed_catalogue_is_current(fresh_catalogue) -> None:
    po, _stderr = fresh_catalogue
    committed = (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    added, gone = msgids(po) - msgids(committed), msgids(committed) - msgids(po)
    assert not added and not gone, (
        f"locale/en/LC_MESSAGES/django.po is out of date: run `make messages`. New: {sorted(added)[:5]} "
        f"Gone: {sorted(gone)[:5]}"
    )


GERMAN = {
    "Not found": "Nicht gefunden",
    "There is nothing here, or you may not see it.": "Hier ist nichts, oder Sie dürfen es nicht sehen.",
    "Hello %(name)s,": "Hallo %(name)s,",
    "Received": "Eingegangen",
}


@pytest.fixture
def german(tmp_path: Path):
    """A made-up German catalogue of a few strings, German offered, and German active while it runs."""
    gettext_tools_or_skip()
    folder = tmp_path / "locale" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entries = "".join(f'\nmsgid "{source}"\nmsgstr "{target}"\n' for source, target in GERMAN.items())
    (folder / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n' + entries,
        encoding="utf-8",
    )
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(folder / "django.po")], check=True)
    with override_settings(
        LOCALE_PATHS=[tmp_path / "locale"], LANGUAGES=[("en-gb", "English"), ("de", "German")]
    ):
        yield
    translation.activate("en-gb")


def test_a_page_follows_the_browser_language(german, client, db) -> None:
    english = client.get("/no-such-page/")
    german_page = client.get("/no-such-page/", headers={"accept-language": "de"})
    assert english.status_code == german_page.status_code == 404
    assert "There is nothing here, or you may not see it." in english.content.decode()
    body = german_page.content.decode()
    assert "Hier ist nichts, oder Sie dürfen es nicht sehen." in body and "<h1>Nicht gefunden</h1>" in body
    assert german_page["Content-Language"] == "de"


def test_mail_and_python_strings_follow_the_active_language(german) -> None:
    from portal import wording
    from tickets.models import Status

    class Recipient:
        username = "ada"

        def get_full_name(self) -> str:
            return "Ada Lovelace"

    context = {"recipient": Recipient(), "subject": "ED-000001", "message": ""}
    assert render_to_string("notifications/email/generic.txt", context).startswith("Hello Ada Lovelace,")
    with translation.override("de"):
        assert render_to_string("notifications/email/generic.txt", context).startswith("Hallo Ada Lovelace,")
        assert wording.status_words(Status.NEW) == "Eingegangen"
    assert wording.status_words(Status.NEW) == "Received"
