"""Downloads of a report: the PDF and the Excel workbook (made by a worker) and the JSON (served at once).

Who may download: whoever may open the report (selectors.reports_for): every reader of reports for a
published or superseded report, only those who manage reports for a draft; a draft is a 404 for
anyone else, as on its page. Each file is the report as that person may see it: a service lead's
copy has only their own areas' sections (outputs.report_content).

PDF and XLSX: a GET hands over the document already made for the report as it stands (a published
report's never changes; a draft's is remade once its figures, narrative or picks change), so the
report page links a ready file straight to its download (`download_links`). A GET changes nothing.
A file not made yet is asked for by a POST with its CSRF token (a queued row and a task once it
commits: making it in the request could take seconds): from the report page by htmx, whose answer is
the file's status block (includes/built_file_status.html), which polls until the file is ready and
then starts its download on that page; without htmx the POST sends the person to the GET, whose page
shows the same block. Asking is a no-op while the person's
previous request is still queued, so a second press never piles up work. Files are streamed
through this view after the access check, never from a public media address.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from quality import built_files
from quality.access import Action, get_for, require
from quality.security.access import Kind as AccessKind
from quality.security.access import record_access

from . import documents, outputs, selectors
from .models import Report, ReportDocument

NOT_READY = "{title} cannot be downloaded yet: it is still being generated (or generating it failed)."
FORMAT_NAMES = {"pdf": "PDF", "xlsx": "Excel workbook"}  # the files a worker makes
MAKE_LABELS = {"pdf": "Make the PDF", "xlsx": "Make the workbook"}


def _report(request, pk: int) -> Report:
    """The report if the person may open it (404 otherwise: outside their reports, or no such report)."""
    queryset = selectors.reports_for(request.user).select_related("published_by", "supersedes")
    return get_for(request.user, Action.VIEW_REPORTS, queryset, pk=pk)


def _not_ready(request, report: Report):
    messages.info(request, NOT_READY.format(title=selectors.report_title(report)))
    return redirect(report)


def _downloadable(report: Report) -> bool:
    return report.figures is not None and report.state in documents.DOWNLOADABLE


@require(Action.VIEW_REPORTS)
@require_safe
@never_cache
def report_json(request, pk):
    """The figures (and for a saved report its narrative, highlights and improvement points) as JSON."""
    report = _report(request, pk)
    if not _downloadable(report):
        return _not_ready(request, report)
    content = documents.content_for(report, request.user)
    record_access(request, AccessKind.REPORT_DOWNLOADED, report)
    response = HttpResponse(outputs.json_text(content), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{documents.download_name(report, "json")}"'
    return response


def download_links(report: Report, user) -> list[dict]:
    """The report page's download buttons. A file that is ready (the JSON always is) is a plain link
    that hands it over; the PDF or workbook not made yet is a button that asks for it and shows its
    progress on the page (`target`, the id of the block it shows in), then downloads it."""
    if not _downloadable(report):
        return []
    ready = documents.ready_formats(report, user=user)
    links = [
        {
            "label": f"Download {FORMAT_NAMES[file_format]}",
            "url": reverse(f"reports:report_{file_format}", args=[report.pk]),
            "ready": file_format in ready,
            "target": _status_id(file_format),
        }
        for file_format in FORMAT_NAMES
    ]
    return [*links, {"label": "Download JSON", "url": reverse("reports:report_json", args=[report.pk]), "ready": True}]


def _status_id(file_format: str) -> str:
    return f"report-{file_format}-status"


def _status(request, report: Report, document: ReportDocument | None, file_format: str) -> dict:
    return {
        "report": report,
        **built_files.status_context(
            document,
            what=f"the {FORMAT_NAMES[file_format]}",
            status_url=request.path,
            download_url=request.path,
            make_url=request.path,
            make_label=MAKE_LABELS[file_format],
            none_text=f"There is no {FORMAT_NAMES[file_format]} of the report as it stands yet.",
            status_id=_status_id(file_format),
        ),
    }


def _document_view(request, pk: int, file_format: str):
    """GET: the file if it is ready (as an attachment), else its progress (htmx: the status block
    alone). POST: ask for it; htmx gets the status block, which then polls in place."""
    report = _report(request, pk)
    if not _downloadable(report):
        if request.htmx:
            return render(request, "reports/includes/download_status.html", {"report": report, "unavailable": True})
        return _not_ready(request, report)
    if request.method == "POST":
        document = documents.document_request(actor=request.user, report=report, file_format=file_format)
        if request.htmx:
            return render(request, "includes/built_file_status.html", _status(request, report, document, file_format))
        return redirect(request.path)
    document = documents.current_document(report, file_format, user=request.user)
    if document is not None and not request.htmx:
        response = built_files.file_response(
            document,
            filename=documents.download_name(report, file_format),
            content_type=outputs.CONTENT_TYPES[file_format],
        )
        record_access(request, AccessKind.REPORT_DOWNLOADED, report)
        return response
    if document is None:
        document = documents.latest_request(report, file_format, user=request.user)  # queued or failed
    context = {
        "title": selectors.report_title(report),
        "format_name": FORMAT_NAMES[file_format],
        **_status(request, report, document, file_format),
    }
    template = "includes/built_file_status.html" if request.htmx else "reports/report_download.html"
    return render(request, template, context)


@require(Action.VIEW_REPORTS)
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def report_pdf(request, pk):
    return _document_view(request, pk, ReportDocument.Format.PDF)


@require(Action.VIEW_REPORTS)
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def report_xlsx(request, pk):
    return _document_view(request, pk, ReportDocument.Format.XLSX)
