"""The PDF and Word file of a published self-evaluation, made by a worker (quality/built_files.py).

Publishing (self_evaluation.sign_off) queues both; the content is the frozen one, so each is made once
and never goes out of date. A file that failed is asked for again from the page (`document_request`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quality import built_files
from quality.queue import enqueue_on_commit

from . import outputs
from .models import EvaluationDocument, SelfEvaluation

NOT_PUBLISHED = "The PDF and the Word file are made once the self-evaluation is signed off and published."


def latest(evaluation: SelfEvaluation, file_format: str) -> EvaluationDocument | None:
    return evaluation.documents.filter(format=file_format).first()


@transaction.atomic
def document_request(*, actor, evaluation: SelfEvaluation, file_format: str) -> EvaluationDocument:
    """The file being made or made already; a failed one asked for again (a queued row, its task queued)."""
    from .tasks import build_evaluation_document  # the tasks module imports this one

    if not evaluation.is_frozen:
        raise ValidationError(NOT_PUBLISHED)
    current = (
        EvaluationDocument.objects.select_for_update()
        .filter(evaluation=evaluation, format=file_format)
        .exclude(state=EvaluationDocument.State.FAILED)
        .first()
    )
    if current is not None:
        return current
    document = EvaluationDocument.objects.create(evaluation=evaluation, format=file_format)
    enqueue_on_commit(build_evaluation_document, document.pk)
    return document


@transaction.atomic
def document_generate(*, document_id: int, skip_locked: bool = False) -> EvaluationDocument | None:
    """Build a queued file under its row's lock (a task delivered twice builds it once); None if it is
    no longer queued."""
    document = built_files.lock_queued(EvaluationDocument.objects.all(), document_id, skip_locked=skip_locked)
    if document is None:
        return None
    evaluation = SelfEvaluation.objects.get(pk=document.evaluation_id)
    made_at = timezone.now()
    data = outputs.render(evaluation.frozen, document.format, made_at=made_at)
    built_files.store(document, download_name(evaluation, document.format), data, made_at=made_at)
    return document


def document_fail(*, document_id: int) -> None:
    built_files.fail(EvaluationDocument, document_id)


def download_name(evaluation: SelfEvaluation, file_format: str) -> str:
    return f"self-evaluation-{evaluation.year}.{file_format}"
