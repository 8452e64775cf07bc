"""Browser journeys through the audit lists and the voices of children and families, checked with axe-core."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits.models import Audit
from tests.factories import published_tool_version

from .conftest import assert_accessible, main_nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submitted_audits(qa_lead, practice_manager, other_manager, own_area, other_area, own_team):
    """One submitted audit in each area, on the shared tool; only the own area's has the child's views."""
    version = published_tool_version(actor=qa_lead)
    auditors = {own_area: practice_manager, other_area: other_manager}
    for reference, area, views in (("C-1001", own_area, "I feel safe at home."), ("P-2001", other_area, "")):
        Audit.objects.create(
            case_reference=reference,
            service_area=area,
            team=own_team if area == own_area else None,
            auditor=auditors[area],
            tool_version=version,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            state=Audit.State.SUBMITTED,
            submitted_at=timezone.now() - timedelta(days=6),  # Chromium keeps the machine's clock
            overall_grade="good",
            child_family_views=views,
        )


def test_qa_lead_filters_all_audits_by_area_and_reads_the_voices(
    page: Page, live_server, qa_lead, own_area, submitted_audits
):
    sign_in(page, live_server.url, qa_lead.user.email)

    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Audits").click()
    expect(page.get_by_role("heading", name="My area's audits")).to_be_visible()
    page.get_by_role("link", name="All audits").click()
    expect(page.get_by_role("heading", name="All audits")).to_be_visible()
    expect(page.get_by_role("link", name="P-2001")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Service area").select_option(label=str(own_area))
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="C-1001")).to_be_visible()
    expect(page.get_by_role("link", name="P-2001")).to_have_count(0)
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute(
        "href",
        f"/audits/all/export.csv?month=&service_area={own_area.pk}&team=&kind=&theme=&overall_grade=&state=&auditor="
        "&completed_from=&completed_to=&practice_theme=",
    )
    assert_accessible(page)

    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Voices").click()
    expect(page.get_by_role("heading", name="Voices of children and families")).to_be_visible()
    expect(page.get_by_role("cell", name="I feel safe at home.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="C-1001").click()
    expect(page).to_have_url(f"{live_server.url}{Audit.objects.get(case_reference='C-1001').get_absolute_url()}")


def test_a_list_longer_than_the_count_cap_pages_on_with_previous_and_next(
    page: Page, live_server, qa_lead, practice_manager, own_area, monkeypatch
):
    """Beyond quality.pagination.COUNT_CAP a list says "more than"; its pages are numbered as far as the
    rows counted, then "next" follows the last row seen and a page leads back to the first; its nav
    keeps the landmark."""
    from quality import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    version = published_tool_version(actor=qa_lead)
    for number in range(1, 8):
        Audit.objects.create(
            case_reference=f"C-30{number:02d}",
            service_area=own_area,
            auditor=practice_manager,
            tool_version=version,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            state=Audit.State.SUBMITTED,
            submitted_at=timezone.now() - timedelta(days=6),  # Chromium keeps the machine's clock
            overall_grade="good",
        )
    sign_in(page, live_server.url, qa_lead.user.email)

    page.goto(f"{live_server.url}/audits/all/?per_page=2")
    expect(page.get_by_text("More than 3 audits match.")).to_be_visible()
    pages = page.get_by_role("navigation", name="Table navigation")
    expect(pages.get_by_role("link", name="previous")).to_have_count(0)
    pages.get_by_role("link", name="next").click()  # page 2: rows 3 and 4, the last rows counted
    expect(page).to_have_url(f"{live_server.url}/audits/all/?per_page=2&page=2")
    expect(pages.get_by_role("link", name="previous")).to_be_visible()
    pages.get_by_role("link", name="next").click()  # rows 5 and 6, after the last row seen
    last_seen = Audit.objects.get(case_reference="C-3004").pk
    expect(page).to_have_url(f"{live_server.url}/audits/all/?per_page=2&page=&after={last_seen}")
    expect(page.get_by_role("link", name="C-3002")).to_be_visible()
    expect(pages.get_by_role("link", name="first page")).to_be_visible()
    assert_accessible(page)

    pages.get_by_role("link", name="next").click()  # the last page: one row, no next
    expect(page.get_by_role("link", name="C-3001")).to_be_visible()
    expect(pages.get_by_role("link", name="next")).to_have_count(0)
    assert_accessible(page)
