"""The queue's "due soonest" order as index walks, not a sort of every open ticket.

Sorting by each ticket's nearest running clock (``selectors.with_nearest_clock``, a correlated
subquery) makes the database compute it for every ticket that passes the filters and sort them
all, to show 25. ``DueFirst`` lists the same tickets in the same order in two parts:

1. tickets with a running clock that has a due time, each at its earliest one: a walk along the
   running clocks' due-time index (``clocks_running_due``, a partial index), joined to the
   filtered tickets, skipping a clock when its ticket has an earlier running one;
2. then those without (nulls last), newest first: a walk along the tickets' creation time.

A page asks each part for at most offset + page size rows (one query: a UNION ALL of the two
LIMITed walks picks the page's ids, inside the query that reads the rows), so the first pages
cost a few dozen index probes whatever the number of tickets. It is an object list for
``escalation_desk.paging.CappedPaginator`` (``capped_count``, ``count``, slicing).
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from clocks.models import Clock, ClockState

from .models import Ticket


def _running(**where: Any) -> QuerySet[Clock]:
    """A ticket's running clocks with a due time (by content type id: the subject index's)."""
    return Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        state=ClockState.RUNNING,
        due_at__isnull=False,
        **where,
    )


def with_due(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with a running clock due, once each, at their earliest clock (`due`)."""
    walked = tickets.filter(clocks__state=ClockState.RUNNING, clocks__due_at__isnull=False).annotate(
        due=F("clocks__due_at"), due_clock=F("clocks__pk")
    )
    earlier = _running(object_id=OuterRef("pk")).filter(
        Q(due_at__lt=OuterRef("due")) | Q(due_at=OuterRef("due"), pk__lt=OuterRef("due_clock"))
    )
    return walked.filter(~Exists(earlier))


def without_due(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with no running clock due (they come last, newest first)."""
    return tickets.filter(~Exists(_running(object_id=OuterRef("pk")))).annotate(
        due=Cast(Value(None), DateTimeField())  # typed: the UNION matches it with a due time
    )


def _sql(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    return sql, tuple(params)


class DueFirst:
    """Filtered tickets in "due soonest" order, or latest due first (`descending`); tickets
    with no running clock due last either way. `rows`: the page's rows as shown (relations,
    prefetches, `next_due_at`), unfiltered (default: the filtered tickets themselves)."""

    ordered = True  # for Paginator's check: the order is DueFirst's own

    def __init__(
        self, tickets: QuerySet[Ticket], *, rows: QuerySet[Ticket] | None = None, descending: bool = False
    ) -> None:
        self.tickets = tickets
        # The page's rows are read by id, without the filters (the ids passed them already):
        # filtered again, the database may join every filtered ticket before picking 25.
        self.rows = rows if rows is not None else tickets
        self.descending = descending

    def capped_count(self, limit: int) -> int:
        return self.tickets.order_by().values("pk")[:limit].count()

    def count(self) -> int:
        return self.tickets.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def page_ids(self, offset: int, size: int) -> RawSQL:
        """SQL for the ids of rows [offset, offset + size): each part's first offset + size rows,
        merged in the queue's order."""
        due = F("due").desc() if self.descending else F("due").asc()
        newest = (F("created_at").desc(), F("pk").desc())
        base = self.tickets.order_by()
        first = with_due(base).order_by(due, *newest).values("pk", "due", "created_at")[: offset + size]
        last = without_due(base).order_by(*newest).values("pk", "due", "created_at")[: offset + size]
        (first_sql, first_params), (last_sql, last_params) = _sql(first), _sql(last)
        quote = connections[self.tickets.db].ops.quote_name
        pk, at = quote("pk"), quote("created_at")
        columns = f"{pk}, due, {at}"
        direction = "DESC" if self.descending else "ASC"
        sql = (
            f"SELECT {pk} FROM (SELECT {columns} FROM ({first_sql}) first_part"
            f" UNION ALL SELECT {columns} FROM ({last_sql}) last_part) due_page"
            f" ORDER BY CASE WHEN due IS NULL THEN 1 ELSE 0 END, due {direction}, {at} DESC, {pk} DESC"
            f" LIMIT {int(size)} OFFSET {int(offset)}"
        )
        return RawSQL(sql, first_params + last_params)

    def __getitem__(self, index: slice) -> list[Ticket]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("DueFirst is sliced by pages")
        offset = index.start or 0
        size = (index.stop if index.stop is not None else offset + 100) - offset
        if size <= 0:
            return []
        due = (
            F("next_due_at").desc(nulls_last=True)
            if self.descending
            else F("next_due_at").asc(nulls_last=True)
        )
        page = self.rows.filter(pk__in=self.page_ids(offset, size))
        return list(page.order_by(due, F("created_at").desc(), F("pk").desc()))
