"""One beat however many are started (quality/ops/beat.py), on the run's real PostgreSQL and Redis.

Two `celery beat` processes against the test database: one leads, the other stands by, and takes
over when the leader is killed. Then, in this process, what a beat sends (counted in a Redis queue
of the test's own) with the lock held elsewhere, taken, lost, and taken over from an earlier leader.
The in-process scheduler's jobs run on a clock the test moves, so nothing waits for a minute to pass.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from celery import Celery
from celery.schedules import schedule
from django.db import connection
from django.utils import timezone
from kombu import Connection, Exchange, Queue

from quality.ops import beat
from quality.ops.models import BeatHeartbeat
from tests.clock import real_clock_environ

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
BEAT_START_TIMEOUT = 30  # Django and Celery start in a few seconds; slower on a busy machine
TAKEOVER_TIMEOUT = beat.STANDBY_RETRY_SECONDS + 10

LOCK_HOLDERS = """
    SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = %s
"""


def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.fail("CELERY_BROKER_URL must name the run's Redis: run the tests through scripts/with-test-services.sh")
    return url


def database_url_of_this_test() -> str:
    """DATABASE_URL for a process of its own to use the database this test runs on (test_...)."""
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    return f"postgres://{quote(s['USER'], safe='')}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {timeout} s for {what}")


def lock_holders() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(LOCK_HOLDERS, [beat.LOCK_KEY])
        return cursor.fetchall()


class BeatProcess:
    def __init__(self, name: str, folder: Path):
        self.log_path = folder / f"beat-{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (the project's own celery)
                [
                    str(CELERY),
                    "-A",
                    "quality",
                    "beat",
                    "--loglevel=INFO",
                    "--scheduler",
                    "quality.ops.beat:SingleBeatScheduler",
                    "--schedule",
                    str(folder / f"beat-{name}-schedule"),
                ],
                cwd=ROOT,
                env=real_clock_environ(
                    DJANGO_SETTINGS_MODULE="quality.settings.test",
                    DATABASE_URL=database_url_of_this_test(),
                    CELERY_BROKER_URL=broker_url(),
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def start_beat(tmp_path):
    started: list[BeatProcess] = []

    def start(name: str) -> BeatProcess:
        started.append(BeatProcess(name, tmp_path))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def heartbeat_pid() -> int | None:
    heartbeat = BeatHeartbeat.latest()
    return heartbeat.pid if heartbeat else None


def test_two_beats_started_one_leads_and_the_other_takes_over_when_it_is_killed(transactional_db, start_beat):
    first, second = start_beat("first"), start_beat("second")

    leader_pid = wait_for(heartbeat_pid, BEAT_START_TIMEOUT, "a beat to record a heartbeat")
    leader, standby = (first, second) if leader_pid == first.pid else (second, first)
    assert leader_pid in (first.pid, second.pid)
    wait_for(lambda: "beat: standing by" in standby.log(), BEAT_START_TIMEOUT, "the other beat to stand by")
    assert "beat: holding the lock on" in leader.log()
    assert "beat: holding the lock on" not in standby.log()
    assert "Sending due task" not in standby.log()
    assert [name for _, name in lock_holders()] == ["quality beat lock"]
    heartbeat = BeatHeartbeat.latest()
    assert (heartbeat.hostname, heartbeat.pid) == (socket.gethostname(), leader.pid)

    leader.process.send_signal(signal.SIGKILL)  # no goodbye: the database notices the connection close
    leader.process.wait(timeout=10)

    wait_for(lambda: heartbeat_pid() == standby.pid, TAKEOVER_TIMEOUT, "the standby to take over")
    assert "beat: holding the lock on" in standby.log()
    assert len(lock_holders()) == 1
    assert standby.process.poll() is None


class Clock:
    """The in-process beat's idea of now, moved by the test. Beat stores its schedule with pickle and
    reads back copies, so every copy of the clock reads the one time kept in the class."""

    now = None

    def __call__(self):
        return Clock.now

    @staticmethod
    def advance(**delta) -> None:
        Clock.now += timedelta(**delta)


@pytest.fixture
def queue() -> str:
    """A Redis queue of this test's own, into which the beat's job is sent (and nothing consumes)."""
    name = f"beat-test-{uuid.uuid4().hex}"
    # Declared as a worker consuming it would: Redis keeps a message only for a queue bound to its route.
    with Connection(broker_url()) as broker:
        Queue(name, Exchange(name), routing_key=name)(broker.default_channel).declare()
    yield name
    redis.Redis.from_url(broker_url()).delete(name)


def sent(queue: str) -> int:
    return redis.Redis.from_url(broker_url()).llen(queue)


@pytest.fixture
def clock() -> Clock:
    Clock.now = timezone.now()
    yield Clock()
    Clock.now = None


@pytest.fixture
def scheduler(transactional_db, tmp_path, clock, queue):
    """The scheduler in this process, with one job due every minute of `clock`, sent to `queue`."""
    app = Celery("beat-test", broker=broker_url(), set_as_current=False)
    app.conf.timezone = "Europe/London"
    app.conf.beat_schedule = {
        "probe": {
            "task": "beat_test.probe",
            "schedule": schedule(timedelta(minutes=1), nowfun=clock, app=app),
            "options": {"queue": queue},
        }
    }
    single = beat.SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    yield single
    single.close()


@pytest.fixture
def lock_elsewhere(transactional_db):
    """Takes the beat lock as another beat would, on a connection of the test's own."""
    params = {**connection.get_connection_params(), "autocommit": True}
    params.pop("cursor_factory"), params.pop("context")
    holders = []

    class Holder:
        def take(self) -> None:
            holders.append(psycopg.connect(**params))
            assert holders[-1].execute("SELECT pg_try_advisory_lock(%s)", [beat.LOCK_KEY]).fetchone()[0]

        def release(self) -> None:
            holder = holders.pop()
            # Unlocked before closing: a closed connection's session (and lock) ends a moment later.
            holder.execute("SELECT pg_advisory_unlock(%s)", [beat.LOCK_KEY])
            holder.close()

    yield Holder()
    for holder in holders:
        holder.close()


