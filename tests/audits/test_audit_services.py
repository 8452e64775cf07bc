from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from audits import services
from audits.messages import (
    ANSWER_REQUIRED,
    CASE_REFERENCE_INVALID,
    CONCERN_ALREADY_RAISED,
    DISCUSSION_REQUIRED,
    OVERALL_GRADE_REQUIRED,
    TOOL_NOT_PUBLISHED,
    TOOL_WRONG_AREA,
)
from audits.models import AreaGrade, Audit, AuditEvent, Dispute, LearningAction
from quality.access import Action, can, visible
from quality.org.models import Notification, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def audit(practitioner, practice_manager, qa_lead, own_area, own_team, tool_version):
    return services.audit_create(
        actor=qa_lead.user,
        case_reference="c-104233",
        service_area=own_area,
        team=own_team,
        case_holder=practitioner,
        auditor=practice_manager,
        tool_version=tool_version,
        period_end=date(2026, 10, 31),
    )


def complete_answers(grade="good"):
    return services.seven_area_answers(grade, "Seen in the chronology and the plan.")


def save(audit, actor, answers=None, **fields):
    return services.audit_save_draft(
        actor=actor, audit=audit, revision=audit.revision, answers=answers or {}, fields=fields
    )


def test_a_new_audit_covers_the_six_months_before_and_is_a_draft(audit):
    assert audit.case_reference == "C-104233"
    assert (audit.period_start, audit.period_end) == (date(2026, 4, 30), date(2026, 10, 31))
    assert audit.state == Audit.State.DRAFT
    assert AuditEvent.objects.get(audit=audit).new_value == Audit.State.DRAFT


@pytest.mark.parametrize("reference", ["Jane Smith", "", "x", "C 1042"])
def test_a_case_reference_that_could_be_a_name_is_refused(reference, practice_manager, own_area, tool_version):
    with pytest.raises(ValidationError) as refused:
        services.audit_create(
            actor=None,
            case_reference=reference,
            service_area=own_area,
            auditor=practice_manager,
            tool_version=tool_version,
        )
    assert refused.value.message_dict["case_reference"] == [CASE_REFERENCE_INVALID]
    assert not Audit.objects.exists()


def test_audits_start_only_on_a_published_tool_of_their_area(practice_manager, own_area, other_area, tool_version):
    draft = services.version_start_draft(actor=None, tool=tool_version.tool)
    with pytest.raises(ValidationError) as refused:
        services.audit_create(
            actor=None, case_reference="C1", service_area=own_area, auditor=practice_manager, tool_version=draft
        )
    assert refused.value.message_dict["tool_version"] == [TOOL_NOT_PUBLISHED]
    with pytest.raises(ValidationError) as refused:
        services.audit_create(
            actor=None,
            case_reference="C1",
            service_area=other_area,
            auditor=practice_manager,
            tool_version=tool_version,
        )
    assert refused.value.message_dict["tool_version"] == [TOOL_WRONG_AREA]


def test_saving_a_draft_keeps_answers_and_derives_the_area_grades(audit, practice_manager):
    user = practice_manager.user
    audit = save(audit, user, {"planning-grade": "requires_improvement", "planning-evidence": "No SMART plan"})
    audit = save(audit, user, {"planning-evidence": "The plan is not SMART"}, strengths="Warm relationship")
    assert dict(audit.answers.values_list("question__key", "value")) == {
        "planning-grade": "requires_improvement",
        "planning-evidence": "The plan is not SMART",
    }
    assert list(AreaGrade.objects.filter(audit=audit).values_list("area", "grade")) == [
        ("planning", "requires_improvement")
    ]
    assert audit.strengths == "Warm relationship" and audit.revision == 3
    event = AuditEvent.objects.get(audit=audit, what="grade:planning")
    assert (event.old_value, event.new_value, event.actor) == ("", "requires_improvement", user)


