"""The month's scorecard as files: CSV, XLSX and JSON, one row per indicator (council-wide).

Built from `performance.scorecard.scorecard()`, so the download on the page and the output of
`manage.py export_scorecard` are the same for the same month, and every figure is the one the page
shows. Numbers are unrounded (as loaded) or, when computed (a change, a 12-month average), to 4
decimal places; `rag` is green, amber, red or empty; `data_quality` is empty or what does not add up.
`change_prev_month_pct` and `change_prev_year_pct` are relative changes in per cent, for every unit,
as issue 6 defined them. The last three columns give the changes as the page and the pack measure
them (performance.calculations.change): `change_measure` says how, "percentage points" for a
percentage, "relative %" for a count or rate.

The JSON holds the same rows under "indicators", and the quality-assurance section computed from
the audits under "quality_assurance" (it is not an indicator, so the CSV leaves it out).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from quality.spreadsheets import XLSX_TYPE, spreadsheet_text

from . import calculations
from .scorecard import Row, Scorecard

COLUMNS = (
    "code",
    "title",
    "priority_area",
    "unit",
    "period",
    "value",
    "numerator",
    "denominator",
    "display",
    "target",
    "rag",
    "change_prev_month_pct",
    "change_prev_year_pct",
    "avg_12m",
    "min_12m",
    "max_12m",
    "previous_year",
    "statistical_neighbours",
    "south_east",
    "england",
    "data_quality",
    # Added after issue 6's columns, so a reader by position or by name still finds those.
    "change_prev_month",
    "change_prev_year",
    "change_measure",
)
TEXT_COLUMNS = frozenset(
    {"code", "title", "priority_area", "unit", "period", "display", "rag", "change_measure", "data_quality"}
)
COMPUTED_PLACES = Decimal("0.0001")


def _number(value: Decimal | None, *, computed: bool = False) -> Decimal | None:
    if value is None:
        return None
    if computed and value.as_tuple().exponent < -4:
        value = value.quantize(COMPUTED_PLACES)
    return value


def _amount(change: calculations.Change | None) -> Decimal | None:
    return change.amount if change is not None else None


def _relative_pct(change: calculations.Change | None) -> Decimal | None:
    return change.relative_pct if change is not None else None


def indicator_record(row: Row, period: date) -> dict[str, str | Decimal | None]:
    """One indicator's figures for the month, keyed by COLUMNS (numbers as Decimal, None when empty)."""
    indicator, current = row.indicator, row.current
    comparators = {comparator.key: comparator.value for comparator in row.comparators}
    return {
        "code": indicator.code,
        "title": indicator.title,
        "priority_area": indicator.priority_area,
        "unit": indicator.unit,
        "period": f"{period:%Y-%m}",
        "value": _number(current.value),
        "numerator": _number(current.numerator),
        "denominator": _number(current.denominator),
        "display": current.display if current.loaded else "",
        "target": _number(row.target),
        "rag": current.rag or "",
        "change_prev_month_pct": _number(_relative_pct(row.change_prev_month), computed=True),
        "change_prev_year_pct": _number(_relative_pct(row.change_prev_year), computed=True),
        "avg_12m": _number(row.avg_12m, computed=True),
        "min_12m": _number(row.min_12m),
        "max_12m": _number(row.max_12m),
        "previous_year": _number(comparators["previous_year"]),
        "statistical_neighbours": _number(comparators["statistical_neighbours"]),
        "south_east": _number(comparators["south_east"]),
        "england": _number(comparators["england"]),
        "data_quality": current.data_quality,
        "change_prev_month": _number(_amount(row.change_prev_month), computed=True),
        "change_prev_year": _number(_amount(row.change_prev_year), computed=True),
        "change_measure": calculations.change_measure(indicator.unit),
    }


def records(card: Scorecard) -> list[dict]:
    return [indicator_record(row, card.period) for row in card.rows]


def _plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 79.279279, 1343, 0.5."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _csv_value(key: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _plain(value)
    return spreadsheet_text(value) if key in TEXT_COLUMNS else str(value)


def scorecard_csv(card: Scorecard) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in records(card):
        writer.writerow([_csv_value(key, record[key]) for key in COLUMNS])
    return out.getvalue()


def _xlsx_value(key: str, value):
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return None
    return spreadsheet_text(value) if key in TEXT_COLUMNS else value


def scorecard_xlsx(card: Scorecard) -> bytes:
    """A workbook of one sheet: the CSV's rows, numbers as numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"Scorecard {card.period:%Y-%m}")
    bold = Font(bold=True)
    header = []
    for key in COLUMNS:
        cell = WriteOnlyCell(sheet, value=key)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for record in records(card):
        sheet.append([_xlsx_value(key, record[key]) for key in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


def scorecard_json(card: Scorecard) -> str:
    quality = card.quality
    document = {
        "period": f"{card.period:%Y-%m}",
        "locked": card.lock is not None,
        "indicators": [{key: _json_value(value) for key, value in record.items()} for record in records(card)],
        "quality_assurance": {
            "note": quality.note,
            "months": [
                {
                    "period": f"{cell.period:%Y-%m}",
                    **{row.key: _json_value(_number(row.cells[index].value, computed=True)) for row in quality.rows},
                }
                for index, cell in enumerate(quality.rows[0].cells)
            ],
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FORMATS = {
    "csv": ("text/csv; charset=utf-8", lambda card: scorecard_csv(card).encode("utf-8")),
    "xlsx": (XLSX_TYPE, scorecard_xlsx),
    "json": ("application/json", lambda card: scorecard_json(card).encode("utf-8")),
}


def file_name(period: date, file_format: str) -> str:
    return f"scorecard-{period:%Y-%m}.{file_format}"


def scorecard_file(card: Scorecard, file_format: str) -> tuple[bytes, str]:
    """(content, content type) of the scorecard in `file_format` (csv, xlsx or json)."""
    content_type, build = FORMATS[file_format]
    return build(card), content_type
