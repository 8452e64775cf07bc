"""Journeys through the audit schedule: a QA lead schedules a moderation panel, finds it in the
month, changes and removes it; a practice manager reads the calendar and subscribes in Outlook.
axe-core checks every page visited."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits.cycle import schedule
from audits.models import ScheduleEntry

from .conftest import assert_accessible, expect_refused, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def december(own_area):
    """A theme and a report already on December 2026's schedule."""
    schedule.schedule_entry_create(
        actor=None,
        kind="theme",
        title="Radicalisation audits",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31),
        audit_kind="monthly",
        legal_statuses=["cin", "cp"],
    )
    schedule.schedule_entry_create(
        actor=None,
        kind="report",
        title="Monthly audit analysis report",
        starts_on=date(2026, 12, 9),
        service_areas=[own_area],
    )


def day_row(page: Page, text: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=text))


def test_a_qa_lead_schedules_a_moderation_panel_and_changes_it(page: Page, live_server, qa_lead, december):
    sign_in(page, live_server.url, qa_lead.user.email)
    page.goto(f"{live_server.url}/schedule/2026/")
    expect(page.get_by_role("heading", name="Audit schedule 2026", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Add to the schedule").click()
    expect(page.get_by_role("heading", name="Add to the schedule")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Kind").select_option(label="Moderation panel")
    page.get_by_label("Title").fill("Moderation panel")
    page.get_by_label("Date").fill("2026-12-17")
    page.get_by_label("Start time").fill("15:00")
    page.get_by_label("End time").fill("14:00")
    page.get_by_role("button", name="Save").click()
    expect_refused(page, schedule.END_TIME_BEFORE_START)
    assert_accessible(page)
    assert not ScheduleEntry.objects.filter(kind="panel").exists()

    page.get_by_label("End time").fill("17:00")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Audit schedule, December 2026")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("Added 'Moderation panel', Thu 17 Dec 2026, 15:00 to 17:00.")).to_be_visible()
    expect(day_row(page, "Thu 17 Dec")).to_contain_text("Moderation panel, 15:00 to 17:00")
    expect(day_row(page, "Wed 9 Dec")).to_contain_text("Monthly audit analysis report")
    expect(page.get_by_role("region", name="Running this month")).to_contain_text("Radicalisation audits")

    day_row(page, "Thu 17 Dec").get_by_role("link", name="Moderation panel").click()
    expect(page.get_by_role("heading", name="Moderation panel", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Change").click()
    expect(page.get_by_role("heading", name="Change Moderation panel")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_label("Start time")).to_have_value("15:00")
    page.get_by_label("End time").fill("17:30")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Thu 17 Dec 2026, 15:00 to 17:30").first).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("when changed from")
    assert_accessible(page)
    panel = ScheduleEntry.objects.get(kind="panel")
    assert (panel.starts_at, panel.ends_at) == (time(15, 0), time(17, 30))

    page.get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", name="Remove Moderation panel from the schedule?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why remove it (optional)").fill("Moved to the January panel")
    page.get_by_role("button", name="Remove from the schedule").click()
    expect(page.get_by_text("Removed 'Moderation panel' from the schedule.")).to_be_visible()
    expect(day_row(page, "Thu 17 Dec")).not_to_contain_text("Moderation panel")
    assert not ScheduleEntry.objects.filter(kind="panel").exists()


def test_a_practice_manager_reads_the_calendar_and_subscribes_in_outlook(
    page: Page, live_server, playwright, settings, practice_manager, december
):
    settings.PORTAL_URL = live_server.url  # the address the page shows must lead to this server
    # The feed carries the last year and what is ahead: a panel next month, whatever today is.
    # (Chromium keeps the machine's clock, so this test builds its date from today, read once.)
    next_month = timezone.localdate() + timedelta(days=30)
    schedule.schedule_entry_create(
        actor=None, kind="panel", title="Panel next month", starts_on=next_month, starts_at=time(15), ends_at=time(17)
    )
    sign_in(page, live_server.url, practice_manager.user.email)
    page.goto(f"{live_server.url}/schedule/2026/")
    expect(page.get_by_role("heading", name="Audit schedule 2026", level=1)).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("link", name="Add to the schedule")).to_have_count(0)
    december_block = page.get_by_role("region", name="December 2026")
    expect(december_block.get_by_role("heading", name="Monthly audit theme")).to_be_visible()
    expect(december_block).to_contain_text("Radicalisation audits")

    december_block.get_by_role("link", name="December 2026").click()
    expect(page.get_by_role("heading", name="Audit schedule, December 2026")).to_be_visible()
    assert_accessible(page)
    expect(day_row(page, "Thu 3 Dec")).to_contain_text("Allocation list goes out")
    expect(day_row(page, "Mon 28 Dec")).to_contain_text("This month's audits due")

    page.get_by_role("link", name="Subscribe in Outlook").click()
    expect(page.get_by_role("heading", name="Subscribe in Outlook")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Make my calendar address").click()
    expect(page.get_by_text("Your calendar address is ready")).to_be_visible()
    assert_accessible(page)

    address = page.get_by_label("Address to paste into Outlook").input_value()
    assert address.startswith(f"{live_server.url}/schedule/feed/") and address.endswith(".ics")
    # The Permissions-Policy denies every browser feature but this one: writing to the clipboard.
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Address copied.")  # not "Copy did not work"
    outlook = playwright.request.new_context()  # no cookies: Outlook has no session either
    try:
        response = outlook.get(address)
        assert response.status == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        body = response.text()
        assert body.startswith("BEGIN:VCALENDAR\r\n")
        assert "SUMMARY:Panel next month" in body
        assert f"DTSTART;TZID=Europe/London:{next_month:%Y%m%d}T150000" in body
    finally:
        outlook.dispose()
