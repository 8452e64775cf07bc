import logging

from celery import shared_task

from . import documents

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
RETRY_DELAY_SECONDS = 20


@shared_task(bind=True, max_retries=MAX_RETRIES, default_retry_delay=RETRY_DELAY_SECONDS)
def audit_document_build(self, document_id: int) -> None:
    """Make the PDF of one queued AuditDocument; try again up to MAX_RETRIES times, then mark it failed."""
    try:
        documents.document_generate(document_id=document_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            logger.exception("audit document %s: giving up after %s tries", document_id, self.request.retries + 1)
            documents.document_fail(document_id=document_id)
            return
        logger.warning("audit document %s: try %s failed, trying again", document_id, self.request.retries + 1)
        raise self.retry(exc=error) from error


@shared_task
def build_stranded_documents() -> int:
    """Build the PDFs whose own task never ran (queued while Redis was down); each is locked while built,
    so a document its own task is building at the same moment is built once."""
    built = 0
    for document_id in documents.documents_stranded():
        try:
            built += documents.document_generate(document_id=document_id) is not None
        except Exception:
            logger.exception("audit document %s: the sweep could not build it", document_id)
            documents.document_fail(document_id=document_id)
    return built


@shared_task
def purge_old_audit_documents() -> int:
    removed = documents.documents_purge()
    logger.info("purged %s old audit documents", removed)
    return removed


# -- allocation tasks --


# -- deadline, reminder and escalation tasks --
