"""Journeys through audits: answering and submitting one, losing the connection while answering,
oversight and a disputed grade, and a new version of an audit tool.

Data is made with the audit services; people then click through the pages as they would.
"""

import re
import time
from datetime import date
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from audits import services
from audits.messages import ANSWER_REQUIRED
from audits.models import AnalysisArea, Audit, ToolVersion
from quality.org.models import Role
from tests.factories import published_tool_version

from .conftest import assert_accessible, main_nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVIDENCE = "What did you find? Give the evidence for the grade."
SECTIONS = [area.label for area in AnalysisArea]  # the seven sections of a new tool, in order


@pytest.fixture
def people(make_person, practice_manager, service_lead, practitioner):
    """The shared cast (tests/conftest.py), but for a QA lead named "Quinn QA": the disputed grade's
    history is read by that name."""
    return {
        "qa_lead": make_person(Role.QA_LEAD, full_name="Quinn QA"),
        "manager": practice_manager,
        "lead": service_lead,
        "worker": practitioner,
    }


def sign_in_as(page: Page, live_server, people, who):
    sign_in(page, live_server.url, people[who].user.email)
    expect(page.get_by_role("heading", name=f"Hello, {people[who].full_name}")).to_be_visible()
    assert_accessible(page)


@pytest.fixture
def version(people, own_area):
    return published_tool_version(area=own_area, actor=people["qa_lead"])


def new_audit(people, version, reference):
    return services.audit_create(
        actor=people["qa_lead"].user,
        case_reference=reference,
        service_area=version.tool.service_area,
        case_holder=people["worker"],
        auditor=people["manager"],
        tool_version=version,
        period_end=date(2026, 10, 31),
        due_on=date(2026, 11, 30),
    )


def submitted_audit(people, version, reference, grade="good"):
    audit = new_audit(people, version, reference)
    answers = services.seven_area_answers(grade, "Seen in the chronology and the plan.")
    audit = services.audit_save_draft(
        actor=people["manager"].user,
        audit=audit,
        revision=audit.revision,
        answers=answers,
        fields={"overall_grade": grade, "discussion_held": True, "discussion_on": date(2026, 11, 2)},
    )
    return services.audit_submit(actor=people["manager"].user, audit=audit)


def stored(audit):
    return dict(audit.answers.values_list("question__key", "value"))


def eventually(check, timeout=5.0):
    """Wait until `check()` is true: the browser saves in the background."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("the browser did not save in time")
        time.sleep(0.1)


def due(page: Page, heading: str):
    """One list of the home page's "What is due for you" panel, found by its heading."""
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    return page.get_by_role("heading", name=heading).locator("xpath=following-sibling::ul[1]")


# --- the audit form ------------------------------------------------------------------------------


def section(page: Page, number: int):
    return page.get_by_role("group", name=f"{number}. {SECTIONS[number - 1]}")


def grade(page: Page, number: int, label: str):
    name = f"Grade for {SECTIONS[number - 1].lower()}"
    return section(page, number).get_by_role("group", name=name).get_by_label(label, exact=True)


def evidence(page: Page, number: int):
    return section(page, number).get_by_label(EVIDENCE)


def save_status(page: Page):
    return page.locator("#save-status")


def autosave_sent(text):
    """A predicate for page.expect_response: the autosave whose answers included `text`."""

    def sent(response):
        posted = parse_qs(response.request.post_data or "")
        return "/autosave/" in response.url and any(text in value for values in posted.values() for value in values)

    return sent


