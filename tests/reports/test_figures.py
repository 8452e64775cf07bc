"""The figures of audit analysis reports (quality/reports/figures.py), on a hand-built set of audits.

Each figure against its definition in docs/reports.md: an empty period, one audit, all ungraded,
drafts never counted, imported audits by their completion day, London midnights, moderation recorded
after the period closed, changes from the previous period, allocations, the seven areas and their
trend, practice themes with their audits, actions, escalations, exemplars, highlight candidates and
the moderation summary. Then the query count (the same at two sizes) and 100,000 audits.
"""

from __future__ import annotations

import json
import time as clock
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits import figure_months
from audits.models import (
    Allocation,
    AllocationItem,
    Answer,
    AreaGrade,
    Audit,
    Case,
    Escalation,
    LearningAction,
    LegalStatus,
    Question,
)
from moderation.models import ModerationDecision
from moderation.selectors import decisions_in, summary
from quality.org.models import Role, ServiceAreaName
from quality.reports import figures
from quality.reports.figures import compute, parse_period
from quality.reports.models import PracticeTheme
from quality.reports.themes import ensure_default_themes
from tests.factories import ServiceAreaFactory
from tests.moderation.outcome_world import published_version

pytestmark = pytest.mark.django_db

LONDON = timezone.get_default_timezone()
GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
TOP_KEYS = {
    "kind",
    "period",
    "period_start",
    "period_end",
    "year_to_date",
    "small_sample_threshold",
    "audits",
    "grades_pct",
    "moderated",
    "previous",
    "changes",
    "by_service_area",
    "evidence",
    "by_kind",
    "by_theme",
    "areas_of_analysis",
    "themes",
    "actions",
    "escalations",
    "exemplars",
    "moderation",
    "highlight_candidates",
}
AUDIT_KEYS = {
    "completed",
    "allocated",
    "allocated_completed",
    "completed_of_allocated_pct",
    "service_areas",
    "practitioner_discussion_pct",
    "child_contact_pct",
    "family_contact_pct",
    "graded",
    "ungraded",
    "grades",
    "small_sample",
    "bases",
}


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in London."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)), LONDON)


@pytest.fixture
def own_area(db):
    """As tests/conftest.py's, with its first name from long before the audits (names are never re-dated)."""
    return ServiceAreaFactory(code="SWF", name="Social Work with Families", first_name=at(date(2020, 1, 1)))


@pytest.fixture
def version(db):
    return published_version()


@pytest.fixture
def auditor(make_person, own_area):
    return make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager")


class Maker:
    """Audits of the tests: submitted on a day (London noon) unless told otherwise."""

    def __init__(self, version, auditor, area):
        self.version, self.auditor, self.area = version, auditor, area
        self.count = 0

    def __call__(self, on: date | None = None, grade: str = "good", *, area=None, submitted_at=None, **fields):
        self.count += 1
        fields.setdefault("state", Audit.State.SUBMITTED)
        return Audit.objects.create(
            case_reference=f"C{self.count:06d}",
            service_area=area or self.area,
            auditor=self.auditor,
            tool_version=self.version,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            overall_grade=grade,
            submitted_at=submitted_at if submitted_at is not None else (at(on) if on else None),
            **fields,
        )


@pytest.fixture
def make_audit(version, auditor, own_area):
    return Maker(version, auditor, own_area)


def monthly(period: str = "2026-10", **kwargs) -> dict:
    return compute("monthly", period, today=date(2026, 11, 23), **kwargs)


# ---------------------------------------------------------------------------------------
# Periods


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("monthly", "2023-11", (date(2023, 11, 1), date(2023, 11, 30))),
        ("monthly", "2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("quarterly", "2023-Q4", (date(2023, 10, 1), date(2023, 12, 31))),
        ("quarterly", "2023-q1", (date(2023, 1, 1), date(2023, 3, 31))),
        ("annual", "2022", (date(2022, 1, 1), date(2022, 12, 31))),
        ("annual", " 2022 ", (date(2022, 1, 1), date(2022, 12, 31))),
    ],
)
def test_a_period_code_gives_its_first_and_last_day(kind, text, expected):
    assert parse_period(kind, text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("monthly", "2023-13", "There is no month 13 in '2023-13': months go from 01 to 12."),
        ("monthly", "2023-Q4", figures.PERIOD_FORMATS["monthly"].format(text="2023-Q4")),
        ("monthly", "Nov 2023", figures.PERIOD_FORMATS["monthly"].format(text="Nov 2023")),
        ("quarterly", "2023-Q5", figures.PERIOD_FORMATS["quarterly"].format(text="2023-Q5")),
        ("quarterly", "2023-11", figures.PERIOD_FORMATS["quarterly"].format(text="2023-11")),
        ("annual", "22", figures.PERIOD_FORMATS["annual"].format(text="22")),
        ("annual", "0999", figures.YEAR_INVALID.format(text="0999")),
        ("weekly", "2023-11", figures.KIND_UNKNOWN.format(kind="weekly")),
    ],
)
def test_a_wrong_period_code_is_refused_with_a_sentence_saying_why(kind, text, message):
    with pytest.raises(ValueError) as refused:
        parse_period(kind, text)
    assert str(refused.value) == message


