"""A paginator that never counts a whole table: at most `cap` + 1 rows are counted.

Django's Paginator runs ``COUNT(*)`` over the filtered list on every request, which at 100,000
tickets costs more than the page itself. ``CappedPaginator`` counts through a LIMITed subquery
(``SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)``): under the cap the count and the number of
pages are exact; over it the page says "1,000+ tickets" and "Page n of many", and a page past
the cap is still served (it reads one row more than it shows to know whether a next page
exists). Only a page past the end (or DRF's ``?page=last``) counts the list in full.

An object list may bring its own ``capped_count(limit)`` (and ``count()``) instead of being a
queryset, as the queue's "due soonest" order does (tickets.selectors.DueFirst).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.formats import number_format

DEFAULT_CAP = 1000


def count_cap() -> int:
    return int(getattr(settings, "PAGINATOR_COUNT_CAP", DEFAULT_CAP))


def capped_count(object_list: Any, limit: int) -> int:
    """How many rows the list has, counting at most `limit` of them (one query)."""
    own = getattr(object_list, "capped_count", None)
    if own is not None:
        return own(limit)
    if hasattr(object_list, "query"):
        # Only the primary keys, unordered: the subquery reads as little as it can.
        return object_list.order_by().values("pk")[:limit].count()
    return min(len(object_list), limit)


class CappedPage(Page):
    """A page that knows whether another follows without knowing how many there are."""

    def __init__(self, object_list: Any, number: int, paginator: CappedPaginator, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CappedPaginator(Paginator):
    """Counts at most `cap` + 1 rows; over the cap, pages are served without a total."""

    def __init__(
        self, object_list: Any, per_page: int | str, *, cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = count_cap() if cap is None else cap

    @cached_property
    def count(self) -> int:
        """The exact count up to the cap; cap + 1 means "more than the cap"."""
        return capped_count(self.object_list, self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def shown_count(self) -> str:
        """The count as a page shows it: "1,000+" over the cap, the number otherwise."""
        if self.capped:
            return number_format(self.cap, force_grouping=True) + "+"
        return number_format(self.count, force_grouping=True)

    @cached_property
    def exact_count(self) -> int:
        """The full count (one COUNT(*)): only for a page past the end or the last page."""
        if not self.capped:
            return self.count
        own = getattr(self.object_list, "count", None)
        return own() if callable(own) else len(self.object_list)

    @cached_property
    def num_pages(self) -> int:
        """Exact under the cap; over it, the pages known to exist (the cap's, and one more)."""
        if not self.capped:
            return super().num_pages
        return -(-self.count // self.per_page)

    @cached_property
    def last_page_number(self) -> int:
        """The last page's number: counts in full when over the cap."""
        if not self.capped:
            return self.num_pages
        return max(1, -(-self.exact_count // self.per_page))

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number: Any) -> Page:
        """Like Paginator.get_page: page 1 for nonsense, the last page for one past the end."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.last_page_number)
