"""The audit pages: who may open and change an audit, what each change writes, what each page costs.

Every change is tried by the person allowed to make it (it works and leaves AuditEvent rows naming
them and why), by a role that may not make it (403, nothing changes), on another area's audit
(404, nothing changes) and with the wrong method (405).
"""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from audits import services
from audits.grades import moderated_grade_set
from audits.messages import (
    ANSWER_REQUIRED,
    AUDIT_CONFLICT,
    AUTOSAVE_CLOSED,
    DISCUSSION_REQUIRED,
    MODERATED_GRADE_STILL_COUNTS,
    OVERALL_GRADE_REQUIRED,
    PROPOSED_GRADE_UNCHANGED,
    grade_that_counts,
)
from audits.models import Audit, AuditEvent, Dispute, LearningAction
from audits.templatetags.grade_tags import grade_tag_html
from quality.org.models import Role
from quality.org.services import service_area_update

from ..factories import PersonFactory, published_tool_version

pytestmark = pytest.mark.django_db


# --- people, tools and audits ---------------------------------------------------------------------


@pytest.fixture
def people(qa_lead, practice_manager, practitioner, service_lead, other_manager, other_lead, make_person, own_area):
    """The shared cast by their part in an audit; the cast has one practice manager in the own area,
    so the auditor's colleague is made here."""
    return {
        "qa_lead": qa_lead,
        "auditor": practice_manager,
        "colleague": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Colin Colleague"),
        "worker": practitioner,
        "lead": service_lead,
        "other_manager": other_manager,
        "other_lead": other_lead,
    }


@pytest.fixture
def audit(people, own_area, own_team, tool_version):
    return services.audit_create(
        actor=people["qa_lead"].user,
        case_reference="C-104233",
        service_area=own_area,
        team=own_team,
        case_holder=people["worker"],
        auditor=people["auditor"],
        tool_version=tool_version,
        period_end=date(2026, 10, 31),
    )


@pytest.fixture
def other_audit(people, other_area):
    """An audit in the other service area, by that area's practice manager."""
    return services.audit_create(
        actor=people["qa_lead"].user,
        case_reference="P-5501",
        service_area=other_area,
        auditor=people["other_manager"],
        tool_version=published_tool_version(area=other_area),
        period_end=date(2026, 10, 31),
    )


def complete_answers(grade="good"):
    return services.seven_area_answers(grade, "Seen in the chronology and the plan.")


def form_data(audit, answers=None, **fields):
    """What the audit form posts: the revision it was opened at, answers as q-<key>, the overall fields."""
    return {"revision": audit.revision, **{f"q-{key}": value for key, value in (answers or {}).items()}, **fields}


def complete_form(audit):
    return form_data(
        audit, complete_answers(), overall_grade="good", discussion_held="true", discussion_on="2026-11-02"
    )


def fresh(audit):
    return Audit.objects.get(pk=audit.pk)


def stored(audit):
    return dict(audit.answers.values_list("question__key", "value"))


def bring_to(audit, state, people):
    """Take a draft through the services to `state`, by the people whose job each step is."""
    own = audit.auditor_id == people["auditor"].pk
    auditor, lead = people["auditor" if own else "other_manager"].user, people["lead" if own else "other_lead"].user
    if state == Audit.State.DRAFT:
        return fresh(audit)
    audit = services.audit_save_draft(
        actor=auditor,
        audit=audit,
        revision=audit.revision,
        answers=complete_answers(),
        fields={"overall_grade": "good", "discussion_held": True, "discussion_on": date(2026, 11, 2)},
    )
    audit = services.audit_submit(actor=auditor, audit=audit)
    if state == Audit.State.OVERSEEN:
        audit = services.audit_confirm_oversight(actor=lead, audit=audit, comment="Agree with the grade")
    elif state == Audit.State.DISPUTED:
        services.audit_dispute(actor=lead, audit=audit, reason="The plan is not SMART")
    return fresh(audit)


def snapshot(audit):
    """Everything a change could touch, to show that a refused one touched nothing."""
    audit = fresh(audit)
    return (
        {field.attname: getattr(audit, field.attname) for field in Audit._meta.concrete_fields},
        stored(audit),
        list(audit.area_grades.values_list("area", "grade")),
        list(audit.events.values_list("pk", flat=True)),
        list(audit.disputes.values_list("pk", "resolved_at")),
        list(audit.actions.values_list("pk", flat=True)),
    )


