"""A moderator who also manages practice in the area reads the area's audits while a blind panel has one
of them before them (issue 13, item 8): the area list and the audit page say the grades are hidden and
never the auditor's grade, until the moderator records the panel's own; then both show it. axe checks
every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from quality.access import GRADES_HIDDEN
from quality.org.models import Role
from tests.factories import MembershipFactory

from ..moderation import conftest as moderation
from ..moderation.panel_world import graded_audit, make_versions, panel_in_session
from .conftest import assert_accessible
from .test_moderation_panel_journeys import record_grades, sign_in_as, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

people = moderation.people  # a fixture: the shared cast by the part each plays around a panel


def test_a_blind_moderator_sees_no_auditor_grade_in_their_own_area_until_the_panel_has_graded(
    page: Page, live_server, people, own_area, other_area
):
    MembershipFactory(person=people["moderator"], role=Role.PRACTICE_MANAGER, service_area=own_area)
    version = make_versions(own_area, other_area)[own_area.pk]
    audit = graded_audit(version, people["auditor"], "outstanding", case_holder=people["worker"])
    panel = panel_in_session(people, [audit], blind=True)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=audit.case_reference, exact=True))

    sign_in_as(page, live_server, people, "moderator")
    visit(page, f"{live_server.url}/audits/area/", "Audits")
    expect(row).to_contain_text(GRADES_HIDDEN)
    expect(row).not_to_contain_text("Outstanding")

    row.get_by_role("link", name=audit.case_reference, exact=True).click()
    expect(page.get_by_role("heading", name=f"Audit of case {audit.case_reference}")).to_be_visible()
    expect(page.get_by_text(GRADES_HIDDEN).first).to_be_visible()
    expect(page.get_by_text("Outstanding", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("PDF"))).to_have_count(0)
    assert_accessible(page)

    # The panel records its own grades; the auditor's come back everywhere.
    visit(page, f"{live_server.url}/moderation/panels/{panel.pk}/", "Moderation panel of")
    page.get_by_role("link", name=audit.case_reference, exact=True).click()
    expect(page.get_by_text("Blind moderation: the auditor's grades are hidden")).to_be_visible()
    assert_accessible(page)
    record_grades(page, "Good", "Good", "Strong relationships, but outcomes are only partly shown.")
    expect(page.get_by_role("status").first).to_contain_text("is recorded")

    visit(page, f"{live_server.url}/audits/area/", "Audits")
    expect(row).to_contain_text("Outstanding")
    expect(row).not_to_contain_text(GRADES_HIDDEN)
    visit(page, f"{live_server.url}/audits/{audit.pk}/", f"Audit of case {audit.case_reference}")
    expect(page.get_by_text(GRADES_HIDDEN)).to_have_count(0)
    expect(page.get_by_text("Outstanding", exact=True).first).to_be_visible()
