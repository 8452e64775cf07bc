"""The report pages: the archive, a report (figures, labels, small samples, a service lead's own areas,
the progress while it is generated), generating on demand, editing and publishing a draft, correcting,
and one's report e-mails. Each page: the allowed role, a refused role, and the wrong method."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from unittest.mock import patch

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from quality.reports import services, views
from quality.reports.models import PracticeTheme, Report, ReportSubscription
from tests.moderation.outcome_world import published_version

from .test_services import AuditMaker, generated, queued

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture
def people(qa_lead, qa_officer, practice_manager, other_manager, service_lead, head_of_service, reader, practitioner):
    """The shared cast by their part around the report pages."""
    return {
        "qa_lead": qa_lead,
        "qa_officer": qa_officer,
        "manager": practice_manager,
        "other_manager": other_manager,
        "service_lead": service_lead,
        "head": head_of_service,
        "reader": reader,
        "practitioner": practitioner,
    }


@pytest.fixture
def october(people, own_area, other_area):
    """October 2026: three audits in SWF, one in PTC; one SWF audit mentions a practice theme."""

    PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])
    version = published_version()
    swf = AuditMaker(version, people["manager"], own_area)
    ptc = AuditMaker(version, people["other_manager"], other_area)
    swf.count, ptc.count = 0, 100
    return [
        swf(date(2026, 10, 2), "good", strengths="A clear chronology.", is_exemplar=True),
        swf(date(2026, 10, 9), "requires_improvement", strengths="Good visits."),
        swf(date(2026, 10, 20), "outstanding", strengths="Strong plan."),
        ptc(date(2026, 10, 21), "inadequate", strengths="PTC chronology kept.", areas_for_improvement="PTC plan."),
    ]


@pytest.fixture
def no_queue():
    with patch("quality.reports.tasks.generate_report.delay") as delay:
        yield delay


def signed_in(client, person) -> Client:
    client.force_login(person.user)
    return client


def page(response) -> str:
    return unescape(response.content.decode())


def publish(people, report) -> Report:
    return services.report_publish(actor=people["qa_lead"].user, report=report)


# ---------------------------------------------------------------------------------------
# The archive


def test_the_archive_lists_published_reports_by_kind_for_a_reader_and_hides_drafts(client, people, october):
    published = publish(people, generated(queued()))
    draft = generated(queued(period="2026-09"))

    response = signed_in(client, people["head"]).get(reverse("reports:report_list"))

    assert response.status_code == 200
    text = page(response)
    assert "October 2026" in text and published.get_absolute_url() in text
    assert draft.get_absolute_url() not in text
    assert "Generate a report" not in text


def test_the_qa_lead_sees_drafts_and_reports_being_generated_in_the_archive(client, people, october):
    draft = generated(queued(period="2026-09"))
    being_made = queued(period="2026-08")

    text = page(signed_in(client, people["qa_lead"]).get(reverse("reports:report_list")))

    assert draft.get_absolute_url() in text and being_made.get_absolute_url() in text
    assert "Being generated (0%)" in text
    assert "Generate a report" in text


def test_the_archive_filters_by_kind(client, people, october):
    publish(people, generated(queued()))
    publish(people, generated(queued(kind="quarterly", period="2026-Q3")))

    text = page(signed_in(client, people["head"]).get(reverse("reports:report_list") + "?kind=quarterly"))

    assert "Q3 2026 (July to September)" in text and "October 2026" not in text


def test_a_practitioner_may_not_read_reports(client, people):
    assert signed_in(client, people["practitioner"]).get(reverse("reports:report_list")).status_code == 403


def test_the_archive_runs_the_same_queries_for_two_reports_and_for_twelve(client, people, django_assert_num_queries):
    def archive_queries(count):
        for month in range(1, count + 1):
            queued(period=f"2025-{month:02d}", state=Report.State.PUBLISHED, figures={})
        signed_in(client, people["head"])

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reports:report_list")).status_code == 200
        Report.objects.all().delete()
        return len(queries)

    assert archive_queries(2) == archive_queries(12)


# ---------------------------------------------------------------------------------------
# One report


def test_a_published_report_shows_its_figures_labelled_and_when_the_data_was_taken(client, people, october):
    report = publish(people, generated(queued()))

    text = page(signed_in(client, people["head"]).get(report.get_absolute_url()))

    assert "Monthly audit analysis, October 2026" in text
    assert f"Data taken at {timezone.localtime(report.data_taken_at):%-d %B %Y at %H:%M}" in text
    assert "Before moderation (auditor's grade)" in text and "After moderation (final grade)" in text
    assert re.search(r'data-figure="completed">\s*<th scope="row">Audits completed</th>\s*<td[^>]*>4</td>', text)
    assert "SWF: Social Work with Families" in text and "PTC: Pathways Through Care" in text
    assert "4 graded audits and 0 ungraded reviews" in text
    assert "These percentages rest on 4 graded audits, fewer than 20: a small sample." in text
    assert "Moderation decisions dated in the period" in text


def test_small_sample_marks_appear_only_where_a_percentage_rests_on_few_audits(client, people, own_area):

    maker = AuditMaker(published_version(), people["manager"], own_area)
    for day in range(1, 26):
        maker(date(2026, 10, day), "good")
    for day in range(1, 4):
        maker(date(2026, 9, day), "good")
    report = publish(people, generated(queued()))

    text = page(signed_in(client, people["head"]).get(report.get_absolute_url()))
    discussion_row = re.search(r'data-figure="practitioner_discussion_pct">(.*?)</tr>', text, re.S).group(1)

    assert "100.0%" in discussion_row
    assert "small sample" not in discussion_row.split("</td>")[0]  # 25 audits this period
    assert "small sample" in discussion_row.split("</td>")[1]  # 3 in September
    assert "a small sample." not in text


def test_a_service_lead_sees_only_their_own_areas_rows_and_highlights(client, people, october):
    report = generated(queued())
    highlights = {h.service_area.code: h for h in report.highlights.select_related("service_area")}
    services.report_edit(
        actor=None,
        report=report,
        summary="",
        analysis="",
        next_steps="",
        highlights={
            highlights["SWF"].pk: (True, "SWF good practice picked."),
            highlights["PTC"].pk: (True, "PTC good practice picked."),
        },
    )
    publish(people, report)

    text = page(signed_in(client, people["service_lead"]).get(report.get_absolute_url()))

    assert "SWF: Social Work with Families" in text and "PTC: Pathways Through Care" not in text
    assert "SWF good practice picked." in text and "PTC good practice picked." not in text
    assert "your own service area only (SWF)" in text
    assert re.search(r'data-figure="completed">\s*<th scope="row">Audits completed</th>\s*<td[^>]*>4</td>', text)


def test_theme_counts_link_to_the_audit_list_of_the_theme_and_period_not_to_single_audits(client, people, october):
    report = publish(people, generated(queued()))
    theme = PracticeTheme.objects.get(name="Chronology")
    link = f"/audits/area/?practice_theme={theme.pk}&amp;completed_from=2026-10-01&amp;completed_to=2026-10-31"

    lead = signed_in(client, people["service_lead"]).get(report.get_absolute_url()).content.decode()
    head = signed_in(Client(), people["head"]).get(report.get_absolute_url()).content.decode()

    for text in (lead, head):
        row = re.search(r'<tr data-theme="Chronology">(.*?)</tr>', text, re.S).group(1)
        assert re.search(rf'<a href="{re.escape(link)}" data-theme-audits>2<span class="visually-hidden">', row)
        assert not re.search(r'href="/audits/\d+/"', row)
    assert "those in your service areas, so the list can hold fewer than the count" in unescape(lead)
    assert "those in your service areas" not in unescape(head)


def test_a_read_only_reader_reads_the_report_but_is_offered_no_link_to_an_audit(client, people, october):
    report = publish(people, generated(queued()))
    reader = signed_in(client, people["reader"])

    text = page(reader.get(report.get_absolute_url()))

    assert "Audits completed" in text
    assert not re.search(r'href="/audits/', text)
    assert "Each count opens the list" not in text
    assert reader.get(reverse("audits:audit_detail", args=[october[0].pk])).status_code == 403


def test_a_draft_is_not_shown_to_readers_who_do_not_manage_reports(client, people, october):
    draft = generated(queued())

    assert signed_in(client, people["head"]).get(draft.get_absolute_url()).status_code == 404
    assert signed_in(Client(), people["qa_lead"]).get(draft.get_absolute_url()).status_code == 200


def test_a_superseded_report_links_to_its_correction(client, people, october, no_queue):
    report = publish(people, generated(queued()))
    correction = services.report_correct(actor=people["qa_lead"].user, report=report, reason="A date was wrong.")
    publish(people, generated(correction))

    old = page(signed_in(client, people["head"]).get(report.get_absolute_url()))
    new = page(client.get(correction.get_absolute_url()))

    assert "This report was corrected" in old and correction.get_absolute_url() in old
    assert "What changed: A date was wrong." in new and report.get_absolute_url() in new


def test_the_report_page_runs_the_same_queries_for_few_audits_and_many(client, people, own_area):

    maker = AuditMaker(published_version(), people["manager"], own_area)
    signed_in(client, people["head"])

    def queries(audits: int) -> int:
        for day in range(audits):
            maker(date(2026, 10, 1) + timedelta(days=day % 28), "good", is_exemplar=True)
        report = publish(people, generated(queued()))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(report.get_absolute_url()).status_code == 200
        Report.objects.all().delete()
        Audit.objects.all().delete()
        return len(captured)

    assert queries(2) == queries(30)


# ---------------------------------------------------------------------------------------
# Progress while it is generated


def test_a_report_being_generated_shows_its_progress_and_htmx_asks_again(client, people):
    report = queued(requested_by=people["qa_lead"].user)
    services.report_progress(report.pk, 60, "Figures counted")

    signed_in(client, people["qa_lead"])
    full = page(client.get(report.get_absolute_url()))
    block = client.get(report.get_absolute_url(), headers={"HX-Request": "true"})

    assert 'value="60"' in full and "Figures counted" in full and 'hx-trigger="every 2s"' in full
    assert block.status_code == 200 and "<h1" not in page(block) and 'value="60"' in page(block)


def test_once_generated_htmx_is_told_to_load_the_whole_page(client, people, october):
    report = generated(queued())

    response = signed_in(client, people["qa_lead"]).get(report.get_absolute_url(), headers={"HX-Request": "true"})

    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_a_stranded_report_stops_polling_and_offers_to_start_again(client, people):
    report = queued()
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now() - timedelta(minutes=30))

    text = page(signed_in(client, people["qa_lead"]).get(report.get_absolute_url()))

    assert "hx-trigger" not in text and "Start generating again" in text


# ---------------------------------------------------------------------------------------
# Generating on demand


def test_the_qa_lead_generates_a_report_and_lands_on_its_page(
    client, people, no_queue, django_capture_on_commit_callbacks
):
    signed_in(client, people["qa_lead"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_generate"), {"kind": "quarterly", "period": "2026-Q3"})

    report = Report.objects.get()
    assert response.status_code == 302 and response.url == report.get_absolute_url()
    no_queue.assert_called_once_with(report.pk)
    text = page(client.get(response.url))
    assert views.REQUESTED["created"].format(title="Quarterly audit analysis, Q3 2026 (July to September)") in text
    assert "Being generated" in text


def test_a_wrong_period_is_shown_next_to_the_field(client, people, no_queue):
    response = signed_in(client, people["qa_lead"]).post(
        reverse("reports:report_generate"), {"kind": "monthly", "period": "2026-Q3"}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["period"][0].startswith("A monthly report's period is a month")
    assert not Report.objects.exists()


def test_only_the_qa_lead_generates_reports(client, people):
    response = signed_in(client, people["qa_officer"]).post(
        reverse("reports:report_generate"), {"kind": "monthly", "period": "2026-10"}
    )

    assert response.status_code == 403 and not Report.objects.exists()


# ---------------------------------------------------------------------------------------
# Editing and publishing a draft


def edit_data(report: Report, **changes) -> dict:
    """The draft page's form as a browser would send it, unchanged, with `changes` on top."""
    highlights = list(report.highlights.all())
    data = {
        "summary": report.summary,
        "analysis": report.analysis,
        "next_steps": report.next_steps,
        "highlights-TOTAL_FORMS": len(highlights),
        "highlights-INITIAL_FORMS": len(highlights),
        "points-TOTAL_FORMS": 2,
        "points-INITIAL_FORMS": 0,
        "progress-TOTAL_FORMS": 0,
        "progress-INITIAL_FORMS": 0,
        "revision": report.revision,
        "save": "",
    }
    for index, highlight in enumerate(highlights):
        data[f"highlights-{index}-id"] = highlight.pk
        data[f"highlights-{index}-text"] = highlight.text
        if highlight.included:
            data[f"highlights-{index}-included"] = "on"
    data.update(changes)
    return data