def test_a_practice_manager_answers_an_audit_that_saves_as_they_go_then_submits_it(
    page: Page, live_server, people, version
):
    audit = new_audit(people, version, "C-104233")
    sign_in_as(page, live_server, people, "manager")
    due(page, "Audits to complete").get_by_role("link", name="Case C-104233").click()
    expect(page.get_by_role("heading", name="Audit of case C-104233")).to_be_visible()
    assert_accessible(page)

    grade(page, 1, "Good").check()
    evidence(page, 1).fill("The chronology is up to date.")
    grade(page, 3, "Requires Improvement").check()
    with page.expect_response(autosave_sent("The plan has no dates.")):
        evidence(page, 3).fill("The plan has no dates.")
    expect(save_status(page)).to_contain_text("Draft saved")
    assert_accessible(page)
    assert stored(audit)["planning-evidence"] == "The plan has no dates."

    page.reload()
    expect(grade(page, 1, "Good")).to_be_checked()
    expect(evidence(page, 1)).to_have_value("The chronology is up to date.")
    expect(grade(page, 3, "Requires Improvement")).to_be_checked()
    expect(evidence(page, 3)).to_have_value("The plan has no dates.")
    assert_accessible(page)

    # Submitted too soon: what is missing is listed at the top, each entry a link to its answer.
    page.get_by_role("button", name="Submit the audit").click()
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("heading")).to_have_text(
        "The audit was not submitted: these answers are missing or wrong"
    )
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Audit of case C-104233"))
    expect(save_status(page)).to_have_text("Draft saved, not submitted: the problems are listed at the top.")
    missing = summary.get_by_role("link")
    expect(missing.first).to_have_text(f"Grade for assessment and analysis: {ANSWER_REQUIRED}")
    assert missing.count() >= 5  # the grades and evidence of the four sections not yet answered, the overall grade
    assert_accessible(page)
    target = missing.first.get_attribute("href").removeprefix("#")
    missing.first.click()
    expect(page.locator(f"[id='{target}']")).to_be_focused()
    expect(evidence(page, 3)).to_have_value("The plan has no dates.")  # nothing typed was lost

    for number in range(1, 8):
        if number != 3:
            grade(page, number, "Good").check()
        if not evidence(page, number).input_value():
            evidence(page, number).fill(f"Evidence for section {number}.")
    overall = page.get_by_role("group", name="Overall", exact=True)
    overall.get_by_role("group", name="Overall grade").get_by_label("Good", exact=True).check()
    overall.get_by_role("group", name="Did you discuss the case with the practitioner?").get_by_label(
        "Yes", exact=True
    ).check()
    overall.get_by_label("Date of the discussion").fill("2026-11-02")
    page.get_by_role("button", name="Submit the audit").click()

    expect(page.get_by_role("heading", name="Audit of case C-104233")).to_contain_text("Submitted, awaiting oversight")
    expect(page.get_by_role("status").first).to_contain_text("Audit submitted.")
    assert_accessible(page)
    audit.refresh_from_db()
    assert audit.state == Audit.State.SUBMITTED
    assert (audit.overall_grade, audit.discussion_on) == ("good", date(2026, 11, 2))
    assert stored(audit)["planning-grade"] == "requires_improvement"
    assert stored(audit)["outcomes-evidence"] == "Evidence for section 5."


def test_an_answer_typed_while_the_connection_is_lost_is_kept_and_saved_when_it_is_back(
    page: Page, live_server, people, version
):
    audit = new_audit(people, version, "C-104233")
    sign_in_as(page, live_server, people, "manager")
    page.goto(f"{live_server.url}/audits/{audit.pk}/edit/")
    expect(page.get_by_role("heading", name="Audit of case C-104233")).to_be_visible()
    assert_accessible(page)

    page.context.set_offline(True)
    evidence(page, 2).fill("Risks are named but not analysed.")
    expect(save_status(page)).to_contain_text("Could not reach the portal", timeout=4_000)
    assert_accessible(page)
    kept = page.evaluate(f"localStorage.getItem('audit-draft-{audit.pk}')")
    assert "Risks are named but not analysed." in kept
    assert "assessment-evidence" not in stored(audit)

    page.context.set_offline(False)
    page.reload()
    expect(evidence(page, 2)).to_have_value("Risks are named but not analysed.")
    # The page sends what it restored, and the portal's answer brings the revision it is now at...
    expect(save_status(page)).to_contain_text("Draft saved")
    assert_accessible(page)
    eventually(lambda: stored(audit).get("assessment-evidence") == "Risks are named but not analysed.")
    assert page.evaluate("localStorage.length") == 0
    # ...so what is typed next saves too, without a conflict.
    with page.expect_response(autosave_sent("Strengths are not weighed.")):
        evidence(page, 2).fill("Risks are named. Strengths are not weighed.")
    expect(save_status(page)).to_contain_text("Draft saved")
    expect(save_status(page)).not_to_contain_text("Not saved")
    assert stored(audit)["assessment-evidence"] == "Risks are named. Strengths are not weighed."


