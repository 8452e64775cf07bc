"""Journeys through the scorecard: an indicator lead writes the month's commentary; the performance officer
reads the scorecard with its figures and a mismatch flag, opens an indicator and its breakdown, sees what
commentary is missing, locks the month, makes the PDF pack (built by a real worker on Redis) and downloads
it, and the downloaded PDF's text holds the indicator titles and figures. A senior leader reads the
scorecard at a glance on a 1,280-pixel screen: the RAG summary first, every column in view, the
details of an indicator opened from the keyboard, and on a narrow screen the table scrolls in its own
region with the indicator's name kept in view.

Figures are made with the models (as a load leaves them); people then click through the pages as they
would. Every page visited is checked with axe-core.
"""

import os
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from performance.models import Commentary, MonthLock
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)
from tests.performance.test_scorecard import make_indicator, put, set_year

from .conftest import assert_accessible, sign_in, sign_in_as, sign_out

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


LONG_TITLES = [
    "Children and families assessments completed within 45 working days of referral",
    "Children subject to a child protection plan seen alone within the last ten working days",
    "Care leavers aged 19 to 21 in education, employment or training",
    "Children looked after with three or more placements in the last twelve months",
]


@pytest.fixture
def a_years_figures():
    """Four indicators with long titles over two priority areas, 13 months of figures each: in the first
    area one just below its 96% target (amber, shown as 95.96%) and one red; in the second one green
    and a count without a target."""
    areas = ["Effective assessment and intervention", "Robust corporate parenting"]
    made = []
    for index, title in enumerate(LONG_TITLES):
        unit = "count" if index == 3 else "percentage"
        indicator = make_indicator(f"L{index + 1}", title=title, unit=unit, area=areas[index // 2])
        if unit == "percentage":
            set_year(indicator, 2025, 90)
            set_year(indicator, 2026, [96, 90, 50][index], england=88)
        for offset in range(13):
            period = f"{2025 + (9 + offset) // 12}-{(9 + offset) % 12 + 1:02d}"  # 2025-10 to 2026-10
            if unit == "count":
                put(indicator, period, 1200 + offset * 13)
            else:
                denominator = 2500
                numerator = [2399, 1990, 1400][index] - (12 - offset) * 3
                put(indicator, period, numerator=numerator, denominator=denominator)
        made.append(indicator)
    return made


def _page_scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_a_senior_leader_reads_the_scorecard_at_a_glance_on_a_1280_pixel_screen(
    page: Page, live_server, senior_leader, a_years_figures
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_as(page, live_server.url, senior_leader)
    page.goto(f"{live_server.url}/performance/scorecard/?month=2026-10")
    expect(page.get_by_role("heading", name="Performance scorecard: October 2026")).to_be_visible()

    # The page does not scroll sideways, and each area's table fits without scrolling its region.
    assert not _page_scrolls_sideways(page)
    region = page.get_by_role("region", name="Effective assessment and intervention: indicators")
    assert region.evaluate("element => element.scrollWidth <= element.clientWidth")

    # The RAG summary is at the top: on the first screen, before the first area's table.
    summary = page.get_by_role("table", name=re.compile("^Indicators by RAG rating in each priority area"))
    expect(summary).to_be_in_viewport()
    assert summary.bounding_box()["y"] < region.bounding_box()["y"]
    assessment = summary.get_by_role("row", name=re.compile("^Effective assessment and intervention"))
    expect(assessment.locator("[data-count='red']")).to_have_text("1")
    expect(assessment.locator("[data-count='amber']")).to_have_text("1")
    expect(assessment.locator("[data-count='green']")).to_have_text("0")
    expect(summary.get_by_role("row", name=re.compile("^All areas"))).to_contain_text("4")

    # RAG as words on tags, a figure that would round onto its target with its decimals, changes in
    # points, and the sparklines: all on screen without scrolling sideways.
    l1 = page.locator("tr[data-indicator='L1']")
    expect(l1.locator("td[data-month='2026-10']")).to_contain_text("95.96% (2,399/2,500)")
    expect(l1.locator("[data-rag='amber']")).to_have_text("Amber")
    expect(l1.locator("td[data-change='month']")).to_have_text("+0.1 pp")
    expect(page.locator("[data-change-rule]")).to_contain_text("percentage points")
    for shown in (l1.locator("[data-rag]"), l1.locator("td[data-change='year']"), l1.get_by_role("img")):
        box = shown.bounding_box()
        assert box["x"] + box["width"] <= 1280, "a column runs off the screen"
    expect(page.get_by_role("img", name=re.compile("^Trend from Nov 2025 to Oct 2026"))).to_have_count(4)

    # The details of an indicator open from the keyboard.
    more = page.locator("summary", has_text="More figures for L1")
    details = page.locator("details", has=more)
    expect(details.locator("[data-earlier-months]")).to_be_hidden()
    more.focus()
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    expect(details.locator("[data-earlier-months]")).to_contain_text("May 2026: 95")
    expect(details.locator("[data-twelve-months]")).to_be_visible()
    assert_accessible(page)
    # Saved for people to look at, with the home pages (tests/browser/test_layout_journeys.py).
    folder = Path(os.environ.get("SCREENSHOT_DIR") or settings.BASE_DIR / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "scorecard-1280.png", full_page=True)

    # On a narrow screen the table scrolls inside its own region, the indicator's name kept in view.
    page.set_viewport_size({"width": 720, "height": 800})
    assert not _page_scrolls_sideways(page)
    assert region.evaluate("element => element.scrollWidth > element.clientWidth")
    region.focus()
    region.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
    name_cell = l1.get_by_role("rowheader")
    expect(name_cell).to_be_in_viewport()
    assert abs(name_cell.bounding_box()["x"] - region.bounding_box()["x"]) < 2
    assert region.evaluate("element => element.scrollLeft") > 0
    assert_accessible(page)

    # Nor does it scroll sideways on a small laptop, at 200% zoom (640 CSS pixels) or on a phone.
    for width in (1024, 640, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert not _page_scrolls_sideways(page), f"the scorecard scrolls sideways at {width} px"
