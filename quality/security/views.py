"""The administrators' security events page and its CSV; the search of who saw which record (QA lead and
administrators) and its CSV; the answer to every refused request."""

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_safe

from quality.access import Action, require
from quality.pagination import filter_query, paginate_table
from quality.spreadsheets import csv_response

from .access import record_export
from .events import Kind, record_event
from .exports import access_rows, event_rows
from .filters import AccessRecordFilter, SecurityEventFilter
from .models import AccessRecord, SecurityEvent
from .tables import AccessRecordTable, SecurityEventTable

FILTERS_INVALID = "The filters are not valid: nothing was exported. Correct them on the page and export again."


def _filtered(request) -> SecurityEventFilter:
    events = SecurityEvent.objects.select_related("user__person", "actor__person")
    return SecurityEventFilter(request.GET, queryset=events, request=request)


@require(Action.VIEW_SECURITY_EVENTS)
@require_safe
def event_list(request):
    events = _filtered(request)
    table = SecurityEventTable(events.qs if events.is_valid() else events.qs.none())
    paginate_table(request, table)
    csv_url = f"{reverse('security:event_export')}?{filter_query(request)}"
    return render(request, "security/event_list.html", {"filter": events, "table": table, "csv_url": csv_url})


@require(Action.VIEW_SECURITY_EVENTS)
@require_safe
def event_export(request):
    events = _filtered(request)
    if not events.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    record_export(request, "security-events", rows=events.qs)
    return csv_response(event_rows(events.qs), "security-events")


# The search by case reference is a POST: a case reference is a case detail, and case details never go
# into URLs (browser history, proxy and server logs keep them). The criteria are kept in the session
# under a random id, and the results page, its pagination, sorting and CSV links carry only that id.
# The session ends with the sign-in (30 idle minutes, 12 hours at most), and only the last few are kept.
SEARCHES = "access_searches"
SEARCHES_KEPT = 5
SEARCH_ENDED = "That search has ended (searches are kept for a while only): search again."


def _search_keep(request, data: dict) -> str:
    search_id = secrets.token_urlsafe(8)
    searches = request.session.get(SEARCHES, {}) | {search_id: data}
    request.session[SEARCHES] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return search_id


def _criteria(request) -> dict | None:
    """The search asked for: kept under ?search=<id>, or ?audit=<number> from an audit's page (an id is no
    case detail); {} for none yet, None when the search kept under that id has ended."""
    if "search" in request.GET:
        return request.session.get(SEARCHES, {}).get(request.GET["search"])
    return {"audit": request.GET["audit"]} if "audit" in request.GET else {}


def _access_filter(data: dict) -> AccessRecordFilter:
    return AccessRecordFilter(data, queryset=AccessRecord.objects.select_related("user__person"))


@require(Action.VIEW_ACCESS_RECORDS)
@require_http_methods(["GET", "HEAD", "POST"])
def access_search(request):
    status = 200
    if request.method == "POST":
        found = _access_filter(request.POST)
        if found.is_valid():
            search_id = _search_keep(request, {name: request.POST.get(name, "") for name in found.filters})
            return redirect(f"{reverse('security:access_search')}?{urlencode({'search': search_id})}")
        status = 422
    else:
        criteria = _criteria(request)
        if criteria is None:
            messages.info(request, SEARCH_ENDED)
        found = _access_filter(criteria or {})
    table = AccessRecordTable(found.qs if found.is_valid() else found.qs.none())
    paginate_table(request, table)
    context = {
        "filter": found,
        "table": table,
        "csv_url": f"{reverse('security:access_export')}?{filter_query(request)}",
    }
    return render(request, "security/access_search.html", context, status=status)


@require(Action.VIEW_ACCESS_RECORDS)
@require_safe
def access_export(request):
    criteria = _criteria(request)
    if criteria is None:
        return HttpResponseBadRequest(SEARCH_ENDED, content_type="text/plain; charset=utf-8")
    found = _access_filter(criteria)
    if not found.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    # What was searched for, not the search's id: the record must say which records were exported.
    searched = urlencode({name: value for name, value in criteria.items() if value})
    record_export(request, "access-records", rows=found.qs, filters=searched)
    return csv_response(access_rows(found.qs), "access-records")


def permission_denied(request, exception):
    """handler403: every PermissionDenied, from any view, is recorded here once, then answered."""
    match = request.resolver_match
    record_event(
        Kind.ACCESS_REFUSED,
        request=request,
        user=request.user,
        detail={"view": match.view_name if match else "", "method": request.method},
    )
    return defaults.permission_denied(request, exception)