def url(name, audit):
    return reverse(f"audits:{name}", args=[audit.pk])


# --- every change: who may, who may not, which area, which method -------------------------------

# view: (the state the audit must be in for the change to work, who may make it, a role that may not)
CHANGES = {
    "audit_edit": (Audit.State.DRAFT, "auditor", "colleague"),
    "audit_autosave": (Audit.State.DRAFT, "auditor", "colleague"),
    "audit_action_add": (Audit.State.DRAFT, "auditor", "colleague"),
    "audit_oversight": (Audit.State.SUBMITTED, "lead", "auditor"),
    "audit_dispute": (Audit.State.SUBMITTED, "lead", "qa_lead"),
    "audit_resolve": (Audit.State.DISPUTED, "qa_lead", "lead"),
    "audit_concern": (Audit.State.DRAFT, "auditor", "worker"),
    "audit_on_record": (Audit.State.OVERSEEN, "lead", "auditor"),
}


def change_data(name, audit, people):
    """A post that the allowed person's change succeeds with."""
    return {
        "audit_edit": lambda: complete_form(audit),
        "audit_autosave": lambda: form_data(audit, {"planning-grade": "inadequate"}, overall_grade="inadequate"),
        "audit_action_add": lambda: {
            "description": "Update the chronology",
            "owner": people["worker"].pk,
            "due_on": "2026-12-01",
        },
        "audit_oversight": lambda: {"comment": "Agree with the grade"},
        "audit_dispute": lambda: {"reason": "The plan is not SMART", "proposed_grade": "requires_improvement"},
        "audit_resolve": lambda: {"outcome": "changed", "grade": "inadequate", "resolution": "Outcomes not shown"},
        "audit_concern": lambda: {"safeguarding_details": "Unexplained bruising"},
        "audit_on_record": lambda: {},
    }[name]()


@pytest.mark.parametrize("name", CHANGES)
def test_the_person_whose_job_it_is_can_make_each_change(name, client, people, audit):
    state, allowed, _ = CHANGES[name]
    audit = bring_to(audit, state, people)
    before = snapshot(audit)
    client.force_login(people[allowed].user)
    response = client.post(url(name, audit), change_data(name, audit, people))
    assert response.status_code in (200, 302)
    assert snapshot(audit) != before
    if name != "audit_action_add":  # an action is not a change of the audit's state or grades
        assert AuditEvent.objects.filter(audit=audit, actor=people[allowed].user).exclude(pk__in=before[3]).exists()


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_is_refused_to_a_role_whose_job_it_is_not_and_changes_nothing(name, client, people, audit):
    state, _, refused = CHANGES[name]
    audit = bring_to(audit, state, people)
    before = snapshot(audit)
    client.force_login(people[refused].user)
    response = client.post(url(name, audit), change_data(name, audit, people))
    assert response.status_code == 403
    assert snapshot(audit) == before


@pytest.mark.parametrize("name", [name for name in CHANGES if name != "audit_resolve"])
def test_each_change_to_another_areas_audit_is_not_found_and_changes_nothing(name, client, people, other_audit):
    # (The QA lead who resolves disputes works across every area: there is no other area to try.)
    state, allowed, _ = CHANGES[name]
    other_audit = bring_to(other_audit, state, people)
    before = snapshot(other_audit)
    client.force_login(people[allowed].user)
    response = client.post(url(name, other_audit), change_data(name, other_audit, people))
    assert response.status_code == 404
    assert snapshot(other_audit) == before


@pytest.mark.parametrize("name", [*CHANGES, "audit_detail"])
def test_an_audit_that_does_not_exist_is_not_found(name, client, people):
    allowed = CHANGES.get(name, (None, "qa_lead"))[1]
    client.force_login(people[allowed].user)
    method = client.get if name in ("audit_detail", "audit_edit") else client.post
    assert method(reverse(f"audits:{name}", args=[999_999])).status_code == 404