# --- oversight and disputes --------------------------------------------------------------------


def test_a_refused_oversight_or_dispute_is_summed_up_at_the_top_of_the_long_page_with_links_to_its_fields(
    page: Page, live_server, people, version
):
    """The page is thousands of pixels long: the oversight and dispute forms sit in its first screenful,
    before the answers; a refused one comes back at the summary just above them (#error-summary), focus
    on it, the title saying so, and each entry leading to its field."""
    submitted_audit(people, version, "C-1003")
    sign_in_as(page, live_server, people, "lead")
    due(page, "Audits awaiting your oversight").get_by_role("link", name="Case C-1003").click()
    actions = page.get_by_role("region", name="What you can do now")
    expect(actions.get_by_role("button", name="Confirm oversight")).to_be_in_viewport()
    above = actions.bounding_box()["y"]
    assert above < page.get_by_role("heading", name="Answers").bounding_box()["y"]

    actions.get_by_role("button", name="Confirm oversight").click()

    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(page).to_have_title(re.compile(r"^Error: Audit of case C-1003"))
    expect(page).to_have_url(re.compile(r"/oversight/#error-summary$"))
    expect(summary.get_by_role("listitem")).to_have_text(["Oversight comment: This field is required."])
    assert summary.bounding_box()["y"] < actions.bounding_box()["y"] < page.viewport_size["height"]
    assert_accessible(page)
    summary.get_by_role("link", name="Oversight comment: This field is required.").click()
    comment = page.get_by_label("Oversight comment")
    expect(comment).to_be_focused()
    expect(comment).to_be_in_viewport()

    page.get_by_role("button", name="Raise a dispute").click()
    expect(summary.get_by_role("listitem")).to_have_text(["Why you dispute the grade: This field is required."])
    expect(summary).to_be_focused()
    assert_accessible(page)
    summary.get_by_role("link").click()
    page.get_by_label("Why you dispute the grade").fill("The plan is not SMART.")
    page.get_by_role("button", name="Raise a dispute").click()
    expect(page.get_by_role("status").first).to_contain_text("Dispute raised")
    expect(page.locator("[data-error-summary]")).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^Audit of case C-1003"))


