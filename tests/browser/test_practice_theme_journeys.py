"""Journey through the practice-themes pages: a QA lead loads the default themes, adds a theme
(after a refusal shown next to the field), changes it and deactivates one. axe-core checks every
page visited."""

import pytest
from playwright.sync_api import Page, expect

from quality.reports.models import PracticeTheme
from quality.reports.themes import DEFAULT_THEMES, NAME_TAKEN

from .conftest import assert_accessible, expect_refused, main_nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def theme_row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def test_a_qa_lead_keeps_the_list_of_practice_themes(page: Page, live_server, qa_lead):
    sign_in(page, live_server.url, qa_lead.user.email)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Practice themes").click()
    expect(page.get_by_role("heading", name="Practice themes", level=1)).to_be_visible()
    expect(page.get_by_text("No practice themes yet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name=f"Add the {len(DEFAULT_THEMES)} missing default themes").click()
    expect(page.get_by_text(f"Added {len(DEFAULT_THEMES)} default practice themes.")).to_be_visible()
    expect(theme_row(page, "Voice of the child")).to_contain_text("wishes and feelings")
    assert_accessible(page)

    page.get_by_role("link", name="Add a theme").click()
    expect(page.get_by_role("heading", name="Add a practice theme", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("chronology")
    page.get_by_label("Key phrases").fill("Timeline")
    page.get_by_role("button", name="Save").click()
    expect_refused(page, NAME_TAKEN.format(name="chronology"))
    assert_accessible(page)
    page.get_by_label("Name").fill("Neglect")
    page.get_by_label("Key phrases").fill("Neglect\nUnmet needs")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Added the practice theme Neglect")).to_be_visible()
    expect(theme_row(page, "Neglect")).to_contain_text("neglect, unmet needs")

    theme_row(page, "Neglect").get_by_role("link", name="Change Neglect").click()
    expect(page.get_by_role("heading", name="Change the practice theme Neglect", level=1)).to_be_visible()
    page.get_by_label("Key phrases").fill("neglect\nunmet needs\nhygiene")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the practice theme Neglect.")).to_be_visible()
    theme_row(page, "Neglect").get_by_role("link", name="Change Neglect").click()
    expect(page.get_by_role("heading", name="Change history")).to_be_visible()
    expect(
        page.get_by_role("cell", name="Practice theme Neglect: key phrases now: neglect, unmet needs, hygiene.")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()

    theme_row(page, "Education").get_by_role("button", name="Deactivate Education").click()
    expect(page.get_by_text("Education is no longer counted")).to_be_visible()
    expect(theme_row(page, "Education")).to_contain_text("No, deactivated")
    assert_accessible(page)
    assert PracticeTheme.objects.get(name="Education").is_active is False
    assert PracticeTheme.objects.get(name="Neglect").key_phrases == ["neglect", "unmet needs", "hygiene"]
