"""python manage.py import_indicators FILE [--year YYYY] [--dry-run]

Loads the indicator catalogue: creates or updates indicators by code, and sets the targets and
comparators of one reporting year (the financial year starting in April of YYYY; the current one
when --year is left out). Other years are untouched. The columns and rules are in
docs/performance.md ("The catalogue file"). A refused file prints every problem (row, column,
reason) on stderr, saves nothing and exits with status 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from performance.catalogue import FIRST_YEAR, LAST_YEAR, YEAR_INVALID, indicator_catalogue_import
from quality.tabular import ImportRefused, errors_as_text


class Command(BaseCommand):
    help = "Import the indicator catalogue (CSV or XLSX) with one reporting year's targets and comparators."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The catalogue as a .csv or .xlsx file.")
        parser.add_argument(
            "--year",
            type=int,
            help="The reporting year the targets and comparators belong to, as the year it starts in April "
            "(2026 = April 2026 to March 2027). Default: the current one.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; save nothing.")

    def handle(self, *args, file, year=None, dry_run=False, **options):
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(f"--year: {YEAR_INVALID}")
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            summary = indicator_catalogue_import(
                actor=None, content=content, file_name=path.name, year=year, dry_run=dry_run
            )
        except ImportRefused as refused:
            self.stderr.write(errors_as_text(refused.errors))
            raise CommandError(str(refused)) from None
        prefix = "Dry run, nothing saved: " if dry_run else "Imported: "
        self.stdout.write(self.style.SUCCESS(prefix + str(summary)))
