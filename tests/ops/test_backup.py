"""Backups and the restore drill, on the suite's real PostgreSQL: pg_dump and pg_restore run for real,
the drill restores into a scratch database on the same server and drops it again.

The data is committed (transactional tests) so pg_dump, a process of its own, sees it."""

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from audits.models import AuditEvent
from quality.ops.backup import connect, latest_backup, model_tables
from quality.ops.restore_drill import SCRATCH_INFIX, compare, restore_into, restored_census, scratch_database
from quality.security.events import Kind, record_event
from tests.factories import audit_submitted

pytestmark = pytest.mark.django_db(transaction=True)

HISTORY_TABLES = {"audits_auditevent", "security_securityevent"}


@pytest.fixture
def history(tool_version, practice_manager):
    """Two submitted audits (each with its audit events) and a security event: rows in history tables."""
    audits = [audit_submitted(tool_version, practice_manager) for _ in range(2)]
    record_event(Kind.SIGN_IN, user=practice_manager.user)
    return audits


def backup(directory: Path) -> str:
    out = io.StringIO()
    call_command("backup_database", "--to", str(directory), stdout=out)
    return out.getvalue()


def drill(directory: Path) -> str:
    out = io.StringIO()
    try:
        call_command("restore_drill", "--from", str(directory), stdout=out)
    except CommandError as error:
        raise DrillFailed(out.getvalue(), str(error)) from error
    return out.getvalue()


class DrillFailed(Exception):
    def __init__(self, report: str, message: str):
        super().__init__(message)
        self.report, self.message = report, message


def scratch_databases() -> list[str]:
    prefix = connection.settings_dict["NAME"] + SCRATCH_INFIX
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix])
        return [row[0] for row in cursor.fetchall()]


def report_row(report: str, table: str) -> list[str]:
    return next(line.split() for line in report.splitlines() if line.split()[:1] == [table])


def test_a_backup_restores_with_every_table_and_history_checksum_matching(tmp_path, history):
    printed = backup(tmp_path)

    dump = latest_backup(tmp_path, connection.settings_dict["NAME"])
    assert dump.dump.name in printed and "MB" in printed
    assert stat.S_IMODE(dump.dump.stat().st_mode) == 0o600  # children's records: the owner only
    manifest = dump.read_manifest()
    assert set(manifest["tables"]) == set(model_tables())
    assert manifest["tables"]["audits_auditevent"]["rows"] == AuditEvent.objects.count() > 0
    assert all(manifest["tables"][table]["checksum"] for table in HISTORY_TABLES)

    report = drill(tmp_path)

    for table in model_tables():
        assert report_row(report, table)[-1] == "ok", table
    assert report_row(report, "audits_auditevent")[1:] == [str(AuditEvent.objects.count())] * 2 + ["match", "ok"]
    assert "Passed:" in report
    assert scratch_databases() == []


def test_the_drill_fails_naming_the_tables_when_the_dump_is_not_what_the_source_held(
    tmp_path, history, tool_version, practice_manager
):
    """A dump of an earlier state in place of the newest one: the newest census counts rows it lacks."""
    earlier = tmp_path / "earlier"
    backup(earlier)
    audit_submitted(tool_version, practice_manager)
    backup(tmp_path)
    newest = latest_backup(tmp_path, connection.settings_dict["NAME"])
    os.replace(latest_backup(earlier, connection.settings_dict["NAME"]).dump, newest.dump)

    with pytest.raises(DrillFailed) as failed:
        drill(tmp_path)

    assert "audits_audit" in failed.value.message and "audits_auditevent" in failed.value.message
    assert report_row(failed.value.report, "audits_auditevent")[-2:] == ["DIFFERS", "MISMATCH"]
    assert report_row(failed.value.report, "org_servicearea")[-1] == "ok"
    assert scratch_databases() == []


