"""Journey to the PDF of one audit for the child's record, made by a real worker on Redis: the QA lead
presses "Make a PDF for the child's record" on the audit's page, sees it being made on that page, and
the download starts there once it is ready, with no second page. Every page is checked with axe.
"""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services as audit_services
from audits.models import AuditDocument
from tests.factories import audit_answered, audit_started, published_tool_version
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)

from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_MS = 60_000  # the worker makes the PDF in seconds; a slow machine gets a minute


@pytest.fixture
def audit(practice_manager, own_area):
    """Submitted, with its dates built from today (Chromium keeps the machine's clock)."""
    today = timezone.localdate()
    version = published_tool_version(area=own_area)
    started = audit_started(version, practice_manager, case_reference="C-60001", period_end=today - timedelta(days=20))
    answered = audit_answered(started, discussion_on=today - timedelta(days=2))
    return audit_services.audit_submit(actor=practice_manager.user, audit=answered)


def test_the_qa_lead_makes_an_audits_pdf_and_it_downloads_on_the_audits_page(
    page: Page,
    live_server,
    celery_worker,  # noqa: F811
    qa_lead,
    audit,
):
    sign_in(page, live_server.url, qa_lead.user.email)
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Audit of case C-60001")).to_be_visible()
    assert_accessible(page)
    address = page.url

    with page.expect_download(timeout=WORKER_TIMEOUT_MS) as downloading:
        page.get_by_role("button", name="Make a PDF for the child's record").click()
        expect(page.get_by_text("The PDF is being made")).to_be_visible()
        expect(page.get_by_role("progressbar", name="Making the PDF")).to_be_visible()
        assert_accessible(page)

    download = downloading.value
    expect(page.get_by_text("The PDF is ready")).to_be_visible()
    assert page.url == address, "the PDF came on the audit's own page"
    assert_accessible(page)
    document = AuditDocument.objects.get()
    assert download.suggested_filename == document.download_name
    text = subprocess.run(["pdftotext", download.path(), "-"], capture_output=True, check=True, text=True).stdout
    assert "C-60001" in text
