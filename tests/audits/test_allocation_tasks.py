"""The daily allocation job: called directly on frozen days, run by a real worker on Redis, sent by
Celery beat from the project's real schedule, and caught up after Redis was down."""

import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from unittest.mock import patch

import pytest
import redis
from celery.beat import PersistentScheduler
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audits.cycle.allocation_views import PROPOSAL_QUEUE_DOWN, SCHEDULER_NEXT_RUN
from audits.models import Allocation, AllocationItem, Case
from audits.tasks import propose_monthly_allocation
from quality.celery import app
from quality.org.models import Role
from tests.clock import real_clock_environ
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

ENTRY = "propose-monthly-allocation"
TASK = "audits.tasks.propose_monthly_allocation"
TODAY = date(2026, 11, 23)
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def managers(make_person, own_area, other_area):
    """A practice manager in each area, each area with open cases to allocate."""
    for area, name in ((own_area, "Alex Manager"), (other_area, "Casey Manager")):
        make_person(Role.PRACTICE_MANAGER, area, full_name=name)
        for number in range(3):
            Case.objects.create(
                child_ref=f"C-{area.code}-{number}",
                service_area=area,
                legal_status="cin",
                open_since=date(2021, 1, 1 + number),
            )


def allocations():
    return list(Allocation.objects.order_by("month").values_list("month", flat=True))


# ---------------------------------------------------------------------------------------
# The job on frozen days


@pytest.mark.django_db
def test_on_the_2nd_the_job_does_nothing(managers):
    with freeze_time("2026-12-02 06:00:00"):
        assert propose_monthly_allocation() is None

    assert allocations() == []


@pytest.mark.django_db
def test_on_the_3rd_the_job_proposes_the_months_allocation(managers):
    with freeze_time("2026-12-03 06:00:00"):
        allocation_id = propose_monthly_allocation()

    allocation = Allocation.objects.get(pk=allocation_id)
    assert (allocation.month, allocation.state, allocation.proposed_by) == (
        date(2026, 12, 1),
        Allocation.State.PROPOSED,
        None,
    )
    assert allocation.items.count() == 2


@pytest.mark.django_db
def test_on_the_10th_with_no_allocation_yet_the_job_catches_up(managers):
    with freeze_time("2026-12-10 06:00:00"):
        propose_monthly_allocation()

    assert allocations() == [date(2026, 12, 1)]


@pytest.mark.django_db
def test_running_the_job_twice_makes_one_allocation(managers):
    with freeze_time("2026-12-03 06:00:00"):
        first = propose_monthly_allocation()
    with freeze_time("2026-12-04 06:00:00"):
        second = propose_monthly_allocation()

    assert first is not None and second is None
    assert allocations() == [date(2026, 12, 1)]
    assert AllocationItem.objects.count() == 2


@pytest.mark.django_db
def test_propose_now_passes_the_month_and_who_asked(managers, make_person):
    qa = make_person(Role.QA_LEAD, full_name="Quinn Lead")

    with freeze_time("2026-12-01 10:00:00"):  # before the 3rd: the month is given, so it is proposed
        allocation_id = propose_monthly_allocation("2027-01-01", qa.user.pk)

    allocation = Allocation.objects.get(pk=allocation_id)
    assert (allocation.month, allocation.proposed_by) == (date(2027, 1, 1), qa.user)


# ---------------------------------------------------------------------------------------
# A real worker, and beat, on Redis


def test_a_worker_on_redis_runs_the_job_it_is_sent(transactional_db, celery_worker, managers):  # noqa: F811
    propose_monthly_allocation.delay("2026-12-01", None)

    assert wait_for(lambda: Allocation.objects.filter(month=date(2026, 12, 1)).exists(), timeout=60)
    assert wait_for(lambda: AllocationItem.objects.count() == 2)


def beat_sends_the_due_entry(tmp_path) -> None:
    """Celery beat, built from the project's real schedule, sends the allocation entry once it is due."""
    scheduler = PersistentScheduler(app=app, schedule_filename=str(tmp_path / "celerybeat-schedule"))
    try:
        assert scheduler.schedule[ENTRY].task == TASK
        # As if beat last ran the job yesterday morning: today's 06:00 run is due.
        scheduler.schedule[ENTRY].last_run_at = app.now() - timedelta(days=1, minutes=1)
        assert scheduler.tick() == 0, "beat did not send the due allocation entry"
    finally:
        scheduler.close()


def test_beat_sends_the_daily_job_and_a_worker_proposes_the_month(
    transactional_db,
    celery_worker,  # noqa: F811
    managers,
    tmp_path,
):
    with patch.object(timezone, "localdate", return_value=TODAY):
        beat_sends_the_due_entry(tmp_path)
        assert wait_for(lambda: allocations() == [NOVEMBER], timeout=60), "no allocation 60 s after beat sent the job"

    assert Allocation.objects.get().proposed_by is None
    assert AllocationItem.objects.count() == 2


# ---------------------------------------------------------------------------------------
# Redis down: the pages still answer; the job catches up when Redis is back


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, started and stopped at will (as scripts/services.sh does)."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 (a fixed program with our own arguments)
            [
                shutil.which("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.folder / "redis.pid"),
                "--logfile",
                str(self.folder / "redis.log"),
                "--dir",
                str(self.folder),
            ],
            check=True,
            env=real_clock_environ(),
        )
        assert wait_for(self.answers, timeout=10), "the private Redis did not start"

    def stop(self):
        pid_file = self.folder / "redis.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            pid_file.unlink()
            assert wait_for(lambda: not self.answers(), timeout=10), "the private Redis did not stop"

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False


BROKER_SETTINGS = ("broker_url", "broker_read_url", "broker_write_url")


def use_broker(url: str) -> None:
    """Point the Celery app at `url` (the read and write URLs were fixed when the app was configured),
    dropping the connections it pooled for the old broker."""
    app.conf.update(dict.fromkeys(BROKER_SETTINGS, url))
    drop_pools()


def drop_pools() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    saved = {key: app.conf[key] for key in (*BROKER_SETTINGS, "worker_hijack_root_logger")}
    server.start()
    use_broker(server.url)
    app.conf.worker_hijack_root_logger = False
    try:
        yield server
    finally:
        server.stop()
        app.conf.update(saved)
        drop_pools()


def test_with_redis_down_the_pages_still_work_and_the_job_runs_once_redis_is_back(
    transactional_db, client, make_person, managers, private_redis, tmp_path
):
    qa = make_person(Role.QA_LEAD, full_name="Quinn Lead")
    client.force_login(qa.user)
    private_redis.stop()

    with patch.object(timezone, "localdate", return_value=TODAY):
        started = time.monotonic()
        response = client.post(reverse("allocation:allocation_propose", kwargs={"month": "2026-11"}), follow=True)
        took = time.monotonic() - started
        detail = unescape(response.content.decode())
        listing = client.get(reverse("allocation:allocation_list"))

        assert response.status_code == 200 and listing.status_code == 200
        assert took < 15, f"the page waited {took:.1f} s for the broker"
        assert PROPOSAL_QUEUE_DOWN.format(month="November 2026", when=SCHEDULER_NEXT_RUN) in detail
        assert "No allocation has been proposed for November 2026 yet" in detail
        assert "Propose now for November 2026" in listing.content.decode()
        assert allocations() == []

        private_redis.start()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            beat_sends_the_due_entry(tmp_path)
            assert wait_for(lambda: allocations() == [NOVEMBER], timeout=60), "the job did not catch up"

    allocation = Allocation.objects.get()
    assert allocation.proposed_by is None  # made by the scheduled job, not the refused request
    assert allocation.items.count() == 2
