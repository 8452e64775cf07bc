"""Journeys through escalations and exemplars: a QA officer confirms an Inadequate grade, the service
lead records the 3-day update and, a week later, the one-week update, and the board shows the chain's
next deadline; a service lead marks a Good audit as an exemplar and finds it on the exemplars page.

Data is made with the audit services; people then click through the pages as they would. Every page
visited is checked with axe-core.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services
from audits.cycle import escalations
from audits.models import Escalation, EscalationUpdate, Grade
from moderation import qa_review
from tests.factories import published_tool_version

from .conftest import assert_accessible, expect_refused, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(qa_officer, practice_manager, service_lead, practitioner, head_of_service):
    """The shared cast (tests/conftest.py) by their part in the chain."""
    return {
        "qa_officer": qa_officer,
        "manager": practice_manager,
        "lead": service_lead,
        "worker": practitioner,
        "head": head_of_service,
    }


@pytest.fixture
def version(people, own_area):
    return published_tool_version(area=own_area, actor=people["qa_officer"])


def submitted_audit(people, version, reference, grade):
    """An audit the practice manager completed and submitted."""
    audit = services.audit_create(
        actor=people["qa_officer"].user,
        case_reference=reference,
        service_area=version.tool.service_area,
        case_holder=people["worker"],
        auditor=people["manager"],
        tool_version=version,
        period_end=date(2026, 10, 31),
        due_on=date(2026, 11, 28),
    )
    audit = services.audit_save_draft(
        actor=people["manager"].user,
        audit=audit,
        revision=audit.revision,
        answers=services.seven_area_answers(grade, "Seen in the chronology and the plan."),
        fields={"overall_grade": grade, "discussion_held": True, "discussion_on": date(2026, 11, 2)},
    )
    return services.audit_submit(actor=people["manager"].user, audit=audit)


def sign_in_as(page: Page, live_server, people, who):
    sign_in(page, live_server.url, people[who].user.email)
    expect(page.get_by_role("heading", name=f"Hello, {people[who].full_name}")).to_be_visible()
    assert_accessible(page)


def open_board(page: Page, live_server):
    page.goto(f"{live_server.url}/escalations/")
    expect(page.get_by_role("heading", name="Escalations", exact=True)).to_be_visible()
    assert_accessible(page)


def board_row(page: Page, reference: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))


def day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"  # as the board shows it: 26 Nov 2026


def test_qa_confirms_an_inadequate_grade_and_the_service_lead_records_both_updates(
    page: Page, live_server, people, version
):
    audit = submitted_audit(people, version, "C-104233", Grade.INADEQUATE)
    chain = Escalation.objects.get(audit=audit)
    # Another chain QA already withdrew (the grade became Good), for the closed tab.
    withdrawn = submitted_audit(people, version, "C-200001", Grade.INADEQUATE)
    qa_review.escalation_review(
        actor=people["qa_officer"].user,
        escalation=Escalation.objects.get(audit=withdrawn),
        decision=qa_review.Decision.CHANGE,
        grade=Grade.GOOD,
        rationale="Outcomes for the child improved.",
    )

    # The QA officer finds the chain awaiting moderation and confirms the grade.
    sign_in_as(page, live_server, people, "qa_officer")
    open_board(page, live_server)
    expect(board_row(page, "C-104233")).to_contain_text("QA moderation of the grade")
    board_row(page, "C-104233").get_by_role("link", name="C-104233").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting QA moderation")
    assert_accessible(page)

    page.get_by_label("Confirm the Inadequate grade and escalate").check()
    page.get_by_role("button", name="Record the decision").click()
    expect_refused(page, qa_review.RATIONALE_REQUIRED)
    assert_accessible(page)  # the refused form, with its message next to the field

    page.get_by_label("Rationale").fill("No plan protects the child from neglect; the grade stands.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Decision recorded.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Escalated")
    assert_accessible(page)

    page.goto(f"{live_server.url}/escalations/closed/")
    expect(board_row(page, "C-200001")).to_contain_text("Withdrawn")
    assert_accessible(page)
    sign_out(page)

    # The service lead sees the 3-day deadline on the board and records the update.
    today = timezone.localdate()
    sign_in_as(page, live_server, people, "lead")
    open_board(page, live_server)
    row = board_row(page, "C-104233")
    expect(row).to_contain_text(f"Update within 3 days by {day(today + timedelta(days=3))}")
    expect(row).not_to_contain_text("Late")
    row.get_by_role("link", name="C-104233").click()
    expect(page.get_by_label("Update within 3 days")).to_be_checked()
    page.get_by_role("textbox", name="Update").fill("Strategy meeting held; the child was seen at school today.")
    page.get_by_role("button", name="Record the update").click()
    expect(page.get_by_role("status").first).to_contain_text("Update recorded.")
    assert_accessible(page)

    # A week passes without the next update: the chain's dates move back eight days.
    chain.refresh_from_db()
    Escalation.objects.filter(pk=chain.pk).update(
        first_update_due=chain.first_update_due - timedelta(days=8),
        second_update_due=chain.second_update_due - timedelta(days=8),
        reaudit_due_on=chain.reaudit_due_on - timedelta(days=8),
    )
    open_board(page, live_server)
    row = board_row(page, "C-104233")
    expect(row).to_contain_text(f"Update after a week by {day(today - timedelta(days=1))}")
    expect(row.get_by_text("Late", exact=True)).to_be_visible()
    page.get_by_label("Late only").check()
    page.get_by_role("button", name="Filter").click()
    expect(board_row(page, "C-104233")).to_be_visible()
    assert_accessible(page)

    board_row(page, "C-104233").get_by_role("link", name="C-104233").click()
    expect(page.get_by_label("Update after a week")).to_be_checked()
    page.get_by_role("textbox", name="Update").fill("Child protection plan reviewed with the family and school.")
    page.get_by_role("button", name="Record the update").click()
    expect(page.get_by_role("status").first).to_contain_text("Update recorded.")
    timeline = page.get_by_role("list").filter(has_text="QA confirmed the Inadequate grade")
    expect(timeline).to_contain_text("Update within 3 days")
    expect(timeline).to_contain_text("Update after a week")

    # The board now shows the re-audit as the next deadline, not late.
    open_board(page, live_server)
    row = board_row(page, "C-104233")
    expect(row).to_contain_text(f"Re-audit allocated by {day(chain.reaudit_due_on - timedelta(days=8))}")
    expect(row).not_to_contain_text("Late")

    # The audit's own page shows the escalation and the moderated grade.
    row.get_by_role("link", name="C-104233").click()
    page.get_by_role("link", name="Audit of case C-104233").click()
    expect(page.get_by_role("heading", name="Escalation", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="Moderated grade (final) Inadequate")).to_be_visible()
    assert_accessible(page)

    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.ESCALATED and chain.confirmed_by == people["qa_officer"]
    assert list(chain.updates.values_list("step", "recorded_by")) == [
        (EscalationUpdate.Step.FIRST, people["lead"].pk),
        (EscalationUpdate.Step.SECOND, people["lead"].pk),
    ]


def test_a_service_lead_marks_a_good_audit_as_an_exemplar_for_practice_forums(page: Page, live_server, people, version):
    audit = submitted_audit(people, version, "C-300001", Grade.GOOD)
    sign_in_as(page, live_server, people, "lead")
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    exemplar = page.get_by_role("region", name="Exemplar for practice forums")
    exemplar.get_by_role("button", name="Mark as an exemplar").click()
    expect(page.get_by_text(escalations.EXEMPLAR_NOTE_REQUIRED)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("What makes this audit an example for practice forums").fill(
        "The child's voice runs through the plan."
    )
    page.get_by_role("button", name="Mark as an exemplar").click()
    expect(page.get_by_role("status").first).to_contain_text("Marked as an exemplar")
    expect(page.get_by_text("Chosen as an example of good practice by Sam Lead")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="All exemplars").click()
    expect(page.get_by_role("heading", name="Exemplars for practice forums")).to_be_visible()
    expect(page.get_by_role("row", name="C-300001")).to_contain_text("The child's voice runs through the plan.")
    assert_accessible(page)

    audit.refresh_from_db()
    assert audit.is_exemplar and audit.exemplar_marked_by == people["lead"]
