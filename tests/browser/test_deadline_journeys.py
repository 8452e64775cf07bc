"""Journeys through the cycle's deadlines: a service lead finds overdue oversight on the home page,
opens the overdue lists and clears it from there; a QA officer reads the overdue counts; a QA lead pages
through a long overdue list and follows a home panel's "see all" link.

Dates are set relative to the real day the test runs (the live server is not time-travelled): audits
due about ten weeks ago, so their oversight (the 5th after) and record (the 6th) deadlines have passed.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services
from audits.models import Audit
from tests.factories import AuditFactory, published_tool_version

from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(qa_officer, practice_manager, other_manager, service_lead, practitioner):
    """The shared cast (tests/conftest.py) by their part in the journeys."""
    return {
        "qa_officer": qa_officer,
        "manager": practice_manager,
        "other_manager": other_manager,
        "lead": service_lead,
        "worker": practitioner,
    }


@pytest.fixture
def late(people, own_area, other_area):
    """C-7001 submitted but without oversight, long after its deadline; P-7002, in the other area,
    still a draft long after it was due; C-7003 a draft due in two days."""
    qa = people["qa_officer"].user
    versions = {area: published_tool_version(area=area, actor=people["qa_officer"]) for area in (own_area, other_area)}
    long_ago = timezone.localdate() - timedelta(days=70)

    def create(reference, area, auditor, due_on):
        return services.audit_create(
            actor=qa,
            case_reference=reference,
            service_area=area,
            auditor=auditor,
            tool_version=versions[area],
            period_end=date(2026, 9, 30),
            due_on=due_on,
        )

    submitted = create("C-7001", own_area, people["manager"], long_ago)
    submitted = services.audit_save_draft(
        actor=people["manager"].user,
        audit=submitted,
        revision=submitted.revision,
        answers=services.seven_area_answers("good", "Seen in the chronology and the plan."),
        fields={"overall_grade": "good", "discussion_held": True, "discussion_on": long_ago},
    )
    services.audit_submit(actor=people["manager"].user, audit=submitted)
    create("P-7002", other_area, people["other_manager"], long_ago)
    create("C-7003", own_area, people["manager"], timezone.localdate() + timedelta(days=2))
    return Audit.objects.get(case_reference="C-7001")


def panel_list(page: Page, heading: str):
    """One list of the home page's "What is due for you" panel, found by its heading."""
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    return page.get_by_role("heading", name=heading).locator("xpath=following-sibling::ul[1]")


def overdue_table(page: Page, title: str):
    return page.get_by_role("table", name=title)


def test_a_service_lead_finds_overdue_oversight_at_home_and_clears_it_from_the_overdue_lists(
    page: Page, live_server, people, late
):
    sign_in(page, live_server.url, people["lead"].user.email)
    expect(page.get_by_role("heading", name="Hello, Sam Lead")).to_be_visible()
    assert_accessible(page)
    oversee = panel_list(page, "Audits awaiting your oversight")
    expect(oversee.get_by_role("listitem")).to_have_count(1)
    expect(oversee.get_by_role("listitem")).to_contain_text("Case C-7001")
    expect(oversee.get_by_role("listitem")).to_contain_text("Overdue")

    page.get_by_role("link", name="The overdue lists").click()
    expect(page.get_by_role("heading", name="Overdue audits", exact=True)).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("heading", name="Oversight not recorded (1)")).to_be_visible()
    row = overdue_table(page, "Oversight not recorded, the longest overdue first").get_by_role("row", name="C-7001")
    expect(row).to_contain_text("Priya Manager")
    expect(row).to_contain_text("days")
    expect(page.get_by_role("main")).not_to_contain_text("P-7002")  # another service area's

    row.get_by_role("link", name="Record oversight of case C-7001").click()
    expect(page.get_by_role("heading", name="Audit of case C-7001")).to_contain_text("Submitted, awaiting oversight")
    assert_accessible(page)
    page.get_by_label("Oversight comment").fill("Read late, but a thorough audit.")
    page.get_by_role("button", name="Confirm oversight").click()
    expect(page.get_by_role("status").first).to_contain_text("Oversight recorded.")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Audits awaiting your oversight")).to_have_count(0)
    page.get_by_role("link", name="The overdue lists").click()
    expect(page.get_by_role("heading", name="Oversight not recorded (0)")).to_be_visible()
    # Its record deadline (the 6th) has passed too: the service lead marks it from the list.
    expect(page.get_by_role("heading", name="Not on the child's record (1)")).to_be_visible()
    assert_accessible(page)
    record = overdue_table(page, "Not on the child's record, the longest overdue first")
    record.get_by_role("button", name="Mark as on the record (case C-7001)").click()
    expect(page.get_by_role("heading", name="Audit of case C-7001")).to_contain_text("Closed")
    assert Audit.objects.get(pk=late.pk).state == Audit.State.CLOSED


