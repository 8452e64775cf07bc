"""python manage.py import_audits FILE [--create-service-areas] [--dry-run]

Brings the council's earlier audits (the QA spreadsheet) in as closed audit records. The file's
columns and rules are in docs/imports.md ("The audit history"). A refused file prints every
problem (row, column, reason), saves nothing and exits with status 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.history_import import audit_history_import
from quality.tabular import ImportRefused, errors_as_text


class Command(BaseCommand):
    help = "Import the audit history (CSV or XLSX) as closed audits; re-importing a reference updates it."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The audit history as a .csv or .xlsx file.")
        parser.add_argument(
            "--create-service-areas",
            action="store_true",
            help="Create the service areas the file names that the portal does not know, instead of refusing.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; save nothing.")

    def handle(self, *args, file, create_service_areas=False, dry_run=False, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            result = audit_history_import(
                actor=None,
                content=content,
                file_name=path.name,
                create_service_areas=create_service_areas,
                dry_run=dry_run,
            )
        except ImportRefused as refused:
            self.stderr.write(errors_as_text(refused.errors))
            raise CommandError(str(refused)) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
