"""The reports' tasks: called directly, then run by a real Celery worker on Redis and sent by Celery beat
from the project's real schedule, with time travelled to the 9th: the monthly report is made exactly
once even when the job is delivered twice, and a worker that dies half-way is recovered by the next run."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from unittest.mock import patch

import pytest
from celery.beat import PersistentScheduler
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone

from quality.celery import app
from quality.org.models import Notification, Role
from quality.reports import services
from quality.reports.models import Report
from quality.reports.tasks import generate_due_reports, generate_report
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

from .test_services import AuditMaker, queued

ENTRY = "generate-due-reports"
TASK = "quality.reports.tasks.generate_due_reports"
NINTH = date(2026, 12, 9)
NOVEMBER = ("monthly", "2026-11", False)


class WorkerKilled(BaseException):
    """Stands for the worker process dying (killed, out of memory): nothing in the task can catch it."""


@pytest.fixture
def november(make_person, own_area):
    """Two audits submitted in November 2026, and a QA lead to tell."""
    from tests.moderation.outcome_world import published_version

    make_person(Role.QA_LEAD, full_name="Quinn Lead")
    maker = AuditMaker(published_version(), make_person(Role.PRACTICE_MANAGER, own_area), own_area)
    return [maker(date(2026, 11, 3), "good"), maker(date(2026, 11, 17), "requires_improvement")]


def reports_made() -> list[tuple]:
    return sorted(Report.objects.values_list("kind", "period", "year_to_date"))


def die_half_way(report_id: int) -> None:
    """Run the task until its progress has passed 50%, then kill it as a dying worker would be.

    Only this thread dies: the real worker's thread, already running, keeps the real function."""
    this_thread = threading.current_thread()
    sync_highlights = services._sync_highlights

    def killed_here(*args, **kwargs):
        if threading.current_thread() is this_thread:
            raise WorkerKilled
        return sync_highlights(*args, **kwargs)

    with (
        patch.object(services, "_sync_highlights", side_effect=killed_here),
        pytest.raises(WorkerKilled),
    ):
        generate_report(report_id)
    report = Report.objects.get(pk=report_id)
    assert report.state == Report.State.QUEUED and report.progress > 50


def as_if_long_ago(report_id: int, minutes: int = 20) -> None:
    Report.objects.filter(pk=report_id).update(updated_at=timezone.now() - timedelta(minutes=minutes))


# ---------------------------------------------------------------------------------------
# The tasks called directly


@pytest.mark.django_db
def test_the_task_generates_a_queued_report_into_a_draft_and_a_second_delivery_does_nothing(november):
    report = queued(period="2026-11")

    assert generate_report(report.pk) == Report.State.DRAFT
    assert generate_report(report.pk) is None

    report.refresh_from_db()
    assert report.figures["audits"]["completed"] == 2
    assert report.highlights.count() == 4


@pytest.mark.django_db
def test_an_error_in_the_figures_marks_the_report_failed_and_tells_the_qa_lead(november):
    report = queued(period="2026-11")

    with patch("quality.reports.figures.compute", side_effect=ValueError("broken")):
        assert generate_report(report.pk) is None

    assert Report.objects.get().state == Report.State.FAILED
    assert Notification.objects.get().subject.endswith("generation failed")


@pytest.mark.django_db
def test_running_out_of_time_marks_the_report_failed(november):
    report = queued(period="2026-11")

    with patch("quality.reports.figures.compute", side_effect=SoftTimeLimitExceeded()):
        generate_report(report.pk)

    assert Report.objects.get().state == Report.State.FAILED


@pytest.mark.django_db
def test_a_database_error_is_tried_again_and_the_report_generated(november):
    from quality.reports import figures

    report = queued(period="2026-11")
    real = figures.compute
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database went away")
        return real(*args, **kwargs)

    with patch.object(figures, "compute", side_effect=flaky):
        generate_report.apply(args=[report.pk])

    assert len(calls) == 2
    assert Report.objects.get().state == Report.State.DRAFT


@pytest.mark.django_db
def test_the_generation_task_is_time_limited_inside_the_stranded_delay():
    from quality.reports.selectors import STRANDED_AFTER

    assert generate_report.soft_time_limit < generate_report.time_limit < STRANDED_AFTER.total_seconds()