def test_the_previous_and_trend_periods_cross_year_ends():
    january = figures.report_span("monthly", "2026-01")
    assert [january.earlier(n).code for n in (3, 2, 1)] == ["2025-10", "2025-11", "2025-12"]
    first_quarter = figures.report_span("quarterly", "2026-Q1")
    assert [first_quarter.earlier(n).code for n in (3, 2, 1)] == ["2025-Q2", "2025-Q3", "2025-Q4"]
    assert first_quarter.earlier(1).end == date(2025, 12, 31)


def test_a_year_to_date_ends_the_day_before_today_and_compares_with_the_same_span_of_last_year():
    result = compute("annual", "2026", year_to_date=True, today=date(2026, 12, 1))

    assert (result["period_start"], result["period_end"], result["year_to_date"]) == ("2026-01-01", "2026-11-30", True)
    assert (result["previous"]["period_start"], result["previous"]["period_end"]) == ("2025-01-01", "2025-11-30")
    trend = result["areas_of_analysis"][0]["trend"]
    assert [(entry["period"], entry["period_end"]) for entry in trend] == [
        ("2023", "2023-11-30"),
        ("2024", "2024-11-30"),
        ("2025", "2025-11-30"),
        ("2026", "2026-11-30"),
    ]
    quarters = result["areas_of_analysis"][0]["quarters"]
    assert [(entry["period"], entry["period_end"]) for entry in quarters] == [
        ("2026-Q1", "2026-03-31"),
        ("2026-Q2", "2026-06-30"),
        ("2026-Q3", "2026-09-30"),
        ("2026-Q4", "2026-11-30"),
    ]


def test_a_year_to_date_is_for_annual_reports_that_have_begun():
    with pytest.raises(ValueError, match="Only an annual report"):
        compute("monthly", "2026-10", year_to_date=True)
    with pytest.raises(ValueError, match="has no day before 01/01/2027"):
        compute("annual", "2027", year_to_date=True, today=date(2027, 1, 1))


# ---------------------------------------------------------------------------------------
# Headline figures


def test_an_empty_period_has_zero_counts_and_no_percentages(db):
    result = monthly()

    assert set(result) == TOP_KEYS
    assert set(result["audits"]) == AUDIT_KEYS
    assert set(result["previous"]) == AUDIT_KEYS | {"period", "period_start", "period_end"}
    assert (result["kind"], result["period"], result["period_start"], result["period_end"]) == (
        "monthly",
        "2026-10",
        "2026-10-01",
        "2026-10-31",
    )
    audits = result["audits"]
    assert audits["completed"] == audits["allocated"] == audits["graded"] == audits["ungraded"] == 0
    assert audits["completed_of_allocated_pct"] is None
    assert audits["practitioner_discussion_pct"] is audits["child_contact_pct"] is None
    assert audits["grades"] == dict.fromkeys(GRADES, 0)
    assert audits["small_sample"] is True
    assert result["grades_pct"] == dict.fromkeys(GRADES)
    assert result["moderated"] == {
        "grades": dict.fromkeys(GRADES, 0),
        "grades_pct": dict.fromkeys(GRADES),
        "moderated_count": 0,
        "graded": 0,
    }
    assert result["changes"] == {
        "completed": 0,
        "practitioner_discussion_pct": None,
        "child_contact_pct": None,
        "family_contact_pct": None,
    }
    assert result["by_service_area"] == result["by_kind"] == result["by_theme"] == []
    assert [area["area"] for area in result["areas_of_analysis"]] == [
        "narrative",
        "assessment",
        "planning",
        "relationship",
        "outcomes",
        "supervision",
        "management_oversight",
    ]
    assert all(area["total"] == 0 and len(area["trend"]) == 4 for area in result["areas_of_analysis"])
    assert result["actions"] == {"opened": 0, "completed": 0, "overdue": 0}
    assert result["escalations"] == {"opened": 0, "open": 0, "late": 0, "closed": 0}
    assert result["exemplars"] == result["highlight_candidates"] == result["themes"] == []
    assert result["moderation"]["moderated"] == 0
    assert json.loads(json.dumps(result)) == result  # JSON-native throughout


