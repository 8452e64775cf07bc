"""The Celery task that makes a published self-evaluation's PDF or Word file (documents.py)."""

from celery import shared_task

from quality import built_files

from . import documents
from .models import EvaluationDocument


@shared_task(**built_files.BUILD_TASK_OPTIONS)
def build_evaluation_document(self, document_id: int) -> None:
    """Make one queued EvaluationDocument; try again up to MAX_RETRIES times, then mark it failed."""
    built_files.run_build(self, EvaluationDocument, document_id, lambda pk: documents.document_generate(document_id=pk))


built_files.sweep_with(EvaluationDocument, lambda pk: documents.document_generate(document_id=pk, skip_locked=True))