def test_a_history_row_changed_in_the_restored_copy_is_caught_by_its_checksum(tmp_path, history):
    """Same number of rows, one value different: only the checksum can tell. The change is made in the
    scratch copy (its triggers off for the session), never in the source."""
    backup(tmp_path)
    dump = latest_backup(tmp_path, connection.settings_dict["NAME"])
    manifest = dump.read_manifest()
    settings_dict = connection.settings_dict

    with scratch_database(settings_dict) as scratch:
        restore_into(dump, scratch, settings_dict)
        untouched = compare(manifest["tables"], restored_census(scratch, settings_dict, manifest))
        with connect(settings_dict, dbname=scratch, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute(
                "UPDATE audits_auditevent SET reason = reason || '.' WHERE id = (SELECT min(id) FROM audits_auditevent)"
            )
        tampered = compare(manifest["tables"], restored_census(scratch, settings_dict, manifest))

    assert all(result.matches for result in untouched)
    assert [result.table for result in tampered if not result.matches] == ["audits_auditevent"]
    changed = next(result for result in tampered if result.table == "audits_auditevent")
    assert changed.source_rows == changed.restored_rows and changed.checksum_matches is False
    assert scratch not in scratch_databases() and scratch_databases() == []


def test_only_the_newest_backup_keep_backups_are_kept(tmp_path, history, settings):
    settings.BACKUP_KEEP = 2
    printed = [backup(tmp_path) for _ in range(3)]
    written = [Path(re.search(r"Wrote (\S+) ", out).group(1)).name for out in printed]

    assert sorted(path.name for path in tmp_path.glob("*.dump")) == written[1:]
    assert sorted(path.name for path in tmp_path.glob("*.manifest.json")) == [
        name.replace(".dump", ".manifest.json") for name in written[1:]
    ]
    assert f"Removed {written[0]} (BACKUP_KEEP=2)" in printed[2]
    assert "Removed" not in printed[0] + printed[1]


def fake_pg_dump(folder: Path) -> Path:
    """A pg_dump that writes half a file, notes what it was given, and fails."""
    folder.mkdir()
    script = folder / "pg_dump"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {folder}/arguments\n'
        f'printf "%s" "$PGPASSWORD" > {folder}/password\n'
        'for argument in "$@"; do case "$argument" in\n'
        '  --file=*) printf "PGDMP half" > "${argument#--file=}";;\n'
        "esac; done\n"
        "echo 'pg_dump: error: disk full' >&2\n"
        "exit 1\n"
    )
    script.chmod(0o755)
    return folder


def test_a_half_written_dump_is_never_the_latest_and_the_password_stays_off_the_command_line(
    tmp_path, history, settings, monkeypatch
):
    backups = tmp_path / "backups"
    backup(backups)
    database = connection.settings_dict["NAME"]
    complete = latest_backup(backups, database)
    # A stray temporary file, as a killed run leaves it, named later than the complete backup.
    (backups / f".{database}-29991231T235959.999999Z.dump.partial").write_bytes(b"PGDMP half")

    settings.BACKUP_PG_BIN = str(fake_pg_dump(tmp_path / "bin"))
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "not-on-the-command-line")
    with pytest.raises(CommandError, match="pg_dump failed .*disk full") as failed:
        backup(backups)

    assert "not-on-the-command-line" not in (tmp_path / "bin" / "arguments").read_text() + str(failed.value)
    assert (tmp_path / "bin" / "password").read_text() == "not-on-the-command-line"
    assert latest_backup(backups, database) == complete
    assert len(list(backups.glob(".*.partial"))) == 1  # the stray one; the failed run removed its own
    settings.BACKUP_PG_BIN = ""
    monkeypatch.undo()
    assert "Passed:" in drill(backups)


@pytest.mark.parametrize("command", ["backup_database", "restore_drill"])
def test_sqlite_is_refused_with_a_clear_message(tmp_path, command):
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "quality.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path}/portal.sqlite3",
        "BACKUP_DIR": str(tmp_path / "backups"),
    }
    finished = subprocess.run(
        [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py"), command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 1
    assert "backups need PostgreSQL: the database is sqlite" in finished.stderr
    assert not (tmp_path / "backups").exists()


def test_the_census_tables_are_every_model_table_with_the_append_only_ones_as_history():
    tables = model_tables()
    assert {"audits_audit", "auth_user", "org_servicearea"} <= set(tables)
    assert {table for table, history in tables.items() if history} >= HISTORY_TABLES | {"performance_kpivalue"}
    assert not tables["audits_audit"]


def test_a_manifest_names_no_person(tmp_path, history, practice_manager):
    backup(tmp_path)
    text = latest_backup(tmp_path, connection.settings_dict["NAME"]).manifest.read_text()
    assert practice_manager.full_name not in text and history[0].case_reference not in text
    assert json.loads(text)["tables"]


def test_a_drill_stopped_by_sigterm_drops_its_scratch_database(tmp_path, history):
    """`systemctl stop` half-way through pg_restore: the real command, in a process of its own."""
    backup(tmp_path / "backups")
    folder = tmp_path / "bin"
    folder.mkdir()
    started = tmp_path / "pg_restore-started"
    (folder / "pg_restore").write_text(
        f"#!/bin/sh\necho $$ > {started}.tmp && mv {started}.tmp {started}\nexec sleep 60\n"
    )
    (folder / "pg_restore").chmod(0o755)
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "quality.settings.test",
        "DATABASE_URL": url,
        "PG_BIN": str(folder),
    }
    command = [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py"), "restore_drill", "--from"]
    stderr = tmp_path / "stderr"
    with stderr.open("wb") as errors:
        drill_process = subprocess.Popen([*command, str(tmp_path / "backups")], env=environment, stderr=errors)
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and drill_process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), stderr.read_text()
        assert len(scratch_databases()) == 1

        drill_process.terminate()
        assert drill_process.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if drill_process.poll() is None:
            drill_process.kill()
            drill_process.wait()
    assert scratch_databases() == []
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text()), 0)  # pg_restore was stopped with it
