"""GET /healthz (quality/ops/health.py, views.py) against the run's real PostgreSQL and Redis, a Redis of
the test's own that it stops, servers that accept a connection and never answer, and the S3 server.

transactional_db throughout: each check runs in a thread of its own on a connection of its own, which
sees only what is committed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from quality.access import public
from quality.ops import views
from quality.ops.models import BeatHeartbeat
from quality.org.models import Role
from tests.clock import real_clock_environ
from tests.factories import person_with_role
from tests.org.test_tasks import wait_for
from tests.test_security_settings import production_env, run_python

from .conftest import free_port

CHECKS = {"database", "redis", "storage", "beat", "migrations"}
ANSWER_WITHIN_SECONDS = 2
# The storage probe's S3 client tries once, with 2 s to connect and 2 s a read (quality/ops/health.py).
PROBE_GIVES_UP_WITHIN_SECONDS = 8
BEAT_HOST = "beat-host-7"


@pytest.fixture
def healthy(transactional_db, settings, tmp_path):
    """Everything a healthy portal has: beat ticked just now, files in a folder of this test's own,
    the run's Redis as the broker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
    BeatHeartbeat.record(hostname=BEAT_HOST, pid=4242)
    return settings


def ask(client, **params):
    started = time.monotonic()
    response = client.get(reverse("healthz"), params)
    return response, time.monotonic() - started


def failing(response) -> dict[str, str]:
    body = response.json()
    return {name: check["reason"] for name, check in body["checks"].items() if not check["ok"]}


def test_a_healthy_portal_answers_200_naming_every_check(client, healthy):
    response, took = ask(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] and isinstance(check["ms"], int) for check in body["checks"].values())
    assert "failing" not in body
    assert took < ANSWER_WITHIN_SECONDS
    assert list((healthy.MEDIA_ROOT / "healthz").iterdir()) == []  # the storage probe cleaned up


def test_the_answer_sets_no_cookie_may_not_be_stored_and_names_nobody(client, healthy):
    person = person_with_role(Role.QA_LEAD, None, full_name="Harriet Healthcheck")

    response, _ = ask(client)

    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"
    text = response.content.decode()
    for private in (person.full_name, person.user.email, BEAT_HOST, "4242", connection.settings_dict["NAME"]):
        assert private not in text
    assert set(response.json()) == {"status", "checks"}


def test_the_health_view_is_public_on_purpose_and_takes_no_post(client, healthy):
    assert views.healthz.public_reason
    assert client.post(reverse("healthz")).status_code == 405


def test_a_view_cannot_be_made_public_without_a_reason():
    with pytest.raises(ValueError, match="why"):
        public(" ")


def test_beat_silent_for_more_than_ten_minutes_is_late(client, healthy):
    late_after = django_settings.HEALTH_BEAT_LATE_AFTER
    assert late_after == timedelta(minutes=10)
    BeatHeartbeat.objects.update(ticked_at=timezone.now() - timedelta(minutes=9))
    assert ask(client)[0].status_code == 200

    BeatHeartbeat.objects.update(ticked_at=timezone.now() - timedelta(minutes=11))
    response, _ = ask(client)

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["failing"] == ["beat"]
    assert failing(response) == {"beat": "late: no tick for 11 minutes"}


def test_a_beat_that_never_ticked_fails(client, healthy):
    BeatHeartbeat.objects.all().delete()

    response, _ = ask(client)

    assert response.status_code == 503
    assert failing(response) == {"beat": "beat has never ticked"}


@pytest.fixture
def unapplied_migration(transactional_db):
    """The newest migration of the ops app, recorded as not applied (as after deploying new code)."""
    leaf = next(node for node in MigrationLoader(connection).graph.leaf_nodes() if node[0] == "ops")
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(*leaf)
    yield leaf
    recorder.record_applied(*leaf)


def test_a_migration_not_applied_fails(client, healthy, unapplied_migration):
    response, _ = ask(client)

    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert failing(response) == {"migrations": "1 not applied"}


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of the test's own, on a free port; `.stop()` stops it mid-test."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        env=real_clock_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    while not _answers(client):
        assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)

    class OwnRedis:
        url = f"redis://127.0.0.1:{port}/0"

        def stop(self):
            process.terminate()
            process.wait(timeout=10)

    yield OwnRedis()
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def _answers(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_redis_stopped_fails_naming_redis(client, healthy, own_redis):
    healthy.CELERY_BROKER_URL = own_redis.url
    assert ask(client)[0].status_code == 200

    own_redis.stop()
    response, took = ask(client)

    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]
    assert failing(response) == {"redis": "cannot connect"}
    assert own_redis.url.split("//")[1] not in response.content.decode()  # no address in a public answer
    assert took < ANSWER_WITHIN_SECONDS


