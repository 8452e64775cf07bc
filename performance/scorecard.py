"""Selectors of the scorecard: the month's figures for every indicator, an indicator's history, and its
service-area and team breakdowns.

The scorecard for a month runs a fixed number of queries whatever the number of indicators: the
active indicators, the window of current council-wide values of all of them (13 months: the months
shown, the 12-month statistics and the same month a year earlier), their targets and comparators for
the reporting years the window touches, the month's commentary, which indicators have breakdowns,
the month's lock, and the quality-assurance section (one aggregate over the audits). Every derived
figure (percentages shown, RAG, changes, 12-month statistics, direction) is computed in Python by
performance/calculations.py from the stored figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.safestring import SafeString

from quality.access import grant_for
from quality.months import add_months, month_start
from quality.org.models import Role

from . import calculations, charts
from .models import Commentary, Indicator, IndicatorYear, KpiValue, MonthLock
from .quality_section import QA_AREA, QualitySection, quality_section

MONTHS_SHOWN = 6  # months side by side in the pack and the downloads; the page shows the latest
MONTHS_IN_TABLE = 3  # in its table (so it fits a 1,280-pixel screen) and the others on demand
TREND_MONTHS = 12  # the sparkline and the 12-month statistics
WINDOW_MONTHS = 13  # and the same month a year earlier

COMPARATOR_FIELDS = (
    ("previous_year", "Previous year"),
    ("statistical_neighbours", "Statistical neighbours"),
    ("south_east", "South East"),
    ("england", "England"),
)
RAG_LABELS = {calculations.GREEN: "Green", calculations.AMBER: "Amber", calculations.RED: "Red"}
NO_RAG = "No RAG"
SUMMARY_ORDER = (calculations.RED, calculations.AMBER, calculations.GREEN, None)  # the columns of the summary
ALL_AREAS = "All areas"
NO_TARGET = "No target"
NOT_AVAILABLE = "Not available"
NO_VALUE = "No figure"
CHANGE_NOT_COMPARABLE = "None: a cumulative figure restarts in April"
CHANGE_NONE = "None"


def months_back(period: date, count: int) -> list[date]:
    """The `count` months ending with `period`, oldest first."""
    return [add_months(period, -offset) for offset in range(count - 1, -1, -1)]


def latest_period(today: date | None = None) -> date:
    """The month the scorecard opens on: the latest month with a council-wide figure, else last month."""
    today = today or timezone.localdate()
    latest = KpiValue.objects.filter(is_current=True, breakdown="", period__lte=today).aggregate(Max("period"))
    return latest["period__max"] or add_months(month_start(today), -1)


def month_label(period: date) -> str:
    return f"{period:%B %Y}"


@dataclass(frozen=True)
class Cell:
    """One month's council-wide figure of one indicator, as shown."""

    period: date
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    supplied_value: Decimal | None = None
    note: str = ""
    data_quality: str = ""
    display: str = ""
    rag: str | None = None
    target: Decimal | None = None  # of the month's reporting year
    loaded: bool = False

    @property
    def rag_label(self) -> str:
        return RAG_LABELS.get(self.rag, "")


@dataclass(frozen=True)
class Comparator:
    key: str
    label: str
    value: Decimal | None
    display: str


@dataclass(frozen=True)
class Direction:
    moved: str  # up, down, same
    judgement: str  # better, worse, neutral

    ARROWS = {"up": "▲", "down": "▼", "same": "▶"}

    @property
    def arrow(self) -> str:
        return self.ARROWS[self.moved]

    @property
    def text(self) -> str:
        moved = {"up": "Up", "down": "Down", "same": "No change"}[self.moved]
        return moved if self.judgement == "neutral" else f"{moved}, {self.judgement}"


