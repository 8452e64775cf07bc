"""The figures' vocabulary on audits (audits.models): completed in a period, graded and ungraded, the
final grade and Good or better, as filters, as conditions for aggregates and as values, agreeing."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count

from audits import services as audit_services
from audits.models import (
    Audit,
    AuditQuerySet,
    Dispute,
    Grade,
    completed_in,
    completion_day,
    final_grade_is,
    graded,
)
from performance.quality_section import quality_months
from quality.reports.figures import compute
from tests.factories import AuditFactory, moderated, published_tool_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

LONDON = ZoneInfo("Europe/London")
JULY = (date(2026, 7, 1), date(2026, 7, 31))
AUGUST = (date(2026, 8, 1), date(2026, 8, 31))


@pytest.fixture
def version(own_area):
    return published_tool_version(area=own_area)


def _july(version, **fields) -> Audit:
    return AuditFactory(tool_version=version, submitted_at=datetime(2026, 7, 10, 12, tzinfo=LONDON), **fields)


def _pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_the_manager_speaks_the_vocabulary():
    assert isinstance(Audit.objects.all(), AuditQuerySet)


def test_an_imported_audit_counts_on_the_day_the_file_says_it_was_completed_not_when_it_was_submitted(version):
    # Completed on 31 July by the QA spreadsheet, though its submitted_at says August.
    imported = AuditFactory(
        tool_version=version,
        import_reference="QA-1",
        completed_on=date(2026, 7, 31),
        submitted_at=datetime(2026, 8, 2, 12, tzinfo=LONDON),
    )

    assert _pks(Audit.objects.completed_in(*JULY)) == {imported.pk}
    assert not Audit.objects.completed_in(*AUGUST).exists()
    assert Audit.objects.annotate(day=completion_day()).get().day == date(2026, 7, 31)


def test_an_audit_submitted_late_on_the_last_evening_of_a_summer_month_counts_in_that_month(version):
    # 23:30 on 31 July in London is 22:30 UTC (summer time): July's, though only just.
    late = AuditFactory(tool_version=version, submitted_at=datetime(2026, 7, 31, 23, 30, tzinfo=LONDON))
    # 00:30 on 1 August in London is still 31 July in UTC: August's.
    early = AuditFactory(tool_version=version, submitted_at=datetime(2026, 8, 1, 0, 30, tzinfo=LONDON))

    assert _pks(Audit.objects.completed_in(*JULY)) == {late.pk}
    assert _pks(Audit.objects.completed_in(*AUGUST)) == {early.pk}
    days = dict(Audit.objects.annotate(day=completion_day()).values_list("pk", "day"))
    assert days == {late.pk: date(2026, 7, 31), early.pk: date(2026, 8, 1)}


def test_a_draft_is_never_completed(version):
    _july(version, state=Audit.State.DRAFT)

    assert not Audit.objects.completed_in(*JULY).exists()


def test_the_condition_with_a_prefix_reads_the_audit_of_a_related_row(version):
    audit = _july(version)
    audit.area_grades.create(area="planning", grade=Grade.GOOD)

    assert audit.area_grades.filter(completed_in(*JULY, prefix="audit__")).count() == 1
    assert not audit.area_grades.filter(completed_in(*AUGUST, prefix="audit__")).exists()


def test_an_ungraded_review_and_an_audit_without_a_grade_are_ungraded(version):
    review = _july(version, kind=Audit.Kind.REVIEW, overall_grade="")
    without_grade = _july(version, overall_grade="")
    good = _july(version, overall_grade=Grade.GOOD)

    assert _pks(Audit.objects.ungraded()) == {review.pk, without_grade.pk}
    assert _pks(Audit.objects.graded()) == {good.pk}
    assert not Audit.objects.good_or_better().filter(pk=review.pk).exists()


def test_the_final_grade_is_the_auditors_where_moderation_gave_none_and_the_moderated_one_where_it_did(version):
    kept = _july(version, overall_grade=Grade.REQUIRES_IMPROVEMENT)
    raised = moderated(_july(version, overall_grade=Grade.REQUIRES_IMPROVEMENT), Grade.GOOD, on=date(2026, 8, 20))
    lowered = moderated(_july(version, overall_grade=Grade.OUTSTANDING), Grade.INADEQUATE, on=date(2026, 8, 20))

    finals = dict(Audit.objects.with_final_grade().values_list("pk", "final_grade"))
    assert finals == {
        kept.pk: Grade.REQUIRES_IMPROVEMENT,
        raised.audit_id: Grade.GOOD,
        lowered.audit_id: Grade.INADEQUATE,
    }
    # The same rule in Python, on the same rows (the annotation is accepted on the model).
    assert {audit.pk: audit.final_grade for audit in Audit.objects.with_final_grade()} == finals
    assert _pks(Audit.objects.good_or_better()) == {raised.audit_id}
    assert _pks(Audit.objects.with_final_grade().filter(final_grade=Grade.INADEQUATE)) == {lowered.audit_id}


def test_a_dispute_resolved_to_another_grade_gives_the_audit_that_grade(version, service_lead, qa_lead):
    audit = _july(version, state=Audit.State.SUBMITTED, overall_grade=Grade.REQUIRES_IMPROVEMENT)
    dispute = audit_services.audit_dispute(actor=service_lead.user, audit=audit, reason="The plan is better than that.")
    audit_services.dispute_resolve(
        actor=qa_lead.user, dispute=dispute, outcome=Dispute.Outcome.CHANGED, resolution="Agreed.", grade=Grade.GOOD
    )

    audit.refresh_from_db()
    assert (audit.overall_grade, audit.final_grade) == (Grade.GOOD, Grade.GOOD)
    assert _pks(Audit.objects.completed_in(*JULY).good_or_better()) == {audit.pk}


def test_conditional_aggregates_count_with_the_same_words_as_the_filters(version):
    _july(version, overall_grade=Grade.GOOD)
    moderated(_july(version, overall_grade=Grade.GOOD), Grade.REQUIRES_IMPROVEMENT, on=date(2026, 8, 20))
    _july(version, overall_grade=Grade.OUTSTANDING)
    _july(version, kind=Audit.Kind.REVIEW, overall_grade="")
    AuditFactory(tool_version=version, submitted_at=datetime(2026, 8, 3, 12, tzinfo=LONDON))  # August's

    counts = Audit.objects.filter(completed_in(*JULY)).aggregate(
        graded=Count("pk", filter=graded()),
        good_or_better=Count("pk", filter=final_grade_is(Grade.OUTSTANDING, Grade.GOOD)),
    )

    july = Audit.objects.completed_in(*JULY)
    assert counts == {"graded": 3, "good_or_better": 2}
    assert (july.graded().count(), july.good_or_better().count(), july.ungraded().count()) == (3, 2, 1)


def test_the_scorecard_and_the_monthly_report_count_an_imported_audit_in_the_same_month(version):
    AuditFactory(
        tool_version=version,
        import_reference="QA-2",
        completed_on=date(2026, 7, 31),
        submitted_at=datetime(2026, 8, 2, 12, tzinfo=LONDON),
    )

    months = quality_months(date(2026, 7, 1), date(2026, 8, 1))
    reports = {month: compute("monthly", month, today=date(2026, 11, 16))["audits"] for month in ("2026-07", "2026-08")}
    assert (months[date(2026, 7, 1)].audits, months[date(2026, 8, 1)].audits) == (1, 0)
    assert (reports["2026-07"]["completed"], reports["2026-08"]["completed"]) == (1, 0)
