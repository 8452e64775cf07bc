"""The Celery tasks that make a report's PDF and XLSX documents (quality/reports/documents.py).

Registered through quality/reports/tasks.py, which imports them (Celery autodiscovery imports only
`<app>.tasks`). They take ids, call a service, and are safe to run twice.
"""

import logging

from celery import shared_task

from . import documents

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
RETRY_DELAY_SECONDS = 20
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
    try:
        documents.document_generate(document_id=document_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            logger.exception("report document %s: giving up after %s tries", document_id, self.request.retries + 1)
            documents.document_fail(document_id=document_id)
            return
        logger.warning("report document %s: try %s failed, trying again", document_id, self.request.retries + 1)
        raise self.retry(exc=error) from error


@shared_task(soft_time_limit=SOFT_TIME_LIMIT_SECONDS * 2, time_limit=TIME_LIMIT_SECONDS * 2)
def build_stranded_report_documents() -> int:
    """Every 10 minutes (beat): build the documents whose own task never ran (queued while Redis was
    down, or lost with a worker). A document a worker is building at this moment is skipped, not built
    twice. Returns how many were built."""
    built = 0
    for document_id in documents.documents_stranded():
        try:
            built += documents.document_generate(document_id=document_id, skip_locked=True) is not None
        except Exception:
            logger.exception("report document %s: the sweep could not build it", document_id)
            documents.document_fail(document_id=document_id)
    return built
