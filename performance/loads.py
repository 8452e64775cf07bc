"""Loading a month's KPI values (CSV or XLSX): by upload and by `manage.py import_kpi_values`.

Columns: indicator (its code as in the catalogue, whatever its case and spacing: codes.code_key),
period (YYYY-MM), and optional value, numerator, denominator, note, service_area, team. Without
service_area and team a row is the council-wide figure; with them it is a breakdown ("area:<id>" or
"team:<id>").

- A percentage with numerator and denominator is computed (calculations.percentage). If the file
  also gives `value` and it is 0.5 points or more away from the computed one, the row is loaded
  with the computed value, the file's value kept in `supplied_value`, and flagged in
  `data_quality` (a mismatch: shown in the load report and on the scorecard).
- Counts and rates need `value` unless `note` says why it is missing (for example TBC).
- Loading a figure already loaded (same indicator, month and breakdown) marks the old row
  is_current=False and adds the new one: the history says who loaded what, when.
- Any bad row (unknown indicator, malformed period, non-numeric value, zero denominator, unknown
  area or team, a team outside the area given, a locked month...) refuses the whole file with every
  problem listed; nothing is saved.

Indicators, areas, teams and locks are read once up front and the rows written in bulk, so a file
of 5,000 rows loads in a couple of seconds with a fixed number of queries.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from quality import locks
from quality.months import month_start
from quality.org.lookup import ServiceAreaLookup
from quality.org.models import Team
from quality.tabular import ImportRefused, RowError, parse_month, read_sheet

from . import calculations
from .catalogue import FIRST_YEAR, parse_number
from .codes import code_key
from .models import Indicator, KpiValue, MonthLock, ValueLoad

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("indicator", "period")
OPTIONAL_COLUMNS = ("value", "numerator", "denominator", "note", "service_area", "team")
NOTE_LIMIT = KpiValue._meta.get_field("note").max_length
BATCH_SIZE = 1000
VALUE_PLACES = Decimal("0.000001")  # KpiValue.value keeps six decimal places
COUNT_LIMIT = Decimal(10) ** 12  # numerator / denominator: DecimalField(max_digits=16, decimal_places=4)
VALUE_LIMIT = Decimal(10) ** 10  # value: DecimalField(max_digits=16, decimal_places=6)

# Reasons a row is refused, shown next to its row number and column. Tests assert on these.
INDICATOR_REQUIRED = "give the indicator's code as in the catalogue, for example M1 or M6-QL (val)"
INDICATOR_UNKNOWN = "'{value}' is not an indicator of the catalogue"
PERIOD_REQUIRED = "give the month as YYYY-MM"
PERIOD_FUTURE = "{value} has not ended yet: values are loaded for past months"
PERIOD_LOCKED = "{value} is locked: its pack is final, so its figures no longer change"
PERIOD_TOO_EARLY = f"{{value}} is before {FIRST_YEAR}: give the month as YYYY-MM"
NEGATIVE = "must not be negative"
ZERO_DENOMINATOR = "the denominator is 0: a percentage cannot be computed"
PAIR_INCOMPLETE = "give both numerator and denominator, or neither"
PAIR_NOT_PERCENTAGE = "numerator and denominator are for percentage indicators only: give the {unit} in value"
VALUE_TOO_LARGE = "the number is too large"
VALUE_REQUIRED = "give the value, or a note saying why it is missing (for example TBC)"
PERCENTAGE_REQUIRED = "give numerator and denominator (or the value), or a note saying why it is missing"
NOTE_TOO_LONG = f"longer than {NOTE_LIMIT} characters"
AREA_UNKNOWN = "'{value}' is not a service area of the portal (use its short code, for example SWF)"
TEAM_UNKNOWN = "'{value}' is not a team of the portal"
TEAM_OUTSIDE_AREA = "'{value}' is not a team of {code}"
TEAM_AMBIGUOUS = "more than one service area has a team called '{value}': give the service_area too"
ROW_REPEATED = "this figure (indicator, month and breakdown) is already on row {row}"
MISMATCH = "The file gave {supplied}, but {numerator}/{denominator} is {computed}"


@dataclass(frozen=True)
class Mismatch:
    row: int
    code: str
    period: date
    breakdown: str  # as people read it: "council-wide", "SWF", "SWF East (SWF)"
    supplied: Decimal
    computed: Decimal

    @property
    def supplied_shown(self) -> str:
        return calculations.plain_number(self.supplied) + "%"

    @property
    def computed_shown(self) -> str:
        return calculations.plain_number(self.computed, 2) + "%"


@dataclass
class LoadSummary:
    """What a load saved (or, for a dry run, would save)."""

    rows: int
    replaced: int
    mismatches: list[Mismatch] = field(default_factory=list)
    periods: list[date] = field(default_factory=list)
    load: ValueLoad | None = None  # None for a dry run: nothing was saved

    @property
    def dry_run(self) -> bool:
        return self.load is None

    def __str__(self) -> str:
        verb = "would replace" if self.dry_run else "replaced"
        months = ", ".join(f"{period:%b %Y}" for period in self.periods)
        return (
            f"{self.rows:,} figure{'s' if self.rows != 1 else ''} for {months or 'no month'}: "
            f"{verb} {self.replaced:,} loaded before; {len(self.mismatches):,} data-quality "
            f"mismatch{'es' if len(self.mismatches) != 1 else ''}."
        )


@dataclass
class _Row:
    number: int
    values: dict  # KpiValue fields
    label: str  # the breakdown as people read it


class _Directory:
    """The catalogue, areas, teams and locked months, each read once."""

    def __init__(self):
        rows = Indicator.objects.values_list("pk", "code", "code_key", "unit")
        self.indicators: dict[str, tuple[int, str, str]] = {key: (pk, code, unit) for pk, code, key, unit in rows}
        # A month's figures may break down by an area retired since: history, so retired areas count.
        self.areas = ServiceAreaLookup(include_retired=True)
        self.area_codes = {area.pk: area.code for area in self.areas.all_areas}
        self.teams: dict[str, list[tuple[int, int, str]]] = {}
        for pk, area_id, name in Team.objects.values_list("pk", "service_area_id", "name"):
            self.teams.setdefault(name.lower(), []).append((pk, area_id, name))
        self.locked = set(MonthLock.objects.values_list("period", flat=True))


def _number(cells: dict, column: str, unit: str, refuse) -> Decimal | None:
    text = cells.get(column, "")
    if not text:
        return None
    try:
        number = parse_number(text, unit=unit if column == "value" else calculations.COUNT)
    except ValueError as error:
        refuse(column, str(error))
        return None
    if column != "value" and number < 0:
        refuse(column, NEGATIVE)
        return None
    if abs(number) >= (VALUE_LIMIT if column == "value" else COUNT_LIMIT):
        refuse(column, VALUE_TOO_LARGE)
        return None
    return number


def _breakdown(cells: dict, directory: _Directory, refuse) -> tuple[dict, str] | None:
    """The row's breakdown fields and how people read it; None when the row names a bad area or team."""
    area_text, team_text = cells.get("service_area", ""), cells.get("team", "")
    area = None
    if area_text:
        match = directory.areas.find(area_text)
        if match.problem:
            refuse("service_area", match.refusal(area_text, unknown=AREA_UNKNOWN))
            return None
        area = match.area
    if not team_text:
        if area is None:
            return {"service_area_id": None, "team_id": None, "breakdown": ""}, "council-wide"
        return {"service_area_id": area.pk, "team_id": None, "breakdown": f"area:{area.pk}"}, area.code
    teams = directory.teams.get(team_text.lower(), [])
    if area is not None:
        teams_here = [team for team in teams if team[1] == area.pk]
        if not teams_here:
            refuse(
                "team",
                TEAM_OUTSIDE_AREA.format(value=team_text, code=area.code)
                if teams
                else TEAM_UNKNOWN.format(value=team_text),
            )
            return None
        teams = teams_here
    if not teams:
        refuse("team", TEAM_UNKNOWN.format(value=team_text))
        return None
    if len(teams) > 1:
        refuse("team", TEAM_AMBIGUOUS.format(value=team_text))
        return None
    team_id, area_id, name = teams[0]
    return (
        {"service_area_id": area_id, "team_id": team_id, "breakdown": f"team:{team_id}"},
        f"{name} ({directory.area_codes.get(area_id, '')})",
    )


