"""The evidence a self-evaluation statement may cite, and how each is frozen (docs/evaluation.md).

A citation is taken from a `source`: a small JSON object naming what it is computed from (ids and period
codes). `snapshot(kind, source)` computes it once, through the same figures the portal's pages show
(the triangulation, the scorecard's cells, the survey results' small-number rule), and returns what the
citation keeps: a label, the value in words, the period in words, the source's name and the path of its
page in the portal. Nothing reads the data again once it is stored: a published self-evaluation shows
its evidence as it was.

`a_year_on(kind, source)` is the same source one year later (a period or a KPI month moved on twelve
months; an audit or a survey is read again as it stands): next year's draft refreshes its citations
with it and keeps last year's values beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from audits.models import Audit, Grade
from evidence.voices.models import Survey
from evidence.voices.selectors import breakdown_allowed, shown
from performance.calculations import financial_year
from performance.models import Indicator, IndicatorYear, KpiValue
from performance.scorecard import kpi_cell
from quality.months import add_months
from quality.org.models import ServiceArea
from quality.reports.models import PracticeTheme, Report

from .models import Citation
from .triangulation import AreaTriangulation, area_triangulation, label_of, span_for, theme_triangulation

Kind = Citation.Kind
PERIODS_IN_A_YEAR = {Report.Kind.MONTHLY: 12, Report.Kind.QUARTERLY: 4, Report.Kind.ANNUAL: 1}
NOTHING_TO_COUNT = "nothing to count"


@dataclass(frozen=True)
class Snapshot:
    """What a citation keeps (Citation's fields of the same names)."""

    label: str
    value: str
    period: str
    source_label: str
    link: str
    rows: list[list[str]]


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def share(part: int, whole: int, pct: float | None) -> str:
    """'82% (41 of 50)', or that there was nothing to count."""
    return NOTHING_TO_COUNT if not whole else f"{_number(pct)} ({part} of {whole})"


# ---------------------------------------------------------------------------------------
# A service area's figures (the triangulation page's), by key


@dataclass(frozen=True)
class AreaFigure:
    label: str
    value: Callable[[AreaTriangulation], str]


def _good(figures: AreaTriangulation, when: str) -> str:
    audits = figures.audits_now
    grades = audits.after if when == "after" else audits.before
    good = grades[Grade.OUTSTANDING] + grades[Grade.GOOD]
    return share(good, sum(grades.values()), audits.good_after_pct if when == "after" else audits.good_before_pct)


AREA_FIGURES: dict[str, AreaFigure] = {
    "good_after": AreaFigure("Audits graded good or outstanding after moderation", lambda f: _good(f, "after")),
    "good_before": AreaFigure(
        "Audits graded good or outstanding by their auditors, before moderation", lambda f: _good(f, "before")
    ),
    "lowered": AreaFigure(
        "Moderated grades that moderation lowered",
        lambda f: share(f.audits_now.lowered, f.audits_now.moderated, f.audits_now.lowered_pct),
    ),
    "observed": AreaFigure(
        "Practitioners observed in the year before the period's end",
        lambda f: share(f.observations.observed, f.observations.practitioners, f.observations.observed_pct),
    ),
    "overdue": AreaFigure(
        "Practitioners overdue an observation of their practice at the period's end",
        lambda f: share(f.observations.overdue, f.observations.practitioners, f.observations.overdue_pct),
    ),
    "views": AreaFigure(
        "Audits recording the child's or family's views",
        lambda f: share(f.voices.audits_with_views, f.voices.audits_completed, f.voices.audits_with_views_pct),
    ),
    "upheld": AreaFigure("Complaints upheld or partly upheld", lambda f: str(f.complaints.upheld)),
    "compliments": AreaFigure("Compliments received", lambda f: str(f.complaints.compliments)),
    "actions_overdue": AreaFigure(
        "Learning actions overdue at the period's end", lambda f: str(f.open_work["actions_overdue"])
    ),
    "escalations_late": AreaFigure(
        "Escalations with a step late at the period's end", lambda f: str(f.open_work["escalations_late"])
    ),
}
FIGURE_CHOICES = [(key, figure.label) for key, figure in AREA_FIGURES.items()]


def _area_link(area_id: int, kind: str, period: str) -> str:
    return f"{reverse('evaluation:area', args=[area_id])}?kind={kind}&period={period}"


def _area_figures(source: dict) -> tuple[ServiceArea, AreaTriangulation]:
    area = ServiceArea.objects.get(pk=source["area"])
    return area, area_triangulation(area, span_for(source["kind"], source["period"]))


def _figure(source: dict) -> Snapshot:
    area, figures = _area_figures(source)
    figure = AREA_FIGURES[source["figure"]]
    return Snapshot(
        label=f"{figure.label}, {area.name}",
        value=figure.value(figures),
        period=figures.label,
        source_label=f"Triangulation of {area.name}",
        link=_area_link(area.pk, source["kind"], source["period"]),
        rows=[],
    )


def _chart(source: dict) -> Snapshot:
    area, figures = _area_figures(source)
    rows = [["Period", "Audits graded", "Good or outstanding before moderation", "After moderation"]]
    rows += [
        [audits.label, str(audits.graded), _number(audits.good_before_pct), _number(audits.good_after_pct)]
        for audits in figures.audits
    ]
    now = figures.audits_now
    return Snapshot(
        label=f"Audit grades and their trend before and after moderation, {area.name}",
        value=f"{_number(now.good_before_pct)} before, {_number(now.good_after_pct)} after moderation",
        period=figures.label,
        source_label=f"Triangulation of {area.name}",
        link=_area_link(area.pk, source["kind"], source["period"]),
        rows=rows,
    )


# ---------------------------------------------------------------------------------------
# An audit, a practice theme, a survey, a KPI month


def _audit(source: dict) -> Snapshot:
    audit = Audit.objects.select_related("service_area").get(pk=source["audit"])
    grade = audit.final_grade
    if not grade:
        value = audit.get_state_display()
    elif audit.moderated_grade and audit.moderated_grade != audit.overall_grade:
        value = f"{Grade(grade).label} (moderated from {Grade(audit.overall_grade).label})"
    else:
        value = Grade(grade).label
    return Snapshot(
        label=f"Audit of case {audit.case_reference}, {audit.service_area.name}",
        value=value,
        period=f"{audit.completed_day:%-d %B %Y}" if audit.completed_day else "Not completed",
        source_label="The audit",
        link=audit.get_absolute_url(),
        rows=[],
    )


def _theme(source: dict) -> Snapshot:
    theme = PracticeTheme.objects.get(pk=source["theme"])
    figures = theme_triangulation(theme, span_for(source["kind"], source["period"]))
    now = figures.audits[-1]
    responses = "not broken down (fewer than 5 in all)" if figures.responses is None else str(figures.responses)
    value = (
        f"{share(now.audits, now.completed, now.audits_pct)} audits; {figures.observations} observations "
        f"({figures.visits} walk-the-floor visits); survey responses: {responses}"
    )
    return Snapshot(
        label=f"Practice theme '{theme.name}' in the audits, observations and survey responses",
        value=value,
        period=figures.label,
        source_label=f"Triangulation of the practice theme '{theme.name}'",
        link=f"{reverse('evaluation:theme', args=[theme.pk])}?kind={source['kind']}&period={source['period']}",
        rows=[],
    )


def _survey(source: dict) -> Snapshot:
    survey = Survey.objects.get(pk=source["survey"])
    responses, links = survey.responses.count(), survey.links.count()
    value = f"{shown(responses)} responses"
    if breakdown_allowed(responses) and links:
        value += f", {round(100 * responses / links)}% of the {links} links sent"
    return Snapshot(
        label=f"Survey '{survey.title}'",
        value=value,
        period=f"{survey.opens_on:%-d %B %Y} to {survey.closes_on:%-d %B %Y}",
        source_label="The survey's results",
        link=reverse("voices:survey_detail", args=[survey.pk]),
        rows=[],
    )


def _kpi(source: dict) -> Snapshot:
    indicator = Indicator.objects.get(pk=source["indicator"])
    area = ServiceArea.objects.get(pk=source["area"])
    month = date.fromisoformat(f"{source['month']}-01")
    value = KpiValue.objects.filter(
        indicator=indicator, service_area=area, team__isnull=True, is_current=True, period=month
    ).first()
    year = IndicatorYear.objects.filter(indicator=indicator, year=financial_year(month)).first()
    cell = kpi_cell(indicator, month, value, year)
    return Snapshot(
        label=f"{indicator.code} {indicator.title}, {area.name}",
        value=f"{cell.display} ({cell.rag_label})" if cell.rag_label else cell.display,
        period=f"{month:%B %Y}",
        source_label="The scorecard's indicator page",
        link=reverse("performance:indicator_detail", args=[indicator.pk]),
        rows=[],
    )


SNAPSHOTS: dict[str, Callable[[dict], Snapshot]] = {
    Kind.FIGURE: _figure,
    Kind.CHART: _chart,
    Kind.AUDIT: _audit,
    Kind.THEME: _theme,
    Kind.SURVEY: _survey,
    Kind.KPI: _kpi,
}


def snapshot(kind: str, source: dict) -> Snapshot:
    """The citation of `source` as the data stand now."""
    return SNAPSHOTS[kind](source)


def a_year_on(kind: str, source: dict) -> dict:
    """`source` twelve months later: its period or month moved on a year; an audit or a survey as it is."""
    if "period" in source:
        span = span_for(source["kind"], source["period"])
        return {**source, "period": span.earlier(-PERIODS_IN_A_YEAR[source["kind"]]).code}
    if "month" in source:
        month = add_months(date.fromisoformat(f"{source['month']}-01"), 12)
        return {**source, "month": f"{month:%Y-%m}"}
    return source


def period_words(kind: str, period: str) -> str:
    return label_of(span_for(kind, period))
