"""A PDF asked for on one machine, built on another and downloaded from the first (issue 17): the web
process (the test's live server) and a Celery worker in a process of its own, each with its own local
media folder, sharing only the database, Redis and the S3 bucket. The PDF lives in the bucket alone,
and the web process hands it over with the same access check as ever."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from performance.models import PerformancePack
from quality.celery import app
from tests.clock import real_clock_environ
from tests.org.test_tasks import wait_for
from tests.performance.test_pack import OCT, TITLE, month, pdf_text  # noqa: F401 (month is a fixture)

from .conftest import ROOT, storage_setting_for

WORKER_HOSTNAME = "builds-on-machine-b@storage-test"
WORKER_START_TIMEOUT = 90  # a worker imports the whole portal; two busy cores make that slow
BUILD_TIMEOUT = 120
WORKER_STOP_TIMEOUT = 30

pytestmark = pytest.mark.django_db(transaction=True)


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def this_tests_database_url() -> str:
    """The database this test runs on (pytest-django's test_… copy), as DATABASE_URL names it."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def machine_a(settings, live_server, s3_bucket, tmp_path) -> Path:
    """The web process: the live server, its files in the bucket, its own (empty) media folder."""
    folder = tmp_path / "machine-a-media"
    folder.mkdir()
    settings.MEDIA_ROOT = folder
    settings.STORAGES = {**settings.STORAGES, "default": storage_setting_for(s3_bucket)}
    return folder


@pytest.fixture
def machine_b(transactional_db, s3_bucket, tmp_path):
    """A Celery worker in its own process, consuming both queues from the test run's Redis, on the test
    database and the same bucket, with a media folder of its own; stopped when the test ends."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        pytest.fail(
            "CELERY_BROKER_URL must name the test run's Redis: run the tests through scripts/with-test-services.sh"
        )
    folder = tmp_path / "machine-b-media"
    folder.mkdir()
    log = tmp_path / "worker.log"
    environment = real_clock_environ(
        DJANGO_SETTINGS_MODULE="quality.settings.test",
        DATABASE_URL=this_tests_database_url(),
        CELERY_BROKER_URL=broker,
        MEDIA_ROOT=str(folder),
        **s3_bucket.environ(),
    )
    command = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "quality", "worker", "--pool", "solo"]
    command += [
        "--hostname",
        WORKER_HOSTNAME,
        "-Q",
        "celery,builds",
        "--without-mingle",
        "--without-gossip",
        "-l",
        "INFO",
    ]
    with log.open("wb") as output:
        worker = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:

        def answers_ping() -> bool:
            if worker.poll() is not None:
                pytest.fail(f"the worker stopped: {log.read_text()[-3000:]}")
            return bool(app.control.ping(destination=[WORKER_HOSTNAME], timeout=0.5))

        assert wait_for(answers_ping, timeout=WORKER_START_TIMEOUT), log.read_text()[-3000:]
        yield folder, log
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def signed_in(person) -> requests.Session:
    """A browser-like session signed in as `person` (password and second factor)."""
    client = Client()
    client.force_login(person.user)
    browser = requests.Session()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return browser


def csrf_token(browser: requests.Session, live_server) -> str:
    """The CSRF token the scorecard page's forms post (its "Make the PDF pack" among them)."""
    page = browser.get(f"{live_server.url}{reverse('performance:scorecard')}", params={"month": "2026-10"}, timeout=30)
    assert page.status_code == 200 and settings.CSRF_COOKIE_NAME in browser.cookies
    return browser.cookies[settings.CSRF_COOKIE_NAME]


def test_a_pdf_asked_for_on_the_web_machine_is_built_on_the_worker_machine_and_downloaded_from_the_first(
    machine_a,
    machine_b,
    live_server,
    s3_bucket,
    month,  # noqa: F811
    performance_officer,
    practitioner,
):
    folder_b, worker_log = machine_b
    officer = signed_in(performance_officer)

    asked = officer.post(
        f"{live_server.url}{reverse('performance:pack_request', args=['2026-10'])}",
        headers={"X-CSRFToken": csrf_token(officer, live_server)},
        allow_redirects=False,
        timeout=30,
    )
    assert asked.status_code == 302, asked.text[:500]
    made = PerformancePack.objects.get(period=OCT)

    def built() -> bool:
        made.refresh_from_db()
        return made.state != PerformancePack.State.QUEUED

    assert wait_for(built, timeout=BUILD_TIMEOUT), f"not built in {BUILD_TIMEOUT} s: {worker_log.read_text()[-3000:]}"
    assert made.state == PerformancePack.State.READY, worker_log.read_text()[-3000:]
    assert "performance.tasks.performance_pack_build" in worker_log.read_text()  # machine B built it

    download_url = f"{live_server.url}{reverse('performance:pack_download', args=[made.pk])}"
    downloaded = officer.get(download_url, timeout=60)

    assert downloaded.status_code == 200 and downloaded.headers["Content-Type"] == "application/pdf"
    pdf = downloaded.content
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == made.sha256
    assert s3_bucket.keys() == {made.file.name} and s3_bucket.read(made.file.name) == pdf
    # The pack lives in the bucket only: neither machine kept a copy in its own folder.
    assert files_in(machine_a) == [] and files_in(folder_b) == []
    saved = machine_a.parent / "downloaded.pdf"
    saved.write_bytes(pdf)
    assert TITLE in pdf_text(saved)
    # Someone who may not read the scorecard is refused on the web machine, bucket or not.
    assert signed_in(practitioner).get(download_url, timeout=30).status_code == 403