# Excel turns a typed "2026-10" into a date cell, which the workbook reader gives as "2026-10-01".
_WORKBOOK_MONTH = re.compile(r"^(\d{4}-\d{2})-01$")


def _period(text: str, *, from_workbook: bool) -> date:
    """The month of a row: YYYY-MM, or in a workbook a date cell on the first of a month."""
    match = _WORKBOOK_MONTH.match(text) if from_workbook else None
    return parse_month(match.group(1) if match else text)


def _check_rows(sheet, this_month: date, *, from_workbook: bool = False) -> tuple[list[_Row], list[RowError]]:
    directory = _Directory()
    rows: list[_Row] = []
    errors: list[RowError] = []
    first_row_of: dict[tuple, int] = {}

    for number, cells in sheet.rows:
        row_errors: list[RowError] = []

        def refuse(column: str, reason: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, column, reason))

        indicator = None
        if not cells["indicator"]:
            refuse("indicator", INDICATOR_REQUIRED)
        else:
            indicator = directory.indicators.get(code_key(cells["indicator"]))
            if indicator is None:
                refuse("indicator", INDICATOR_UNKNOWN.format(value=cells["indicator"]))

        period = None
        if not cells["period"]:
            refuse("period", PERIOD_REQUIRED)
        else:
            try:
                period = _period(cells["period"], from_workbook=from_workbook)
            except ValueError as error:
                refuse("period", str(error))
            else:
                if period.year < FIRST_YEAR:
                    refuse("period", PERIOD_TOO_EARLY.format(value=cells["period"]))
                    period = None
                elif period > this_month:
                    refuse("period", PERIOD_FUTURE.format(value=f"{period:%Y-%m}"))
                elif period in directory.locked:
                    refuse("period", PERIOD_LOCKED.format(value=f"{period:%Y-%m}"))

        note = cells.get("note", "")
        if len(note) > NOTE_LIMIT:
            refuse("note", NOTE_TOO_LONG)
        breakdown = _breakdown(cells, directory, refuse)

        values = None
        if indicator is not None:
            values = _figures(cells, indicator[2], note, refuse)

        if breakdown is not None and indicator is not None and period is not None:
            key = (indicator[0], period, breakdown[0]["breakdown"])
            if key in first_row_of:
                refuse("", ROW_REPEATED.format(row=first_row_of[key]))
            else:
                first_row_of[key] = number

        if row_errors:
            errors.extend(row_errors)
        elif not errors:  # once the file is refused, only its problems matter
            fields = {"indicator_id": indicator[0], "period": period, "note": note, **breakdown[0], **values}
            rows.append(_Row(number, fields, breakdown[1]))
    return rows, errors


