from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quality.ops.backup import BackupError, backup_database


class Command(BaseCommand):
    help = (
        "Dump the PostgreSQL database (pg_dump, custom format) with its manifest into a folder, and keep "
        "only the newest BACKUP_KEEP backups there. Run nightly by docs/deploy/systemd/quality-backup.timer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", dest="directory", help="The folder (default: the BACKUP_DIR setting).")

    def handle(self, *args, directory=None, **options):
        try:
            backup, removed = backup_database(Path(directory or settings.BACKUP_DIR), settings.BACKUP_KEEP)
        except BackupError as error:
            raise CommandError(str(error)) from None
        megabytes = backup.dump.stat().st_size / 1_000_000
        self.stdout.write(self.style.SUCCESS(f"Wrote {backup.dump} ({megabytes:.1f} MB)."))
        for dump in removed:
            self.stdout.write(f"Removed {dump.name} (BACKUP_KEEP={settings.BACKUP_KEEP}).")
