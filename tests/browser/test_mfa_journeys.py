"""The second factor in Chromium: a QA lead sets up an authenticator app (reading the key as text),
signs in again with a code computed by pyotp, then with a recovery code that is refused next time."""

import re
import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import Page, expect

from quality.mfa.messages import CODE_WRONG

from ..factories import PASSWORD
from .conftest import assert_accessible, expect_refused, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_only(page: Page, base_url: str, email: str) -> None:
    """The password page by hand: the shared sign_in helper would type the code for us."""
    page.goto(f"{base_url}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def type_code(page: Page, code: str | Callable[[], str]) -> None:
    """`code` may be a function, asked only as the code is typed (an authenticator's code of the moment)."""
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill(code() if callable(code) else code)
    page.get_by_role("button", name="Continue").click()


def step_now(totp: pyotp.TOTP) -> int:
    return int(time.time()) // totp.interval


def code_after(totp: pyotp.TOTP, spent_step: int) -> Callable[[], str]:
    """The authenticator's code of the moment it is typed, once the 30 seconds of the spent code are over,
    as a person would wait for the app's next code. Not the next window's code typed early: a set-up that
    crossed a window's end leaves django-otp's clock drift at -1, and then only a code of a later window
    than the spent one is accepted, at a time no earlier than its window."""

    def code() -> str:
        while step_now(totp) <= spent_step:
            time.sleep(0.2)
        return totp.now()

    return code


def test_a_qa_lead_sets_up_a_second_factor_and_signs_in_with_a_code_and_a_recovery_code(
    page: Page, live_server, qa_lead
):
    lead = qa_lead
    hello = page.get_by_role("heading", name="Hello, Quinn Lead")

    password_only(page, live_server.url, lead.user.email)
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)
    totp = pyotp.TOTP(page.locator("#mfa-secret").inner_text().replace(" ", ""))
    spent_step = step_now(totp)
    page.get_by_label("Code from your authenticator app").fill(totp.at(spent_step * totp.interval))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert_accessible(page)
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code) for code in codes)
    page.get_by_role("button", name="I have kept my codes: continue").click()
    expect(hello).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    password_only(page, live_server.url, lead.user.email)
    # The one used to set up is spent: the app's next code.
    type_code(page, code_after(totp, spent_step))
    expect(hello).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    password_only(page, live_server.url, lead.user.email)
    type_code(page, codes[0])
    expect(hello).to_be_visible()
    expect(page.get_by_text("You signed in with a recovery code")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    password_only(page, live_server.url, lead.user.email)
    type_code(page, codes[0])
    expect_refused(page, CODE_WRONG)
    assert_accessible(page)
    expect(hello).to_have_count(0)
