"""Files a worker builds from a queued row: an audit's PDF, the performance pack, a report's PDF or
workbook. One way for all of them (never a PDF inside a web request):

- the request adds a row in state "queued" and queues its task after the commit
  (quality.queue.enqueue_on_commit);
- the worker locks the queued row (`lock_queued`), builds the file and `store`s it: a task delivered
  twice, or the sweep at the same moment, finds the row no longer queued and builds nothing;
- a build that keeps failing is tried MAX_RETRIES more times, then the row is marked failed
  (`run_build`), and the page offers to try again;
- a periodic sweep (`sweep`) builds the rows still queued after STRANDED_AFTER: their task never
  reached a worker (Redis was down) or was lost with one.

The models share the fields this needs: state (queued / ready / failed), file, sha256,
generated_at and requested_at.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db.models import Model, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)

QUEUED, READY, FAILED = "queued", "ready", "failed"
MAX_RETRIES = 3
RETRY_DELAY_SECONDS = 20
STRANDED_AFTER = timedelta(minutes=5)
STRANDED_BATCH = 20  # a sweep's share: the next one takes the rest


def lock_queued(rows: QuerySet, pk: int, *, skip_locked: bool = False) -> Model | None:
    """The row `pk` if it is still queued, locked until the transaction ends; None otherwise.
    With `skip_locked` (the sweep), a row a worker is building right now is skipped, not waited for."""
    return rows.select_for_update(of=("self",), skip_locked=skip_locked).filter(pk=pk, state=QUEUED).first()


def store(row: Model, name: str, data: bytes, *, made_at: datetime) -> None:
    """Save the built file on the locked row and mark it ready, with the file's SHA-256 to check a copy."""
    row.file.save(name, ContentFile(data), save=False)
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.state, row.generated_at = READY, made_at
    row.save(update_fields=["file", "sha256", "state", "generated_at"])
    logger.info("%s %s built: %s bytes", row._meta.verbose_name, row.pk, len(data))


def fail(model: type[Model], pk: int) -> None:
    """Give up on a row the worker could not build (a row no longer queued is left as it is)."""
    model.objects.filter(pk=pk, state=QUEUED).update(state=FAILED)
    logger.error("%s %s failed", model._meta.verbose_name, pk)


def stranded(model: type[Model], *, older_than: timedelta = STRANDED_AFTER) -> list[int]:
    """The rows still queued long after they were asked for, oldest first."""
    queued = model.objects.filter(state=QUEUED, requested_at__lt=timezone.now() - older_than)
    return list(queued.order_by("requested_at").values_list("pk", flat=True)[:STRANDED_BATCH])


def run_build(task, model: type[Model], pk: int, build: Callable[[int], object]) -> None:
    """The body of a bound build task (`bind=True, max_retries=MAX_RETRIES`): build, retry, give up."""
    label = model._meta.verbose_name
    try:
        build(pk)
    except Exception as error:
        if task.request.retries >= task.max_retries:
            logger.exception("%s %s: giving up after %s tries", label, pk, task.request.retries + 1)
            fail(model, pk)
            return
        logger.warning("%s %s: try %s failed, trying again", label, pk, task.request.retries + 1)
        raise task.retry(exc=error) from error


def sweep(model: type[Model], build: Callable[[int], object | None]) -> int:
    """Build the stranded rows of `model` (each under its own lock); how many were built."""
    built = 0
    for pk in stranded(model):
        try:
            built += build(pk) is not None
        except Exception:
            logger.exception("%s %s: the sweep could not build it", model._meta.verbose_name, pk)
            fail(model, pk)
    return built
