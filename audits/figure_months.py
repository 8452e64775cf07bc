"""Figure months: the audits' counts kept month by month (issue 15), so that a report adds up a few
hundred stored rows instead of counting every audit of its periods again.

How the counts stay right, whoever writes:
- The database marks a month stale. Triggers on the audits and their area grades (installed after
  every `migrate`, for PostgreSQL and for SQLite, whose schema editor drops a table's triggers when
  it rebuilds it) set `FigureMonth.is_stale` for the month of every row an INSERT, UPDATE or DELETE
  touches, before and after the change: a service, a bulk import, a raw UPDATE alike.
- `refresh()` rebuilds the stale months from the audits. It locks their rows first, so a change
  committed while it counts waits, then marks the month stale again.
- `counts()`, `counts_by_month()` and `area_grade_counts()` refresh, then read the stored months wholly inside a period,
  and count the audits of the days left over (a year to date ends within a month) directly.
- `differences()` compares every month with a fresh count: `manage.py figure_months --check`.

A month is that of `Audit.completed_day`, the completion day every figure counts by; only audits
no longer drafts are counted (audits.models.submitted).
"""

# The trigger SQL below is put together from this module's own table and trigger names; nothing
# from outside reaches it, so the string-built-SQL warning does not apply.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.db import connections, transaction
from django.db.models import Count, IntegerField, Model, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from quality.months import add_months, month_end, month_start, next_month

from .models import (
    AreaGrade,
    AreaGradeMonthCount,
    Audit,
    AuditMonthCount,
    FigureMonth,
    completed_in,
    submitted,
)

# The audit's values a month's counts are kept by: every field a figure groups or filters by.
COUNTED_FIELDS = (
    "service_area_id",
    "kind",
    "theme",
    "overall_grade",
    "moderated_grade",
    "discussion_held",
    "child_contacted",
    "family_contacted",
    "views_recorded",
)
# Raised whenever what the audit counts keep changes (a field added to COUNTED_FIELDS): every month
# counted as an earlier version is rebuilt before it is read (FigureMonth.counts_version).
# 1: views_recorded.
COUNTS_VERSION = 1
AREA_GRADE_FIELDS = ("area", "grade")
BATCH = 5_000


# ---------------------------------------------------------------------------------------
# Periods as stored months and days left over


def in_months(months: list[date], prefix: str = "") -> Q:
    """Audits (through `prefix`) no longer drafts and completed in one of `months` (first days)."""
    days = (
        Q(**{f"{prefix}completed_day__gte": month, f"{prefix}completed_day__lte": month_end(month)}) for month in months
    )
    return submitted(prefix) & reduce(or_, days, Q(pk__in=[]))