@pytest.mark.parametrize("name", [name for name in CHANGES if name != "audit_edit"])
def test_each_change_answers_a_get_with_method_not_allowed(name, client, people, audit):
    state, allowed, _ = CHANGES[name]
    audit = bring_to(audit, state, people)
    before = snapshot(audit)
    client.force_login(people[allowed].user)
    assert client.get(url(name, audit)).status_code == 405
    assert snapshot(audit) == before


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_audit_form_answers_only_get_and_post(method, client, people, audit):
    client.force_login(people["auditor"].user)
    assert getattr(client, method)(url("audit_edit", audit)).status_code == 405


# --- the audit page --------------------------------------------------------------------------------


def test_a_practitioner_opens_the_audit_of_their_own_case(client, people, audit):
    services.audit_save_draft(
        actor=people["auditor"].user,
        audit=audit,
        revision=audit.revision,
        answers={"planning-evidence": "No SMART plan"},
        fields={},
    )
    client.force_login(people["worker"].user)
    response = client.get(url("audit_detail", audit))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Audit of case C-104233" in page and "No SMART plan" in page
    assert "Continue the audit" not in page  # only the auditor may


def test_only_the_auditor_is_offered_to_continue_a_draft(client, people, audit):
    client.force_login(people["auditor"].user)
    assert "Continue the audit" in client.get(url("audit_detail", audit)).content.decode()


def test_someone_with_no_role_is_refused_the_audit_page(client, audit):
    client.force_login(PersonFactory().user)
    assert client.get(url("audit_detail", audit)).status_code == 403


def test_the_page_of_another_areas_audit_is_not_found(client, people, other_audit):
    client.force_login(people["lead"].user)
    assert client.get(url("audit_detail", other_audit)).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_audit_page_only_answers_get(method, client, people, audit):
    client.force_login(people["lead"].user)
    assert getattr(client, method)(url("audit_detail", audit)).status_code == 405


def test_the_audit_page_keeps_the_name_the_area_had_when_the_audit_was_created(
    client, people, audit, own_area, admin_person
):
    service_area_update(actor=admin_person.user, area=own_area, code="SWF", name="Family Help")
    client.force_login(people["lead"].user)
    page = client.get(url("audit_detail", audit)).content.decode()
    assert "Social Work with Families" in page
    assert "Family Help" not in page


# --- the audit form and autosave ---------------------------------------------------------------


def test_the_auditor_opens_the_form_with_the_saved_answers_and_the_revision(client, people, audit):
    audit = services.audit_save_draft(
        actor=people["auditor"].user,
        audit=audit,
        revision=audit.revision,
        answers={"planning-evidence": "No SMART plan"},
        fields={"strengths": "Warm relationship"},
    )
    client.force_login(people["auditor"].user)
    response = client.get(url("audit_edit", audit))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="revision" id="audit-revision" value="{audit.revision}"' in page
    assert response.context["answers"]["q-planning-evidence"].value() == "No SMART plan"
    assert response.context["fields"]["strengths"].value() == "Warm relationship"