def test_one_audit_is_one_hundred_percent_of_everything_it_says_yes_to(make_audit, own_area):
    make_audit(
        date(2026, 10, 14), "good", discussion_held=True, child_contacted=False, family_contacted=True, kind="monthly"
    )

    result = monthly()

    audits = result["audits"]
    assert (audits["completed"], audits["service_areas"], audits["graded"], audits["ungraded"]) == (1, 1, 1, 0)
    assert (audits["practitioner_discussion_pct"], audits["child_contact_pct"], audits["family_contact_pct"]) == (
        100.0,
        0.0,
        100.0,
    )
    assert audits["grades"] == {"outstanding": 0, "good": 1, "requires_improvement": 0, "inadequate": 0}
    assert result["grades_pct"] == {"outstanding": 0.0, "good": 100.0, "requires_improvement": 0.0, "inadequate": 0.0}
    assert audits["small_sample"] is True
    assert audits["bases"]["grades_pct"] == 1
    assert result["by_service_area"] == [
        {
            "code": "SWF",
            "name": "Social Work with Families",
            "outstanding": 0,
            "good": 1,
            "requires_improvement": 0,
            "inadequate": 0,
            "ungraded": 0,
            "total": 1,
        }
    ]
    assert result["by_kind"] == [
        {
            "kind": "monthly",
            "label": "Monthly case audit",
            "outstanding": 0,
            "good": 1,
            "requires_improvement": 0,
            "inadequate": 0,
            "ungraded": 0,
            "total": 1,
        }
    ]


def test_all_ungraded_reviews_give_no_grade_percentages(make_audit, other_area):
    make_audit(date(2026, 10, 2), "", kind="review", theme="Neglect")
    make_audit(date(2026, 10, 3), "", kind="review", theme="Neglect", area=other_area)

    result = monthly()

    audits = result["audits"]
    assert (audits["completed"], audits["graded"], audits["ungraded"], audits["service_areas"]) == (2, 0, 2, 2)
    assert result["grades_pct"] == dict.fromkeys(GRADES)
    assert result["moderated"]["grades_pct"] == dict.fromkeys(GRADES)
    assert [(row["code"], row["ungraded"], row["total"]) for row in result["by_service_area"]] == [
        ("PTC", 1, 1),
        ("SWF", 1, 1),
    ]
    assert result["by_theme"] == [
        {
            "theme": "Neglect",
            "outstanding": 0,
            "good": 0,
            "requires_improvement": 0,
            "inadequate": 0,
            "ungraded": 2,
            "total": 2,
        }
    ]
    assert result["by_kind"][0]["kind"] == "review"


def test_drafts_never_count_and_every_other_state_does(make_audit):
    make_audit(date(2026, 10, 5), state=Audit.State.DRAFT)
    make_audit(date(2026, 10, 5), state=Audit.State.DRAFT, completed_on=date(2026, 10, 5), import_reference="D1")
    for state in (Audit.State.SUBMITTED, Audit.State.DISPUTED, Audit.State.OVERSEEN, Audit.State.CLOSED):
        make_audit(date(2026, 10, 5), state=state)

    assert monthly()["audits"]["completed"] == 4


def test_a_submission_counts_in_the_month_of_its_london_day(make_audit):
    # 00:30 on 1 October in London is still 30 September in UTC (summer time), and the reverse at the end.
    make_audit(submitted_at=at(date(2026, 10, 1), 0, 30))
    make_audit(submitted_at=at(date(2026, 9, 30), 23, 30))
    make_audit(submitted_at=at(date(2026, 10, 31), 23, 59))
    make_audit(submitted_at=at(date(2026, 11, 1), 0, 0))

    assert monthly()["audits"]["completed"] == 2
    assert monthly("2026-09")["audits"]["completed"] == 1
    assert monthly("2026-11")["audits"]["completed"] == 1


def test_an_imported_audit_counts_on_its_completion_day_not_when_it_was_loaded(make_audit):
    make_audit(
        date(2026, 11, 20),
        state=Audit.State.CLOSED,
        completed_on=date(2026, 10, 9),
        import_reference="QA-2026-001",
    )

    assert monthly()["audits"]["completed"] == 1
    assert monthly("2026-11")["audits"]["completed"] == 0


