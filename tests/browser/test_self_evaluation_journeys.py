"""Journey through the self-evaluation (issue 19), with a real worker on Redis making its files: the QA lead
starts the year's draft, opens a service area's triangulation page, reads a flagged disagreement (good
audit grades beside a red KPI) and follows its link to write a statement about the area; on the
statement's page they cite two of the area's figures and a practice theme (a citation missing its figure
is refused beside the field first), then send the draft for review. A head of service comments on the
statement; the senior leader signs it off, which publishes it; the PDF and the Word file the worker makes
are downloaded from the page and hold the statement and its evidence appendix (read with pdftotext and
python-docx). axe-core checks every page visited. Dates are read from the clock, as the browser's are.
"""

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document
from playwright.sync_api import Page, expect

from evidence.complaints.models import Entry, Kind, Outcome, Theme
from performance.calculations import financial_year
from performance.models import IndicatorYear
from quality.evaluation.models import Citation
from quality.months import month_start
from quality.reports.models import PracticeTheme
from tests.factories import AuditFactory, IndicatorFactory, indicator_value
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)

from .conftest import assert_accessible, expect_refused, main_nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_MS = 60_000  # the worker makes each file in seconds; a slow machine gets a minute
STATEMENT = (
    "Four in five audits were graded good or outstanding after moderation, yet assessments were late "
    "this month: we are checking that chronologies are kept up to date when the work is rushed."
)
COMMENT = "Agreed; add what the service is doing about the late assessments."


@pytest.fixture
def the_month(tool_version, own_area):
    """This month's evidence for the area: 80% of its audits good or outstanding (two of them mention
    chronologies), a red KPI and an upheld complaint; and the practice theme 'Chronology'."""
    now = timezone.now()
    month = month_start(timezone.localdate())
    for index, grade in enumerate(("good", "good", "good", "outstanding", "requires_improvement")):
        strengths = "The chronology is up to date." if index < 2 else "Visits are regular."
        AuditFactory(
            tool_version=tool_version, service_area=own_area, overall_grade=grade, submitted_at=now, strengths=strengths
        )
    indicator = IndicatorFactory(title="Timeliness of assessments")
    IndicatorYear.objects.create(indicator=indicator, year=financial_year(month), target=90)
    indicator_value(indicator, month, 50, service_area=own_area)
    Entry.objects.create(
        received_on=timezone.localdate(),
        service_area=own_area,
        kind=Kind.COMPLAINT,
        theme=Theme.TIMELINESS,
        outcome=Outcome.UPHELD,
    )
    PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"])
    return month


def said(page: Page, message: str) -> None:
    """The page's message after a change (the messages' status region)."""
    expect(page.get_by_role("status").filter(has_text=message)).to_be_visible()


def open_self_evaluations(page: Page) -> None:
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Self-evaluation", exact=True).click()
    expect(page.get_by_role("heading", name="Self-evaluations", level=1)).to_be_visible()
    assert_accessible(page)


def open_the_year(page: Page, year: int) -> None:
    open_self_evaluations(page)
    page.get_by_role("link", name=f"Self-evaluation {year}").click()
    expect(page.get_by_role("heading", name=f"Self-evaluation of social work practice, {year}")).to_be_visible()
    assert_accessible(page)


def cite(page: Page, kind: str, **fields) -> None:
    """Fill the statement page's 'Cite evidence' form: the kind, then the fields it needs."""
    form = page.get_by_role("region", name="Cite evidence")
    form.get_by_role("radio", name=kind, exact=True).check()
    if "area" in fields:
        form.get_by_role("combobox", name="Service area").select_option(label=fields["area"])
    if "figure" in fields:
        form.get_by_role("combobox", name="Figure", exact=True).select_option(label=fields["figure"])
    if "theme" in fields:
        form.get_by_role("combobox", name="Practice theme", exact=True).select_option(label=fields["theme"])
    if "period" in fields:
        form.get_by_role("combobox", name="Kind of period").select_option(label="Monthly audit analysis")
        form.get_by_role("textbox", name="Period", exact=True).fill(fields["period"])
    form.get_by_role("button", name="Cite this evidence").click()


