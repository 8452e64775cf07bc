"""python manage.py import_complaints FILE [--dry-run]

Loads the council's complaints system export into the log of complaints and compliments. A row whose
reference the log already holds is left as it is. The columns and rules are in docs/imports.md
("Complaints and compliments"). A refused file prints every problem (row, column, reason) on stderr,
saves nothing and exits with status 1.
"""

from evidence.complaints.imports import complaints_import
from quality.tabular import ImportCommand


class Command(ImportCommand):
    help = "Import the complaints system export (CSV or XLSX): one complaint or compliment per row."
    file_help = "The export as a .csv or .xlsx file."

    def run_import(self, *, content, file_name, dry_run, **options):
        return complaints_import(actor=None, content=content, file_name=file_name, dry_run=dry_run)
