"""One writer at a time for work that must not interleave (an import, locking a month...).

On PostgreSQL a transaction-scoped advisory lock keyed by name: it is released when the
transaction ends, even if the process dies. SQLite, the zero-setup database, already lets only
one transaction write at a time, so there is nothing to take there.
"""

from django.db import connection


def hold(name: str, number: int = 0) -> None:
    """Wait for, then hold until the transaction ends, the lock called `name` (and `number`)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [name, number])
