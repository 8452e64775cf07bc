"""One Celery beat, however many machines start one (docs/deploy.md, "One beat, watched").

Every machine may run `celery -A quality beat --scheduler quality.ops.beat:SingleBeatScheduler`.
Only the beat holding a PostgreSQL session advisory lock sends the periodic jobs; the others stand
by, send nothing, and try for the lock every STANDBY_RETRY_SECONDS. The lock lives on a database
connection of the beat's own (never Django's, which Django may close and reopen), kept for as long
as the process leads: PostgreSQL releases it the moment that connection ends, so when the leading
beat dies a standby leads within seconds, with no lease to expire and no row left behind.

The leader records its ticks in the BeatHeartbeat row (at most every HEARTBEAT_EVERY_SECONDS, and
after each job it sends), which the health endpoint reads. A beat taking over resumes the schedule
from the previous leader's last recorded tick, so a job the old leader already sent is not sent
again, and one that fell due while nobody led is sent once.

On SQLite (the zero-setup demo, one machine) there is no advisory lock: the beat simply leads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from datetime import datetime
from time import monotonic

import psycopg
from celery.beat import PersistentScheduler
from celery.utils.time import maybe_make_aware
from django.db import DatabaseError, close_old_connections, connections

from .models import BeatHeartbeat

logger = logging.getLogger(__name__)

# "qualbeat" as a number: one key for the portal's beats. Advisory locks are per database, so two
# portals on one PostgreSQL server (a regional host's councils, each with its own database) never meet.
LOCK_KEY = int.from_bytes(b"qualbeat", "big")
STANDBY_RETRY_SECONDS = 5
HEARTBEAT_EVERY_SECONDS = 30
LOCK_CONNECT_TIMEOUT_SECONDS = 5
# Both ends of the lock's connection probe the other: the server ends the session (and so frees the
# lock) about a minute after the leader's machine vanished without closing it, and the leader learns
# its connection is gone in about the same time instead of waiting on it for hours.
KEEPALIVE = {"idle": 30, "interval": 10, "count": 3}

HOLDS_THE_LOCK = """
    SELECT EXISTS (
        SELECT FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
          AND ((classid::bigint << 32) | objid::bigint) = %s AND objsubid = 1
    )
"""


class PostgresLock:
    """A session advisory lock on a connection of its own, held until that connection ends."""

    kind = "PostgreSQL advisory lock"

    def __init__(self) -> None:
        self._connection: psycopg.Connection | None = None

    def try_take(self) -> bool:
        try:
            connection = self._connection or self._connect()
            return connection.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]
        except psycopg.Error as error:
            logger.warning("beat: cannot reach the database for the lock (%s)", type(error).__name__)
            self.release()
            return False

    def still_held(self) -> bool:
        """Asked of the lock itself, not just of the connection: behind a pooler that hands each
        statement to another server session (PgBouncer's transaction pooling) the answer is no."""
        if self._connection is None:
            return False
        try:
            return self._connection.execute(HOLDS_THE_LOCK, [LOCK_KEY]).fetchone()[0]
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        """Ending the connection ends the session, and with it the lock."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(psycopg.Error):
                connection.close()

    def _connect(self) -> psycopg.Connection:
        params = connections["default"].get_connection_params()
        # Django's own cursor class and type adapters are not wanted on a plain psycopg connection.
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params |= {
            "autocommit": True,
            "connect_timeout": LOCK_CONNECT_TIMEOUT_SECONDS,
            "application_name": "quality beat lock",
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE["idle"],
            "keepalives_interval": KEEPALIVE["interval"],
            "keepalives_count": KEEPALIVE["count"],
            "tcp_user_timeout": sum((KEEPALIVE["idle"], KEEPALIVE["interval"] * KEEPALIVE["count"])) * 1000,
        }
        connection = psycopg.connect(**params)
        for name in ("idle", "interval", "count"):  # the server's side of the same probes
            connection.execute(f"SET tcp_keepalives_{name} = {KEEPALIVE[name]}")
        self._connection = connection
        return connection


class OneMachine:
    """SQLite: the database is a file on one machine, so there is one beat and nothing to lock."""

    kind = "SQLite, one machine: no lock needed"

    def try_take(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def lock_for_database() -> PostgresLock | OneMachine:
    return PostgresLock() if connections["default"].vendor == "postgresql" else OneMachine()


class SingleBeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, sending only while it holds the beat lock."""

    def __init__(self, *args, **kwargs):
        self._lock = None
        self._leading = False
        self._standing_by = False
        self._last_heartbeat: float | None = None
        self._host = socket.gethostname()
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        if not self._lead():
            return STANDBY_RETRY_SECONDS
        interval = super().tick(*args, **kwargs)
        # 0: a job was just sent (or another is due at once): record it before anything else happens.
        self._record_heartbeat(force=interval == 0)
        # Wake at least every HEARTBEAT_EVERY_SECONDS, however far off the next job, so the heartbeat
        # stays fresh and a lost lock is noticed before the next job is due.
        return min(interval, HEARTBEAT_EVERY_SECONDS)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock is not None:
                self._lock.release()
            self._leading = False

    def _lead(self) -> bool:
        """Do we hold the lock now? Asked before every tick, so nothing is sent without it."""
        if self._lock is None:
            self._lock = lock_for_database()
        if self._leading:
            if self._lock.still_held():
                return True
            logger.warning("beat: lost the lock on %s (its database session ended)", self._host)
            self._leading = False
        if not self._lock.try_take():
            if not self._standing_by:
                logger.info(
                    "beat: standing by on %s: another beat holds the lock (trying again every %s s)",
                    self._host,
                    STANDBY_RETRY_SECONDS,
                )
                self._standing_by = True
            return False
        self._leading, self._standing_by = True, False
        logger.info("beat: holding the lock on %s (pid %s; %s)", self._host, os.getpid(), self._lock.kind)
        self._resume_from_previous_leader()
        self._record_heartbeat(force=True)
        return True

    def _resume_from_previous_leader(self) -> None:
        """Treat every job as run up to the previous leader's last recorded tick (it sent what fell due
        until then), unless this beat's own schedule file says it ran later."""
        try:
            close_old_connections()
            previous = BeatHeartbeat.latest()
        except DatabaseError as error:
            logger.warning(
                "beat: cannot read the last heartbeat (%s): resuming from its own schedule", type(error).__name__
            )
            return
        if previous is None:
            return
        resume_from = previous.ticked_at.astimezone(self.app.timezone)
        for entry in self.schedule.values():
            if entry.last_run_at is None or self._aware(entry.last_run_at) < resume_from:
                entry.last_run_at = resume_from
        self._heap = None  # the next tick orders the jobs again from their new last runs

    def _aware(self, moment: datetime) -> datetime:
        return maybe_make_aware(moment, self.app.timezone)

    def _record_heartbeat(self, *, force: bool) -> None:
        now = monotonic()
        if not force and self._last_heartbeat is not None and now - self._last_heartbeat < HEARTBEAT_EVERY_SECONDS:
            return
        try:
            close_old_connections()  # a connection broken since the last tick is replaced, not reused
            BeatHeartbeat.record(hostname=self._host, pid=os.getpid())
        except DatabaseError as error:
            logger.warning("beat: cannot record the heartbeat (%s)", type(error).__name__)
            return
        self._last_heartbeat = now

    @property
    def info(self) -> str:
        return f"{super().info}\n    . lock -> one beat leads (quality.ops.beat)"
