"""Outcome pages: what moderation changed, how far it agreed with the auditors, and each auditor's calibration.

- Outcomes (Action.VIEW_MODERATION: moderators and the QA unit) for a month, quarter, year or
  range, a service area and (for the QA unit) an auditor, with CSV and JSON downloads that are
  the files `manage.py moderation_summary` writes for the same choices.
- Calibration of one auditor (Action.VIEW_CALIBRATION: the QA unit, and the service leads of the
  areas the auditor works in), and the table of every auditor (the QA unit only).
Every figure comes from moderation.selectors, over the decisions the viewer may see.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from quality.access import Action, can, get_for, require
from quality.org.models import Person
from quality.security.access import record_export

from . import outcome_exports
from .outcome_forms import FILTERS_INVALID, OutcomeFilterForm
from .selectors import calibration, decision_list, decisions_in, summary
from .tables import figures_context


def _query(request) -> str:
    return request.GET.urlencode()


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _decisions(form: OutcomeFilterForm, user, **fixed):
    period = form.chosen
    choices = {name: form.cleaned_data.get(name) for name in ("service_area", "auditor", "panel")}
    return decisions_in(period.start, period.end, **{**choices, **fixed}, user=user)


def _stem(figures: dict) -> str:
    area = f"-{figures['service_area']}" if figures["service_area"] else ""
    return f"moderation-summary{area}-{figures['date_from']}-to-{figures['date_to']}"


@require(Action.VIEW_MODERATION)
@require_safe
def outcomes(request):
    form = OutcomeFilterForm(request.GET, user=request.user)
    context = {"form": form, "may_see_calibration": _may_see_all_calibration(request.user)}
    if form.is_valid():
        figures = summary(_decisions(form, request.user))
        query = _query(request)
        context |= {
            "period": form.chosen,
            "csv_url": _with_query(reverse("moderation:outcomes_csv"), query),
            "json_url": _with_query(reverse("moderation:outcomes_json"), query),
            "calibration_url": _with_query(reverse("moderation:calibration_list"), query),
            **figures_context(figures, "outcome-chart"),
        }
    return render(request, "moderation/outcomes/outcomes.html", context)


@require(Action.VIEW_MODERATION)
@require_safe
def outcomes_export(request, file_format):
    form = OutcomeFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    figures = summary(_decisions(form, request.user))
    record_export(request, "moderation-summary", rows=len(outcome_exports.summary_rows(figures)) - 1)  # the header
    if file_format == "json":
        response = HttpResponse(outcome_exports.summary_json(figures), content_type="application/json")
    else:
        text = outcome_exports.csv_text(outcome_exports.summary_rows(figures))
        response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")  # the BOM: UTF-8 for Excel
    response["Content-Disposition"] = f'attachment; filename="{_stem(figures)}.{file_format}"'
    return response


def _may_see_all_calibration(user) -> bool:
    # Every auditor's calibration at once is for the QA unit: the people who may see both calibration
    # (QA and service leads, each lead for their own auditors) and every moderation outcome (QA and moderators).
    return can(user, Action.VIEW_CALIBRATION) and can(user, Action.VIEW_MODERATION)


@require(Action.VIEW_CALIBRATION)
@require_safe
def calibration_list(request):
    if not _may_see_all_calibration(request.user):
        raise PermissionDenied
    form = OutcomeFilterForm(request.GET, user=request.user, with_auditor=False)
    context = {"form": form}
    if form.is_valid():
        query = _query(request)
        context |= {
            "period": form.chosen,
            "rows": calibration(_decisions(form, request.user)),
            "csv_url": _with_query(reverse("moderation:calibration_csv"), query),
            "outcomes_url": _with_query(reverse("moderation:outcomes"), query),
            "query": query,
        }
    return render(request, "moderation/outcomes/calibration_list.html", context)


@require(Action.VIEW_CALIBRATION)
@require_safe
def calibration_export(request):
    if not _may_see_all_calibration(request.user):
        raise PermissionDenied
    form = OutcomeFilterForm(request.GET, user=request.user, with_auditor=False)
    if not form.is_valid():
        return HttpResponseBadRequest(FILTERS_INVALID, content_type="text/plain; charset=utf-8")
    period = form.chosen
    rows = outcome_exports.calibration_rows(calibration(_decisions(form, request.user)))
    record_export(request, "moderation-calibration", rows=len(rows) - 1)  # the header
    text = outcome_exports.csv_text(rows)
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="moderation-calibration-{period.start}-to-{period.end}.csv"'
    )
    return response


@require(Action.VIEW_CALIBRATION)
@require_safe
def calibration_detail(request, pk):
    auditor = get_for(request.user, Action.VIEW_CALIBRATION, Person.objects.all(), pk=pk)
    form = OutcomeFilterForm(request.GET, user=request.user, with_auditor=False)
    context = {"form": form, "auditor": auditor, "may_see_all": _may_see_all_calibration(request.user)}
    if form.is_valid():
        decisions = _decisions(form, request.user, auditor=auditor)
        figures = summary(decisions)
        context |= {
            "period": form.chosen,
            "decisions": decision_list(decisions),
            "calibration_list_url": _with_query(reverse("moderation:calibration_list"), _query(request)),
            **figures_context(figures, "calibration-chart"),
        }
    return render(request, "moderation/outcomes/calibration_detail.html", context)
