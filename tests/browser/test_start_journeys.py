"""Journeys through starting an audit and inviting a partner agency to it, checked with axe-core."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services as audit_services
from audits.lists import NO_OWN_AUDITS
from audits.models import Audit, AuditParticipant
from quality.forms import DATE_HINT
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
    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Audits").click()
    assert_accessible(page)
    page.get_by_role("link", name="Start an audit").click()
    expect(page.get_by_role("heading", name="Start an audit")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Case reference").fill("c-7001")
    # The team list offers nothing until the area is chosen, then only that area's teams.
    expect(page.get_by_label("Team").locator("option")).to_have_text(["Choose the service area first"])
    page.get_by_label("Service area").select_option(label="Social Work with Families (SWF)")
    expect(page.get_by_label("Team").locator("option")).to_have_text(["No team", "SWF East"])
    assert_accessible(page)
    page.get_by_label("Team").select_option(label="SWF East")
    page.get_by_label("Case holder").select_option(label="Wendy Worker")
    page.get_by_label("Kind of audit").select_option(label="Partnership audit")
    page.get_by_label("Theme").fill("Domestic abuse")
    page.get_by_label("Auditor").select_option(label="Pat Partner, Health")
    page.get_by_label("Audit tool").select_option(label="Partnership audit, version 1")
    # Dates are typed the English way, day first and without leading zeros, as the example says.
    due = timezone.localdate() + timedelta(days=40)
    due_box = page.get_by_label("Due date")
    expect(due_box).to_have_attribute("type", "text")
    expect(page.locator(f"#{due_box.get_attribute('aria-describedby').split()[-1]}")).to_have_text(DATE_HINT)
    due_box.fill(f"{due.day}/{due.month}/{due.year}")
    page.get_by_role("button", name="Start the audit").click()

    expect(page.get_by_role("heading", name="Audit of case C-7001")).to_contain_text("Draft")
    expect(page.get_by_role("status").first).to_contain_text("Audit started. Pat Partner has been told.")
    assert_accessible(page)
    audit = Audit.objects.get()
    assert (audit.kind, audit.auditor, audit.theme) == ("partnership", people["partner"], "Domestic abuse")
    assert (audit.team.name, audit.due_on) == ("SWF East", due)
    expect(page.get_by_role("main")).to_contain_text(f"{due.day} {due:%b %Y}")  # shown day first, in words
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


def _partner_list(page: Page):
    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Audits").click()
    expect(page.get_by_role("heading", name="Your audits", level=1)).to_be_visible()
    # Only their own audits: none of the staff's tabs, filters or exports.
    expect(page.get_by_role("link", name=re.compile("Export"))).to_have_count(0)
    expect(page.get_by_role("navigation", name="Which audits")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert_accessible(page)


def test_a_partner_auditor_finds_just_their_own_audits_under_audits(page: Page, live_server, people, own_area):
    sign_in_as(page, live_server, people, "second_partner")
    _partner_list(page)
    expect(page.get_by_role("main")).to_contain_text(NO_OWN_AUDITS)
    expect(page.get_by_role("table")).to_have_count(0)
    sign_out(page)

    version = published_tool_version(area=own_area, name="SWF partnership audit", purpose="partnership")
    audit_services.audit_create(
        actor=people["qa_lead"].user,
        case_reference="C-7002",
        service_area=own_area,
        case_holder=people["worker"],
        auditor=people["partner"],
        kind=Audit.Kind.PARTNERSHIP,
        tool_version=version,
    )
    sign_in_as(page, live_server, people, "partner")
    _partner_list(page)
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and their one audit
    rows.nth(1).get_by_role("link", name="C-7002").click()
    expect(page.get_by_role("heading", name="Audit of case C-7002")).to_be_visible()
    assert_accessible(page)
