"""Journeys through the scorecard: an indicator lead writes the month's commentary; the performance officer
reads the scorecard with its figures and a mismatch flag, opens an indicator and its breakdown, sees what
commentary is missing, locks the month, makes the PDF pack (built by a real worker on Redis) and downloads
it, and the downloaded PDF's text holds the indicator titles and figures.

Figures are made with the models (as a load leaves them); people then click through the pages as they
would. Every page visited is checked with axe-core.
"""

import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from performance.models import Commentary, MonthLock
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)
from tests.performance.test_scorecard import make_indicator, put, set_year

from .conftest import assert_accessible, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OCT = date(2026, 10, 1)
TITLE = "Assessments completed within 45 working days"
OTHER_TITLE = "Children seen within timescales"
MISMATCH = "Supplied 83% differs from 264/333 = 79.3% by 3.7 points"
COMMENTARY = "Timeliness improved after the new triage rota in SWF."
NEXT_STEPS = "Review every late assessment at the November clinic."


@pytest.fixture
def people(service_lead, performance_officer, head_of_service):
    return {"lead": service_lead, "officer": performance_officer, "head": head_of_service}


@pytest.fixture
def figures(people, own_area, own_team):
    m1 = make_indicator(
        "M1", title=TITLE, area="Effective assessment and intervention", lead=people["lead"], lead_officer="Sam Lead"
    )
    set_year(m1, 2026, 80, england=77, comparator_notes={"south_east": "N/A"})
    put(m1, "2026-09", numerator=250, denominator=330)
    put(m1, "2026-10", numerator=264, denominator=333, supplied_value=Decimal(83), data_quality=MISMATCH)
    put(m1, "2026-10", numerator=60, denominator=80, breakdown=f"area:{own_area.pk}", service_area=own_area)
    put(m1, "2026-10", numerator=20, denominator=30, breakdown=f"team:{own_team.pk}", team=own_team)
    v2 = make_indicator("V2", title=OTHER_TITLE, unit="count", area="Purposeful direct contact", lead=people["head"])
    set_year(v2, 2026, 500)
    put(v2, "2026-10", 1343)
    return m1, v2


def test_a_lead_writes_commentary_and_the_performance_officer_locks_the_month_and_downloads_the_pack(
    page: Page,
    live_server,
    people,
    figures,
    celery_worker,  # noqa: F811
):
    # The indicator lead writes the month's commentary on the indicator they lead.
    sign_in(page, live_server.url, people["lead"].user.email)
    page.goto(f"{live_server.url}/performance/commentary/?month=2026-10")
    expect(page.get_by_role("heading", name="Commentary: October 2026")).to_be_visible()
    commentary_table = page.get_by_role("table", name=re.compile("Commentary and next steps"))
    expect(commentary_table.get_by_role("row")).to_have_count(2)  # the header and M1 only
    assert_accessible(page)

    page.get_by_role("link", name="Write the commentary on M1").click()
    expect(page.get_by_role("heading", name=re.compile("Commentary on M1"))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("79% (264/333)")
    assert_accessible(page)
    page.get_by_label("Commentary").fill(COMMENTARY)
    page.get_by_label("Actions / next steps").fill(NEXT_STEPS)
    page.get_by_role("button", name="Save the commentary").click()
    expect(page.get_by_text("Commentary on M1 for October 2026 saved.")).to_be_visible()
    expect(commentary_table.get_by_role("row", name=re.compile("M1"))).to_contain_text("Written")
    assert_accessible(page)
    sign_out(page)

    # The performance officer reads the scorecard: figures, RAG in words, the mismatch flag, the commentary.
    sign_in(page, live_server.url, people["officer"].user.email)
    page.goto(f"{live_server.url}/performance/scorecard/")
    page.get_by_label("Month").fill("2026-10")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Performance scorecard: October 2026")).to_be_visible()
    m1_row = page.locator("tr[data-indicator='M1']")
    expect(m1_row.locator("td[data-month='2026-10']")).to_contain_text("79% (264/333)")
    expect(m1_row.locator("td[data-month='2026-10']")).to_contain_text("Data-quality flag")
    expect(m1_row.locator("[data-rag='amber']")).to_have_text("Amber")
    expect(m1_row).to_contain_text("Up, better")
    expect(page.get_by_role("main")).to_contain_text(MISMATCH)
    expect(page.get_by_role("main")).to_contain_text(COMMENTARY)
    expect(page.locator("tr[data-indicator='V2']")).to_contain_text("1,343")
    expect(page.get_by_role("img", name=re.compile("^Trend from Nov 2025 to Oct 2026"))).to_have_count(2)
    expect(page.get_by_role("heading", name="Rigorous quality assurance")).to_be_visible()
    assert_accessible(page)

    # The indicator's own page, and its breakdown by service area and team.
    page.get_by_role("link", name="Service area and team breakdown of M1").click()
    breakdown = page.get_by_role("table", name=re.compile("by service area and team"))
    expect(breakdown).to_contain_text("75% (60/80)")
    expect(breakdown).to_contain_text("67% (20/30)")
    assert_accessible(page)
    page.get_by_role("link", name="M1: every month").click()
    expect(page.get_by_role("heading", name=f"M1 {TITLE}")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("every month loaded"))).to_be_visible()
    expect(page.locator("table[data-history] tr[data-month='2026-10']")).to_contain_text("Data-quality flag")
    assert_accessible(page)

    # What is still missing, and the lock.
    page.goto(f"{live_server.url}/performance/commentary/?month=2026-10")
    expect(page.locator("[data-missing]")).to_contain_text(f"V2 {OTHER_TITLE}")
    expect(page.locator("[data-missing]")).not_to_contain_text("M1")
    assert_accessible(page)
    page.get_by_role("button", name="Lock October 2026").click()
    expect(page.get_by_text("October 2026 is locked. Its figures and commentary no longer change.")).to_be_visible()
    expect(page.get_by_role("button", name="Lock October 2026")).to_have_count(0)
    assert MonthLock.objects.filter(period=OCT).exists()
    assert_accessible(page)

    # The pack: asked for, made by the worker while the page polls, then downloaded.
    page.get_by_role("link", name="The scorecard for this month").click()
    expect(page.locator("[data-lock]")).to_contain_text("Final: October 2026 was locked")
    page.get_by_role("button", name="Make the PDF pack").click()
    expect(page.get_by_role("heading", name="Performance pack for October 2026")).to_be_visible()
    assert_accessible(page)
    download_link = page.get_by_role("link", name="Download the PDF pack")
    expect(download_link).to_be_visible(timeout=60_000)
    assert_accessible(page)
    with page.expect_download() as downloading:
        download_link.click()
    download = downloading.value
    assert download.suggested_filename == "performance-pack-2026-10.pdf"
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", download.path(), "-"], capture_output=True, check=True, text=True
        ).stdout.split()
    )
    for shown in (TITLE, OTHER_TITLE, "79% (264/333)", "1,343", COMMENTARY, NEXT_STEPS, "Final: the month was locked"):
        assert shown in text, f"{shown!r} is missing from the downloaded pack"
    assert Commentary.objects.get().written_by == people["lead"]