def test_the_service_lead_oversees_one_audit_disputes_another_and_the_qa_lead_changes_its_grade(
    page: Page, live_server, people, version
):
    overseen = submitted_audit(people, version, "C-1001")
    disputed = submitted_audit(people, version, "C-1002", grade="good")

    sign_in_as(page, live_server, people, "lead")
    due(page, "Audits awaiting your oversight").get_by_role("link", name="Case C-1001").click()
    expect(page.get_by_role("heading", name="Audit of case C-1001")).to_contain_text("Submitted, awaiting oversight")
    assert_accessible(page)
    page.get_by_label("Oversight comment").fill("Agree: a thorough audit.")
    page.get_by_role("button", name="Confirm oversight").click()
    expect(page.get_by_role("status").first).to_contain_text("Oversight recorded.")
    expect(page.get_by_role("heading", name="Audit of case C-1001")).to_contain_text("Oversight recorded")
    assert_accessible(page)
    page.get_by_role("button", name="Mark as added to the child's record and close").click()
    expect(page.get_by_role("heading", name="Audit of case C-1001")).to_contain_text("Closed")
    expect(page.get_by_role("main")).to_contain_text("Added to the child's record by Sam Lead")
    assert_accessible(page)

    main_nav(page).get_by_role("link", name="Home").click()
    assert_accessible(page)
    oversee = due(page, "Audits awaiting your oversight")
    expect(oversee.get_by_role("link")).to_have_text(["Case C-1002"])
    oversee.get_by_role("link", name="Case C-1002").click()
    expect(page.get_by_role("heading", name="Audit of case C-1002")).to_be_visible()
    page.get_by_label("The grade you think is right").select_option(label="Requires Improvement")
    page.get_by_label("Why you dispute the grade").fill("The plan is not SMART.")
    page.get_by_role("button", name="Raise a dispute").click()
    expect(page.get_by_role("status").first).to_contain_text("Dispute raised")
    expect(page.get_by_role("heading", name="Audit of case C-1002")).to_contain_text("Grade disputed")
    assert_accessible(page)
    sign_out(page)

    sign_in_as(page, live_server, people, "qa_lead")
    due(page, "Disputed grades to resolve").get_by_role("link", name="Case C-1002").click()
    expect(page.get_by_role("heading", name="Audit of case C-1002")).to_contain_text("Grade disputed")
    assert_accessible(page)
    page.get_by_label("Grade changed").check()
    page.get_by_label("New grade (if changed)").select_option(label="Requires Improvement")
    page.get_by_label("Reason for the decision").fill("Outcomes for the child are not yet shown.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Dispute resolved.")
    counts = "The grade that counts in the figures: Requires Improvement, the auditor's grade"
    expect(page.get_by_role("status").first).to_contain_text(counts)
    expect(page.locator("#grade-that-counts")).to_contain_text(counts)
    expect(page.get_by_role("heading", name="Audit of case C-1002")).to_contain_text("Submitted, awaiting oversight")
    expect(page.get_by_role("main")).to_contain_text("Grade changed by Quinn QA (Good → Requires Improvement)")
    history = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Why"))
    change = history.get_by_role("row").filter(has_text="Overall grade").last
    expect(change.get_by_role("cell")).to_have_text(
        [
            re.compile(r"\d{4} \d\d:\d\d"),
            "Quinn QA",
            "Overall grade",
            "Good",
            "Requires Improvement",
            "Outcomes for the child are not yet shown.",
        ]
    )
    assert_accessible(page)

    overseen.refresh_from_db()
    disputed.refresh_from_db()
    assert overseen.state == Audit.State.CLOSED and overseen.oversight_comment == "Agree: a thorough audit."
    assert (disputed.state, disputed.overall_grade) == (Audit.State.SUBMITTED, "requires_improvement")


# --- audit tools ------------------------------------------------------------------------------------


def test_a_qa_lead_publishes_a_new_version_and_the_old_one_keeps_its_questions(
    page: Page, live_server, people, version
):
    sign_in_as(page, live_server, people, "qa_lead")
    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Audit tools").click()
    assert_accessible(page)
    page.get_by_role("link", name="SWF case audit").click()
    expect(page.get_by_role("heading", name="SWF case audit")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Start a new draft version").click()
    expect(page.get_by_role("heading", name="SWF case audit, version 2")).to_contain_text("Draft")
    assert_accessible(page)
    page.get_by_role("link", name="Change question narrative-grade").click()
    assert_accessible(page)
    page.get_by_role("textbox", name=re.compile(r"^Text")).fill("How well do workers know the family's story?")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("main")).to_contain_text("How well do workers know the family's story?")
    assert_accessible(page)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 2 published.")
    assert_accessible(page)

    page.get_by_role("link", name="Version 1").click()
    expect(page.get_by_role("heading", name="SWF case audit, version 1")).to_contain_text("Retired")
    expect(page.get_by_role("main")).to_contain_text("Grade for narrative / history")
    expect(page.get_by_role("main")).not_to_contain_text("How well do workers know the family's story?")
    assert_accessible(page)
    assert version.tool.versions.get(state=ToolVersion.State.PUBLISHED).number == 2
