"""A moderation panel from start to finish: QA plans it and draws the sample, the panel re-grades one
audit blind and one not, QA concludes and reads the panel's matrix and kappa, and the auditor sees the
outcome. axe checks every page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits.models import AnalysisArea, Audit
from moderation.models import ModerationDecision, Panel
from quality.org.models import Role

from ..moderation import conftest as moderation
from ..moderation.panel_world import graded_audit, make_versions
from .conftest import assert_accessible, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


people = moderation.people  # a fixture: the shared cast by the part each plays around a panel


# QA ticks the panel's members by name: this journey's QA lead and moderator carry the names it reads.
@pytest.fixture
def qa_lead(make_person):
    return make_person(Role.QA_LEAD, full_name="Quinn QA")


@pytest.fixture
def moderator(make_person, own_area):
    return make_person(Role.MODERATOR, own_area, full_name="Mo Moderator")


def sign_in_as(page: Page, live_server, people, who):
    sign_in(page, live_server.url, people[who].user.email)
    expect(page.get_by_role("heading", name=f"Hello, {people[who].full_name}")).to_be_visible()
    assert_accessible(page)


def visit(page: Page, url: str, heading: str):
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
    assert_accessible(page)


def sample_row(page: Page, reference: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))


def record_grades(page: Page, overall: str, areas: str, rationale: str, feedback: str = ""):
    page.get_by_label("Panel's moderated grade: overall").select_option(label=overall)
    for area in AnalysisArea:
        page.get_by_label(f"Panel's grade: {area.label.lower()}").select_option(label=areas)
    page.get_by_label("Rationale").fill(rationale)
    if feedback:
        page.get_by_label("Feedback to the auditor").fill(feedback)
    page.get_by_role("button", name="Record the panel's grades").click()


def test_qa_draws_a_sample_the_panel_grades_one_audit_blind_and_one_not_and_the_auditor_sees_the_outcome(
    page: Page, live_server, people, own_area, other_area
):
    version = make_versions(own_area, other_area)[own_area.pk]
    blind = graded_audit(version, people["auditor"], "outstanding", case_holder=people["worker"])
    open_ = graded_audit(version, people["auditor"], "good", case_holder=people["worker"])
    held_on = timezone.localdate() + timedelta(days=3)

    # QA plans the panel and draws its sample.
    sign_in_as(page, live_server, people, "qa_lead")
    visit(page, f"{live_server.url}/moderation/panels/", "Moderation panels")
    page.get_by_role("link", name="Plan a panel").click()
    expect(page.get_by_role("heading", name="Plan a moderation panel")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Date", exact=True).fill(held_on.isoformat())
    page.get_by_label("Starts at").fill("15:00")
    page.get_by_label("Ends at").fill("17:00")
    page.get_by_label(re.compile("Mo Moderator")).check()
    page.get_by_label(re.compile("Quinn QA")).check()
    page.get_by_role("button", name="Save the panel").click()
    expect(page.get_by_role("heading", name=f"Moderation panel of {held_on:%-d %B %Y}")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Draw the sample").click()
    expect(page.get_by_role("heading", name="How the sample is drawn")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Number of audits drawn at random").fill("2")
    page.get_by_label("Audits submitted from").fill((timezone.localdate() - timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("status").first).to_contain_text("Sample drawn")
    expect(sample_row(page, blind.case_reference)).to_contain_text("Outstanding")
    assert_accessible(page)
    page.get_by_role("link", name="Re-draw check").click()
    expect(page.get_by_text("The draw reproduces.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the panel").click()

    sample_row(page, blind.case_reference).get_by_role("button", name=re.compile("^Make blind")).click()
    expect(sample_row(page, blind.case_reference)).to_contain_text("Hidden: blind")
    expect(sample_row(page, open_.case_reference)).to_contain_text("Good")
    page.get_by_role("button", name="Open the session").click()
    expect(page.get_by_role("heading", name=re.compile("Moderation panel of"))).to_contain_text("In session")
    assert_accessible(page)
    panel = Panel.objects.get()
    sign_out(page)

    # A member grades the blind audit without seeing the auditor's grade, then the other one.
    sign_in_as(page, live_server, people, "moderator")
    visit(page, f"{live_server.url}/moderation/panels/{panel.pk}/", "Moderation panel of")
    expect(sample_row(page, blind.case_reference)).to_contain_text("Hidden: blind")
    page.get_by_role("link", name=blind.case_reference, exact=True).click()
    expect(page.get_by_role("heading", name=f"Moderation of case {blind.case_reference}")).to_be_visible()
    expect(page.get_by_text("Blind moderation: the auditor's grades are hidden")).to_be_visible()
    expect(page.get_by_role("cell", name="Outstanding", exact=True)).to_have_count(0)
    assert_accessible(page)
    record_grades(page, "Good", "Good", "Strong relationships, but outcomes are only partly shown.", "Show the impact.")
    expect(page.get_by_role("status").first).to_contain_text("is recorded")
    expect(page.get_by_role("cell", name="Outstanding", exact=True).first).to_be_visible()  # shown once decided
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("^Next: case")).click()
    expect(page.get_by_role("heading", name=f"Moderation of case {open_.case_reference}")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("The auditor's grades"))).to_contain_text("Good")
    assert_accessible(page)
    record_grades(page, "Requires Improvement", "Requires Improvement", "The plan is not SMART.")
    expect(page.get_by_role("status").first).to_contain_text("is recorded")
    assert_accessible(page)
    sign_out(page)

    # QA concludes: the auditor and the service lead are told.
    sign_in_as(page, live_server, people, "qa_lead")
    visit(page, f"{live_server.url}/moderation/panels/{panel.pk}/", "Moderation panel of")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Conclude the panel").click()
    expect(page.get_by_role("heading", name=re.compile("Moderation panel of"))).to_contain_text("Concluded")
    assert_accessible(page)

    # The panel's outcomes: Outstanding -> Good and Good -> Requires Improvement, in the matrix and kappa.
    page.get_by_role("link", name=re.compile("^Outcomes of this panel")).click()
    expect(page.get_by_role("heading", name="Moderation outcomes")).to_be_visible()
    expect(page.locator("[data-figure='moderated']")).to_have_text("2")
    expect(page.locator("[data-figure='downgraded']")).to_have_text("2")
    matrix = page.get_by_role("table", name=re.compile("Transition matrix"))
    expect(matrix.get_by_role("row", name=re.compile("^Outstanding")).get_by_role("cell")).to_have_text(
        ["0", "1", "0", "0", "1"]
    )
    expect(matrix.get_by_role("row", name=re.compile("^Good")).get_by_role("cell")).to_have_text(
        ["0", "0", "1", "0", "1"]
    )
    # Worked by hand: p_o = p_e = 2/3, so kappa is 0.
    expect(page.locator("[data-figure='weighted_kappa']")).to_contain_text("0.000 (95% confidence interval")
    expect(page.get_by_text("too few to say much")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    assert ModerationDecision.objects.filter(panel=panel).count() == 2
    assert Audit.objects.get(pk=blind.pk).overall_grade == "outstanding"

    sign_in_as(page, live_server, people, "auditor")
    visit(page, f"{live_server.url}/notifications/", "Notifications")
    outcome = page.get_by_role("listitem").filter(has_text="Moderation outcome")
    expect(outcome).to_have_count(1)
    expect(outcome).to_contain_text(f"Case {blind.case_reference}")
    expect(outcome).to_contain_text("auditor's grade Outstanding, moderated grade Good")
    expect(outcome).to_contain_text("Show the impact.")
    visit(page, f"{live_server.url}/audits/{blind.pk}/", f"Audit of case {blind.case_reference}")
    moderation = page.get_by_role("table", name=re.compile("Each moderation of this audit"))
    expect(moderation).to_contain_text("Moderation panel")
    expect(moderation).to_contain_text("Outstanding")
    expect(moderation).to_contain_text("Good")
    expect(page.get_by_role("row", name=re.compile("Moderated grade \\(final\\)"))).to_contain_text("Good")