def test_with_the_in_memory_broker_there_is_no_redis_to_check(client, healthy):
    healthy.CELERY_BROKER_URL = "memory://"

    response, _ = ask(client)

    assert response.status_code == 200
    assert response.json()["checks"]["redis"]["note"] == "not used: in-memory broker"


@pytest.fixture
def hanging_server():
    """A TCP server on a free loopback port that accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)  # so that the thread sees `stopping` soon after the test
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept_for_ever():
        while not stopping.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_for_ever, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stopping.set()
    thread.join(timeout=5)
    listener.close()
    for peer in accepted:
        peer.close()


def test_a_redis_that_hangs_is_reported_within_two_seconds(client, healthy, hanging_server):
    healthy.CELERY_BROKER_URL = f"redis://127.0.0.1:{hanging_server}/0"

    response, took = ask(client)

    assert took < ANSWER_WITHIN_SECONDS
    assert response.status_code == 503
    assert failing(response) == {"redis": "timed out"}


def test_a_database_that_hangs_is_reported_within_two_seconds(client, healthy, hanging_server, monkeypatch):
    # Only the connections the checks open are pointed at it: they copy these settings.
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(hanging_server))

    response, took = ask(client)

    assert took < ANSWER_WITHIN_SECONDS
    assert response.status_code == 503
    # Beat's heartbeat and the migrations are read from the database too.
    assert failing(response) == {"database": "timed out", "beat": "timed out", "migrations": "timed out"}


def test_a_database_that_cannot_be_reached_fails_naming_the_database(client, healthy, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))  # nobody listens there

    response, took = ask(client)

    assert took < ANSWER_WITHIN_SECONDS
    assert response.status_code == 503
    assert failing(response)["database"] == "cannot use the database"
    assert set(response.json()["failing"]) == {"database", "beat", "migrations"}


def test_a_load_balancer_may_ask_for_the_checks_of_one_web_server_only(client, healthy):
    BeatHeartbeat.objects.all().delete()  # beat down: every web server would fail the full check

    response, _ = ask(client, check=["database", "storage"])

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "storage"}
    assert ask(client, check="nonsense")[0].status_code == 400


def test_the_storage_check_works_on_s3(client, healthy, s3_storage):
    response, _ = ask(client)

    assert response.status_code == 200
    assert response.json()["checks"]["storage"]["ok"] is True
    assert s3_storage.keys() == set()


def s3_endpoint_at(settings, endpoint: str) -> None:
    """The bucket's storage setting, pointed at another S3 endpoint (as a store that has gone away)."""
    storage = settings.STORAGES["default"]
    options = {**storage["OPTIONS"], "endpoint_url": endpoint}
    settings.STORAGES = {**settings.STORAGES, "default": {**storage, "OPTIONS": options}}


def test_an_s3_store_that_is_down_fails_naming_storage(client, healthy, s3_storage):
    s3_endpoint_at(healthy, f"http://127.0.0.1:{free_port()}")  # nobody listens there

    response, took = ask(client)

    assert took < ANSWER_WITHIN_SECONDS
    assert response.status_code == 503
    assert failing(response) == {"storage": "cannot connect"}


def probe_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "healthz-storage"]


def test_an_s3_store_that_hangs_is_reported_within_two_seconds_and_its_probe_soon_gives_up(
    client, healthy, s3_storage, hanging_server
):
    s3_endpoint_at(healthy, f"http://127.0.0.1:{hanging_server}")

    response, took = ask(client)

    assert took < ANSWER_WITHIN_SECONDS
    assert response.status_code == 503
    assert failing(response) == {"storage": "timed out"}
    # boto's own defaults (60 s a read, retried) would keep the probe's thread for minutes: a load
    # balancer asking every 10 s would pile them up.
    assert wait_for(lambda: not probe_threads(), timeout=PROBE_GIVES_UP_WITHIN_SECONDS)


def test_production_answers_the_load_balancer_over_http_for_the_portals_host_only(transactional_db):
    """SECURE_SSL_REDIRECT sends every other page to https; ALLOWED_HOSTS still applies to /healthz."""
    code = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "print(c.get('/healthz', HTTP_HOST='portal.example').status_code, "
        "c.get('/', HTTP_HOST='portal.example').status_code, "
        "c.get('/healthz', HTTP_HOST='10.0.0.5').status_code)"
    )
    result = run_python(["-c", code], production_env(os.environ["DATABASE_URL"]))

    assert result.returncode == 0, result.stderr[-2000:]
    health, home, other_host = result.stdout.split()[-3:]
    assert health in ("200", "503")  # answered, not redirected (this database is not the test's)
    assert (home, other_host) == ("301", "400")
