"""Journey through a month's allocation: the QA lead reviews the proposal (takes a case out with a
reason, adds another), distributes it, and the practice manager finds the new audit on their home page.

The proposal is made with the allocation service, as the scheduled job makes it; the people then
click through the pages as they would. Every page is checked with axe.
"""

import threading
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits.cycle.allocation import allocation_propose
from audits.models import Allocation, Audit, Case, ScheduleEntry
from quality.months import month_start
from quality.org.messages import REASON_REQUIRED
from quality.org.models import Role
from tests.factories import published_tool_version
from tests.org.test_tasks import celery_worker  # noqa: F401 (a fixture)

from .conftest import assert_accessible, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_person, qa_lead, other_manager, practitioner, own_area):
    """The shared cast (tests/conftest.py), but for the own area's two practice managers: the journey
    reads the proposal by their names, in the order the pool takes them (Alex, then Blake)."""
    return {
        "qa_lead": qa_lead,
        "alex": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Alex Manager"),
        "blake": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Blake Manager"),
        "casey": other_manager,
        "wendy": practitioner,
    }


@pytest.fixture
def open_cases(people, own_area, other_area, own_team):
    """This month's theme and the open cases a proposal picks from."""
    for area in (own_area, other_area):
        published_tool_version(area=area)
    month = month_start(timezone.localdate())
    ScheduleEntry.objects.create(
        kind=ScheduleEntry.Kind.THEME,
        title="Child protection",
        starts_on=month,
        audit_kind="monthly",
        legal_statuses=["cp"],
    )
    for ref, status, since in (("C-1001", "cp", 2019), ("C-1002", "cp", 2020), ("C-1003", "cin", 2021)):
        Case.objects.create(
            child_ref=ref,
            service_area=own_area,
            team=own_team,
            worker=people["wendy"],
            legal_status=status,
            open_since=date(since, 3, 1),
        )
    Case.objects.create(child_ref="C-2001", service_area=other_area, legal_status="cla", open_since=date(2020, 1, 1))
    return month


@pytest.fixture
def proposal(open_cases):
    return allocation_propose(month=open_cases)


def item_row(page: Page, reference: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=reference, exact=True))


def test_the_qa_lead_reviews_and_distributes_and_the_manager_sees_the_audit(page: Page, live_server, people, proposal):
    month = f"{proposal.month:%B %Y}"
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    expect(page.get_by_role("heading", name="Hello, Quinn Lead")).to_be_visible()

    page.goto(f"{live_server.url}/allocation/")
    expect(page.get_by_role("heading", name="Monthly allocation")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=month).click()

    expect(page.get_by_role("heading", name=f"Allocation for {month}")).to_be_visible()
    assert_accessible(page)
    swf = page.get_by_role("table", name="Social Work with Families (SWF): 2 cases")
    expect(item_row(page, "C-1001")).to_contain_text("Alex Manager")
    expect(item_row(page, "C-1001")).to_contain_text("fits the theme: child protection")
    expect(item_row(page, "C-1002")).to_contain_text("Blake Manager")
    expect(swf).to_be_visible()

    # Take C-1002 out: first without a reason (refused, next to the field), then with one.
    row = item_row(page, "C-1002")
    row.get_by_text("Remove or swap case C-1002").click()
    row.get_by_role("button", name="Remove case C-1002").click()
    expect(page.get_by_text(REASON_REQUIRED)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why remove case C-1002").fill("The family moved out of the area last week")
    page.get_by_role("button", name="Remove case C-1002").click()
    expect(page.get_by_role("status")).to_contain_text("Case C-1002 taken out of the allocation.")
    expect(page.get_by_text("Practice managers without a case")).to_be_visible()
    expect(page.get_by_role("table", name="Cases taken out of the proposal, with why")).to_contain_text(
        "The family moved out of the area last week"
    )
    assert_accessible(page)

    # Add C-1003 for Blake instead.
    page.get_by_role("combobox", name="Auditor").select_option(label="Blake Manager (SWF)")
    page.get_by_label("Case reference").fill("C-1003")
    page.get_by_label("Why add this case").fill("A child in need case this month, to compare with CP practice")
    page.get_by_role("button", name="Add the case").click()
    expect(page.get_by_role("status")).to_contain_text("Case C-1003 added for Blake Manager.")
    expect(item_row(page, "C-1003")).to_contain_text("Blake Manager")
    expect(page.get_by_text("Practice managers without a case")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("I have reviewed this allocation").check()
    page.get_by_role("button", name="Distribute the allocation").click()
    expect(page.get_by_role("status")).to_contain_text("Allocation distributed: 3 audit(s) created")
    expect(item_row(page, "C-1003").get_by_role("link", name="Audit of case C-1003")).to_be_visible()
    expect(page.get_by_role("button", name="Distribute the allocation")).to_have_count(0)
    assert_accessible(page)
    assert Allocation.objects.get().state == Allocation.State.DISTRIBUTED
    audit = Audit.objects.get(case_reference="C-1003")
    assert (audit.auditor, audit.due_on) == (people["blake"], proposal.month.replace(day=28))

    sign_out(page)
    sign_in(page, live_server.url, people["blake"].user.email)
    expect(page.get_by_role("heading", name="Hello, Blake Manager")).to_be_visible()
    due = page.get_by_role("region", name="What is due for you")
    expect(due.get_by_role("link", name="Case C-1003")).to_be_visible()
    expect(due).to_contain_text(f"due {audit.due_on:%-d %b %Y}")
    # One message for the month's cases, not one per audit.
    expect(page.get_by_role("link", name=f"Your audits for {month}: 1 case")).to_be_visible()
    expect(page.get_by_role("link", name="Audit allocated: case C-1003")).to_have_count(0)
    assert_accessible(page)


@pytest.fixture
def proposal_held(monkeypatch):
    """The worker's proposal waits until the test lets it go: a fast worker would otherwise make it
    before the month's page is drawn, and the page would never show it being made."""
    release = threading.Event()

    def held(**kwargs):
        assert release.wait(timeout=60), "the test never let the proposal go"
        return allocation_propose(**kwargs)

    monkeypatch.setattr("audits.cycle.allocation.allocation_propose", held)
    yield release
    release.set()


def test_propose_now_shows_the_proposal_being_made_and_the_page_shows_it_once_ready(
    page: Page,
    live_server,
    celery_worker,  # noqa: F811 (a real worker on Redis makes the proposal)
    proposal_held,
    people,
    open_cases,
):
    month = f"{open_cases:%B %Y}"
    sign_in(page, live_server.url, people["qa_lead"].user.email)
    page.goto(f"{live_server.url}/allocation/")
    assert_accessible(page)

    page.get_by_role("button", name=f"Propose now for {month}").click()

    # The month's page says the proposal is being made, then shows it without being reloaded by hand.
    expect(page.get_by_role("heading", name=f"Allocation for {month}")).to_be_visible()
    expect(page.get_by_role("progressbar", name=f"Making the proposal for {month}")).to_be_visible()
    assert_accessible(page)
    address = page.url
    proposal_held.set()
    expect(page.get_by_role("heading", name="Cases by service area and auditor")).to_be_visible(timeout=60_000)
    assert page.url == address
    expect(item_row(page, "C-1001")).to_contain_text("Alex Manager")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    assert_accessible(page)
    assert Allocation.objects.get().proposed_by == people["qa_lead"].user
