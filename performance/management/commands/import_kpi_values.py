"""python manage.py import_kpi_values FILE [--dry-run]

Loads a month's KPI values (council-wide figures and service-area / team breakdowns). A figure
loaded before is replaced and kept in the history. The columns and rules are in
docs/performance.md ("The values file"). A refused file prints every problem (row, column,
reason) on stderr, saves nothing and exits with status 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from performance.loads import kpi_values_import
from quality.tabular import ImportRefused, errors_as_text


class Command(BaseCommand):
    help = "Import KPI values (CSV or XLSX): one figure per indicator, month and breakdown."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The values as a .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; save nothing.")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            summary = kpi_values_import(actor=None, content=content, file_name=path.name, dry_run=dry_run)
        except ImportRefused as refused:
            self.stderr.write(errors_as_text(refused.errors))
            raise CommandError(str(refused)) from None
        prefix = "Dry run, nothing saved: " if dry_run else f"Loaded (load {summary.load.pk}): "
        self.stdout.write(self.style.SUCCESS(prefix + str(summary)))
        for mismatch in summary.mismatches:
            self.stdout.write(
                f"  data-quality mismatch, row {mismatch.row}: {mismatch.code} {mismatch.period:%Y-%m} "
                f"({mismatch.breakdown}) the file gave {mismatch.supplied}, computed {mismatch.computed:.2f}"
            )
