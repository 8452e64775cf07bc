"""Journeys through loading the case list and reading it, checked with axe-core on every page."""

import csv
import io

import pytest
from playwright.sync_api import Browser, Page, expect

from audits.cycle import case_import as ci
from audits.models import Case, CaseImport
from quality.org.models import Role
from tests import second_factor

from ..factories import PASSWORD
from .conftest import assert_accessible, enter_code, main_nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Remembers how far the progress bar went while the script uploads (the page is swapped after).
WATCH_PROGRESS = """() => {
  window.progressSeen = 0;
  new MutationObserver(() => {
    const bar = document.querySelector("[data-upload-progress]");
    const now = bar && !bar.hidden ? Number(bar.getAttribute("aria-valuenow")) : 0;
    window.progressSeen = Math.max(window.progressSeen, now);
  }).observe(document.body, { attributes: true, subtree: true, childList: true });
}"""


@pytest.fixture
def people(make_person, qa_lead, practice_manager, own_area, own_team):
    """The shared cast (tests/conftest.py), but for a case holder named "Wren Worker": the imported
    list is read by that name."""
    return {
        "qa_lead": qa_lead,
        "worker": make_person(Role.PRACTITIONER, own_area, full_name="Wren Worker"),
        "manager": practice_manager,
    }


def case_list_file(people, *, broken: bool) -> dict:
    rows = [
        ["C-1001", "SWF", "SWF East", people["worker"].user.email, people["manager"].user.email, "cp", "2025-03-14"],
        ["C-1002", "swf", "", "", people["manager"].user.email, "s47" if broken else "cin", "31/01/2026"],
        ["C-1003", "SWF", "SWF East", people["worker"].user.email, people["manager"].user.email, "cla", "2024-07-01"],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ci.REQUIRED_COLUMNS)
    writer.writerows(rows)
    return {"name": "annex-a-november.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}


def test_a_qa_lead_corrects_a_refused_case_list_checks_it_and_imports_it(page: Page, live_server, people):
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    expect(page.get_by_role("heading", name="Hello, Quinn Lead")).to_be_visible()

    main_nav(page).get_by_role("button", name="Monthly cycle").click()
    main_nav(page).get_by_role("link", name="Case list").click()
    expect(page.get_by_role("heading", name="Case list")).to_be_visible()
    expect(page.get_by_text("No cases match.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Upload a case list").click()
    expect(page.get_by_role("heading", name="Upload the case list")).to_be_visible()
    assert_accessible(page)

    # Import pressed with no file chosen (a plain post: nothing to upload): the summary at the top
    # says so and leads to the field.
    page.get_by_role("button", name="Import").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Case list file: This field is required.").click()
    expect(page.get_by_label("Case list file")).to_be_focused()
    assert_accessible(page)

    # A file with a wrong legal status: refused, with the row, column and reason beside the form.
    page.evaluate(WATCH_PROGRESS)
    page.get_by_label("Case list file").set_input_files(case_list_file(people, broken=True))
    with page.expect_response(lambda response: response.request.headers.get("hx-request") == "true"):
        page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="The file was refused: nothing was saved")).to_be_visible()
    errors = page.get_by_role("table", name="Problems in the file")
    # Its caption is read before it: above the header row, not under the table.
    assert errors.locator("caption").bounding_box()["y"] < errors.get_by_role("row").first.bounding_box()["y"]
    expect(errors.get_by_role("row").nth(1)).to_have_text("3legal_status" + ci.STATUS_INVALID.format(value="s47"))
    expect(page.get_by_role("heading", name="The file was refused: nothing was saved")).to_be_focused()
    assert page.evaluate("window.progressSeen") == 100, "the progress bar showed the upload"
    assert_accessible(page)
    assert not Case.objects.exists()

    # The corrected file: checked first (nothing saved), then imported as it was checked.
    page.get_by_label("Case list file").set_input_files(case_list_file(people, broken=False))
    page.get_by_role("button", name="Check only").click()
    expect(page.get_by_role("heading", name="The file is ready to import: nothing was saved yet")).to_be_visible()
    expect(page.get_by_text("3 cases in the file: 3 new")).to_be_visible()
    assert_accessible(page)
    assert not Case.objects.exists()

    # Imported without choosing the file again: the checked file was kept for this person.
    page.get_by_role("button", name="Load this file").click()

    expect(page).to_have_url(f"{live_server.url}/cases/")
    expect(page.get_by_text("The case list was imported. 3 cases in the file: 3 new")).to_be_visible()
    table = page.get_by_role("table", name="Cases by reference")
    for reference in ("C-1001", "C-1002", "C-1003"):
        expect(table.get_by_role("cell", name=reference, exact=True)).to_be_visible()
    expect(table.get_by_role("row", name="C-1001")).to_contain_text("Wren Worker")
    assert_accessible(page)

    page.get_by_label("Legal status").select_option(label="Child in need")
    page.get_by_role("button", name="Filter").click()
    expect(table.get_by_role("cell", name="C-1002", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="C-1001", exact=True)).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Upload a case list").click()
    expect(page.get_by_role("table", name="case list loaded")).to_contain_text("annex-a-november.csv")
    assert_accessible(page)
    assert CaseImport.objects.get().imported_by == people["qa_lead"].user


def test_the_upload_works_as_a_plain_form_without_javascript(browser: Browser, live_server, people):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        # Signed in by hand: the shared sign_in checks each page with axe, which needs JavaScript.
        authenticator = second_factor.enrolled_device(people["qa_lead"].user)
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("E-mail address").fill(people["qa_lead"].user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        enter_code(page, second_factor.current_code(authenticator))
        page.goto(f"{live_server.url}/cases/import/")

        page.get_by_label("Case list file").set_input_files(case_list_file(people, broken=True))
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", name="The file was refused: nothing was saved")).to_be_visible()

        page.get_by_label("Case list file").set_input_files(case_list_file(people, broken=False))
        page.get_by_role("button", name="Import").click()
        expect(page).to_have_url(f"{live_server.url}/cases/")
        expect(page.get_by_text("The case list was imported.")).to_be_visible()
        assert Case.objects.count() == 3
    finally:
        context.close()
