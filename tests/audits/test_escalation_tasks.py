"""The daily escalation job (audits.tasks.run_escalation_deadlines) through time, twice over, at the
same moment from two connections, and through a real Celery worker on Redis.

QA confirms an Inadequate grade on Monday 23 November 2026: the 3-day update is due on the 26th,
the one-week update on the 30th and the re-audit on 23 December (due itself by the 28th).
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from audits import services
from audits.cycle import escalations
from audits.models import Audit, Escalation, EscalationUpdate, Grade, SentReminder, ToolVersion
from audits.tasks import run_escalation_deadlines
from moderation import qa_review
from quality.celery import app
from quality.org.models import Membership, Notification, Role
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

from .test_escalations import cast, confirm, new_audit, record, submit

Step = EscalationUpdate.Step


@pytest.fixture
def people(request):
    return cast(request)


def escalate_on(day: str, people, tool_version, team=None, reference="C-104233") -> Escalation:
    """Submit an Inadequate audit and have QA confirm it on `day`."""
    with freeze_time(f"{day} 10:00:00"):
        audit = submit(new_audit(people, tool_version, reference=reference, team=team), Grade.INADEQUATE)
        return confirm(Escalation.objects.get(audit=audit), people)


@pytest.fixture
def escalated(db, people, tool_version, own_team):
    return escalate_on("2026-11-23", people, tool_version, team=own_team)


def run_on(day: str) -> dict:
    """The job as beat runs it at 06:30 on `day` (Europe/London is on GMT in November and December)."""
    with freeze_time(f"{day} 06:30:00"):
        return run_escalation_deadlines()


def notices(person, **filters):
    return Notification.objects.filter(recipient=person.user, **filters)


def reaudits():
    return Audit.objects.filter(kind=Audit.Kind.RE_AUDIT)


# --- reminders and late notices ---------------------------------------------------------------------


def test_nothing_is_sent_before_a_deadline(escalated):
    assert run_on("2026-11-25") == {"reaudits": 0, "notices": 0}
    assert not SentReminder.objects.exists()


def test_on_the_due_day_the_service_lead_is_reminded_once(escalated, people):
    assert run_on("2026-11-26") == {"reaudits": 0, "notices": 1}
    assert run_on("2026-11-26") == {"reaudits": 0, "notices": 0}
    reminder = notices(people["lead"], subject="Due today: update within 3 days, case C-104233")
    assert reminder.count() == 1 and not reminder.get().urgent
    assert not notices(people["qa_lead"], subject__startswith="Due today").exists()


def test_three_days_after_escalation_a_missing_update_brings_one_late_notice_to_the_lead_and_qa(escalated, people):
    run_on("2026-11-26")
    assert run_on("2026-11-27") == {"reaudits": 0, "notices": 1}
    assert run_on("2026-11-27")["notices"] == 0
    assert run_on("2026-11-28")["notices"] == 0  # late once, not every day
    subject = "Late: update within 3 days, case C-104233"
    for who in ("lead", "qa_lead", "qa_officer"):
        late = notices(people[who], subject=subject)
        assert late.count() == 1 and late.get().urgent
        assert "was due on 26 November 2026" in late.get().body
    assert not notices(people["other_lead"], subject=subject).exists()


def test_a_late_notice_caught_up_after_missed_days_skips_the_due_day_reminder(escalated, people):
    assert run_on("2026-11-29")["notices"] == 1
    assert not notices(people["lead"], subject__startswith="Due today").exists()
    assert notices(people["lead"], subject__startswith="Late").count() == 1


def test_an_update_recorded_in_time_brings_no_late_notice_and_the_week_is_then_watched(escalated, people):
    with freeze_time("2026-11-25 15:00:00"):
        record(escalated, people, Step.FIRST)
    assert run_on("2026-11-27")["notices"] == 0
    assert run_on("2026-11-30")["notices"] == 1
    assert notices(people["lead"], subject="Due today: update after a week, case C-104233").exists()
    assert run_on("2026-12-01")["notices"] == 1
    assert notices(people["qa_officer"], subject="Late: update after a week, case C-104233").exists()


def test_a_remedial_deadline_passed_brings_one_late_notice(people, tool_version):
    with freeze_time("2026-11-23 10:00:00"):
        audit = submit(new_audit(people, tool_version), Grade.REQUIRES_IMPROVEMENT)
        services.audit_confirm_oversight(actor=people["lead"].user, audit=audit, comment="Agreed.")
    assert run_on("2026-12-21")["notices"] == 1
    assert notices(people["lead"], subject="Due today: remedial actions, case C-104233").exists()
    assert run_on("2026-12-22")["notices"] == 1
    assert run_on("2026-12-23")["notices"] == 0
    assert notices(people["qa_lead"], subject="Late: remedial actions, case C-104233", urgent=True).count() == 1


def test_closed_and_withdrawn_chains_bring_no_notices(escalated, people, tool_version):
    escalations.escalation_close(actor=people["qa_lead"].user, escalation=escalated, note="Case closed.")
    with freeze_time("2026-11-23 11:00:00"):
        other = submit(new_audit(people, tool_version, reference="C-2"), Grade.INADEQUATE)
        qa_review.escalation_review(
            actor=people["qa_lead"].user,
            escalation=Escalation.objects.get(audit=other),
            decision=qa_review.Decision.CHANGE,
            grade=Grade.GOOD,
            rationale="Outcomes improved.",
        )
    assert run_on("2026-12-30") == {"reaudits": 0, "notices": 0}
    assert not reaudits().exists()


# --- the re-audit -----------------------------------------------------------------------------------------


def test_a_month_after_escalation_the_reaudit_is_allocated_once(escalated, people, tool_version, own_team):
    assert run_on("2026-12-22")["reaudits"] == 0
    assert run_on("2026-12-23")["reaudits"] == 1
    assert run_on("2026-12-23")["reaudits"] == 0
    assert run_on("2026-12-24")["reaudits"] == 0
    reaudit = reaudits().get()
    original = escalated.audit
    assert (reaudit.case_reference, reaudit.service_area, reaudit.team, reaudit.case_holder) == (
        "C-104233",
        original.service_area,
        own_team,
        people["worker"],
    )
    assert (reaudit.auditor, reaudit.tool_version, reaudit.reaudit_of, reaudit.state) == (
        people["auditor"],
        tool_version,
        original,
        Audit.State.DRAFT,
    )
    assert (reaudit.due_on, reaudit.oversight_due_on, reaudit.period_end) == (
        date(2026, 12, 28),
        date(2027, 1, 5),
        date(2026, 12, 23),
    )
    escalated.refresh_from_db()
    assert escalated.reaudit == reaudit and escalated.stage == Escalation.Stage.ESCALATED
    allocated = notices(people["auditor"], subject="Audit allocated: case C-104233", body__contains="re-audit")
    assert allocated.count() == 1 and "due by 28 December 2026" in allocated.get().body
    assert notices(people["qa_officer"], subject="Re-audit allocated: case C-104233").count() == 1
    assert notices(people["lead"], subject="Re-audit allocated: case C-104233").count() == 1


def test_a_run_missed_for_days_catches_the_reaudit_up(escalated):
    assert run_on("2026-12-27")["reaudits"] == 1
    assert reaudits().get().due_on == date(2026, 12, 28)


def test_a_reaudit_allocated_after_the_28th_is_due_four_weeks_later(people, tool_version):
    escalate_on("2026-11-29", people, tool_version)
    assert run_on("2026-12-29")["reaudits"] == 1
    assert reaudits().get().due_on == date(2026, 12, 29) + timedelta(days=28)


def test_the_reaudit_goes_to_another_practice_manager_when_the_auditor_has_left_the_area(
    escalated, people, make_person, own_area, tool_version
):
    Membership.objects.filter(person=people["auditor"]).update(ended_at=timezone.now())
    Membership.objects.filter(person=people["worker"]).update(ended_at=timezone.now())
    busy = make_person(Role.PRACTICE_MANAGER, own_area, full_name="Aaron Busy")
    free = make_person(Role.PRACTICE_MANAGER, own_area, full_name="Zed Free")
    Audit.objects.create(
        case_reference="C-BUSY",
        service_area=own_area,
        auditor=busy,
        tool_version=tool_version,
        period_start=date(2026, 5, 1),
        period_end=date(2026, 10, 31),
    )
    run_on("2026-12-23")
    reaudit = reaudits().get()
    assert reaudit.auditor == free  # the manager with fewer drafts
    assert reaudit.case_holder is None  # the worker has moved on


def test_with_no_practice_manager_left_a_qa_officer_reaudits(escalated, people):
    Membership.objects.filter(role=Role.PRACTICE_MANAGER).update(ended_at=timezone.now())
    run_on("2026-12-23")
    assert reaudits().get().auditor == people["qa_officer"]


def test_without_a_published_tool_qa_is_told_once_and_the_job_allocates_when_one_is_published(
    escalated, people, tool_version
):
    services.version_retire(actor=people["qa_lead"].user, version=tool_version, reason="Rewritten for 2027")
    assert run_on("2026-12-23")["reaudits"] == 0
    assert run_on("2026-12-24")["reaudits"] == 0
    told = notices(people["qa_lead"], subject="Re-audit could not be allocated: case C-104233")
    assert told.count() == 1 and escalations.NO_CASE_AUDIT_TOOL in told.get().body
    assert not reaudits().exists()

    draft = services.version_start_draft(actor=people["qa_lead"].user, tool=tool_version.tool)
    services.version_publish(actor=people["qa_lead"].user, version=draft)
    assert run_on("2026-12-25")["reaudits"] == 1
    assert reaudits().get().tool_version == ToolVersion.objects.get(pk=draft.pk)


def test_a_chain_closed_by_hand_is_not_reaudited(escalated, people):
    escalations.escalation_close(actor=people["qa_lead"].user, escalation=escalated, note="Case closed.")
    assert run_on("2026-12-23")["reaudits"] == 0


def test_a_whole_month_from_escalation_to_the_reaudit_closing_the_chain(escalated, people):
    run_on("2026-11-26")
    with freeze_time("2026-11-26 14:00:00"):
        record(escalated, people, Step.FIRST)
    run_on("2026-11-27")
    run_on("2026-11-30")
    with freeze_time("2026-11-30 16:00:00"):
        record(escalated, people, Step.SECOND, "Child protection plan reviewed.")
    for day in range(1, 24):
        run_on(f"2026-12-{day:02}")
    assert not notices(people["lead"], subject__startswith="Late").exists()
    reaudit = reaudits().get()
    with freeze_time("2026-12-27 12:00:00"):
        submit(reaudit, Grade.REQUIRES_IMPROVEMENT)
    escalated.refresh_from_db()
    assert escalated.stage == Escalation.Stage.CLOSED
    assert escalated.closing_note == "Re-audit submitted, graded Requires Improvement."
    assert not Escalation.objects.filter(audit=reaudit).exists()


# --- two runs at the same moment, and a real worker --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_from_two_connections_allocate_once_and_notify_once(
    people, tool_version, monkeypatch
):
    escalate_on("2026-11-23", people, tool_version)
    real_create = services.audit_create

    def slow_create(**kwargs):
        audit = real_create(**kwargs)
        time.sleep(0.5)  # hold the lock long enough for the other run to reach it
        return audit

    monkeypatch.setattr(services, "audit_create", slow_create)
    start = threading.Barrier(2)
    runs, failures = [], []

    def run():
        try:
            start.wait()
            runs.append(escalations.escalation_deadlines_run(today=date(2026, 12, 23)))
        except Exception as error:  # reported below: a thread's exception would otherwise be lost
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures
    assert sorted(run.reaudits for run in runs) == [0, 1]
    assert reaudits().count() == 1
    # Both 3-day and one-week updates are late: one notice each, whichever run sent it.
    assert sum(run.notices for run in runs) == 2 == SentReminder.objects.count()
    assert notices(people["lead"], subject__startswith="Late").count() == 2


def test_a_worker_on_redis_runs_the_job_it_is_sent(transactional_db, celery_worker, people, tool_version):  # noqa: F811
    escalated = escalate_on("2026-11-23", people, tool_version)

    run_escalation_deadlines.delay("2026-12-23")

    assert wait_for(lambda: reaudits().exists(), timeout=60), "the worker did not allocate the re-audit within 60 s"
    assert wait_for(lambda: Escalation.objects.filter(pk=escalated.pk, reaudit__isnull=False).exists())
    assert wait_for(lambda: SentReminder.objects.count() == 2)


def test_beat_runs_the_job_every_morning():
    entry = app.conf.beat_schedule["run-escalation-deadlines"]
    assert entry["task"] == run_escalation_deadlines.name == "audits.tasks.run_escalation_deadlines"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {30})
