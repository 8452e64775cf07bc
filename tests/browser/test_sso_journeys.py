"""Signing in with the council account, in Chromium, against a real OpenID Connect provider on loopback."""

import pytest
from playwright.sync_api import Page, expect

from quality.org.messages import SSO_NOT_SET_UP
from quality.org.models import Role

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_at_the_provider(page: Page, base_url: str, sub: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with your council account").click()
    # The provider's own page (not the portal's, so not checked with axe): type who signs in.
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_a_person_signs_in_with_their_council_account_and_lands_on_their_home_page(
    page: Page, live_server, sso, make_person, own_area
):
    person = make_person(Role.PRACTITIONER, own_area, full_name="Pat Practitioner")
    sso.user("pat", email=person.user.email, email_verified=True)

    sign_in_at_the_provider(page, live_server.url, "pat")

    expect(page.get_by_role("heading", name="Hello, Pat Practitioner")).to_be_visible()
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_text("Signed in as Pat Practitioner")).to_be_visible()
    assert_accessible(page)


def test_someone_the_portal_does_not_know_is_sent_back_to_sign_in_with_the_reason(page: Page, live_server, sso):
    sso.user("stranger", email="stranger@council.example", email_verified=True)

    sign_in_at_the_provider(page, live_server.url, "stranger")

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text(SSO_NOT_SET_UP)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)