@dataclass
class Row:
    """One indicator on the scorecard for the chosen month."""

    indicator: Indicator
    months: list[Cell]  # the months shown, oldest first; the last is the chosen month
    trend: list[Cell]  # the last 12 months, oldest first: the sparkline, the statistics and the pack's chart
    current: Cell
    year: IndicatorYear | None
    target: Decimal | None
    target_display: str
    change_prev_month: calculations.Change | None
    change_prev_month_note: str
    change_prev_year: calculations.Change | None
    change_prev_year_note: str
    avg_12m: Decimal | None
    min_12m: Decimal | None
    max_12m: Decimal | None
    comparators: list[Comparator]
    direction: Direction | None
    sparkline: SafeString
    commentary: Commentary | None
    has_breakdown: bool
    may_write: bool = False  # set by the view: may this person write its commentary?

    @property
    def rag(self) -> str | None:
        return self.current.rag

    @property
    def rag_label(self) -> str:
        return self.current.rag_label

    @property
    def table_months(self) -> list[Cell]:
        """The latest months, in the scorecard page's table."""
        return self.months[-MONTHS_IN_TABLE:]

    @property
    def earlier_months(self) -> list[Cell]:
        """The months shown before those, in the row's details on the page."""
        return self.months[:-MONTHS_IN_TABLE]

    @property
    def flagged(self) -> list[Cell]:
        """The months shown whose figure carries a data-quality flag."""
        return [cell for cell in self.months if cell.data_quality]

    def stat_display(self, value: Decimal | None) -> str:
        return calculations.display(self.indicator.unit, value) if value is not None else ""

    @property
    def avg_12m_display(self) -> str:
        return self.stat_display(self.avg_12m)

    @property
    def min_12m_display(self) -> str:
        return self.stat_display(self.min_12m)

    @property
    def max_12m_display(self) -> str:
        return self.stat_display(self.max_12m)


@dataclass
class Area:
    """A priority area: its indicators in catalogue order, and for "Rigorous quality assurance" the
    figures computed from the audits."""

    name: str
    anchor: str
    rows: list[Row] = field(default_factory=list)
    quality: QualitySection | None = None


@dataclass(frozen=True)
class RagCount:
    rag: str | None  # green, amber, red, or None: no RAG
    label: str
    count: int


@dataclass(frozen=True)
class RagLine:
    """One line of the RAG summary: a priority area (or all of them) and its indicators by RAG."""

    name: str
    anchor: str  # of the area's section; "" for all areas
    counts: list[RagCount]
    total: int


def rag_line(name: str, anchor: str, rows: list[Row]) -> RagLine:
    counted = Counter(row.rag for row in rows)
    counts = [RagCount(rag, RAG_LABELS.get(rag, NO_RAG), counted.get(rag, 0)) for rag in SUMMARY_ORDER]
    return RagLine(name, anchor, counts, len(rows))


def rag_summary(areas: list[Area]) -> list[RagLine]:
    """The month's indicators by RAG in each priority area that has indicators, then in all of them:
    the summary at the top of the scorecard and on the pack's cover."""
    lines = [rag_line(area.name, area.anchor, area.rows) for area in areas if area.rows]
    return lines + [rag_line(ALL_AREAS, "", [row for area in areas for row in area.rows])]


@dataclass
class Scorecard:
    period: date
    months: list[date]
    areas: list[Area]
    lock: MonthLock | None
    quality: QualitySection

    @property
    def rows(self) -> list[Row]:
        return [row for area in self.areas for row in area.rows]

    @property
    def rag_summary(self) -> list[RagLine]:
        return rag_summary(self.areas)

    @property
    def label(self) -> str:
        return month_label(self.period)

    @property
    def table_months(self) -> list[date]:
        return self.months[-MONTHS_IN_TABLE:]

    @property
    def earlier_months(self) -> list[date]:
        return self.months[:-MONTHS_IN_TABLE]


