"""Journey: the session goes while a practice manager answers an audit (signed out in another tab,
password changed). What they type next is kept in the browser, the status line says they are
signed out, and once they sign in again the form puts the kept text back and saves it.

Dates come from the machine's clock: these tests run against the real date.
"""

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services
from audits.messages import AUTOSAVE_SIGNED_OUT
from audits.models import AnalysisArea

from .conftest import assert_accessible, sign_in_as
from .test_audit_journeys import eventually

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVIDENCE = "What did you find? Give the evidence for the grade."
SECTIONS = [area.label for area in AnalysisArea]


@pytest.fixture
def people(qa_lead, practice_manager, practitioner):
    return {"qa_lead": qa_lead, "manager": practice_manager, "worker": practitioner}


@pytest.fixture
def audit(people, own_area, tool_version):
    actor = people["qa_lead"].user
    today = timezone.localdate()
    return services.audit_create(
        actor=actor,
        case_reference="C-104233",
        service_area=own_area,
        case_holder=people["worker"],
        auditor=people["manager"],
        tool_version=tool_version,
        period_end=today - timedelta(days=7),
        due_on=today + timedelta(days=21),
    )


def evidence(page: Page, number: int):
    return page.get_by_role("group", name=f"{number}. {SECTIONS[number - 1]}").get_by_label(EVIDENCE)


def autosave_sent(text):
    def sent(response):
        posted = parse_qs(response.request.post_data or "")
        return "/autosave/" in response.url and any(text in value for values in posted.values() for value in values)

    return sent


def stored(audit):
    return dict(audit.answers.values_list("question__key", "value"))


def kept_in_browser(page: Page, audit) -> str:
    return page.evaluate(f"localStorage.getItem('audit-draft-{audit.pk}')") or ""


def test_text_typed_after_the_session_has_gone_is_kept_and_saved_after_signing_in_again(
    page: Page, live_server, people, audit
):
    sign_in_as(page, live_server.url, people["manager"])
    page.goto(f"{live_server.url}/audits/{audit.pk}/edit/")
    expect(page.get_by_role("heading", name="Audit of case C-104233")).to_be_visible()
    status = page.locator("#save-status")  # the aria-live status line
    with page.expect_response(autosave_sent("The chronology is up to date.")):
        evidence(page, 1).fill("The chronology is up to date.")
    expect(status).to_contain_text("Draft saved")
    assert kept_in_browser(page, audit) == ""
    assert_accessible(page)

    # Signed out in another tab: the session is gone on the server.
    Session.objects.all().delete()
    with page.expect_response(autosave_sent("Risks are named but not analysed.")) as answer:
        evidence(page, 2).fill("Risks are named but not analysed.")
    assert answer.value.status == 401
    expect(status).to_have_text(AUTOSAVE_SIGNED_OUT)
    assert "Risks are named but not analysed." in kept_in_browser(page, audit)
    assert stored(audit).get("assessment-evidence", "") == ""
    assert_accessible(page)

    # They sign in again and come back to the form: it puts the kept text back and saves it.
    sign_in_as(page, live_server.url, people["manager"])
    page.goto(f"{live_server.url}/audits/{audit.pk}/edit/")
    expect(evidence(page, 1)).to_have_value("The chronology is up to date.")
    expect(evidence(page, 2)).to_have_value("Risks are named but not analysed.")
    expect(status).to_contain_text("Draft saved")
    assert_accessible(page)
    eventually(lambda: stored(audit).get("assessment-evidence") == "Risks are named but not analysed.")
    eventually(lambda: kept_in_browser(page, audit) == "")

    # What is typed next saves from the revision the restored save was given: no conflict.
    with page.expect_response(autosave_sent("Strengths are not weighed.")):
        evidence(page, 2).fill("Risks are named. Strengths are not weighed.")
    expect(status).to_contain_text("Draft saved")
    expect(status).not_to_contain_text("Not saved")
    assert stored(audit)["assessment-evidence"] == "Risks are named. Strengths are not weighed."