@pytest.mark.django_db
def test_a_worker_that_dies_half_way_leaves_the_report_queued_and_the_next_daily_run_recovers_it(
    november, django_capture_on_commit_callbacks
):
    report = queued(period="2026-11")
    die_half_way(report.pk)

    # Straight away the report still looks alive: the daily job leaves it to its worker.
    with patch("quality.reports.tasks.generate_report.delay") as delay:
        assert services.reports_generate_due(today=NINTH).requeued == []
    as_if_long_ago(report.pk)
    with (
        patch("quality.reports.tasks.generate_report.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.reports_generate_due(today=NINTH).requeued == [report.pk]
    assert report.pk in [call.args[0] for call in delay.call_args_list]

    assert generate_report(report.pk) == Report.State.DRAFT
    assert Report.objects.get(pk=report.pk).highlights.count() == 4


@pytest.mark.django_db
def test_the_daily_task_reads_today_from_its_argument(november):
    with patch("quality.reports.tasks.generate_report.delay"):
        run = generate_due_reports("2026-12-09")

    assert ("monthly", "2026-11", False) in reports_made()
    assert len(run["created"]) == len(reports_made())


# ---------------------------------------------------------------------------------------
# A real worker, and beat, on Redis


def beat_sends_the_due_entry(tmp_path) -> None:
    """Celery beat, built from the project's real schedule, sends the reports entry once it is due."""
    scheduler = PersistentScheduler(app=app, schedule_filename=str(tmp_path / "celerybeat-schedule"))
    try:
        assert scheduler.schedule[ENTRY].task == TASK
        # As if beat last ran the job yesterday: today's 05:00 run is due.
        scheduler.schedule[ENTRY].last_run_at = app.now() - timedelta(days=1, minutes=1)
        assert scheduler.tick() == 0, "beat did not send the due reports entry"
    finally:
        scheduler.close()


def all_drafts() -> bool:
    states = set(Report.objects.values_list("state", flat=True))
    return bool(states) and states == {Report.State.DRAFT}


def test_beat_on_the_9th_makes_the_monthly_report_once_even_when_the_job_is_delivered_twice(
    transactional_db,
    celery_worker,  # noqa: F811
    november,
    tmp_path,
):
    with patch.object(timezone, "localdate", return_value=NINTH):
        beat_sends_the_due_entry(tmp_path)
        generate_due_reports.delay()  # the same job delivered a second time
        assert wait_for(lambda: NOVEMBER in reports_made(), timeout=60), "no monthly report 60 s after beat"
        assert wait_for(all_drafts, timeout=60), "the worker did not generate the reports"
        # Both deliveries have run (the worker takes one task at a time): nothing was made twice.
        generate_due_reports.delay()
        assert wait_for(lambda: all_drafts() and Report.objects.filter(progress=100).count() == len(reports_made()))

    made = reports_made()
    assert made.count(NOVEMBER) == 1
    assert len(made) == len(set(made)) == len(services.reports_due(NINTH))
    monthly = Report.objects.get(kind="monthly", period="2026-11")
    assert monthly.requested_by is None and monthly.figures["audits"]["completed"] == 2
    assert monthly.highlights.count() == 4


def test_a_report_whose_worker_died_is_generated_by_the_next_scheduled_run(
    transactional_db,
    celery_worker,  # noqa: F811
    november,
    tmp_path,
):
    report = queued(period="2026-11")
    die_half_way(report.pk)
    as_if_long_ago(report.pk)

    with patch.object(timezone, "localdate", return_value=NINTH):
        beat_sends_the_due_entry(tmp_path)
        assert wait_for(lambda: Report.objects.get(pk=report.pk).state == Report.State.DRAFT, timeout=60)
        assert wait_for(all_drafts, timeout=60)

    report.refresh_from_db()
    assert report.figures["audits"]["completed"] == 2 and report.highlights.count() == 4
    assert Report.objects.filter(kind="monthly", period="2026-11").count() == 1


def test_the_beat_entry_names_the_registered_task():
    app.loader.import_default_modules()

    assert app.conf.beat_schedule[ENTRY]["task"] in app.tasks
