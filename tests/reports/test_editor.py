"""The draft's editor: saving as the QA lead types (the audit form's way: a revision, a conflict for a
page out of date, nothing saved then), refused for a published report and for anyone who does not
manage reports; the page in sections with its save bar; and the files and pages naming audits by case
reference, with dates and times in words."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from quality.org.models import ChangeRecord
from quality.reports import outputs, services
from quality.reports.models import ImprovementPoint, PracticeTheme, Report
from quality.reports.services import PointChange, ReportConflict
from tests.moderation.outcome_world import published_version

from .test_outputs import pdf_text, squash
from .test_services import AuditMaker, generated, queued
from .test_views import edit_data, page, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def people(qa_lead, qa_officer, practice_manager, service_lead, head_of_service):
    return {
        "qa_lead": qa_lead,
        "qa_officer": qa_officer,
        "manager": practice_manager,
        "service_lead": service_lead,
        "head": head_of_service,
    }


@pytest.fixture
def draft(people, own_area, other_area):
    """A monthly draft of October 2026 from three audits (C700001 to C700003), one an exemplar; the
    practice theme Chronology is mentioned by the first audit's strengths."""
    PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])
    make = AuditMaker(published_version(), people["manager"], own_area)
    make(date(2026, 10, 2), "good", strengths="A clear chronology.", is_exemplar=True)
    make(date(2026, 10, 9), "requires_improvement", strengths="Good visits.")
    make(date(2026, 10, 21), "inadequate", area=other_area, strengths="PTC plans have dates.")
    return generated(queued())


def narrative(**changes) -> dict:
    return {"summary": "", "analysis": "", "next_steps": "", **changes}


def autosave(people, report, revision, **changes):
    return services.report_autosave(
        actor=people["qa_lead"].user, report=report, revision=revision, **narrative(**changes)
    )


# -- the service ------------------------------------------------------------------------------------


def test_an_autosave_saves_the_text_bumps_the_revision_and_records_the_change(people, draft):
    before = draft.revision

    saved = autosave(people, draft, before, analysis="Planning is the weakest area.")

    draft.refresh_from_db()
    assert draft.analysis == "Planning is the weakest area."
    assert saved.report.revision == draft.revision == before + 1
    assert saved.unsaved == []
    assert ChangeRecord.objects.filter(action="report.edit").count() == 1


def test_an_autosave_from_a_page_out_of_date_is_a_conflict_naming_what_differs_and_saves_nothing(people, draft):
    opened = draft.revision
    autosave(people, draft, opened, analysis="Written in the first tab.")

    with pytest.raises(ReportConflict) as conflict:
        autosave(people, draft, opened, analysis="Written in a stale tab.", summary="New summary.")

    assert conflict.value.changes == ["Summary", "Analysis"]
    assert "someone saved this draft since you opened it" in str(conflict.value)
    draft.refresh_from_db()
    assert (draft.analysis, draft.summary, draft.revision) == ("Written in the first tab.", "", opened + 1)


def test_the_save_button_from_a_page_out_of_date_is_refused_too(people, draft):
    opened = draft.revision
    autosave(people, draft, opened, summary="Saved first.")

    with pytest.raises(ReportConflict):
        services.report_edit(actor=people["qa_lead"].user, report=draft, revision=opened, **narrative())

    assert Report.objects.get().summary == "Saved first."


def test_a_save_out_of_date_that_changes_nothing_is_not_a_conflict_and_writes_nothing(people, draft):
    """This page's own autosave (or its page-leave beacon) got there first with the same text."""
    opened = draft.revision
    autosave(people, draft, opened, analysis="Same text.")

    again = autosave(people, draft, opened, analysis="Same text.")

    assert again.report.revision == opened + 1
    assert ChangeRecord.objects.filter(action="report.edit").count() == 1


def test_a_published_report_is_not_saved(people, draft):
    services.report_publish(actor=people["qa_lead"].user, report=draft)

    with pytest.raises(ValidationError, match="Only a draft can be changed"):
        autosave(people, draft, Report.objects.get().revision, analysis="Too late.")

    assert Report.objects.get().analysis == ""


