"""Journeys through the report editor: a QA lead writes a section, the draft saves itself (the status
line says when), the page is reloaded and the text is still there; text typed while the connection is
lost is kept in the browser and put back on the next visit; a second tab out of date is told of the
conflict and overwrites nothing; the highlights are filtered by service area, theme, kind and whether
they are picked, without losing what was typed. Every page is checked with axe.

Dates come from the machine's clock (tests/clock.py): the draft is of last month.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from quality.months import add_months, month_start
from quality.reports.models import PracticeTheme, Report
from tests.moderation.outcome_world import published_version
from tests.reports.test_services import AuditMaker, generated, queued

from .conftest import assert_accessible, sign_in_as
from .test_audit_journeys import eventually

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFLICT = "someone saved this draft since you opened it"


@pytest.fixture
def draft(qa_lead, practice_manager, other_manager, own_area, other_area):
    """Last month's draft from three audits: four highlights in SWF and two in PTC. Two of them mention
    the practice theme Chronology, one the theme Voice of the child."""
    PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"], order=1)
    PracticeTheme.objects.create(name="Voice of the child", key_phrases=["voice of the child"], order=2)
    month = add_months(month_start(timezone.localdate()), -1)
    version = published_version()
    swf = AuditMaker(version, practice_manager, own_area)
    ptc = AuditMaker(version, other_manager, other_area)
    ptc.count = 100
    swf(month.replace(day=5), "good", strengths="An up-to-date chronology.", areas_for_improvement="No dates.")
    swf(
        month.replace(day=10),
        "requires_improvement",
        strengths="Visits are regular.",
        areas_for_improvement="The voice of the child is missing.",
    )
    ptc(
        month.replace(day=15),
        "good",
        strengths="Pathway plans are clear.",
        areas_for_improvement="The chronology stops in May.",
    )
    return generated(queued(period=f"{month:%Y-%m}"))


def open_editor(page: Page, live_server, report: Report) -> None:
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.get_by_role("link", name="Edit the draft").click()
    expect(page.get_by_role("heading", name=re.compile("^Edit the draft: "))).to_be_visible()


def status(page: Page):
    return page.locator("#save-status")


def analysis(page: Page):
    return page.get_by_role("textbox", name="Analysis", exact=True)


def saved() -> Report:
    return Report.objects.get()


def test_a_qa_lead_writes_a_section_that_saves_itself_and_is_still_there_after_a_reload_or_a_crash(
    page: Page, live_server, qa_lead, draft
):
    sign_in_as(page, live_server.url, qa_lead)
    open_editor(page, live_server, draft)
    expect(status(page)).to_have_text("Not changed yet.")
    assert_accessible(page)

    # The contents list takes them to a section; the save bar stays in view wherever they are.
    contents = page.get_by_role("navigation", name="Contents")
    contents.get_by_role("link", name="Analysis").click()
    expect(page.get_by_role("region", name="Analysis", exact=True)).to_be_in_viewport()
    analysis(page).fill("Planning remains the weakest area.")
    expect(status(page)).to_contain_text("Draft saved at", timeout=8_000)
    eventually(lambda: saved().analysis == "Planning remains the weakest area.")
    contents.get_by_role("link", name="Improvement points").click()
    expect(page.get_by_role("button", name="Save the draft")).to_be_in_viewport()
    assert_accessible(page)

    page.reload()
    expect(analysis(page)).to_have_value("Planning remains the weakest area.")
    assert_accessible(page)

    # The connection drops while they type; the browser closes before it is back.
    page.context.set_offline(True)
    page.get_by_role("textbox", name="Summary").fill("Steady, with planning to improve.")
    expect(status(page)).to_contain_text("Could not reach the portal", timeout=8_000)
    assert_accessible(page)
    assert saved().summary == ""
    context = page.context
    page.close()
    context.set_offline(False)

    again = context.new_page()
    open_editor(again, live_server, draft)
    expect(again.get_by_role("textbox", name="Summary")).to_have_value("Steady, with planning to improve.")
    expect(analysis(again)).to_have_value("Planning remains the weakest area.")
    expect(status(again)).to_contain_text("Draft saved at", timeout=8_000)
    eventually(lambda: saved().summary == "Steady, with planning to improve.")
    assert again.evaluate(f"localStorage.getItem('report-draft-{draft.pk}')") is None
    assert_accessible(again)


def test_a_tab_left_open_is_told_of_the_conflict_and_overwrites_nothing(page: Page, live_server, qa_lead, draft):
    sign_in_as(page, live_server.url, qa_lead)
    open_editor(page, live_server, draft)
    stale = page.context.new_page()
    open_editor(stale, live_server, draft)
    assert_accessible(stale)

    analysis(page).fill("Written in the first tab.")
    expect(status(page)).to_contain_text("Draft saved at", timeout=8_000)

    analysis(stale).fill("Written in the tab left open.")
    expect(status(stale)).to_contain_text(CONFLICT, timeout=8_000)
    expect(status(stale)).to_contain_text("Analysis")
    assert_accessible(stale)
    assert saved().analysis == "Written in the first tab."

    # Saving with the button from the stale tab is refused too, and the text typed is kept on the page.
    stale.get_by_role("button", name="Save the draft").click()
    expect(stale.get_by_role("alert").filter(has_text=CONFLICT)).to_be_visible()
    expect(analysis(stale)).to_have_value("Written in the tab left open.")
    assert_accessible(stale)
    assert saved().analysis == "Written in the first tab."


def test_a_qa_lead_filters_the_highlights_by_area_and_theme_without_losing_what_they_typed(
    page: Page, live_server, qa_lead, draft
):
    sign_in_as(page, live_server.url, qa_lead)
    open_editor(page, live_server, draft)
    highlights = page.get_by_role("region", name="Highlights", exact=True)
    cards = highlights.locator("[data-highlight]")
    count = page.locator("#filter-count")
    expect(count).to_have_text("Showing 6 of 6 highlights.")
    assert_accessible(page)

    page.get_by_label("Service area", exact=True).select_option(label="PTC: Pathways Through Care")
    expect(count).to_have_text("Showing 2 of 6 highlights.")
    expect(cards.last).to_be_hidden()  # SWF, after PTC
    expect(highlights.get_by_role("heading", name="SWF: Social Work with Families")).to_be_hidden()
    card = highlights.get_by_role("group", name="Area for improvement from case C700101")
    card.get_by_label("Include in the report").check()
    card.get_by_label("Wording in the report").fill("PTC chronologies stop short.")
    expect(status(page)).to_contain_text("Draft saved at", timeout=8_000)
    assert_accessible(page)

    page.get_by_label("Service area", exact=True).select_option(label="Every service area")
    page.get_by_label("Practice theme", exact=True).select_option(label="Chronology")
    expect(count).to_have_text("Showing 2 of 6 highlights.")
    expect(highlights.get_by_role("group", name="Good practice from case C700001")).to_be_visible()
    expect(card).to_be_visible()
    expect(card.get_by_label("Wording in the report")).to_have_value("PTC chronologies stop short.")

    page.get_by_label("Practice theme", exact=True).select_option(label="Voice of the child")
    expect(count).to_have_text("Showing 1 of 6 highlights.")
    page.get_by_label("Practice theme", exact=True).select_option(label="Any theme")
    page.get_by_label("Picked", exact=True).select_option(label="Picked for the report")
    expect(count).to_have_text("Showing 1 of 6 highlights.")
    expect(card).to_be_visible()
    assert_accessible(page)

    eventually(lambda: [h.text for h in draft.highlights.filter(included=True)] == ["PTC chronologies stop short."])
    # Filtering is not typing: the browser keeps nothing of it once the typing is saved.
    eventually(lambda: page.evaluate(f"localStorage.getItem('report-draft-{draft.pk}')") is None)
