"""The scorecard's "Rigorous quality assurance" section, computed from the audits: cases audited and the
shares graded Good or Outstanding, Requires Improvement and Inadequate, before and after moderation."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from audits import figure_months
from audits.models import Audit
from performance.quality_section import QA_AREA, quality_months, quality_section
from quality.org.models import Role
from tests.moderation.outcome_world import audit, published_version

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


def at(year, month, day, hour=12, tz=LONDON):
    return datetime(year, month, day, hour, tzinfo=tz)


@pytest.fixture
def audits(make_person, own_area, other_area):
    """October 2026: 8 audits of 7 cases (one case audited twice), 7 of them graded; one moderated down."""
    version = published_version()
    auditor = make_person(Role.PRACTICE_MANAGER, own_area, full_name="Ava Auditor")
    other = make_person(Role.PRACTICE_MANAGER, other_area, full_name="Oli Auditor")
    made = [
        audit(
            version,
            own_area,
            auditor,
            "C-1",
            "good",
            submitted_at=at(2026, 10, 2),
            moderated_grade="requires_improvement",
        ),
        audit(version, own_area, auditor, "C-2", "outstanding", submitted_at=at(2026, 10, 9)),
        audit(version, other_area, other, "C-3", "requires_improvement", submitted_at=at(2026, 10, 12)),
        audit(
            version, other_area, other, "C-4", "inadequate", submitted_at=at(2026, 10, 20), moderated_grade="inadequate"
        ),
        # An ungraded case review: a case audited, but not in the shares.
        audit(version, own_area, auditor, "C-5", "", kind=Audit.Kind.REVIEW, submitted_at=at(2026, 10, 21)),
        # Imported from the QA spreadsheet: only the day it was completed.
        audit(version, own_area, auditor, "C-7", "good", completed_on=date(2026, 10, 15)),
        # 00:30 on 1 October in London is still 30 September in UTC: October's.
        audit(version, own_area, auditor, "C-8", "good", submitted_at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC)),
        # A re-audit of C-1 the same month.
        audit(version, own_area, auditor, "C-1", "requires_improvement", submitted_at=at(2026, 10, 28)),
        # Not October's: a draft, September's, and a November one.
        audit(version, own_area, auditor, "C-9", "good", submitted_at=at(2026, 10, 5)),
        audit(version, own_area, auditor, "C-10", "good", submitted_at=at(2026, 9, 15)),
        audit(version, own_area, auditor, "C-11", "inadequate", submitted_at=at(2026, 11, 1, 0)),
    ]
    Audit.objects.filter(case_reference="C-9").update(state=Audit.State.DRAFT)  # a draft never counts
    return made


def test_a_month_counts_cases_audited_and_grade_shares_before_and_after_moderation(audits, django_assert_num_queries):
    figure_months.refresh()  # the months the audits above marked stale (tests/audits/test_figure_months.py)
    # One look for stale months, the stored counts and the cases audited, for any number of months.
    with django_assert_num_queries(3):
        months = quality_months(SEP, NOV)

    october = months[OCT]
    assert (october.audited, october.audits, october.moderated) == (7, 8, 2)
    assert october.before.graded == october.after.graded == 7
    assert [october.before.display(key) for key in ("good_or_outstanding", "requires_improvement", "inadequate")] == [
        "57% (4/7)",
        "29% (2/7)",
        "14% (1/7)",
    ]
    assert [october.after.display(key) for key in ("good_or_outstanding", "requires_improvement", "inadequate")] == [
        "43% (3/7)",
        "43% (3/7)",
        "14% (1/7)",
    ]
    assert october.before.pct("good_or_outstanding") == Decimal(400) / Decimal(7)
    assert (months[SEP].audited, months[SEP].before.display("good_or_outstanding")) == (1, "100% (1/1)")
    assert (months[NOV].audited, months[NOV].before.display("inadequate")) == (1, "100% (1/1)")


def test_a_month_without_audits_shows_zero_cases_and_no_shares(db):
    months = quality_months(date(2026, 1, 1), date(2026, 3, 1))

    assert list(months) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert months[date(2026, 2, 1)].audited == 0
    assert months[date(2026, 2, 1)].after.pct("inadequate") is None
    assert months[date(2026, 2, 1)].after.display("inadequate") == "No graded audits"


def test_the_section_lines_show_each_figure_month_by_month(audits):
    section = quality_section([SEP, OCT])

    lines = {row.key: [cell.display for cell in row.cells] for row in section.rows}
    assert lines == {
        "cases_audited": ["1", "7"],
        "good_or_outstanding_before": ["100% (1/1)", "57% (4/7)"],
        "good_or_outstanding_after": ["100% (1/1)", "43% (3/7)"],
        "requires_improvement_before": ["0% (0/1)", "29% (2/7)"],
        "requires_improvement_after": ["0% (0/1)", "43% (3/7)"],
        "inadequate_before": ["0% (0/1)", "14% (1/7)"],
        "inadequate_after": ["0% (0/1)", "14% (1/7)"],
    }
    assert section.current.period == OCT


def test_the_scorecard_shows_the_section_to_every_reader_of_the_scorecard_whatever_their_area(
    client, audits, make_person, own_area
):
    # A service lead of SWF sees the council-wide shares: counts only, nothing about a child or a person.
    client.force_login(make_person(Role.SERVICE_LEAD, own_area).user)

    response = client.get(reverse("performance:scorecard"), {"month": "2026-10"})

    page = response.content.decode()
    assert QA_AREA in page
    assert "Graded Good or Outstanding (after moderation)" in page
    assert "57% (4/7)" in page and "43% (3/7)" in page
    assert "C-1" not in page and "Ava Auditor" not in page
