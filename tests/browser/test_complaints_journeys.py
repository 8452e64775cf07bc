"""The log of complaints and compliments in a browser, checked with axe-core on every page: the QA officer
loads the complaints system's export (a bad row refused with its number, then the corrected file checked
and loaded), reads the list and its summary, and types in a compliment; a practice manager opens an entry
from the log and reads its page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evidence.complaints import imports
from evidence.complaints.models import Entry, Kind, Outcome
from evidence.complaints.services import OUTCOME_FOR_COMPLIMENT

from ..evidence.complaint_files import export_csv, row
from .conftest import assert_accessible, expect_refused, main_nav, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def export_file(*, broken: bool) -> dict:
    """Three rows of the last month (dates from today: Chromium keeps the machine's clock)."""
    today = timezone.localdate()
    day = lambda days_ago: f"{today - timedelta(days=days_ago):%d/%m/%Y}"  # noqa: E731
    rows = [
        row("CMP-101", received_on=day(20)),
        row("CMP-102", received_on=day(12), theme="housing" if broken else "timeliness", outcome="upheld"),
        row("CMP-103", received_on=day(5), kind="compliment", theme="childs_voice", outcome="", team=""),
    ]
    return {"name": "complaints-export.csv", "mimeType": "text/csv", "buffer": export_csv(rows)}


def test_the_qa_officer_loads_the_export_reads_the_summary_and_types_in_a_compliment(
    page: Page, live_server, qa_officer, own_team
):
    sign_in_as(page, live_server.url, qa_officer)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Complaints and compliments").click()
    expect(page.get_by_role("heading", name="Complaints and compliments", level=1)).to_be_visible()
    expect(page.get_by_text("No complaints or compliments match.")).to_be_visible()
    assert_accessible(page)

    # A file with an unknown theme on its third row: refused, the row named, nothing saved.
    page.get_by_role("link", name="Load the complaints system export").click()
    expect(page.get_by_role("heading", name="Load the complaints system export")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Complaints system export").set_input_files(export_file(broken=True))
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.get_by_role("heading", name="The file was refused: nothing was saved")).to_be_visible()
    errors = page.get_by_role("table", name="Problems in the file")
    reason = imports.THEME_INVALID.format(value="housing", choices=", ".join(imports.Theme.values))
    expect(errors.get_by_role("row").nth(1)).to_have_text("3theme" + reason)
    assert_accessible(page)
    assert not Entry.objects.exists()

    # The corrected file: checked (nothing saved), then loaded as it was checked.
    page.get_by_label("Complaints system export").set_input_files(export_file(broken=False))
    page.get_by_role("button", name="Check only").click()
    expect(page.get_by_role("heading", name="The file is ready to load: nothing was saved yet")).to_be_visible()
    expect(page.get_by_text("3 rows in the file: 3 would be added")).to_be_visible()
    assert_accessible(page)
    assert not Entry.objects.exists()
    page.get_by_role("button", name="Load this file").click()

    expect(page).to_have_url(f"{live_server.url}/complaints/")
    expect(page.get_by_text("The complaints export was loaded. 3 rows in the file: 3 added")).to_be_visible()
    table = page.get_by_role("table", name="Complaints and compliments, newest first")
    for reference in ("CMP-101", "CMP-102", "CMP-103"):
        expect(table.get_by_role("cell", name=reference, exact=True)).to_be_visible()
    expect(page.get_by_text("2 complaints and 1 compliment.")).to_be_visible()
    themes = page.get_by_role("table", name="Complaints and compliments by theme")
    expect(themes.get_by_role("row", name="Timeliness and delay")).to_have_text("Timeliness and delay101")
    expect(themes.get_by_role("row", name="All themes")).to_have_text("All themes213")
    assert_accessible(page)

    # A compliment typed in: given an outcome first, refused beside the field (a compliment has none).
    page.get_by_role("link", name="Add a complaint or compliment").click()
    expect(page.get_by_role("heading", name="Add a complaint or compliment")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Received").fill(f"{timezone.localdate():%d/%m/%Y}")
    page.get_by_label("Compliment").check()
    page.get_by_label("Service area").select_option(label="Social Work with Families (SWF)")
    page.get_by_label("Team").select_option(label="SWF East (SWF)")
    page.get_by_label("Theme").select_option(label="Communication and being kept informed")
    page.get_by_label("Outcome").select_option(label="Upheld")
    page.get_by_label("Learning").fill("Parent thanked the worker for explaining each step.")
    page.get_by_role("button", name="Save").click()
    expect_refused(page, OUTCOME_FOR_COMPLIMENT)
    assert_accessible(page)
    page.get_by_label("Outcome").select_option(label="Not applicable (a compliment)")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Recorded: Compliment received")).to_be_visible()
    expect(page.get_by_text("2 complaints and 2 compliments.")).to_be_visible()
    assert_accessible(page)
    typed = Entry.objects.get(source_reference="")
    assert (typed.kind, typed.outcome, typed.team) == (Kind.COMPLIMENT, Outcome.NOT_APPLICABLE, own_team)


def test_a_practice_manager_opens_an_entry_from_the_log_and_reads_it(
    page: Page, live_server, practice_manager, own_team
):
    received = timezone.localdate() - timedelta(days=3)
    Entry.objects.create(
        received_on=received,
        service_area=own_team.service_area,
        team=own_team,
        kind=Kind.COMPLAINT,
        theme="timeliness",
        outcome=Outcome.UPHELD,
        learning="Letters now go out within <b>two days</b>.",
        source_reference="CMP-201",
    )
    sign_in_as(page, live_server.url, practice_manager)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Complaints and compliments").click()
    table = page.get_by_role("table", name="Complaints and compliments, newest first")
    # (Chromium puts a space before the visually hidden part of the link's name.)
    table.get_by_role("link", name=re.compile(rf"^{received:%-d %b %Y}\s?: the complaint in full$")).click()

    title = f"Complaint received {received:%-d %b %Y}"
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    fields = page.locator("dl")
    for label, value in [
        ("Received", f"{received:%-d %B %Y}"),
        ("Service area", "Social Work with Families (SWF)"),
        ("Team", "SWF East"),
        ("Kind", "Complaint"),
        ("Theme", "Timeliness and delay"),
        ("Outcome", "Upheld"),
        ("Learning", "Letters now go out within <b>two days</b>."),  # shown as typed, not as markup
        ("Complaints system reference", "CMP-201"),
        ("Source", "Typed in"),
        ("Recorded by", "Not known"),
    ]:
        expect(fields.locator(f"dt:text-is('{label}') + dd")).to_have_text(value)
    expect(page.get_by_role("link", name="Change")).to_have_count(0)  # they read; the QA unit changes
    assert_accessible(page)
    page.get_by_role("link", name="Complaints and compliments", exact=True).last.click()
    expect(page.get_by_role("heading", name="Complaints and compliments", level=1)).to_be_visible()