def test_an_autosave_keeps_a_picked_highlight_with_no_wording_as_it_was_names_it_and_saves_the_rest(people, draft):
    highlight = draft.highlights.get(source_text="A clear chronology.")

    saved = autosave(people, draft, draft.revision, analysis="Kept.", highlights={highlight.pk: (True, "  ")})

    highlight.refresh_from_db()
    assert (highlight.included, highlight.text) == (False, "A clear chronology.")
    assert Report.objects.get().analysis == "Kept."
    assert saved.unsaved == ["the wording of Good practice from case C700001 (SWF)"]


def test_a_new_point_autosaved_twice_from_the_same_page_is_one_point(people, draft):
    """The page does not learn the new point's id: its next autosave sends the row without one again."""
    row = [PointChange(None, "Every plan SMART."), PointChange(None, "")]
    first = autosave(people, draft, draft.revision, points=row)
    autosave(people, draft, first.report.revision, points=row)

    assert list(ImprovementPoint.objects.values_list("text", flat=True)) == ["Every plan SMART."]


def test_generating_the_draft_again_makes_a_page_opened_before_out_of_date(people, draft):
    opened = draft.revision
    services.report_refresh(actor=people["qa_lead"].user, report=draft)
    generated(draft)

    with pytest.raises(ReportConflict):
        autosave(people, draft, opened, analysis="From before.")


# -- the autosave address ----------------------------------------------------------------------------


def autosave_url(report) -> str:
    return reverse("reports:report_autosave", args=[report.pk])


def test_the_page_autosaves_and_is_told_the_new_revision(client, people, draft):
    data = edit_data(draft, analysis="Typed a moment ago.")

    answer = signed_in(client, people["qa_lead"]).post(autosave_url(draft), data)

    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["saved"] is True and body["revision"] == draft.revision + 1
    assert body["message"].startswith("Draft saved at ")
    assert Report.objects.get().analysis == "Typed a moment ago."


def test_a_stale_page_is_told_of_the_conflict_and_nothing_is_saved(client, people, draft):
    signed_in(client, people["qa_lead"]).post(autosave_url(draft), edit_data(draft, analysis="First tab."))

    answer = client.post(autosave_url(draft), edit_data(draft, analysis="Stale tab."))

    body = answer.json()
    assert body["saved"] is False and body["conflict"] is True
    assert "someone saved this draft since you opened it" in body["message"] and "Analysis" in body["message"]
    assert Report.objects.get().analysis == "First tab."


def test_a_published_report_answers_that_it_is_no_longer_saved(client, people, draft):
    services.report_publish(actor=people["qa_lead"].user, report=draft)
    published = Report.objects.get()

    answer = signed_in(client, people["qa_lead"]).post(autosave_url(draft), edit_data(published, analysis="No."))

    assert answer.json() == {
        "saved": False,
        "closed": True,
        "message": "This report is published: changes here are no longer saved.",
    }
    assert Report.objects.get().analysis == ""


@pytest.mark.parametrize("who", ["qa_officer", "manager", "service_lead", "head"])
def test_only_those_who_manage_reports_may_autosave(client, people, draft, who):
    answer = signed_in(client, people[who]).post(autosave_url(draft), edit_data(draft, analysis="Not mine."))

    assert answer.status_code == 403
    assert Report.objects.get().analysis == ""


def test_someone_signed_out_is_answered_in_json_not_sent_to_sign_in(client, draft):
    answer = client.post(autosave_url(draft), edit_data(draft, analysis="Gone."))

    assert answer.status_code == 401 and answer.json() == {"signed_out": True}
    assert Report.objects.get().analysis == ""


def test_the_autosave_needs_the_csrf_token(people, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["qa_lead"].user)

    assert client.post(autosave_url(draft), edit_data(draft, analysis="Forged.")).status_code == 403
    assert Report.objects.get().analysis == ""


def test_saving_from_a_stale_page_shows_the_conflict_and_keeps_the_text_typed(client, people, draft):
    url = reverse("reports:report_edit", args=[draft.pk])
    signed_in(client, people["qa_lead"]).post(autosave_url(draft), edit_data(draft, summary="Saved elsewhere."))

    response = client.post(url, edit_data(draft, summary="My stale summary."))

    assert response.status_code == 422
    text = page(response)
    assert "someone saved this draft since you opened it" in text and "What differs from your version: Summary" in text
    assert "My stale summary." in text
    assert Report.objects.get().summary == "Saved elsewhere."


# -- the page ---------------------------------------------------------------------------------------


