"""Triangulation: what every source of evidence says about one service area, or one practice theme,
in a period (docs/evaluation.md), with the disagreements the rules flag (rules.py).

Every figure is one the reports already define, read through their conditions and selectors
(quality.reports.figures and evidence_figures, performance.scorecard), narrowed to the area, and
counted by the database: a fixed number of queries whatever the number of audits, observations,
responses, complaints or KPI values. The areas of analysis are counted from the area grades of the
area's own audits in one grouped query (the counts kept month by month, audits.AreaGradeMonthCount, are
council-wide): one service area's audits over four periods are few, read through the index on the
audits' completion day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from audits import figure_months
from audits.models import (
    GOOD_OR_BETTER,
    AnalysisArea,
    AreaGrade,
    Escalation,
    Grade,
    LearningAction,
    completed_in,
    moderation_lowered,
)
from evidence.complaints.models import Entry, Outcome
from evidence.complaints.selectors import summary_of
from evidence.observations.models import Observation
from evidence.observations.selectors import practitioners_with_status
from evidence.voices.selectors import SMALLEST_GROUP
from performance import calculations
from performance.models import IndicatorYear, KpiValue
from performance.scorecard import Cell, kpi_cell
from quality.months import add_months, month_start, start_of_day
from quality.org.models import ServiceArea
from quality.reports.evidence_figures import (
    coverage_counts,
    observation_counts,
    response_counts,
    suppressed,
    theme_breakdown_allowed,
)
from quality.reports.figures import (
    TREND_PERIODS,
    Span,
    action_open_at,
    action_overdue_at,
    audit_conditions,
    escalation_late_at,
    escalation_open_at,
    pct,
    report_span,
    theme_counts,
)
from quality.reports.models import PracticeTheme
from quality.reports.selectors import period_label

from .rules import flags_for

GRADES: tuple[str, ...] = tuple(Grade.values)  # best first
KPI_MONTHS = 4  # the period's last month and the three before it
UPHELD = (Outcome.UPHELD.label, Outcome.PARTLY_UPHELD.label)  # the complaints summary speaks in labels


def span_for(kind: str, period: str) -> Span:
    """The period of a report's kind and code (2026-11, 2026-Q4, 2026): quality.reports.figures' rule."""
    return report_span(kind, period)


def trend_of(span: Span) -> list[Span]:
    """The period and the TREND_PERIODS before it, oldest first, as the reports show a trend."""
    return [span.earlier(count) for count in range(TREND_PERIODS, 0, -1)] + [span]


def as_of_for(span: Span, today: date | None = None) -> datetime:
    """The moment figures "at the end of the period" are taken: midnight after its last day, never later
    than the start of today (the reports' rule)."""
    return min(span.ends, start_of_day(today or timezone.localdate()))


def label_of(span: Span) -> str:
    return period_label(span.kind, span.code)


# ---------------------------------------------------------------------------------------
# Audits: grades before and after moderation, per period


@dataclass(frozen=True)
class AuditPeriod:
    span: Span
    label: str
    completed: int
    graded: int
    before: dict[str, int]  # the auditors' grades
    after: dict[str, int]  # the final grades (moderated where moderated)
    moderated: int
    lowered: int
    with_views: int  # completed audits recording the child's or family's views

    @property
    def good_before_pct(self) -> float | None:
        return pct(sum(self.before[grade] for grade in GOOD_OR_BETTER), self.graded)

    @property
    def good_after_pct(self) -> float | None:
        return pct(sum(self.after[grade] for grade in GOOD_OR_BETTER), sum(self.after.values()))

    @property
    def lowered_pct(self) -> float | None:
        return pct(self.lowered, self.moderated)

    @property
    def grade_rows(self) -> list[tuple[str, int, int]]:
        """(grade, before, after) for each grade, best first."""
        return [(label, self.before[grade], self.after[grade]) for grade, label in Grade.choices]


def _audit_period(span: Span, area_id: int) -> AuditPeriod:
    conditions = {**audit_conditions(), "lowered": moderation_lowered()}
    totals: dict[str, int] = {}
    for row in figure_months.counts(span.start, span.end, ("service_area_id",), conditions):
        if row["service_area_id"] == area_id:
            for name in conditions.keys() | {"total"}:
                totals[name] = totals.get(name, 0) + row[name]
    before = {grade: totals.get(grade, 0) for grade in GRADES}
    return AuditPeriod(
        span=span,
        label=label_of(span),
        completed=totals.get("total", 0),
        graded=sum(before.values()),
        before=before,
        after={grade: totals.get(f"final_{grade}", 0) for grade in GRADES},
        moderated=totals.get("moderated_count", 0),
        lowered=totals.get("lowered", 0),
        with_views=totals.get("with_views", 0),
    )


@dataclass(frozen=True)
class AnalysisAreaRow:
    """One area of analysis: the period's area grades by grade, and the share good or outstanding in each
    period of the trend (oldest first)."""

    label: str
    grades: list[int]  # best first, as GRADES
    good_pcts: list[float | None]


def _areas_of_analysis(spans: list[Span], area_id: int) -> list[AnalysisAreaRow]:
    """The area grades of the area's audits completed in each of `spans` (one query)."""
    periods = {f"period_{index}": span for index, span in enumerate(spans)}
    rows = (
        AreaGrade.objects.filter(completed_in(spans[0].start, spans[-1].end, "audit__"), audit__service_area_id=area_id)
        .values("area", "grade")
        .annotate(
            **{key: Count("pk", filter=completed_in(span.start, span.end, "audit__")) for key, span in periods.items()}
        )
        .order_by()
    )
    counts = {(row["area"], row["grade"], key): row[key] for row in rows for key in periods}
    now = f"period_{len(spans) - 1}"
    result = []
    for area, label in AnalysisArea.choices:
        by_period = [[counts.get((area, grade, key), 0) for grade in GRADES] for key in periods]
        good = [
            pct(sum(c for grade, c in zip(GRADES, n, strict=True) if grade in GOOD_OR_BETTER), sum(n))
            for n in by_period
        ]
        result.append(AnalysisAreaRow(label, [counts.get((area, grade, now), 0) for grade in GRADES], good))
    return result


# ---------------------------------------------------------------------------------------
# Observations, voices, complaints


@dataclass(frozen=True)
class Observations:
    recorded: int
    practitioners: int
    observed: int
    due: int
    overdue: int
    coverage_on: date
    themes: list[tuple[str, int]]  # (theme, observations mentioning it), those mentioned

    @property
    def overdue_pct(self) -> float | None:
        return pct(self.overdue, self.practitioners)

    @property
    def observed_pct(self) -> float | None:
        return pct(self.observed, self.practitioners)


def _observations(span: Span, area_id: int, as_of: datetime, themes: list[PracticeTheme]) -> Observations:
    recorded = Observation.objects.filter(
        state=Observation.State.RECORDED, observed_on__range=(span.start, span.end), service_area_id=area_id
    )
    counts = observation_counts(recorded, span.start, span.end, themes)
    last_day = timezone.localdate(as_of) - timedelta(days=1)
    coverage = practitioners_with_status(today=last_day, area_ids=[area_id], as_it_was=True).aggregate(
        **coverage_counts()
    )
    mentioned = [(theme.name, counts.get(f"theme_{theme.pk}", 0)) for theme in themes]
    return Observations(
        recorded=counts["recorded"],
        coverage_on=last_day,
        themes=[(name, count) for name, count in mentioned if count],
        **coverage,
    )


@dataclass(frozen=True)
class Voices:
    audits_completed: int
    audits_with_views: int
    responses: int | None  # None: one to four, suppressed
    themes: list[tuple[str, int | None]]  # (theme, responses mentioning it, suppressed); empty if not allowed
    smallest_group: int = SMALLEST_GROUP

    @property
    def audits_with_views_pct(self) -> float | None:
        return pct(self.audits_with_views, self.audits_completed)


def _voices(span: Span, area_id: int, themes: list[PracticeTheme], audits: AuditPeriod) -> Voices:
    responses = response_counts(span.start, span.end, themes, service_area_id=area_id)
    breakdown = theme_breakdown_allowed(responses["responses"])
    return Voices(
        audits_completed=audits.completed,
        audits_with_views=audits.with_views,
        responses=suppressed(responses["responses"]),
        themes=[
            (theme.name, suppressed(responses.get(f"theme_{theme.pk}", 0)))
            for theme in themes
            if breakdown and responses.get(f"theme_{theme.pk}", 0)
        ],
    )


@dataclass(frozen=True)
class Complaints:
    complaints: int
    compliments: int
    outcomes: list[tuple[str, int]]  # every outcome a complaint may have (label, count)

    @property
    def upheld(self) -> int:
        """Upheld or partly upheld."""
        return sum(count for label, count in self.outcomes if label in UPHELD)


def _complaints(span: Span, area_id: int) -> Complaints:
    summary = summary_of(Entry.objects.filter(received_on__range=(span.start, span.end), service_area_id=area_id))
    return Complaints(summary.complaints, summary.compliments, summary.outcomes)


# ---------------------------------------------------------------------------------------
# KPIs: the area's figures on the scorecard, the period's last month and the months before


@dataclass(frozen=True)
class KpiRow:
    code: str
    title: str
    cells: list[Cell]  # one per month of KpiTable.months, oldest first

    @property
    def latest(self) -> Cell:
        return self.cells[-1]


@dataclass(frozen=True)
class KpiTable:
    months: list[date]
    rows: list[KpiRow]

    def red_in_last_month(self) -> list[KpiRow]:
        return [row for row in self.rows if row.latest.rag == calculations.RED]


def _kpis(span: Span, area_id: int) -> KpiTable:
    last = month_start(span.end)
    months = [add_months(last, -back) for back in range(KPI_MONTHS - 1, -1, -1)]
    values = list(
        KpiValue.objects.filter(
            service_area_id=area_id, team__isnull=True, is_current=True, period__range=(months[0], last)
        )
        .filter(indicator__is_active=True)
        .select_related("indicator")
        .order_by("indicator__display_order", "indicator__code", "period")
    )
    indicators = {value.indicator_id: value.indicator for value in values}
    years = {
        (year.indicator_id, year.year): year
        for year in IndicatorYear.objects.filter(
            indicator_id__in=indicators, year__in={calculations.financial_year(month) for month in months}
        )
    }
    by_month = {(value.indicator_id, value.period): value for value in values}
    rows = []
    for indicator_id, indicator in indicators.items():
        cells = [
            kpi_cell(
                indicator,
                month,
                by_month.get((indicator_id, month)),
                years.get((indicator_id, calculations.financial_year(month))),
            )
            for month in months
        ]
        rows.append(KpiRow(indicator.code, indicator.title, cells))
    return KpiTable(months, rows)


# ---------------------------------------------------------------------------------------
# Learning actions and escalations open at the end of the period


def _open_work(area_id: int, as_of: datetime) -> dict[str, int]:
    actions = LearningAction.objects.filter(audit__service_area_id=area_id).aggregate(
        open=Count("pk", filter=action_open_at(as_of)), overdue=Count("pk", filter=action_overdue_at(as_of))
    )
    escalations = Escalation.objects.filter(audit__service_area_id=area_id).aggregate(
        open=Count("pk", filter=escalation_open_at(as_of)), late=Count("pk", filter=escalation_late_at(as_of))
    )
    return {
        "actions_open": actions["open"],
        "actions_overdue": actions["overdue"],
        "escalations_open": escalations["open"],
        "escalations_late": escalations["late"],
    }


# ---------------------------------------------------------------------------------------
# The area's page


@dataclass
class AreaTriangulation:
    area: ServiceArea
    span: Span
    label: str
    as_of: datetime
    audits: list[AuditPeriod]  # oldest first; the last is the period's
    areas_of_analysis: list[AnalysisAreaRow]
    observations: Observations
    voices: Voices
    complaints: Complaints
    kpis: KpiTable
    open_work: dict[str, int]
    flags: list[str] = field(default_factory=list)

    @property
    def audits_now(self) -> AuditPeriod:
        return self.audits[-1]


def area_triangulation(area: ServiceArea, span: Span, *, today: date | None = None) -> AreaTriangulation:
    """Every source's figures for `area` in `span`, and the flags of the active rules."""
    as_of = as_of_for(span, today)
    themes = list(PracticeTheme.objects.filter(is_active=True))
    audits = [_audit_period(earlier, area.pk) for earlier in trend_of(span)]
    result = AreaTriangulation(
        area=area,
        span=span,
        label=label_of(span),
        as_of=as_of,
        audits=audits,
        areas_of_analysis=_areas_of_analysis(trend_of(span), area.pk),
        observations=_observations(span, area.pk, as_of, themes),
        voices=_voices(span, area.pk, themes, audits[-1]),
        complaints=_complaints(span, area.pk),
        kpis=_kpis(span, area.pk),
        open_work=_open_work(area.pk, as_of),
    )
    result.flags = flags_for(result)
    return result


# ---------------------------------------------------------------------------------------
# A practice theme's page (council-wide: the themes' counts are kept per month, not per area)


@dataclass(frozen=True)
class ThemePeriod:
    span: Span
    label: str
    audits: int  # audits completed in the period mentioning the theme
    completed: int  # audits completed in the period

    @property
    def audits_pct(self) -> float | None:
        return pct(self.audits, self.completed)


@dataclass(frozen=True)
class ThemeTriangulation:
    theme: PracticeTheme
    span: Span
    label: str
    audits: list[ThemePeriod]  # oldest first; the last is the period's
    observations: int
    visits: int
    responses: int | None  # None: suppressed, or not to be broken down (one to four responses in all)
    smallest_group: int = SMALLEST_GROUP


def _completed(span: Span) -> int:
    return sum(row["total"] for row in figure_months.counts(span.start, span.end, ("service_area_id",), {}))


def theme_triangulation(theme: PracticeTheme, span: Span) -> ThemeTriangulation:
    """How often each source mentions `theme` in `span` (audits over the trend too), matched the one
    way the reports match (quality.reports.themes.text_mentions and mentions)."""
    figure_months.refresh("themes_stale")
    audits = [
        ThemePeriod(earlier, label_of(earlier), theme_counts(earlier, [theme]).get(theme.pk, 0), _completed(earlier))
        for earlier in trend_of(span)
    ]
    recorded = Observation.objects.filter(state=Observation.State.RECORDED, observed_on__range=(span.start, span.end))
    observed = observation_counts(recorded, span.start, span.end, [theme])
    responses = response_counts(span.start, span.end, [theme])
    mentioning = responses.get(f"theme_{theme.pk}", 0)
    return ThemeTriangulation(
        theme=theme,
        span=span,
        label=label_of(span),
        audits=audits,
        observations=observed.get(f"theme_{theme.pk}", 0),
        visits=observed.get(f"visits_{theme.pk}", 0),
        responses=suppressed(mentioning) if theme_breakdown_allowed(responses["responses"]) else None,
    )
