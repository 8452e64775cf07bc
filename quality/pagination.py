"""One page-size rule for every list: whatever `?per_page=` says, a page holds 1 to MAX_PER_PAGE rows.

django-tables2's RequestConfig hands `per_page` from the query string straight to Django's
Paginator, so `?per_page=-1` was a server error and `?per_page=100000` a whole table in one page.
Lists call `paginate_table` instead.
"""

from django_tables2 import RequestConfig, Table

PER_PAGE = 50
MAX_PER_PAGE = 100


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
    for key in ("page", "sort", "per_page"):
        query.pop(key, None)
    return query.urlencode()


def paginate_table(request, table: Table, *, per_page: int = PER_PAGE) -> Table:
    """Sort and paginate a table from the query string, with its page size held to 1..MAX_PER_PAGE.

    A page number that is not a number shows the first page; one past the end, the last."""
    RequestConfig(request, paginate=False).configure(table)  # sorting only
    table.paginate(per_page=page_size(request.GET.get(table.prefixed_per_page_field), default=per_page))
    table.page = table.paginator.get_page(request.GET.get(table.prefixed_page_field))
    return table
