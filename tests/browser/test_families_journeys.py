"""A practice manager records a Supporting Families benchmarking form, and the summary counts it; axe-core
checks every page. Chromium keeps the machine's clock, so the form's date is the page's own default
(today, from timezone.localdate()) and the summary shows this quarter, which holds today."""

import re

import pytest
from playwright.sync_api import Page, expect

from evidence.families.messages import POSITIVE_NEEDS_CONCERN
from evidence.families.models import BenchmarkingForm

from .conftest import assert_accessible, expect_refused, main_nav, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_summary(page: Page) -> None:
    nav = main_nav(page)
    reports = nav.get_by_role("button", name="Reports")
    if reports.count():  # a menu when the person may open more than one of its pages
        reports.click()
    nav.get_by_role("link", name="Supporting Families benchmarking").click()
    expect(page.get_by_role("heading", name="Supporting Families benchmarking", exact=True)).to_be_visible()
    assert_accessible(page)


def _figure(page: Page, key: str):
    return page.locator(f'[data-figure="{key}"]')


def test_a_practice_manager_records_a_benchmarking_form_and_the_summary_counts_it(
    page: Page, live_server, practice_manager, own_team
):
    sign_in_as(page, live_server.url, practice_manager)
    _open_summary(page)
    expect(_figure(page, "forms")).to_have_text("0")
    expect(page.get_by_text("No benchmarking forms were completed in this period.")).to_be_visible()

    page.get_by_role("link", name="Record a benchmarking form").click()
    expect(page.get_by_role("heading", name="Record a benchmarking form")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Case reference").fill("C-5100")
    page.get_by_label("Service area").select_option(label="SWF: Social Work with Families")
    page.get_by_label("Team").select_option(label="SWF East (SWF)")
    expect(page.get_by_label("Completed by")).to_have_value(str(practice_manager.pk))
    for label in (
        "Getting a good education: identified at the start",
        "Getting a good education: positive outcome",
        "Improved mental and physical health: identified at the start",
        "Improved mental and physical health: positive outcome",
        "Secure housing: positive outcome",  # never identified: refused
    ):
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Save").click()

    expect_refused(page, POSITIVE_NEEDS_CONCERN)
    housing = page.get_by_label("Secure housing: positive outcome", exact=True)
    expect(housing).to_have_attribute("aria-invalid", "true")
    expect(housing).to_be_checked()  # what was ticked is kept
    assert_accessible(page)
    page.locator("[data-error-summary]").get_by_role("link", name=re.compile(re.escape(POSITIVE_NEEDS_CONCERN))).click()
    expect(housing).to_be_focused()

    page.get_by_label("Secure housing: identified at the start", exact=True).check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Benchmarking form of case C-5100")).to_be_visible()
    expect(page.get_by_text("Recorded the benchmarking form of case C-5100 (3 positive outcomes)")).to_be_visible()
    assert_accessible(page)
    assert BenchmarkingForm.objects.get().completed_by == practice_manager

    _open_summary(page)
    expect(_figure(page, "forms")).to_have_text("1")
    expect(_figure(page, "three_or_more")).to_have_text("1")
    expect(_figure(page, "one_or_two")).to_have_text("0")
    chart = page.get_by_role("img", name=re.compile("Positive outcomes per concern"))
    expect(chart).to_be_visible()
    housing_row = page.locator('tr[data-concern="housing"]')
    expect(housing_row.get_by_role("cell").last).to_have_text("1")
