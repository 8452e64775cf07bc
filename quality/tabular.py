"""Reading spreadsheet uploads (CSV or XLSX) for the imports, with every problem tied to a row.

Every import in the portal (the case list, the audit history, later the KPI values) follows the
same rules: read the whole file, check every row, and if any row is wrong refuse the whole file
with a list of (row number, column, reason), saving nothing. This module does the reading and the
shared parsing of cells; each import checks its own columns.

Row numbers are the ones a person sees in Excel: the header is row 1, the first data row is 2.

A file is read a row at a time and refused at the first row, column or cell past its cap, and an
XLSX file (a zip) as soon as its directory says it would unpack to too much, so a hostile file
costs no more than a legitimate one at the caps (docs/security.md, "Uploads").
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

HEADER_ROW = 1
# Why a file is refused whole. The caps are settings (quality/settings/base.py, docs/security.md).
TOO_MANY_ROWS = "the file has more than {:,} rows"
TOO_MANY_COLUMNS = "more than {:,} columns"
CELL_TOO_LONG = "a cell is longer than {:,} characters"
LINE_TOO_LONG = "a line is longer than {:,} characters"
CSV_NOT_TEXT = "the file is not readable text (save it as CSV UTF-8)"
XLSX_UNREADABLE = "the file is not a readable Excel workbook (.xlsx)"
XLSX_TOO_BIG = "the workbook unpacks to more than {:,} MB: a real one is much smaller"
NUL_IN_CELL = "a cell holds a NUL character (the file is probably not a spreadsheet saved as text)"
FILE_TYPE_INVALID = "Choose a CSV (.csv) or Excel (.xlsx) file."
FILE_TOO_LARGE = "The file is larger than {size}: {what} is much smaller."


@dataclass(frozen=True)
class RowError:
    row: int  # as numbered in the spreadsheet (header = 1); 0 for a problem with the whole file
    column: str  # the column's header, or "" for the whole row / file
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


class ImportRefused(Exception):
    """The file was refused and nothing was saved; `errors` says why, row by row."""

    def __init__(self, errors: Iterable[RowError]):
        self.errors = sorted(errors, key=lambda error: (error.row, error.column))
        super().__init__(f"{len(self.errors)} problem(s) in the file; nothing was imported")


@dataclass
class Sheet:
    """The rows of a file as dicts keyed by lower-case header, each with its spreadsheet row number."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def checked_upload(upload, *, what: str):
    """An upload form's file, if it is a CSV or XLSX within MAX_UPLOAD_BYTES; `what` names the kind of
    file a person would upload ("a case list"), for the message when it is too large."""
    if Path(upload.name).suffix.lower() not in (".csv", ".xlsx"):
        raise forms.ValidationError(FILE_TYPE_INVALID)
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise forms.ValidationError(FILE_TOO_LARGE.format(size=filesizeformat(settings.MAX_UPLOAD_BYTES), what=what))
    return upload


def read_sheet(content: bytes, file_name: str, *, required: Iterable[str], optional: Iterable[str] = ()) -> Sheet:
    """Read a CSV or XLSX file. Refuses it (ImportRefused) if it cannot be read, if a required
    column is missing, or if it has a column nobody asked for (probably a misspelling).

    The header is checked as soon as it is read, before the rows under it."""
    header, rows = open_sheet(content, file_name, required=required, optional=optional)
    with closing(rows):
        return Sheet(columns=header, rows=list(rows))


