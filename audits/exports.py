"""CSV and XLSX files of what an audit list shows, and CSV of the voices of children and families.

A builder turns a filtered queryset into rows (the header first, then one list of values per
audit) in one query: the seven area grades are subqueries of that query, not a query per row, and
rows are read in chunks from a server-side cursor, so a large export streams with flat memory. The
writers (quality/spreadsheets.py) then turn the rows into a file; views only choose the queryset and the
file name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from quality.access import GRADES_HIDDEN
from quality.spreadsheets import Row

from .models import AnalysisArea, AreaGrade, Audit, Grade
from .selectors import HIDDEN_GRADE, shown_grade

CHUNK = 2000  # rows fetched from the database at a time
_KIND = dict(Audit.Kind.choices)
_STATE = dict(Audit.State.choices)
_GRADE = {**dict(Grade.choices), HIDDEN_GRADE: GRADES_HIDDEN}
_YES_NO = {True: "Yes", False: "No", None: ""}


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


# (header, key of the values() row, how to show the value)
AUDIT_COLUMNS = [
    ("Case reference", "case_reference", str),
    ("Service area", "area_name", str),
    ("Team", "team__name", lambda name: name or ""),
    ("Kind", "kind", _KIND.get),
    ("Theme", "theme", str),
    ("Auditor", "auditor__full_name", str),
    ("State", "state", _STATE.get),
    ("Overall grade", "shown_grade", lambda grade: _GRADE.get(grade, "")),
    ("Due date", "due_on", lambda day: day),
    ("Submitted date", "submitted_at", _day),
    *((area.label, f"grade_{area.value}", lambda grade: _GRADE.get(grade, "")) for area in AnalysisArea),
    ("Discussion held", "discussion_held", _YES_NO.get),
    ("Child contacted", "child_contacted", _YES_NO.get),
    ("Family contacted", "family_contacted", _YES_NO.get),
]

VOICES_COLUMNS = [
    ("Case reference", "case_reference", str),
    ("Service area", "area_name", str),
    ("Date", "dated", _day),
    ("What the child and family said", "child_family_views", str),
]


def _rows(values: QuerySet, columns) -> Iterator[Row]:
    yield [header for header, _, _ in columns]
    for record in values.iterator(chunk_size=CHUNK):
        yield [show(record[key]) for _, key, show in columns]


def audit_rows(audits: QuerySet[Audit], *, user) -> Iterator[Row]:
    """The list's columns, the seven area grades, and whether the discussion and contacts happened.
    `audits` come from audits_listed (with `shown_grade`); the area grades are hidden alike from `user`."""
    grades = {
        f"grade_{area}": shown_grade(
            user, Subquery(AreaGrade.objects.filter(audit=OuterRef("pk"), area=area).values("grade")[:1])
        )
        for area in AnalysisArea.values
    }
    return _rows(audits.annotate(**grades).values(*(key for _, key, _ in AUDIT_COLUMNS)), AUDIT_COLUMNS)


def voice_rows(audits: QuerySet[Audit]) -> Iterator[Row]:
    return _rows(audits.values(*(key for _, key, _ in VOICES_COLUMNS)), VOICES_COLUMNS)
