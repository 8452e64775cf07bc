"""Journeys through audit analysis reports: the QA lead generates a quarterly report (the page shows the
worker's progress, then the figures), picks highlights, writes the analysis and publishes it; a theme
count opens the list of the audits behind it; an audit changed afterwards does not change the published
report; the QA lead downloads its PDF (the headline figures and the service-area table in its text) and
its workbook; a service lead reads it, with only their own area's rows, and the theme's list of their own
area. The worker's part runs in the test, as the worker would run it; every page is checked with axe.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from unittest.mock import patch

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from audits.models import Audit
from evidence.complaints.services import entry_create
from quality.reports.models import PracticeTheme, Report
from quality.reports.output_tasks import build_report_document
from quality.reports.tasks import generate_report
from tests.moderation.outcome_world import published_version
from tests.reports.test_outputs import pdf_text, squash
from tests.reports.test_services import AuditMaker

from .conftest import assert_accessible, main_nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(qa_lead, practice_manager, other_manager, service_lead):
    return {
        "qa_lead": qa_lead,
        "manager": practice_manager,
        "other_manager": other_manager,
        "service_lead": service_lead,
    }


@pytest.fixture
def quarter(people, own_area, other_area):
    """Q3 2026: four audits in SWF and two in PTC, with strengths and areas for improvement; one audit in
    each area mentions the practice theme Chronology."""
    PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])
    # The complaints log of the quarter, one entry in each area: the report's section counts both.
    for area, kind, outcome in ((own_area, "complaint", "upheld"), (other_area, "compliment", "not_applicable")):
        entry_create(
            actor=people["qa_lead"].user,
            received_on=date(2026, 8, 12),
            service_area=area,
            team=None,
            kind=kind,
            theme="timeliness",
            outcome=outcome,
        )
    version = published_version()
    swf = AuditMaker(version, people["manager"], own_area)
    ptc = AuditMaker(version, people["other_manager"], other_area)
    ptc.count = 100
    return [
        swf(date(2026, 7, 7), "good", strengths="Up-to-date chronology and clear voice of the child."),
        swf(date(2026, 8, 4), "outstanding", strengths="Reflective supervision that sets direction."),
        swf(date(2026, 8, 19), "requires_improvement", strengths="Regular visits."),
        swf(date(2026, 9, 8), "good", strengths="Good multi-agency working."),
        ptc(date(2026, 9, 10), "inadequate", strengths="PTC strength, not for SWF eyes."),
        ptc(date(2026, 9, 22), "good", strengths="Another PTC strength: a full chronology."),
    ]


@pytest.fixture
def queue():
    """What the pages queue is recorded here instead of sent to Redis: the test runs the worker's part."""
    with patch("quality.reports.tasks.generate_report.delay") as delay:
        yield delay


@pytest.fixture
def documents():
    """The PDFs and workbooks the pages ask for are recorded here; the test runs the worker's part."""
    with patch("quality.reports.output_tasks.build_report_document.delay") as delay:
        yield delay


def download(page: Page, documents, button: str, format_name: str):
    """On the report's page: ask for the file, see it being made there, make it as the worker would,
    and get the download the page starts by itself."""
    documents.reset_mock()
    address = page.url
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(f"The {format_name} is being made")).to_be_visible()
    assert_accessible(page)
    documents.assert_called_once()
    with page.expect_download(timeout=10_000) as downloading:
        build_report_document(documents.call_args.args[0])
    assert page.url == address
    return downloading.value


def headline(page: Page):
    return page.get_by_role("table", name=re.compile("^Headline figures"))


