"""Finding tickets by what someone types: a reference, words, or part of an error code (issue 12, point 2).

- **A reference** (`ED-000123`, `ed-123`) is one primary-key lookup and nothing else. A bare
  number (`123`) is that ticket first, and the tickets whose text holds the number after it
  (an error code or a build number are numbers too).
- **Words** use PostgreSQL's full-text search: `Ticket.search_vector`, kept by a database
  trigger (`search_vector_trigger()`) from the summary (weight A), the error messages (B), the
  symptoms (C) and the description (D), behind a GIN index. Every word must match; the last
  one matches as a prefix, so a search narrows while it is typed. Results rank by `ts_rank`.
- **Part of an error code or a word** (`0x8004`, `ESMTP 5.7`) matches the error messages and the
  summary as a substring, behind trigram GIN indexes (`pg_trgm`) on both.
- **The organisation's name** matches too: its ids are looked up first (a small table), so the
  ticket query stays one indexed OR (PostgreSQL combines the arms with a BitmapOr).

On SQLite (`make run`) the same question is answered with substring matches (every word somewhere
in the text) and a simpler rank: the same tickets for ordinary words, without stemming.
"""

from __future__ import annotations

import operator
import re
from functools import reduce

import pgtrigger
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When

from accounts.models import Organisation

REFERENCE = re.compile(r"^\s*(?:ED-?0*(?P<ref>\d+)|0*(?P<number>\d+))\s*$", re.IGNORECASE)
CONFIG = "pg_catalog.english"
_WORD = re.compile(r"\w+", re.UNICODE)
# Trigram indexes need three characters; shorter fragments are left to the word search.
MIN_FRAGMENT = 3
# The document, in the database's own words: what the trigger stores and the backfill computes.
VECTOR_SQL = (
    "setweight(to_tsvector('{config}', coalesce({row}summary, '')), 'A') || "
    "setweight(to_tsvector('{config}', coalesce({row}error_messages, '')), 'B') || "
    "setweight(to_tsvector('{config}', coalesce({row}symptoms, '')), 'C') || "
    "setweight(to_tsvector('{config}', coalesce({row}description, '')), 'D')"
)
DOCUMENT_FIELDS = ("summary", "error_messages", "symptoms", "description")


def search_vector_trigger() -> pgtrigger.Trigger:
    """Before a ticket is written, its search vector is computed from its text (PostgreSQL only)."""
    return pgtrigger.Trigger(
        name="search_vector",
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf(*DOCUMENT_FIELDS),
        func=f"NEW.search_vector := {VECTOR_SQL.format(config=CONFIG, row='NEW.')}; RETURN NEW;",
    )


def reference_of(text: str) -> tuple[int | None, bool]:
    """(ticket id, exact): `ED-000123` is exactly ticket 123; `123` is ticket 123 or a number in text."""
    match = REFERENCE.match(text)
    if not match:
        return None, False
    if match["ref"]:
        return int(match["ref"]), True
    return int(match["number"]), False


def is_reference(text: str) -> bool:
    return reference_of(text)[0] is not None


def _uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def _tsquery(text: str) -> SearchQuery | None:
    """Every word must match, the last as a prefix; None when the text holds no word."""
    words = _WORD.findall(text)
    if not words:
        return None
    terms = [*words[:-1], f"{words[-1]}:*"]
    # PostgreSQL's parser reads the number of "ERR-504" as "-504": a number matches either way.
    terms = [f"({term} | -{term})" if term.removesuffix(":*").isdigit() else term for term in terms]
    return SearchQuery(" & ".join(terms), search_type="raw", config=CONFIG)


def _organisation_ids(text: str) -> list[int]:
    return list(Organisation.objects.filter(name__icontains=text).values_list("pk", flat=True))


def _every_word_in(fields: tuple[str, ...], text: str) -> Q:
    """SQLite's stand-in for the vector: each word of the text in one of the fields (no stemming)."""
    return reduce(
        operator.and_,
        (
            reduce(operator.or_, (Q(**{f"{name}__icontains": word}) for name in fields))
            for word in text.split()
        ),
    )


def _text_match(text: str, query: SearchQuery | None) -> Q:
    """Tickets whose text matches: words through the vector, fragments through trigram indexes."""
    if not _uses_postgres():
        return _every_word_in(DOCUMENT_FIELDS, text)
    match = Q(search_vector=query) if query is not None else Q(pk__in=[])
    if len(text) >= MIN_FRAGMENT:
        match |= Q(error_messages__icontains=text) | Q(summary__icontains=text)
    return match


def _rank(text: str, query: SearchQuery | None, reference: int | None) -> Case | SearchRank | Value:
    """Higher is better: the referenced ticket first, then by the weight of the matching text."""
    if _uses_postgres():
        rank = SearchRank(F("search_vector"), query) if query is not None else Value(0.0)
    else:
        # The vector's weights, A to D: the first field that holds every word ranks the ticket.
        rank = Case(
            When(_every_word_in(("summary",), text), then=Value(1.0)),
            When(_every_word_in(("error_messages",), text), then=Value(0.4)),
            When(_every_word_in(("symptoms",), text), then=Value(0.2)),
            default=Value(0.1),
            output_field=FloatField(),
        )
    if reference is None:
        return rank
    return Case(When(pk=reference, then=Value(1_000.0)), default=rank, output_field=FloatField())


def search_tickets(qs: QuerySet, text: str) -> QuerySet:
    """The tickets of qs that the text finds, annotated with `search_rank` (best first when sorted)."""
    text = text.strip()
    if not text:
        return qs
    reference, exact = reference_of(text)
    if exact:
        return qs.filter(pk=reference).annotate(search_rank=Value(1_000.0, output_field=FloatField()))
    query = _tsquery(text) if _uses_postgres() else None
    match = _text_match(text, query)
    organisations = _organisation_ids(text)
    if organisations:
        match |= Q(organisation_id__in=organisations)
    if reference is not None:
        match |= Q(pk=reference)
    return qs.filter(match).annotate(search_rank=_rank(text, query, reference))
