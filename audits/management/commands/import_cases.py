"""python manage.py import_cases FILE [--dry-run]

Loads the council's case list ('Annex A'): updates the cases it names, creates the new ones and
closes the open cases it leaves out. The columns and rules are in docs/imports.md ("The case
list"). A refused file prints every problem (row, column, reason) on stderr, saves nothing and
exits with status 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.case_import import case_list_import
from quality.tabular import ImportRefused, errors_as_text


class Command(BaseCommand):
    help = "Import the case list (CSV or XLSX): update known cases, add new ones, close the ones it leaves out."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The case list as a .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; save nothing.")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            summary = case_list_import(actor=None, content=content, file_name=path.name, dry_run=dry_run)
        except ImportRefused as refused:
            self.stderr.write(errors_as_text(refused.errors))
            raise CommandError(str(refused)) from None
        prefix = "Dry run, nothing saved: " if dry_run else "Imported: "
        self.stdout.write(self.style.SUCCESS(prefix + str(summary)))