def test_the_qa_lead_writes_the_analysis_picks_a_highlight_and_adds_a_point(client, people, october):
    report = generated(queued())
    first = report.highlights.order_by("service_area__code", "kind", "order", "pk").first()
    signed_in(client, people["qa_lead"])
    assert client.get(reverse("reports:report_edit", args=[report.pk])).status_code == 200

    response = client.post(
        reverse("reports:report_edit", args=[report.pk]),
        edit_data(
            report,
            analysis="Planning needs work.",
            **{"highlights-0-included": "on", "highlights-0-text": "Reworded.", "points-0-text": "SMART plans"},
        ),
    )

    assert response.status_code == 302 and response.url == reverse("reports:report_edit", args=[report.pk])
    report.refresh_from_db()
    first.refresh_from_db()
    assert report.analysis == "Planning needs work."
    assert (first.included, first.text) == (True, "Reworded.")
    assert list(report.improvement_points.values_list("text", flat=True)) == ["SMART plans"]


def test_a_picked_highlight_with_no_wording_is_refused_with_a_message_at_the_top(client, people, october):
    report = generated(queued())

    response = signed_in(client, people["qa_lead"]).post(
        reverse("reports:report_edit", args=[report.pk]),
        edit_data(report, **{"highlights-0-included": "on", "highlights-0-text": " ", "analysis": "Kept"}),
    )

    assert response.status_code == 422
    assert services.HIGHLIGHT_TEXT_REQUIRED in page(response)
    assert Report.objects.get().analysis == ""