def test_the_editor_is_in_sections_with_contents_a_save_bar_and_highlights_named_by_case(client, people, draft):
    response = signed_in(client, people["qa_lead"]).get(reverse("reports:report_edit", args=[draft.pk]))

    text = page(response)
    for anchor, heading in (
        ("summary-section", "Summary"),
        ("analysis-section", "Analysis"),
        ("next-steps-section", "Actions and next steps"),
        ("highlights-section", "Highlights"),
        ("points-section", "Improvement points"),
    ):
        assert f'<a href="#{anchor}">{heading}</a>' in text
        assert f'<section id="{anchor}" aria-labelledby=' in text
    assert f'name="revision" id="report-revision" value="{draft.revision}"' in text
    assert 'class="sticky-bottom' in text and 'id="save-status" role="status"' in text
    assert "Good practice from case C700001" in text and "from audit " not in text
    chronology = PracticeTheme.objects.get()
    assert f'data-area="SWF" data-kind="good_practice" data-themes="{chronology.pk}"' in text
    assert f'<option value="{chronology.pk}">Chronology</option>' in text
    taken = outputs.in_words(draft.data_taken_at)
    assert f"Data taken at {taken}." in text


# -- case references and dates in words in every output --------------------------------------------------


def test_in_words_reads_as_people_write_a_moment_in_london():
    assert outputs.in_words("2026-12-03T14:05:00+00:00") == "3 December 2026 at 14:05"
    assert outputs.in_words("2026-07-01T09:30:00+00:00") == "1 July 2026 at 10:30"  # British Summer Time
    assert outputs.in_words(None) == ""


def picked(people, draft) -> Report:
    highlight = draft.highlights.get(source_text="A clear chronology.")
    services.report_edit(
        actor=people["qa_lead"].user,
        report=draft,
        revision=draft.revision,
        highlights={highlight.pk: (True, "Chronologies are clear.")},
        **narrative(),
    )
    return Report.objects.get()


def test_the_workbook_names_audits_by_case_reference_and_writes_dates_in_words(people, draft):
    report = picked(people, draft)
    audit_ids = {str(pk) for pk in report.highlights.values_list("audit_id", flat=True)}

    book = load_workbook(io.BytesIO(outputs.render(outputs.report_content(report), "xlsx")))

    about = dict(list(book["About"].iter_rows(min_row=2, values_only=True)))
    assert about["Data taken at"] == outputs.in_words(report.data_taken_at)
    assert " at " in about["Data taken at"] and "T" not in about["Data taken at"]
    assert book["About"]["B4"].number_format == "d mmmm yyyy"  # the first day, a date shown in words
    exemplars = list(book["Exemplars"].iter_rows(values_only=True))
    assert exemplars == [("Case reference", "Service area", "Grade"), ("C700001", "SWF", "Good")]
    highlights = list(book["Highlights"].iter_rows(values_only=True))
    assert highlights[0] == ("Service area", "Kind", "Text", "Case reference")
    assert highlights[1:] == [("SWF", "Good practice", "Chronologies are clear.", "C700001")]
    cells = {str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row}
    assert not cells & audit_ids


def test_the_pdf_and_json_name_exemplars_by_case_reference_and_the_pdf_writes_dates_in_words(people, draft):
    report = picked(people, draft)
    content = outputs.report_content(report)

    text = squash(pdf_text(outputs.render(content, "pdf")))
    data = json.loads(outputs.render(content, "json"))

    assert "C700001 SWF Good" in text
    assert f"Data taken {outputs.in_words(report.data_taken_at)}" in text
    assert data["exemplars"] == [{"case_reference": "C700001", "service_area": "SWF", "grade": "good"}]
    assert data["report"]["highlights"][0]["case_reference"] == "C700001"
    assert "audit_id" not in json.dumps(data)


def test_the_report_page_names_exemplars_by_case_reference(client, people, draft):
    report = picked(people, draft)
    exemplar = report.figures["exemplars"][0]["audit_id"]

    text = page(signed_in(client, people["qa_lead"]).get(report.get_absolute_url()))

    assert f'<a href="{reverse("audits:audit_detail", args=[exemplar])}">C700001</a>' in text
    assert f"Audit {exemplar}" not in text
    assert f"Data taken at {outputs.in_words(report.data_taken_at)}" in text
