"""CSV and XLSX files of what an audit list shows, and CSV of the voices of children and families.

A builder turns a filtered queryset into rows (the header first, then one list of values per
audit) in one query: the seven area grades are subqueries of that query, not a query per row, and
rows are read in chunks from a server-side cursor, so a large export streams with flat memory. The
writers then turn the rows into a file; views only choose the queryset and the file name.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from quality.access import GRADES_HIDDEN

from .models import AnalysisArea, AreaGrade, Audit, Grade
from .selectors import HIDDEN_GRADE, shown_grade

CHUNK = 2000  # rows fetched from the database at a time
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell starting with one of these as a formula; free text (a theme, what a
# child said) must never do that, so such a value is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_KIND = dict(Audit.Kind.choices)
_STATE = dict(Audit.State.choices)
_GRADE = {**dict(Grade.choices), HIDDEN_GRADE: GRADES_HIDDEN}
_YES_NO = {True: "Yes", False: "No", None: ""}

Row = list[str | date | None]


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


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """A file that hands back what is written, so csv.writer makes one line at a time."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the byte-order mark tells Excel the file is UTF-8
    for row in rows:
        yield writer.writerow(
            [value.strftime("%d/%m/%Y") if isinstance(value, date) else _text(value or "") for value in row]
        )


def xlsx_file(rows: Iterable[Row], title: str):
    """A workbook of one sheet, written row by row (openpyxl's write-only mode) to a temporary file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    rows = iter(rows)
    bold = Font(bold=True)

    def cell(value, font=None):
        if isinstance(value, date):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "DD/MM/YYYY"
            return written
        written = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", _text(value or "")))
        if font:
            written.font = font
        return written

    sheet.append([cell(header, bold) for header in next(rows)])
    for row in rows:
        sheet.append([cell(value) for value in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it once sent
    workbook.save(out)
    out.seek(0)
    return out


def _filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_response(rows: Iterable[Row], stem: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, "csv")}"'
    return response


def xlsx_response(rows: Iterable[Row], stem: str, title: str) -> FileResponse:
    return FileResponse(
        xlsx_file(rows, title), as_attachment=True, filename=_filename(stem, "xlsx"), content_type=XLSX_TYPE
    )
