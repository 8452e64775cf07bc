"""Prometheus metrics: requests, their latency, task runs and failures, queue lengths, built-file waits.

Labels are route names (the URL's name, never its path: paths hold ids), methods, status codes, task
names, queue names and built-file kinds: nothing about a person or a case.

- Counted as they happen: requests (`RequestMetricsMiddleware`), task runs (Celery signals, in the
  worker process that runs the task) and built files given up on (`built_files.build_given_up`).
- Read at scrape time (`LiveStateCollector`): the length of each Celery queue (Redis LLEN, with a
  short timeout: a Redis that does not answer leaves the metric out, never holds the scrape) and the
  built files waiting for a worker (how many, and the age of the oldest, per kind).

Several processes (gunicorn workers, Celery's prefork children) each count their own: with
PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps the counts in files there and every scrape adds
them up. The folder must be emptied before the processes start (docs/deploy.md, "Metrics").
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator

import redis
from celery import signals
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from quality import built_files
from quality.celery import app

logger = logging.getLogger(__name__)

UNRESOLVED = "unresolved"  # a request refused before, or answered without, a URL of the portal (413, 404)
REDIS_TIMEOUT_SECONDS = 0.5

REQUESTS = Counter(
    "quality_http_requests",
    "Requests answered, by method, route name and status code.",
    ["method", "route", "status"],
)
REQUEST_LATENCY = Histogram(
    "quality_http_request_duration_seconds",
    "Time to answer a request, by route name.",
    ["route"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASK_RUNS = Counter("quality_celery_task_runs", "Celery task runs finished, by task name.", ["task"])
TASK_FAILURES = Counter("quality_celery_task_failures", "Celery task runs that raised, by task name.", ["task"])
TASK_DURATION = Histogram(
    "quality_celery_task_duration_seconds",
    "Time a Celery task run took, by task name.",
    ["task"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 180, 600),
)
BUILDS_GIVEN_UP = Counter(
    "quality_built_files_given_up",
    "Built files given up on after their tries (or by the sweep), by kind.",
    ["kind"],
)

# Start times of the task runs in progress in this process, by task id.
_task_started: dict[str, float] = {}


# -- requests --


def route_name(request) -> str:
    """The name of the URL that answered (namespaced, e.g. "audits:audit_detail"), never its path."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else UNRESOLVED


class RequestMetricsMiddleware:
    """Counts and times every request; just below RequestIdMiddleware, so a 413 is counted too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_name(request)
        REQUEST_LATENCY.labels(route=route).observe(time.perf_counter() - started)
        REQUESTS.labels(method=known_method(request.method), route=route, status=str(response.status_code)).inc()
        return response


def known_method(method: str | None) -> str:
    # A client can send any word as its method: only the ones HTTP defines become a label value.
    known = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
    return method if method in known else "other"


# -- tasks --


def task_started(task_id=None, **_):
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, **_):
    name = task.name if task is not None else "unknown"
    TASK_RUNS.labels(task=name).inc()
    started = _task_started.pop(task_id, None)
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)


def task_failed(sender=None, **_):
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


def count_build_given_up(sender=None, **_):
    """built_files.build_given_up: a build task that gives up ends without raising (no task failure)."""
    BUILDS_GIVEN_UP.labels(kind=sender._meta.label_lower).inc()


# -- read at scrape time --


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue (Redis LLEN); empty when the broker is not Redis or does
    not answer within REDIS_TIMEOUT_SECONDS."""
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        return {}
    names = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    try:
        with redis.Redis.from_url(
            broker, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        ) as client:
            pipe = client.pipeline(transaction=False)
            for name in names:
                pipe.llen(name)
            return dict(zip(names, pipe.execute(), strict=True))
    except redis.RedisError:
        logger.warning("metrics: queue lengths left out, Redis did not answer")
        return {}


@functools.cache
def import_task_modules() -> None:
    """Once per process: every app's tasks module, as a worker imports them when it starts."""
    app.loader.import_default_modules()


def built_file_models() -> list:
    """The built-file models the stranded-file sweep knows: each app's tasks module registers its own
    with built_files.sweep_with, and a web process may not have imported them all yet."""
    import_task_modules()
    return list(built_files.SWEPT)


def built_file_waits() -> dict[str, tuple[int, float]]:
    """Per kind of built file (its model's label): how many wait for a worker, and the age in seconds
    of the one waiting longest. Kinds with none waiting are (0, 0.0)."""
    now = timezone.now()
    waits = {}
    for model in built_file_models():
        queued = model.objects.filter(state=built_files.QUEUED).aggregate(count=Count("pk"), oldest=Min("requested_at"))
        age = (now - queued["oldest"]).total_seconds() if queued["oldest"] else 0.0
        waits[model._meta.label_lower] = (queued["count"], max(age, 0.0))
    return waits


class LiveStateCollector(Collector):
    """Queue lengths and built-file waits, read when Prometheus scrapes (the web endpoint only)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lengths = queue_lengths()
        if lengths:
            family = GaugeMetricFamily(
                "quality_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
            )
            for queue, length in lengths.items():
                family.add_metric([queue], length)
            yield family
        yield from self.built_file_families()

    def built_file_families(self) -> Iterator[GaugeMetricFamily]:
        try:
            waits = built_file_waits()
        except DatabaseError:
            logger.warning("metrics: built-file waits left out, the database did not answer")
            return
        waiting = GaugeMetricFamily(
            "quality_built_files_queued", "Built files waiting for a worker, by kind.", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "quality_built_files_oldest_queued_age_seconds",
            "Age of the built file waiting longest for a worker, by kind (0 when none waits).",
            labels=["kind"],
        )
        for kind, (count, age) in waits.items():
            waiting.add_metric([kind], count)
            oldest.add_metric([kind], age)
        yield waiting
        yield oldest


LIVE_STATE = CollectorRegistry(auto_describe=False)
LIVE_STATE.register(LiveStateCollector())


# -- exposition --


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def counted_registry() -> CollectorRegistry:
    """The counts of this process, or with PROMETHEUS_MULTIPROC_DIR those of every process on the machine."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def web_exposition() -> bytes:
    """What GET /metrics answers: the counts, then the state read now."""
    return generate_latest(counted_registry()) + generate_latest(LIVE_STATE)


def serve_worker_metrics(sender=None, **_):
    """worker_ready, in the worker's main process: its tasks' counts on WORKER_METRICS_PORT (when set)."""
    port = settings.WORKER_METRICS_PORT
    if port:
        start_http_server(port, addr=settings.WORKER_METRICS_BIND, registry=counted_registry())
        logger.info("worker metrics on %s:%s", settings.WORKER_METRICS_BIND, port)


def connect_signals() -> None:
    """Called once from OpsConfig.ready."""
    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
    signals.task_failure.connect(task_failed, weak=False)
    signals.worker_ready.connect(serve_worker_metrics, weak=False)
    built_files.build_given_up.connect(count_build_given_up, dispatch_uid="quality.ops.metrics.build_given_up")
