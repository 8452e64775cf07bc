"""The printable record of one audit, and its PDF for the child's record.

The printable page and the PDF show the same thing, from one template and one context. The
PDF is made by WeasyPrint in a Celery worker (audits/tasks.py), never in a web request: a
request only adds an AuditDocument row and queues the build once the row is committed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from quality import built_files
from quality.access import GRADES_HIDDEN
from quality.pdf import html_to_pdf
from quality.queue import enqueue_on_commit

from . import selectors
from .models import Audit, AuditDocument, Dispute

logger = logging.getLogger(__name__)

PRINT_STYLESHEET = "css/audit-print.css"
DOCUMENT_RETENTION = timedelta(days=30)  # long enough to add the PDF to the child's record
# What the record shows beside the audit, loaded with it in the worker (as audit_for_page does for a page).
AUDIT_RELATED = ("service_area", "team", "case_holder", "auditor", "tool_version__tool", "oversight_by", "on_record_by")

AUDITOR_GRADE = "The auditor's grade."
AREA_GRADES_SOURCE = "Area grades are the auditor's: a dispute changes only the overall grade."


def overall_grade_source(disputes) -> str:
    """Whose overall grade is shown: the auditor's, or the one a resolved dispute changed it to."""
    changed = [
        d
        for d in disputes
        if d.resolved_at and d.outcome == Dispute.Outcome.CHANGED and d.original_grade != d.resolved_grade
    ]
    if not changed:
        return AUDITOR_GRADE
    latest = max(changed, key=lambda d: d.resolved_at)
    return (
        f"As changed from {latest.get_original_grade_display()} to {latest.get_resolved_grade_display()} "
        f"when {latest.resolved_by.full_name} resolved a dispute on "
        f"{dateformat.format(timezone.localtime(latest.resolved_at), 'j M Y')}."
    )


def _history_rows(audit: Audit) -> list[dict]:
    """The audit's events with names people read ("Planning", "Good") instead of stored codes."""
    return [
        {
            "at": event.at,
            "who": event.actor.person.full_name if event.actor and hasattr(event.actor, "person") else "System",
            "what": event.what_label,
            "old": event.old_label,
            "new": event.new_label,
            "reason": event.reason,
            "about_grades": event.about_grades,
        }
        for event in selectors.audit_history(audit)
    ]


def print_context(audit: Audit, *, made_by, made_at, for_pdf: bool, grades_hidden: bool = False) -> dict:
    """Everything the printable page and the PDF show about one audit (loaded by audit_for_page).

    With `grades_hidden` (blind moderation, quality.access.grades_hidden_from) no grade is shown:
    not the overall or area grades, the grade answers, the disputes' grades nor the grade changes."""
    disputes = list(audit.disputes.select_related("raised_by", "resolved_by"))
    sections = selectors.answered_sections(audit)
    history = [
        {**row, "old": GRADES_HIDDEN, "new": GRADES_HIDDEN, "reason": ""}
        if grades_hidden and row["about_grades"]
        else row
        for row in _history_rows(audit)
    ]
    if grades_hidden:
        sections = selectors.sections_with_grades_hidden(sections, GRADES_HIDDEN)
    return {
        "audit": audit,
        "area_name": audit.service_area.name_on(audit.created_at),
        "sections": sections,
        "area_grades": [] if grades_hidden else audit.area_grades.all(),
        "grades_hidden": grades_hidden,
        "grades_hidden_text": GRADES_HIDDEN,
        "overall_grade_source": overall_grade_source(disputes),
        "area_grades_source": AREA_GRADES_SOURCE,
        "actions": audit.actions.select_related("owner"),
        "disputes": disputes,
        "history": history,
        "made_by": made_by,
        "made_at": made_at,
        "for_pdf": for_pdf,
    }


def render_pdf(html: str) -> bytes:
    """HTML to a tagged PDF with the print stylesheet (quality/pdf.py)."""
    return html_to_pdf(html, stylesheet=PRINT_STYLESHEET)


def audit_pdf(audit: Audit, *, made_by, made_at) -> bytes:
    html = render_to_string(
        "audits/audit_print.html", print_context(audit, made_by=made_by, made_at=made_at, for_pdf=True)
    )
    return render_pdf(html)


# Services: ask for a document (in the request), make it (in the worker), give up on it.


@transaction.atomic
def document_request(*, actor, audit: Audit) -> AuditDocument:
    """Add a queued document and queue its build once the row is committed (the worker must see it)."""
    from .tasks import audit_document_build  # the task module imports this one

    document = AuditDocument.objects.create(audit=audit, requested_by=actor)
    enqueue_on_commit(audit_document_build, document.pk)
    return document


@transaction.atomic
def document_generate(*, document_id: int, skip_locked: bool = False) -> AuditDocument | None:
    """Build the PDF of a queued document (quality/built_files.py: once, under the row's lock; with
    `skip_locked`, the sweep's, not if a worker is building it now)."""
    rows = AuditDocument.objects.select_related("requested_by__person")
    document = built_files.lock_queued(rows, document_id, skip_locked=skip_locked)
    if document is None:
        return None
    audit = Audit.objects.select_related(*AUDIT_RELATED).get(pk=document.audit_id)
    made_at = timezone.now()
    pdf = audit_pdf(audit, made_by=document.requested_by, made_at=made_at)
    built_files.store(document, f"audit-{audit.pk}-{document.pk}.pdf", pdf, made_at=made_at)
    return document


def documents_stranded() -> list[int]:
    return built_files.stranded(AuditDocument)


def document_fail(*, document_id: int) -> None:
    """Give up on a document the worker could not build; the page then offers to try again."""
    built_files.fail(AuditDocument, document_id)


def documents_purge(*, older_than: timedelta = DOCUMENT_RETENTION) -> int:
    """Delete PDFs (and their rows) requested more than `older_than` ago.

    A PDF is a copy made for the child's record; the audit itself stays, and a new PDF can be
    made at any time. Keeping copies about children longer than needed is a data-protection risk.
    """
    expired = AuditDocument.objects.filter(requested_at__lt=timezone.now() - older_than)
    removed = 0
    for document in expired.iterator():
        if document.file:
            document.file.delete(save=False)
        document.delete()
        removed += 1
    return removed
