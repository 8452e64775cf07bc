"""The stored completion day (issue 15): `Audit.completed_day`, which every figure counts periods by.

The database computes it from `completed_on` and `submitted_at`, so no writer can leave it behind;
these tests pin the rule (London days, imported dates first) after each way an audit's dates change,
and prove that an index serves a period's audits instead of a scan of every audit.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from audits import services as audit_services
from audits.models import Audit, completed_in
from tests.factories import AuditFactory, audit_answered, audit_started

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

LONDON = ZoneInfo("Europe/London")


def _stored_day(audit: Audit) -> date | None:
    return Audit.objects.values_list("completed_day", flat=True).get(pk=audit.pk)


def test_a_submitted_audit_is_completed_on_the_london_day_it_was_submitted(tool_version):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time): July's audit.
    audit = AuditFactory(tool_version=tool_version, submitted_at=datetime(2026, 6, 30, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert _stored_day(audit) == date(2026, 7, 1)
    # In winter London is on UTC: 23:30 on 30 November stays in November.
    Audit.objects.filter(pk=audit.pk).update(submitted_at=datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert _stored_day(audit) == date(2026, 11, 30)


def test_an_imported_audit_is_completed_on_the_day_the_file_gives_whatever_its_submission_says(tool_version):
    audit = AuditFactory(tool_version=tool_version, imported=True, completed_on=date(2023, 11, 30), submitted_at=None)
    assert _stored_day(audit) == date(2023, 11, 30)
    Audit.objects.filter(pk=audit.pk).update(submitted_at=datetime(2023, 12, 4, 12, tzinfo=LONDON))
    assert _stored_day(audit) == date(2023, 11, 30)


def test_a_draft_has_no_completion_day_until_it_is_submitted_through_the_service(tool_version, practice_manager):
    audit = audit_answered(audit_started(tool_version, practice_manager))
    assert _stored_day(audit) is None
    audit_services.audit_submit(actor=practice_manager.user, audit=audit)
    assert _stored_day(audit) == date(2026, 11, 16)  # the suite's today
    assert Audit.objects.completed_in(date(2026, 11, 16), date(2026, 11, 16)).get() == audit


def test_completed_in_counts_the_first_and_last_day_and_nothing_outside(tool_version):
    days = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 1)]
    made = {day: AuditFactory(tool_version=tool_version, imported=True, completed_on=day) for day in days}
    AuditFactory(tool_version=tool_version, draft=True, completed_on=date(2026, 10, 15))  # a draft never counts
    counted = set(Audit.objects.filter(completed_in(date(2026, 10, 1), date(2026, 10, 31))))
    assert counted == {made[date(2026, 10, 1)], made[date(2026, 10, 31)]}


def _plan(queryset) -> str:
    """The plan PostgreSQL picks when it may not scan a table whole unless nothing else serves."""
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_an_index_serves_a_periods_audits_rather_than_a_scan_of_every_audit(tool_version):
    AuditFactory.create_batch(3, tool_version=tool_version, submitted_at=datetime(2026, 10, 5, 9, tzinfo=LONDON))
    month = Audit.objects.filter(completed_in(date(2026, 10, 1), date(2026, 10, 31)))
    plan = _plan(month.values("service_area_id", "overall_grade").order_by())
    assert "audit_completed_area" in plan
    assert "Index Cond: ((completed_day >= '2026-10-01'::date) AND (completed_day <= '2026-10-31'::date))" in plan
    # The check can fail: a filter no index serves is still planned as a scan of every audit.
    assert "Seq Scan on audits_audit" in _plan(Audit.objects.filter(period_end__gte=date(2026, 10, 1)).order_by())
