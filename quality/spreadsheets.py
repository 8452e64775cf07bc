"""Spreadsheet files people download: CSV (streamed a line at a time) and XLSX (written row by row).

Every export in the portal goes through these writers, so every one neutralises formulas the same
way: a cell of free text starting with =, +, -, @ or a control character is written with a leading
apostrophe, so a spreadsheet shows it and never runs it. Builders elsewhere turn a queryset into rows
(the header first, then a list of values per row); views choose the rows and the file name.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell starting with one of these as a formula; free text (a theme, what a
# child said) must never do that, so such a value is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


Row = list[str | date | None]


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
