"""The Celery tasks that make a report's PDF and XLSX documents (quality/reports/documents.py).

Registered through quality/reports/tasks.py, which imports them (Celery autodiscovery imports only
`<app>.tasks`). They take ids, call a service, and are safe to run twice.
"""

from celery import shared_task

from quality import built_files

from . import documents
from .models import ReportDocument

MAX_RETRIES = built_files.MAX_RETRIES  # the download page says how many tries there are


@shared_task(**built_files.BUILD_TASK_OPTIONS)
def build_report_document(self, document_id: int) -> None:
    """Make one queued ReportDocument; try again up to MAX_RETRIES times, then mark it failed."""
    built_files.run_build(self, ReportDocument, document_id, lambda pk: documents.document_generate(document_id=pk))


built_files.sweep_with(ReportDocument, lambda pk: documents.document_generate(document_id=pk, skip_locked=True))
