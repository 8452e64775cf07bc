"""The PDF and XLSX documents of a report: asked for in a request, made by a worker, kept while current.

A document is made for the content its requester may see (quality/reports/outputs.py
`report_content`: a service lead's copy has only their areas' sections) and named after that
content's fingerprint (`report-<id>-<fingerprint>.pdf`), so a request finds a document already made
for the same content whoever asked for it, and knows a draft's document is out of date once the
draft's figures, narrative or picks change. A published report's content never changes, so each of
its documents is made once. The fingerprint lives in the file name because ReportDocument has no
field for it (the models of this issue are fixed); it is the only thing read from the name.

Requests only add a queued row and queue the build once the row is committed (never render in a
web request); the worker builds it under a row lock, so a task delivered twice builds it once; a
document whose task never reached a worker (Redis down) is built by the periodic sweep.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quality import built_files
from quality.queue import enqueue_on_commit

from . import outputs
from .models import Report, ReportDocument

logger = logging.getLogger(__name__)

FINGERPRINT_CHARS = 32  # of the SHA-256 hex digest in the file name: plenty to tell versions apart
DOWNLOADABLE = (Report.State.DRAFT, Report.State.PUBLISHED, Report.State.SUPERSEDED)
NOTHING_TO_BUILD = "This report has no figures yet: it can be downloaded once it has been generated."


def content_for(report: Report, user) -> dict:
    """What a document of `report` made for `user` shows (None: the whole report, every area)."""
    return outputs.report_content(report, user=user)


def content_marker(content: dict) -> str:
    return outputs.fingerprint(content)[:FINGERPRINT_CHARS]


def _file_name(report: Report, file_format: str, marker: str) -> str:
    return f"report-{report.pk}-{marker}.{file_format}"


def current_document(report: Report, file_format: str, *, user) -> ReportDocument | None:
    """A ready document of the report as `user` may see it now, if one has been made."""
    marker = content_marker(content_for(report, user))
    return (
        ReportDocument.objects.filter(
            report=report, format=file_format, state=ReportDocument.State.READY, file__contains=f"-{marker}"
        )
        .order_by("-generated_at", "-pk")
        .first()
    )


def ready_formats(report: Report, *, user) -> set[str]:
    """The formats with a ready document of the report as `user` may see it now: the report's page
    links those straight to their download, and asks for the others on the page."""
    if report.figures is None or report.state not in DOWNLOADABLE:
        return set()
    ready = ReportDocument.objects.filter(report=report, state=ReportDocument.State.READY)
    made = list(ready.values_list("format", "file"))
    if not made:
        return set()  # nothing made yet: the person's copy's content need not be worked out to match one
    marker = f"-{content_marker(content_for(report, user))}"  # as current_document matches it
    return {file_format for file_format, name in made if marker in name}


def latest_request(report: Report, file_format: str, *, user) -> ReportDocument | None:
    """The person's latest document of the report in that format that is not ready: still being made, or failed."""
    latest = ReportDocument.objects.filter(report=report, format=file_format, requested_by=user).first()
    return latest if latest is not None and latest.state != ReportDocument.State.READY else None


@transaction.atomic
def document_request(*, actor, report: Report, file_format: str) -> ReportDocument:
    """Add a queued document and queue its build once the row is committed (the worker must see it).
    A document of this report and format the person is already waiting for is returned instead."""
    from .output_tasks import build_report_document  # the task module imports this one

    if report.figures is None or report.state not in DOWNLOADABLE:
        raise ValidationError(NOTHING_TO_BUILD)
    waiting = (
        ReportDocument.objects.select_for_update()
        .filter(report=report, format=file_format, requested_by=actor, state=ReportDocument.State.QUEUED)
        .first()
    )
    if waiting is not None:
        return waiting
    document = ReportDocument.objects.create(report=report, format=file_format, requested_by=actor)
    enqueue_on_commit(build_report_document, document.pk)
    return document


@transaction.atomic
def document_generate(*, document_id: int, skip_locked: bool = False) -> ReportDocument | None:
    """Build a queued document. The row stays locked while it is built, so a task delivered twice
    builds it once; a document no longer queued (or gone) is left alone and None returned. With
    `skip_locked` (the sweep), a document a worker is building right now is skipped, not waited for."""
    rows = ReportDocument.objects.select_related("requested_by")
    document = built_files.lock_queued(rows, document_id, skip_locked=skip_locked)
    if document is None:
        return None
    report = Report.objects.select_related("published_by", "supersedes").get(pk=document.report_id)
    if report.figures is None or report.state not in DOWNLOADABLE:
        # Generated again since it was asked for: the page offers a new one once the draft is back.
        document.state = ReportDocument.State.FAILED
        document.save(update_fields=["state"])
        logger.warning("report document %s: report %s has nothing to build from", document.pk, report.pk)
        return None
    content = content_for(report, document.requested_by)
    made_at = timezone.now()
    data = outputs.render(content, document.format, made_at=made_at)
    marker = content_marker(content)
    built_files.store(document, _file_name(report, document.format, marker), data, made_at=made_at)
    if not report.is_frozen:
        _remove_outdated(document, marker)
    return document


def _remove_outdated(document: ReportDocument, marker: str) -> None:
    """A draft's earlier documents for the same person, made from content that has changed since:
    nobody will be given them again, so their files go (a draft can be downloaded many times)."""
    outdated = ReportDocument.objects.filter(
        report_id=document.report_id,
        format=document.format,
        requested_by=document.requested_by,
        state=ReportDocument.State.READY,
    ).exclude(file__contains=f"-{marker}")
    for old in outdated:
        old.file.delete(save=False)
        old.delete()


def documents_stranded() -> list[int]:
    return built_files.stranded(ReportDocument)


def document_fail(*, document_id: int) -> None:
    """Give up on a document the worker could not build; its page then offers to try again."""
    built_files.fail(ReportDocument, document_id)


def download_name(report: Report, file_format: str) -> str:
    """The file's name for the person downloading it: the kind and period, never a name or a case."""
    stem = f"{report.kind}-audit-analysis-{report.period}{'-year-to-date' if report.year_to_date else ''}"
    if not report.is_frozen:
        stem += "-draft"
    return f"{stem}.{file_format}"
