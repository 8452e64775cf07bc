"""python manage.py import_indicators FILE [--year YYYY] [--dry-run]

Loads the indicator catalogue: creates or updates indicators by code, and sets the targets and
comparators of one reporting year (the financial year starting in April of YYYY; the current one
when --year is left out). Other years are untouched. The columns and rules are in
docs/performance.md ("The catalogue file"). A refused file prints every problem (row, column,
reason) on stderr, saves nothing and exits with status 1.
"""

from django.core.management.base import CommandError

from performance.catalogue import FIRST_YEAR, LAST_YEAR, YEAR_INVALID, indicator_catalogue_import
from quality.tabular import ImportCommand


class Command(ImportCommand):
    help = "Import the indicator catalogue (CSV or XLSX) with one reporting year's targets and comparators."
    file_help = "The catalogue as a .csv or .xlsx file."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--year",
            type=int,
            help="The reporting year the targets and comparators belong to, as the year it starts in April "
            "(2026 = April 2026 to March 2027). Default: the current one.",
        )

    def run_import(self, *, content, file_name, dry_run, year=None, **options):
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(f"--year: {YEAR_INVALID}")
        return indicator_catalogue_import(actor=None, content=content, file_name=file_name, year=year, dry_run=dry_run)
