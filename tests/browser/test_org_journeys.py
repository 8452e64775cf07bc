"""Journeys through the organisation pages, clicking through as a person would."""

import re

import pytest
from playwright.sync_api import Page, expect

from quality.org.messages import CODE_TAKEN, LAST_ADMINISTRATOR, REASON_REQUIRED
from quality.org.models import ChangeRecord, Person, Role, ServiceArea

from .conftest import assert_accessible, main_nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_sets_up_an_area_a_team_and_a_person_with_a_role(
    page: Page, live_server, admin_person, other_area
):
    sign_in(page, live_server.url, admin_person.email)
    expect(page.get_by_role("heading", name="Hello, Ada Admin")).to_be_visible()
    assert_accessible(page)

    # A service area.
    main_nav(page).get_by_role("button", name="Organisation").click()
    main_nav(page).get_by_role("link", name="Service areas").click()
    expect(page.get_by_role("heading", name="Service areas")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New service area").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Children with Disabilities")
    page.get_by_label("Short code").fill("CWD")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Service area CWD created.")
    assert_accessible(page)

    # Open it from the list.
    main_nav(page).get_by_role("button", name="Organisation").click()
    main_nav(page).get_by_role("link", name="Service areas").click()
    page.get_by_role("link", name="Children with Disabilities").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Children with Disabilities")
    assert_accessible(page)

    # A team in it.
    page.get_by_role("link", name="New team").click()
    expect(page.get_by_role("heading", name="New team in CWD")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("CWD North")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Team created.")
    teams = page.get_by_role("region", name="Teams")
    expect(teams.get_by_role("listitem").filter(has_text="CWD North")).to_be_visible()
    assert_accessible(page)

    # A person.
    main_nav(page).get_by_role("button", name="Organisation").click()
    main_nav(page).get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New person").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Priya Manager")
    page.get_by_label("E-mail address").fill("priya.manager@council.example")
    page.get_by_label("Job title").fill("Practice manager")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Priya Manager")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Priya Manager added.")
    assert_accessible(page)

    # A role for that person.
    page.get_by_role("link", name="Add a role").click()
    expect(page.get_by_role("heading", name="Add a role for Priya Manager")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Role").select_option(label="Practice manager")
    page.get_by_label("Service area").select_option(label="Children with Disabilities (CWD)")
    # Choosing the area brings in its teams, and only its teams.
    expect(page.get_by_label("Team").locator("option")).to_have_text(["No team", "CWD North"])
    page.get_by_label("Team").select_option(label="CWD North")
    page.get_by_role("button", name="Add role").click()
    expect(page.get_by_role("status")).to_contain_text("Role added.")
    current_roles = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Since"))
    row = current_roles.get_by_role("row").filter(has_text="Practice manager")
    expect(row.get_by_role("cell")).to_have_text(
        ["Practice manager", "Children with Disabilities", "CWD North", re.compile(r"\d"), re.compile("End role")]
    )
    assert_accessible(page)

    sign_out(page)
    person = Person.objects.get(user__email="priya.manager@council.example")
    assert [(m.role, m.service_area.code, m.team.name) for m in person.memberships.current()] == [
        (Role.PRACTICE_MANAGER, "CWD", "CWD North")
    ]


def test_practice_manager_sees_only_their_own_area(page: Page, live_server, practice_manager, own_area, other_area):
    sign_in(page, live_server.url, practice_manager.user.email)
    expect(page.get_by_role("heading", name="Hello, Priya Manager")).to_be_visible()
    assert_accessible(page)
    # Only what a practice manager may use: their roles include audit tools but not the staff directory.
    # The menus' links too, folded away until a menu is opened; the one organisation page is a plain link.
    expect(page.locator("#main-nav").get_by_role("link", include_hidden=True)).to_have_text(
        ["Home", "Audits", "Actions", "Audit tools", "Schedule", "Case list", "Exemplars", "Scorecard", "Commentary"]
        + ["Complaints and compliments", "Supporting Families benchmarking", "Observations of practice"]
        + ["Service areas"]
    )
    expect(main_nav(page).get_by_role("button", name="Organisation")).to_have_count(0)
    # Not in any menu, folded away or not.
    expect(main_nav(page).get_by_role("link", name="People", include_hidden=True)).to_have_count(0)

    main_nav(page).get_by_role("link", name="Service areas").click()
    expect(page.get_by_role("heading", name="Service areas")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("link", name=own_area.name)).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text(other_area.name)
    expect(page.get_by_role("main")).not_to_contain_text(other_area.code)

    response = page.goto(f"{live_server.url}/org/people/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot use this page")).to_be_visible()
    assert_accessible(page)

    response = page.goto(f"{live_server.url}{other_area.get_absolute_url()}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page)


def test_duplicate_short_code_is_refused_next_to_the_field(page: Page, live_server, admin_person, own_area):
    areas_before = ServiceArea.objects.count()
    sign_in(page, live_server.url, admin_person.email)
    expect(page.get_by_role("heading", name="Hello, Ada Admin")).to_be_visible()
    assert_accessible(page)
    main_nav(page).get_by_role("button", name="Organisation").click()
    main_nav(page).get_by_role("link", name="Service areas").click()
    expect(page.get_by_role("heading", name="Service areas")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New service area").click()
    expect(page.get_by_role("heading", name="New service area")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Name").fill("Another Families Service")
    page.get_by_label("Short code").fill(own_area.code)
    page.get_by_role("button", name="Save").click()

    code = page.get_by_label("Short code")
    expect(page.locator("#div_id_code")).to_contain_text(CODE_TAKEN)
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(re.compile(re.escape(CODE_TAKEN)))
    expect(code).to_have_value(own_area.code)
    assert_accessible(page)
    assert ServiceArea.objects.count() == areas_before


def test_administrator_ends_a_role_saying_why_but_cannot_end_the_last_administrators(
    page: Page, live_server, admin_person, make_person, own_area
):
    colleague = make_person(Role.PRACTITIONER, own_area, full_name="Cal Colleague")
    sign_in(page, live_server.url, admin_person.email)
    expect(page.get_by_role("heading", name="Hello, Ada Admin")).to_be_visible()

    page.goto(f"{live_server.url}{colleague.get_absolute_url()}")
    page.get_by_role("link", name=re.compile(r"^End role\W+Practitioner, SWF$")).click()
    expect(page.get_by_role("heading", name="End a role of Cal Colleague")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="End role").click()
    reason = page.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile(re.escape(REASON_REQUIRED)))
    assert_accessible(page)
    reason.fill("Moved to the fostering service")
    page.get_by_role("button", name="End role").click()
    expect(page.get_by_role("status")).to_contain_text("Role ended: Practitioner, SWF.")
    expect(page.get_by_role("heading", name="Past roles")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}{admin_person.get_absolute_url()}")
    page.get_by_role("link", name=re.compile(r"^End role\W+Administrator, all areas$")).click()
    page.get_by_label("Reason").fill("Stepping down")
    page.get_by_role("button", name="End role").click()
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("listitem")).to_have_text([LAST_ADMINISTRATOR])  # the whole form's: no link
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)

    assert not colleague.memberships.current().exists()
    change = ChangeRecord.objects.get(action="membership.end")
    assert (change.reason, change.target) == ("Moved to the fostering service", colleague)
    assert admin_person.memberships.current().filter(role=Role.ADMINISTRATOR).exists()