class _FormFields(HTMLParser):
    """The fields a browser would send from each form with method="post" on a page (no button)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.data: dict[str, str] | None = None
        self.textarea = self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self.data = {}
            self.forms.append(self.data)
        if self.data is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.data[name] = attrs.get("value") or ""
        elif tag == "input" and name and "checked" in attrs:
            self.data[name] = attrs.get("value") or "on"
        elif tag == "textarea":
            self.textarea, self.data[name] = name, ""
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self.data = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea and self.data is not None:
            self.data[self.textarea] += data


def form_on_page(response, field: str) -> dict[str, str]:
    """The post form of the page that has `field`, as a browser would send it."""
    parser = _FormFields()
    parser.feed(response.content.decode())
    return next(form for form in parser.forms if field in form)


@pytest.mark.parametrize("kind,period", [("monthly", "2026-10"), ("quarterly", "2026-Q4")])
def test_a_draft_saves_from_the_form_its_own_page_sends(client, people, october, kind, period):
    """What the browser sends, not a hand-made form: a monthly draft has no progress rows but its
    form still carries every formset's counts."""
    report = generated(queued(kind=kind, period=period))
    url = reverse("reports:report_edit", args=[report.pk])
    data = form_on_page(signed_in(client, people["qa_lead"]).get(url), "summary")

    response = client.post(url, {**data, "analysis": "Planning needs work.", "save": ""})

    assert response.status_code == 302, [str(e) for e in response.context["forms"].non_field_errors()]
    assert Report.objects.get(pk=report.pk).analysis == "Planning needs work."


