"""The administrators' security events page and its CSV; the answer to every refused request."""

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_safe

from audits.exports import csv_response
from quality.access import Action, require
from quality.pagination import paginate_table

from .events import Kind, record_event
from .exports import event_rows
from .filters import SecurityEventFilter
from .models import SecurityEvent
from .tables import SecurityEventTable

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
    query = request.GET.copy()
    for key in ("page", "sort", "per_page"):
        query.pop(key, None)
    csv_url = f"{reverse('security:event_export')}?{query.urlencode()}"
    return render(request, "security/event_list.html", {"filter": events, "table": table, "csv_url": csv_url})


@require(Action.VIEW_SECURITY_EVENTS)
@require_safe
def event_export(request):
    events = _filtered(request)
    if not events.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    return csv_response(event_rows(events.qs), "security-events")


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