def kpi_cell(indicator: Indicator, period: date, value: KpiValue | None, year: IndicatorYear | None) -> Cell:
    """One month's figure of an indicator as the scorecard shows it: its display and its RAG against the
    year's target (also read by the evaluation's triangulation page)."""
    target = year.target if year else None
    if value is None:
        return Cell(period, display=NO_VALUE, target=target)
    tolerance = year.amber_tolerance if year else None
    polarity = indicator.polarity
    return Cell(
        period=period,
        value=value.value,
        numerator=value.numerator,
        denominator=value.denominator,
        supplied_value=value.supplied_value,
        note=value.note,
        data_quality=value.data_quality,
        display=calculations.display(
            indicator.unit,
            value.value,
            value.numerator,
            value.denominator,
            value.note,
            target=target,
            polarity=polarity,
            tolerance=tolerance,
        )
        or NO_VALUE,
        rag=calculations.rag(value.value, target, polarity, indicator.unit, tolerance),
        target=target,
        loaded=True,
    )


def target_display(indicator: Indicator, year: IndicatorYear | None) -> str:
    if year is None:
        return NO_TARGET
    if year.target is not None:
        return calculations.stated(indicator.unit, year.target)
    return year.target_note or NO_TARGET


def comparators_of(indicator: Indicator, year: IndicatorYear | None) -> list[Comparator]:
    comparators = []
    for key, label in COMPARATOR_FIELDS:
        value = getattr(year, key) if year else None
        if value is not None:
            shown = calculations.stated(indicator.unit, value)
        else:
            shown = (year.comparator_notes.get(key) if year else "") or NOT_AVAILABLE
        comparators.append(Comparator(key, label, value, shown))
    return comparators


def references_of(comparators: list[Comparator]) -> list[charts.Reference]:
    """The comparators that have a figure, as lines on a chart."""
    return [charts.Reference(c.label, c.value) for c in comparators if c.value is not None]


def _change(
    indicator: Indicator, period: date, earlier: date, values: dict[date, Cell]
) -> tuple[calculations.Change | None, str]:
    """The change from `earlier` to `period` (calculations.change), or None with the reason it is not given."""
    if not calculations.change_allowed(indicator.cumulative, period, earlier):
        return None, CHANGE_NOT_COMPARABLE
    change = calculations.change(indicator.unit, values[period].value, values[earlier].value)
    return change, "" if change is not None else CHANGE_NONE


def build_row(
    indicator: Indicator,
    period: date,
    values: dict[tuple[int, date], KpiValue],
    years: dict[tuple[int, int], IndicatorYear],
    *,
    commentary: Commentary | None = None,
    has_breakdown: bool = False,
) -> Row:
    """One indicator's line for `period` from the values and years already fetched (no query)."""
    window = months_back(period, WINDOW_MONTHS)
    cells = {
        month: kpi_cell(
            indicator,
            month,
            values.get((indicator.pk, month)),
            years.get((indicator.pk, calculations.financial_year(month))),
        )
        for month in window
    }
    year = years.get((indicator.pk, calculations.financial_year(period)))
    previous_month, same_month_last_year = add_months(period, -1), add_months(period, -12)
    change_month, change_month_note = _change(indicator, period, previous_month, cells)
    change_year, change_year_note = _change(indicator, period, same_month_last_year, cells)
    trend_months = window[-TREND_MONTHS:]
    trend = [cells[month].value for month in trend_months]
    average, minimum, maximum = calculations.twelve_month_stats(trend)
    moved = None
    if calculations.change_allowed(indicator.cumulative, period, previous_month):
        moved = calculations.direction(cells[period].value, cells[previous_month].value, indicator.polarity)
    target = year.target if year else None
    comparators = comparators_of(indicator, year)
    return Row(
        indicator=indicator,
        months=[cells[month] for month in window[-MONTHS_SHOWN:]],
        trend=[cells[month] for month in trend_months],
        current=cells[period],
        year=year,
        target=target,
        target_display=target_display(indicator, year),
        change_prev_month=change_month,
        change_prev_month_note=change_month_note,
        change_prev_year=change_year,
        change_prev_year_note=change_year_note,
        avg_12m=average,
        min_12m=minimum,
        max_12m=maximum,
        comparators=comparators,
        direction=Direction(*moved) if moved else None,
        sparkline=charts.sparkline(
            trend,
            target,
            unit=indicator.unit,
            months=trend_months,
            references=references_of(comparators),
            polarity=indicator.polarity,
            tolerance=year.amber_tolerance if year else None,
        ),
        commentary=commentary,
        has_breakdown=has_breakdown,
    )


