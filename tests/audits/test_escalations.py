"""The Inadequate escalation chain, Requires Improvement remedial deadlines and exemplars: the services
(every transition, its validation and who is told) and the pages (board, escalation, exemplars).

Time is frozen on Monday 23 November 2026: QA confirming a grade that day makes the 3-day update due
on 26 November, the one-week update on 30 November and the re-audit on 23 December.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audits import grades, services
from audits.cycle import escalations
from audits.models import Audit, AuditEvent, Escalation, EscalationUpdate, Grade
from moderation import qa_review
from moderation.models import ModerationDecision
from moderation.qa_review import Decision
from quality.access import Action, can
from quality.org.models import Notification, Role
from tests.factories import published_tool_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

TODAY = date(2026, 11, 23)
Step = EscalationUpdate.Step


@pytest.fixture
def frozen():
    with freeze_time("2026-11-23 10:00:00"):
        yield


# The shared cast (tests/conftest.py) by their part in the chain: the parametrised tests name them.
PARTS = {
    "qa_lead": "qa_lead",
    "qa_officer": "qa_officer",
    "auditor": "practice_manager",
    "worker": "practitioner",
    "lead": "service_lead",
    "head": "head_of_service",
    "senior": "senior_leader",
    "other_lead": "other_lead",
    "other_auditor": "other_manager",
}


def cast(request) -> dict:
    return {part: request.getfixturevalue(fixture) for part, fixture in PARTS.items()}


@pytest.fixture
def people(request):
    return cast(request)


@pytest.fixture
def other_tool_version(other_area):
    return published_tool_version(area=other_area)


def new_audit(people, tool_version, reference="C-104233", auditor="auditor", team=None, holder="worker", **kwargs):
    return services.audit_create(
        actor=people["qa_lead"].user,
        case_reference=reference,
        service_area=tool_version.tool.service_area,
        auditor=people[auditor],
        case_holder=people[holder] if holder else None,
        team=team,
        tool_version=tool_version,
        period_end=date(2026, 10, 31),
        due_on=date(2026, 11, 28),
        **kwargs,
    )


def submit(audit, grade, actor=None):
    actor = actor or audit.auditor.user
    audit = services.audit_save_draft(
        actor=actor,
        audit=audit,
        revision=audit.revision,
        answers=services.seven_area_answers(grade, "Seen in the chronology and the plan."),
        fields={"overall_grade": grade, "discussion_held": True, "discussion_on": date(2026, 11, 2)},
    )
    return services.audit_submit(actor=actor, audit=audit)


@pytest.fixture
def inadequate(people, tool_version, own_team):
    """A submitted Inadequate audit of the own area: its chain awaits QA moderation."""
    return submit(new_audit(people, tool_version, team=own_team), Grade.INADEQUATE)


@pytest.fixture
def chain(inadequate):
    return Escalation.objects.get(audit=inadequate, kind=Escalation.Kind.INADEQUATE)


def confirm(chain, people, rationale="No plan protects the child from neglect."):
    return qa_review.escalation_review(
        actor=people["qa_officer"].user, escalation=chain, decision=Decision.CONFIRM, rationale=rationale
    )


@pytest.fixture
def escalated(chain, people):
    return confirm(chain, people)


def told(person, **filters):
    return Notification.objects.filter(recipient=person.user, **filters)


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict if hasattr(error.value, "error_dict") else {"__all__": error.value.messages}


# --- opening the chain -------------------------------------------------------------------------------


def test_submitting_an_inadequate_audit_opens_a_chain_awaiting_qa_moderation_and_tells_qa_urgently(inadequate, people):
    chain = Escalation.objects.get(audit=inadequate)
    assert (chain.kind, chain.stage) == (Escalation.Kind.INADEQUATE, Escalation.Stage.AWAITING_MODERATION)
    for qa in ("qa_lead", "qa_officer"):
        assert told(people[qa], subject="Inadequate grade to moderate: case C-104233", urgent=True).exists()
    for nobody in ("head", "other_lead", "senior"):
        assert not told(people[nobody], subject__startswith="Inadequate").exists()


@pytest.mark.parametrize("grade", [Grade.GOOD, Grade.OUTSTANDING, Grade.REQUIRES_IMPROVEMENT])
def test_submitting_an_audit_graded_better_than_inadequate_opens_no_chain(grade, people, tool_version):
    submit(new_audit(people, tool_version), grade)
    assert not Escalation.objects.exists()


# --- QA's review ---------------------------------------------------------------------------------------


def test_qa_confirming_the_grade_escalates_with_its_deadlines_and_records_the_moderation(escalated, people):
    chain = escalated
    assert chain.stage == Escalation.Stage.ESCALATED
    assert (chain.confirmed_by, chain.confirmed_at) == (people["qa_officer"], timezone.now())
    assert (chain.first_update_due, chain.second_update_due, chain.reaudit_due_on) == (
        date(2026, 11, 26),
        date(2026, 11, 30),
        date(2026, 12, 23),
    )
    audit = Audit.objects.get(pk=chain.audit_id)
    assert audit.moderated_grade == Grade.INADEQUATE and audit.final_grade == Grade.INADEQUATE
    decision = ModerationDecision.objects.get(audit=audit)
    assert (decision.source, decision.original_grade, decision.moderated_grade, decision.decided_on) == (
        ModerationDecision.Source.QA_REVIEW,
        Grade.INADEQUATE,
        Grade.INADEQUATE,
        TODAY,
    )
    assert (decision.decided_by, decision.recorded_by) == (people["qa_officer"], people["qa_officer"].user)
    assert decision.rationale == "No plan protects the child from neglect."
    event = AuditEvent.objects.get(audit=audit, what=grades.MODERATED_GRADE)
    assert (event.old_value, event.new_value, event.actor) == ("", Grade.INADEQUATE, people["qa_officer"].user)


def test_confirming_tells_every_head_of_service_and_the_areas_service_leads_urgently_and_the_auditor(
    chain, people, make_person, own_area
):
    second_head = make_person(Role.HEAD_OF_SERVICE, full_name="Hugo Head")
    second_lead = make_person(Role.SERVICE_LEAD, own_area, full_name="Sue Lead")
    confirm(chain, people)
    subject = "Inadequate audit escalated for urgent review: case C-104233"
    for person in (people["head"], second_head, people["lead"], second_lead):
        assert told(person, subject=subject, urgent=True).exists()
    assert "by 26 November 2026" in told(people["lead"], subject=subject).get().body
    assert not told(people["other_lead"], subject=subject).exists()
    assert told(people["auditor"], subject="QA confirmed your Inadequate grade: case C-104233").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"decision": Decision.CONFIRM, "rationale": "  "}, "rationale", qa_review.RATIONALE_REQUIRED),
        ({"decision": "", "rationale": "Why"}, "decision", qa_review.DECISION_REQUIRED),
        ({"decision": Decision.CHANGE, "rationale": "Why"}, "grade", qa_review.NEW_GRADE_REQUIRED),
        (
            {"decision": Decision.CHANGE, "rationale": "Why", "grade": Grade.INADEQUATE},
            "grade",
            qa_review.NEW_GRADE_REQUIRED,
        ),
        ({"decision": Decision.CHANGE, "rationale": "Why", "grade": "awful"}, "grade", qa_review.NEW_GRADE_REQUIRED),
    ],
)
def test_a_review_without_what_it_needs_is_refused_and_changes_nothing(chain, people, data, field, message):
    errors = refused(lambda: qa_review.escalation_review(actor=people["qa_lead"].user, escalation=chain, **data))
    assert errors[field] == [message]
    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.AWAITING_MODERATION
    assert not ModerationDecision.objects.exists()
    assert Audit.objects.get(pk=chain.audit_id).moderated_grade == ""


def test_a_chain_is_reviewed_once(escalated, people):
    errors = refused(lambda: confirm(escalated, people))
    assert errors == {"__all__": [qa_review.NOT_AWAITING_MODERATION]}
    assert ModerationDecision.objects.count() == 1


def test_qa_changing_the_grade_withdraws_the_chain_and_the_moderated_grade_becomes_final(chain, people):
    qa_review.escalation_review(
        actor=people["qa_lead"].user,
        escalation=chain,
        decision=Decision.CHANGE,
        grade=Grade.GOOD,
        rationale="Outcomes for the child improved.",
        feedback="Grade on outcomes, not on process.",
    )
    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.WITHDRAWN
    assert chain.closed_by == people["qa_lead"] and "Outcomes for the child improved." in chain.closing_note
    audit = Audit.objects.get(pk=chain.audit_id)
    assert (audit.overall_grade, audit.moderated_grade, audit.final_grade) == ("inadequate", "good", "good")
    decision = ModerationDecision.objects.get()
    assert (decision.original_grade, decision.moderated_grade) == (Grade.INADEQUATE, Grade.GOOD)
    assert decision.feedback == "Grade on outcomes, not on process."
    assert AuditEvent.objects.filter(audit=audit, what="moderated_grade", new_value="good").exists()
    assert told(people["auditor"], subject="Grade moderated to Good: case C-104233").exists()
    assert not told(people["head"]).filter(subject__contains="escalated").exists()
    assert not Escalation.objects.filter(kind=Escalation.Kind.REMEDIAL).exists()


def test_qa_changing_the_grade_to_requires_improvement_opens_the_remedial_deadline(chain, people):
    qa_review.escalation_review(
        actor=people["qa_lead"].user,
        escalation=chain,
        decision=Decision.CHANGE,
        grade=Grade.REQUIRES_IMPROVEMENT,
        rationale="Some change is happening.",
    )
    remedial = Escalation.objects.get(kind=Escalation.Kind.REMEDIAL)
    assert (remedial.audit_id, remedial.stage, remedial.remedial_due_on) == (
        chain.audit_id,
        Escalation.Stage.ESCALATED,
        TODAY + timedelta(days=28),
    )
    assert told(people["lead"], subject="Remedial actions due by 21 December 2026: case C-104233").exists()


# --- the service lead's updates -----------------------------------------------------------------------


def record(chain, people, step, text="Strategy meeting held; child seen today.", who="lead"):
    return escalations.escalation_record_update(actor=people[who].user, escalation=chain, step=step, text=text)


def test_the_service_lead_records_the_three_day_then_the_one_week_update_and_qa_is_told_of_each(escalated, people):
    first = record(escalated, people, Step.FIRST)
    escalated.refresh_from_db()
    assert escalated.first_update_at is not None and escalated.second_update_at is None
    assert (first.step, first.recorded_by) == (Step.FIRST, people["lead"])
    assert told(people["qa_officer"], subject="Update within 3 days recorded: case C-104233").exists()

    record(escalated, people, Step.SECOND, "Plan revised with the family.")
    escalated.refresh_from_db()
    assert escalated.second_update_at is not None
    assert told(people["qa_lead"], subject="Update after a week recorded: case C-104233").exists()
    assert "Plan revised with the family." in told(people["qa_lead"]).first().body
    assert escalations.available_steps(escalated) == [Step.NOTE]


@pytest.mark.parametrize(
    ("before", "step", "message"),
    [
        ([], Step.SECOND, escalations.FIRST_BEFORE_SECOND),
        ([Step.FIRST], Step.FIRST, escalations.FIRST_ALREADY_RECORDED),
        ([Step.FIRST, Step.SECOND], Step.SECOND, escalations.SECOND_ALREADY_RECORDED),
        ([], Step.REMEDIAL, escalations.STEP_OF_OTHER_KIND),
        ([], "whatever", escalations.STEP_REQUIRED),
    ],
)
def test_an_update_out_of_turn_is_refused(escalated, people, before, step, message):
    for done in before:
        record(escalated, people, done)
    count = EscalationUpdate.objects.count()
    assert refused(lambda: record(escalated, people, step))["step"] == [message]
    assert EscalationUpdate.objects.count() == count


def test_updates_wait_for_qa_to_confirm_the_grade_but_notes_do_not(chain, people):
    assert refused(lambda: record(chain, people, Step.FIRST))["step"] == [escalations.NOT_ESCALATED_YET]
    record(chain, people, Step.NOTE, "Case discussed at the team meeting.")
    assert EscalationUpdate.objects.get().step == Step.NOTE


def test_an_update_needs_its_text(escalated, people):
    assert refused(lambda: record(escalated, people, Step.FIRST, "   "))["text"] == [escalations.UPDATE_TEXT_REQUIRED]


def test_only_the_areas_service_lead_may_record_updates(escalated, people):
    assert can(people["lead"].user, Action.UPDATE_ESCALATION, escalated)
    for other in ("other_lead", "qa_lead", "head", "auditor"):
        assert not can(people[other].user, Action.UPDATE_ESCALATION, escalated)


# --- closing ------------------------------------------------------------------------------------------


def test_qa_closes_an_escalated_chain_by_hand_with_a_note(escalated, people):
    assert refused(lambda: escalations.escalation_close(actor=people["qa_lead"].user, escalation=escalated, note=""))[
        "note"
    ] == [escalations.CLOSING_NOTE_REQUIRED]
    escalations.escalation_close(actor=people["qa_lead"].user, escalation=escalated, note="Case closed to the service.")
    escalated.refresh_from_db()
    assert (escalated.stage, escalated.closed_by, escalated.closing_note) == (
        Escalation.Stage.CLOSED,
        people["qa_lead"],
        "Case closed to the service.",
    )
    assert told(people["lead"], subject="Escalation closed by QA: case C-104233").exists()
    assert told(people["head"], subject="Escalation closed by QA: case C-104233").exists()
    assert escalations.available_steps(escalated) == []
    assert refused(lambda: record(escalated, people, Step.NOTE))["step"] == [escalations.ESCALATION_NOT_OPEN]


def test_a_chain_awaiting_moderation_cannot_be_closed_by_hand(chain, people):
    errors = refused(lambda: escalations.escalation_close(actor=people["qa_lead"].user, escalation=chain, note="x"))
    assert errors == {"__all__": [escalations.CLOSE_ONLY_ESCALATED]}


def test_submitting_the_reaudit_closes_the_chain_and_an_inadequate_reaudit_starts_its_own(
    escalated, people, tool_version
):
    reaudit = new_audit(people, tool_version, kind=Audit.Kind.RE_AUDIT)
    Audit.objects.filter(pk=reaudit.pk).update(reaudit_of=escalated.audit)
    escalated.reaudit = reaudit
    escalated.save()

    submit(reaudit, Grade.INADEQUATE)

    escalated.refresh_from_db()
    assert escalated.stage == Escalation.Stage.CLOSED
    assert escalated.closing_note == "Re-audit submitted, graded Inadequate."
    assert escalated.closed_by == people["auditor"]
    assert told(people["qa_lead"], subject="Re-audit submitted: case C-104233").exists()
    own_chain = Escalation.objects.get(audit=reaudit)
    assert (own_chain.kind, own_chain.stage) == (Escalation.Kind.INADEQUATE, Escalation.Stage.AWAITING_MODERATION)


# --- disputes and oversight --------------------------------------------------------------------------


def resolve(audit, people, grade):
    dispute = services.audit_dispute(actor=people["lead"].user, audit=audit, reason="The grade does not fit.")
    return services.dispute_resolve(
        actor=people["qa_lead"].user, dispute=dispute, outcome="changed", grade=grade, resolution="Agreed."
    )


def test_a_dispute_resolved_away_from_inadequate_withdraws_the_chain_and_back_to_it_reopens_it(chain, people):
    resolve(chain.audit, people, Grade.REQUIRES_IMPROVEMENT)
    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.WITHDRAWN
    assert chain.closing_note == "The grade was changed to Requires Improvement when a dispute was resolved."
    assert told(people["qa_officer"], subject="Escalation withdrawn: case C-104233").exists()

    resolve(chain.audit, people, Grade.INADEQUATE)
    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.AWAITING_MODERATION
    assert (chain.closed_at, chain.closing_note) == (None, "")
    note = chain.updates.get()
    assert note.step == Step.NOTE and note.text.startswith("Reopened: the grade is Inadequate again.")
    assert Escalation.objects.count() == 1


def test_a_dispute_resolved_to_inadequate_opens_a_chain(people, tool_version):
    audit = submit(new_audit(people, tool_version), Grade.REQUIRES_IMPROVEMENT)
    resolve(audit, people, Grade.INADEQUATE)
    assert Escalation.objects.get(audit=audit).stage == Escalation.Stage.AWAITING_MODERATION


def test_a_grade_qa_moderated_stands_over_a_later_disputes_change(escalated, people):
    resolve(escalated.audit, people, Grade.GOOD)
    escalated.refresh_from_db()
    assert escalated.stage == Escalation.Stage.ESCALATED
    assert Audit.objects.get(pk=escalated.audit_id).final_grade == Grade.INADEQUATE


def test_oversight_of_a_requires_improvement_audit_starts_the_remedial_deadline_once(people, tool_version):
    audit = submit(new_audit(people, tool_version), Grade.REQUIRES_IMPROVEMENT)
    services.audit_confirm_oversight(actor=people["lead"].user, audit=audit, comment="Agreed.")
    remedial = Escalation.objects.get(audit=audit)
    assert (remedial.kind, remedial.stage, remedial.remedial_due_on) == (
        Escalation.Kind.REMEDIAL,
        Escalation.Stage.ESCALATED,
        date(2026, 12, 21),
    )
    assert escalations.available_steps(remedial) == [Step.REMEDIAL, Step.NOTE]


@pytest.mark.parametrize("grade", [Grade.GOOD, Grade.INADEQUATE])
def test_oversight_of_other_grades_starts_no_remedial_deadline(people, tool_version, grade):
    audit = submit(new_audit(people, tool_version), grade)
    services.audit_confirm_oversight(actor=people["lead"].user, audit=audit, comment="Agreed.")
    assert not Escalation.objects.filter(kind=Escalation.Kind.REMEDIAL).exists()


def test_recording_the_remedial_actions_closes_the_remedial_escalation_and_tells_qa(people, tool_version):
    audit = submit(new_audit(people, tool_version), Grade.REQUIRES_IMPROVEMENT)
    services.audit_confirm_oversight(actor=people["lead"].user, audit=audit, comment="Agreed.")
    remedial = Escalation.objects.get(audit=audit)
    assert refused(lambda: record(remedial, people, Step.FIRST))["step"] == [escalations.STEP_OF_OTHER_KIND]
    record(remedial, people, Step.REMEDIAL, "Chronology updated; supervision monthly.")
    remedial.refresh_from_db()
    assert (remedial.stage, remedial.closed_by) == (Escalation.Stage.CLOSED, people["lead"])
    assert told(people["qa_lead"], subject="Remedial actions recorded: case C-104233").exists()


# --- exemplars ------------------------------------------------------------------------------------------


def mark(audit, people, note="A clear plan the family understands.", who="lead"):
    return escalations.audit_mark_exemplar(actor=people[who].user, audit=audit, note=note)


@pytest.mark.parametrize("grade", [Grade.GOOD, Grade.OUTSTANDING])
def test_a_good_or_outstanding_submitted_audit_becomes_an_exemplar_and_the_auditor_is_told(people, tool_version, grade):
    audit = mark(submit(new_audit(people, tool_version), grade), people)
    assert audit.is_exemplar and audit.exemplar_note == "A clear plan the family understands."
    assert (audit.exemplar_marked_by, audit.exemplar_marked_at) == (people["lead"], timezone.now())
    event = AuditEvent.objects.get(audit=audit, what=escalations.EXEMPLAR)
    assert (event.old_value, event.new_value, event.reason) == ("", "marked", "A clear plan the family understands.")
    assert told(people["auditor"], subject="Your audit is an exemplar for practice forums: case C-104233").exists()


def test_an_exemplar_is_chosen_by_the_final_grade(chain, people):
    assert refused(lambda: mark(chain.audit, people)) == {"__all__": [escalations.EXEMPLAR_GRADE]}
    qa_review.escalation_review(
        actor=people["qa_lead"].user, escalation=chain, decision=Decision.CHANGE, grade="good", rationale="Better."
    )
    assert mark(Audit.objects.get(pk=chain.audit_id), people, who="qa_lead").is_exemplar


def test_a_draft_a_requires_improvement_audit_or_a_second_marking_is_refused(people, tool_version):
    assert refused(lambda: mark(new_audit(people, tool_version), people)) == {
        "__all__": [escalations.EXEMPLAR_NOT_SUBMITTED]
    }
    ri = submit(new_audit(people, tool_version, reference="C-2"), Grade.REQUIRES_IMPROVEMENT)
    assert refused(lambda: mark(ri, people)) == {"__all__": [escalations.EXEMPLAR_GRADE]}
    good = mark(submit(new_audit(people, tool_version, reference="C-3"), Grade.GOOD), people)
    assert refused(lambda: mark(good, people)) == {"__all__": [escalations.EXEMPLAR_ALREADY]}
    assert refused(
        lambda: mark(submit(new_audit(people, tool_version, reference="C-4"), Grade.GOOD), people, note=" ")
    ) == {"note": [escalations.EXEMPLAR_NOTE_REQUIRED]}


def test_unmarking_an_exemplar_needs_a_reason_and_is_recorded(people, tool_version):
    audit = mark(submit(new_audit(people, tool_version), Grade.GOOD), people)
    unmark = escalations.audit_unmark_exemplar
    assert refused(lambda: unmark(actor=people["lead"].user, audit=audit, reason="")) == {
        "reason": [escalations.UNMARK_REASON_REQUIRED]
    }
    audit = unmark(actor=people["lead"].user, audit=audit, reason="Practice has moved on.")
    assert not audit.is_exemplar and audit.exemplar_marked_by is None
    assert AuditEvent.objects.filter(what="exemplar", old_value="marked", new_value="").exists()
    assert refused(lambda: unmark(actor=people["lead"].user, audit=audit, reason="x")) == {
        "__all__": [escalations.NOT_AN_EXEMPLAR]
    }


def test_exemplars_are_marked_by_the_areas_service_lead_or_qa_only(people, tool_version):
    audit = submit(new_audit(people, tool_version), Grade.GOOD)
    assert can(people["lead"].user, Action.MARK_EXEMPLAR, audit)
    assert can(people["qa_officer"].user, Action.MARK_EXEMPLAR, audit)
    for other in ("other_lead", "head", "auditor", "worker"):
        assert not can(people[other].user, Action.MARK_EXEMPLAR, audit)


# --- the board ------------------------------------------------------------------------------------------


def board(client, person, url_name="escalations:board", **query):
    client.force_login(person.user)
    response = client.get(reverse(url_name), query)
    assert response.status_code == 200
    return response


def listed(response):
    return [(row.record.audit.case_reference, row.record.next_step) for row in response.context["table"].rows]


@pytest.fixture
def board_world(people, tool_version, other_tool_version, own_team):
    """Open chains: C-1 awaiting moderation, C-2 escalated (3-day update due 26 Nov), C-3 escalated and
    late (its 3-day update was due 20 Nov), P-1 remedial in the other area; C-9 closed."""
    c1 = submit(new_audit(people, tool_version, "C-1"), Grade.INADEQUATE)
    c2 = submit(new_audit(people, tool_version, "C-2"), Grade.INADEQUATE)
    c3 = submit(new_audit(people, tool_version, "C-3"), Grade.INADEQUATE)
    c9 = submit(new_audit(people, tool_version, "C-9"), Grade.INADEQUATE)
    for audit in (c2, c3, c9):
        confirm(Escalation.objects.get(audit=audit), people)
    Escalation.objects.filter(audit=c3).update(first_update_due=date(2026, 11, 20))
    escalations.escalation_close(
        actor=people["qa_lead"].user, escalation=Escalation.objects.get(audit=c9), note="Case closed."
    )
    p1 = submit(
        new_audit(people, other_tool_version, "P-1", auditor="other_auditor", holder=None), "requires_improvement"
    )
    services.audit_confirm_oversight(actor=people["other_lead"].user, audit=p1, comment="Agreed.")
    return {"C-1": c1, "C-2": c2, "C-3": c3, "C-9": c9, "P-1": p1}


def test_the_board_lists_open_chains_moderation_first_then_by_next_deadline(client, people, board_world):
    response = board(client, people["qa_officer"])
    assert listed(response) == [("C-1", "moderation"), ("C-3", "first"), ("C-2", "first"), ("P-1", "remedial")]
    page = response.content.decode()
    assert "Update within 3 days by 20 Nov 2026 <span" in page and "Late</span>" in page
    assert page.count(">Late</span>") == 2  # the row, and the legend above the table
    assert "Remedial actions recorded by 21 Dec 2026" in page


def test_a_service_lead_sees_only_their_areas_chains(client, people, board_world):
    assert [ref for ref, _ in listed(board(client, people["lead"]))] == ["C-1", "C-3", "C-2"]
    assert [ref for ref, _ in listed(board(client, people["other_lead"]))] == ["P-1"]


def test_the_board_filters_by_area_kind_and_lateness(client, people, board_world, other_area):
    qa = people["qa_lead"]
    assert [ref for ref, _ in listed(board(client, qa, late="on"))] == ["C-3"]
    assert [ref for ref, _ in listed(board(client, qa, kind="remedial"))] == ["P-1"]
    assert [ref for ref, _ in listed(board(client, qa, service_area=other_area.pk))] == ["P-1"]


def test_the_closed_tab_lists_closed_and_withdrawn_chains(client, people, board_world):
    assert [ref for ref, _ in listed(board(client, people["qa_lead"], "escalations:board_closed"))] == ["C-9"]


def test_the_next_deadline_moves_on_as_steps_are_done(people, board_world):
    chain = Escalation.objects.get(audit=board_world["C-2"])
    record(chain, people, Step.FIRST)
    row = escalations.with_deadlines(Escalation.objects.filter(pk=chain.pk)).get()
    assert (row.next_step, row.next_deadline, row.is_late) == ("second", date(2026, 11, 30), False)
    record(chain, people, Step.SECOND)
    row = escalations.with_deadlines(Escalation.objects.filter(pk=chain.pk)).get()
    assert (row.next_step, row.next_deadline) == ("reaudit_allocation", date(2026, 12, 23))
    late = escalations.with_deadlines(Escalation.objects.filter(pk=chain.pk), today=date(2026, 12, 24)).get()
    assert late.is_late


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_board_runs_the_same_number_of_queries_for_few_and_many_chains(client, people, tool_version):
    client.force_login(people["qa_lead"].user)
    url = reverse("escalations:board")
    for number in range(2):
        submit(new_audit(people, tool_version, f"C-{number}"), Grade.INADEQUATE)
    few = count_queries(client, url)
    for number in range(2, 10):
        audit = submit(new_audit(people, tool_version, f"C-{number}"), Grade.INADEQUATE)
        if number % 2:
            confirm(Escalation.objects.get(audit=audit), people)
    assert count_queries(client, url) == few


def test_the_exemplar_list_runs_the_same_number_of_queries_for_few_and_many(client, people, tool_version):
    client.force_login(people["lead"].user)
    url = reverse("escalations:exemplar_list")
    mark(submit(new_audit(people, tool_version, "C-0"), Grade.GOOD), people)
    few = count_queries(client, url)
    for number in range(1, 8):
        mark(submit(new_audit(people, tool_version, f"C-{number}"), Grade.OUTSTANDING), people, who="qa_lead")
    assert count_queries(client, url) == few


# --- the escalation's page ---------------------------------------------------------------------------


def detail_url(chain, name="escalation_detail"):
    namespace = "moderation" if name == "escalation_review" else "escalations"  # QA's review is moderation's
    return reverse(f"{namespace}:{name}", args=[chain.pk])


def test_qa_sees_the_review_form_on_a_chain_awaiting_moderation_and_the_lead_only_a_note(client, people, chain):
    client.force_login(people["qa_officer"].user)
    page = client.get(detail_url(chain)).content.decode()
    assert "Review the Inadequate grade" in page and "Record an update" not in page
    client.force_login(people["lead"].user)
    page = client.get(detail_url(chain)).content.decode()
    assert "Review the Inadequate grade" not in page and "Record an update" in page
    assert 'value="first"' not in page and 'value="note"' in page


def test_qa_confirms_through_the_page(client, people, chain):
    client.force_login(people["qa_officer"].user)
    response = client.post(
        detail_url(chain, "escalation_review"), {"decision": "confirm", "rationale": "The grade stands."}
    )
    assert response.status_code == 302 and response.url == detail_url(chain)
    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.ESCALATED


def test_a_refused_review_shows_the_reason_next_to_the_field_and_changes_nothing(client, people, chain):
    client.force_login(people["qa_officer"].user)
    response = client.post(detail_url(chain, "escalation_review"), {"decision": "change", "rationale": "Hmm"})
    assert response.status_code == 422
    assert qa_review.NEW_GRADE_REQUIRED in response.content.decode()
    chain.refresh_from_db()
    assert chain.stage == Escalation.Stage.AWAITING_MODERATION


def test_a_review_sent_after_another_qa_officer_reviewed_the_chain_says_why_at_the_top(client, people, chain):
    page_loaded_before = {"decision": "confirm", "rationale": "The grade stands."}
    confirm(chain, people)  # the other officer, a moment earlier
    client.force_login(people["qa_lead"].user)

    response = client.post(detail_url(chain, "escalation_review"), page_loaded_before)

    assert response.status_code == 422
    assert "Review the Inadequate grade" not in response.content.decode()  # the form is gone from the page...
    assert qa_review.NOT_AWAITING_MODERATION in [str(m) for m in response.context["messages"]]  # ...its reason is not


def test_the_service_lead_records_the_three_day_update_through_the_page(client, people, escalated):
    client.force_login(people["lead"].user)
    page = client.get(detail_url(escalated)).content.decode()
    assert 'value="first"' in page and "Update within 3 days" in page
    response = client.post(detail_url(escalated, "escalation_update"), {"step": "first", "text": "Child seen."})
    assert response.status_code == 302
    escalated.refresh_from_db()
    assert escalated.first_update_at is not None
    timeline = client.get(detail_url(escalated)).context["timeline"]
    assert [entry.title for entry in timeline] == [
        "Opened",
        "QA confirmed the Inadequate grade",
        "Update within 3 days",
    ]


def test_a_refused_update_shows_why(client, people, escalated):
    client.force_login(people["lead"].user)
    response = client.post(detail_url(escalated, "escalation_update"), {"step": "second", "text": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert escalations.STEP_REQUIRED in page and escalations.UPDATE_TEXT_REQUIRED in page
    assert not EscalationUpdate.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "who"),
    [
        ("escalation_update", {"step": "first", "text": "x"}, "qa_lead"),
        ("escalation_update", {"step": "first", "text": "x"}, "head"),
        ("escalation_review", {"decision": "confirm", "rationale": "x"}, "lead"),
        ("escalation_close", {"note": "x"}, "lead"),
    ],
)
def test_changes_are_refused_to_roles_whose_job_they_are_not(client, people, escalated, name, data, who):
    client.force_login(people[who].user)
    assert client.post(detail_url(escalated, name), data).status_code == 403
    escalated.refresh_from_db()
    assert escalated.first_update_at is None and escalated.stage == Escalation.Stage.ESCALATED


def test_another_areas_service_lead_finds_neither_the_page_nor_the_form(client, people, escalated):
    client.force_login(people["other_lead"].user)
    assert client.get(detail_url(escalated)).status_code == 404
    assert client.post(detail_url(escalated, "escalation_update"), {"step": "first", "text": "x"}).status_code == 404
    escalated.refresh_from_db()
    assert escalated.first_update_at is None


def test_qa_closes_by_hand_through_the_page(client, people, escalated):
    client.force_login(people["qa_lead"].user)
    assert client.post(detail_url(escalated, "escalation_close"), {"note": ""}).status_code == 422
    assert client.post(detail_url(escalated, "escalation_close"), {"note": "Moved away."}).status_code == 302
    escalated.refresh_from_db()
    assert escalated.stage == Escalation.Stage.CLOSED


# --- the audit page ------------------------------------------------------------------------------------


def test_the_audit_page_says_which_grade_counts_and_shows_the_chain(client, people, escalated):
    client.force_login(people["auditor"].user)
    page = client.get(escalated.audit.get_absolute_url()).content.decode()
    assert "Moderated grade (final)" in page and "the final grade that counts" in page
    assert "Inadequate grade: Escalated" in page and "re-audit 23 Dec 2026" in page
    assert detail_url(escalated) not in page  # a practice manager does not open the board's pages
    client.force_login(people["lead"].user)
    assert detail_url(escalated) in client.get(escalated.audit.get_absolute_url()).content.decode()


def test_the_service_lead_marks_an_exemplar_from_the_audit_page(client, people, tool_version):
    audit = submit(new_audit(people, tool_version), Grade.OUTSTANDING)
    client.force_login(people["lead"].user)
    assert "Mark as an exemplar" in client.get(audit.get_absolute_url()).content.decode()
    mark_url = reverse("escalations:exemplar_mark", args=[audit.pk])
    response = client.post(mark_url, {"note": ""})
    assert response.status_code == 422 and escalations.EXEMPLAR_NOTE_REQUIRED in response.content.decode()
    assert client.post(mark_url, {"note": "Lovely direct work."}).status_code == 302
    audit.refresh_from_db()
    assert audit.is_exemplar
    page = client.get(audit.get_absolute_url()).content.decode()
    assert "Chosen as an example of good practice by Sam Lead" in page and "Remove from the exemplars" in page
    response = client.post(reverse("escalations:exemplar_unmark", args=[audit.pk]), {"reason": "Superseded."})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert not audit.is_exemplar


def test_the_exemplar_button_is_offered_only_where_it_may_be_used(client, people, tool_version):
    ri = submit(new_audit(people, tool_version, "C-1"), Grade.REQUIRES_IMPROVEMENT)
    good = submit(new_audit(people, tool_version, "C-2"), Grade.GOOD)
    client.force_login(people["lead"].user)
    assert "Mark as an exemplar" not in client.get(ri.get_absolute_url()).content.decode()
    client.force_login(people["auditor"].user)
    assert "Mark as an exemplar" not in client.get(good.get_absolute_url()).content.decode()
    assert client.post(reverse("escalations:exemplar_mark", args=[good.pk]), {"note": "x"}).status_code == 403
    client.force_login(people["other_lead"].user)
    assert client.post(reverse("escalations:exemplar_mark", args=[good.pk]), {"note": "x"}).status_code == 404
    good.refresh_from_db()
    assert not good.is_exemplar


def test_the_exemplar_list_shows_exemplars_the_person_may_see(client, people, tool_version, other_tool_version):
    mark(submit(new_audit(people, tool_version, "C-1"), Grade.GOOD), people)
    other = submit(
        new_audit(people, other_tool_version, "P-1", auditor="other_auditor", holder=None), Grade.OUTSTANDING
    )
    mark(other, people, who="other_lead", note="Care leaver's voice throughout.")
    client.force_login(people["qa_lead"].user)
    response = client.get(reverse("escalations:exemplar_list"))
    assert [row.record.case_reference for row in response.context["table"].rows] == ["P-1", "C-1"]
    assert "Care leaver&#x27;s voice throughout." in response.content.decode()
    client.force_login(people["lead"].user)
    response = client.get(reverse("escalations:exemplar_list"))
    assert [row.record.case_reference for row in response.context["table"].rows] == ["C-1"]
