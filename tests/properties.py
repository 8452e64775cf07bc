"""What the property-based tests share: awkward text to type into anything, and a picture of the
whole database to prove that a refused input saved nothing."""

from __future__ import annotations

from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction
from hypothesis import strategies as st

# Text people (or scripts) might send: any printable or control character (NUL included), words that
# look like numbers, dates or markup but are not, and the odd huge value.
AWKWARD_WORDS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-inf",
    "9" * 40,
    "2026-02-30",
    "31/12/1999",
    "0000-00-00",
    "9999-12-31",
    "null",
    "true",
    "on",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "ﬀ\u202e\ufeff",
)
awkward_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs"]), max_size=8),
    st.sampled_from(AWKWARD_WORDS),
    st.integers().map(str),
    st.integers(min_value=1_000, max_value=100_000).map(lambda size: "x" * size),
)


def bookkeeping() -> frozenset[str]:
    """Tables any request may write, a refused one too: the session (its last activity, for the idle
    time-out) and the security log (refusals and sign-in attempts are recorded, quality/security)."""
    security = apps.get_app_config("security").get_models()
    return frozenset({"django_session", *(model._meta.db_table for model in security)})


def database_picture() -> dict[str, tuple[int, str]]:
    """Every table of the project's models but the bookkeeping: its row count and a checksum of all its
    rows (PostgreSQL), in one query."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
        - bookkeeping()
    )
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quote(table)} t"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return {table: (count, checksum) for table, count, checksum in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


@contextmanager
def rolled_back():
    """One example's work, undone afterwards, so every example starts from the same database."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
