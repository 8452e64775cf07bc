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
from quality.org.models import SignInFailure, SignInLockout
from quality.org.tasks import purge_expired_sign_in_data

TASK_NAME = "quality.org.tasks.purge_expired_sign_in_data"


def make_sign_in_data():
    """One expired and one fresh row of each kind; returns (expired, fresh) as (model, pk) pairs."""
    now = timezone.now()
    window = settings.LOGIN_FAILURE_WINDOW
    expired = [
        SignInFailure.objects.create(username_key="a" * 64, at=now - window - timedelta(minutes=1)),
        SignInLockout.objects.create(username_key="a" * 64, until=now - timedelta(minutes=1)),
    ]
    fresh = [
        SignInFailure.objects.create(username_key="b" * 64, at=now - window + timedelta(minutes=1)),
        SignInLockout.objects.create(username_key="b" * 64, until=now + timedelta(minutes=10)),
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


def test_the_purge_removes_expired_failures_lockouts_and_sessions_and_keeps_fresh_ones(db):
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