def test_the_moderated_grades_count_moderation_recorded_after_the_period_closed(make_audit):
    kept = make_audit(date(2026, 10, 6), "good")
    changed = make_audit(date(2026, 10, 7), "good")
    make_audit(date(2026, 10, 8), "inadequate")
    # Moderated in January, long after October closed: the audit carries the moderated grade.
    ModerationDecision.objects.create(
        audit=changed,
        source="panel",
        original_grade="good",
        moderated_grade="requires_improvement",
        decided_on=date(2027, 1, 12),
    )
    Audit.objects.filter(pk=changed.pk).update(moderated_grade="requires_improvement")
    Audit.objects.filter(pk=kept.pk).update(moderated_grade="good")

    result = compute("monthly", "2026-10", today=date(2027, 1, 20))

    assert result["audits"]["grades"] == {"outstanding": 0, "good": 2, "requires_improvement": 0, "inadequate": 1}
    assert result["moderated"]["grades"] == {
        "outstanding": 0,
        "good": 1,
        "requires_improvement": 1,
        "inadequate": 1,
    }
    assert result["moderated"]["moderated_count"] == 2
    assert result["moderated"]["grades_pct"]["requires_improvement"] == 33.3
    assert result["grades_pct"]["good"] == 66.7
    # The moderation summary is about decisions dated in the period: January's is not in October's.
    assert result["moderation"]["moderated"] == 0
    assert compute("monthly", "2027-01", today=date(2027, 1, 20))["moderation"]["moderated"] == 1


def test_changes_compare_with_the_previous_period_in_counts_and_points(make_audit):
    for held in (True, True, False, False):
        make_audit(date(2026, 9, 10), discussion_held=held, child_contacted=True)
    for held in (True, True, True, False, None):
        make_audit(date(2026, 10, 10), discussion_held=held)

    result = monthly()

    assert result["previous"]["period"] == "2026-09"
    assert result["previous"]["completed"] == 4
    assert result["previous"]["practitioner_discussion_pct"] == 50.0
    # An unanswered question is left out of its base: 3 of the 4 that answered.
    assert result["audits"]["practitioner_discussion_pct"] == 75.0
    assert result["audits"]["bases"]["practitioner_discussion_pct"] == 4
    assert result["changes"] == {
        "completed": 1,
        "practitioner_discussion_pct": 25.0,
        "child_contact_pct": None,  # nobody answered in October
        "family_contact_pct": None,
    }


def test_the_small_sample_flag_goes_at_twenty_audits(make_audit):
    for _ in range(19):
        make_audit(date(2026, 10, 10))
    assert monthly()["audits"]["small_sample"] is True
    make_audit(date(2026, 10, 11))
    assert monthly()["audits"]["small_sample"] is False
    assert monthly()["small_sample_threshold"] == 20


def _case(area, ref):
    return Case.objects.create(
        child_ref=ref, service_area=area, legal_status=LegalStatus.CIN, open_since=date(2025, 1, 1)
    )


def test_allocated_counts_the_cases_distributed_in_the_period_that_were_not_removed(make_audit, auditor, own_area):
    october = Allocation.objects.create(month=date(2026, 10, 1), state=Allocation.State.DISTRIBUTED)
    proposed = Allocation.objects.create(month=date(2026, 9, 1), state=Allocation.State.PROPOSED)
    november = Allocation.objects.create(month=date(2026, 11, 1), state=Allocation.State.DISTRIBUTED)
    done = make_audit(date(2026, 10, 20))
    draft = make_audit(None, state=Audit.State.DRAFT)
    late = make_audit(date(2026, 11, 2))  # submitted in November: still completes an October allocation
    for index, audit in enumerate([done, draft, late, None]):
        AllocationItem.objects.create(
            allocation=october, case=_case(own_area, f"A{index}"), auditor=auditor, reason="theme", audit=audit
        )
    AllocationItem.objects.create(
        allocation=october,
        case=_case(own_area, "R1"),
        auditor=auditor,
        reason="theme",
        removed_at=timezone.now(),
        removed_reason="closed case",
    )
    AllocationItem.objects.create(allocation=proposed, case=_case(own_area, "P1"), auditor=auditor, reason="x")
    AllocationItem.objects.create(allocation=november, case=_case(own_area, "N1"), auditor=auditor, reason="x")

    audits = monthly()["audits"]

    assert (audits["allocated"], audits["allocated_completed"], audits["completed_of_allocated_pct"]) == (4, 2, 50.0)
    assert audits["completed"] == 1
    assert monthly()["previous"]["allocated"] == 0  # September's allocation was never distributed


# ---------------------------------------------------------------------------------------
# Tables