def _figures(cells: dict, unit: str, note: str, refuse) -> dict | None:
    """value / numerator / denominator / supplied_value / data_quality for a row, by the unit's rules."""
    value = _number(cells, "value", unit, refuse)
    numerator = _number(cells, "numerator", unit, refuse)
    denominator = _number(cells, "denominator", unit, refuse)
    has_pair = bool(cells.get("numerator")) or bool(cells.get("denominator"))
    result = {"value": value, "numerator": None, "denominator": None, "supplied_value": None, "data_quality": ""}
    if has_pair and unit != calculations.PERCENTAGE:
        column = "numerator" if cells.get("numerator") else "denominator"
        refuse(column, PAIR_NOT_PERCENTAGE.format(unit="rate" if unit == calculations.RATE else "count"))
        return None
    if has_pair:
        if not (cells.get("numerator") and cells.get("denominator")):
            refuse("denominator" if cells.get("numerator") else "numerator", PAIR_INCOMPLETE)
            return None
        if numerator is None or denominator is None:
            return None  # already refused above
        if denominator == 0:
            refuse("denominator", ZERO_DENOMINATOR)
            return None
        computed = calculations.percentage(numerator, denominator)
        result.update(numerator=numerator, denominator=denominator, value=computed.quantize(VALUE_PLACES))
        if value is not None and calculations.is_mismatch(value, computed):
            result["supplied_value"] = value
            result["data_quality"] = MISMATCH.format(
                supplied=calculations.plain_number(value) + "%",
                numerator=calculations.plain_number(numerator),
                denominator=calculations.plain_number(denominator),
                computed=calculations.plain_number(computed, 1) + "%",
            )
        return result
    if value is None and not note and not cells.get("value"):
        refuse("value", PERCENTAGE_REQUIRED if unit == calculations.PERCENTAGE else VALUE_REQUIRED)
        return None
    if value is not None:
        result["value"] = value.quantize(VALUE_PLACES)
    return result