def split(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The first and last whole months from `start` to `end` (None if none), and the days before and
    after them, as (first, last) ranges, both ends included."""
    first = start if start.day == 1 else next_month(start)
    last = month_start(end) if end == month_end(end) else add_months(month_start(end), -1)
    if first > last:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if month_end(last) < end:
        edges.append((next_month(last), end))
    return (first, last), edges


# ---------------------------------------------------------------------------------------
# Rebuilding


@dataclass(frozen=True)
class KeptCounts:
    """A table of counts kept month by month: its model (with a `month` field), the fields it counts
    by, its count field, the `FigureMonth` flag that marks its months stale, and its fresh rows for
    some months (dicts of the fields, `month` and the count), counted from the audits."""

    model: type[Model]
    fields: tuple[str, ...]
    count: str
    fresh: Callable[[list[date]], Iterable[dict]]
    label: str  # what is counted, plural: in the check's words
    flag: str = "is_stale"
    defined_by: str = ""  # a table whose every change makes every month stale under `flag`


def _fresh_counts(months: list[date]):
    return (
        Audit.objects.filter(in_months(months))
        .values(*COUNTED_FIELDS, month=TruncMonth("completed_day"))
        .annotate(audits=Count("pk"))
        .order_by()
    )


def _fresh_area_grades(months: list[date]):
    return (
        AreaGrade.objects.filter(in_months(months, "audit__"))
        .values(*AREA_GRADE_FIELDS, month=TruncMonth("audit__completed_day"))
        .annotate(area_grades=Count("pk"))
        .order_by()
    )


def _fresh_cases(months: list[date]) -> dict[date, int]:
    rows = (
        Audit.objects.filter(in_months(months))
        .values(month=TruncMonth("completed_day"))
        .annotate(cases=Count("case_reference", distinct=True))
        .order_by()
    )
    return {row["month"]: row["cases"] for row in rows}


# The tables kept; a higher layer adds its own with kept_counts_add() (quality.reports: the practice
# themes, whose phrases it owns), under a flag of its own so that changing a theme does not make
# every other count stale.
KEPT = [
    KeptCounts(AuditMonthCount, COUNTED_FIELDS, "audits", _fresh_counts, "audits"),
    KeptCounts(AreaGradeMonthCount, AREA_GRADE_FIELDS, "area_grades", _fresh_area_grades, "area grades"),
]
FLAGS = ("is_stale", "themes_stale")


def kept_counts_add(kept: KeptCounts) -> None:
    if kept.flag not in FLAGS:
        raise ValueError(f"{kept.flag!r} is not a FigureMonth flag: one of {FLAGS}")
    if all(existing.model is not kept.model for existing in KEPT):
        KEPT.append(kept)


def _rebuild(months: list[date], flag: str) -> None:
    for kept in KEPT:
        if kept.flag == flag:
            kept.model.objects.filter(month__in=months).delete()
            kept.model.objects.bulk_create((kept.model(**row) for row in kept.fresh(months)), BATCH)
    updated = [FigureMonth(month=month, **{flag: False}) for month in months]
    fields = [flag]
    if flag == "is_stale":
        cases = _fresh_cases(months)
        for month in updated:
            month.cases_audited = cases.get(month.month, 0)
            month.counts_version = COUNTS_VERSION
        fields += ["cases_audited", "counts_version"]
    FigureMonth.objects.bulk_update(updated, fields, batch_size=BATCH)


def refresh(flag: str = "is_stale") -> list[date]:
    """Rebuild from the audits the counts of the months `flag` marks stale; the months rebuilt.
    One query when none is stale. The months' rows are locked first: a writer that changes one of
    them meanwhile waits, then marks it stale again."""
    stale = FigureMonth.objects.filter(_stale(flag))
    if not stale.exists():
        return []
    with transaction.atomic():
        months = list(stale.select_for_update().values_list("month", flat=True))
        if months:
            _rebuild(months, flag)
    return months


def _stale(flag: str) -> Q:
    """Months whose counts under `flag` must be rebuilt: marked stale, or (the audits' counts) counted
    as an earlier COUNTS_VERSION."""
    marked = Q(**{flag: True})
    return marked | Q(counts_version__lt=COUNTS_VERSION) if flag == "is_stale" else marked


def is_fresh() -> bool:
    """No month of any table is stale (one query)."""
    return not FigureMonth.objects.filter(reduce(or_, (_stale(flag) for flag in FLAGS))).exists()


def refresh_all() -> None:
    """Rebuild every table's stale months."""
    for flag in FLAGS:
        refresh(flag)


def mark_stale(flag: str) -> None:
    """Every month's counts under `flag` to be rebuilt (a practice theme's phrases changed)."""
    FigureMonth.objects.update(**{flag: True})


def rebuild() -> list[date]:
    """Count every month with a completed audit afresh, every table."""
    days = Audit.objects.filter(submitted(), completed_day__isnull=False)
    months = set(days.dates("completed_day", "month")) | set(FigureMonth.objects.values_list("month", flat=True))
    FigureMonth.objects.bulk_create([FigureMonth(month=month) for month in months], ignore_conflicts=True)
    FigureMonth.objects.update(**{flag: True for flag in FLAGS})
    refresh_all()
    return sorted(months)


def differences() -> list[str]:
    """Each month whose stored counts differ from a fresh count of the audits, said in words."""
    refresh_all()
    months = sorted(
        set(FigureMonth.objects.values_list("month", flat=True))
        | set(Audit.objects.filter(submitted()).dates("completed_day", "month"))
    )
    found = []
    stored_cases = dict(FigureMonth.objects.values_list("month", "cases_audited"))
    fresh_cases = _fresh_cases(months) if months else {}
    for month in months:
        for kept in KEPT:
            stored = _as_counter(kept.model.objects.filter(month=month).values(*kept.fields, kept.count), kept.count)
            fresh = _as_counter(
                ({name: row[name] for name in (*kept.fields, kept.count)} for row in kept.fresh([month])), kept.count
            )
            if stored != fresh:
                found.append(f"{month:%Y-%m}: {sum(stored.values())} {kept.label} counted, {sum(fresh.values())} found")
        counted, found_now = stored_cases.get(month, 0), fresh_cases.get(month, 0)
        if counted != found_now:
            found.append(f"{month:%Y-%m}: {counted} cases counted, {found_now} found")
    return found


def _as_counter(rows, count: str) -> dict[tuple, int]:
    result = {}
    for row in rows:
        key = tuple(value for name, value in row.items() if name != count)
        result[key] = result.get(key, 0) + row[count]
    return {key: value for key, value in result.items() if value}


# ---------------------------------------------------------------------------------------
# Reading


def _summed(stored: str, conditions: dict[str, Q], when: Q | None = None) -> dict:
    """Per condition, the stored counts added up (0, not None, where none match)."""
    within = when if when is not None else Q()
    return {
        name: Coalesce(Sum(stored, filter=within & condition), 0, output_field=IntegerField())
        for name, condition in conditions.items()
    }


def counts(start: date, end: date, group_by: tuple[str, ...], conditions: dict[str, Q]) -> list[dict]:
    """The audits completed from `start` to `end` (both included), grouped by `group_by` (fields of
    COUNTED_FIELDS), each row with one count per condition (a Q over the audit's own fields) and
    `total`. A group may come in more than one row (stored months, then days left over): add them up."""
    refresh()
    conditions = {"total": Q(), **conditions}
    months, edges = split(start, end)
    rows = []
    if months:
        stored = AuditMonthCount.objects.filter(month__gte=months[0], month__lte=months[1])
        rows += stored.values(*group_by).annotate(**_summed("audits", conditions)).order_by()
    for first, last in edges:
        counted = Audit.objects.filter(completed_in(first, last))
        rows += counted.values(*group_by).annotate(**{name: Count("pk", filter=q) for name, q in conditions.items()})
    return [dict(row) for row in rows]


def area_grade_counts(spans: dict[str, tuple[date, date]]) -> dict[tuple[str, str, str], int]:
    """For each span (a key and its first and last day), the area grades of the audits completed in
    it: {(area, key, grade): count}. One query over the stored months, and one over the days left over."""
    refresh()
    parts = {key: split(*span) for key, span in spans.items()}
    found: dict[tuple[str, str, str], int] = {}

    def add(rows):
        for row in rows:
            for key in spans:
                if row.get(key):
                    found[(row["area"], key, row["grade"])] = found.get((row["area"], key, row["grade"]), 0) + row[key]

    stored = {key: Q(month__gte=m[0], month__lte=m[1]) for key, (m, _) in parts.items() if m}
    if stored:
        add(
            AreaGradeMonthCount.objects.filter(reduce(or_, stored.values()))
            .values(*AREA_GRADE_FIELDS)
            .annotate(**_summed("area_grades", stored))
            .order_by()
        )
    left_over = {}
    for key, (_, edges) in parts.items():
        for first, last in edges:
            left_over[key] = left_over.get(key, Q()) | completed_in(first, last, "audit__")
    if left_over:
        add(
            AreaGrade.objects.filter(reduce(or_, left_over.values()))
            .values(*AREA_GRADE_FIELDS)
            .annotate(**{key: Count("pk", filter=condition) for key, condition in left_over.items()})
            .order_by()
        )
    return found


def counts_by_month(first: date, last: date, conditions: dict[str, Q]) -> dict[date, dict]:
    """Per month from `first` to `last` (first days) with a completed audit: one count per condition
    and `total`, and `cases_audited` (distinct case references). One query over the stored months."""
    refresh()
    conditions = {"total": Q(), **conditions}
    rows = (
        AuditMonthCount.objects.filter(month__gte=first, month__lte=last)
        .values("month")
        .annotate(**_summed("audits", conditions))
        .order_by()
    )
    cases = dict(FigureMonth.objects.filter(month__gte=first, month__lte=last).values_list("month", "cases_audited"))
    return {row["month"]: {**row, "cases_audited": cases.get(row["month"], 0)} for row in rows}


# ---------------------------------------------------------------------------------------
# The triggers that mark months stale

_AUDITS, _MONTHS = "audits_audit", "audits_figuremonth"
# Tables whose rows belong to an audit (`audit_id`) and are counted: area grades, and the answers
# whose narratives the practice themes match.
_OF_AN_AUDIT = ("audits_areagrade", "audits_answer")
_OPERATIONS = {"INSERT": ("new_rows",), "UPDATE": ("old_rows", "new_rows"), "DELETE": ("old_rows",)}
TRIGGER_PREFIX = "figure_months_stale"


def _days_sql(table: str, rows: str) -> str:
    """The completion days of the audits `rows` (a transition table or NEW/OLD) are or belong to."""
    if table == _AUDITS:
        return f"SELECT completed_day AS day FROM {rows}"
    return f"SELECT a.completed_day AS day FROM {rows} r JOIN {_AUDITS} a ON a.id = r.audit_id"


def _postgresql_statements() -> list[str]:
    statements = []
    for table in (_AUDITS, *_OF_AN_AUDIT):
        for operation, transition in _OPERATIONS.items():
            name = f"{TRIGGER_PREFIX}_{table}_{operation.lower()}"
            days = " UNION ALL ".join(_days_sql(table, rows) for rows in transition)
            referencing = " ".join(f"{rows.split('_')[0].upper()} TABLE AS {rows}" for rows in transition)
            statements += [
                f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO {_MONTHS} (month, is_stale, themes_stale, cases_audited)
                    SELECT DISTINCT date_trunc('month', day)::date, true, true, 0 FROM ({days}) AS changed
                    WHERE day IS NOT NULL
                    ON CONFLICT (month) DO UPDATE SET is_stale = true, themes_stale = true
                    WHERE NOT ({_MONTHS}.is_stale AND {_MONTHS}.themes_stale);
                    RETURN NULL;
                END $$""",
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {operation} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            ]
    for table, flag in _definitions():
        name = f"{TRIGGER_PREFIX}_{table}"
        statements += [
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE {_MONTHS} SET {flag} = true WHERE NOT {flag};
                RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _definitions() -> list[tuple[str, str]]:
    """The tables that define what a kept table counts (a practice theme's phrases), with its flag."""
    return [(kept.defined_by, kept.flag) for kept in KEPT if kept.defined_by]


def _sqlite_statements() -> list[str]:
    statements = []
    for table in (_AUDITS, *_OF_AN_AUDIT):
        for operation, transition in _OPERATIONS.items():
            name = f"{TRIGGER_PREFIX}_{table}_{operation.lower()}"
            rows = [("NEW" if rows == "new_rows" else "OLD") for rows in transition]
            if table == _AUDITS:
                days = " UNION ALL ".join(f"SELECT {row}.completed_day AS day" for row in rows)
            else:
                days = " UNION ALL ".join(
                    f"SELECT completed_day AS day FROM {_AUDITS} WHERE id = {row}.audit_id" for row in rows
                )
            months = f"SELECT date(day, 'start of month') AS month FROM ({days}) WHERE day IS NOT NULL"
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" AFTER {operation} ON "{table}" BEGIN '
                f"INSERT OR IGNORE INTO {_MONTHS} (month, is_stale, themes_stale, cases_audited) "
                f"SELECT month, 1, 1, 0 FROM ({months}); "
                f"UPDATE {_MONTHS} SET is_stale = 1, themes_stale = 1 WHERE month IN ({months}); END",
            ]
    for table, flag in _definitions():
        for operation in _OPERATIONS:
            name = f"{TRIGGER_PREFIX}_{table}_{operation.lower()}"
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" AFTER {operation} ON "{table}" BEGIN UPDATE {_MONTHS} SET {flag} = 1; END',
            ]
    return statements


def install_triggers(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: the triggers that mark months stale, on whichever database this is."""
    target = connections[using]
    tables = set(target.introspection.table_names())
    if _MONTHS not in tables or any(table not in tables for table, _ in _definitions()):
        return
    statements = _postgresql_statements() if target.vendor == "postgresql" else _sqlite_statements()
    with target.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