def test_a_statement_citing_evidence_is_written_reviewed_signed_off_and_downloaded(
    page: Page,
    live_server,
    celery_worker,  # noqa: F811
    qa_lead,
    head_of_service,
    senior_leader,
    own_area,
    the_month,
):
    year = timezone.localdate().year
    month = the_month
    period, period_words = f"{month:%Y-%m}", f"{month:%B %Y}"
    flag = f"80% of audits were graded good or outstanding, yet 'Timeliness of assessments' was red in {period_words}."
    good_label = f"Audits graded good or outstanding after moderation, {own_area.name}"
    upheld_label = f"Complaints upheld or partly upheld, {own_area.name}"
    theme_label = "Practice theme 'Chronology' in the audits, observations and survey responses"

    # The QA lead starts this year's draft.
    sign_in(page, live_server.url, qa_lead.user.email)
    open_self_evaluations(page)
    expect(page.get_by_text("No self-evaluation has been started yet.")).to_be_visible()
    page.get_by_role("spinbutton", name="Year").fill(str(year))
    page.get_by_role("button", name="Start the draft").click()
    said(page, f"Started the self-evaluation for {year}.")
    expect(page.get_by_role("heading", name=f"Self-evaluation of social work practice, {year}")).to_be_visible()
    assert_accessible(page)

    # ... reads the area's flag on its triangulation page, and writes about the area from there.
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Triangulation", exact=True).click()
    expect(page.get_by_role("heading", name="Triangulation", level=1)).to_be_visible()
    assert_accessible(page)
    by_area = page.get_by_role("region", name="A service area")
    by_area.get_by_label("Service area").select_option(label=f"{own_area.name} ({own_area.code})")
    by_area.get_by_role("textbox", name="Period").fill(period)
    by_area.get_by_role("button", name="Show the service area").click()
    expect(page.get_by_role("heading", name=f"{own_area.code}: {own_area.name}, {period_words}")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=flag)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=f"Write about {own_area.name} in the self-evaluation for {year}").click()
    expect(page.get_by_role("heading", name="Write a statement", level=1)).to_be_visible()
    expect(page.get_by_role("combobox", name="Chapter")).to_have_value("1")
    expect(page.get_by_role("combobox", name="Section")).to_have_value(f"area-{own_area.pk}")
    assert_accessible(page)
    page.get_by_role("textbox", name="Statement").fill(STATEMENT)
    page.get_by_role("button", name="Save the statement").click()
    said(page, "Saved the statement.")
    expect(page.get_by_role("heading", name=f"Statement in chapter 1: {own_area.name}", level=1)).to_be_visible()
    expect(page.get_by_text("No evidence cited yet.")).to_be_visible()
    assert_accessible(page)

    # A figure without its figure chosen is refused beside the field.
    cite(page, "Figure", area=f"{own_area.name} ({own_area.code})", period=period)
    expect_refused(page, "Figure: needed for this kind of evidence.")
    assert_accessible(page)

    evidence = page.get_by_role("region", name="Evidence cited")
    cite(page, "Figure", area=f"{own_area.name} ({own_area.code})", figure=good_label.split(",")[0], period=period)
    said(page, f"Cited: {good_label}.")
    expect(evidence.locator("[data-cited]").filter(has_text=good_label)).to_contain_text(
        f"80% (4 of 5) ({period_words})"
    )
    assert_accessible(page)
    cite(page, "Figure", area=f"{own_area.name} ({own_area.code})", figure=upheld_label.split(",")[0], period=period)
    said(page, f"Cited: {upheld_label}.")
    expect(evidence.locator("[data-cited]").filter(has_text=upheld_label)).to_contain_text(f"1 ({period_words})")
    assert_accessible(page)
    cite(page, "Practice theme", theme="Chronology", period=period)
    said(page, f"Cited: {theme_label}.")
    expect(evidence.locator("[data-cited]").filter(has_text=theme_label)).to_contain_text("40% (2 of 5) audits")
    expect(evidence.locator("[data-cited]")).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=str(year), exact=True).click()
    expect(page.locator("[data-statement]")).to_contain_text(STATEMENT)
    expect(page.locator("[data-statement] [data-citation]")).to_have_count(3)
    page.get_by_role("button", name="Send to the heads of service for review").click()
    said(page, "Sent the draft to the heads of service for review.")
    expect(page.locator("[data-section=state]")).to_contain_text("With heads of service for review.")
    assert_accessible(page)
    sign_out(page)

    # A head of service comments on the statement.
    sign_in(page, live_server.url, head_of_service.user.email)
    open_the_year(page, year)
    page.get_by_role("combobox", name="About").select_option(label=f"Chapter 1, {own_area.name}: {STATEMENT[:60]}…")
    page.get_by_role("textbox", name="Your comment").fill(COMMENT)
    page.get_by_role("button", name="Add the comment").click()
    said(page, "Your comment is kept with the draft.")
    review = page.get_by_role("region", name="Review comments")
    expect(review.locator("[data-comment]")).to_contain_text(head_of_service.full_name)
    expect(review.locator("[data-comment]")).to_contain_text(COMMENT)
    expect(page.locator("[data-statement] [data-comment]")).to_contain_text(COMMENT)
    assert_accessible(page)
    sign_out(page)

    # The senior leader signs it off, which publishes it; the worker makes its PDF and Word file.
    sign_in(page, live_server.url, senior_leader.user.email)
    open_the_year(page, year)
    page.get_by_role("button", name="Sign off and publish").click()
    said(page, "Signed off and published.")
    expect(page.locator("[data-section=state]")).to_contain_text("Published.")
    expect(page.locator("[data-section=state]")).to_contain_text(f"Signed off by {senior_leader.full_name}")
    expect(page.get_by_role("region", name="Evidence appendix")).to_contain_text(good_label)
    assert_accessible(page)
    files = page.get_by_role("region", name="The PDF and the Word file")
    expect(files.get_by_text("The PDF is ready")).to_be_visible(timeout=WORKER_TIMEOUT_MS)
    expect(files.get_by_text("The Word document is ready")).to_be_visible(timeout=WORKER_TIMEOUT_MS)
    assert_accessible(page)

    # A block that turns ready while the page polls starts its download by itself (static/js/downloads.js);
    # each file is taken here from its link, whichever download came first.
    with page.expect_download(predicate=lambda d: d.suggested_filename.endswith(".pdf")) as downloading:
        files.get_by_role("link", name="Download the PDF").click()
    pdf = downloading.value
    with page.expect_download(predicate=lambda d: d.suggested_filename.endswith(".docx")) as downloading:
        files.get_by_role("link", name="Download the Word document").click()
    docx = downloading.value
    assert (pdf.suggested_filename, docx.suggested_filename) == (
        f"self-evaluation-{year}.pdf",
        f"self-evaluation-{year}.docx",
    )

    # The appendix of each file: every citation's reference, name, value and period, as they were frozen.
    cited = [
        (f"E{ref}", f"{citation.get_kind_display()}: {citation.label}", citation.value, citation.period)
        for ref, citation in enumerate(Citation.objects.order_by("pk"), start=1)
    ]
    assert [(name, value.split(";")[0], period) for _, name, value, period in cited] == [
        (f"Figure: {good_label}", "80% (4 of 5)", period_words),
        (f"Figure: {upheld_label}", "1", period_words),
        (f"Practice theme: {theme_label}", "40% (2 of 5) audits", period_words),
    ]
    text = squash(
        subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", pdf.path(), "-"], capture_output=True, check=True, text=True
        ).stdout
    )
    assert f"1.1.1 {STATEMENT}" in text
    assert "Evidence: E1, E2, E3" in text
    appendix = text.split("Evidence appendix")[-1]  # after the contents' entry too
    for row in cited:
        assert " ".join(row) in appendix, (row, appendix)

    document = Document(io.BytesIO(Path(docx.path()).read_bytes()))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert f"1.1.1 {STATEMENT}" in paragraphs
    assert "Evidence: E1, E2, E3" in paragraphs
    assert "Evidence appendix" in paragraphs
    rows = [[cell.text for cell in row.cells] for row in document.tables[-1].rows]
    assert rows[0][:4] == ["Ref", "Evidence", "Value", "Period"]
    assert [tuple(row[:4]) for row in rows[1:]] == cited


def squash(text: str) -> str:
    """Runs of white space made one, and a word broken after its hyphen at the end of a line made whole."""
    return re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text))