def kpi_values_import(*, actor, content: bytes, file_name: str, dry_run: bool = False) -> LoadSummary:
    """Check a values file and, unless `dry_run`, load it. Refuses the whole file (ImportRefused) on any bad row."""
    this_month = month_start(timezone.localdate())
    sheet = read_sheet(content, file_name, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    with transaction.atomic():
        if not dry_run:
            # Taken before the checks, so a month locked meanwhile is seen and "current" stays unique.
            locks.hold("performance.value_load")
        rows, errors = _check_rows(sheet, this_month, from_workbook=Path(file_name).suffix.lower() == ".xlsx")
        if not rows and not errors:
            errors = [RowError(0, "", "the file has no figures")]
        if errors:
            raise ImportRefused(errors)
        summary = _apply(actor=actor, rows=rows, file_name=file_name, dry_run=dry_run)
    if summary.load is not None:
        logger.info(
            "KPI value load %s: %s rows, %s replaced, %s mismatches",
            summary.load.pk,
            summary.rows,
            summary.replaced,
            len(summary.mismatches),
        )
    return summary


def _apply(*, actor, rows: list[_Row], file_name: str, dry_run: bool) -> LoadSummary:
    keys = {(row.values["indicator_id"], row.values["period"], row.values["breakdown"]) for row in rows}
    periods = sorted({row.values["period"] for row in rows})
    current = KpiValue.objects.filter(
        is_current=True, period__in=periods, indicator_id__in={key[0] for key in keys}
    ).values_list("pk", "indicator_id", "period", "breakdown")
    replaced = [pk for pk, *key in current if tuple(key) in keys]
    codes = dict(Indicator.objects.filter(pk__in={key[0] for key in keys}).values_list("pk", "code"))
    mismatches = [
        Mismatch(
            row=row.number,
            code=codes[row.values["indicator_id"]],
            period=row.values["period"],
            breakdown=row.label,
            supplied=row.values["supplied_value"],
            computed=row.values["value"],
        )
        for row in rows
        if row.values["data_quality"]
    ]
    summary = LoadSummary(rows=len(rows), replaced=len(replaced), mismatches=mismatches, periods=periods)
    if dry_run:
        return summary
    user = actor if getattr(actor, "is_authenticated", False) else None
    load = ValueLoad.objects.create(
        loaded_by=user, file_name=file_name[:255], rows=len(rows), replaced=len(replaced), mismatches=len(mismatches)
    )
    # The old figures stop being current first: the database allows one current row per figure.
    for start in range(0, len(replaced), BATCH_SIZE):
        KpiValue.objects.filter(pk__in=replaced[start : start + BATCH_SIZE]).update(is_current=False)
    KpiValue.objects.bulk_create((KpiValue(load=load, **row.values) for row in rows), batch_size=BATCH_SIZE)
    summary.load = load
    return summary


# --- Selectors for the load pages --------------------------------------------------------------


def load_mismatches(load: ValueLoad):
    """The figures of a load flagged as a data-quality mismatch, in file order (one query)."""
    return (
        load.values.exclude(data_quality="")
        .select_related("indicator", "service_area", "team")
        .order_by("indicator__display_order", "indicator__code", "period", "breakdown")
    )


def load_replacements(load: ValueLoad, limit: int):
    """The figures of a load that replaced an earlier one, each with `previous` (value, note, load's
    date) of the figure it replaced (one query, however many)."""
    earlier = KpiValue.objects.filter(
        indicator=OuterRef("indicator"),
        period=OuterRef("period"),
        breakdown=OuterRef("breakdown"),
        pk__lt=OuterRef("pk"),
    ).order_by("-pk")
    return (
        load.values.annotate(
            previous_value=Subquery(earlier.values("value")[:1]),
            previous_numerator=Subquery(earlier.values("numerator")[:1]),
            previous_denominator=Subquery(earlier.values("denominator")[:1]),
            previous_note=Subquery(earlier.values("note")[:1]),
            previous_loaded_at=Subquery(earlier.values("load__loaded_at")[:1]),
        )
        .filter(previous_loaded_at__isnull=False)
        .select_related("indicator", "service_area", "team")
        .order_by("indicator__display_order", "indicator__code", "period", "breakdown")[:limit]
    )
