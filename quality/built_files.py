"""Files a worker builds from a queued row: an audit's PDF, the performance pack, a report's PDF or
workbook. One way for all of them (never a PDF inside a web request):

- the request adds a row in state "queued" and queues its task after the commit
  (quality.queue.enqueue_on_commit);
- the worker locks the queued row (`lock_queued`), builds the file and `store`s it: a task delivered
  twice, or the sweep at the same moment, finds the row no longer queued and builds nothing;
- a build that keeps failing is tried MAX_RETRIES more times, then the row is marked failed
  (`run_build`), and the page offers to try again;
- a periodic sweep (`sweep`) builds the rows still queued after settings.BUILD_STRANDED_AFTER_SECONDS
  (5 minutes): their task never reached a worker (Redis was down) or was lost with one.

Pages show a file's state with one block (templates/includes/built_file_status.html, its context from
`status_context`): a button to ask for it, progress while it is made (htmx polls the block), the
download, which static/js/downloads.js starts on the same page once the file is ready, or the failure.
Every download goes through `file_response`, after the view's access checks.

The models inherit the fields this needs from `BuiltFile`: state (queued / ready / failed), file,
sha256, generated_at and requested_at, with the rule the database holds that a ready row has its
file. The build tasks share one set of limits (BUILD_TASK_OPTIONS), and one periodic task
(`build_stranded_files`) sweeps every model an app has registered with `sweep_with`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Model, QuerySet
from django.dispatch import Signal
from django.http import FileResponse, Http404
from django.utils import timezone

logger = logging.getLogger(__name__)

QUEUED, READY, FAILED = "queued", "ready", "failed"
MAX_RETRIES = 3
RETRY_DELAY_SECONDS = 20
STRANDED_BATCH = 20  # a sweep's share: the next one takes the rest
# A 30-page PDF takes seconds; these limits only stop a build that has gone wrong.
SOFT_TIME_LIMIT_SECONDS = 4 * 60
TIME_LIMIT_SECONDS = 5 * 60
# Sent (sender: the model; pk) when a build is given up. The task that gives up returns normally, so
# Celery sees no failure: the metrics count these instead (quality/ops/metrics.py).
build_given_up = Signal()
# The options of every build task: `@shared_task(**BUILD_TASK_OPTIONS)`, its body `run_build`.
BUILD_TASK_OPTIONS = {
    "bind": True,
    "max_retries": MAX_RETRIES,
    "default_retry_delay": RETRY_DELAY_SECONDS,
    "soft_time_limit": SOFT_TIME_LIMIT_SECONDS,
    "time_limit": TIME_LIMIT_SECONDS,
}


class BuiltFile(models.Model):
    """A file a worker builds from this queued row. Each model declares its own `file` field, to name
    the folder its files go in (upload_to), and keeps the ordering and the constraint it inherits."""

    class State(models.TextChoices):
        QUEUED = QUEUED, "Being made"
        READY = READY, "Ready"
        FAILED = FAILED, "Failed"

    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file = models.FileField(blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)  # of the file: the page shows it, to check a copy

    class Meta:
        abstract = True
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # `store` writes the file and the time it was made as it marks the row ready: a ready row
            # without them would offer a download that is not there.
            models.CheckConstraint(
                condition=~models.Q(state=READY) | (~models.Q(file="") & models.Q(generated_at__isnull=False)),
                name="%(app_label)s_%(class)s_ready_has_file",
            ),
        ]


def status_context(
    built: BuiltFile | None,
    *,
    what: str,
    status_url: str,
    download_url: str,
    make_url: str,
    make_label: str = "",
    none_text: str = "",
    status_id: str = "built-file-status",
) -> dict:
    """What includes/built_file_status.html needs to show `built` (None: nothing asked for yet):
    `what` names the file in a sentence ("the PDF pack"); htmx polls `status_url` while it is made;
    `download_url` hands the ready file over; asking (again) is a POST to `make_url`, whose button says
    `make_label` when nothing was asked for yet (`none_text` says so)."""
    return {
        "built": built,
        "what": what,
        "status_url": status_url,
        "download_url": download_url,
        "make_url": make_url,
        "make_label": make_label,
        "none_text": none_text,
        "max_tries": MAX_RETRIES + 1,
        "status_id": status_id,
    }


def file_response(row: BuiltFile, *, filename: str, content_type: str) -> FileResponse:
    """The ready row's file as a download, streamed from the storage (a folder, or the bucket every
    machine shares) after the view's access checks. A file the storage no longer has (removed by hand,
    a bucket emptied or pointed elsewhere) is no download: the row is marked failed, so its page offers
    to make the file again, and the answer is a 404 instead of a server error."""
    try:
        opened = row.file.open("rb")
    except FileNotFoundError as missing:
        logger.error("%s %s: its file is missing from the storage", row._meta.verbose_name, row.pk)
        type(row).objects.filter(pk=row.pk, state=READY).update(state=FAILED)
        raise Http404("The file is no longer kept: ask for it again.") from missing
    return FileResponse(opened, as_attachment=True, filename=filename, content_type=content_type)


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
    if model.objects.filter(pk=pk, state=QUEUED).update(state=FAILED):
        build_given_up.send(sender=model, pk=pk)
    logger.error("%s %s failed", model._meta.verbose_name, pk)


def stranded(model: type[Model], *, older_than: timedelta | None = None) -> list[int]:
    """The rows still queued long after they were asked for (by default BUILD_STRANDED_AFTER_SECONDS),
    oldest first."""
    older_than = older_than or timedelta(seconds=settings.BUILD_STRANDED_AFTER_SECONDS)
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


# Filled by `sweep_with`: each built-file model and how the sweep builds one of its rows.
SWEPT: dict[type[Model], Callable[[int], object | None]] = {}


def sweep_with(model: type[BuiltFile], build: Callable[[int], object | None]) -> None:
    """Have `build_stranded_files` build the stranded rows of `model` with `build(pk)`, which skips a row
    a worker is building (`lock_queued(..., skip_locked=True)`). Each app's tasks module registers its
    model: the worker imports them all as it starts."""
    SWEPT[model] = build


@shared_task(soft_time_limit=SOFT_TIME_LIMIT_SECONDS * 2, time_limit=TIME_LIMIT_SECONDS * 2)
def build_stranded_files() -> int:
    """Every BUILD_SWEEP_EVERY_SECONDS (10 minutes, beat): build the files whose own task never ran
    (queued while Redis was down, or lost with a worker), of every model registered with `sweep_with`.
    How many were built."""
    return sum(sweep(model, build) for model, build in SWEPT.items())
