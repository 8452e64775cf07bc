"""The restore drill: `manage.py restore_drill` (docs/deploy.md, "Backups").

The newest backup in the folder is restored with pg_restore into a scratch database made for the
drill on the same server, which is dropped again however the drill ends. The restored copy's census
(quality/ops/backup.py: rows of every table, checksum of each history table) is compared with the
census of the source taken in the dump's own snapshot: every number must be equal. Comparing with
the live source instead would report differences that are no fault of the backup (rows added since,
old security events purged, a KPI value superseded), so the source is read as it was when dumped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from psycopg import sql

from .backup import Backup, census, connect, database_settings, latest_backup, run_tool

logger = logging.getLogger("quality.ops.backup")

SCRATCH_INFIX = "_restore_drill_"
NAME_MAX = 63  # PostgreSQL's longest identifier


@dataclass(frozen=True)
class TableResult:
    table: str
    history: bool
    source_rows: int | None  # None: the table is not there
    restored_rows: int | None
    checksum_matches: bool | None  # None: not a history table

    @property
    def matches(self) -> bool:
        return self.source_rows == self.restored_rows and self.checksum_matches is not False


@dataclass(frozen=True)
class DrillReport:
    backup: Backup
    taken_at: str
    scratch_database: str
    results: list[TableResult]

    @property
    def mismatched(self) -> list[str]:
        return [result.table for result in self.results if not result.matches]

    @property
    def passed(self) -> bool:
        return bool(self.results) and not self.mismatched


def compare(source: dict[str, dict], restored: dict[str, dict]) -> list[TableResult]:
    """Table by table, the source's census against the restored copy's."""
    missing = {"rows": None, "checksum": None}
    results = []
    for table, counted in sorted(source.items()):
        copy = restored.get(table, missing)
        checksum_matches = counted["checksum"] == copy["checksum"] if counted["history"] else None
        results.append(TableResult(table, counted["history"], counted["rows"], copy["rows"], checksum_matches))
    return results


def scratch_name(database: str) -> str:
    """A new database's name: the source's, the drill's mark and the time, within PostgreSQL's limit."""
    suffix = f"{SCRATCH_INFIX}{timezone.now():%Y%m%d%H%M%S%f}"
    return database[: NAME_MAX - len(suffix)] + suffix


@contextmanager
def scratch_database(settings_dict: dict) -> Iterator[str]:
    """An empty database on the source's server for the drill, dropped at the end whatever happens
    (WITH (FORCE): a connection left open by a failed step does not keep it)."""
    name = scratch_name(settings_dict["NAME"])
    with connect(settings_dict, autocommit=True) as conn:
        # template0: nothing in it that the dump also creates (an extension added to template1).
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with connect(settings_dict, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def restore_into(backup: Backup, database: str, settings_dict: dict) -> None:
    # --no-owner: the restored objects belong to whoever runs the drill, whoever owned the source's.
    run_tool("pg_restore", ["--no-owner", "--exit-on-error", f"--dbname={database}", str(backup.dump)], settings_dict)


def restored_census(database: str, settings_dict: dict, manifest: dict) -> dict[str, dict]:
    """The census of the restored copy, over the tables the source's census names."""
    with connect(settings_dict, dbname=database) as conn:
        return census(conn, {table: counted["history"] for table, counted in manifest["tables"].items()})


def run_drill(directory: Path) -> DrillReport:
    """Restore the newest backup into a scratch database, compare, drop the scratch database, and
    log the result (names of tables and files only: nothing from the rows)."""
    settings_dict = database_settings()
    backup = latest_backup(directory, settings_dict["NAME"])
    manifest = backup.read_manifest()
    with scratch_database(settings_dict) as scratch:
        restore_into(backup, scratch, settings_dict)
        restored = restored_census(scratch, settings_dict, manifest)
    report = DrillReport(backup, manifest["taken_at"], scratch, compare(manifest["tables"], restored))
    _log(report)
    return report


def _log(report: DrillReport) -> None:
    level = logging.INFO if report.passed else logging.ERROR
    logger.log(
        level,
        "restore_drill result=%s dump=%s tables=%d history_tables=%d mismatched=%s",
        "passed" if report.passed else "failed",
        report.backup.dump.name,
        len(report.results),
        sum(result.history for result in report.results),
        ",".join(report.mismatched) or "-",
    )


def _shown(rows: int | None) -> str:
    return "missing" if rows is None else str(rows)


def report_lines(report: DrillReport) -> list[str]:
    """The drill's table: one line a table, then the verdict."""
    width = max([len("table"), *(len(result.table) for result in report.results)])
    lines = [
        f"Restore drill of {report.backup.dump.name} (taken {report.taken_at}) into {report.scratch_database}",
        f"{'table':<{width}}  {'source rows':>11}  {'restored rows':>13}  {'checksum':<8}  result",
    ]
    for result in report.results:
        checksum = {None: "-", True: "match", False: "DIFFERS"}[result.checksum_matches]
        verdict = "ok" if result.matches else "MISMATCH"
        lines.append(
            f"{result.table:<{width}}  {_shown(result.source_rows):>11}  {_shown(result.restored_rows):>13}  "
            f"{checksum:<8}  {verdict}"
        )
    history = sum(result.history for result in report.results)
    if report.passed:
        lines.append(f"Passed: {len(report.results)} tables match, {history} history checksums among them.")
    else:
        lines.append(
            f"FAILED: {len(report.mismatched)} of {len(report.results)} tables differ: {', '.join(report.mismatched)}"
        )
    return lines
