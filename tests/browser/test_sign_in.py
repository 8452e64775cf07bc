"""The login page: keyboard use and the message for a failed sign-in."""

import pytest
from playwright.sync_api import Page, expect

from quality.org.messages import SIGN_IN_FAILED

from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    assert_accessible(page)

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab continues inside main: the first field of the sign-in form.
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()


def test_failed_sign_in_shows_the_generic_message(page: Page, live_server, practitioner):
    person = practitioner

    sign_in(page, live_server.url, person.user.email, "not-the-password-at-all")

    expect(page.get_by_role("alert")).to_have_text(SIGN_IN_FAILED)
    expect(page.get_by_label("E-mail address")).to_have_value(person.user.email)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)
