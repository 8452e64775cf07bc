"""Open deadlines counted as audits change (issue 15): the counts the database keeps per area, deadline
and day equal a fresh count after every kind of change, whoever makes it, and the overdue counts the
home page and the overdue page show from them are the audits each person may see, exactly."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from audits import services as audit_services
from audits.cycle import deadline_counts
from audits.cycle.deadlines import Deadline, _overdue, overdue_counts
from audits.models import Audit, DeadlineDayCount, Dispute
from moderation.history_import import audit_history_import
from quality.access import visible
from quality.org.models import Role
from quality.org.services import service_area_retire
from tests.factories import AuditFactory, ServiceAreaFactory, audit_submitted, person_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

TODAY = date(2026, 11, 16)  # the suite's frozen today
PAST, LATER = date(2026, 11, 5), date(2026, 11, 28)


def _stored() -> dict[tuple[int, str, date], int]:
    return {
        (area, deadline, day): n
        for area, deadline, day, n in DeadlineDayCount.objects.values_list(
            "service_area_id", "deadline", "due_on", "audits"
        )
    }


def _overdue_counted_directly(user) -> dict[tuple[int, str], int]:
    """What the overdue counts must be: each deadline's overdue audits the person may see, counted."""
    counted = {}
    for deadline in Deadline:
        rows = visible(user, Audit.objects.filter(_overdue(deadline, TODAY))).values("service_area_id")
        for row in rows.annotate(n=Count("pk")).order_by():
            counted[(row["service_area_id"], deadline.value)] = row["n"]
    return counted


def _overdue_shown(user) -> dict[tuple[int, str], int]:
    return {
        (row.area_id, deadline.value): getattr(row, deadline.value)
        for row in overdue_counts(user, today=TODAY)
        for deadline in Deadline
        if getattr(row, deadline.value)
    }


def test_each_open_state_counts_towards_its_deadline_and_a_day_no_audit_waits_on_has_no_row(tool_version):
    area = tool_version.tool.service_area
    AuditFactory.create_batch(2, tool_version=tool_version, draft=True, due_on=PAST)
    draft = AuditFactory(tool_version=tool_version, draft=True, due_on=LATER)
    AuditFactory(tool_version=tool_version, submitted=True, oversight_due_on=PAST)
    AuditFactory(tool_version=tool_version, record_due_on=PAST)  # overseen, not on the record yet
    AuditFactory(tool_version=tool_version, state=Audit.State.CLOSED, record_due_on=PAST)  # done: not waiting
    assert _stored() == {
        (area.pk, "completion", PAST): 2,
        (area.pk, "completion", LATER): 1,
        (area.pk, "oversight", PAST): 1,
        (area.pk, "record", PAST): 1,
    }
    draft.delete()
    assert (area.pk, "completion", LATER) not in _stored()
    assert deadline_counts.differences() == []


def test_the_cycle_moves_an_audit_from_one_deadline_to_the_next(tool_version, practice_manager, service_lead, qa_lead):
    area_id = tool_version.tool.service_area_id
    audit = audit_submitted(tool_version, practice_manager, "good", due_on=LATER)  # a draft, then submitted
    assert {key[1] for key in _stored()} == {"oversight"}
    dispute = audit_services.audit_dispute(actor=service_lead.user, audit=audit, reason="The plan is drifting.")
    assert _stored() == {}  # a disputed audit waits on no deadline
    audit_services.dispute_resolve(
        actor=qa_lead.user, dispute=dispute, outcome=Dispute.Outcome.KEPT, resolution="Good stands."
    )
    audit.refresh_from_db()
    assert _stored() == {(area_id, "oversight", audit.oversight_due_on): 1}
    audit = audit_services.audit_confirm_oversight(actor=service_lead.user, audit=audit, comment="Agreed.")
    assert _stored() == {(area_id, "record", audit.record_due_on): 1}
    audit_services.audit_mark_on_record(actor=service_lead.user, audit=audit)
    assert _stored() == {}
    assert deadline_counts.differences() == []


