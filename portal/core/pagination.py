"""Pages of long lists whose total is counted only up to a cap, so a page costs the same at any size."""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import format_number
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from portal.extensions import db

# Beyond this many rows a list says "more than 1,000" instead of counting every one (at a million cases the
# exact count was most of the queue's time, and counting 10,000 rows of one stage still cost 10 ms); nobody
# pages through 40 pages, the filters narrow the list instead.
COUNT_CAP = 1_000


class Page(Pagination):
    """A page whose rows and total come from the caller; `capped` when the total passed COUNT_CAP."""

    capped = False
    cap = COUNT_CAP

    def _query_items(self) -> list:
        return self._query_args["find_items"](self.page, self.per_page)

    def _query_count(self) -> int:
        total = self._query_args["find_total"]()
        self.capped = total > COUNT_CAP
        return total

    @property
    def cap_label(self) -> str:
        return format_number(COUNT_CAP)

    @property
    def pages(self) -> int:
        if not self.capped:
            return super().pages
        # The total is only a lower bound: a full page means there may be a next one (up to last_page).
        return min(self.page + 1, last_page(self.per_page)) if len(self.items) == self.per_page else self.page


def last_page(per_page: int) -> int:
    """The last page a list offers: the capped total's. A page costs what comes before it, so a list is not
    walked further (?page=2147483647 walked every open term); the filters narrow it instead."""
    return COUNT_CAP // per_page + 1


def capped_count(query: Select) -> int:
    """How many rows `query` gives, counting at most COUNT_CAP + 1 of them."""
    limited = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(limited))


def page_of(find_items: Callable[[int, int], list], find_total: Callable[[], int], page: int,
            per_page: int = 25) -> Page:
    return Page(page=page, per_page=per_page, max_per_page=None, error_out=False, find_items=find_items,
                find_total=find_total)


def paginate(query: Select, page: int, per_page: int = 25) -> Page:
    """db.paginate with a capped total."""
    def items(page: int, per_page: int) -> list:
        return list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())

    return page_of(items, lambda: capped_count(query), page, per_page)
