"""Journey through learning actions: the case holder finds an overdue action and closes it with evidence.

Data is made with the audit services; the person then clicks through the pages as they would.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services
from audits.messages import OUTCOME_REQUIRED
from audits.models import LearningAction

from .conftest import assert_accessible, expect_refused, main_nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def audit(qa_lead, practice_manager, own_area, practitioner, tool_version):
    return services.audit_create(
        actor=qa_lead.user,
        case_reference="C-2041",
        service_area=own_area,
        case_holder=practitioner,
        auditor=practice_manager,
        tool_version=tool_version,
        period_end=date(2026, 10, 31),
    )


def row(page: Page, text: str):
    return page.get_by_role("row").filter(has_text=text)


def test_the_case_holder_closes_an_overdue_action_with_evidence(page: Page, live_server, practitioner, audit):
    today = timezone.localdate()
    overdue = services.action_add(
        audit=audit, description="Update the chronology", owner=practitioner, due_on=today - timedelta(days=3)
    )
    services.action_add(
        audit=audit, description="Visit the family", owner=practitioner, due_on=today + timedelta(days=10)
    )

    sign_in(page, live_server.url, practitioner.user.email)
    expect(page.get_by_role("heading", name="Hello, Wendy Worker")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("link", name="My actions")).to_be_visible()

    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Actions").click()
    expect(page.get_by_role("heading", name="My actions")).to_be_visible()
    assert_accessible(page)
    expect(row(page, "Update the chronology")).to_contain_text("Overdue")
    expect(row(page, "Visit the family")).not_to_contain_text("Overdue")
    expect(row(page, "Update the chronology").get_by_role("link", name="C-2041")).to_be_visible()

    row(page, "Update the chronology").get_by_role("link", name="Update the chronology").click()
    expect(page.get_by_role("heading", name="Action on case C-2041")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Close the action").click()
    expect_refused(page, OUTCOME_REQUIRED)
    assert_accessible(page)
    assert LearningAction.objects.get(pk=overdue.pk).status == LearningAction.Status.OPEN

    page.get_by_label("Evidence it was done, or why it is no longer needed").fill("Chronology updated and checked.")
    page.get_by_role("button", name="Close the action").click()
    expect(page.get_by_role("status").first).to_contain_text("Action closed.")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Closed by")
    expect(main).to_contain_text("Wendy Worker")
    expect(main).to_contain_text("Chronology updated and checked.")
    expect(page.get_by_role("button", name="Close the action")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="My actions").click()
    expect(page.get_by_role("heading", name="My actions")).to_be_visible()
    expect(row(page, "Update the chronology")).to_contain_text("Done")
    expect(row(page, "Update the chronology")).to_contain_text("by Wendy Worker")
    expect(row(page, "Update the chronology")).not_to_contain_text("Overdue")
    assert_accessible(page)
