"""A report's PDF and workbook: asked for (a queued row, the task after commit), built by the task
(directly and by a real worker on Redis), retried, swept when stranded, kept while current and
remade when a draft changes; the download pages (a GET offers to make the file and asks for nothing,
a POST asks; polling, streaming, trying again), the JSON, and who may download what."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from openpyxl import load_workbook

from quality.built_files import build_stranded_files
from quality.celery import app
from quality.reports import documents, output_views
from quality.reports.models import Highlight, Report, ReportDocument
from quality.reports.output_tasks import MAX_RETRIES, build_report_document
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

from .test_outputs import AREA_NAMES, pdf_text, portal, sample_figures, squash, with_theme_links  # noqa: F401

pytestmark = pytest.mark.django_db

STUB_PDF = b"%PDF-1.7\n% a stand-in for a built report\n"
STUB_XLSX = b"PK\x03\x04 a stand-in workbook"


@pytest.fixture
def people(qa_lead, qa_officer, head_of_service, reader, service_lead, practitioner):
    """The shared cast by their part around a report's documents."""
    return {
        "qa_lead": qa_lead,
        "qa_officer": qa_officer,
        "head": head_of_service,
        "reader": reader,
        "lead": service_lead,
        "worker": practitioner,
    }


def make_report(people, own_area, other_area, state=Report.State.PUBLISHED, period="2023-11") -> Report:
    """A November 2023 monthly report over SWF (own) and PTC (other), one picked highlight in each."""
    report = Report.objects.create(
        kind="monthly",
        period=period,
        period_start="2023-11-01",
        period_end="2023-11-30",
        state=state,
        figures=sample_figures(areas={"SWF": AREA_NAMES["SWF"], "PTC": AREA_NAMES["PTC"]}),
        data_taken_at=datetime(2023, 12, 9, 5, 0, tzinfo=UTC),
        summary="Practice is steady.",
        published_by=people["qa_lead"] if state == Report.State.PUBLISHED else None,
        published_at=datetime(2023, 12, 11, 10, 0, tzinfo=UTC) if state == Report.State.PUBLISHED else None,
    )
    for area, text in ((own_area, "SWF chronologies were thorough."), (other_area, "PTC visits were regular.")):
        Highlight.objects.create(
            report=report,
            service_area=area,
            kind=Highlight.Kind.GOOD_PRACTICE,
            source_text=text,
            text=text,
            included=True,
        )
    return report


@pytest.fixture
def published(people, own_area, other_area):
    return make_report(people, own_area, other_area)


@pytest.fixture
def draft(people, own_area, other_area):
    return make_report(people, own_area, other_area, state=Report.State.DRAFT, period="2023-10")