def test_the_form_of_a_submitted_audit_sends_the_auditor_to_the_audit_page(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    client.force_login(people["auditor"].user)
    response = client.get(url("audit_edit", audit))
    assert response.status_code == 302 and response.url == audit.get_absolute_url()


def test_a_colleague_in_the_same_area_cannot_open_someone_elses_audit_form(client, people, audit):
    client.force_login(people["colleague"].user)
    assert client.get(url("audit_edit", audit)).status_code == 403


def test_autosave_keeps_the_answers_bumps_the_revision_and_answers_json_naming_the_revision(client, people, audit):
    client.force_login(people["auditor"].user)
    opened = audit.revision
    response = client.post(
        url("audit_autosave", audit),
        form_data(audit, {"planning-grade": "requires_improvement", "planning-evidence": "No SMART plan"}),
    )
    audit = fresh(audit)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert audit.revision == opened + 1
    assert stored(audit)["planning-grade"] == "requires_improvement"
    assert stored(audit)["planning-evidence"] == "No SMART plan"
    answer = response.json()
    assert (answer["saved"], answer["revision"], answer["invalid"]) == (True, audit.revision, [])
    assert answer["message"].startswith("Draft saved at")
    event = audit.events.get(what="grade:planning")
    assert (event.old_value, event.new_value, event.actor) == ("", "requires_improvement", people["auditor"].user)


def test_an_autosave_from_someone_signed_out_answers_401_json_and_changes_nothing(client, people, audit):
    before = snapshot(audit)
    response = client.post(
        url("audit_autosave", audit), form_data(audit, {"planning-evidence": "Typed after signing out"})
    )
    assert response.status_code == 401
    assert response.json() == {"signed_out": True}
    assert "Location" not in response
    assert snapshot(audit) == before


@pytest.mark.parametrize("name", ["audit_edit", "audit_detail"])
def test_the_audit_pages_still_send_someone_signed_out_to_sign_in(name, client, audit):
    response = client.get(url(name, audit))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_signed_out_form_submit_is_still_sent_to_sign_in(client, audit):
    response = client.post(url("audit_edit", audit), complete_form(audit))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_second_autosave_from_the_revision_the_first_returned_is_saved_too(client, people, audit):
    client.force_login(people["auditor"].user)
    client.post(url("audit_autosave", audit), form_data(audit, {"planning-evidence": "First words"}))
    audit = fresh(audit)
    client.post(url("audit_autosave", audit), form_data(audit, {"planning-evidence": "Second words"}))
    assert stored(fresh(audit))["planning-evidence"] == "Second words"


def test_an_autosave_from_a_stale_revision_is_a_conflict_and_changes_nothing(client, people, audit):
    opened = form_data(audit, {"planning-evidence": "Second person's words"}, strengths="Theirs")
    services.audit_save_draft(
        actor=people["auditor"].user,
        audit=audit,
        revision=audit.revision,
        answers={"planning-evidence": "First person's words"},
        fields={},
    )
    before = snapshot(audit)
    client.force_login(people["auditor"].user)
    response = client.post(url("audit_autosave", audit), opened)
    assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] is False and answer["conflict"] is True
    assert "revision" not in answer  # the page keeps the revision it was opened at
    assert answer["message"].startswith("Not saved: someone else saved this audit since you opened it")
    assert "What did you find? Give the evidence for the grade." in answer["message"]  # what differs
    assert snapshot(audit) == before


def test_a_stale_autosave_holding_exactly_what_is_saved_is_not_a_conflict(client, people, audit):
    # The page-leave beacon of the same person's previous page got there first with the same answers.
    client.force_login(people["auditor"].user)
    opened = form_data(audit, {"planning-evidence": "Typed before the connection dropped"})
    client.post(url("audit_autosave", audit), opened)
    response = client.post(url("audit_autosave", audit), opened)
    audit = fresh(audit)
    answer = response.json()
    assert (answer["saved"], answer["revision"]) == (True, audit.revision)
    assert answer["message"].startswith("Draft saved at") and "Not saved" not in answer["message"]
    assert stored(audit)["planning-evidence"] == "Typed before the connection dropped"


def test_submitting_from_a_stale_revision_after_ones_own_autosave_of_the_same_answers_submits(client, people, audit):
    # The last answer's autosave (sent as the field lost focus) reached the portal just before the submit.
    client.force_login(people["auditor"].user)
    client.post(url("audit_autosave", audit), complete_form(audit))
    response = client.post(url("audit_edit", audit), complete_form(audit))
    assert response.status_code == 302
    assert fresh(audit).state == Audit.State.SUBMITTED


def test_submitting_from_a_stale_revision_shows_the_conflict_and_submits_nothing(client, people, audit):
    stale = complete_form(audit)
    services.audit_save_draft(
        actor=people["auditor"].user, audit=audit, revision=audit.revision, answers={}, fields={"strengths": "Mine"}
    )
    before = snapshot(audit)
    client.force_login(people["auditor"].user)
    response = client.post(url("audit_edit", audit), stale)
    assert response.status_code == 422
    assert response.context["conflict"].args == (AUDIT_CONFLICT,)
    assert snapshot(audit) == before