def test_a_beat_without_the_lock_sends_nothing_and_sends_once_it_takes_it(scheduler, clock, queue, lock_elsewhere):
    lock_elsewhere.take()
    clock.advance(minutes=1, seconds=1)  # the job is due

    assert scheduler.tick() == beat.STANDBY_RETRY_SECONDS
    assert sent(queue) == 0
    assert BeatHeartbeat.latest() is None

    lock_elsewhere.release()
    scheduler.tick()

    assert sent(queue) == 1
    assert heartbeat_pid() == os.getpid()
    assert [name for _, name in lock_holders()] == ["quality beat lock"]


def test_a_beat_whose_lock_connection_ends_stops_sending(scheduler, clock, queue, lock_elsewhere, caplog):
    # Whatever an earlier test's Celery worker set the root logger's level to (start_worker sets it).
    caplog.set_level(logging.WARNING, logger=beat.__name__)
    clock.advance(minutes=1, seconds=1)
    scheduler.tick()
    assert sent(queue) == 1
    [(backend, _)] = lock_holders()

    with connection.cursor() as cursor:  # the database ends the leader's session (a restart, a network cut)
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    # The backend ends, and its lock with it, a moment after it is told to.
    wait_for(lambda: not lock_holders(), TAKEOVER_TIMEOUT, "the terminated session to release the lock")
    lock_elsewhere.take()  # and another beat leads now
    clock.advance(minutes=1)  # the job is due again

    assert scheduler.tick() == beat.STANDBY_RETRY_SECONDS
    assert sent(queue) == 1
    assert "beat: lost the lock" in caplog.text

    lock_elsewhere.release()
    scheduler.tick()

    assert sent(queue) == 2


def test_a_beat_taking_over_does_not_send_again_what_the_previous_leader_sent(
    scheduler, clock, queue, transactional_db
):
    # The previous leader sent the job a minute after this beat started, and ticked half a minute later.
    BeatHeartbeat.objects.create(
        pk=BeatHeartbeat.ROW, ticked_at=Clock.now + timedelta(seconds=90), hostname="other-machine", pid=1
    )
    clock.advance(seconds=100)  # the leader died; the job's next run is due at 2:30

    scheduler.tick()

    assert heartbeat_pid() == os.getpid()
    assert sent(queue) == 0

    clock.advance(seconds=51)
    scheduler.tick()

    assert sent(queue) == 1
