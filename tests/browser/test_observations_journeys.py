"""A practice manager plans and records an observation of a practitioner of their team, with its action
plan, marks an action reviewed as done, and the coverage page counts the practitioner as observed;
axe-core checks every page. Chromium keeps the machine's clock: the dates are the pages' own defaults
(today, from timezone.localdate())."""

import pytest
from playwright.sync_api import Page, expect

from evidence.observations.demo import observation_tool_version
from evidence.observations.models import Observation
from quality.org.models import Role
from tests.factories import MembershipFactory, PersonFactory, TeamFactory

from .conftest import assert_accessible, main_nav, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _member(role, team, name):
    person = PersonFactory(full_name=name)
    MembershipFactory(person=person, role=role, service_area=team.service_area, team=team)
    return person


def _open_coverage(page: Page) -> None:
    nav = main_nav(page)
    reports = nav.get_by_role("button", name="Reports")
    if reports.count():
        reports.click()
    nav.get_by_role("link", name="Observations of practice").click()
    expect(page.get_by_role("heading", name="Observations of practice", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Coverage").click()
    expect(page.get_by_role("heading", name="Observation coverage")).to_be_visible()
    assert_accessible(page)


def test_a_manager_records_an_observation_and_its_action_plan_and_the_coverage_page_updates(
    page: Page, live_server, own_area
):
    observation_tool_version()
    team = TeamFactory(service_area=own_area, name="SWF East")
    manager = _member(Role.PRACTICE_MANAGER, team, "Erin Eastmanager")
    _member(Role.PRACTITIONER, team, "Wendy Worker")
    row = page.locator(f'tr[data-team="{team.pk}"]')

    sign_in_as(page, live_server.url, manager)
    _open_coverage(page)
    expect(row.locator('[data-figure="overdue"]')).to_have_text("1")
    expect(row.locator('[data-figure="observed"]')).to_have_text("0")
    expect(page.get_by_role("row", name="Wendy Worker")).to_contain_text("Never")

    page.get_by_role("link", name="Plan an observation").click()
    expect(page.get_by_role("heading", name="Plan an observation")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Practitioner").select_option(label="Wendy Worker")
    page.get_by_label("1:1 work with a child").check()
    page.get_by_label("Observation form").select_option(label="Observation of practice, version 1")
    page.get_by_role("button", name="Plan the observation").click()
    expect(page.get_by_role("heading", name="Observation of Wendy Worker")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Record the observation").click()
    expect(page.get_by_role("heading", name="Record the observation of Wendy Worker")).to_be_visible()
    assert_accessible(page)
    page.locator('input[name="q-relationship"][value="good"]').check()
    page.locator('input[name="q-child-voice"][value="yes"]').check()
    page.get_by_label("Strengths", exact=True).fill("Warm and patient; used the three houses well.")
    page.get_by_label("Areas for development").fill("Record the child's words the same day.")
    page.locator("#id_item-0-text").fill("Record the child's own words in each visit")
    page.locator("#id_item-0-owner").select_option(label="Wendy Worker")
    page.locator("#id_item-0-review_on").fill(page.locator("#id_observed_on").input_value())
    page.get_by_role("button", name="Record the observation").click()

    expect(page.get_by_text("Recorded the observation and its action plan.")).to_be_visible()
    expect(page.get_by_text("Warm and patient; used the three houses well.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Recorded the action as reviewed and done.")).to_be_visible()
    expect(page.get_by_role("cell", name="Done: reviewed in supervision on")).to_be_visible()
    assert_accessible(page)
    observation = Observation.objects.get()
    assert observation.state == Observation.State.RECORDED
    assert observation.action_items.get().done_on is not None

    _open_coverage(page)
    expect(row.locator('[data-figure="observed"]')).to_have_text("1")
    expect(row.locator('[data-figure="overdue"]')).to_have_text("0")
    expect(page.get_by_role("row", name="Wendy Worker")).to_contain_text("Observed")
