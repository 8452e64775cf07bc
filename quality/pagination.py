"""One rule for every list's pages: the page size and how far a list is counted.

Page size: whatever `?per_page=` says, a page holds 1 to MAX_PER_PAGE rows. django-tables2's
RequestConfig hands `per_page` from the query string straight to Django's Paginator, so
`?per_page=-1` was a server error and `?per_page=100000` a whole table in one page.

Counting: Django's Paginator counts every row that matches (COUNT(*) over a million audits) to
number the pages. CappedPaginator counts at most COUNT_CAP + 1 rows (a COUNT over a LIMITed
subquery): up to the cap the total is exact; beyond it the list says "more than 10,000" and the
pages are numbered as far as the one shown, with a next link while rows follow it. A page is a
LIMIT (one row more than it shows, to know whether another follows) over the list's order, which
an index serves for the big lists. Lists call `paginate_table`, which uses it.

Beyond the cap the pages are not numbered: "next" carries the last row seen (`?after=<its key>`) and
the page holds the rows that follow it in the list's order (keyset pagination), so the millionth row
costs what the first does; such a page links back to the first. A key names a row, never what is in it.
"""

from collections.abc import Callable
from functools import reduce
from operator import and_, or_

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, Q, QuerySet
from django_tables2 import LazyPaginator, RequestConfig, Table
from django_tables2.rows import BoundRows

PER_PAGE = 50
MAX_PER_PAGE = 100
COUNT_CAP = 10_000  # rows counted at most; a list with more says "more than COUNT_CAP"


def page_size(asked: str | None, *, default: int = PER_PAGE) -> int:
    """The page size asked for, held to 1..MAX_PER_PAGE; the default when none (or no number) is asked."""
    try:
        size = int(asked)
    except (TypeError, ValueError):
        size = default
    return min(max(size, 1), MAX_PER_PAGE)


def filter_query(request) -> str:
    """The query string without the table's own page, sort and page size: the list's filters, as its
    export links carry them and an export's access record keeps them."""
    query = request.GET.copy()
    for key in ("page", "sort", "per_page", "after"):
        query.pop(key, None)
    return query.urlencode()


def _queryset(rows) -> QuerySet | None:
    """The queryset under a table's rows (BoundRows -> TableQuerysetData -> QuerySet), if it is one."""
    data = getattr(getattr(rows, "data", None), "data", None)
    return data if isinstance(data, QuerySet) else None


def _ordering(query: QuerySet) -> list[tuple[str, bool]] | None:
    """The query's order as (field, descending) pairs ending with the primary key, or None when it
    orders by an expression a key cannot be read from (no keyset then)."""
    order = list(query.query.order_by) or list(query.model._meta.ordering)
    keys = []
    for item in order:
        if not isinstance(item, str) or item == "?":
            return None
        name = item.lstrip("-")
        keys.append(("pk" if name == query.model._meta.pk.name else name, item.startswith("-")))
    if not any(name == "pk" for name, _ in keys):
        keys.append(("pk", False))  # a row's place must be unique
    return keys


def _ordered(query: QuerySet, keys: list[tuple[str, bool]]) -> QuerySet:
    """The query in the order `keys` give, with where NULLs go said outright (last going up, first going
    down: PostgreSQL's own, which its indexes serve), so a keyset page agrees with it on any database."""
    return query.order_by(
        *(F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True) for name, descending in keys)
    )


def _may_be_null(query: QuerySet, name: str) -> bool:
    if name == "pk":
        return False
    try:
        return query.model._meta.get_field(name).null
    except FieldDoesNotExist:  # across a relation, or an annotation: perhaps
        return True


def _beyond(query: QuerySet, name: str, descending: bool, value) -> Q:
    """Rows after `value` in column `name`, with NULLs last going up and first going down."""
    if value is None:
        return Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
    later = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
    return later | Q(**{f"{name}__isnull": True}) if not descending and _may_be_null(query, name) else later


def _same(name: str, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def rows_after(query: QuerySet, key) -> QuerySet | None:
    """The rows of `query` that follow the row whose primary key is `key`, in the query's order; None
    when that row is not in `query` (another list's, or gone) or the order is not by fields.

    (a, b, pk) after (x, y, k) is: a beyond x, or a = x and b beyond y, or a = x, b = y and pk beyond k;
    a bound on the first column alone (a <= x going down) lets an index start its walk at the row."""
    keys = _ordering(query)
    if keys is None:
        return None
    values = query.filter(pk=key).values_list(*(name for name, _ in keys)).first()
    if values is None:
        return None
    after = reduce(
        or_,
        (
            reduce(and_, [_same(keys[j][0], values[j]) for j in range(i)], _beyond(query, name, descending, values[i]))
            for i, (name, descending) in enumerate(keys)
        ),
    )
    first, descending = keys[0]
    if values[0] is not None and (descending or not _may_be_null(query, first)):
        after &= Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]})
    return _ordered(query, keys).filter(after)


