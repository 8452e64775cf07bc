"""Figure months (issue 15): the audits' counts kept month by month equal a fresh count after every
kind of change, whoever makes it, because the database marks the month stale and the counts are
rebuilt before they are read."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Q

from audits import figure_months
from audits import services as audit_services
from audits.figure_months import split
from audits.grades import moderated_grade_set
from audits.models import AreaGrade, Audit, AuditMonthCount, Dispute, FigureMonth, final_grade_is, views_recorded
from moderation.history_import import audit_history_import
from quality.org.services import service_area_retire
from tests.factories import AuditFactory, ServiceAreaFactory, audit_submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

LONDON = ZoneInfo("Europe/London")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
GROUPS = ("service_area_id", "overall_grade")


def _counted(start: date, end: date, **conditions: Q) -> dict:
    """The counts for the period added up over every group (stored months and days left over)."""
    totals = {}
    for row in figure_months.counts(start, end, GROUPS, conditions):
        for name in ("total", *conditions):
            totals[name] = totals.get(name, 0) + row[name]
    return totals


def _stale_months() -> list[date]:
    return sorted(FigureMonth.objects.filter(is_stale=True).values_list("month", flat=True))


def test_splitting_a_period_into_whole_months_and_the_days_left_over():
    assert split(date(2026, 1, 1), date(2026, 12, 31)) == ((date(2026, 1, 1), date(2026, 12, 1)), [])
    assert split(date(2026, 1, 1), date(2026, 11, 15)) == (
        (date(2026, 1, 1), date(2026, 10, 1)),
        [(date(2026, 11, 1), date(2026, 11, 15))],
    )
    assert split(date(2026, 11, 3), date(2026, 11, 15)) == (None, [(date(2026, 11, 3), date(2026, 11, 15))])
    assert split(date(2026, 10, 20), date(2026, 12, 5)) == (
        (date(2026, 11, 1), date(2026, 11, 1)),
        [(date(2026, 10, 20), date(2026, 10, 31)), (date(2026, 12, 1), date(2026, 12, 5))],
    )


def test_a_submitted_audit_marks_its_month_stale_and_is_counted_once_rebuilt(tool_version, practice_manager):
    audit = audit_submitted(tool_version, practice_manager, "good")
    assert _stale_months() == [date(2026, 11, 1)]
    assert _counted(*NOVEMBER, good=Q(overall_grade="good")) == {"total": 1, "good": 1}
    assert _stale_months() == []
    assert AuditMonthCount.objects.get().audits == 1
    assert FigureMonth.objects.get(month=date(2026, 11, 1)).cases_audited == 1
    assert figure_months.differences() == []
    assert audit.area_grades.count() == 7


def test_a_resolved_dispute_and_a_moderation_are_counted_by_their_new_grades(
    tool_version, practice_manager, service_lead, qa_lead
):
    audit = audit_submitted(tool_version, practice_manager, "good")
    assert _counted(*NOVEMBER, final_good=final_grade_is("good")) == {"total": 1, "final_good": 1}

    dispute = audit_services.audit_dispute(actor=service_lead.user, audit=audit, reason="The plan is drifting.")
    audit_services.dispute_resolve(
        actor=qa_lead.user,
        dispute=dispute,
        outcome=Dispute.Outcome.CHANGED,
        resolution="Requires improvement on the evidence.",
        grade="requires_improvement",
    )
    assert _counted(*NOVEMBER, ri=Q(overall_grade="requires_improvement")) == {"total": 1, "ri": 1}

    audit.refresh_from_db()
    moderated_grade_set(actor=qa_lead.user, audit=audit, grade="inadequate", reason="Panel view")
    counted = _counted(
        *NOVEMBER, final_inadequate=final_grade_is("inadequate"), ri=Q(overall_grade="requires_improvement")
    )
    assert counted == {"total": 1, "final_inadequate": 1, "ri": 1}
    assert figure_months.differences() == []


def test_an_imported_history_is_counted_in_the_months_the_file_gives(practice_manager, own_area):
    email = practice_manager.user.email
    history = (
        "reference,child_ref,service_area,kind,theme,auditor,completed_on,grade,practitioner_discussion,"
        "moderated_grade,moderated_on\n"
        f"QA-1,C1001,{own_area.code},monthly,,{email},2026-07-03,Good,yes,RI,2026-07-20\n"
        f"QA-2,C1002,{own_area.code},monthly,,{email},2026-07-31,Inadequate,yes,,\n"
        f"QA-3,C1002,{own_area.code},monthly,,{email},2026-08-01,Good,no,,\n"
    )
    audit_history_import(actor=None, content=history.encode(), file_name="history.csv")
    assert _stale_months() == [date(2026, 7, 1), date(2026, 8, 1)]
    july = _counted(date(2026, 7, 1), date(2026, 7, 31), final_ri=final_grade_is("requires_improvement"))
    assert july == {"total": 2, "final_ri": 1}
    assert _counted(date(2026, 8, 1), date(2026, 8, 31)) == {"total": 1}
    assert dict(FigureMonth.objects.values_list("month", "cases_audited")) == {
        date(2026, 7, 1): 2,
        date(2026, 8, 1): 1,
    }
    assert figure_months.differences() == []


def test_a_raw_update_moving_an_audit_to_another_month_marks_both_months(tool_version):
    audit = AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 10, 10, 9, tzinfo=LONDON))
    figure_months.refresh()
    Audit.objects.filter(pk=audit.pk).update(submitted_at=datetime(2026, 9, 10, 9, tzinfo=LONDON))
    assert _stale_months() == [date(2026, 9, 1), date(2026, 10, 1)]
    assert _counted(date(2026, 10, 1), date(2026, 10, 31)) == {}
    assert _counted(date(2026, 9, 1), date(2026, 9, 30)) == {"total": 1}
    assert figure_months.differences() == []


def test_the_views_of_the_child_or_family_are_counted_by_whether_the_audit_records_them(tool_version):
    heard = AuditFactory(
        tool_version=tool_version,
        submitted_at=datetime(2026, 11, 3, 9, tzinfo=LONDON),
        child_family_views="She wants to stay at her school.",
    )
    AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 11, 4, 9, tzinfo=LONDON))
    assert _counted(*NOVEMBER, with_views=views_recorded()) == {"total": 2, "with_views": 1}

    Audit.objects.filter(pk=heard.pk).update(child_family_views="")
    assert _stale_months() == [date(2026, 11, 1)]
    assert _counted(*NOVEMBER, with_views=views_recorded()) == {"total": 2, "with_views": 0}
    assert figure_months.differences() == []


def test_months_counted_by_the_previous_release_are_counted_again(tool_version):
    """During a release the previous code may still rebuild a month after the migration: it names
    neither new column, so the database's defaults fill them, and the month is counted again."""
    heard = AuditFactory(
        tool_version=tool_version,
        submitted_at=datetime(2026, 11, 3, 9, tzinfo=LONDON),
        child_family_views="He wants to see his brother more.",
    )
    assert _counted(*NOVEMBER, with_views=views_recorded()) == {"total": 1, "with_views": 1}
    figure_months.refresh_all()
    with connection.cursor() as cursor:  # what the previous release's rebuild writes
        cursor.execute("DELETE FROM audits_auditmonthcount")
        cursor.execute(
            "INSERT INTO audits_auditmonthcount (month, service_area_id, kind, theme, overall_grade, "
            "moderated_grade, audits) VALUES (%s, %s, %s, '', '', '', 1)",
            [date(2026, 11, 1), heard.service_area_id, heard.kind],
        )
        cursor.execute("UPDATE audits_figuremonth SET is_stale = false, counts_version = DEFAULT")
    assert not figure_months.is_fresh()
    assert _counted(*NOVEMBER, with_views=views_recorded()) == {"total": 1, "with_views": 1}
    assert figure_months.is_fresh()
    assert figure_months.differences() == []


