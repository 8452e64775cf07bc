import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quality.ops.backup import BackupError
from quality.ops.restore_drill import report_lines, run_drill


def _stopped(signum, frame):
    # `systemctl stop` or the unit's time-out sends SIGTERM: ending by an exception (not Python's
    # default of dying on the spot) lets the drill kill pg_restore and drop its scratch database.
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = (
        "Restore the newest backup into a scratch database on the same server, compare every table's rows "
        "and each history table's checksum with the source as dumped, print the table, drop the scratch "
        "database. Exits 1 on any difference. Run weekly by docs/deploy/systemd/quality-restore-drill.timer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="directory", help="The backups' folder (default: the BACKUP_DIR setting).")

    def handle(self, *args, directory=None, **options):
        previous = signal.signal(signal.SIGTERM, _stopped)
        try:
            report = run_drill(Path(directory or settings.BACKUP_DIR))
        except BackupError as error:
            raise CommandError(str(error)) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("\n".join(report_lines(report)))
        if not report.passed:
            raise CommandError(f"restore drill failed: {', '.join(report.mismatched)} differ")
