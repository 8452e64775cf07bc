"""Journey through the triangulation pages: the QA lead opens a service area's page from the menu,
reads a flagged disagreement (good audit grades beside a red KPI), raises the rule's threshold and sees
the flag go. axe-core checks every page visited. Dates are read from the clock once (tests/clock.py)."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from performance.calculations import financial_year
from performance.models import IndicatorYear
from quality.months import month_start
from tests.factories import AuditFactory, IndicatorFactory, indicator_value

from .conftest import assert_accessible, expect_refused, main_nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_qa_lead_reads_a_flag_and_adjusts_its_rule(page: Page, live_server, qa_lead, tool_version, own_area):
    now = timezone.now()
    month = month_start(timezone.localdate())
    for grade in ("good", "good", "good", "outstanding", "requires_improvement"):  # 80% good or outstanding
        AuditFactory(tool_version=tool_version, overall_grade=grade, submitted_at=now)
    indicator = IndicatorFactory(title="Timeliness of assessments")
    IndicatorYear.objects.create(indicator=indicator, year=financial_year(month), target=90)
    indicator_value(indicator, month, 50, service_area=own_area)
    flag = f"80% of audits were graded good or outstanding, yet 'Timeliness of assessments' was red in {month:%B %Y}."

    sign_in(page, live_server.url, qa_lead.user.email)
    main_nav(page).get_by_role("button", name="Reports").click()
    main_nav(page).get_by_role("link", name="Triangulation", exact=True).click()
    expect(page.get_by_role("heading", name="Triangulation", level=1)).to_be_visible()
    assert_accessible(page)
    by_area = page.get_by_role("region", name="A service area")
    by_area.get_by_label("Service area").select_option(label=f"{own_area.name} ({own_area.code})")
    by_area.get_by_role("textbox", name="Period").fill(f"{month:%Y-%m}")
    by_area.get_by_role("button", name="Show the service area").click()
    expect(page.get_by_role("heading", name=f"{own_area.code}: {own_area.name}, {month:%B %Y}")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=flag)).to_be_visible()
    expect(page.get_by_role("row", name="Timeliness of assessments")).to_contain_text("Red")
    assert_accessible(page)
    area_page = page.url

    page.get_by_role("link", name="Adjust the rules").click()
    expect(page.get_by_role("heading", name="Triangulation rules", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Change the rule Good audit grades beside a red KPI").click()
    expect(page.get_by_role("heading", name="Change the rule Good audit grades beside a red KPI")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Good or outstanding grades, at least (%)").fill("90")
    page.get_by_role("button", name="Save").click()
    expect_refused(page, "This field is required.")
    assert_accessible(page)
    page.get_by_label("Why you are changing it").fill("Flag only clearly good grades")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the rule 'Good audit grades beside a red KPI'.")).to_be_visible()
    expect(page.get_by_role("row", name="Good audit grades beside a red KPI")).to_contain_text("(90% or more")
    assert_accessible(page)

    page.goto(area_page)
    expect(page.get_by_text("No rule flags a disagreement for this period.")).to_be_visible()
    expect(page.get_by_text(flag)).to_have_count(0)
    assert_accessible(page)