def test_service_areas_are_listed_by_code_with_the_name_they_had_then(make_audit, own_area, other_area):
    make_audit(date(2026, 10, 1), "outstanding", area=other_area)
    make_audit(date(2026, 10, 2), "inadequate", area=other_area)
    make_audit(date(2026, 10, 3), "", kind="review")
    ServiceAreaFactory(code="AAA", name="Unused area")  # no audit: not listed
    own_area.name = "Families First"
    own_area.save()
    ServiceAreaName.objects.create(service_area=own_area, name="Families First", valid_from=at(date(2026, 11, 5)))

    rows = monthly()["by_service_area"]

    assert [(row["code"], row["name"]) for row in rows] == [
        ("PTC", "Pathways Through Care"),
        ("SWF", "Social Work with Families"),
    ]
    assert {key: rows[0][key] for key in [*GRADES, "ungraded", "total"]} == {
        "outstanding": 1,
        "good": 0,
        "requires_improvement": 0,
        "inadequate": 1,
        "ungraded": 0,
        "total": 2,
    }
    assert monthly("2026-11")["by_service_area"] == []
    make_audit(date(2026, 11, 10))
    assert monthly("2026-11")["by_service_area"][0]["name"] == "Families First"


def test_kinds_come_in_their_usual_order_and_themes_alphabetically(make_audit):
    make_audit(date(2026, 10, 1), kind="partnership", theme="neglect")
    make_audit(date(2026, 10, 1), kind="monthly", theme="Domestic abuse")
    make_audit(date(2026, 10, 1), kind="monthly", theme="")

    result = monthly()

    assert [(row["kind"], row["total"]) for row in result["by_kind"]] == [("monthly", 2), ("partnership", 1)]
    assert [row["theme"] for row in result["by_theme"]] == ["Domestic abuse", "neglect"]


def _area_grades(audit, **grades):
    AreaGrade.objects.bulk_create(AreaGrade(audit=audit, area=area, grade=grade) for area, grade in grades.items())


def test_the_areas_of_analysis_show_this_quarter_after_the_three_before(make_audit):
    _area_grades(make_audit(date(2026, 9, 30), "good"), planning="good", supervision="inadequate")
    _area_grades(make_audit(date(2026, 8, 1), "good"), planning="requires_improvement")
    _area_grades(make_audit(date(2026, 1, 15), "good"), planning="outstanding")  # Q1: in the trend
    _area_grades(make_audit(date(2025, 12, 31), "good"), planning="outstanding")  # Q4 2025: too early
    _area_grades(make_audit(date(2026, 9, 2), "good", state=Audit.State.DRAFT), planning="inadequate")

    result = compute("quarterly", "2026-Q3", today=date(2026, 11, 23))

    planning = next(area for area in result["areas_of_analysis"] if area["area"] == "planning")
    assert planning["label"] == "Planning"
    assert planning["grades"] == {"outstanding": 0, "good": 1, "requires_improvement": 1, "inadequate": 0}
    assert planning["total"] == 2
    assert [(entry["period"], entry["total"]) for entry in planning["trend"]] == [
        ("2025-Q4", 1),
        ("2026-Q1", 1),
        ("2026-Q2", 0),
        ("2026-Q3", 2),
    ]
    assert planning["trend"][-1]["grades"] == planning["grades"]
    assert planning["quarters"] == []
    supervision = next(area for area in result["areas_of_analysis"] if area["area"] == "supervision")
    assert supervision["grades"]["inadequate"] == 1


def test_an_annual_report_shows_each_area_quarter_by_quarter(make_audit):
    _area_grades(make_audit(date(2026, 2, 1)), outcomes="good")
    _area_grades(make_audit(date(2026, 11, 1)), outcomes="inadequate")
    _area_grades(make_audit(date(2025, 5, 1)), outcomes="good")

    result = compute("annual", "2026", today=date(2027, 1, 6))

    outcomes = next(area for area in result["areas_of_analysis"] if area["area"] == "outcomes")
    assert [(entry["period"], entry["total"]) for entry in outcomes["quarters"]] == [
        ("2026-Q1", 1),
        ("2026-Q2", 0),
        ("2026-Q3", 0),
        ("2026-Q4", 1),
    ]
    assert [(entry["period"], entry["total"]) for entry in outcomes["trend"]] == [
        ("2023", 0),
        ("2024", 0),
        ("2025", 1),
        ("2026", 2),
    ]


# ---------------------------------------------------------------------------------------
# Practice themes


