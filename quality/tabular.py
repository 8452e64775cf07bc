"""Reading spreadsheet uploads (CSV or XLSX) for the imports, with every problem tied to a row.

Every import in the portal (the case list, the audit history, later the KPI values) follows the
same rules: read the whole file, check every row, and if any row is wrong refuse the whole file
with a list of (row number, column, reason), saving nothing. This module does the reading and the
shared parsing of cells; each import checks its own columns.

Row numbers are the ones a person sees in Excel: the header is row 1, the first data row is 2.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

MAX_ROWS = 200_000  # a case list is ~20,000 rows; anything far bigger is the wrong file
HEADER_ROW = 1


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


def read_sheet(content: bytes, file_name: str, *, required: Iterable[str], optional: Iterable[str] = ()) -> Sheet:
    """Read a CSV or XLSX file. Refuses it (ImportRefused) if it cannot be read, if a required
    column is missing, or if it has a column nobody asked for (probably a misspelling)."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx":
        table = _xlsx_table(content)
    elif suffix in (".csv", ".txt"):
        table = _csv_table(content)
    else:
        raise ImportRefused([RowError(0, "", "the file must be a CSV (.csv) or an Excel workbook (.xlsx)")])
    if not table:
        raise ImportRefused([RowError(0, "", "the file is empty")])
    header = [cell.strip().lower() for cell in table[0]]
    required, known = list(required), set(required) | set(optional)
    errors = [RowError(HEADER_ROW, name, "this column is missing") for name in required if name not in header]
    errors += [
        RowError(HEADER_ROW, name, "unknown column (the columns are: " + ", ".join([*required, *optional]) + ")")
        for name in header
        if name and name not in known
    ]
    if len(set(header)) != len(header):
        errors.append(RowError(HEADER_ROW, "", "a column appears twice"))
    if len(table) - 1 > MAX_ROWS:
        errors.append(RowError(0, "", f"the file has more than {MAX_ROWS:,} rows"))
    if errors:
        raise ImportRefused(errors)
    sheet = Sheet(columns=header)
    for number, cells in zip(table.row_numbers[1:], table[1:], strict=True):
        padded = [*cells, *[""] * (len(header) - len(cells))]
        sheet.rows.append((number, {name: padded[i].strip() for i, name in enumerate(header) if name}))
    return sheet


class _Table(list):
    """A list of rows that remembers each row's number in the original file (blank rows skipped)."""

    row_numbers: list[int]


def _numbered(rows: Iterable[list[str]]) -> _Table:
    table = _Table()
    table.row_numbers = []
    for number, row in enumerate(rows, start=1):
        if any(cell.strip() for cell in row):
            table.append(row)
            table.row_numbers.append(number)
    return table


def _csv_table(content: bytes) -> _Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")  # Excel's "CSV" on Windows
        except UnicodeDecodeError as error:
            raise ImportRefused([RowError(0, "", "the file is not readable text (save it as CSV UTF-8)")]) from error
    try:
        return _numbered(csv.reader(io.StringIO(text)))
    except csv.Error as error:  # e.g. a field longer than the csv module allows, or a NUL byte
        raise ImportRefused([RowError(0, "", f"the file is not a readable CSV file ({error})")]) from error


def _xlsx_table(content: bytes) -> _Table:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise ImportRefused([RowError(0, "", "the file is not a readable Excel workbook (.xlsx)")]) from error
    try:
        sheet = workbook.worksheets[0]
        return _numbered([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


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
