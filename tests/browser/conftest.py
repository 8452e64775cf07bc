"""Browser tests: Playwright's sync API drives Chromium against pytest-django's live_server.

Every page a test visits is checked with axe-core (`assert_accessible`).
"""

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .. import second_factor
from ..factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BLOCKING_IMPACTS = frozenset({"serious", "critical"})

AXE_SCRIPT = Axe().axe_script  # the axe-core that axe-playwright-python bundles
# Only the violations come back from the browser: axe's full results describe every rule that passed
# or did not apply as well, a tenth of a second a page to send and read for nothing.
AXE_VIOLATIONS = "axe.run({resultTypes: ['violations']}).then(results => results.violations)"


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation."""
    if page.evaluate("typeof window.axe === 'undefined'"):  # once a document, however often it is checked
        page.evaluate(AXE_SCRIPT)
    blocking = [v for v in page.evaluate(AXE_VIOLATIONS) if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"{len(blocking)} serious or critical accessibility violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            lines.append(f"  {violation['helpUrl']}")
            for node in violation["nodes"]:
                lines.append(f"  * {', '.join(map(str, node['target']))}: {node['html']}")
                lines.append(f"    {node['failureSummary']}".replace("\n", "\n    "))
        pytest.fail("\n".join(lines), pytrace=False)


def expect_refused(page: Page, message: str) -> None:
    """A field refused with `message`: shown beside the field, and listed in the error summary at the
    top of the page as a link to it (templates/includes/error_summary.html)."""
    expect(page.locator(".invalid-feedback", has_text=message)).to_be_visible()
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("link", name=re.compile(re.escape(message)))).to_be_visible()
    expect(summary).to_be_focused()


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login page, as a person would; checks the login page on the way.

    The suite's people have an authenticator app (tests/second_factor.py): after a password that will
    be accepted, the code page asks for its code, typed as pyotp computes it."""
    user = second_factor.user_by_email(email)
    expect_code = user is not None and user.is_active and user.check_password(password)
    device = second_factor.enrolled_device(user) if expect_code else None
    page.goto(f"{base_url}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        enter_code(page, second_factor.current_code(device))


def enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def sign_in_as(page: Page, base_url: str, person) -> None:
    """Sign in as a person of the factories (their password is PASSWORD) and land on their home page."""
    sign_in(page, base_url, person.user.email)
    expect(page.get_by_role("heading", name=f"Hello, {person.full_name}")).to_be_visible()
    assert_accessible(page)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


# Every browser a test opens: English dates and London time, and reduced motion, as many people set it:
# Bootstrap then drops its colour transitions, so axe never measures a button's contrast halfway
# through the fade after a click.
CONTEXT_ARGS = {"locale": "en-GB", "timezone_id": "Europe/London", "reduced_motion": "reduce"}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, **CONTEXT_ARGS}


@pytest.fixture(autouse=True)
def _browser_timeouts(page: Page):
    # Pages come from a local server: fail fast instead of waiting 30 s for a missing element.
    page.set_default_timeout(5_000)
    expect.set_options(timeout=5_000)
