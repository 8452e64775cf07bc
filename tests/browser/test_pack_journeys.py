"""Journey to the month's PDF pack, made by a real worker on Redis: the performance officer presses
"Make the PDF pack" on the scorecard, the pack's page shows it being made, and the download starts
on that page once it is ready, with no further button to press. Every page is checked with axe.
"""

import subprocess
import threading
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from performance import pack
from performance.models import PerformancePack
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)
from tests.performance.test_scorecard import make_indicator, put, set_year

from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_MS = 60_000  # the worker makes the pack in seconds; a slow machine gets a minute
TITLE = "Children seen within timescales"


@pytest.fixture
def figures(head_of_service):
    indicator = make_indicator("V2", title=TITLE, unit="count", area="Purposeful direct contact", lead=head_of_service)
    set_year(indicator, 2026, 500)
    put(indicator, "2026-10", 1343)
    return indicator


@pytest.fixture
def pack_held(monkeypatch):
    """The worker's build waits until the test has seen the pack being made: a fast worker would
    otherwise finish before the page draws its progress."""
    release = threading.Event()
    generate = pack.pack_generate

    def held(**kwargs):
        assert release.wait(timeout=60), "the test never let the pack go"
        return generate(**kwargs)

    monkeypatch.setattr(pack, "pack_generate", held)
    yield release
    release.set()


def test_the_performance_officer_makes_the_pack_sees_it_being_made_and_it_downloads(
    page: Page,
    live_server,
    celery_worker,  # noqa: F811
    pack_held,
    performance_officer,
    figures,
):
    sign_in(page, live_server.url, performance_officer.user.email)
    page.goto(f"{live_server.url}/performance/scorecard/?month=2026-10")
    assert_accessible(page)

    with page.expect_download(timeout=WORKER_TIMEOUT_MS) as downloading:
        page.get_by_role("button", name="Make the PDF pack").click()
        expect(page.get_by_role("heading", name="Performance pack for October 2026")).to_be_visible()
        expect(page.get_by_text("The PDF pack is being made")).to_be_visible()
        expect(page.get_by_role("progressbar", name="Making the PDF pack")).to_be_visible()
        assert_accessible(page)
        pack_held.set()
    address = page.url

    download = downloading.value
    expect(page.get_by_text("The PDF pack is ready")).to_be_visible()
    expect(page.get_by_role("link", name="Download the PDF pack")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)  # the polling stopped
    assert page.url == address
    assert_accessible(page)
    assert download.suggested_filename == "performance-pack-2026-10.pdf"
    assert PerformancePack.objects.get().period == date(2026, 10, 1)
    text = subprocess.run(["pdftotext", download.path(), "-"], capture_output=True, check=True, text=True).stdout
    assert TITLE in " ".join(text.split())
