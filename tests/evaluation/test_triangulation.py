"""The triangulation of a service area (quality/evaluation/triangulation.py) and its rules' flags,
on hand-built data at the suite's today (16 November 2026): the period is November 2026."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.models import LearningAction
from evidence.complaints.models import Entry, Kind, Outcome, Theme
from performance.models import IndicatorYear
from quality.evaluation import rules
from quality.evaluation.models import TriangulationRule
from quality.evaluation.triangulation import area_triangulation, span_for, theme_triangulation
from quality.org.models import ChangeRecord
from quality.reports.models import PracticeTheme
from tests.factories import AuditFactory, IndicatorFactory, indicator_value, moderated

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NOVEMBER = date(2026, 11, 1)
LONDON = timezone.get_default_timezone()


def on(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=LONDON)


def audits(tool_version, area, grades: list[str], **fields) -> list:
    return [
        AuditFactory(tool_version=tool_version, service_area=area, overall_grade=grade, submitted_at=on(10), **fields)
        for grade in grades
    ]


def red_kpi(area, title="Timeliness of assessments"):
    """An indicator whose November value for the area is red: 50% against a target of 90%."""
    indicator = IndicatorFactory(title=title)
    IndicatorYear.objects.create(indicator=indicator, year=2026, target=90)
    indicator_value(indicator, NOVEMBER, 50, service_area=area)
    return indicator


def complaint(area, outcome=Outcome.UPHELD, received_on=date(2026, 11, 5)):
    return Entry.objects.create(
        received_on=received_on, service_area=area, kind=Kind.COMPLAINT, theme=Theme.TIMELINESS, outcome=outcome
    )


def figures_of(area):
    return area_triangulation(area, span_for("monthly", "2026-11"))


def test_grades_before_and_after_moderation_are_the_areas_own(tool_version, own_area, other_area):
    good, *_ = audits(tool_version, own_area, ["good", "good", "good", "outstanding", "requires_improvement"])
    audits(tool_version, other_area, ["inadequate", "inadequate"])
    AuditFactory(tool_version=tool_version, review=True, submitted_at=on(10))  # ungraded: completed, not graded
    moderated(good, "requires_improvement", on=date(2026, 11, 12))

    now = figures_of(own_area).audits_now

    assert (now.completed, now.graded) == (6, 5)
    assert now.before == {"outstanding": 1, "good": 3, "requires_improvement": 1, "inadequate": 0}
    assert now.after == {"outstanding": 1, "good": 2, "requires_improvement": 2, "inadequate": 0}
    assert (now.good_before_pct, now.good_after_pct) == (80.0, 60.0)
    assert (now.moderated, now.lowered, now.lowered_pct) == (1, 1, 100.0)


def test_the_trend_is_the_period_and_the_three_before_it(tool_version, own_area):
    AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 9, 15, 12, tzinfo=LONDON))
    audits(tool_version, own_area, ["good"])

    trend = figures_of(own_area).audits

    assert [period.label for period in trend] == ["August 2026", "September 2026", "October 2026", "November 2026"]
    assert [period.completed for period in trend] == [0, 1, 0, 1]


def test_complaints_kpis_and_open_work_are_the_areas(tool_version, own_area, other_area):
    complaint(own_area, Outcome.UPHELD)
    complaint(own_area, Outcome.PARTLY_UPHELD)
    complaint(own_area, Outcome.NOT_UPHELD)
    complaint(own_area, Outcome.UPHELD, received_on=date(2026, 10, 30))  # before the period
    complaint(other_area, Outcome.UPHELD)
    red_kpi(own_area)
    red_kpi(other_area, "Visits on time")
    audit = audits(tool_version, own_area, ["good"])[0]
    action = LearningAction.objects.create(
        audit=audit, description="Update the chronology", owner=audit.auditor, due_on=NOVEMBER
    )
    # Open "at the end of the period": for the month not yet over, at the start of today.
    LearningAction.objects.filter(pk=action.pk).update(created_at=on(10))

    figures = figures_of(own_area)

    assert (figures.complaints.complaints, figures.complaints.upheld) == (3, 2)
    assert [(row.title, row.latest.rag) for row in figures.kpis.rows] == [("Timeliness of assessments", "red")]
    assert figures.open_work["actions_open"] == 1
    assert figures.open_work["actions_overdue"] == 1


def test_a_red_kpi_beside_good_grades_is_flagged_until_the_grades_fall_below_the_threshold(tool_version, own_area):
    rules.ensure_default_rules()
    audits(tool_version, own_area, ["good", "good", "good", "outstanding", "requires_improvement"])  # 80%
    red_kpi(own_area)

    assert figures_of(own_area).flags == [
        "80% of audits were graded good or outstanding, yet 'Timeliness of assessments' was red in November 2026."
    ]

    audits(tool_version, own_area, ["inadequate"])  # 66.7%: the grades no longer look good

    assert figures_of(own_area).flags == []


def test_raising_the_rules_threshold_takes_the_flag_away_and_is_recorded(tool_version, own_area, qa_lead):
    rules.ensure_default_rules()
    audits(tool_version, own_area, ["good", "good", "good", "good", "requires_improvement"])  # 80%
    red_kpi(own_area)
    rule = TriangulationRule.objects.get(kind=TriangulationRule.Kind.GOOD_GRADES_RED_KPI)
    assert len(figures_of(own_area).flags) == 1

    rules.triangulation_rule_update(
        actor=qa_lead.user, rule=rule, threshold_pct=90, threshold_count=None, is_active=True, reason="Too noisy"
    )

    assert figures_of(own_area).flags == []
    record = ChangeRecord.objects.get(action="triangulation_rule_update")
    assert (record.actor, record.reason) == (qa_lead.user, "Too noisy")
    assert "percentage 80 → 90" in record.summary


def test_a_rule_turned_off_flags_nothing(tool_version, own_area, qa_lead):
    rules.ensure_default_rules()
    audits(tool_version, own_area, ["good", "good"])
    red_kpi(own_area)
    rule = TriangulationRule.objects.get(kind=TriangulationRule.Kind.GOOD_GRADES_RED_KPI)

    rules.triangulation_rule_update(
        actor=qa_lead.user, rule=rule, threshold_pct=80, threshold_count=None, is_active=False, reason="Paused"
    )

    assert figures_of(own_area).flags == []


def test_upheld_complaints_beside_good_grades_are_flagged_from_the_rules_number(tool_version, own_area):
    rules.ensure_default_rules()
    audits(tool_version, own_area, ["good"])
    complaint(own_area, Outcome.UPHELD)
    assert figures_of(own_area).flags == []

    complaint(own_area, Outcome.PARTLY_UPHELD)

    assert figures_of(own_area).flags == [
        "100% of audits were graded good or outstanding, yet 2 complaints were upheld or partly upheld "
        "in November 2026."
    ]


def test_a_rule_without_a_reason_or_with_a_percentage_over_100_is_refused(qa_lead):
    rules.ensure_default_rules()
    rule = TriangulationRule.objects.get(kind=TriangulationRule.Kind.MODERATION_LOWERED)
    with pytest.raises(Exception) as refused:
        rules.triangulation_rule_update(
            actor=qa_lead.user, rule=rule, threshold_pct=120, threshold_count=None, is_active=True, reason=" "
        )
    assert refused.value.message_dict == {"threshold_pct": [rules.PCT_REQUIRED], "reason": [rules.REASON_REQUIRED]}


def test_the_area_page_runs_the_same_number_of_queries_at_two_sizes(tool_version, own_area):
    rules.ensure_default_rules()
    PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])

    def count() -> int:
        figures_of(own_area)  # the kept counts rebuilt first, so both runs read them as they are
        with CaptureQueriesContext(connection) as queries:
            figures_of(own_area)
        return len(queries)

    audits(tool_version, own_area, ["good"])
    complaint(own_area)
    red_kpi(own_area)
    small = count()
    audits(tool_version, own_area, ["good", "requires_improvement", "good"] * 5)
    for _ in range(5):
        complaint(own_area)
    red_kpi(own_area, "Visits on time")
    assert count() == small


def test_a_themes_page_counts_the_audits_mentioning_it_over_the_trend(tool_version, own_area, other_area):
    theme = PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])
    audits(tool_version, own_area, ["good"], strengths="The chronology is up to date.")
    audits(tool_version, other_area, ["good"], strengths="A clear chronology.")
    audits(tool_version, own_area, ["good"], strengths="Good visits.")

    figures = theme_triangulation(theme, span_for("monthly", "2026-11"))

    assert [(period.audits, period.completed) for period in figures.audits] == [(0, 0), (0, 0), (0, 0), (2, 3)]
    assert figures.responses == 0
    assert figures.observations == 0


def test_the_trend_spans_are_earlier_periods_of_the_same_kind():
    span = span_for("quarterly", "2026-Q4")
    assert span.earlier(1).code == "2026-Q3"
    assert span.start - timedelta(days=1) == span.earlier(1).end


def test_the_areas_of_analysis_are_the_areas_own_audits_grades_over_the_trend(tool_version, own_area, other_area):
    from audits.models import AnalysisArea, AreaGrade

    first, second = audits(tool_version, own_area, ["good", "requires_improvement"])
    elsewhere = audits(tool_version, other_area, ["inadequate"])[0]
    october = AuditFactory(
        tool_version=tool_version, service_area=own_area, overall_grade="good", submitted_at=on(10) - timedelta(days=30)
    )
    area = AnalysisArea.values[0]
    for audit, grade in [(first, "good"), (second, "inadequate"), (elsewhere, "good"), (october, "outstanding")]:
        AreaGrade.objects.create(audit=audit, area=area, grade=grade)

    rows = figures_of(own_area).areas_of_analysis

    assert [row.label for row in rows] == [label for _, label in AnalysisArea.choices]
    assert rows[0].grades == [0, 1, 0, 1]  # outstanding, good, requires improvement, inadequate
    assert rows[0].good_pcts == [None, None, 100.0, 50.0]  # August to November 2026
    assert rows[1].grades == [0, 0, 0, 0]


def test_a_themes_figures_run_the_same_queries_whatever_the_number_of_audits(tool_version, own_area, other_area):
    theme = PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            theme_triangulation(theme, span_for("monthly", "2026-11"))
        return len(queries)

    audits(tool_version, own_area, ["good"], strengths="The chronology is clear.")
    small = count()
    audits(tool_version, own_area, ["good"] * 4, strengths="A chronology.")
    audits(tool_version, other_area, ["inadequate"] * 3, strengths="No chronology.")
    assert count() == small
