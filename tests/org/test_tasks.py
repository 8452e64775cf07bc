"""The nightly purge of expired sign-in data: called directly, and run by a real Celery worker on Redis."""

import os
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from quality.celery import app
from quality.org.tasks import purge_expired_sign_in_data
from quality.security.models import SignInThrottle

TASK_NAME = "quality.org.tasks.purge_expired_sign_in_data"


def make_sign_in_data():
    """Counters whose window and lock have passed, and counters still counting or locked; returns
    (expired, fresh)."""
    now = timezone.now()
    long_ago = now - settings.PASSWORD_RESET_THROTTLE_WINDOW - timedelta(minutes=1)
    name = SignInThrottle.Scope.NAME

    def counter(key, started, locked_until=None):
        return SignInThrottle.objects.create(
            scope=name, key=key, window_started_at=started, attempts=3, locked_until=locked_until
        )

    expired = [
        counter("a" * 64, long_ago),
        counter("b" * 64, long_ago, locked_until=now - timedelta(minutes=1)),
    ]
    fresh = [
        counter("c" * 64, now - timedelta(minutes=1)),
        counter("d" * 64, long_ago, locked_until=now + timedelta(minutes=10)),
    ]
    return expired, fresh


def make_sessions():
    """An expired and a live session; returns their keys."""
    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(-60)
    for session in (expired, live):
        session["seen"] = True
        session.create()
    return expired.session_key, live.session_key


def exists(row):
    return type(row).objects.filter(pk=row.pk).exists()


def test_the_purge_removes_spent_sign_in_counters_and_expired_sessions_and_keeps_live_ones(db):
    expired, fresh = make_sign_in_data()
    expired_session, live_session = make_sessions()

    removed = purge_expired_sign_in_data()

    assert removed == 2
    assert not any(exists(row) for row in expired)
    assert all(exists(row) for row in fresh)
    assert not Session.objects.filter(session_key=expired_session).exists()
    assert Session.objects.filter(session_key=live_session).exists()


@pytest.fixture
def celery_worker():
    """A real worker in a thread, consuming from the throwaway Redis of the test run."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        pytest.fail(
            f"CELERY_BROKER_URL must name a Redis broker (got {broker!r}): run the tests through "
            "scripts/with-test-services.sh"
        )
    saved = {key: app.conf[key] for key in ("broker_url", "worker_hijack_root_logger")}
    app.conf.update(broker_url=broker, worker_hijack_root_logger=False)
    try:
        # A task an earlier test left queued would otherwise run inside this test.
        app.control.purge()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
            yield worker
    finally:
        app.conf.update(saved)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_on_redis_runs_the_purge_when_it_is_queued(transactional_db, celery_worker):
    expired, fresh = make_sign_in_data()

    purge_expired_sign_in_data.delay()

    assert wait_for(lambda: not any(exists(row) for row in expired)), "the worker did not purge within 30 s"
    assert all(exists(row) for row in fresh)


def test_the_beat_schedule_names_only_registered_tasks():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert TASK_NAME in scheduled
    assert scheduled - set(app.tasks) == set()