def test_themes_count_the_audits_whose_narratives_mention_them_with_their_theme_id(make_audit, version):
    chronology = PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"], order=1)
    visiting = PracticeTheme.objects.create(name="Visiting", key_phrases=["visit", "home visit"], order=2)
    PracticeTheme.objects.create(name="Old theme", key_phrases=["chronolog"], is_active=False, order=3)
    genogram = PracticeTheme.objects.create(name="Genogram", key_phrases=["genogram"], order=4)
    make_audit(date(2026, 10, 1), strengths="An up to date CHRONOLOGY; visits were regular.")
    make_audit(date(2026, 10, 2), child_family_views="She liked the home visits and visiting days.")
    answered = make_audit(date(2026, 10, 3))
    question = Question.objects.filter(section__version=version, type=Question.Type.NARRATIVE).first()
    Answer.objects.create(audit=answered, question=question, value="The Chronological record was clear.")
    make_audit(date(2026, 10, 4), areas_for_improvement="Nothing about the theme words here.")
    make_audit(date(2026, 10, 5), strengths="chronology", state=Audit.State.DRAFT)
    make_audit(date(2026, 9, 5), areas_for_improvement="No chronology on file.")
    make_audit(date(2026, 9, 6), areas_for_improvement="Update the chronology.")

    themes = monthly()["themes"]

    # The theme's id, not the audits' ids: the report links the count to the audit list filtered by
    # theme and period (tests/reports/test_theme_links.py checks that list holds these audits).
    assert themes == [
        {"theme_id": chronology.pk, "name": "Chronology", "count": 2, "previous_count": 2, "change": 0},
        {"theme_id": visiting.pk, "name": "Visiting", "count": 2, "previous_count": 0, "change": 2},
        {"theme_id": genogram.pk, "name": "Genogram", "count": 0, "previous_count": 0, "change": 0},
    ]


# ---------------------------------------------------------------------------------------
# Actions, escalations, exemplars, highlights, moderation


def test_learning_actions_opened_completed_and_overdue_at_the_end_of_the_period(make_audit, auditor):
    audit = make_audit(date(2026, 10, 1))

    def action(created: datetime, due: date, status="open", closed: datetime | None = None):
        made = LearningAction.objects.create(
            audit=audit, description="Update the plan", owner=auditor, due_on=due, status=status, closed_at=closed
        )
        LearningAction.objects.filter(pk=made.pk).update(created_at=created)

    action(at(date(2026, 10, 2)), date(2026, 10, 30))  # opened, overdue (still open)
    action(at(date(2026, 10, 3)), date(2026, 11, 5))  # opened, not due yet at the end of October
    action(at(date(2026, 10, 4)), date(2026, 10, 10), "done", at(date(2026, 10, 9)))  # opened, completed in time
    action(at(date(2026, 9, 4)), date(2026, 9, 30), "done", at(date(2026, 11, 2)))  # overdue then, done later
    action(at(date(2026, 9, 5)), date(2026, 9, 30), "not_needed", at(date(2026, 10, 2)))  # closed in October
    action(at(date(2026, 11, 1)), date(2026, 10, 1))  # made after the period: not counted

    assert monthly()["actions"] == {"opened": 3, "completed": 1, "overdue": 2}


def test_escalations_opened_open_late_and_closed(make_audit):
    def escalation(opened: datetime, **fields):
        made = Escalation.objects.create(audit=make_audit(date(2026, 10, 1), "inadequate"), kind="inadequate", **fields)
        Escalation.objects.filter(pk=made.pk).update(opened_at=opened)

    # Opened in October, first update due 10 October and given on the 9th, second due 14 November: fine.
    escalation(
        at(date(2026, 10, 6)),
        stage="escalated",
        first_update_due=date(2026, 10, 10),
        first_update_at=at(date(2026, 10, 9)),
        second_update_due=date(2026, 11, 14),
    )
    # Opened in September, its one-week update due 20 October came only in November: late at the end.
    escalation(
        at(date(2026, 9, 26)),
        stage="escalated",
        first_update_due=date(2026, 9, 29),
        first_update_at=at(date(2026, 9, 28)),
        second_update_due=date(2026, 10, 20),
        second_update_at=at(date(2026, 11, 3)),
    )
    # Opened and closed in October.
    escalation(at(date(2026, 10, 2)), stage="closed", closed_at=at(date(2026, 10, 20)))
    # Withdrawn by moderation in October: neither open nor closed.
    escalation(at(date(2026, 10, 3)), stage="withdrawn", closed_at=at(date(2026, 10, 4)))
    # Remedial actions due 15 October, still open: late.
    escalation(at(date(2026, 9, 1)), stage="escalated", remedial_due_on=date(2026, 10, 15))

    assert monthly()["escalations"] == {"opened": 3, "open": 3, "late": 2, "closed": 1}


