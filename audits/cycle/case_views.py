"""The case list ('Annex A') pages: the list of cases, and the upload that loads a new list.

Cases are shown by reference only, never by a child's name. The upload page works as a plain
form; static/js/case-upload.js adds a progress bar by sending the same form with XMLHttpRequest
(marked with htmx's HX-Request header) and swapping in the page the server answers with.
"""

from functools import partial

import django_tables2 as tables
from django.contrib import messages
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect

from quality.access import Action, can, require, visible
from quality.pagination import paginate_table
from quality.security import checked_uploads
from quality.security.checked_uploads import upload_page_context
from quality.security.models import CheckedUpload

from ..models import Audit, Case, CaseImport, completion_day
from .case_forms import CaseFilter, CaseUploadForm
from .case_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, case_list_import

RECENT_IMPORTS = 5
KIND = CheckedUpload.Kind.CASE_LIST
DAY = "j M Y"


def cases_listed(user) -> QuerySet[Case]:
    """The cases this person may see, with the day each was last audited (one query for the page)."""
    last_audited = (
        Audit.objects.exclude(state=Audit.State.DRAFT)
        .filter(Q(case=OuterRef("pk")) | Q(case_reference=OuterRef("child_ref")))
        .annotate(day=completion_day())
        .order_by("-day")
        .values("day")[:1]
    )
    return visible(user, Case.objects.select_related("service_area", "team", "worker")).annotate(
        last_audited=Subquery(last_audited)
    )


class CaseTable(tables.Table):
    caption = "Cases by reference, with the day each was last audited"
    # A case is named by its reference only, never by the child's name.
    child_ref = tables.Column(verbose_name="Case")
    service_area = tables.Column(verbose_name="Service area", accessor="service_area__code")
    team = tables.Column(order_by=("team__name",))
    worker = tables.Column(order_by=("worker__full_name",))
    legal_status = tables.Column(verbose_name="Legal status")
    open_since = tables.DateColumn(format=DAY, verbose_name="Open since")
    is_open = tables.BooleanColumn(verbose_name="Open or closed", yesno="Open,Closed")
    last_audited = tables.DateColumn(format=DAY, verbose_name="Last audited", default="Never")

    class Meta:
        model = Case
        fields = ("child_ref", "service_area", "team", "worker", "legal_status", "open_since", "is_open")
        sequence = (*fields, "last_audited")
        template_name = "audits/cases/case_table.html"  # adds the caption
        attrs = {"class": "table table-striped align-middle"}
        empty_text = "No cases match."


@require(Action.VIEW_CASES)
@require_safe
def case_list(request):
    cases = CaseFilter(request.GET, queryset=cases_listed(request.user), request=request)
    table = CaseTable(cases.qs if cases.is_valid() else cases.qs.none())
    paginate_table(request, table)
    context = {
        "filter": cases,
        "table": table,
        "last_import": CaseImport.objects.only("imported_at").first(),
        "may_import": can(request.user, Action.IMPORT_CASES),
    }
    return render(request, "audits/cases/case_list.html", context)


@require(Action.IMPORT_CASES)
@require_http_methods(["GET", "POST"])
def case_import(request):
    """Check or import a case list. A file that passed "Check only" is kept for this person, so that
    "Load this file" imports it without choosing it again (quality/security/checked_uploads.py)."""
    form = CaseUploadForm(request.POST, request.FILES) if request.method == "POST" else CaseUploadForm()
    run_import = partial(case_list_import, actor=request.user)
    outcome = checked_uploads.check_or_load(request, form, kind=KIND, run_import=run_import)
    if outcome.loaded:
        messages.success(request, f"The case list was imported. {outcome.summary}")
        url = reverse("cases:case_list")
        # The script's request cannot follow a redirect to a whole page: it is told where to go.
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {
        "form": form,
        **upload_page_context(form, outcome),
        "required_columns": REQUIRED_COLUMNS,
        "optional_columns": OPTIONAL_COLUMNS,
        "recent_imports": CaseImport.objects.select_related("imported_by__person")[:RECENT_IMPORTS],
    }
    return render(request, "audits/cases/case_import.html", context)