def scorecard_row(indicator: Indicator, period: date) -> Row:
    """One indicator's line for `period` (its commentary left out), for pages about that indicator."""
    window = months_back(period, WINDOW_MONTHS)
    values = {
        (value.indicator_id, value.period): value
        for value in KpiValue.objects.filter(
            indicator=indicator, is_current=True, breakdown="", period__range=(window[0], period)
        )
    }
    fiscal_years = {calculations.financial_year(month) for month in window}
    years = {(year.indicator_id, year.year): year for year in indicator.years.filter(year__in=fiscal_years)}
    return build_row(indicator, period, values, years)


def _anchor(index: int) -> str:
    return f"area-{index + 1}"


def scorecard(period: date) -> Scorecard:
    """The scorecard of `period` (the first day of a month): every active indicator, grouped by
    priority area in catalogue order, and the quality-assurance section from the audits."""
    window = months_back(period, WINDOW_MONTHS)
    indicators = list(Indicator.objects.filter(is_active=True).order_by("display_order", "code"))
    active = Q(indicator__is_active=True)
    values = {
        (value.indicator_id, value.period): value
        for value in KpiValue.objects.filter(active, is_current=True, breakdown="", period__range=(window[0], period))
    }
    fiscal_years = {calculations.financial_year(month) for month in window}
    years = {
        (year.indicator_id, year.year): year for year in IndicatorYear.objects.filter(active, year__in=fiscal_years)
    }
    commentaries = {
        commentary.indicator_id: commentary
        for commentary in Commentary.objects.filter(active, period=period).select_related("written_by")
    }
    with_breakdown = set(
        KpiValue.objects.filter(active, is_current=True, period=period)
        .exclude(breakdown="")
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    lock = MonthLock.objects.filter(period=period).select_related("locked_by").first()
    quality = quality_section(window[-MONTHS_SHOWN:])

    areas: dict[str, Area] = {}
    for indicator in indicators:
        area = areas.setdefault(indicator.priority_area, Area(indicator.priority_area, _anchor(len(areas))))
        area.rows.append(
            build_row(
                indicator,
                period,
                values,
                years,
                commentary=commentaries.get(indicator.pk),
                has_breakdown=indicator.pk in with_breakdown,
            )
        )
    # The audits' figures join the catalogue's own "Rigorous quality assurance" area, or close the scorecard.
    qa_area = next((area for name, area in areas.items() if name.strip().lower() == QA_AREA.lower()), None)
    if qa_area is None:
        qa_area = areas.setdefault(QA_AREA, Area(QA_AREA, _anchor(len(areas))))
    qa_area.quality = quality
    return Scorecard(period, window[-MONTHS_SHOWN:], list(areas.values()), lock, quality)


# -- one indicator --


@dataclass
class HistoryRow:
    cell: Cell
    target_display: str
    change_prev_month: calculations.Change | None


@dataclass
class YearRow:
    """One reporting year's target, tolerance and comparators, as shown."""

    label: str  # "2026/27"
    target: str
    tolerance: str
    comparators: list[Comparator]


def year_row(indicator: Indicator, year: IndicatorYear) -> YearRow:
    tolerance = "The default"
    if year.amber_tolerance is not None:
        tolerance = calculations.plain_number(year.amber_tolerance)
        if indicator.unit == calculations.PERCENTAGE:
            tolerance = f"{tolerance} points"
    return YearRow(
        label=f"{year.year}/{(year.year + 1) % 100:02d}",
        target=target_display(indicator, year),
        tolerance=tolerance,
        comparators=comparators_of(indicator, year),
    )


@dataclass
class IndicatorHistory:
    indicator: Indicator
    rows: list[HistoryRow]  # every month with a current council-wide figure, oldest first
    years: list[YearRow]
    loads: list[KpiValue]  # every council-wide figure ever loaded, current and replaced, newest first
    breakdown_periods: list[date]
    chart: SafeString
    commentaries: list[Commentary]


def indicator_history(indicator: Indicator) -> IndicatorHistory:
    """Everything the indicator's page shows: its full history, targets per year, every load."""
    unit = indicator.unit
    years = list(IndicatorYear.objects.filter(indicator=indicator).order_by("year"))
    by_year = {year.year: year for year in years}
    current = {
        value.period: value for value in KpiValue.objects.filter(indicator=indicator, is_current=True, breakdown="")
    }
    months: list[date] = []
    if current:
        month, last = min(current), max(current)
        while month <= last:
            months.append(month)
            month = add_months(month, 1)
    cells = [
        kpi_cell(indicator, month, current.get(month), by_year.get(calculations.financial_year(month)))
        for month in months
    ]
    rows = []
    for index, cell in enumerate(cells):
        earlier = cells[index - 1] if index else None
        change = None
        if earlier and calculations.change_allowed(indicator.cumulative, cell.period, earlier.period):
            change = calculations.change(unit, cell.value, earlier.value)
        year = by_year.get(calculations.financial_year(cell.period))
        rows.append(HistoryRow(cell, target_display(indicator, year), change))
    latest_year = by_year.get(calculations.financial_year(months[-1])) if months else (years[-1] if years else None)
    references = [
        charts.Reference(label, getattr(latest_year, key))
        for key, label in COMPARATOR_FIELDS
        if latest_year is not None and getattr(latest_year, key) is not None
    ]
    chart = charts.line_chart(
        months,
        [cell.value for cell in cells],
        [getattr(by_year.get(calculations.financial_year(m)), "target", None) for m in months],
        references,
        unit=unit,
        title=f"{indicator.code} {indicator.title}: every month loaded, against the target and comparators",
        chart_id=f"history-{indicator.pk}",
        shown=[cell.display for cell in cells],
    )
    loads = list(
        KpiValue.objects.filter(indicator=indicator, breakdown="")
        .select_related("load__loaded_by__person")
        .order_by("-period", "-created_at", "-pk")
    )
    breakdown_periods = list(
        KpiValue.objects.filter(indicator=indicator, is_current=True)
        .exclude(breakdown="")
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()
    )
    commentaries = list(indicator.commentaries.select_related("written_by").order_by("-period"))
    year_rows = [year_row(indicator, year) for year in years]
    return IndicatorHistory(indicator, rows, year_rows, loads, breakdown_periods, chart, commentaries)


# -- breakdowns by service area and team --


def breakdown_area_ids(user) -> frozenset[int] | None:
    """Whose breakdown rows this person sees: None for every area (roles across all areas, and
    performance officers, who load them), else the service areas their roles cover."""
    grant = grant_for(user)
    if grant.all_areas or Role.PERFORMANCE_OFFICER in grant.roles:
        return None
    return grant.area_ids


@dataclass
class BreakdownRow:
    kind: str  # "Service area" or "Team"
    name: str
    area_name: str
    cell: Cell


def breakdown_rows(user, indicator: Indicator, period: date) -> list[BreakdownRow]:
    """The month's current service-area and team figures of the indicator that this person may see."""
    queryset = (
        KpiValue.objects.filter(indicator=indicator, period=period, is_current=True)
        .exclude(breakdown="")
        .select_related("service_area", "team__service_area")
    )
    area_ids = breakdown_area_ids(user)
    if area_ids is not None:
        queryset = queryset.filter(Q(service_area_id__in=area_ids) | Q(team__service_area_id__in=area_ids))
    year = IndicatorYear.objects.filter(indicator=indicator, year=calculations.financial_year(period)).first()
    rows = []
    for value in queryset:
        area = value.service_area or (value.team.service_area if value.team else None)
        rows.append(
            BreakdownRow(
                kind="Team" if value.team_id else "Service area",
                name=value.team.name if value.team_id else (area.name if area else ""),
                area_name=area.name if area else "",
                cell=kpi_cell(indicator, period, value, year),
            )
        )
    rows.sort(key=lambda row: (row.area_name, row.kind != "Service area", row.name))
    return rows
