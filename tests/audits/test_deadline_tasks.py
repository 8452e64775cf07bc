"""The daily reminder job: called directly, two runs at the same moment, and run by a real Celery
worker on Redis as beat would queue it."""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audits import services
from audits.cycle import deadlines
from audits.models import Audit, SentReminder
from audits.tasks import send_cycle_reminders
from quality.celery import app
from quality.org.models import Notification, Role
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

TASK_NAME = "audits.tasks.send_cycle_reminders"


@pytest.fixture
def audit_due(make_person, own_area):
    """make(due_on) -> a draft audit of the own area due that day, by its practice manager."""
    qa_lead = make_person(Role.QA_LEAD, full_name="Quinn Lead")
    manager = make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager")
    make_person(Role.SERVICE_LEAD, own_area, full_name="Sam Lead")
    tool = services.tool_create(actor=qa_lead.user, name="SWF case audit", service_area=own_area, purpose="case_audit")
    version = services.version_publish(actor=qa_lead.user, version=tool.versions.get())

    def make(due_on, reference="C-1"):
        return services.audit_create(
            actor=qa_lead.user,
            case_reference=reference,
            service_area=own_area,
            auditor=manager,
            tool_version=version,
            due_on=due_on,
        )

    return make


def reminders():
    return Notification.objects.filter(subject__contains="deadline")


@pytest.mark.django_db
def test_the_task_sends_the_reminders_of_the_day_it_is_given(audit_due):
    audit = audit_due(date(2026, 11, 28))

    assert send_cycle_reminders("2026-11-25") == 1
    assert send_cycle_reminders("2026-11-25") == 0
    assert list(SentReminder.objects.values_list("key", flat=True)) == [f"audit:{audit.pk}:due_on:2026-11-28:before"]


@pytest.mark.django_db
def test_the_task_uses_the_portals_date_when_given_none(audit_due):
    audit_due(timezone.localdate())

    assert send_cycle_reminders() == 1
    assert reminders().get().subject == "Audit deadline due today: case C-1"


def test_two_runs_at_the_same_moment_send_each_reminder_once(transactional_db, audit_due, monkeypatch):
    """The first run holds its audits locked while it sends; the second waits, then finds them sent.
    (Without the lock the second would read no SentReminder, then fail on the unique key.)"""
    audit_due(date(2026, 11, 20))  # overdue: the manager, the service lead and the QA lead
    first_is_sending, let_first_finish = threading.Event(), threading.Event()
    real_notify = deadlines.notify

    def slow_notify(**kwargs):
        if threading.current_thread().name == "first":
            first_is_sending.set()
            let_first_finish.wait(10)
        return real_notify(**kwargs)

    monkeypatch.setattr(deadlines, "notify", slow_notify)
    results, errors = {}, []

    def job():
        try:
            results[threading.current_thread().name] = deadlines.cycle_reminders_send(today=date(2026, 11, 25))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=job, name="first")
    second = threading.Thread(target=job, name="second")
    first.start()
    assert first_is_sending.wait(10)
    second.start()
    time.sleep(0.5)  # the second run is now waiting for the first's locks
    let_first_finish.set()
    first.join(10)
    second.join(10)

    assert errors == []
    assert results == {"first": 1, "second": 0}
    assert reminders().count() == 3


def test_a_worker_on_redis_sends_the_reminders_when_the_job_is_queued(transactional_db, celery_worker, audit_due):  # noqa: F811
    audit = audit_due(timezone.localdate() + timedelta(days=3))

    send_cycle_reminders.delay()

    assert wait_for(lambda: SentReminder.objects.exists()), "the worker did not send the reminders within 30 s"
    assert SentReminder.objects.get().key.startswith(f"audit:{audit.pk}:due_on:")
    assert wait_for(lambda: reminders().filter(recipient=audit.auditor.user).exists())
    assert Audit.objects.get(pk=audit.pk).state == Audit.State.DRAFT


def test_beat_runs_the_reminders_every_morning():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["send-cycle-reminders"]

    assert entry["task"] == TASK_NAME
    assert TASK_NAME in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {0})
