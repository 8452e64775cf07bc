"""python manage.py import_kpi_values FILE [--dry-run]

Loads a month's KPI values (council-wide figures and service-area / team breakdowns). A figure
loaded before is replaced and kept in the history. The columns and rules are in
docs/performance.md ("The values file"). A refused file prints every problem (row, column,
reason) on stderr, saves nothing and exits with status 1.
"""

from performance.loads import kpi_values_import
from quality.tabular import ImportCommand


class Command(ImportCommand):
    help = "Import KPI values (CSV or XLSX): one figure per indicator, month and breakdown."
    file_help = "The values as a .csv or .xlsx file."

    def run_import(self, *, content, file_name, dry_run, **options):
        return kpi_values_import(actor=None, content=content, file_name=file_name, dry_run=dry_run)

    def report(self, summary, *, dry_run):
        prefix = "Dry run, nothing saved: " if dry_run else f"Loaded (load {summary.load.pk}): "
        self.stdout.write(self.style.SUCCESS(prefix + str(summary)))
        for mismatch in summary.mismatches:
            self.stdout.write(
                f"  data-quality mismatch, row {mismatch.row}: {mismatch.code} {mismatch.period:%Y-%m} "
                f"({mismatch.breakdown}) the file gave {mismatch.supplied}, computed {mismatch.computed:.2f}"
            )
