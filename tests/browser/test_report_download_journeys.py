"""Journeys through a report's downloads, with a real worker on Redis making the files: a QA lead
downloads the PDF of a published report (its text has the headline figures and the service-area
table) and the JSON of a draft; a service lead downloads the workbook and finds only their own area's
rows; a reader downloads a PDF already made in one click. A file not made yet is asked for by its
button on the report's page, which shows the progress and starts the download once the worker has
made it, on the same page. The page is checked with axe-core before, during and after.
"""

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from quality.reports import documents
from quality.reports.models import Highlight, Report, ReportDocument
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)

from ..reports.test_outputs import AREA_NAMES, pdf_text, sample_figures, squash
from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_MS = 60_000  # the worker makes the file in seconds; a slow machine gets a minute


@pytest.fixture
def people(qa_lead, service_lead):
    return {"qa_lead": qa_lead, "lead": service_lead}


def make_report(people, own_area, other_area, *, state, period) -> Report:
    published = state == Report.State.PUBLISHED
    report = Report.objects.create(
        kind="monthly",
        period=period,
        period_start=f"{period}-01",
        period_end=f"{period}-30",
        state=state,
        figures=sample_figures(areas={"SWF": AREA_NAMES["SWF"], "PTC": AREA_NAMES["PTC"]}),
        data_taken_at=datetime(2023, 12, 9, 5, 0, tzinfo=UTC),
        summary="Practice is steady; plans need dates.",
        published_by=people["qa_lead"] if published else None,
        published_at=datetime(2023, 12, 11, 10, 0, tzinfo=UTC) if published else None,
    )
    for area, text in ((own_area, "SWF chronologies were thorough."), (other_area, "PTC visits were regular.")):
        Highlight.objects.create(
            report=report, service_area=area, kind="good_practice", source_text=text, text=text, included=True
        )
    return report


@pytest.fixture
def published(people, own_area, other_area):
    return make_report(people, own_area, other_area, state=Report.State.PUBLISHED, period="2023-11")


@pytest.fixture
def draft(people, own_area, other_area):
    return make_report(people, own_area, other_area, state=Report.State.DRAFT, period="2023-09")


def download_from_the_report_page(page: Page, button: str, format_name: str):
    """On the report's page, with the file not made yet: press its download button, see the progress
    on that page (checked with axe while it shows), and get the download the page starts once the
    worker has made the file."""
    address = page.url
    with page.expect_download(timeout=WORKER_TIMEOUT_MS) as downloading:
        page.get_by_role("button", name=button).click()
        expect(page.get_by_text(f"The {format_name} is being made")).to_be_visible()
        expect(page.get_by_role("progressbar", name=f"Making the {format_name}")).to_be_visible()
        assert_accessible(page)
    expect(page.get_by_text(f"The {format_name} is ready")).to_be_visible()
    expect(page.get_by_role("link", name=f"Download the {format_name}")).to_be_visible()
    assert page.url == address, "the file came on the report's own page"
    assert_accessible(page)
    return downloading.value


def test_a_qa_lead_downloads_the_pdf_of_a_published_report_made_by_the_worker(
    page: Page,
    live_server,
    celery_worker,  # noqa: F811
    people,
    published,
):
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    page.goto(f"{live_server.url}{published.get_absolute_url()}")
    assert_accessible(page)

    download = download_from_the_report_page(page, "Download PDF", "PDF")

    assert download.suggested_filename == "monthly-audit-analysis-2023-11.pdf"
    text = squash(pdf_text(Path(download.path()).read_bytes()))
    assert "Audits allocated 22 14 +8" in text
    assert "Audits completed 22 12 +10" in text
    assert "Pathways Through Care (PTC) 1 4 3 0 2 10" in text
    assert "Social Work with Families (SWF) 1 5 3 1 2 12" in text
    assert "Practice is steady; plans need dates." in text

    # Back on the report, the PDF now made is a link that downloads it in one click.
    page.reload()
    link = page.get_by_role("link", name="Download PDF")
    expect(link).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as again:
        link.click()
    assert Path(again.value.path()).read_bytes() == Path(download.path()).read_bytes()


def test_a_reader_downloads_a_ready_report_pdf_in_one_click(page: Page, live_server, people, published, reader):
    """The PDF was made earlier (for another reader who sees every area: the same copy): the report's
    page links it, and one click downloads it, with no page in between and no worker needed."""
    made = documents.document_request(actor=people["qa_lead"].user, report=published, file_format="pdf")
    documents.document_generate(document_id=made.pk)
    sign_in(page, live_server.url, reader.user.email)
    page.goto(f"{live_server.url}{published.get_absolute_url()}")
    assert_accessible(page)
    address = page.url

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download PDF").click()

    download = downloading.value
    assert download.suggested_filename == "monthly-audit-analysis-2023-11.pdf"
    made.refresh_from_db()
    assert Path(download.path()).read_bytes() == Path(made.file.path).read_bytes()
    assert page.url == address
    assert ReportDocument.objects.count() == 1  # nothing made again


def test_a_service_lead_downloads_a_workbook_with_only_their_own_areas_rows(
    page: Page,
    live_server,
    celery_worker,  # noqa: F811
    people,
    published,
):
    sign_in(page, live_server.url, people["lead"].user.email)
    page.goto(f"{live_server.url}{published.get_absolute_url()}")

    download = download_from_the_report_page(page, "Download Excel workbook", "Excel workbook")

    assert download.suggested_filename == "monthly-audit-analysis-2023-11.xlsx"
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert [row[0] for row in book["By service area"].iter_rows(min_row=2, values_only=True)] == ["SWF"]
    assert [row[2] for row in book["Highlights"].iter_rows(min_row=2, values_only=True)] == [
        "SWF chronologies were thorough."
    ]


def test_a_qa_lead_downloads_the_json_of_a_draft(page: Page, live_server, people, draft):
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    page.goto(f"{live_server.url}{draft.get_absolute_url()}")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download JSON").click()

    download = downloading.value
    assert download.suggested_filename == "monthly-audit-analysis-2023-09-draft.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["audits"]["completed"] == 22
    assert data["report"]["state"] == "draft"
    assert data["report"]["summary"] == "Practice is steady; plans need dates."
