"""The shared factories make what their names promise, so the modules that use them can trust them."""

from datetime import date

import pytest

from audits.models import Audit, AuditEvent
from moderation.models import ModerationDecision
from quality.reports.models import Report

from .factories import (
    AuditFactory,
    IndicatorFactory,
    ReportFactory,
    audit_started,
    audit_submitted,
    indicator_value,
    moderated,
    panel_decision,
    panel_in_session,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def test_the_shared_tool_version_is_published_on_the_seven_areas(tool_version, own_area):
    assert tool_version.state == tool_version.State.PUBLISHED
    assert (tool_version.tool.name, tool_version.tool.service_area) == ("SWF case audit", own_area)
    assert tool_version.sections.count() == 7


def test_audits_start_as_drafts_and_submit_graded_through_the_services(tool_version, practice_manager):
    draft = audit_started(tool_version, practice_manager)
    submitted = audit_submitted(tool_version, practice_manager, "inadequate", area_grade="good")

    assert draft.state == Audit.State.DRAFT
    assert (submitted.state, submitted.overall_grade) == (Audit.State.SUBMITTED, "inadequate")
    assert set(submitted.area_grades.values_list("grade", flat=True)) == {"good"}
    assert AuditEvent.objects.filter(audit=submitted, new_value=Audit.State.SUBMITTED).exists()


def test_audit_rows_come_overseen_as_drafts_reviews_or_imported(tool_version):
    assert AuditFactory(tool_version=tool_version).state == Audit.State.OVERSEEN
    assert AuditFactory(tool_version=tool_version, draft=True).overall_grade == ""
    assert AuditFactory(tool_version=tool_version, review=True).kind == Audit.Kind.REVIEW
    imported = AuditFactory(tool_version=tool_version, imported=True)
    assert (imported.completed_on, imported.import_reference) == (date(2026, 10, 15), f"QA-{imported.case_reference}")


def test_a_moderated_audit_keeps_the_auditors_grade_beside_the_decision(tool_version):
    audit = AuditFactory(tool_version=tool_version, overall_grade="good")
    decision = moderated(audit, "requires_improvement", on=date(2026, 11, 3))

    audit.refresh_from_db()
    assert (audit.overall_grade, audit.moderated_grade) == ("good", "requires_improvement")
    assert (decision.original_grade, decision.moderated_grade) == ("good", "requires_improvement")


def test_a_panel_in_session_samples_the_audits_given_and_records_decisions(tool_version, practice_manager, qa_lead):
    audit = audit_submitted(tool_version, practice_manager, "good")
    panel = panel_in_session(qa_lead, [audit])

    decision = panel_decision(qa_lead, panel.items.get(), "outstanding")

    assert decision.source == ModerationDecision.Source.PANEL
    audit.refresh_from_db()
    assert audit.moderated_grade == "outstanding"


def test_indicators_take_values_and_reports_come_as_drafts_or_published(qa_lead):
    value = indicator_value(IndicatorFactory(), date(2026, 10, 1), 87.5)
    assert value.value == 87.5 and value.indicator.unit == "percentage"

    assert ReportFactory().state == Report.State.DRAFT
    published = ReportFactory(published=True, published_by=qa_lead)
    assert (published.state, published.published_by) == (Report.State.PUBLISHED, qa_lead)
