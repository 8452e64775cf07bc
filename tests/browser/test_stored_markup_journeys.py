"""The attack of issue 13 replayed in Chromium: markup stored in a tool must stay text.

A QA lead imported a tool whose help text was an htmx element posting to the page that adds a role
to a person, their own, with the Administrator role; the administrator who previewed the version
granted it, with no script at all. Now the administrator's browser shows the markup as text,
sends nothing, and the QA lead is still only a QA lead. The audit form's own htmx (its autosave)
still works on such a tool.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits import services, tool_files
from quality.org.models import Membership, Role

from .conftest import assert_accessible, main_nav, sign_in_as, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOOL = "Front door practice audit"
EVIDENCE = "What did you find?"


@pytest.fixture
def people(qa_lead, admin_person, practice_manager, practitioner):
    return {"qa_lead": qa_lead, "admin": admin_person, "manager": practice_manager, "worker": practitioner}


def grant_admin_to(person) -> str:
    """The help text the QA lead wrote: an htmx element that adds the Administrator role to `person`."""
    url = reverse("org:membership_add", args=[person.pk])
    return f"""<span hx-post="{url}" hx-trigger="load" hx-vals='{{"role":"administrator"}}'></span>"""


def tool_file(attack: str, area_code: str) -> str:
    return tool_files.dump(
        {
            "format": tool_files.FORMAT,
            "tool": {"name": TOOL, "purpose": "case_audit", "service_area": area_code, "description": ""},
            "version": {
                "number": 1,
                "notes": "",
                "sections": [
                    {
                        "title": "Narrative / history",
                        "analysis_area": "narrative",
                        "help_text": "Read the chronology first.",
                        "questions": [
                            {
                                "key": "narrative-grade",
                                "text": "Grade for narrative",
                                "type": "grade",
                                "help_text": attack,
                            },
                            {"key": "narrative-evidence", "text": EVIDENCE, "type": "narrative", "help_text": attack},
                        ],
                    }
                ],
            },
        },
        "json",
    )


def requests_to_org(page: Page) -> list[str]:
    """Every request the page sends to the organisation pages, recorded from now on."""
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(f"{request.method} {request.url}") if "/org/" in request.url else None
    )
    return sent


def roles_of(person) -> set[str]:
    return set(Membership.objects.current().filter(person=person).values_list("role", flat=True))


def test_an_administrator_previews_an_imported_tool_whose_help_text_would_grant_a_role_and_nothing_happens(
    page: Page, live_server, people, own_area
):
    attack = grant_admin_to(people["qa_lead"])

    # The QA lead imports the tool file through the import page.
    sign_in_as(page, live_server.url, people["qa_lead"])
    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Audit tools").click()
    expect(page.get_by_role("heading", name="Audit tools", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Import a tool file").click()
    expect(page.get_by_role("heading", name="Import an audit tool")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Tool file (JSON or YAML)").set_input_files(
        {"name": "tool.json", "mimeType": "application/json", "buffer": tool_file(attack, own_area.code).encode()}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name=f"{TOOL}, version 1")).to_contain_text("Draft")
    assert_accessible(page)
    sign_out(page)

    # The administrator opens the version's preview, as an administrator reviewing tools would.
    sign_in_as(page, live_server.url, people["admin"])
    sent = requests_to_org(page)
    main_nav(page).get_by_role("button", name="Audits").click()
    main_nav(page).get_by_role("link", name="Audit tools").click()
    assert_accessible(page)
    page.get_by_role("link", name=TOOL).click()
    assert_accessible(page)
    page.get_by_role("link", name="Version 1").click()
    expect(page.get_by_role("heading", name=f"{TOOL}, version 1")).to_be_visible()
    page.wait_for_load_state("networkidle")

    # The help text is shown as it was written, as text, under both questions.
    expect(page.get_by_text(attack, exact=True)).to_have_count(2)
    expect(page.locator("[hx-trigger='load']")).to_have_count(0)
    assert_accessible(page)
    assert page.evaluate("[htmx.config.allowEval, htmx.config.allowScriptTags, htmx.config.selfRequestsOnly]") == [
        False,
        False,
        True,
    ]
    assert sent == [], f"the preview sent requests to the organisation pages: {sent}"
    assert roles_of(people["qa_lead"]) == {Role.QA_LEAD}


def test_an_auditor_answers_an_audit_on_such_a_tool_and_it_saves_as_they_go_with_nothing_else_sent(
    page: Page, live_server, people, own_area
):
    actor = people["qa_lead"].user
    draft = tool_files.tool_import(actor=actor, text=tool_file(grant_admin_to(people["qa_lead"]), own_area.code))
    version = services.version_publish(actor=people["admin"].user, version=draft)
    audit = services.audit_create(
        actor=actor,
        case_reference="C-104233",
        service_area=own_area,
        case_holder=people["worker"],
        auditor=people["manager"],
        tool_version=version,
        due_on=timezone.localdate() + timedelta(days=14),
    )

    sign_in_as(page, live_server.url, people["manager"])
    sent = requests_to_org(page)
    page.goto(f"{live_server.url}{reverse('audits:audit_edit', args=[audit.pk])}")
    expect(page.get_by_role("heading", name="Audit of case C-104233")).to_be_visible()
    expect(page.get_by_text(grant_admin_to(people["qa_lead"]), exact=True)).to_have_count(2)
    assert_accessible(page)

    section = page.get_by_role("group", name="1. Narrative / history")
    section.get_by_role("group", name="Grade for narrative").get_by_label("Good", exact=True).check()
    with page.expect_response(lambda r: "/autosave/" in r.url and "chronology" in (r.request.post_data or "")):
        section.get_by_label(EVIDENCE).fill("The chronology is up to date.")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    assert_accessible(page)

    answers = dict(audit.answers.values_list("question__key", "value"))
    assert answers == {"narrative-grade": "good", "narrative-evidence": "The chronology is up to date."}
    assert sent == [], f"the audit form sent requests to the organisation pages: {sent}"
    assert roles_of(people["qa_lead"]) == {Role.QA_LEAD}
