"""Each role signs in and finds on their home page what is waiting for them, with counts, and a link that
leads to the page that acts on it (issue 16, item 4): the QA lead, a moderator, the performance officer,
a senior leader, the read-only reader and a partner auditor. Dates are built from today (tests/clock.py);
axe-core checks every page visited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits.models import Allocation, AllocationItem, Case
from moderation import panels
from performance.models import Commentary
from quality.months import add_months, month_start
from quality.reports import services as report_services
from quality.reports.models import Report
from tests.factories import (
    AuditFactory,
    IndicatorFactory,
    indicator_value,
    panel_in_session,
)

from .conftest import assert_accessible, sign_in_as, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTHING_DUE = "Nothing is due for you at the moment."


def waiting(page: Page, heading: str):
    """The home page's section of one kind of waiting work, found by its heading."""
    return page.locator("[data-waiting]").filter(has=page.get_by_role("heading", name=re.compile(f"^{heading}")))


def expect_count(page: Page, heading: str, count: int) -> None:
    expect(waiting(page, heading).get_by_role("heading")).to_have_text(f"{heading} {count}")


def go_home(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", name="What is due for you")).to_be_visible()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def draft_report(today):
    """Last month's monthly report, generated (from no audits) and waiting for the QA lead."""
    start = add_months(month_start(today), -1)
    end = month_start(today) - timedelta(days=1)
    queued = Report.objects.create(kind="monthly", period=f"{start:%Y-%m}", period_start=start, period_end=end)
    return report_services.report_generate(report_id=queued.pk)


def test_the_qa_lead_finds_the_allocation_to_review_and_the_draft_to_publish(
    page: Page, live_server, qa_lead, practice_manager, moderator, own_area, today, draft_report
):
    month = add_months(month_start(today), 1)
    allocation = Allocation.objects.create(month=month)
    Allocation.objects.create(month=month_start(today), state=Allocation.State.DISTRIBUTED)
    case = Case.objects.create(child_ref="C-5150", service_area=own_area, legal_status="cin", open_since=today)
    AllocationItem.objects.create(allocation=allocation, case=case, auditor=practice_manager, reason="Theme")
    panels.panel_create(actor=qa_lead.user, kind="monthly", held_on=today + timedelta(days=9), members=[moderator])

    sign_in_as(page, live_server.url, qa_lead)

    expect_count(page, "Allocations to review", 1)
    expect_count(page, "Draft reports to publish", 1)
    expect_count(page, "Panels to prepare", 1)
    expect(waiting(page, "Panels to prepare")).to_contain_text("draw its sample")
    expect(page.get_by_text(NOTHING_DUE)).to_have_count(0)
    review = waiting(page, "Allocations to review")
    expect(review).to_contain_text("1 case proposed: review and distribute")
    review.get_by_role("link", name=f"Allocation for {month:%B %Y}").click()
    expect(page.get_by_role("heading", name=f"Allocation for {month:%B %Y}")).to_be_visible()
    assert_accessible(page)

    go_home(page, live_server.url)
    assert_accessible(page)
    title = f"Monthly audit analysis, {draft_report.period_start:%B %Y}"
    waiting(page, "Draft reports to publish").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert_accessible(page)


def test_a_moderator_finds_their_panel_coming_up_and_the_session_open_now(
    page: Page, live_server, qa_lead, moderator, tool_version, today
):
    panels.panel_create(actor=qa_lead.user, kind="monthly", held_on=today + timedelta(days=20), members=[moderator])
    audits = [AuditFactory(submitted=True, tool_version=tool_version) for _ in range(2)]
    session = panel_in_session(qa_lead, audits, members=[moderator], held_on=today)

    sign_in_as(page, live_server.url, moderator)

    expect_count(page, "Your panels coming up", 1)
    expect_count(page, "Panel sessions open now", 1)
    expect(page.get_by_text(NOTHING_DUE)).to_have_count(0)
    open_now = waiting(page, "Panel sessions open now")
    expect(open_now.get_by_role("listitem")).to_have_text([re.compile(r": 2 audits of 2 still to grade$")])
    open_now.get_by_role("link", name=re.compile(f"^Monthly heads-of-service panel, {today:%-d %B %Y}")).click()
    expect(page.get_by_role("heading", name=f"Moderation panel of {session.held_on:%-d %B %Y}")).to_be_visible()
    assert_accessible(page)


@pytest.fixture
def figures(today, senior_leader):
    """Two indicators with figures two months ago; last month's figure loaded for the first only, which
    the senior leader leads."""
    last, before = add_months(month_start(today), -1), add_months(month_start(today), -2)
    led = IndicatorFactory(code="M1", title="Assessments on time", lead=senior_leader)
    other = IndicatorFactory(code="M2", title="Visits on time")
    for indicator in (led, other):
        indicator_value(indicator, before, 80)
        Commentary.objects.create(indicator=indicator, period=before, commentary="Steady.")
    indicator_value(led, last, 82)
    return {"last": last, "before": before, "led": led, "other": other}


def test_the_performance_officer_finds_figures_to_load_commentary_to_write_and_months_to_lock(
    page: Page, live_server, performance_officer, figures
):
    last = figures["last"]
    sign_in_as(page, live_server.url, performance_officer)

    expect_count(page, f"Figures to load for {last:%B %Y}", 1)
    expect(waiting(page, "Figures to load").get_by_role("listitem")).to_have_text(["M2 Visits on time"])
    expect_count(page, f"Commentary to write for {last:%B %Y}", 2)
    expect_count(page, "Months to lock", 2)
    expect(waiting(page, "Months to lock").get_by_role("listitem")).to_have_text(
        [
            f"{last:%B %Y}: commentary missing on 2 indicators",
            f"{figures['before']:%B %Y}: all commentary written: lock it when its pack is final",
        ]
    )
    page.get_by_role("link", name=f"Load the figures for {last:%B %Y}").click()
    expect(page.get_by_role("heading", name="Load KPI values")).to_be_visible()
    assert_accessible(page)

    go_home(page, live_server.url)
    page.get_by_role("link", name=f"The commentary for {last:%B %Y}").click()
    expect(page.get_by_role("heading", name=f"Commentary: {last:%B %Y}")).to_be_visible()
    assert_accessible(page)


def test_a_senior_leader_and_the_reader_find_the_latest_report_and_scorecard_month(
    page: Page, live_server, senior_leader, reader, qa_lead, figures, draft_report
):
    Report.objects.filter(pk=draft_report.pk).update(
        state=Report.State.PUBLISHED, published_by=qa_lead, published_at=timezone.now()
    )
    title = f"Monthly audit analysis, {draft_report.period_start:%B %Y}"
    last = figures["last"]

    sign_in_as(page, live_server.url, senior_leader)
    expect_count(page, f"Commentary to write for {last:%B %Y}", 1)
    waiting(page, "Commentary to write").get_by_role("link", name="M1 Assessments on time").click()
    expect(page.get_by_role("heading", name=f"Commentary on M1 Assessments on time: {last:%B %Y}")).to_be_visible()
    assert_accessible(page)
    go_home(page, live_server.url)
    waiting(page, "Latest published report").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    sign_in_as(page, live_server.url, reader)
    expect(page.get_by_text(NOTHING_DUE)).to_have_count(0)
    expect(waiting(page, "Latest published report")).to_contain_text(title)
    expect(waiting(page, "Commentary to write")).to_have_count(0)
    waiting(page, "Latest scorecard month").get_by_role("link", name=f"Scorecard for {last:%B %Y}").click()
    expect(page.get_by_role("heading", name=f"Performance scorecard: {last:%B %Y}")).to_be_visible()
    assert_accessible(page)


def test_a_partner_auditor_is_told_in_a_sentence_then_finds_the_audit_allocated_to_them(
    page: Page, live_server, partner_auditor, tool_version
):
    sign_in_as(page, live_server.url, partner_auditor)
    expect(page.get_by_role("main")).to_contain_text(
        "You have no audits to complete. When the QA unit allocates you a partnership audit, "
        "or invites you to one, it is listed here."
    )
    expect(page.get_by_text(NOTHING_DUE)).to_have_count(0)
    sign_out(page)

    AuditFactory(draft=True, tool_version=tool_version, auditor=partner_auditor, case_reference="C-7001")
    sign_in_as(page, live_server.url, partner_auditor)
    complete = page.get_by_role("heading", name="Audits to complete").locator("xpath=following-sibling::ul[1]")
    complete.get_by_role("link", name="Case C-7001").click()
    expect(page.get_by_role("heading", name="Audit of case C-7001")).to_be_visible()
    assert_accessible(page)
