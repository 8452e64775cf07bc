"""The health endpoint's checks (GET /healthz, quality/ops/views.py; docs/deploy.md, "Health").

Five checks: the database answers, Redis (the Celery broker) answers, the file storage takes, gives
back and removes a small file, beat ticked within HEALTH_BEAT_LATE_AFTER, and no migration waits to
be applied. Each runs in a thread of its own, all at once, and the answer is given after at most
HEALTH_CHECK_DEADLINE seconds whatever they are doing: a check still running then is "timed out".
A dependency that hangs therefore costs the caller the deadline, never more. Its thread is a daemon
and every client it uses has its own timeouts (CONNECT_TIMEOUT_SECONDS...), so it ends by itself a
few seconds later instead of piling up.

A finding is worded for a public answer: a few words, never a host, a password or a connection
string. Operators get the exception's class in the log.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from time import monotonic

import redis
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .models import BeatHeartbeat
from .storage import S3_BACKEND

logger = logging.getLogger(__name__)

# libpq's smallest connect timeout is 2 s; a statement may take as long.
CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 2000
REDIS_TIMEOUT_SECONDS = 1
# The storage probe's S3 client: one try, 2 s to connect and 2 s a read. boto's defaults (60 s each,
# retried) would keep a probe of a hanging store alive for minutes, one more every time the load
# balancer asks.
S3_PROBE_CONFIG = Config(connect_timeout=2, read_timeout=2, retries={"total_max_attempts": 1})
PROBE_FOLDER = "healthz"
PROBE_CONTENT = b"health probe: safe to delete\n"
TIMED_OUT = "timed out"


class Unhealthy(Exception):
    """What a check found wrong, in words fit for the public answer."""


@dataclass(frozen=True)
class Result:
    ok: bool
    ms: int
    reason: str = ""  # why not ok
    note: str = ""  # ok, with something to say (a check with nothing to check)

    def as_json(self) -> dict:
        answer = {"ok": self.ok, "ms": self.ms}
        if self.reason:
            answer["reason"] = self.reason
        if self.note:
            answer["note"] = self.note
        return answer


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> str | None:
    """Pings the broker the workers and beat use. With Celery's in-memory broker (a bare checkout,
    nothing queued between processes) there is no Redis to reach: reported ok, with a note."""
    url = settings.CELERY_BROKER_URL
    scheme = url.split("://", 1)[0]
    if scheme == "memory":
        return "not used: in-memory broker"
    if scheme not in ("redis", "rediss"):
        raise Unhealthy(f"cannot check a {scheme}:// broker")
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return None


def check_storage() -> None:
    """Writes, reads back and deletes a small file of its own (a name no other probe shares), through
    the same storage as the built files: a folder on disk, or the S3 bucket."""
    storage = probe_storage()
    name = storage.save(f"{PROBE_FOLDER}/probe-{uuid.uuid4().hex}.txt", ContentFile(PROBE_CONTENT))
    try:
        with storage.open(name, "rb") as probe:
            if probe.read() != PROBE_CONTENT:
                raise Unhealthy("read back something else than was written")
    finally:
        storage.delete(name)


def probe_storage() -> Storage:
    """The built files' storage; for the S3 bucket, a copy of it whose client gives up quickly (the
    downloads' own client keeps boto's patience: a large file may be slow to come)."""
    setting = settings.STORAGES["default"]
    if setting["BACKEND"] != S3_BACKEND:
        return default_storage
    storage = storages.create_storage(setting)
    storage.client_config = storage.client_config.merge(S3_PROBE_CONFIG)
    return storage


def check_beat() -> None:
    heartbeat = BeatHeartbeat.latest()
    if heartbeat is None:
        raise Unhealthy("beat has never ticked")
    silent_for = timezone.now() - heartbeat.ticked_at
    if silent_for > settings.HEALTH_BEAT_LATE_AFTER:
        raise Unhealthy(f"late: no tick for {int(silent_for.total_seconds() // 60)} minutes")


def check_migrations() -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise Unhealthy(f"{len(pending)} not applied")


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "beat": check_beat,
    "migrations": check_migrations,
}


def run_checks(names: list[str] | None = None) -> dict[str, Result]:
    """The named checks (all by default), run at once; each one's result, or "timed out"."""
    deadline = settings.HEALTH_CHECK_DEADLINE
    futures = {name: _start(name, CHECKS[name]) for name in (names or CHECKS)}
    wait(futures.values(), timeout=deadline)
    return {
        name: future.result() if future.done() else Result(ok=False, ms=int(deadline * 1000), reason=TIMED_OUT)
        for name, future in futures.items()
    }


def _start(name: str, check: Callable[[], str | None]) -> Future:
    future: Future = Future()

    def run() -> None:
        started = monotonic()
        try:
            with _database_with_timeouts():
                note = check()
        except Exception as error:  # noqa: BLE001 (every failure is a finding, reported and logged)
            future.set_result(Result(ok=False, ms=_ms_since(started), reason=_reason(name, error)))
        else:
            future.set_result(Result(ok=True, ms=_ms_since(started), note=note or ""))

    threading.Thread(target=run, name=f"healthz-{name}", daemon=True).start()
    return future


@contextmanager
def _database_with_timeouts():
    """Django's default connection, in this thread only, opened afresh with a connect timeout (and a
    statement timeout on PostgreSQL): without them a database that accepts connections and never
    answers would hold the thread for ever. Closed when the check ends."""
    shared = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(shared.settings_dict)
    options = settings_dict.setdefault("OPTIONS", {})
    if shared.vendor == "postgresql":
        options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        options["options"] = f"{options.get('options', '')} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()
    else:  # SQLite: how long to wait for a writer's lock
        options["timeout"] = CONNECT_TIMEOUT_SECONDS
    guarded = type(shared)(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = guarded
    try:
        yield
    finally:
        guarded.close()


def _reason(name: str, error: Exception) -> str:
    if isinstance(error, Unhealthy):
        return str(error)
    logger.warning("healthz: %s failed (%s)", name, type(error).__name__)
    if isinstance(error, (TimeoutError, redis.TimeoutError, ConnectTimeoutError, ReadTimeoutError)):
        return TIMED_OUT
    if isinstance(error, DatabaseError):
        return "cannot use the database"
    if isinstance(error, (redis.ConnectionError, EndpointConnectionError)):
        return "cannot connect"
    return f"failed ({type(error).__name__})"


def _ms_since(started: float) -> int:
    return round((monotonic() - started) * 1000)
