"""A family member answers a survey through a one-time link, with JavaScript off, on a phone; the link
then refuses a second use; the QA lead filters the list and reads the results with small numbers suppressed. axe-core
checks every page. Chromium keeps the machine's clock, so the survey's window is built around
timezone.localdate(), read once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from evidence.voices.forms import EVERY_AREA
from evidence.voices.services import response_submit
from moderation.outcome_forms import PERIOD_INVALID
from tests.evidence.survey_helpers import answers, open_survey, tokens

from .conftest import CONTEXT_ARGS, assert_accessible, main_nav, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 320, "height": 640}


@pytest.fixture
def survey(qa_lead):
    today = timezone.localdate()
    return open_survey(qa_lead.user, opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=7))


def _without_javascript(browser: Browser, viewport: dict):
    return browser.new_context(**CONTEXT_ARGS, viewport=viewport, java_script_enabled=False)


def _checked(browser: Browser, url: str, viewport: dict) -> None:
    """axe on the page as a browser with JavaScript shows it (axe itself is a script), and no sideways
    scroll at that width."""
    context = browser.new_context(**CONTEXT_ARGS, viewport=viewport)
    try:
        page = context.new_page()
        page.goto(url)
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        context.close()


def test_a_family_answers_once_with_javascript_off_and_the_qa_lead_reads_the_results(
    browser: Browser, page: Page, live_server, qa_lead, survey
):
    token, narrow_token = tokens(qa_lead.user, survey, 2)
    url = f"{live_server.url}/s/{token}/"
    family = _without_javascript(browser, PHONE)
    try:
        phone = family.new_page()
        phone.goto(url)
        expect(phone.get_by_role("heading", name=survey.title)).to_be_visible()
        _checked(browser, url, PHONE)

        phone.get_by_role("button", name="Send my answers").click()  # the required question left out
        summary = phone.locator("[data-error-summary]")
        expect(
            summary.get_by_role("link", name="Did your social worker listen to you?: Answer this question, please.")
        ).to_be_visible()
        expect(phone).to_have_title("Error: Autumn survey of parents – Children's services")

        group = phone.get_by_role("group", name="Did your social worker listen to you?")
        group.get_by_label("Sometimes").check()
        phone.get_by_role("group", name="What helped?").get_by_label("Help at home").check()
        phone.get_by_label("Is there anything else you would like to tell us?").fill("More time to talk, please")
        phone.get_by_role("button", name="Send my answers").click()
        expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
        _checked(browser, phone.url, PHONE)

        phone.goto(url)  # the link again
        expect(phone.get_by_role("heading", name="This link cannot be used")).to_be_visible()
        _checked(browser, url, PHONE)
    finally:
        family.close()
    _checked(browser, f"{live_server.url}/s/{narrow_token}/", NARROWEST)

    for token in tokens(qa_lead.user, survey, 5):
        response_submit(token=token, answers=answers("Always"))
    sign_in_as(page, live_server.url, qa_lead)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Surveys of children and families").click()
    expect(page.get_by_role("heading", name="Surveys of children and families")).to_be_visible()
    assert_accessible(page)
    # The filters: a period it cannot read is refused beside the field; this year's surveys include this one.
    page.get_by_label("Period").fill("autumn")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#id_period_error")).to_have_text(PERIOD_INVALID)
    expect(page.get_by_role("cell", name="No surveys match.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Period").fill(f"{timezone.localdate():%Y}")
    page.get_by_label("Service area").select_option(label=EVERY_AREA)
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=survey.title).click()
    expect(page.get_by_text("7 links sent; 6 responses (a response rate of 86%).")).to_be_visible()
    listened = page.get_by_role("table", name="Did your social worker listen to you?")
    expect(listened.get_by_role("row", name="Always 5")).to_be_visible()
    expect(listened.get_by_role("row", name="Sometimes fewer than 5")).to_be_visible()
    expect(page.get_by_text("More time to talk, please")).to_be_visible()
    assert_accessible(page)