def test_bulk_and_raw_changes_a_moved_date_and_a_moved_area_are_counted(tool_version, admin_person):
    area = tool_version.tool.service_area
    AuditFactory.create_batch(3, tool_version=tool_version, draft=True, due_on=PAST)
    Audit.objects.filter(state=Audit.State.DRAFT).update(due_on=LATER)  # one statement, three rows
    assert _stored() == {(area.pk, "completion", LATER): 3}
    with connection.cursor() as cursor:  # whoever writes: raw SQL too
        cursor.execute("UPDATE audits_audit SET state = 'submitted', oversight_due_on = %s", [PAST])
    assert _stored() == {(area.pk, "oversight", PAST): 3}
    successor = ServiceAreaFactory(code="NEW")
    service_area_retire(actor=admin_person.user, area=area, reason="Merged", successor=successor)
    assert _stored() == {(area.pk, "oversight", PAST): 3}  # a retired area keeps its audits
    Audit.objects.filter(pk__in=Audit.objects.values("pk")[:1]).update(service_area=successor)
    assert _stored() == {(area.pk, "oversight", PAST): 2, (successor.pk, "oversight", PAST): 1}
    assert deadline_counts.differences() == []


def test_an_imported_history_waits_on_nothing(tool_version, practice_manager, own_area):
    email = practice_manager.user.email
    history = (
        "reference,child_ref,service_area,kind,theme,auditor,completed_on,grade,practitioner_discussion,"
        "moderated_grade,moderated_on\n"
        f"QA-1,C1001,{own_area.code},monthly,,{email},2026-07-03,Good,yes,,\n"
    )
    AuditFactory(tool_version=tool_version, service_area=own_area, draft=True, due_on=PAST)
    audit_history_import(actor=None, content=history.encode(), file_name="history.csv")
    assert _stored() == {(own_area.pk, "completion", PAST): 1}
    assert deadline_counts.differences() == []


def test_the_overdue_counts_are_what_each_person_may_see(tool_version, qa_lead, service_lead):
    """The QA lead sees every area; a service lead their area's audits, and also those of another area
    they audit themselves: the kept counts of their areas plus those, counted directly."""
    own = tool_version.tool.service_area
    other = ServiceAreaFactory(code="OTH")
    AuditFactory.create_batch(2, tool_version=tool_version, draft=True, due_on=PAST)
    AuditFactory(tool_version=tool_version, submitted=True, oversight_due_on=LATER)  # not yet overdue
    AuditFactory(tool_version=tool_version, service_area=other, draft=True, due_on=PAST)
    AuditFactory(tool_version=tool_version, service_area=other, draft=True, due_on=PAST, auditor=service_lead)
    AuditFactory(tool_version=tool_version, service_area=other, record_due_on=PAST, case_holder=service_lead)

    assert _overdue_shown(qa_lead.user) == _overdue_counted_directly(qa_lead.user)
    assert _overdue_shown(qa_lead.user) == {
        (own.pk, "completion"): 2,
        (other.pk, "completion"): 2,
        (other.pk, "record"): 1,
    }
    assert _overdue_shown(service_lead.user) == _overdue_counted_directly(service_lead.user)
    assert _overdue_shown(service_lead.user) == {
        (own.pk, "completion"): 2,
        (other.pk, "completion"): 1,
        (other.pk, "record"): 1,
    }
    practitioner = person_with_role(Role.PRACTITIONER, own)
    assert _overdue_shown(practitioner.user) == _overdue_counted_directly(practitioner.user)


def test_the_overdue_counts_take_the_same_queries_for_five_overdue_audits_and_fifty(
    tool_version, qa_lead, django_assert_num_queries
):
    overdue_counts(qa_lead.user, today=TODAY)  # the person's roles, read once per request
    for count in (5, 50):
        AuditFactory.create_batch(count, tool_version=tool_version, draft=True, due_on=PAST)
        with django_assert_num_queries(1):
            rows = overdue_counts(qa_lead.user, today=TODAY)
        assert sum(row.completion for row in rows) == Audit.objects.filter(state=Audit.State.DRAFT).count()


def test_the_check_command_proves_the_counts_and_names_a_day_that_differs(tool_version):
    area = tool_version.tool.service_area
    AuditFactory.create_batch(3, tool_version=tool_version, draft=True, due_on=PAST)
    out = StringIO()
    call_command("deadline_counts", "--check", stdout=out)
    assert "equal a fresh count" in out.getvalue()

    DeadlineDayCount.objects.update(audits=2)  # what a bug in the counting would leave behind
    with pytest.raises(CommandError, match=f"service area {area.pk}, completion due 2026-11-05: stored 2, counted 3"):
        call_command("deadline_counts", "--check", stdout=StringIO())
    call_command("deadline_counts", "--rebuild", "--check", stdout=out)
    assert DeadlineDayCount.objects.get().audits == 3
