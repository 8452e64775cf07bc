"""Backups of the PostgreSQL database: `manage.py backup_database` (docs/deploy.md, "Backups").

A backup is two files in BACKUP_DIR: `<database>-<UTC time>.dump` (pg_dump's custom format) and
its `.manifest.json`, the census of the source taken in the dump's own snapshot: the rows of every
table of the portal's models, and a checksum of each history table (the append-only ones,
quality/append_only.py). The restore drill (quality/ops/restore_drill.py) compares a restored copy
with that census. Both come from the same exported snapshot (pg_export_snapshot, pg_dump
--snapshot), so the census is the source exactly as dumped however busy the portal is meanwhile:
a live source would keep gaining rows, and its purges remove old security events.

Each file is written under a temporary name, flushed to disk, then renamed, the manifest first:
a dump file with its final name is always complete, so a half-written one is never "the latest".
The dumps hold children's records: the files are readable by their owner only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from psycopg import sql

from quality import append_only

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".manifest.json"
PARTIAL_SUFFIX = ".partial"
STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"  # UTC, fixed width: the names sort in time order
STAMP_PATTERN = r"\d{8}T\d{6}\.\d{6}Z"
PG_VERSIONS_DIR = Path("/usr/lib/postgresql")

# How rows are written as text for their checksums, set on both sides so they agree.
TEXT_SETTINGS = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "bytea_output": "hex",
}
# Keys of a database's OPTIONS that are Django's, not libpq's.
DJANGO_ONLY_OPTIONS = {"isolation_level", "server_side_binding", "assume_role", "pool"}
# libpq's environment variable for each OPTIONS key pg_dump and pg_restore understand.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """Why a backup or a drill could not be done: the management commands say it and exit non-zero."""


# --- The database and its tools --------------------------------------------------------------------


def database_settings(alias: str = DEFAULT_DB_ALIAS) -> dict:
    """The configured database's settings; PostgreSQL only (SQLite is `make run`'s one-file database)."""
    settings_dict = connections[alias].settings_dict
    if connections[alias].vendor != "postgresql":
        raise BackupError(
            f"backups need PostgreSQL: the database is {connections[alias].vendor} "
            "(copy the SQLite file instead, with the portal stopped)"
        )
    return settings_dict


def _libpq_options(settings_dict: dict) -> dict:
    return {key: value for key, value in settings_dict.get("OPTIONS", {}).items() if key not in DJANGO_ONLY_OPTIONS}


def connect(settings_dict: dict, *, dbname: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """A connection of our own (not Django's) to the server, to `dbname` or the configured database."""
    params = {
        "dbname": dbname or settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    params = {key: value for key, value in params.items() if value is not None}
    return psycopg.connect(**params, **_libpq_options(settings_dict), autocommit=autocommit)


def tool_environment(settings_dict: dict) -> dict:
    """The environment for pg_dump and pg_restore: the password travels here, never in their arguments."""
    environment = dict(os.environ)
    fields = {"PGHOST": "HOST", "PGPORT": "PORT", "PGUSER": "USER", "PGPASSWORD": "PASSWORD"}
    for variable, key in fields.items():
        environment.pop(variable, None)
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    for key, value in _libpq_options(settings_dict).items():
        if key in LIBPQ_ENVIRONMENT:
            environment[LIBPQ_ENVIRONMENT[key]] = str(value)
    return environment


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.name))


def tool_path(name: str) -> str:
    """pg_dump or pg_restore: from PG_BIN, else the newest installed major version (a newer pg_dump
    reads an older server, never the reverse), else PATH."""
    if settings.BACKUP_PG_BIN:
        return str(Path(settings.BACKUP_PG_BIN) / name)
    versions = sorted((p for p in PG_VERSIONS_DIR.glob("*") if (p / "bin" / name).exists()), key=_version_key)
    if versions:
        return str(versions[-1] / "bin" / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools or set PG_BIN")
    return found


def run_tool(name: str, arguments: list[str], settings_dict: dict) -> None:
    """Run pg_dump or pg_restore; its own error message (which never holds the password) if it fails."""
    completed = subprocess.run(  # noqa: S603 -- our own arguments, no shell
        [tool_path(name), *arguments],
        env=tool_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"{name} failed (exit {completed.returncode}): {completed.stderr.strip()[-2000:]}")


# --- The census: rows and history checksums, the same SQL on the source and on a restored copy ------


def model_tables() -> dict[str, bool]:
    """Every table of the portal's models (many-to-many tables included), True for history tables."""
    history = {model._meta.db_table for model in append_only.protected_models()}
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return {table: table in history for table in sorted(tables)}


def set_text_settings(conn: psycopg.Connection) -> None:
    for name, value in TEXT_SETTINGS.items():
        conn.execute("SELECT set_config(%s, %s, false)", [name, value])


def _table_exists(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [sql.Identifier(table).as_string(conn)]).fetchone()[0]


def history_checksum_sql(table: str) -> sql.Composed:
    """Rows and checksum of a history table in one pass, in constant memory: the md5 of each whole
    row (every column, as text), summed as two 64-bit halves. Order does not matter; with the row
    count compared too, a row added, lost or changed changes the result."""
    return sql.SQL(
        "SELECT count(*), md5("
        "coalesce(sum(('x' || left(h, 16))::bit(64)::bigint), 0) || ':' || "
        "coalesce(sum(('x' || right(h, 16))::bit(64)::bigint), 0)) "
        "FROM (SELECT md5(t::text) AS h FROM {} AS t) AS hashed"
    ).format(sql.Identifier(table))


def census(conn: psycopg.Connection, tables: dict[str, bool]) -> dict[str, dict]:
    """{table: {"history": bool, "rows": n, "checksum": "..." or None (not a history table)}}; a table
    that is not there has rows None."""
    set_text_settings(conn)
    return {table: {"history": is_history, **_count(conn, table, is_history)} for table, is_history in tables.items()}


def _count(conn: psycopg.Connection, table: str, is_history: bool) -> dict:
    if not _table_exists(conn, table):
        return {"rows": None, "checksum": None}
    if is_history:
        rows, checksum = conn.execute(history_checksum_sql(table)).fetchone()
        return {"rows": rows, "checksum": checksum}
    return {
        "rows": conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0],
        "checksum": None,
    }