def test_a_form_sent_without_its_counts_says_so_at_the_top(client, people, october):
    report = generated(queued())
    url = reverse("reports:report_edit", args=[report.pk])
    data = form_on_page(signed_in(client, people["qa_lead"]).get(url), "summary")
    del data["progress-TOTAL_FORMS"]

    response = client.post(url, {**data, "analysis": "Lost?", "save": ""})

    assert response.status_code == 422
    assert "ManagementForm data is missing" in page(response)
    assert Report.objects.get().analysis == ""


def test_the_edit_page_of_a_published_report_sends_back_to_the_report(client, people, october):
    report = publish(people, generated(queued()))

    response = signed_in(client, people["qa_lead"]).post(
        reverse("reports:report_edit", args=[report.pk]), edit_data(report, summary="Changed")
    )

    assert response.status_code == 302 and response.url == report.get_absolute_url()
    assert Report.objects.get().summary == ""


def test_a_head_of_service_cannot_edit_a_draft(client, people, october):
    report = generated(queued())

    response = signed_in(client, people["head"]).post(
        reverse("reports:report_edit", args=[report.pk]), edit_data(report, summary="Changed")
    )

    assert response.status_code == 403


def test_changes_need_the_csrf_token(people, october):
    report = generated(queued())
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["qa_lead"].user)

    assert client.post(reverse("reports:report_publish", args=[report.pk])).status_code == 403
    assert Report.objects.get().state == Report.State.DRAFT