def test_exemplars_are_the_latest_ten_per_service_area_with_their_final_grade(make_audit, other_area):
    for day in range(1, 13):
        make_audit(date(2026, 10, day), "good", is_exemplar=True)
    other = make_audit(date(2026, 10, 3), "good", area=other_area, is_exemplar=True, moderated_grade="outstanding")
    make_audit(date(2026, 10, 3), "good", area=other_area)  # not an exemplar
    make_audit(date(2026, 9, 3), "good", area=other_area, is_exemplar=True)  # another month

    exemplars = monthly()["exemplars"]

    assert exemplars[0] == {
        "audit_id": other.pk,
        "case_reference": other.case_reference,
        "service_area": "PTC",
        "grade": "outstanding",
    }
    own = [row for row in exemplars if row["service_area"] == "SWF"]
    assert len(own) == figures.EXEMPLARS_PER_AREA
    submitted = dict(Audit.objects.filter(pk__in=[row["audit_id"] for row in own]).values_list("pk", "submitted_at"))
    days = [submitted[row["audit_id"]].astimezone(LONDON).day for row in own]
    assert days == list(range(12, 2, -1))  # latest first; the 1st and 2nd left out


def test_highlight_candidates_are_the_written_strengths_and_improvements_per_area(make_audit, other_area):
    first = make_audit(date(2026, 10, 1), strengths="  Clear plan.  ", areas_for_improvement="Chronology gaps.")
    make_audit(date(2026, 10, 2), strengths="   ", areas_for_improvement="")
    second = make_audit(date(2026, 10, 3), strengths="Voice of the child heard.")
    other = make_audit(date(2026, 10, 4), area=other_area, areas_for_improvement="Supervision not recorded.")
    for day in range(5, 20):
        make_audit(date(2026, 10, day), strengths=f"Strength {day}")

    candidates = monthly()["highlight_candidates"]

    assert candidates[0] == {
        "service_area": "PTC",
        "service_area_id": other_area.pk,
        "kind": "improvement",
        "audit_id": other.pk,
        "text": "Supervision not recorded.",
    }
    own_good = [row for row in candidates if row["service_area"] == "SWF" and row["kind"] == "good_practice"]
    assert len(own_good) == figures.HIGHLIGHTS_PER_AREA_AND_KIND
    assert own_good[0]["text"] == "Strength 19"
    assert second.pk not in [row["audit_id"] for row in own_good]  # older than the latest ten
    own_improvement = [row for row in candidates if row["service_area"] == "SWF" and row["kind"] == "improvement"]
    assert own_improvement == [
        {
            "service_area": "SWF",
            "service_area_id": first.service_area_id,
            "kind": "improvement",
            "audit_id": first.pk,
            "text": "Chronology gaps.",
        }
    ]
    assert [row["kind"] for row in candidates if row["service_area"] == "SWF"][-1] == "improvement"


def test_the_highlight_rankings_read_each_area_from_a_day_of_the_period_on(make_audit, other_area):
    """An area with fewer than ten written audits in the period is read from its earliest one's day, and
    an area with none (a retired area's years of history, say) not at all: never "every audit of the area"."""
    quiet = ServiceAreaFactory(code="QUI")
    for month in range(1, 10):
        make_audit(date(2026, month, 5), area=quiet, strengths="An earlier year's strength.")
    few = [make_audit(date(2026, 10, day), area=other_area, strengths=f"Few {day}") for day in (20, 6)]

    with CaptureQueriesContext(connection) as queries:
        candidates = monthly()["highlight_candidates"]

    assert [row["audit_id"] for row in candidates] == [audit.pk for audit in few]
    rankings = [query["sql"] for query in queries if "ROW_NUMBER()" in query["sql"]]
    assert len(rankings) == 1  # good practice; no area has an improvement written in the period
    bounded = (
        f'"audits_audit"."completed_day" >= \'2026-10-06\'::date AND "audits_audit"."service_area_id" = {other_area.pk}'
    )
    assert bounded in rankings[0]
    assert f'"service_area_id" = {quiet.pk}' not in rankings[0]


def test_the_moderation_object_is_the_moderation_summary_of_the_period(make_audit):
    for index, (original, moderated, day) in enumerate(
        [("good", "requires_improvement", 1), ("good", "good", 15), ("inadequate", "inadequate", 31)]
    ):
        audit = make_audit(date(2026, 9, 1 + index), original)
        ModerationDecision.objects.create(
            audit=audit,
            source="panel",
            original_grade=original,
            moderated_grade=moderated,
            decided_on=date(2026, 10, day),
        )
    ModerationDecision.objects.create(
        audit=make_audit(date(2026, 9, 9)),
        source="qa_review",
        original_grade="good",
        moderated_grade="outstanding",
        decided_on=date(2026, 11, 1),
    )

    result = monthly()

    assert result["moderation"] == summary(decisions_in(date(2026, 10, 1), date(2026, 10, 31)))
    assert result["moderation"]["moderated"] == 3