@contextmanager
def exported_snapshot(settings_dict: dict) -> Iterator[tuple[psycopg.Connection, str]]:
    """A read-only repeatable-read transaction on the source, and its snapshot's id for pg_dump:
    while it is open, pg_dump --snapshot and the census see the very same rows."""
    with connect(settings_dict, autocommit=True) as conn:
        set_text_settings(conn)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            yield conn, snapshot


# --- Files --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    dump: Path

    @property
    def manifest(self) -> Path:
        return self.dump.with_name(self.dump.name.removesuffix(DUMP_SUFFIX) + MANIFEST_SUFFIX)

    def read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest.read_text())
        except FileNotFoundError:
            raise BackupError(
                f"{self.dump.name} has no manifest ({self.manifest.name}): it cannot be checked"
            ) from None


def _fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _publish(partial: Path, final: Path) -> None:
    """Flush the finished file, give it its final name, and flush the folder so the name survives."""
    _fsync_path(partial)
    os.replace(partial, final)
    _fsync_path(final.parent)


def _private_file(path: Path) -> None:
    """Create the file empty, readable and writable by its owner only, before anything is written in it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backups(directory: Path, database: str) -> list[Backup]:
    """The complete backups of `database` in the folder, oldest first (temporary files never match)."""
    pattern = re.compile(re.escape(database) + "-" + STAMP_PATTERN + re.escape(DUMP_SUFFIX))
    if not directory.is_dir():
        return []
    return [Backup(path) for path in sorted(directory.iterdir()) if pattern.fullmatch(path.name)]


def latest_backup(directory: Path, database: str) -> Backup:
    found = backups(directory, database)
    if not found:
        raise BackupError(f"no backup of {database} in {directory}")
    return found[-1]


def prune(directory: Path, database: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of `database` (dump and manifest); the names removed."""
    removed = []
    for backup in backups(directory, database)[:-keep]:
        backup.manifest.unlink(missing_ok=True)
        backup.dump.unlink()
        removed.append(backup.dump)
    return removed


def _write_manifest(path: Path, content: dict) -> None:
    partial = path.with_name("." + path.name + PARTIAL_SUFFIX)
    _private_file(partial)
    try:
        partial.write_text(json.dumps(content, indent=1, sort_keys=True))
        _publish(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def backup_database(directory: Path, keep: int) -> tuple[Backup, list[Path]]:
    """Dump the configured database into the folder with its manifest, then keep the newest `keep`
    backups. The new backup, and the dumps removed."""
    if keep < 1:
        raise BackupError(f"BACKUP_KEEP must be at least 1, not {keep}")
    settings_dict = database_settings()
    database = settings_dict["NAME"]
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    taken_at = timezone.now()
    backup = Backup(directory / f"{database}-{taken_at:{STAMP_FORMAT}}{DUMP_SUFFIX}")
    partial = directory / ("." + backup.dump.name + PARTIAL_SUFFIX)
    _private_file(partial)
    try:
        with exported_snapshot(settings_dict) as (conn, snapshot):
            run_tool(
                "pg_dump", ["--format=custom", f"--snapshot={snapshot}", f"--file={partial}", database], settings_dict
            )
            tables = census(conn, model_tables())
        manifest = {"database": database, "dump": backup.dump.name, "taken_at": taken_at.isoformat(), "tables": tables}
        _write_manifest(backup.manifest, manifest)
        _publish(partial, backup.dump)
    finally:
        partial.unlink(missing_ok=True)
    return backup, prune(directory, database, keep)