def test_publishing_by_post_freezes_the_report_and_a_get_is_refused(client, people, october):
    report = generated(queued())
    signed_in(client, people["qa_lead"])

    assert client.get(reverse("reports:report_publish", args=[report.pk])).status_code == 405
    response = client.post(reverse("reports:report_publish", args=[report.pk]), follow=True)

    assert Report.objects.get().state == Report.State.PUBLISHED
    assert "is published. Its figures are frozen as taken on" in page(response)
    assert "Edit the draft" not in page(response) and "Correct this report" in page(response)


def test_publishing_twice_says_why_the_second_is_refused(client, people, october):
    report = publish(people, generated(queued()))

    response = signed_in(client, people["qa_lead"]).post(
        reverse("reports:report_publish", args=[report.pk]), follow=True
    )

    assert services.NOT_A_DRAFT.format(state="published") in page(response)


def test_generating_a_draft_again_from_its_page(client, people, october, no_queue, django_capture_on_commit_callbacks):
    report = generated(queued())

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, people["qa_lead"]).post(reverse("reports:report_refresh", args=[report.pk]))

    assert response.status_code == 302
    assert Report.objects.get().state == Report.State.QUEUED
    no_queue.assert_called_once_with(report.pk)


# ---------------------------------------------------------------------------------------
# Correcting


def test_a_correction_needs_a_reason_next_to_the_field(client, people, october, no_queue):
    report = publish(people, generated(queued()))

    response = signed_in(client, people["qa_lead"]).post(reverse("reports:report_correct", args=[report.pk]), {})

    assert response.status_code == 422
    assert response.context["form"].errors["reason"] == [services.CORRECTION_REASON_REQUIRED]


def test_the_qa_lead_starts_a_correction_and_lands_on_it(client, people, october, no_queue):
    report = publish(people, generated(queued()))

    response = signed_in(client, people["qa_lead"]).post(
        reverse("reports:report_correct", args=[report.pk]), {"reason": "A misdated audit."}
    )

    correction = Report.objects.get(supersedes=report)
    assert response.status_code == 302 and response.url == correction.get_absolute_url()


def test_a_draft_cannot_be_corrected(client, people, october):
    report = generated(queued())

    assert signed_in(client, people["qa_lead"]).get(
        reverse("reports:report_correct", args=[report.pk])
    ).status_code == (404)


# ---------------------------------------------------------------------------------------
# My report e-mails


def test_a_reader_chooses_the_reports_they_are_emailed_about(client, people):
    signed_in(client, people["service_lead"])

    response = client.post(reverse("reports:report_subscription"), {"kinds": ["monthly", "annual"]})

    assert response.status_code == 302
    assert ReportSubscription.objects.get().kinds == ["monthly", "annual"]
    text = page(client.get(reverse("reports:report_subscription")))
    assert re.search(r'value="monthly"[^>]*checked', text) and not re.search(r'value="quarterly"[^>]*checked', text)


def test_a_practice_manager_has_no_report_emails(client, people):
    response = signed_in(client, people["manager"]).post(reverse("reports:report_subscription"), {"kinds": ["monthly"]})

    assert response.status_code == 403 and not ReportSubscription.objects.exists()