# ---------------------------------------------------------------------------------------
# Computed in the database


def _queries_for(**kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        compute(**kwargs)
    return len(queries)


def _busy_world(make_audit, version, auditor, own_area, other_area, count: int):
    PracticeTheme.objects.get_or_create(name="Chronology", defaults={"key_phrases": ["chronolog"]})
    PracticeTheme.objects.get_or_create(name="Visiting", defaults={"key_phrases": ["visit"]})
    for index in range(count):
        audit = make_audit(
            date(2026, 10, 1 + index % 28),
            GRADES[index % 4],
            area=other_area if index % 2 else own_area,
            theme=f"Theme {index % 3}",
            strengths="Chronology up to date",
            areas_for_improvement="More visits",
            is_exemplar=index % 5 == 0,
            discussion_held=index % 3 == 0,
        )
        _area_grades(audit, planning=GRADES[index % 4])
        LearningAction.objects.create(audit=audit, description="Act", owner=auditor, due_on=date(2026, 10, 20))
        ModerationDecision.objects.create(
            audit=audit,
            source="panel",
            original_grade=audit.overall_grade,
            moderated_grade="good",
            decided_on=date(2026, 10, 28),
        )


# With the figure months up to date (audits/figure_months.py: rebuilding stale months is counted in
# tests/audits/test_figure_months.py), whatever the number of audits and of practice themes.
QUERIES_PER_REPORT = 34


@pytest.mark.parametrize("kind,period", [("monthly", "2026-10"), ("quarterly", "2026-Q4"), ("annual", "2026")])
def test_the_figures_take_a_fixed_number_of_queries_whatever_the_number_of_audits(
    make_audit, version, auditor, own_area, other_area, kind, period, django_assert_num_queries
):
    _busy_world(make_audit, version, auditor, own_area, other_area, 2)
    figure_months.refresh_all()
    with django_assert_num_queries(QUERIES_PER_REPORT):
        small = compute(kind, period, today=date(2026, 11, 23))
    _busy_world(make_audit, version, auditor, own_area, other_area, 40)
    figure_months.refresh_all()
    with django_assert_num_queries(QUERIES_PER_REPORT):
        big = compute(kind, period, today=date(2026, 11, 23))
    assert (small["audits"]["completed"], big["audits"]["completed"]) == (2, 42)
    assert big["themes"][0]["count"] == 42


# Enough audits that counting them one by one would show; the scale itself (100,000 and a million
# audits, every page) is measured on demand by bench/scale.py (docs/performance.md), not in the suite.
MANY_AUDITS = 25_000


def test_an_annual_report_over_many_audits_is_counted_by_the_database_in_seconds(version, auditor, own_area):
    ensure_default_themes()
    areas = [own_area, *(ServiceAreaFactory(code=f"A{n}") for n in range(9))]
    start = date(2026, 1, 1)
    batch = []
    for index in range(MANY_AUDITS):
        day = start + timedelta(days=index % 365)
        batch.append(
            Audit(
                case_reference=f"P{index:07d}",
                service_area=areas[index % len(areas)],
                auditor=auditor,
                tool_version=version,
                period_start=date(2025, 7, 1),
                period_end=date(2025, 12, 31),
                state=Audit.State.CLOSED,
                overall_grade=GRADES[index % 4] if index % 7 else "",
                submitted_at=at(day),
                discussion_held=index % 3 != 0,
                strengths="Chronology was clear" if index % 11 == 0 else "",
            )
        )
    Audit.objects.bulk_create(batch, batch_size=5000)

    started = clock.monotonic()
    assert len(figure_months.refresh()) == 12  # the months the bulk insert marked stale, counted afresh
    assert len(figure_months.refresh("themes_stale")) == 12
    with CaptureQueriesContext(connection) as queries:
        result = compute("annual", "2026", today=date(2027, 1, 6))
    elapsed = clock.monotonic() - started

    # No audit is an exemplar or names an area for improvement: those two rankings have no service
    # area to rank, so they are not asked for.
    assert len(queries) == QUERIES_PER_REPORT - 2
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert result["audits"]["completed"] == MANY_AUDITS
    assert result["audits"]["graded"] == MANY_AUDITS - len(range(0, MANY_AUDITS, 7))
    assert sum(row["total"] for row in result["by_service_area"]) == MANY_AUDITS
    chronology = next(theme for theme in result["themes"] if theme["name"] == "Chronology")
    assert chronology["count"] == len(range(0, MANY_AUDITS, 11))
