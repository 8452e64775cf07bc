"""Journey: a practice manager opens an audit; the QA lead then opens it, sees the manager in "Who has
seen this audit", follows to the search, searches by the case reference and finds both openings, with
the reference never in the address bar.

Dates come from the machine's clock: these tests run against the real date.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services
from quality.org.models import Role
from tests.factories import published_tool_version

from .conftest import CONTEXT_ARGS, assert_accessible, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE = "C-104233"


@pytest.fixture
def people(make_person, practice_manager):
    # Not the shared "Quinn Lead": the journey finds the QA lead's own opening by the name "Quinn QA".
    return {"qa_lead": make_person(Role.QA_LEAD, full_name="Quinn QA"), "manager": practice_manager}


@pytest.fixture
def audit(people, own_area):
    actor = people["qa_lead"].user
    version = published_tool_version(area=own_area, actor=people["qa_lead"])
    today = timezone.localdate()
    return services.audit_create(
        actor=actor,
        case_reference=CASE,
        service_area=own_area,
        auditor=people["manager"],
        tool_version=version,
        period_end=today - timedelta(days=7),
        due_on=today + timedelta(days=21),
    )


def test_the_qa_lead_sees_who_has_seen_an_audit_and_finds_it_by_case_reference(
    page: Page, browser, live_server, people, audit
):
    sign_in_as(page, live_server.url, people["manager"])
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    expect(page.get_by_role("heading", name=f"Audit of case {CASE}")).to_be_visible()
    expect(page.get_by_role("heading", name="Who has seen this audit")).to_have_count(0)
    assert_accessible(page)

    # The QA lead, at their own desk.
    lead = browser.new_context(**CONTEXT_ARGS).new_page()
    sign_in_as(lead, live_server.url, people["qa_lead"])
    lead.goto(f"{live_server.url}{audit.get_absolute_url()}")
    seen = lead.get_by_role("region", name="Who has seen this audit")
    expect(seen.get_by_role("row").filter(has_text="Priya Manager")).to_contain_text("Viewed")
    expect(seen.get_by_role("row").filter(has_text="Quinn QA")).to_contain_text("Viewed")
    assert_accessible(lead)

    seen.get_by_role("link", name="Every record of who saw this audit").click()
    expect(lead.get_by_role("heading", name="Who saw which record")).to_be_visible()
    expect(lead.get_by_role("table").get_by_role("row").filter(has_text=CASE)).to_have_count(2)
    assert_accessible(lead)

    lead.get_by_role("link", name="Clear the search").click()
    lead.get_by_label("Case reference").fill(CASE.lower())
    lead.get_by_role("button", name="Search").click()
    found = lead.get_by_role("table").get_by_role("row").filter(has_text=CASE)
    expect(found).to_have_count(2)
    expect(found.filter(has_text="Priya Manager")).to_contain_text("Viewed")
    expect(found.filter(has_text="Quinn QA")).to_contain_text("Viewed")
    assert CASE.lower() not in lead.url.lower()
    assert_accessible(lead)