def test_a_save_from_an_older_revision_is_a_conflict_naming_what_differs(audit, practice_manager):
    user = practice_manager.user
    opened = audit.revision
    save(audit, user, {"planning-evidence": "First person's words"})
    with pytest.raises(services.AuditConflict) as conflict:
        services.audit_save_draft(
            actor=user, audit=audit, revision=opened, answers={"planning-evidence": "Second person's words"}, fields={}
        )
    assert conflict.value.changes == ["What did you find? Give the evidence for the grade."]
    assert audit.answers.get(question__key="planning-evidence").value == "First person's words"


def test_submitting_an_incomplete_audit_lists_what_is_missing_and_changes_nothing(audit, practice_manager):
    with pytest.raises(ValidationError) as refused:
        services.audit_submit(actor=practice_manager.user, audit=audit)
    problems = refused.value.message_dict
    assert problems["q-planning-grade"] == [ANSWER_REQUIRED]
    assert problems["overall_grade"] == [OVERALL_GRADE_REQUIRED]
    assert problems["discussion_held"] == [DISCUSSION_REQUIRED]
    audit.refresh_from_db()
    assert audit.state == Audit.State.DRAFT


def submitted(audit, grade="good"):
    user = audit.auditor.user
    audit = save(
        audit, user, complete_answers(), overall_grade=grade, discussion_held=True, discussion_on=date(2026, 11, 2)
    )
    return services.audit_submit(actor=user, audit=audit)