def test_a_qa_lead_generates_edits_and_publishes_a_quarterly_report_and_a_service_lead_reads_it(
    page: Page, live_server, people, quarter, queue, documents
):
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Generate a report").click()
    expect(page.get_by_role("heading", name="Generate a report")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Kind of report").select_option(label="Quarterly audit analysis")
    page.get_by_label("Period").fill("2026-Q3")
    page.get_by_role("button", name="Generate").click()

    title = "Quarterly audit analysis, Q3 2026 (July to September)"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("heading", name="Being generated")).to_be_visible()
    expect(page.get_by_label(re.compile("^Progress"))).to_have_attribute("value", "0")
    assert_accessible(page)

    # The worker's part: the page, polling, shows the figures once it is done.
    report = Report.objects.get()
    queue.assert_called_once_with(report.pk)
    assert generate_report(report.pk) == Report.State.DRAFT
    expect(page.get_by_role("heading", name="Headline figures")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-state]")).to_have_text("Draft")
    expect(page.locator("[data-taken-at]")).to_contain_text("Data taken at")
    expect(headline(page).locator("[data-figure='completed'] [data-value]")).to_have_text("6")
    expect(page.get_by_role("table", name=re.compile("before and after moderation"))).to_be_visible()
    complaints = page.get_by_role("table", name="Complaints and compliments", exact=True)
    expect(complaints.get_by_role("row", name=re.compile("^SWF"))).to_contain_text("1")
    expect(complaints.get_by_role("row", name=re.compile("^PTC"))).to_be_visible()
    expect(page.get_by_role("heading", name="Observations of practice")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Edit the draft").click()
    expect(page.get_by_role("heading", name=f"Edit the draft: {title}")).to_be_visible()
    assert_accessible(page)
    swf = page.locator("[data-highlight-area='SWF']")
    picked = swf.get_by_role("group").filter(has_text="Up-to-date chronology").first
    picked.get_by_label("Include in the report").check()
    picked.get_by_label("Wording in the report").fill("Chronologies are up to date and the child's voice is clear.")
    page.get_by_role("textbox", name="Analysis").fill("Practice is closer to good: planning remains the weakest area.")
    page.get_by_label("Improvement point 1").fill("Every plan SMART, with contingency planning.")
    page.get_by_role("button", name="Save and view the report").click()

    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator("[data-narrative='analysis']")).to_have_text(
        "Practice is closer to good: planning remains the weakest area."
    )
    expect(page.locator("[data-highlights='SWF']")).to_contain_text(
        "Chronologies are up to date and the child's voice is clear."
    )
    expect(page.locator("[data-points]")).to_have_text("Every plan SMART, with contingency planning.")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("[data-state]")).to_have_text("Published")
    expect(page.get_by_text(re.compile("is published. Its figures are frozen"))).to_be_visible()
    assert_accessible(page)
    frozen_headline = headline(page).inner_text()
    frozen_grades = page.get_by_role("table", name=re.compile("before and after moderation")).inner_text()

    # A theme count opens the audit list filtered by the theme and the quarter: the audits behind it.
    themes = page.get_by_role("table", name=re.compile("^Practice themes mentioned"))
    themes.get_by_role("link", name="2 audits mentioning Chronology: list them").click()
    expect(page.get_by_role("heading", name="My area's audits")).to_be_visible()
    expect(page.get_by_text("2 audits match.")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(2)
    expect(page.get_by_label("Practice theme")).to_have_value(str(PracticeTheme.objects.get().pk))
    expect(page.get_by_label("Completed from")).to_have_value("01/07/2026")
    expect(page.get_by_label("Completed to")).to_have_value("30/09/2026")
    assert_accessible(page)
    page.go_back()
    expect(page.locator("[data-state]")).to_have_text("Published")

    # The snapshot rule: an audit of the quarter regraded and another one added after publishing.
    Audit.objects.filter(pk=quarter[0].pk).update(overall_grade="inadequate", moderated_grade="inadequate")
    AuditMaker(quarter[0].tool_version, people["manager"], quarter[0].service_area)(date(2026, 9, 29), "good")
    page.reload()
    assert headline(page).inner_text() == frozen_headline
    assert page.get_by_role("table", name=re.compile("before and after moderation")).inner_text() == frozen_grades
    expect(headline(page).locator("[data-figure='completed'] [data-value]")).to_have_text("6")

    # The PDF and the workbook of the published report, each made by the worker's task (run here).
    pdf = download(page, documents, "Download PDF", "PDF")
    assert pdf.suggested_filename == "quarterly-audit-analysis-2026-Q3.pdf"
    text = squash(pdf_text(Path(pdf.path()).read_bytes()))
    assert "Audits completed 6" in text
    assert "Pathways Through Care (PTC) 0 1 0 1 0 2" in text
    assert "Social Work with Families (SWF) 1 2 1 0 0 4" in text
    assert "Chronologies are up to date and the child's voice is clear." in text
    workbook = download(page, documents, "Download Excel workbook", "Excel workbook")
    assert workbook.suggested_filename == "quarterly-audit-analysis-2026-Q3.xlsx"
    book = load_workbook(io.BytesIO(Path(workbook.path()).read_bytes()))
    assert [row[:2] for row in book["By service area"].iter_rows(min_row=2, values_only=True)] == [
        ("PTC", "Pathways Through Care"),
        ("SWF", "Social Work with Families"),
    ]
    assert book["Narrative"]["B3"].value == "Practice is closer to good: planning remains the weakest area."

    page.get_by_role("link", name="Correct this report").click()
    expect(page.get_by_role("heading", name=f"Correct: {title}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()

    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="My report e-mails").click()
    page.get_by_label("Quarterly audit analysis").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your report e-mails are saved.")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    sign_in(page, live_server.url, people["service_lead"].user.email)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Audit analysis reports").click()
    expect(page.get_by_role("heading", name="Audit analysis reports")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Q3 2026 (July to September)").click()

    expect(page.get_by_role("heading", name=title)).to_be_visible()
    areas = page.get_by_role("table", name=re.compile("^Audits completed by service area"))
    expect(areas.get_by_role("row", name=re.compile("^SWF"))).to_be_visible()
    expect(areas.get_by_role("row", name=re.compile("^PTC"))).to_have_count(0)
    expect(page.locator("[data-highlights='SWF']")).to_contain_text("Chronologies are up to date")
    expect(page.get_by_text("PTC strength, not for SWF eyes.")).to_have_count(0)
    complaints = page.get_by_role("table", name="Complaints and compliments", exact=True)
    expect(complaints.get_by_role("row", name=re.compile("^SWF"))).to_be_visible()
    expect(complaints.get_by_role("row", name=re.compile("^PTC"))).to_have_count(0)
    # The totals stay the whole quarter's: a complaint in SWF, a compliment in PTC.
    expect(complaints.get_by_role("row", name=re.compile("^All service areas")).get_by_role("cell")).to_have_text(
        ["1", "1"]
    )
    expect(headline(page).locator("[data-figure='completed'] [data-value]")).to_have_text("6")
    expect(page.get_by_role("link", name="Edit the draft")).to_have_count(0)
    assert_accessible(page)

    # The service lead's theme list holds the audits of their own area only: the quarter's SWF audit
    # that mentions the theme, and the SWF audit added after publishing (the list shows the data now).
    themes = page.get_by_role("table", name=re.compile("^Practice themes mentioned"))
    themes.get_by_role("link", name="2 audits mentioning Chronology: list them").click()
    expect(page.get_by_text("2 audits match.")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Pathways Through Care")).to_have_count(0)
    assert_accessible(page)