def ready_document(report, user, file_format="pdf", content=STUB_PDF, *, made_for="same") -> ReportDocument:
    """A document as the worker leaves it, for `made_for`'s view of the report (default: `user`'s), with a
    stand-in file (no WeasyPrint: fast)."""
    viewer = user if made_for == "same" else made_for
    marker = documents.content_marker(documents.content_for(report, viewer))
    return ReportDocument.objects.create(
        report=report,
        format=file_format,
        requested_by=user,
        state=ReportDocument.State.READY,
        file=ContentFile(content, name=f"report-{report.pk}-{marker}.{file_format}"),
        generated_at=timezone.now(),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def stored(document) -> bytes:
    return Path(document.file.path).read_bytes()


def url(name, report) -> str:
    return reverse(f"reports:{name}", kwargs={"pk": report.pk})


def body(response) -> bytes:
    """The response's bytes; a streamed download is read to the end, so the test client closes its file."""
    return b"".join(response.streaming_content) if response.streaming else response.content


# -- asking for a document --------------------------------------------------------------------


def test_asking_adds_a_queued_document_and_queues_the_build_after_commit_without_rendering(
    published, people, django_capture_on_commit_callbacks
):
    with (
        patch("quality.reports.outputs.render") as render,
        patch("quality.reports.output_tasks.build_report_document.delay") as queue,
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            document = documents.document_request(actor=people["head"].user, report=published, file_format="pdf")

        assert (document.state, document.format, document.requested_by, bool(document.file)) == (
            ReportDocument.State.QUEUED,
            "pdf",
            people["head"].user,
            False,
        )
        queue.assert_not_called()  # not before the row is committed: the worker could not see it
        for callback in callbacks:
            callback()
        queue.assert_called_once_with(document.pk)
        render.assert_not_called()


def test_asking_again_while_waiting_returns_the_same_document(published, people):
    first = documents.document_request(actor=people["head"].user, report=published, file_format="pdf")
    again = documents.document_request(actor=people["head"].user, report=published, file_format="pdf")
    workbook = documents.document_request(actor=people["head"].user, report=published, file_format="xlsx")

    assert again == first
    assert workbook != first
    assert ReportDocument.objects.count() == 2


def test_a_report_still_being_generated_has_no_document_to_ask_for(published, people):
    Report.objects.filter(pk=published.pk).update(state=Report.State.QUEUED, figures=None)
    published.refresh_from_db()

    with pytest.raises(ValidationError, match="has no figures yet"):
        documents.document_request(actor=people["qa_lead"].user, report=published, file_format="pdf")


# -- building it --------------------------------------------------------------------------------


def test_the_task_called_directly_makes_the_pdf_named_after_its_content(published, people, media_root):
    document = ReportDocument.objects.create(report=published, format="pdf", requested_by=people["head"].user)

    build_report_document(document.pk)

    document.refresh_from_db()
    assert document.state == ReportDocument.State.READY and document.generated_at
    data = stored(document)
    assert data.startswith(b"%PDF")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert Path(document.file.path).parent == media_root / "reports"
    marker = documents.content_marker(documents.content_for(published, people["head"].user))
    assert Path(document.file.name).name == f"report-{published.pk}-{marker}.pdf"
    text = squash(pdf_text(data))
    assert "Published 11 December 2023 by Quinn Lead" in text
    assert "Pathways Through Care (PTC)" in text and "Social Work with Families (SWF)" in text
    assert documents.current_document(published, "pdf", user=people["head"].user) == document


def test_the_task_makes_the_workbook(published, people):
    document = ReportDocument.objects.create(report=published, format="xlsx", requested_by=people["head"].user)

    build_report_document(document.pk)

    document.refresh_from_db()
    book = load_workbook(io.BytesIO(stored(document)))
    assert "By service area" in book.sheetnames
    assert [row[0] for row in book["By service area"].iter_rows(min_row=2, values_only=True)] == ["PTC", "SWF"]


def test_a_document_already_made_is_not_made_again_when_the_task_comes_twice(published, people):
    document = ready_document(published, people["head"].user)

    with patch("quality.reports.outputs.render") as render:
        build_report_document(document.pk)

    render.assert_not_called()
    document.refresh_from_db()
    assert stored(document) == STUB_PDF


def test_a_build_that_keeps_failing_is_tried_four_times_then_the_document_is_marked_failed(published, people):
    document = ReportDocument.objects.create(report=published, format="pdf", requested_by=people["head"].user)

    with patch("quality.reports.outputs.render", side_effect=OSError("out of memory")) as render:
        build_report_document.apply(args=[document.pk])

    assert render.call_count == 1 + MAX_RETRIES
    document.refresh_from_db()
    assert document.state == ReportDocument.State.FAILED
    assert not document.file and not document.sha256


def test_a_build_that_fails_once_is_tried_again_and_the_document_is_made(published, people):
    document = ReportDocument.objects.create(report=published, format="pdf", requested_by=people["head"].user)

    with patch("quality.reports.outputs.render", side_effect=[OSError("font cache busy"), STUB_PDF]) as render:
        build_report_document.apply(args=[document.pk])

    assert render.call_count == 2
    document.refresh_from_db()
    assert document.state == ReportDocument.State.READY and stored(document) == STUB_PDF


def test_a_report_generated_again_since_the_request_leaves_the_document_failed(published, people):
    document = ReportDocument.objects.create(report=published, format="pdf", requested_by=people["qa_lead"].user)
    Report.objects.filter(pk=published.pk).update(state=Report.State.QUEUED)

    with patch("quality.reports.outputs.render") as render:
        assert documents.document_generate(document_id=document.pk) is None

    render.assert_not_called()
    document.refresh_from_db()
    assert document.state == ReportDocument.State.FAILED


# -- which document is current ------------------------------------------------------------------


def test_a_drafts_document_is_current_until_the_draft_changes_and_is_then_made_again(draft, people):
    qa_lead = people["qa_lead"].user
    first = ReportDocument.objects.create(report=draft, format="pdf", requested_by=qa_lead)
    with patch("quality.reports.outputs.render", return_value=STUB_PDF):
        documents.document_generate(document_id=first.pk)
    first.refresh_from_db()
    first_path = Path(first.file.path)
    assert documents.current_document(draft, "pdf", user=qa_lead) == first

    draft.analysis = "Chronologies improved."
    draft.save()
    assert documents.current_document(draft, "pdf", user=qa_lead) is None
    Highlight.objects.filter(report=draft).update(text="Edited by the QA lead.")
    second = ReportDocument.objects.create(report=draft, format="pdf", requested_by=qa_lead)
    with patch("quality.reports.outputs.render", return_value=STUB_PDF):
        documents.document_generate(document_id=second.pk)

    assert documents.current_document(draft, "pdf", user=qa_lead) == second
    # The draft's outdated copy is gone with its file: nobody is given it again.
    assert not ReportDocument.objects.filter(pk=first.pk).exists()
    assert not first_path.exists()


def test_a_published_reports_document_stays_current_when_a_correction_supersedes_it(published, people):
    document = ready_document(published, people["head"].user)

    Report.objects.filter(pk=published.pk).update(state=Report.State.SUPERSEDED)
    published.refresh_from_db()

    assert documents.current_document(published, "pdf", user=people["head"].user) == document
    # The same copy serves everyone who sees every area.
    assert documents.current_document(published, "pdf", user=people["reader"].user) == document


def test_a_service_lead_is_never_handed_the_copy_made_for_every_area(published, people):
    ready_document(published, people["head"].user)
    lead = people["lead"].user

    assert documents.current_document(published, "pdf", user=lead) is None

    document = ReportDocument.objects.create(report=published, format="pdf", requested_by=lead)
    build_report_document(document.pk)
    document.refresh_from_db()
    text = squash(pdf_text(stored(document)))
    assert "Social Work with Families (SWF)" in text
    assert "Pathways Through Care (PTC)" not in text
    assert "PTC visits were regular." not in text
    assert documents.current_document(published, "pdf", user=lead) == document


# -- stranded documents -------------------------------------------------------------------------


def test_a_document_asked_for_while_redis_is_down_is_built_by_the_sweep(
    published, people, django_capture_on_commit_callbacks
):
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        patch("quality.reports.output_tasks.build_report_document.delay", side_effect=down) as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        document = documents.document_request(actor=people["head"].user, report=published, file_format="pdf")

    queue.assert_called_once()
    assert documents.documents_stranded() == []  # not yet: its own task may still come
    ReportDocument.objects.filter(pk=document.pk).update(requested_at=timezone.now() - timedelta(minutes=6))
    assert documents.documents_stranded() == [document.pk]
    with patch("quality.reports.outputs.render", return_value=STUB_PDF):
        assert build_stranded_files() == 1
        assert build_stranded_files() == 0  # safe to run again
    document.refresh_from_db()
    assert document.state == ReportDocument.State.READY and stored(document) == STUB_PDF


def test_the_sweep_skips_a_document_a_worker_is_building_at_that_moment(transactional_db, people, own_area, other_area):
    report = make_report(people, own_area, other_area)
    document = ReportDocument.objects.create(report=report, format="pdf", requested_by=people["head"].user)
    ReportDocument.objects.filter(pk=document.pk).update(requested_at=timezone.now() - timedelta(minutes=6))
    locked, release = threading.Event(), threading.Event()

    def worker_holding_the_row():
        with transaction.atomic():
            ReportDocument.objects.select_for_update().get(pk=document.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=worker_holding_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        with patch("quality.reports.outputs.render", return_value=STUB_PDF) as render:
            assert build_stranded_files() == 0
        render.assert_not_called()
    finally:
        release.set()
        holder.join()
    document.refresh_from_db()
    assert document.state == ReportDocument.State.QUEUED


def test_a_worker_on_redis_makes_the_document_once_it_is_asked_for(
    transactional_db,
    celery_worker,  # noqa: F811
    people,
    own_area,
    other_area,
):
    report = make_report(people, own_area, other_area)
    document = documents.document_request(actor=people["head"].user, report=report, file_format="pdf")

    def is_ready():
        document.refresh_from_db()
        return document.state == ReportDocument.State.READY

    assert wait_for(is_ready, timeout=60), f"the worker left the document {document.state} after 60 s"
    assert "Monthly audit analysis" in pdf_text(stored(document))


def test_the_tasks_are_registered_and_the_sweep_is_scheduled():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert "quality.reports.output_tasks.build_report_document" in app.tasks
    assert "quality.built_files.build_stranded_files" in scheduled
    assert scheduled - set(app.tasks) == set()


# -- the download pages -------------------------------------------------------------------------


def test_a_get_with_no_document_offers_to_make_it_and_asks_for_nothing(
    client, published, people, django_capture_on_commit_callbacks
):
    client.force_login(people["head"].user)

    with (
        patch("quality.reports.output_tasks.build_report_document.delay") as queue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        pdf = client.get(url("report_pdf", published))
        workbook = client.get(url("report_xlsx", published))
        polled = client.get(url("report_pdf", published), headers={"HX-Request": "true"})
        head = client.head(url("report_pdf", published))

    assert not ReportDocument.objects.exists()
    assert callbacks == []
    queue.assert_not_called()
    assert [r.status_code for r in (pdf, workbook, polled, head)] == [200, 200, 200, 200]
    html = pdf.content.decode()
    assert "<h1" in html and "PDF of Monthly audit analysis" in html
    assert "There is no PDF of the report as it stands yet" in html and "hx-trigger" not in html
    assert (
        f'<form method="post" action="{url("report_pdf", published)}" hx-post="{url("report_pdf", published)}"' in html
    )
    assert 'name="csrfmiddlewaretoken"' in html and ">Make the PDF</button>" in html
    assert ">Make the workbook</button>" in workbook.content.decode()
    assert "<html" not in polled.content.decode() and ">Make the PDF</button>" in polled.content.decode()


def test_a_post_asks_for_the_pdf_after_commit_and_the_get_then_shows_a_page_that_polls(
    client, published, people, django_capture_on_commit_callbacks
):
    client.force_login(people["head"].user)
    address = url("report_pdf", published)

    with patch("quality.reports.output_tasks.build_report_document.delay") as queue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            asked = client.post(address)
        queue.assert_not_called()  # not before the row is committed: the worker could not see it
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(address)  # a second press while it is being made asks for nothing more
        page = client.get(address)

    document = ReportDocument.objects.get()
    queue.assert_called_once_with(document.pk)
    assert document.state == ReportDocument.State.QUEUED and document.requested_by == people["head"].user
    assert (asked.status_code, asked.url) == (302, address) and (again.status_code, again.url) == (302, address)
    html = page.content.decode()
    assert page.status_code == 200 and "PDF of Monthly audit analysis" in html
    assert f'hx-get="{address}"' in html and 'hx-trigger="every 2s"' in html and "Make the PDF" not in html


def test_the_status_block_asks_again_while_the_pdf_is_made_and_offers_it_once_ready(client, published, people):
    client.force_login(people["head"].user)
    address = url("report_pdf", published)
    client.post(address)

    queued = client.get(address, headers={"HX-Request": "true"}).content.decode()
    ReportDocument.objects.all().delete()
    ready_document(published, people["head"].user)
    ready = client.get(address, headers={"HX-Request": "true"}).content.decode()

    assert "<html" not in queued and 'hx-trigger="every 2s"' in queued
    assert "<html" not in ready and "hx-trigger" not in ready
    assert f'href="{address}"' in ready and "The PDF is ready" in ready


def test_a_ready_pdf_is_streamed_as_an_attachment_that_is_not_cached(client, published, people):
    ready_document(published, people["head"].user)
    client.force_login(people["reader"].user)  # another reader who sees every area gets the same copy

    response = client.get(url("report_pdf", published))

    assert response.status_code == 200
    assert body(response) == STUB_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="monthly-audit-analysis-2023-11.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert ReportDocument.objects.count() == 1  # nothing asked for


def test_a_ready_workbook_is_streamed_with_its_type_and_a_drafts_name_says_draft(client, draft, people):
    ready_document(draft, people["qa_lead"].user, "xlsx", STUB_XLSX)
    client.force_login(people["qa_lead"].user)

    response = client.get(url("report_xlsx", draft))

    assert body(response) == STUB_XLSX
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="monthly-audit-analysis-2023-10-draft.xlsx"'


def test_once_a_draft_changes_its_old_copy_is_not_handed_over_and_the_page_offers_a_new_one(client, draft, people):
    ready_document(draft, people["qa_lead"].user)
    draft.analysis = "Chronologies improved."
    draft.save()
    client.force_login(people["qa_lead"].user)

    response = client.get(url("report_pdf", draft))

    assert not response.streaming and ">Make the PDF</button>" in response.content.decode()
    assert ReportDocument.objects.count() == 1  # nothing asked for


def test_the_file_is_not_served_at_a_media_url(client, published, people):
    document = ready_document(published, people["head"].user)
    client.force_login(people["head"].user)

    assert client.get(f"{settings.MEDIA_URL}{document.file.name}").status_code == 404


def test_a_failed_pdf_stops_the_polling_and_a_post_asks_again(client, published, people):
    client.force_login(people["head"].user)
    address = url("report_pdf", published)
    failed = ReportDocument.objects.create(
        report=published, format="pdf", requested_by=people["head"].user, state=ReportDocument.State.FAILED
    )

    html = client.get(address).content.decode()
    asked = client.post(address)

    assert "could not be made" in html and "hx-trigger" not in html
    assert f'<form method="post" action="{address}" hx-post="{address}"' in html
    assert asked.status_code == 302 and asked.url == address
    assert ReportDocument.objects.exclude(pk=failed.pk).get().state == ReportDocument.State.QUEUED


def test_asking_without_the_csrf_token_is_refused_and_with_the_pages_token_is_accepted(published, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["head"].user)
    address = url("report_pdf", published)

    refused = client.post(address)
    assert refused.status_code == 403
    assert not ReportDocument.objects.exists()

    client.get(address)  # the page with the button sets the CSRF cookie
    asked = client.post(address, {"csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value})
    assert asked.status_code == 302
    assert ReportDocument.objects.get().state == ReportDocument.State.QUEUED


def test_a_report_being_generated_again_sends_the_qa_lead_to_its_page(client, draft, people):
    Report.objects.filter(pk=draft.pk).update(state=Report.State.QUEUED)
    client.force_login(people["qa_lead"].user)

    for name in ("report_pdf", "report_xlsx", "report_json"):
        response = client.get(url(name, draft))
        assert response.status_code == 302 and response.url == draft.get_absolute_url(), name
    assert not ReportDocument.objects.exists()
    message = output_views.NOT_READY.format(title="Monthly audit analysis, October 2023")
    assert message in [str(m) for m in response.wsgi_request._messages]


def test_the_json_is_the_figures_and_the_narrative(client, published, people, portal):  # noqa: F811
    client.force_login(people["head"].user)

    response = client.get(url("report_json", published))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="monthly-audit-analysis-2023-11.json"'
    data = json.loads(response.content)
    # Each theme count links to the audit list (theme and period), never to single audits.
    assert {key: value for key, value in data.items() if key != "report"} == with_theme_links(published.figures)
    assert data["report"]["summary"] == "Practice is steady."
    assert data["report"]["shown_for"] is None


def test_a_service_leads_json_has_only_their_areas_sections(client, published, people):
    client.force_login(people["lead"].user)

    data = json.loads(client.get(url("report_json", published)).content)

    assert [row["code"] for row in data["by_service_area"]] == ["SWF"]
    assert [row["service_area"] for row in data["exemplars"]] == ["SWF"]
    assert [row["service_area"] for row in data["highlight_candidates"]] == ["SWF"]
    assert [h["text"] for h in data["report"]["highlights"]] == ["SWF chronologies were thorough."]
    assert data["report"]["shown_for"] == ["SWF"]
    assert data["audits"] == published.figures["audits"]  # the totals are the whole report's


# -- who may download what ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report_pdf", "report_xlsx", "report_json"])
def test_every_reader_may_download_a_published_report_and_only_the_qa_lead_a_draft(
    client, published, draft, people, name
):
    def status(who, report):
        client.force_login(people[who].user)
        response = client.get(url(name, report))
        body(response)
        return response.status_code

    assert {who: status(who, published) for who in people} == {
        "qa_lead": 200,
        "qa_officer": 200,
        "head": 200,
        "reader": 200,
        "lead": 200,
        "worker": 403,
    }
    # A draft is not found for anyone who does not manage reports, as on its page.
    assert {who: status(who, draft) for who in people} == {
        "qa_lead": 200,
        "qa_officer": 404,
        "head": 404,
        "reader": 404,
        "lead": 404,
        "worker": 403,
    }
    assert not ReportDocument.objects.exists()  # a GET only ever reads


@pytest.mark.parametrize("name", ["report_pdf", "report_xlsx"])
def test_only_those_who_may_download_a_report_may_ask_for_its_document(client, published, draft, people, name):
    def status(who, report):
        client.force_login(people[who].user)
        return client.post(url(name, report)).status_code

    assert status("worker", published) == 403
    assert status("head", draft) == 404  # a draft is not found for anyone who does not manage reports
    assert not ReportDocument.objects.exists()
    assert status("lead", published) == 302 and status("qa_lead", draft) == 302
    assert ReportDocument.objects.count() == 2


def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_asked_for(client, published):
    for name in ("report_pdf", "report_xlsx", "report_json"):
        address = url(name, published)
        response = client.get(address)
        assert response.status_code == 302 and response.url == f"{reverse('login')}?next={address}"
    for name in ("report_pdf", "report_xlsx"):
        assert client.post(url(name, published)).status_code == 302
    assert not ReportDocument.objects.exists()


def test_the_downloads_take_only_the_methods_they_need(client, published, people):
    client.force_login(people["head"].user)

    assert client.put(url("report_pdf", published)).status_code == 405
    assert client.delete(url("report_xlsx", published)).status_code == 405
    assert client.post(url("report_json", published)).status_code == 405


# -- downloads from the report's page (one click: at once when ready, else progress on the page) --


def test_the_report_page_links_a_ready_pdf_straight_to_its_download(client, published, people):
    ready_document(published, people["head"].user)
    client.force_login(people["head"].user)

    links = {link["label"]: link for link in output_views.download_links(published, people["head"].user)}
    html = client.get(published.get_absolute_url()).content.decode()

    assert links["Download PDF"]["ready"] and not links["Download Excel workbook"]["ready"]
    pdf = url("report_pdf", published)
    assert f'<a class="btn btn-outline-secondary" href="{pdf}" download data-download-ready>Download PDF</a>' in html
    assert f'<form method="post" action="{pdf}"' not in html
    xlsx = url("report_xlsx", published)
    assert f'hx-post="{xlsx}" hx-target="#report-xlsx-status-slot"' in html  # not made yet: asked for on the page
    assert 'id="report-xlsx-status-slot" class="mb-3" aria-live="polite"' in html
    assert f'href="{url("report_json", published)}" download' in html  # the JSON is always served at once


def test_a_service_leads_page_does_not_link_the_copy_made_for_every_area(client, published, people):
    ready_document(published, people["head"].user)  # every area: not the lead's copy

    links = output_views.download_links(published, people["lead"].user)

    assert [link["ready"] for link in links] == [False, False, True]


def test_asking_from_the_page_answers_the_status_block_that_polls_in_place(client, published, people):
    client.force_login(people["head"].user)
    address = url("report_pdf", published)

    with patch("quality.reports.output_tasks.build_report_document.delay"):
        answer = client.post(address, headers={"HX-Request": "true"})

    html = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in html
    assert 'id="report-pdf-status"' in html and f'hx-get="{address}" hx-trigger="every 2s"' in html
    assert 'role="progressbar"' in html and "is being made" in html
    assert ReportDocument.objects.get().state == ReportDocument.State.QUEUED


def test_the_block_that_arrives_when_the_file_is_ready_starts_the_download_and_a_page_load_does_not(
    client, published, people
):
    client.force_login(people["head"].user)
    address = url("report_pdf", published)
    ReportDocument.objects.create(report=published, format="pdf", requested_by=people["head"].user)
    page = client.get(address).content.decode()
    ReportDocument.objects.all().delete()
    ready_document(published, people["head"].user)

    polled = client.get(address, headers={"HX-Request": "true"}).content.decode()

    assert "data-download-now" not in page and 'aria-live="polite"' in page and "js/downloads.js" in page
    assert f'data-download-now="{address}"' in polled and "Your download has started" in polled


def test_a_failed_build_shows_why_in_the_polled_block_and_asks_again_in_place(client, published, people):
    client.force_login(people["head"].user)
    address = url("report_pdf", published)
    ReportDocument.objects.create(
        report=published, format="pdf", requested_by=people["head"].user, state=ReportDocument.State.FAILED
    )

    polled = client.get(address, headers={"HX-Request": "true"}).content.decode()

    assert 'role="alert"' in polled and "could not be made" in polled and f"tried {MAX_RETRIES + 1} times" in polled
    assert "hx-trigger" not in polled and "data-download-now" not in polled
    assert f'hx-post="{address}" hx-target="#report-pdf-status" hx-swap="outerHTML"' in polled