def open_sheet(
    content: bytes, file_name: str, *, required: Iterable[str], optional: Iterable[str] = ()
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """read_sheet's checked header, and its rows as they are read (close the iterator when done with
    it): an import that checks a row at a time holds one row's cells, not the whole file's."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(content)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(content)
    else:
        raise ImportRefused([RowError(0, "", "the file must be a CSV (.csv) or an Excel workbook (.xlsx)")])
    numbered = _numbered(rows)
    try:
        first = next(numbered, None)
        if first is None:
            raise ImportRefused([RowError(0, "", "the file is empty")])
        header = _checked_header(first[1], list(required), list(optional))
    except BaseException:
        numbered.close()
        raise
    return header, _cells(numbered, header)


def _cells(numbered: Iterator[tuple[int, list[str]]], header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    width = len(header)
    named = [(i, name) for i, name in enumerate(header) if name]
    every_column_named = len(named) == width  # the usual case: zipped, with no Python loop per cell
    with closing(numbered):
        for number, cells in numbered:
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            if every_column_named:
                yield number, dict(zip(header, map(str.strip, cells), strict=False))  # cells past the header: dropped
            else:
                yield number, {name: cells[i].strip() for i, name in named}


def _checked_header(cells: list[str], required: list[str], optional: list[str]) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    known = set(required) | set(optional)
    errors = [RowError(HEADER_ROW, name, "this column is missing") for name in required if name not in header]
    errors += [
        RowError(HEADER_ROW, name, "unknown column (the columns are: " + ", ".join([*required, *optional]) + ")")
        for name in header
        if name and name not in known
    ]
    if len(set(header)) != len(header):
        errors.append(RowError(HEADER_ROW, "", "a column appears twice"))
    if errors:
        raise ImportRefused(errors)
    return header


def _numbered(rows: Iterable[Sequence[str]]) -> Iterator[tuple[int, list[str]]]:
    """The rows that are not blank, each with its number in the file, taken one at a time: reading
    stops at the first one past a cap (settings IMPORT_MAX_ROWS, _COLUMNS and _CELL_CHARS)."""
    max_rows, max_columns, max_cell = (
        settings.IMPORT_MAX_ROWS,
        settings.IMPORT_MAX_COLUMNS,
        settings.IMPORT_MAX_CELL_CHARS,
    )
    for number, row in enumerate(rows, start=1):
        if number > HEADER_ROW + max_rows:
            raise ImportRefused([RowError(0, "", TOO_MANY_ROWS.format(max_rows))])
        row = _without_trailing_blanks(row)
        if len(row) > max_columns:
            raise ImportRefused([RowError(number, "", TOO_MANY_COLUMNS.format(max_columns))])
        if row and max(map(len, row)) > max_cell:
            raise ImportRefused([RowError(number, "", CELL_TOO_LONG.format(max_cell))])
        text = "".join(row)  # the row's cells checked at once: imports read up to 50,000 rows
        if "\x00" in text:  # the database keeps no NUL in text
            raise ImportRefused([RowError(number, "", NUL_IN_CELL)])
        if text.strip():
            yield number, row


def _without_trailing_blanks(row: Sequence[str]) -> list[str]:
    # Spreadsheets often carry empty cells past the last column (trailing commas, formatted cells).
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return list(row[:end])


class _LineTooLong(Exception):
    pass


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    """The CSV's rows, decoded and parsed as they are asked for: nothing past the last row taken is read."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding=_csv_encoding(content), newline="")
    number = 0  # rows given so far, to name the one a refused line belongs to
    try:
        for row in csv.reader(_lines(stream)):
            number += 1
            yield row
    except _LineTooLong:
        raise ImportRefused([RowError(number + 1, "", LINE_TOO_LONG.format(settings.IMPORT_MAX_LINE_CHARS))]) from None
    except UnicodeDecodeError as error:
        raise ImportRefused([RowError(0, "", CSV_NOT_TEXT)]) from error
    except csv.Error as error:  # e.g. a quoted cell longer than the csv module allows, or a NUL byte
        raise ImportRefused([RowError(0, "", f"the file is not a readable CSV file ({error})")]) from error


def _csv_encoding(content: bytes) -> str:
    """UTF-8 if the whole file is UTF-8, else cp1252 (Excel's "CSV" on Windows). Checked a block at a
    time, so the file is not copied whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(view), _BLOCK):
            decoder.decode(view[start : start + _BLOCK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


_BLOCK = 1024 * 1024


def _lines(stream: io.TextIOWrapper) -> Iterator[str]:
    # A line is read no further than its cap: one line of millions of cells would be millions of strings.
    limit = settings.IMPORT_MAX_LINE_CHARS
    while line := stream.readline(limit + 2):
        if len(line.rstrip("\r\n")) > limit:
            raise _LineTooLong
        yield line


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    _check_unpacked_size(content)
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise ImportRefused([RowError(0, "", XLSX_UNREADABLE)]) from error
    try:
        sheet = workbook.worksheets[0]
        _check_declared_size(sheet)
        # Past the check, each row is read as wide and the sheet as long as they are: a declared
        # size that understates them would have openpyxl parse the cells beyond it and drop them.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    except ImportRefused:
        raise
    except Exception as error:  # a part damaged past the first rows shows only when it is read
        raise ImportRefused([RowError(0, "", XLSX_UNREADABLE)]) from error
    finally:
        workbook.close()


def _check_unpacked_size(content: bytes) -> None:
    """Refuses a workbook that would unpack to too much (a zip bomb) from the zip's directory alone.
    The sizes it declares hold: zipfile never unpacks a part past its declared size."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportRefused([RowError(0, "", XLSX_UNREADABLE)]) from error
    cap = settings.XLSX_MAX_UNPACKED_BYTES
    ratio, checked_from = settings.XLSX_MAX_COMPRESSION_RATIO, settings.XLSX_RATIO_CHECKED_FROM_BYTES
    too_packed = any(p.file_size > max(checked_from, ratio * p.compress_size) for p in parts)
    if too_packed or sum(part.file_size for part in parts) > cap:
        raise ImportRefused([RowError(0, "", XLSX_TOO_BIG.format(cap // (1024 * 1024)))])


def _check_declared_size(sheet) -> None:
    # The sheet's own statement of its size (<dimension>), when it has one: refused before reading.
    if (sheet.max_row or 0) > HEADER_ROW + settings.IMPORT_MAX_ROWS:
        raise ImportRefused([RowError(0, "", TOO_MANY_ROWS.format(settings.IMPORT_MAX_ROWS))])
    if (sheet.max_column or 0) > settings.IMPORT_MAX_COLUMNS:
        raise ImportRefused([RowError(HEADER_ROW, "", TOO_MANY_COLUMNS.format(settings.IMPORT_MAX_COLUMNS))])


def _cell_text(value) -> str:
    """Excel cells as the text a person would type: dates as ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Shared cell parsers: each returns the value, or raises ValueError with a reason a person can act on.

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> date:
    """ISO (2023-01-31) or UK day-first (31/01/2023)."""
    text = text.strip()
    match = _DMY.match(text)
    iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])", text)
    if not match and not iso:
        raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
    day, month, year = (int(part) for part in match.groups()) if match else reversed([int(p) for p in iso.groups()])
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ValueError(f"'{text}' is not a real date (use YYYY-MM-DD or DD/MM/YYYY)") from error


def parse_month(text: str) -> date:
    """'2023-11' as the first day of that month."""
    match = re.match(r"^(\d{4})-(\d{2})$", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"'{text}' is not a month (use YYYY-MM)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_yes_no(text: str) -> bool | None:
    """'yes' / 'no' (y/n, true/false) or blank for not recorded."""
    value = text.strip().lower()
    if value == "":
        return None
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise ValueError(f"'{text}' must be yes, no or blank")


def errors_as_text(errors: Iterable[RowError]) -> str:
    return "\n".join(str(error) for error in errors)


class ImportCommand(BaseCommand):
    """The command-line face of an import: `FILE [--dry-run]` plus the import's own options.

    A subclass says what it loads (`file_help`), runs its service in `run_import` and may word the
    outcome in `report`. A refused file prints every problem (row, column, reason) on stderr, saves
    nothing and exits with status 1 (CommandError).
    """

    file_help = "The file, as .csv or .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; save nothing.")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            result = self.run_import(content=content, file_name=path.name, dry_run=dry_run, **options)
        except ImportRefused as refused:
            self.stderr.write(errors_as_text(refused.errors))
            raise CommandError(str(refused)) from None
        self.report(result, dry_run=dry_run)

    def run_import(self, *, content: bytes, file_name: str, dry_run: bool, **options):
        raise NotImplementedError

    def report(self, result, *, dry_run: bool) -> None:
        prefix = "Dry run, nothing saved: " if dry_run else "Imported: "
        self.stdout.write(self.style.SUCCESS(prefix + str(result)))


ERRORS_SHOWN = 1000  # a wholly wrong file can have a problem on every row: the first ones are enough


def errors_context(errors: list[RowError] | None) -> dict:
    """What templates/includes/import_errors.html needs to show a refused file's problems."""
    errors = errors or []
    return {
        "errors": errors[:ERRORS_SHOWN] or None,
        "errors_count": len(errors),
        "errors_hidden": max(len(errors) - ERRORS_SHOWN, 0),
    }
