"""Spreadsheet files people download: CSV (streamed a line at a time) and XLSX (written row by row).

Every cell of text the portal writes to a spreadsheet, here or in another export's own writer
(the scorecard, the moderation summary, a report's workbook), goes through `spreadsheet_text`, so
every file neutralises formulas by the same rule. Builders elsewhere turn a queryset into rows
(the header first, then a list of values per row); views choose the rows and the file name.
"""

from __future__ import annotations

import csv
import re
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
# A negative figure as a page shows it: "-5", "-1,343", "-2.5%", "-5.0% (3/60)". With no letter in
# it, it can name no function, cell or program, so it cannot run anything: it is left as shown.
SHOWN_NEGATIVE_FIGURE = re.compile(r"-[0-9,.]+%?( \([0-9,./-]+\))?")


Row = list[str | date | None]


def spreadsheet_text(value: str) -> str:
    """`value` as a cell of text that a spreadsheet shows and never runs: free text starting with
    =, +, -, @, a tab or a carriage return gets a leading apostrophe, except a negative figure as
    shown (SHOWN_NEGATIVE_FIGURE). Control characters a workbook cannot hold are dropped first, so
    the rule sees the text as the cell will hold it. Numbers and dates are written as themselves
    (never as text), so they never come here."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_STARTS) and not SHOWN_NEGATIVE_FIGURE.fullmatch(value):
        return f"'{value}"
    return value


class _Echo:
    """A file that hands back what is written, so csv.writer makes one line at a time."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the byte-order mark tells Excel the file is UTF-8
    for row in rows:
        yield writer.writerow(
            [value.strftime("%d/%m/%Y") if isinstance(value, date) else spreadsheet_text(value or "") for value in row]
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
        written = WriteOnlyCell(sheet, value=spreadsheet_text(value or ""))
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