class CappedPaginator(LazyPaginator):
    """Pages of a table's rows, counted up to `cap` rows (see the module's docstring).

    `count` is exact while `count_is_exact`; beyond the cap it is `cap` + 1 and the list has more.
    `rows_for_page`, if given, takes the queryset of the page's rows (by primary key) and returns it
    with what only the shown rows need (a per-row lookup too dear for the whole table); the page's
    keys are then read first, in the list's order, and its rows in a second query that has no OFFSET.

    It is a LazyPaginator so that django-tables2's page range ends in "..." while rows follow a page
    beyond the cap; `is_last_page` says where the range already ends at the last page."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, rows_for_page: Callable | None = None, **kw):
        super().__init__(object_list, per_page, **kw)
        self.cap = COUNT_CAP if cap is None else cap
        self.rows_for_page = rows_for_page
        self._counted: int | None = None
        self._more_pages = False

    @property
    def count(self) -> int:
        if self._counted is None:
            query = _queryset(self.object_list)
            if query is not None:
                self._counted = query[: self.cap + 1].count()  # COUNT(*) FROM (... LIMIT cap + 1)
            else:
                self._counted = len(self.object_list)
        return self._counted

    @property
    def count_is_exact(self) -> bool:
        return self.count <= self.cap

    @property
    def count_shown(self) -> str:
        """The total as a list says it: "12", or "more than 10,000" beyond the cap."""
        return f"{self.count:,}" if self.count_is_exact else f"more than {self.cap:,}"

    @property
    def num_pages(self) -> int:
        if self.count_is_exact:
            return Paginator.num_pages.func(self)
        # Known as far as the page shown, and one more while rows follow it.
        return self._num_pages or 1

    @property
    def page_range(self):
        return range(1, self.num_pages + 1)

    def is_last_page(self, number: int) -> bool:
        return self.count_is_exact or not self._more_pages

    def validate_number(self, number) -> int:
        if self.count_is_exact:
            return Paginator.validate_number(self, number)
        return super().validate_number(number)  # any whole number from 1: the page tells if it is empty

    def _records(self, bottom: int, top: int, query: QuerySet | None = None) -> list:
        """Rows bottom..top of the list (of `query`, a part of it, when given)."""
        if query is None:
            query = _queryset(self.object_list)
            if query is None:
                return list(self.object_list.data[bottom:top])
            keys = _ordering(query)
            query = _ordered(query, keys) if keys is not None else query  # as a keyset page orders it
        if self.rows_for_page is None:
            return list(query[bottom:top])
        keys = list(query.values_list("pk", flat=True)[bottom:top])
        by_key = {record.pk: record for record in self.rows_for_page(query.filter(pk__in=keys))}
        return [by_key[key] for key in keys if key in by_key]

    def _page_of(self, records: list, number: int) -> Page:
        rows = self.object_list
        shown = BoundRows(data=records[: self.per_page], table=rows.table, pinned_data=rows.pinned_data)
        return Page(shown, number, self)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        records = self._records(bottom, bottom + self.per_page + 1)
        if not records and number > 1:
            raise EmptyPage("That page contains no results")
        self._more_pages = len(records) > self.per_page
        page_after = None
        if not self.count_is_exact:
            if self._more_pages and number * self.per_page >= self.cap and _queryset(self.object_list) is not None:
                # Past the rows counted: the next page follows this one's last row (keyset), unnumbered.
                page_after = records[self.per_page - 1].pk
                self._num_pages = number
            else:
                self._num_pages = number + 1 if self._more_pages else number
        page = self._page_of(records, number)
        page.next_after = page_after
        return page

    def page_after(self, key) -> Page:
        """The rows that follow the row `key` in the list's order (beyond the rows counted); the first
        page when that row is not in the list."""
        query = _queryset(self.object_list)
        following = rows_after(query, key) if query is not None else None
        if following is None:
            return self.get_page(1)
        records = self._records(0, self.per_page + 1, query=following)
        self._more_pages = len(records) > self.per_page
        page = self._page_of(records, 0)  # unnumbered
        page.is_keyset = True
        page.next_after = records[self.per_page - 1].pk if self._more_pages else None
        return page

    def get_page(self, number) -> Page:
        """Like Django's: a page number that is not a number shows the first page; one before the
        first or past the end, the last. Past the end of a list longer than the cap, finding the last
        page takes one full count: only then, never to show a page that exists."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            if not self.count_is_exact:
                self._counted = _queryset(self.object_list).count()
                self.cap = self._counted  # now exact: the last page is known
            return self.page(self.num_pages)


def paginate_table(
    request,
    table: Table,
    *,
    per_page: int = PER_PAGE,
    rows_for_page: Callable | None = None,
    count: int | None = None,
) -> Table:
    """Sort and paginate a table from the query string, with its page size held to 1..MAX_PER_PAGE,
    counted up to COUNT_CAP rows (CappedPaginator; `rows_for_page` is passed to it). A list that already
    knows its exact length (from counts an index serves) gives it as `count`: nothing is counted again,
    and its pages are numbered to the end however long it is.

    A page number that is not a number shows the first page; one past the end, the last."""
    RequestConfig(request, paginate=False).configure(table)  # sorting only
    # What table.paginate() does, but without reading a first page that may not be the one asked for.
    size = page_size(request.GET.get(table.prefixed_per_page_field), default=per_page)
    table.paginator = CappedPaginator(table.rows, size, rows_for_page=rows_for_page)
    if count is not None:
        table.paginator._counted = count
        table.paginator.cap = max(table.paginator.cap, count)  # exact, however long
    table.prefixed_after_field = f"{table.prefix}after"
    after = request.GET.get(table.prefixed_after_field, "")
    if after.isdigit():
        table.page = table.paginator.page_after(int(after))
    else:
        table.page = table.paginator.get_page(request.GET.get(table.prefixed_page_field))
    return table
