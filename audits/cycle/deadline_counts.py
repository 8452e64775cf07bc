"""Open deadlines counted as audits change (issue 15): how many audits of each service area wait on each
deadline due on each day (audits.models.DeadlineDayCount), so that "how many are overdue" (the home
page's counters, the overdue page's counts) adds up a few rows per area and day instead of counting
every overdue audit, however many there are.

How the counts stay right, whoever writes:
- Database triggers on the audits (installed after every `migrate`, for PostgreSQL and for SQLite,
  whose schema editor drops a table's triggers when it rebuilds it) take away what each changed row
  counted before and add what it counts after, for an INSERT, an UPDATE or a DELETE alike: a
  service, a bulk import, a raw UPDATE, a service-area merge.
- After every `migrate` the counts are rebuilt from the audits (the triggers may have been missing
  while a migration rebuilt the table); `differences()` compares them with a fresh count
  (`manage.py deadline_counts --check`).

An audit counts towards a deadline while it is in the deadline's state with the deadline's date set
(deadline_rules.RULES): a draft towards completion, a submitted audit towards oversight, an overseen one
towards the child's record. A day's row is removed when no audit waits on it any more.

Two transactions that move audits of the same area and day update the same row: the second waits
for the first to commit (a short wait: the portal's transactions are short). A statement writes its
rows in key order, so two bulk changes of many areas at once do not lock them in opposite orders.
"""

# The trigger SQL below is put together from the deadline rules' own states and field names; nothing
# from outside reaches it, so the string-built-SQL warning does not apply.
# ruff: noqa: S608

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db import connections, transaction
from django.db.models import Count, Sum

from ..models import Audit, DeadlineDayCount
from .deadline_rules import RULES

_AUDITS, _COUNTS = Audit._meta.db_table, DeadlineDayCount._meta.db_table
_KEY = "service_area_id, deadline, due_on"
TRIGGER_PREFIX = "deadline_counts"


def _contributions(rows: str, sign: int) -> str:
    """What the audits `rows` (a transition table, or NEW/OLD) count: one row per deadline they wait on."""
    source = f" FROM {rows}" if rows.endswith("_rows") else ""
    prefix = "" if source else f"{rows}."
    return " UNION ALL ".join(
        f"SELECT {prefix}service_area_id AS service_area_id, '{deadline.value}' AS deadline, "
        f"{prefix}{rule.field} AS due_on, {sign} AS n{source} "
        f"WHERE {prefix}state = '{rule.state}' AND {prefix}{rule.field} IS NOT NULL"
        for deadline, rule in RULES.items()
    )


def _changes(transition: tuple[str, ...]) -> str:
    """The net change per area, deadline and day of the rows before (-1) and after (+1) a statement."""
    parts = " UNION ALL ".join(_contributions(rows, -1 if rows in ("old_rows", "OLD") else 1) for rows in transition)
    return f"SELECT {_KEY}, SUM(n) AS n FROM ({parts}) AS changed GROUP BY {_KEY} HAVING SUM(n) <> 0"


def _apply(changes: str) -> str:
    return (
        f"INSERT INTO {_COUNTS} ({_KEY}, audits) SELECT {_KEY}, n FROM ({changes}) AS net WHERE true "
        f"ORDER BY {_KEY} ON CONFLICT ({_KEY}) DO UPDATE SET audits = {_COUNTS}.audits + excluded.audits"
    )


_OPERATIONS = {"INSERT": ("new_rows",), "UPDATE": ("old_rows", "new_rows"), "DELETE": ("old_rows",)}


def _postgresql_statements() -> list[str]:
    statements = []
    for operation, transition in _OPERATIONS.items():
        name = f"{TRIGGER_PREFIX}_{operation.lower()}"
        referencing = " ".join(f"{rows.split('_')[0].upper()} TABLE AS {rows}" for rows in transition)
        statements += [
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {_apply(_changes(transition))};
                DELETE FROM {_COUNTS} WHERE audits = 0;
                RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {name} ON {_AUDITS}",
            f"CREATE TRIGGER {name} AFTER {operation} ON {_AUDITS} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_statements() -> list[str]:
    statements = []
    for operation, transition in _OPERATIONS.items():
        name = f"{TRIGGER_PREFIX}_{operation.lower()}"
        rows = tuple("NEW" if rows == "new_rows" else "OLD" for rows in transition)
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}"',
            f'CREATE TRIGGER "{name}" AFTER {operation} ON "{_AUDITS}" BEGIN '
            f"{_apply(_changes(rows))}; DELETE FROM {_COUNTS} WHERE audits = 0; END",
        ]
    return statements


def _fresh() -> Counter:
    """(area id, deadline, day) -> how many audits wait on it, counted from the audits."""
    counted: Counter = Counter()
    for deadline, rule in RULES.items():
        waiting = (
            Audit.objects.filter(state=rule.state, **{f"{rule.field}__isnull": False})
            .order_by()
            .values_list("service_area_id", rule.field)
            .annotate(n=Count("*"))
        )
        for area_id, day, n in waiting:
            counted[(area_id, deadline.value, day)] += n
    return counted


def _stored() -> Counter:
    rows = DeadlineDayCount.objects.values_list("service_area_id", "deadline", "due_on", "audits")
    return Counter({(area_id, deadline, day): n for area_id, deadline, day, n in rows})


def rebuild(using: str = "default") -> None:
    """Count every open deadline afresh. On PostgreSQL the audits are locked against writers meanwhile
    (SHARE mode: readers go on), so no change is counted twice or missed."""
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            with connections[using].cursor() as cursor:
                cursor.execute(f"LOCK TABLE {_AUDITS} IN SHARE MODE")
        DeadlineDayCount.objects.using(using).all().delete()
        DeadlineDayCount.objects.using(using).bulk_create(
            DeadlineDayCount(service_area_id=area_id, deadline=deadline, due_on=day, audits=n)
            for (area_id, deadline, day), n in sorted(_fresh().items(), key=lambda item: item[0])
        )


def differences() -> list[str]:
    """Where the stored counts differ from a fresh count of the audits, one line each (none: equal)."""
    stored, fresh = _stored(), _fresh()
    return [
        f"service area {area_id}, {deadline} due {day}: stored {stored.get(key, 0)}, counted {fresh.get(key, 0)}"
        for key in sorted(set(stored) | set(fresh))
        if stored.get(key, 0) != fresh.get(key, 0)
        for area_id, deadline, day in [key]
    ]


def overdue_by_area(counts_seen, today: date) -> list[tuple[int, str, str, str, int]]:
    """(area id, code, name, deadline, count) of the audits whose deadline passed before `today`, from the
    kept counts `counts_seen` (DeadlineDayCount rows, already held to the areas the person may see)."""
    return list(
        counts_seen.filter(due_on__lt=today)
        .order_by()
        .values_list("service_area_id", "service_area__code", "service_area__name", "deadline")
        .annotate(n=Sum("audits"))
    )


def install_triggers(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: the triggers that keep the counts, on whichever database this is, and the
    counts rebuilt from the audits."""
    target = connections[using]
    if _COUNTS not in target.introspection.table_names():
        return
    statements = _postgresql_statements() if target.vendor == "postgresql" else _sqlite_statements()
    with target.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    rebuild(using)
