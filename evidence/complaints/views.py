"""The log of complaints and compliments: the list with its summary and exports, typing an entry in,
changing one (with the reason), and loading the complaints system's export (Check only, then Load).

The list, its summary and its exports read the same filters from the same query string, so a file
holds exactly the rows the page counts. Rows come through the access rules (selectors.entries_listed).
"""

from functools import partial

import django_tables2 as tables
from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from audits.filters import FILTERS_INVALID
from quality import spreadsheets
from quality.access import Action, can, get_for, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.org.selectors import changes_to
from quality.pagination import filter_query, paginate_table
from quality.security import checked_uploads
from quality.security.access import record_export
from quality.security.checked_uploads import upload_page_context
from quality.security.models import CheckedUpload

from . import services
from .forms import EntryEditForm, EntryFilter, EntryForm, EntryUploadForm
from .imports import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, complaints_import
from .models import Entry, EntryLoad, Outcome, Theme
from .selectors import entries_listed, entry_with_its_people, export_rows, summary_of

DAY = "j M Y"
KIND = CheckedUpload.Kind.COMPLAINTS
RECENT_LOADS = 5
EXPORT_STEM = "complaints-and-compliments"
LEARNING_WORDS = 25


class EntryTable(tables.Table):
    caption = "Complaints and compliments, newest first"
    received_on = tables.TemplateColumn(
        '<a href="{{ record.get_absolute_url }}">{{ value|date:"j M Y" }}'
        '<span class="visually-hidden">: the {{ record.get_kind_display|lower }} in full</span></a>',
        order_by=("received_on",),
        verbose_name="Received",
    )
    source_reference = tables.Column(verbose_name="Reference", default="–")
    service_area = tables.Column(verbose_name="Service area", accessor="service_area__code")
    team = tables.Column(accessor="team__name", order_by=("team__name",), default="–")
    kind = tables.Column()
    theme = tables.Column()
    outcome = tables.Column()
    learning = tables.TemplateColumn(
        f"{{{{ value|truncatewords:{LEARNING_WORDS}|default:'–' }}}}", orderable=False, verbose_name="Learning"
    )
    change = tables.TemplateColumn(
        "<a href=\"{% url 'complaints:entry_edit' record.pk %}\">Change"
        '<span class="visually-hidden"> the {{ record.get_kind_display|lower }} received '
        '{{ record.received_on|date:"j M Y" }}</span></a>',
        orderable=False,
        verbose_name="Change",
    )

    class Meta:
        model = Entry
        fields = ("received_on", "source_reference", "service_area", "team", "kind", "theme", "outcome", "learning")
        template_name = "complaints/entry_table.html"  # adds the caption
        attrs = {"class": "table table-striped align-middle"}
        empty_text = "No complaints or compliments match."

    def __init__(self, *args, may_manage: bool = False, **kwargs):
        super().__init__(*args, exclude=() if may_manage else ("change",), **kwargs)


def _filtered(request) -> EntryFilter:
    return EntryFilter(request.GET, queryset=entries_listed(request.user), request=request)


def _with_query(url_name: str, query: str) -> str:
    url = reverse(url_name)
    return f"{url}?{query}" if query else url


@require(Action.VIEW_COMPLAINTS)
@require_safe
def entry_list(request):
    entries = _filtered(request)
    rows = entries.qs if entries.is_valid() else entries.qs.none()
    may_manage = can(request.user, Action.MANAGE_COMPLAINTS)
    table = EntryTable(rows, may_manage=may_manage)
    paginate_table(request, table)
    query = filter_query(request)
    context = {
        "filter": entries,
        "table": table,
        "summary": summary_of(rows),
        "csv_url": _with_query("complaints:entry_export_csv", query),
        "xlsx_url": _with_query("complaints:entry_export_xlsx", query),
        "may_manage": may_manage,
    }
    return render(request, "complaints/entry_list.html", context)


@require(Action.VIEW_COMPLAINTS)
@require_safe
def entry_export(request, file_format: str):
    entries = _filtered(request)
    if not entries.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    record_export(request, EXPORT_STEM, rows=entries.qs)
    rows = export_rows(entries.qs)
    if file_format == "xlsx":
        return spreadsheets.xlsx_response(rows, EXPORT_STEM, title="Complaints and compliments")
    return spreadsheets.csv_response(rows, EXPORT_STEM)


def _list_url(entry: Entry) -> str:
    return reverse("complaints:entry_list")


@require(Action.MANAGE_COMPLAINTS)
@require_http_methods(["GET", "POST"])
def entry_create(request):
    form = EntryForm(request.POST or None, initial={"outcome": Outcome.OPEN})
    if request.method == "POST" and form.is_valid():
        entry, again = create_once(
            request, form, services.entry_create, location=_list_url, actor=request.user, **form.cleaned_data
        )
        if again:
            return again
        if entry:
            messages.success(request, f"Recorded: {entry}.")
            return redirect("complaints:entry_list")
    return render(request, "complaints/entry_form.html", {"form": form, "entry": None})


@require(Action.VIEW_COMPLAINTS)
@require_safe
def entry_detail(request, pk: int):
    """One entry as the log holds it, read-only, for anyone who may read the log's rows of its area."""
    entry = get_for(request.user, Action.VIEW_COMPLAINTS, entry_with_its_people(), pk=pk)
    context = {
        "entry": entry,
        "may_manage": can(request.user, Action.MANAGE_COMPLAINTS, entry),
        "changes": changes_to(entry)[:20],
    }
    return render(request, "complaints/entry_detail.html", context)


@require(Action.MANAGE_COMPLAINTS)
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk: int):
    entry = get_for(request.user, Action.MANAGE_COMPLAINTS, Entry.objects.select_related("service_area", "team"), pk=pk)
    form = EntryEditForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        saved = call_service(form, services.entry_update, actor=request.user, entry=entry, **form.cleaned_data)
        if saved:
            messages.success(request, f"Saved: {saved}.")
            return redirect("complaints:entry_list")
    context = {"form": form, "entry": entry, "changes": changes_to(entry)[:20]}
    return render(request, "complaints/entry_form.html", context)


@require(Action.MANAGE_COMPLAINTS)
@require_http_methods(["GET", "POST"])
def entry_import(request):
    """Check or load the complaints system's export. A file that passed "Check only" is kept for this
    person, so "Load this file" loads it without choosing it again (quality/security/checked_uploads.py)."""
    form = EntryUploadForm(request.POST, request.FILES) if request.method == "POST" else EntryUploadForm()
    run_import = partial(complaints_import, actor=request.user)
    outcome = checked_uploads.check_or_load(request, form, kind=KIND, run_import=run_import)
    if outcome.loaded:
        messages.success(request, f"The complaints export was loaded. {outcome.summary}")
        return redirect("complaints:entry_list")
    context = {
        "form": form,
        **upload_page_context(form, outcome),
        "required_columns": REQUIRED_COLUMNS,
        "optional_columns": OPTIONAL_COLUMNS,
        "themes": Theme.values,
        "outcomes": Outcome.values,
        "recent_loads": EntryLoad.objects.select_related("loaded_by__person")[:RECENT_LOADS],
    }
    return render(request, "complaints/entry_import.html", context)
