"""The record of who saw which child's record: `record_access(request, Kind.X, obj)` from the views that
show or hand over a record (an audit, its print page and PDF, a learning action, an escalation, a report
download), and `record_export(request, list_name, rows=...)` from every list export.

One insert per request at most, and never the reason a page fails: the insert runs in its own
savepoint, so a database error rolls back only the record (the request's own transaction goes on), and
is logged as a warning with ids and codes only (no name, no case reference).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.db.models import Model, QuerySet

from quality.pagination import filter_query

from .models import AccessRecord

__all__ = ["Kind", "record_access", "record_export", "seen"]

Kind = AccessRecord.Kind

logger = logging.getLogger("quality.security")

LIST = "list"  # object_type of an export: a list, not one record
AUDIT = "audits.audit"  # object_type of an audit (its model label): the search by audit number
FILTERS_MAX = AccessRecord._meta.get_field("filters").max_length
SEEN_ON_PAGE = 20  # "Who has seen this audit" shows the latest few; the search shows them all


def _case_reference_of(obj: Model | None) -> str:
    return getattr(obj, "case_reference", "") if obj is not None else ""


def record_access(
    request,
    kind: str,
    obj: Model | None = None,
    *,
    case_reference: str | None = None,
    list_name: str = "",
    filters: str = "",
    row_count: int | None = None,
) -> None:
    """Record that the signed-in person did `kind` to `obj` (its case reference taken from it unless
    given). A second call in the same request records nothing."""
    if getattr(request, "_access_recorded", False):
        return
    request._access_recorded = True
    record = AccessRecord(
        user=request.user,
        kind=Kind(kind),
        object_type=obj._meta.label_lower if obj is not None else LIST,
        object_id=obj.pk if obj is not None else None,
        case_reference=_case_reference_of(obj) if case_reference is None else case_reference,
        list_name=list_name,
        filters=filters[:FILTERS_MAX],
        row_count=row_count,
    )
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except DatabaseError as error:
        # The error's class only: PostgreSQL's message can quote the failing row, case reference and all.
        logger.warning(
            "access_record_failed kind=%s object_type=%s object_id=%s user=%s error=%s",
            record.kind,
            record.object_type,
            record.object_id,
            request.user.pk,
            type(error).__name__,
        )


def record_export(request, list_name: str, *, rows: QuerySet | int, filters: str | None = None) -> None:
    """Record a list export: which list, its filters (the query string's, unless given), and how many
    rows it holds (a queryset is counted; a list built in memory passes its length)."""
    if filters is None:
        filters = filter_query(request)
    row_count = rows if isinstance(rows, int) else rows.count()
    record_access(request, Kind.LIST_EXPORTED, list_name=list_name, filters=filters, row_count=row_count)


def seen(obj: Model, *, limit: int = SEEN_ON_PAGE) -> list[AccessRecord]:
    """The latest accesses to one record, with who (one query)."""
    records = AccessRecord.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk)
    return list(records.select_related("user__person")[:limit])
