"""python manage.py import_cases FILE [--dry-run]

Loads the council's case list ('Annex A'): updates the cases it names, creates the new ones and
closes the open cases it leaves out. The columns and rules are in docs/imports.md ("The case
list"). A refused file prints every problem (row, column, reason) on stderr, saves nothing and
exits with status 1.
"""

from audits.cycle.case_import import case_list_import
from quality.tabular import ImportCommand


class Command(ImportCommand):
    help = "Import the case list (CSV or XLSX): update known cases, add new ones, close the ones it leaves out."
    file_help = "The case list as a .csv or .xlsx file."

    def run_import(self, *, content, file_name, dry_run, **options):
        return case_list_import(actor=None, content=content, file_name=file_name, dry_run=dry_run)
