"""Lists of audits (mine, my areas', all) and the voices of children and families, with exports.

Each list and its exports read the same filters from the same query string, so a file holds
exactly the rows the page shows. Rows come from audits.selectors, through the access rules.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from quality import spreadsheets
from quality.access import Action, can, grant_for, require
from quality.org.models import Role
from quality.pagination import filter_query, paginate_table
from quality.security.access import record_export

from . import exports
from .filters import FILTERS_INVALID, AuditFilter, VoicesFilter
from .selectors import AuditScope, audits_listed, voices_for, with_area_names
from .tables import AUDIT_ROW_FIELDS, AuditTable, VoicesTable

SCOPE_ACTIONS = {
    AuditScope.MINE: Action.VIEW_AUDITS,
    AuditScope.AREA: Action.VIEW_AUDITS,
    AuditScope.ALL: Action.VIEW_ALL_AUDITS,
}
SCOPE_TITLES = {AuditScope.MINE: "My audits", AuditScope.AREA: "My area's audits", AuditScope.ALL: "All audits"}
OWN_AUDITS_TITLE = "Your audits"
NO_OWN_AUDITS = (
    "You have no audits yet. When the QA unit allocates you a partnership audit, or invites you to work on "
    "one, it is listed here."
)


def audit_table(audits) -> AuditTable:
    """The lists' table, its page's rows written by AuditTable.page_rows (audits/audit_table.html): rendering
    each cell through django-tables2 cost several times the page's queries."""
    return AuditTable(audits, template_name="audits/audit_table.html")


def _page_rows(audits):
    """A list page's rows (quality.pagination's `rows_for_page`): with the area's name as it was, and only
    the fields the table shows (an audit has dozens, their reading cost more than the query)."""
    return with_area_names(audits).only(*AUDIT_ROW_FIELDS)


def _filtered_audits(request, scope: AuditScope) -> AuditFilter:
    if not can(request.user, SCOPE_ACTIONS[scope]):
        raise PermissionDenied
    return AuditFilter(request.GET, queryset=audits_listed(request.user, scope), request=request)


def _with_query(url_name: str, query: str) -> str:
    url = reverse(url_name)
    return f"{url}?{query}" if query else url


def works_only_on_own_audits(user) -> bool:
    """A partner agency's auditor (and nothing else) sees only the audits they work on: their list is
    those, without the tabs, filters and exports the council's staff use to find audits among many."""
    return grant_for(user).roles == frozenset({Role.PARTNER_AUDITOR})


def _own_audit_list(request):
    table = audit_table(audits_listed(request.user, AuditScope.MINE))
    paginate_table(request, table, rows_for_page=_page_rows)
    return render(
        request, "audits/audit_list_own.html", {"table": table, "title": OWN_AUDITS_TITLE, "none_yet": NO_OWN_AUDITS}
    )


@require(Action.VIEW_AUDITS)
@require_safe
def audit_list(request, scope):
    scope = AuditScope(scope)
    if works_only_on_own_audits(request.user) and can(request.user, SCOPE_ACTIONS[scope]):
        return _own_audit_list(request)  # whichever list the link named: theirs is the only one
    audits = _filtered_audits(request, scope)
    table = audit_table(audits.qs if audits.is_valid() else audits.qs.none())
    paginate_table(request, table, rows_for_page=_page_rows)
    query = filter_query(request)
    context = {
        "filter": audits,
        "table": table,
        "title": SCOPE_TITLES[scope],
        "tabs": [
            (SCOPE_TITLES[tab], _with_query(f"audits:audit_list_{tab}", query), tab == scope)
            for tab in AuditScope
            if can(request.user, SCOPE_ACTIONS[tab])
        ],
        "csv_url": _with_query(f"audits:audit_export_{scope}_csv", query),
        "xlsx_url": _with_query(f"audits:audit_export_{scope}_xlsx", query),
        "may_start": can(request.user, Action.START_AUDIT),
    }
    return render(request, "audits/audit_list.html", context)


@require(Action.VIEW_AUDITS)
@require_safe
def audit_export(request, scope, file_format):
    scope = AuditScope(scope)
    audits = _filtered_audits(request, scope)
    if not audits.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    rows = exports.audit_rows(with_area_names(audits.qs), user=request.user)
    stem = f"audits-{scope}"
    record_export(request, stem, rows=audits.qs)
    if file_format == "xlsx":
        return spreadsheets.xlsx_response(rows, stem, title=SCOPE_TITLES[scope])
    return spreadsheets.csv_response(rows, stem)


def _filtered_voices(request) -> VoicesFilter:
    return VoicesFilter(request.GET, queryset=voices_for(request.user), request=request)


@require(Action.VIEW_VOICES)
@require_safe
def voices_list(request):
    voices = _filtered_voices(request)
    table = VoicesTable(voices.qs if voices.is_valid() else voices.qs.none())
    paginate_table(request, table, rows_for_page=with_area_names)
    csv_url = _with_query("audits:voices_export_csv", filter_query(request))
    context = {"filter": voices, "table": table, "csv_url": csv_url}
    # The surveys of children and families (evidence.voices) are the other half of their voices.
    context["may_view_surveys"] = can(request.user, Action.VIEW_SURVEYS)
    return render(request, "audits/voices_list.html", context)


@require(Action.VIEW_VOICES)
@require_safe
def voices_export(request):
    voices = _filtered_voices(request)
    if not voices.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    record_export(request, "voices-of-children-and-families", rows=voices.qs)
    return spreadsheets.csv_response(exports.voice_rows(with_area_names(voices.qs)), "voices-of-children-and-families")
