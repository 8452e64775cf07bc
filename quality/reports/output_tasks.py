"""The Celery tasks that make a report's PDF and XLSX documents (quality/reports/documents.py).

Registered through quality/reports/tasks.py, which imports them (Celery autodiscovery imports only
`<app>.tasks`). They take ids, call a service, and are safe to run twice.
"""

from celery import shared_task

from quality import built_files

from . import documents
from .models import ReportDocument

MAX_RETRIES = built_files.MAX_RETRIES
RETRY_DELAY_SECONDS = built_files.RETRY_DELAY_SECONDS
# A 30-page PDF takes seconds; these limits only stop a build that has gone wrong.
SOFT_TIME_LIMIT_SECONDS = 4 * 60
TIME_LIMIT_SECONDS = 5 * 60


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    default_retry_delay=RETRY_DELAY_SECONDS,
    soft_time_limit=SOFT_TIME_LIMIT_SECONDS,
    time_limit=TIME_LIMIT_SECONDS,
)
def build_report_document(self, document_id: int) -> None:
    """Make one queued ReportDocument; try again up to MAX_RETRIES times, then mark it failed."""
    built_files.run_build(self, ReportDocument, document_id, lambda pk: documents.document_generate(document_id=pk))


@shared_task(soft_time_limit=SOFT_TIME_LIMIT_SECONDS * 2, time_limit=TIME_LIMIT_SECONDS * 2)
def build_stranded_report_documents() -> int:
    """Every 10 minutes (beat): build the documents whose own task never ran (queued while Redis was
    down, or lost with a worker). A document a worker is building at this moment is skipped, not built
    twice. Returns how many were built."""
    return built_files.sweep(ReportDocument, lambda pk: documents.document_generate(document_id=pk, skip_locked=True))
