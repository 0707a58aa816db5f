"""Related rows folded into the query that reads their parent: one JSON column instead of a query.

`Fold(queryset, related=...)` is a correlated scalar subquery (filter the queryset with
`OuterRef`) that returns the queryset's rows as text, each a JSON array: an array of its
concrete fields, one of each `related` (select_related-style) row's fields, then the `extra`
values; `fold.rows(text)` turns that back into model instances, with their related rows
attached and in the queryset's order. On
PostgreSQL it is JSON_AGG over JSONB_BUILD_ARRAY, on SQLite JSON_GROUP_ARRAY over JSON_ARRAY:
the values come back as the database writes them in JSON and are read with each field's
`to_python` (datetimes without an offset, SQLite's, are UTC). `extra` expressions (another
fold, for a nested collection) ride along in each row and are read back with `extra_of(obj)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Func, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONArray
from django.utils import timezone


class AsJson(Func):
    """A JSON column as JSON inside JSON_ARRAY (SQLite keeps JSON as text: JSON() parses it)."""

    function = "JSON"
    output_field = models.JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(self.get_source_expressions()[0])


class JsonRows(Subquery):
    """The subquery's `row` values as one JSON array (text); '[]' when there are none."""

    template = "(SELECT COALESCE(JSON_GROUP_ARRAY(JSON(folded.row)), '[]') FROM (%(subquery)s) folded)"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "(SELECT COALESCE(JSON_AGG(folded.row), '[]')::text FROM (%(subquery)s) folded)"
        return self.as_sql(compiler, connection, template=template, **extra)


Compiled = dict[tuple[str, str], tuple[str, tuple[Any, ...]]]


def compiled_on(outer: type[models.Model], make: Callable[[], Any], cache: Compiled) -> RawSQL:
    """The expression `make()` builds, compiled once per database vendor (kept in `cache`) for a
    query whose main table is `outer`'s (correlated with OuterRef to that table), then reused as
    raw SQL: Django takes milliseconds per request to compile a fold's subqueries."""
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    key = (vendor, outer._meta.label)
    if key not in cache:
        probe = outer._base_manager.order_by().annotate(folded=make()).values("folded")
        sql, params = probe.query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
        table = connections[DEFAULT_DB_ALIAS].ops.quote_name(outer._meta.db_table)
        prefix, suffix = "SELECT ", f' AS "folded" FROM {table}'
        if not (sql.startswith(prefix) and sql.endswith(suffix)):  # pragma: no cover (a Django change)
            raise RuntimeError(f"unexpected SQL: {sql[:200]}")
        cache[key] = (sql[len(prefix) : -len(suffix)], tuple(params))
    sql, params = cache[key]
    return RawSQL(sql, params, output_field=TextField())


def _columns(model: type[models.Model], prefix: str = "") -> list[tuple[str, models.Field]]:
    return [(prefix + f.attname, f) for f in model._meta.concrete_fields]


def _value(f: models.Field, raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(f, models.JSONField):
        return raw
    value = f.to_python(raw)
    if isinstance(f, models.DateTimeField) and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _sort_attname(model: type[models.Model], key: Any) -> str | None:
    """The attribute an ordering key sorts on, None for one across a relation or an expression."""
    if not isinstance(key, str) or "__" in key.lstrip("-"):
        return None
    name = key.lstrip("-")
    return model._meta.pk.attname if name == "pk" else model._meta.get_field(name).attname


@dataclass
class Fold:
    """One collection folded into its parent's query (see the module's docstring)."""

    queryset: QuerySet[Any]
    related: tuple[str, ...] = ()  # FK paths read with each row, e.g. ("approval", "approval__decided_by")
    extra: dict[str, Any] = field(default_factory=dict)  # name → expression, read with extra_of()
    _ordering: list[str] = field(init=False, default_factory=list)
    _compiled: Compiled = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        model = self.queryset.model
        self._ordering = list(self.queryset.query.order_by or model._meta.ordering or ["pk"])

    def _layout(self) -> list[tuple[str, list[tuple[str, models.Field]]]]:
        """(relation path, its columns): the row's own first, then each related row's."""
        model = self.queryset.model
        layout = [("", _columns(model))]
        for path in self.related:
            related_model = model
            for part in path.split("__"):
                related_model = related_model._meta.get_field(part).related_model
            layout.append((path, _columns(related_model, path + "__")))
        return layout

    def expression(self) -> JsonRows:
        # One array per row read (the row's own, each related one's), then the extras: PostgreSQL
        # takes at most 100 arguments per function call.
        parts: list[Any] = [
            JSONArray(*(AsJson(F(n)) if isinstance(f, models.JSONField) else F(n) for n, f in columns))
            for _, columns in self._layout()
        ]
        row = self.queryset.order_by().annotate(row=JSONArray(*parts, *self.extra.values())).values("row")
        return JsonRows(row)

    def on(self, outer: type[models.Model]) -> RawSQL:
        """expression(), compiled once (compiled_on) for a query of `outer`."""
        return compiled_on(outer, self.expression, self._compiled)

    def rows(self, text: str | list[Any] | None) -> list[Any]:
        """The folded rows as model instances, in the queryset's order."""
        layout = self._layout()
        objects = [self._instance(layout, raw) for raw in json_values(text)]
        for key in reversed(self._ordering):
            name = _sort_attname(self.queryset.model, key)
            if name is not None:
                descending = key[0] == "-"
                objects.sort(key=lambda o, n=name: (getattr(o, n) is None, getattr(o, n)), reverse=descending)
        return objects

    def _instance(self, layout: list[tuple[str, list[tuple[str, models.Field]]]], raw: list[Any]) -> Any:
        parts = iter(raw)
        made: dict[str, Any] = {}
        for path, columns in layout:
            data = [_value(f, value) for (_, f), value in zip(columns, next(parts), strict=True)]
            model = columns[0][1].model
            pk_index = next(i for i, (_, f) in enumerate(columns) if f.primary_key)
            names = [f.attname for _, f in columns]
            obj = None if data[pk_index] is None else model.from_db(self.queryset.db, names, data)
            made[path] = obj
            if path:
                parent_path, _, name = path.rpartition("__")
                parent = made.get(parent_path)
                if parent is not None:
                    setattr(parent, name, obj)
        root = made[""]
        root.folded_extra = {name: next(parts) for name in self.extra}
        return root


def json_values(text: str | list[Any] | None) -> list[Any]:
    """A JsonRows column's rows as plain JSON values (lists, numbers, strings)."""
    return json.loads(text or "[]") if isinstance(text, str | None) else text


def extra_of(obj: Any, name: str) -> Any:
    """An `extra` value read with a folded row (Fold.extra)."""
    return obj.folded_extra[name]


def set_prefetched(obj: Any, relation: str, items: list[Any]) -> None:
    """Give `obj.<relation>.all()` these items, as prefetch_related would (no query); the cache
    key is the accessor's name, as prefetch_related's for a related_name or a forward M2M."""
    qs = getattr(obj, relation).model._default_manager.all()
    qs._result_cache = list(items)
    qs._prefetch_done = True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[relation] = qs