def test_area_grades_changed_after_submission_are_counted_afresh(tool_version, practice_manager):
    audit = audit_submitted(tool_version, practice_manager, "good")
    spans = {"november": NOVEMBER}
    assert sum(figure_months.area_grade_counts(spans).values()) == 7
    AreaGrade.objects.filter(audit=audit, area__in=[area.area for area in audit.area_grades.all()[:2]]).update(
        grade="inadequate"
    )
    counts = figure_months.area_grade_counts(spans)
    assert sum(count for (area, key, grade), count in counts.items() if grade == "inadequate") == 2
    AreaGrade.objects.filter(audit=audit, grade="inadequate").delete()
    assert sum(figure_months.area_grade_counts(spans).values()) == 5
    assert figure_months.differences() == []


def test_a_draft_is_never_counted_and_a_retired_area_keeps_its_months(tool_version, practice_manager, admin_person):
    AuditFactory(tool_version=tool_version, draft=True)
    audit_submitted(tool_version, practice_manager, "good")
    successor = ServiceAreaFactory(code="NEW")
    service_area_retire(
        actor=admin_person.user, area=tool_version.tool.service_area, reason="Merged", successor=successor
    )
    assert _counted(*NOVEMBER) == {"total": 1}
    assert figure_months.differences() == []


def test_the_days_left_over_in_a_period_are_counted_from_the_audits_themselves(tool_version):
    AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 11, 3, 9, tzinfo=LONDON))
    AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 11, 12, 9, tzinfo=LONDON))
    AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 10, 30, 9, tzinfo=LONDON))
    assert _counted(date(2026, 1, 1), date(2026, 11, 10)) == {"total": 2}  # October stored, 1-10 November live
    assert _counted(date(2026, 10, 31), date(2026, 11, 12)) == {"total": 2}


def test_rebuilding_takes_the_same_queries_for_five_audits_and_fifty(tool_version, django_assert_num_queries):
    def made_and_counted(count: int) -> int:
        AuditFactory.create_batch(count, tool_version=tool_version, submitted_at=datetime(2026, 10, 5, tzinfo=LONDON))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert figure_months.refresh() == [date(2026, 10, 1)]
        return len(queries)

    assert made_and_counted(5) == made_and_counted(50)
    with django_assert_num_queries(1):  # nothing stale: one look
        assert figure_months.refresh() == []


def test_the_check_command_proves_the_counts_and_names_a_month_that_differs(tool_version):
    AuditFactory.create_batch(3, tool_version=tool_version, submitted_at=datetime(2026, 10, 5, tzinfo=LONDON))
    out = StringIO()
    call_command("figure_months", "--check", stdout=out)
    assert "1 month(s) counted afresh." in out.getvalue()
    assert "equal a fresh count" in out.getvalue()

    AuditMonthCount.objects.update(audits=2)  # what a bug in the counting would leave behind
    with pytest.raises(CommandError, match="2026-10: 2 audits counted, 3 found"):
        call_command("figure_months", "--check", stdout=StringIO())
    call_command("figure_months", "--rebuild", "--check", stdout=out)
    assert AuditMonthCount.objects.get().audits == 3
