"""Two queues: "builds" for the files a worker makes, "celery" for the rest (e-mails, reminders, the
cycle jobs, purges), so a 100-page PDF never delays a safeguarding notice. Messages published to a real
Redis land in the right list; a worker started with `-Q celery` leaves the builds alone; a worker started
without -Q (`make run`, the suite's real-worker tests) takes both."""

import inspect
import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import CodeType

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from audits.tasks import audit_document_build, send_cycle_reminders
from performance.tasks import performance_pack_build
from quality.built_files import build_stranded_files
from quality.celery import app
from quality.evaluation.tasks import build_evaluation_document
from quality.org.tasks import purge_old_form_tokens, send_notification_emails
from quality.reports.output_tasks import build_report_document
from tests.clock import real_clock_environ
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)


def names_used(code: CodeType) -> set[str]:
    """The global and attribute names a function's code uses, its generator expressions' included."""
    nested = (names_used(const) for const in code.co_consts if isinstance(const, CodeType))
    return set(code.co_names).union(*nested)


def builds_a_file(task) -> bool:
    """Does the task's body build files: through built_files.run_build, or the sweep's `sweep`?"""
    run = inspect.unwrap(task.run)
    return bool({"run_build", "sweep"} & names_used(getattr(run, "__func__", run).__code__))


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_build_task_is_routed_to_builds_and_every_other_task_to_celery():
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}

    routed = {name: queue_of(name) for name in tasks}

    builds = {name for name, task in tasks.items() if builds_a_file(task)}
    assert builds == set(settings.BUILD_TASKS)
    assert {name for name, queue in routed.items() if queue == "builds"} == builds
    assert {name for name, queue in routed.items() if queue == "celery"} == set(tasks) - builds
    assert "audits.tasks.send_cycle_reminders" in set(tasks) - builds


def task_names_in(client, queue: str) -> list[str]:
    return sorted(json.loads(message)["headers"]["task"] for message in client.lrange(queue, 0, -1))


def test_builds_land_in_the_builds_list_and_emails_and_reminders_in_celery(redis_client):
    audit_document_build.delay(1)
    performance_pack_build.delay(2)
    build_report_document.delay(3)
    build_evaluation_document.delay(5)
    build_stranded_files.delay()
    send_notification_emails.delay([4])
    send_cycle_reminders.delay()

    assert redis_client.llen("builds") == 5
    assert redis_client.llen("celery") == 2
    assert task_names_in(redis_client, "builds") == sorted(settings.BUILD_TASKS)
    assert task_names_in(redis_client, "celery") == [
        "audits.tasks.send_cycle_reminders",
        "quality.org.tasks.send_notification_emails",
    ]


def runs_of(task_name: str) -> float:
    return REGISTRY.get_sample_value("quality_celery_task_runs_total", {"task": task_name}) or 0.0


def test_a_worker_started_without_q_takes_builds_too(transactional_db, redis_client, celery_worker):  # noqa: F811
    name = "quality.built_files.build_stranded_files"
    before = runs_of(name)

    build_stranded_files.delay()  # on "builds": nothing stranded, so it builds nothing and returns

    assert wait_for(lambda: runs_of(name) == before + 1), "a worker without -Q did not take from builds"
    assert redis_client.llen("builds") == 0


# ---------------------------------------------------------------------------------------
# A real `celery worker -Q celery` process, prefork, serving its metrics on a port


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shared_database_url() -> str:
    """DATABASE_URL naming the database this test run made (test_...), for a worker process to share."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def celery_only_worker(transactional_db, tmp_path):
    """`celery -A quality worker -Q celery`, two prefork children, metrics on a free port adding up
    the children's counts (PROMETHEUS_MULTIPROC_DIR, emptied: a new folder), logging JSON lines.
    Yields the metrics URL and the worker's log file."""
    port = free_port()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    log = (tmp_path / "worker.log").open("w")
    env = real_clock_environ(
        DJANGO_SETTINGS_MODULE="quality.settings.test",
        DATABASE_URL=shared_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        WORKER_METRICS_PORT=str(port),
        LOG_FORMAT="json",
    )
    command = [sys.executable, "-m", "celery", "-A", "quality", "worker", "-Q", "celery", "-c", "2"]
    command += ["-n", "celery-only@%h", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        assert wait_for(lambda: worker_metrics(url) is not None, timeout=60), Path(log.name).read_text()[-3000:]
        yield url, Path(log.name)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()


def worker_metrics(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own worker, on loopback)
            text = response.read().decode()
    except OSError:
        return None
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_worker_on_the_celery_queue_only_runs_its_tasks_and_leaves_the_builds(redis_client, celery_only_worker):
    url, log = celery_only_worker
    name = "quality.org.tasks.purge_old_form_tokens"
    runs = ("quality_celery_task_runs_total", (("task", name),))
    build_stranded_files.delay()  # first in line: a worker that took from "builds" would run it first
    purge_old_form_tokens.delay()
    purge_old_form_tokens.delay()

    # Run in the prefork children, counted in the worker's own metrics (the children's files added up).
    assert wait_for(lambda: (worker_metrics(url) or {}).get(runs) == 2, timeout=60)
    assert redis_client.llen("builds") == 1
    assert redis_client.llen("celery") == 0
    assert not [key for key in worker_metrics(url) if "build_stranded_files" in str(key)]
    # The tasks' own lines, as JSON through the portal's handler (Celery does not take the root logger).
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    purged = [line for line in lines if line["logger"] == "quality.org.tasks"]
    assert len(purged) == 2 and {line["task_name"] for line in purged} == {name}
    assert all(line["task_id"] and line["message"].startswith("purged old form tokens") for line in purged)