def test_submitting_tells_the_case_holder_team_manager_and_service_lead(
    audit, practitioner, service_lead, django_capture_on_commit_callbacks, email_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        audit = submitted(audit)
    assert audit.state == Audit.State.SUBMITTED and audit.submitted_at
    submission = Notification.objects.filter(subject__startswith="Audit submitted")
    told = set(submission.values_list("recipient", flat=True))
    assert told == {practitioner.user_id, service_lead.user_id}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([practitioner.user.email, service_lead.user.email])
    assert all("C-104233" in n.subject for n in submission)


def test_submitting_also_tells_the_team_practice_manager(audit, make_person, own_area, own_team):
    manager = make_person(Role.PRACTICE_MANAGER, own_area)
    manager.memberships.update(team=own_team)
    submitted(audit)
    assert Notification.objects.filter(recipient=manager.user).exists()


def test_a_safeguarding_concern_tells_managers_heads_and_senior_leaders_at_once(
    audit, practice_manager, service_lead, head_of_service, senior_leader
):
    services.audit_raise_concern(actor=practice_manager.user, audit=audit, details="Unexplained bruising")
    told = set(Notification.objects.filter(urgent=True).values_list("recipient", flat=True))
    expected = {person.user_id for person in (practice_manager, service_lead, head_of_service, senior_leader)}
    assert told == expected
    audit.refresh_from_db()
    assert audit.safeguarding_concern and audit.safeguarding_raised_at


def test_a_safeguarding_concern_is_raised_once_and_a_second_raise_changes_nothing_and_tells_nobody(
    audit, practice_manager, service_lead
):
    services.audit_raise_concern(actor=practice_manager.user, audit=audit, details="Unexplained bruising")
    raised = Audit.objects.get(pk=audit.pk)
    notices, emails = Notification.objects.count(), len(mail.outbox)

    with pytest.raises(ValidationError) as refused:
        services.audit_raise_concern(actor=service_lead.user, audit=audit, details="Something else")

    assert refused.value.messages == [CONCERN_ALREADY_RAISED]
    again = Audit.objects.get(pk=audit.pk)
    assert (again.safeguarding_details, again.safeguarding_raised_at, again.revision) == (
        "Unexplained bruising",
        raised.safeguarding_raised_at,
        raised.revision,
    )
    assert (Notification.objects.count(), len(mail.outbox)) == (notices, emails)
    assert audit.events.filter(what="safeguarding_concern").count() == 1


def test_oversight_then_on_the_record_closes_the_audit(audit, service_lead):
    audit = submitted(audit)
    services.audit_confirm_oversight(actor=service_lead.user, audit=audit, comment="Agree with the grade")
    closed = services.audit_mark_on_record(actor=service_lead.user, audit=audit)
    assert closed.state == Audit.State.CLOSED and closed.on_record_by == service_lead
    states = list(AuditEvent.objects.filter(audit=audit, what="state").values_list("new_value", flat=True))
    assert states == ["draft", "submitted", "overseen", "closed"]


def test_a_dispute_resolved_by_changing_the_grade_keeps_the_original_grade(audit, service_lead, qa_lead):
    audit = submitted(audit, grade="good")
    dispute = services.audit_dispute(
        actor=service_lead.user, audit=audit, reason="Plan is not SMART", proposed_grade="requires_improvement"
    )
    assert Notification.objects.filter(recipient=qa_lead.user, subject__startswith="Grade disputed").exists()
    services.dispute_resolve(
        actor=qa_lead.user,
        dispute=dispute,
        outcome=Dispute.Outcome.CHANGED,
        grade="requires_improvement",
        resolution="Outcomes are not yet evidenced",
    )
    audit.refresh_from_db()
    dispute.refresh_from_db()
    assert audit.overall_grade == "requires_improvement" and audit.state == Audit.State.SUBMITTED
    assert (dispute.original_grade, dispute.resolved_grade) == ("good", "requires_improvement")
    change = AuditEvent.objects.filter(audit=audit, what="overall_grade").last()
    assert (change.old_value, change.new_value, change.actor) == (
        "good",
        "requires_improvement",
        qa_lead.user,
    )
    assert change.reason == "Outcomes are not yet evidenced"


def test_closing_an_action_needs_the_evidence(audit, practitioner):
    action = services.action_add(
        audit=audit, description="Update the chronology", owner=practitioner, due_on=date(2026, 12, 1)
    )
    with pytest.raises(ValidationError):
        services.action_close(actor=practitioner.user, action=action, status="done", outcome=" ")
    services.action_close(actor=practitioner.user, action=action, status="done", outcome="Chronology updated")
    action.refresh_from_db()
    assert action.status == LearningAction.Status.DONE and action.closed_at


def test_a_practitioner_sees_audits_of_their_own_cases_only(
    audit, practice_manager, practitioner, service_lead, make_person, own_area, tool_version
):
    other_case = services.audit_create(
        actor=None, case_reference="C-2", service_area=own_area, auditor=practice_manager, tool_version=tool_version
    )
    colleague = make_person(Role.PRACTITIONER, own_area)
    assert list(visible(practitioner.user, Audit.objects.all())) == [audit]
    assert list(visible(colleague.user, Audit.objects.all())) == []
    assert set(visible(service_lead.user, Audit.objects.all())) == {audit, other_case}


def test_a_service_lead_of_another_area_cannot_see_or_oversee(audit, make_person, other_area):
    other_lead = make_person(Role.SERVICE_LEAD, other_area)
    assert not visible(other_lead.user, Audit.objects.all()).exists()
    assert not can(other_lead.user, Action.OVERSEE_AUDIT, audit)


def test_only_the_auditor_may_edit_the_audit(audit, practice_manager, service_lead, make_person, own_area):
    colleague = make_person(Role.PRACTICE_MANAGER, own_area)
    assert can(practice_manager.user, Action.EDIT_AUDIT, audit)
    assert not can(colleague.user, Action.EDIT_AUDIT, audit)
    assert can(colleague.user, Action.VIEW_AUDITS, audit)
    assert not can(service_lead.user, Action.EDIT_AUDIT, audit)
    assert can(service_lead.user, Action.OVERSEE_AUDIT, audit)


def test_a_partner_auditor_sees_only_the_audits_they_do(audit, make_person, own_area, tool_version):
    partner = make_person(Role.PARTNER_AUDITOR)
    theirs = services.audit_create(
        actor=None,
        case_reference="C-9",
        service_area=own_area,
        auditor=partner,
        tool_version=tool_version,
        kind="partnership",
    )
    assert list(visible(partner.user, Audit.objects.all())) == [theirs]