def test_autosave_ignores_fields_the_form_does_not_have(client, people, audit):
    client.force_login(people["auditor"].user)
    data = form_data(audit, {"planning-evidence": "No SMART plan", "made-up-question": "Anything"})
    data |= {
        "state": "closed",
        "overall_grade_override": "outstanding",
        "safeguarding_concern": "true",
        "oversight_comment": "Self-approved",
        "auditor": str(people["colleague"].pk),
        "case_reference": "C-1",
    }
    response = client.post(url("audit_autosave", audit), data)
    audit = fresh(audit)
    assert response.status_code == 200
    assert stored(audit)["planning-evidence"] == "No SMART plan"
    assert "made-up-question" not in stored(audit)
    assert audit.state == Audit.State.DRAFT
    assert not audit.safeguarding_concern and audit.oversight_comment == ""
    assert (audit.auditor, audit.case_reference) == (people["auditor"], "C-104233")


@pytest.mark.parametrize("name", ["audit_edit", "audit_autosave"])
def test_a_service_lead_posting_a_grade_to_the_audit_form_is_refused_and_changes_nothing(name, client, people, audit):
    before = snapshot(audit)
    client.force_login(people["lead"].user)
    response = client.post(
        url(name, audit), form_data(audit, {"planning-grade": "inadequate"}, overall_grade="inadequate")
    )
    assert response.status_code == 403
    assert snapshot(audit) == before


