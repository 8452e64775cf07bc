"""python manage.py import_audits FILE [--create-service-areas] [--dry-run]

Brings the council's earlier audits (the QA spreadsheet) in as closed audit records, with their
moderation decisions (moderation/history_import.py). The file's columns and rules are in
docs/imports.md ("The audit history"). A refused file prints every problem (row, column, reason),
saves nothing and exits with status 1.
"""

from moderation.history_import import audit_history_import
from quality.tabular import ImportCommand


class Command(ImportCommand):
    help = "Import the audit history (CSV or XLSX) as closed audits; re-importing a reference updates it."
    file_help = "The audit history as a .csv or .xlsx file."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--create-service-areas",
            action="store_true",
            help="Create the service areas the file names that the portal does not know, instead of refusing.",
        )

    def run_import(self, *, content, file_name, dry_run, create_service_areas=False, **options):
        return audit_history_import(
            actor=None,
            content=content,
            file_name=file_name,
            create_service_areas=create_service_areas,
            dry_run=dry_run,
        )

    def report(self, result, *, dry_run):
        self.stdout.write(self.style.SUCCESS(result.summary()))
