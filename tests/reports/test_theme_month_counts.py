"""The practice themes' counts kept month by month (issue 15): equal to a fresh count of the audits'
narratives after an audit's text changes, an answer changes, or a theme's phrases change, and a year
to date's last days counted from the audits themselves."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from audits import figure_months
from audits.models import Answer, Audit, FigureMonth, Question
from quality.reports.figures import compute
from quality.reports.models import PracticeTheme, ThemeMonthCount
from quality.reports.themes import practice_theme_create, practice_theme_set_active, practice_theme_update
from tests.factories import AuditFactory, audit_submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

LONDON = ZoneInfo("Europe/London")


def _on(day: date, **fields) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=LONDON)


@pytest.fixture
def theme(qa_lead):
    return practice_theme_create(actor=qa_lead.user, name="Chronology", key_phrases="chronology")


def _theme_row(kind: str, period: str, name: str = "Chronology", **options) -> dict:
    return next(row for row in compute(kind, period, **options)["themes"] if row["name"] == name)


def test_the_themes_counts_follow_the_audits_text_and_the_themes_phrases(theme, tool_version, qa_lead):
    october = date(2026, 10, 6)
    AuditFactory(tool_version=tool_version, submitted_at=_on(october), strengths="A clear chronology.")
    genogram = AuditFactory(tool_version=tool_version, submitted_at=_on(october), strengths="A genogram.")
    assert _theme_row("monthly", "2026-10")["count"] == 1
    assert ThemeMonthCount.objects.get().audits == 1

    # An audit's text changed by any writer: its month is counted afresh.
    Audit.objects.filter(pk=genogram.pk).update(areas_for_improvement="Update the chronology.")
    assert FigureMonth.objects.get(month=date(2026, 10, 1)).themes_stale
    assert _theme_row("monthly", "2026-10")["count"] == 2

    # The theme's phrases changed: every month's theme counts are stale, nothing else is.
    practice_theme_update(actor=qa_lead.user, theme=theme, name="Chronology", key_phrases="genogram")
    month = FigureMonth.objects.get(month=date(2026, 10, 1))
    assert (month.themes_stale, month.is_stale) == (True, False)
    assert _theme_row("monthly", "2026-10")["count"] == 1

    practice_theme_set_active(actor=qa_lead.user, theme=theme, active=False)
    assert not any(row["name"] == "Chronology" for row in compute("monthly", "2026-10")["themes"])
    assert figure_months.differences() == []


def test_a_narrative_answer_counts_for_the_theme_of_its_audits_month(qa_lead, tool_version, practice_manager):
    practice_theme_create(actor=qa_lead.user, name="Visits", key_phrases="late visit")
    audit = audit_submitted(tool_version, practice_manager, "good")  # the suite's today: 16 November
    assert _theme_row("monthly", "2026-11", "Visits")["count"] == 0
    narrative = Question.objects.filter(section__version=tool_version, type=Question.Type.NARRATIVE).first()
    Answer.objects.update_or_create(audit=audit, question=narrative, defaults={"value": "Another late visit."})
    assert FigureMonth.objects.get(month=date(2026, 11, 1)).themes_stale
    assert _theme_row("monthly", "2026-11", "Visits")["count"] == 1
    assert figure_months.differences() == []


def test_a_year_to_date_counts_its_last_days_from_the_audits(theme, tool_version):
    for day in (date(2026, 3, 4), date(2026, 11, 2), date(2026, 11, 14), date(2026, 11, 16)):
        AuditFactory(tool_version=tool_version, submitted_at=_on(day), strengths="Chronology kept.")
    # To the day before the suite's today (15 November): March and 1-15 November, not the 16th.
    row = _theme_row("annual", "2026", year_to_date=True, today=date(2026, 11, 16))
    assert row["count"] == 3
    assert _theme_row("annual", "2026", today=date(2027, 1, 6))["count"] == 4


def test_the_check_names_a_month_whose_theme_counts_differ(theme, tool_version):
    AuditFactory(tool_version=tool_version, submitted_at=_on(date(2026, 10, 6)), strengths="chronology")
    figure_months.refresh_all()
    ThemeMonthCount.objects.update(audits=5)
    with pytest.raises(CommandError, match="2026-10: 5 theme mentions counted, 1 found"):
        call_command("figure_months", "--check", stdout=StringIO())
    assert PracticeTheme.objects.count() == 1