def test_autosave_on_a_submitted_audit_says_so_and_changes_nothing(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    before = snapshot(audit)
    client.force_login(people["auditor"].user)
    response = client.post(url("audit_autosave", audit), form_data(audit, {"planning-grade": "inadequate"}))
    assert response.json() == {"saved": False, "closed": True, "message": AUTOSAVE_CLOSED}
    assert snapshot(audit) == before


def field_block(page: str, field_id: str) -> str:
    """The HTML crispy forms renders for one field, up to the next field: its label, input and errors."""
    start = page.index(f'id="div_id_{field_id}"')
    end = page.find('id="div_id_', start + 1)
    return page[start : end if end != -1 else None]


def test_submitting_an_incomplete_audit_shows_what_is_missing_next_to_each_field_and_keeps_the_draft(
    client, people, audit
):
    client.force_login(people["auditor"].user)
    answers = complete_answers() | {"planning-grade": "", "planning-evidence": "The plan is vague"}
    response = client.post(url("audit_edit", audit), form_data(audit, answers))
    assert response.status_code == 422
    answers_form, fields_form = response.context["answers"], response.context["fields"]
    assert answers_form.errors == {"q-planning-grade": [ANSWER_REQUIRED]}
    assert fields_form.errors == {"overall_grade": [OVERALL_GRADE_REQUIRED], "discussion_held": [DISCUSSION_REQUIRED]}
    page = response.content.decode()
    assert ANSWER_REQUIRED in field_block(page, "q-planning-grade")
    assert ANSWER_REQUIRED not in field_block(page, "q-planning-evidence")
    assert OVERALL_GRADE_REQUIRED in field_block(page, "overall_grade")
    assert DISCUSSION_REQUIRED in field_block(page, "discussion_held")
    audit = fresh(audit)
    assert audit.state == Audit.State.DRAFT and audit.submitted_at is None
    assert stored(audit)["planning-evidence"] == "The plan is vague"  # what was typed is kept
    assert not audit.events.filter(what="state", new_value=Audit.State.SUBMITTED).exists()
    # The form carries the new revision, so submitting again after fixing it is not a conflict.
    assert f'name="revision" id="audit-revision" value="{audit.revision}"' in page


def test_submitting_a_complete_audit_goes_to_the_audit_page_and_records_who_submitted_it(client, people, audit):
    client.force_login(people["auditor"].user)
    response = client.post(url("audit_edit", audit), complete_form(audit))
    audit = fresh(audit)
    assert response.status_code == 302 and response.url == audit.get_absolute_url()
    assert audit.state == Audit.State.SUBMITTED and audit.submitted_at
    assert (audit.overall_grade, audit.discussion_held, audit.discussion_on) == ("good", True, date(2026, 11, 2))
    event = audit.events.get(what="state", new_value=Audit.State.SUBMITTED)
    assert (event.old_value, event.actor) == (Audit.State.DRAFT, people["auditor"].user)
    assert audit.events.get(what="overall_grade").new_value == "good"


# --- actions, oversight, disputes, concerns, closing ---------------------------------------------


def test_the_auditor_adds_a_recommended_action_and_returns_to_the_form(client, people, audit):
    client.force_login(people["auditor"].user)
    response = client.post(url("audit_action_add", audit), change_data("audit_action_add", audit, people))
    assert response.status_code == 302 and response.url == url("audit_edit", audit)
    action = LearningAction.objects.get(audit=audit)
    assert (action.description, action.owner, action.due_on) == (
        "Update the chronology",
        people["worker"],
        date(2026, 12, 1),
    )


def test_an_action_for_someone_outside_the_area_is_not_added(client, people, audit):
    client.force_login(people["auditor"].user)
    data = change_data("audit_action_add", audit, people) | {"owner": people["other_manager"].pk}
    response = client.post(url("audit_action_add", audit), data, follow=True)
    assert "The action was not added" in response.content.decode()
    assert not LearningAction.objects.exists()


def test_the_service_lead_records_oversight_with_a_comment(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    client.force_login(people["lead"].user)
    response = client.post(url("audit_oversight", audit), {"comment": "Agree with the grade"})
    audit = fresh(audit)
    assert response.status_code == 302 and response.url == audit.get_absolute_url()
    assert audit.state == Audit.State.OVERSEEN and audit.oversight_by == people["lead"]
    assert audit.oversight_comment == "Agree with the grade"
    event = audit.events.get(what="state", new_value=Audit.State.OVERSEEN)
    assert (event.old_value, event.actor, event.reason) == (
        Audit.State.SUBMITTED,
        people["lead"].user,
        "Agree with the grade",
    )


def test_oversight_without_a_comment_is_shown_again_and_changes_nothing(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    before = snapshot(audit)
    client.force_login(people["lead"].user)
    response = client.post(url("audit_oversight", audit), {"comment": ""})
    assert response.status_code == 422
    assert response.context["oversight_form"].errors["comment"]
    assert snapshot(audit) == before


def test_the_service_lead_disputes_the_grade_with_a_reason(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    client.force_login(people["lead"].user)
    response = client.post(
        url("audit_dispute", audit), {"reason": "The plan is not SMART", "proposed_grade": "requires_improvement"}
    )
    audit = fresh(audit)
    assert response.status_code == 302
    assert audit.state == Audit.State.DISPUTED
    dispute = audit.disputes.get()
    assert (dispute.raised_by, dispute.reason, dispute.proposed_grade) == (
        people["lead"],
        "The plan is not SMART",
        "requires_improvement",
    )
    event = audit.events.get(what="state", new_value=Audit.State.DISPUTED)
    assert (event.actor, event.reason) == (people["lead"].user, "The plan is not SMART")


def test_a_dispute_without_a_reason_is_refused_and_changes_nothing(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    before = snapshot(audit)
    client.force_login(people["lead"].user)
    response = client.post(url("audit_dispute", audit), {"reason": " ", "proposed_grade": ""})
    assert response.status_code == 422
    assert response.context["dispute_form"].errors["reason"]
    assert snapshot(audit) == before


def test_a_dispute_proposing_the_grade_the_audit_has_is_refused_and_a_proposed_grade_is_shown(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)  # graded Good
    before = snapshot(audit)
    client.force_login(people["lead"].user)

    response = client.post(url("audit_dispute", audit), {"reason": "Plan is fine", "proposed_grade": "good"})

    assert response.status_code == 422
    assert response.context["dispute_form"].errors["proposed_grade"] == [PROPOSED_GRADE_UNCHANGED.format(grade="Good")]
    assert snapshot(audit) == before

    client.post(url("audit_dispute", audit), {"reason": "Plan is not SMART", "proposed_grade": "inadequate"})
    page = client.get(url("audit_detail", audit)).content.decode()
    assert f"proposing {grade_tag_html('inadequate')}: Plan is not SMART" in page


def test_the_qa_lead_resolves_a_dispute_by_changing_the_grade(client, people, audit):
    audit = bring_to(audit, Audit.State.DISPUTED, people)
    client.force_login(people["qa_lead"].user)
    response = client.post(
        url("audit_resolve", audit),
        {"outcome": "changed", "grade": "inadequate", "resolution": "Outcomes are not shown"},
    )
    audit = fresh(audit)
    assert response.status_code == 302
    assert audit.state == Audit.State.SUBMITTED and audit.overall_grade == "inadequate"
    dispute = audit.disputes.get()
    assert (dispute.outcome, dispute.original_grade, dispute.resolved_grade, dispute.resolved_by) == (
        Dispute.Outcome.CHANGED,
        "good",
        "inadequate",
        people["qa_lead"],
    )
    grade = audit.events.filter(what="overall_grade").last()
    assert (grade.old_value, grade.new_value, grade.actor, grade.reason) == (
        "good",
        "inadequate",
        people["qa_lead"].user,
        "Outcomes are not shown",
    )
    state = audit.events.filter(what="state").last()
    assert (state.old_value, state.new_value, state.actor, state.reason) == (
        Audit.State.DISPUTED,
        Audit.State.SUBMITTED,
        people["qa_lead"].user,
        "Dispute resolved: Grade changed",
    )


def _moderate(audit, grade, people):
    """Give the audit a moderated grade, as a moderation decision would."""
    moderated_grade_set(actor=people["qa_lead"].user, audit=fresh(audit), grade=grade, reason="Panel's view")
    return fresh(audit)


def test_the_resolution_form_warns_when_a_moderated_grade_counts_and_names_it(client, people, audit):
    audit = _moderate(bring_to(audit, Audit.State.DISPUTED, people), "requires_improvement", people)
    client.force_login(people["qa_lead"].user)
    page = client.get(url("audit_detail", audit)).content.decode()
    warning = MODERATED_GRADE_STILL_COUNTS.format(grade="Requires Improvement")
    assert escape(warning) in page
    # The warning sits in the resolution's section, before its form.
    assert page.index('id="resolve-heading"') < page.index('id="resolve-warning"') < page.index("Record the decision")


def test_without_a_moderated_grade_the_resolution_form_gives_no_warning(client, people, audit):
    audit = bring_to(audit, Audit.State.DISPUTED, people)
    client.force_login(people["qa_lead"].user)
    response = client.get(url("audit_detail", audit))
    assert response.context["moderated_grade_warning"] is None
    assert 'id="resolve-warning"' not in response.content.decode()


@pytest.mark.parametrize(
    ("moderated", "counts"),
    [
        ("requires_improvement", grade_that_counts("Requires Improvement", True)),
        ("", grade_that_counts("Inadequate", False)),
    ],
)
def test_after_resolving_the_page_says_which_grade_counts_now(client, people, audit, moderated, counts):
    audit = bring_to(audit, Audit.State.DISPUTED, people)
    if moderated:
        audit = _moderate(audit, moderated, people)
    client.force_login(people["qa_lead"].user)
    response = client.post(
        url("audit_resolve", audit),
        {"outcome": "changed", "grade": "inadequate", "resolution": "Outcomes are not shown"},
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == [f"Dispute resolved. {counts}"]
    assert fresh(audit).final_grade == (moderated or "inadequate")
    shown = re.search(r'<p id="grade-that-counts">(.*?)</p>', response.content.decode(), re.S).group(1)
    assert ("moderation panel" in shown) == bool(moderated)
    assert ("Requires Improvement" if moderated else "Inadequate") in shown


def test_resolving_an_audit_with_no_open_dispute_is_refused_and_changes_nothing(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    before = snapshot(audit)
    client.force_login(people["qa_lead"].user)
    response = client.post(url("audit_resolve", audit), change_data("audit_resolve", audit, people))
    assert response.status_code == 422
    assert "This audit has no open dispute." in response.context["resolve_form"].non_field_errors()
    assert snapshot(audit) == before


@pytest.mark.parametrize("who", ["auditor", "lead"])
def test_the_auditor_or_the_service_lead_raises_a_safeguarding_concern(who, client, people, audit):
    client.force_login(people[who].user)
    response = client.post(url("audit_concern", audit), {"safeguarding_details": "Unexplained bruising"})
    audit = fresh(audit)
    assert response.status_code == 302
    assert audit.safeguarding_concern and audit.safeguarding_raised_at
    assert audit.safeguarding_details == "Unexplained bruising"
    event = audit.events.get(what="safeguarding_concern")
    assert (event.new_value, event.actor, event.reason) == ("raised", people[who].user, "Unexplained bruising")


def test_a_concern_with_no_details_is_refused_and_changes_nothing(client, people, audit):
    before = snapshot(audit)
    client.force_login(people["auditor"].user)
    response = client.post(url("audit_concern", audit), {"safeguarding_details": ""})
    assert response.status_code == 422
    assert snapshot(audit) == before


def test_a_colleague_practice_manager_cannot_raise_a_concern_on_someone_elses_audit(client, people, audit):
    before = snapshot(audit)
    client.force_login(people["colleague"].user)
    response = client.post(url("audit_concern", audit), {"safeguarding_details": "Unexplained bruising"})
    assert response.status_code == 403
    assert snapshot(audit) == before


def test_the_service_lead_marks_an_overseen_audit_as_on_the_childs_record(client, people, audit):
    audit = bring_to(audit, Audit.State.OVERSEEN, people)
    client.force_login(people["lead"].user)
    response = client.post(url("audit_on_record", audit))
    audit = fresh(audit)
    assert response.status_code == 302
    assert audit.state == Audit.State.CLOSED and audit.on_record_by == people["lead"] and audit.on_record_at
    event = audit.events.get(what="state", new_value=Audit.State.CLOSED)
    assert (event.old_value, event.actor) == (Audit.State.OVERSEEN, people["lead"].user)


def test_an_audit_without_oversight_cannot_be_marked_as_on_the_record(client, people, audit):
    audit = bring_to(audit, Audit.State.SUBMITTED, people)
    before = snapshot(audit)
    client.force_login(people["lead"].user)
    response = client.post(url("audit_on_record", audit), follow=True)
    assert "Record oversight before marking the audit" in response.content.decode()
    assert snapshot(audit) == before


# --- queries: the pages cost the same however much the audit holds ------------------------------


def grow(audit, people, make_person, actions, events, disputes):
    """Give a draft `actions` actions, `events` more history rows and `disputes` resolved disputes,
    each by someone different, so a query per row would show."""
    for i in range(actions):
        owner = make_person(Role.PRACTITIONER, audit.service_area, full_name=f"Owner {i}")
        services.action_add(audit=audit, description=f"Action {i}", owner=owner, due_on=date(2026, 12, 1))
    for i in range(events):
        actor = make_person(Role.QA_OFFICER, full_name=f"Actor {i}").user
        AuditEvent.objects.create(audit=audit, actor=actor, what="overall_grade", old_value="good", new_value="good")
    for i in range(disputes):
        Dispute.objects.create(
            audit=audit,
            raised_by=make_person(Role.SERVICE_LEAD, audit.service_area, full_name=f"Raiser {i}"),
            reason="Why",
            resolved_by=make_person(Role.QA_LEAD, full_name=f"Resolver {i}"),
            resolved_at=audit.created_at,
            outcome=Dispute.Outcome.KEPT,
            original_grade="good",
            resolved_grade="good",
            resolution="Kept",
        )
    return fresh(audit)


# The audit page runs 22 today, the form 13. Of the page's, 3 are the access record (quality/security/access.py):
# one INSERT, in a savepoint of its own (SAVEPOINT, INSERT, RELEASE) so a failed insert cannot break the page.
MAX_QUERIES = 23


def queries_for(client, path):
    client.get(path)  # fill the caches filled on first use (content types, the session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def small_and_large(people, own_area, own_team, tool_version, audit, make_person):
    large = services.audit_create(
        actor=people["qa_lead"].user,
        case_reference="C-2",
        service_area=own_area,
        team=own_team,
        case_holder=people["worker"],
        auditor=people["auditor"],
        tool_version=tool_version,
    )
    small = grow(audit, people, make_person, actions=1, events=1, disputes=1)
    large = grow(large, people, make_person, actions=10, events=20, disputes=4)
    for each in (small, large):
        services.audit_save_draft(
            actor=people["auditor"].user, audit=each, revision=each.revision, answers=complete_answers(), fields={}
        )
    return small, large


@pytest.mark.parametrize("name", ["audit_detail", "audit_edit"])
def test_the_audit_pages_run_the_same_queries_for_one_action_and_a_short_history_as_for_many(
    name, client, people, small_and_large
):
    small, large = small_and_large
    assert (small.actions.count(), large.actions.count()) == (1, 10)
    assert large.events.count() >= small.events.count() + 15
    client.force_login(people["auditor"].user)
    assert queries_for(client, url(name, small)) == queries_for(client, url(name, large)) <= MAX_QUERIES
