"""Journeys through starting an audit and inviting a partner agency to it, checked with axe-core."""

import pytest
from playwright.sync_api import Page, expect

from audits.models import Audit, AuditParticipant
from quality.org.models import Notification, Role
from tests.factories import published_tool_version

from .conftest import assert_accessible, main_nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_person, qa_lead, practitioner, partner_auditor, own_team):
    """The shared cast (tests/conftest.py), and a second partner agency's auditor the journey invites."""
    published_tool_version(actor=qa_lead, name="Partnership audit", purpose="partnership")
    return {
        "qa_lead": qa_lead,
        "worker": practitioner,
        "partner": partner_auditor,
        "second_partner": make_person(Role.PARTNER_AUDITOR, full_name="Sol Second", organisation="Police"),
    }


def sign_in_as(page: Page, live_server, people, who):
    sign_in(page, live_server.url, people[who].user.email)
    expect(page.get_by_role("heading", name=f"Hello, {people[who].full_name}")).to_be_visible()
    assert_accessible(page)


def test_the_qa_lead_starts_a_partnership_audit_invites_a_second_partner_who_finds_it_at_home(
    page: Page, live_server, people
):
    sign_in_as(page, live_server, people, "qa_lead")
    main_nav(page).get_by_role("link", name="Audits").click()
    assert_accessible(page)
    page.get_by_role("link", name="Start an audit").click()
    expect(page.get_by_role("heading", name="Start an audit")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Case reference").fill("c-7001")
    page.get_by_label("Service area").select_option(label="Social Work with Families (SWF)")
    page.get_by_label("Team").select_option(label="SWF East")
    page.get_by_label("Case holder").select_option(label="Wendy Worker")
    page.get_by_label("Kind of audit").select_option(label="Partnership audit")
    page.get_by_label("Theme").fill("Domestic abuse")
    page.get_by_label("Auditor").select_option(label="Pat Partner, Health")
    page.get_by_label("Audit tool").select_option(label="Partnership audit, version 1")
    page.get_by_label("Due date").fill("2026-12-31")
    page.get_by_role("button", name="Start the audit").click()

    expect(page.get_by_role("heading", name="Audit of case C-7001")).to_contain_text("Draft")
    expect(page.get_by_role("status").first).to_contain_text("Audit started. Pat Partner has been told.")
    assert_accessible(page)
    audit = Audit.objects.get()
    assert (audit.kind, audit.auditor, audit.theme) == ("partnership", people["partner"], "Domestic abuse")
    assert Notification.objects.filter(recipient=people["partner"].user, subject="Audit allocated: case C-7001")

    page.get_by_label("Invite someone to work on this audit").select_option(label="Sol Second, Police")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status").first).to_contain_text("Sol Second is invited and has been told.")
    working = page.get_by_role("region", name="Working on this audit")
    expect(working.get_by_role("listitem")).to_contain_text(["Sol Second, Police: invited"])
    assert_accessible(page)
    assert AuditParticipant.objects.get().person == people["second_partner"]
    sign_out(page)

    sign_in_as(page, live_server, people, "second_partner")
    complete = page.get_by_role("heading", name="Audits to complete").locator("xpath=following-sibling::ul[1]")
    expect(complete.get_by_role("link")).to_have_text(["Case C-7001"])
    complete.get_by_role("link", name="Case C-7001").click()
    expect(page.get_by_role("heading", name="Audit of case C-7001")).to_be_visible()
    expect(page.get_by_role("button", name="Submit the audit")).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("Pat Partner, the auditor, submits the audit.")
    assert_accessible(page)
