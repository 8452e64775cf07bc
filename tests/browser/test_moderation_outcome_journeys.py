"""Journeys through moderation outcomes: a QA lead reads a quarter's matrix and kappa, narrows it to a
service area, downloads the CSV and opens an auditor's calibration; a moderator reads the page; a
practice manager is refused. Every page is checked with axe-core.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quality.org.models import Role

from ..moderation.outcome_world import published_version, table
from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The 2022 panel's table (3/105/49/12 -> 2/87/71/9) in SWF, and a small one in PTC.
SEED_2022 = [[2, 1, 0, 0], [0, 80, 25, 0], [0, 6, 40, 3], [0, 0, 6, 6]]
PTC_ROWS = [[0, 0, 0, 0], [0, 2, 2, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


@pytest.fixture
def people(make_person, qa_lead, moderator, other_manager, own_area, other_area):
    """The shared cast (tests/conftest.py), but for an auditor named "Mona Manager": the calibration
    is opened by that name."""
    people = {
        "qa_lead": qa_lead,
        "moderator": moderator,
        "manager": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager"),
        "other_manager": other_manager,
    }
    version = published_version()
    table(version, own_area, people["manager"], SEED_2022, date(2026, 8, 14), "C")
    table(version, other_area, people["other_manager"], PTC_ROWS, date(2026, 9, 17), "P")
    return people


def figure(page: Page, name: str):
    return page.locator(f"[data-figure='{name}']")


def test_a_qa_lead_reads_a_quarter_narrows_it_to_an_area_downloads_it_and_opens_a_calibration(
    page: Page, live_server, people, own_area
):
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    page.goto(f"{live_server.url}/moderation/outcomes/")
    expect(page.get_by_role("heading", name="Moderation outcomes")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("textbox", name="Period").fill("2026-Q3")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-period]")).to_have_text("Quarter 3 of 2026 (July to September 2026)")
    expect(figure(page, "moderated")).to_have_text("174")
    matrix = page.get_by_role("table", name=re.compile("Transition matrix"))
    expect(matrix).to_be_visible()
    expect(matrix.get_by_role("row", name=re.compile("^Good")).get_by_role("cell")).to_have_text(
        ["0", "82", "27", "0", "109"]
    )
    expect(figure(page, "weighted_kappa")).to_contain_text("95% confidence interval")
    expect(page.get_by_role("img", name=re.compile("auditor's grade beside the moderated grade"))).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Service area").select_option(label=f"SWF: {own_area.name}")
    page.get_by_role("button", name="Show").click()
    expect(figure(page, "moderated")).to_have_text("169")
    expect(figure(page, "exact_agreement_pct")).to_have_text("75.7%")
    expect(figure(page, "weighted_kappa")).to_have_text("0.620 (95% confidence interval 0.518 to 0.722)")
    expect(figure(page, "kappa_reading")).to_contain_text("Substantial agreement")
    expect(matrix.get_by_role("row", name=re.compile("^Total")).get_by_role("cell")).to_have_text(
        ["2", "87", "71", "9", "169"]
    )
    assert_accessible(page)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename == "moderation-summary-SWF-2026-07-01-to-2026-09-30.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "moderated,169\n" in content
    assert "total,2,87,71,9,169\n" in content

    page.get_by_role("link", name="Calibration of auditors").click()
    expect(page.get_by_role("heading", name="Calibration of auditors")).to_be_visible()
    calibration = page.get_by_role("table", name=re.compile("Each auditor's moderated audits"))
    expect(calibration.get_by_role("row", name=re.compile("^Mona Manager"))).to_contain_text("12 (7.1%)")
    assert_accessible(page)

    page.get_by_role("link", name="Mona Manager").click()
    expect(page.get_by_role("heading", name="Calibration: Mona Manager")).to_be_visible()
    expect(figure(page, "upgraded")).to_have_text("12")
    expect(figure(page, "downgraded")).to_have_text("29")
    assert_accessible(page)


def test_a_moderator_reads_the_outcomes_of_their_area(page: Page, live_server, people):
    sign_in(page, live_server.url, people["moderator"].user.email)
    page.goto(f"{live_server.url}/moderation/outcomes/?period=2026")

    expect(page.get_by_role("heading", name="Moderation outcomes")).to_be_visible()
    expect(figure(page, "moderated")).to_have_text("169")
    expect(page.get_by_role("link", name="Calibration of auditors")).to_have_count(0)
    expect(page.get_by_role("combobox", name="Auditor", exact=True)).to_have_count(0)
    assert_accessible(page)


def test_a_practice_manager_is_refused_the_outcomes(page: Page, live_server, people):
    sign_in(page, live_server.url, people["manager"].user.email)
    response = page.goto(f"{live_server.url}/moderation/outcomes/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot use this page")).to_be_visible()
    assert_accessible(page)