def test_a_qa_officer_sees_the_overdue_counts_and_opens_the_lists_of_every_area(
    page: Page, live_server, people, late, other_area
):
    sign_in(page, live_server.url, people["qa_officer"].user.email)
    expect(page.get_by_role("heading", name="Hello, Otto Officer")).to_be_visible()
    assert_accessible(page)
    counts = panel_list(page, "Overdue across the service areas")
    expect(counts.get_by_role("listitem")).to_have_text(
        ["1 audit not completed", "1 audit without oversight", "0 audits not on the child's record"]
    )

    page.get_by_role("link", name="The overdue lists").click()
    expect(page.get_by_role("heading", name="Overdue audits", exact=True)).to_be_visible()
    assert_accessible(page)
    by_area = page.get_by_role("table", name="Overdue audits per service area")
    expect(by_area.get_by_role("row", name="Social Work with Families")).to_contain_text("1")
    expect(by_area.get_by_role("row", name="All service areas")).to_contain_text("2")

    by_area.get_by_role("link", name="Pathways Through Care").click()
    expect(page.get_by_label("Service area", exact=True)).to_have_value(str(other_area.pk))
    expect(page.get_by_role("heading", name="Audits not completed (1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Oversight not recorded (0)")).to_be_visible()
    expect(overdue_table(page, "Audits not completed, the longest overdue first")).to_contain_text("P-7002")
    expect(page.get_by_role("main")).not_to_contain_text("C-7003")  # due in two days: not overdue
    assert_accessible(page)


def test_a_qa_lead_pages_through_a_long_overdue_list_and_follows_see_all_from_home(
    page: Page, live_server, qa_lead, people, own_area
):
    """30 drafts long overdue, each a day later than the one before: the list shows 10 a page, the
    home page's disputes panel its first 10 of 12 with a link to them all."""
    version = published_tool_version(area=own_area, actor=people["qa_officer"])
    first_due = timezone.localdate() - timedelta(days=60)
    for i in range(30):
        AuditFactory(
            draft=True,
            tool_version=version,
            auditor=people["manager"],
            case_reference=f"L-{i:03}",
            due_on=first_due + timedelta(days=i),
        )
    for _ in range(12):
        AuditFactory(tool_version=version, auditor=people["manager"], state=Audit.State.DISPUTED)
    sign_in(page, live_server.url, qa_lead.user.email)

    disputes = panel_list(page, "Disputed grades to resolve")
    expect(disputes.get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_text("10 of 12 shown.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="See all 12 disputed grades").click()
    expect(page.get_by_text("12 audits match.")).to_be_visible()

    page.goto(f"{live_server.url}/escalations/overdue/")
    expect(page.get_by_role("heading", name="Audits not completed (30)")).to_be_visible()
    drafts = overdue_table(page, "Audits not completed, the longest overdue first")
    expect(drafts.get_by_role("row")).to_have_count(11)  # the header and 10 rows
    expect(drafts.get_by_role("row").nth(1)).to_contain_text("L-000")
    assert_accessible(page)
    pages = page.get_by_role("navigation", name="Audits not completed: pages")
    pages.get_by_role("link", name="3", exact=True).click()
    expect(drafts.get_by_role("row")).to_have_count(11)
    expect(drafts.get_by_role("row").nth(1)).to_contain_text("L-020")
    expect(page.get_by_text("Page 3 of 3, 10 a page")).to_be_visible()
    assert_accessible(page)
