"""The catalogue and load pages: the indicator catalogue by priority area, an indicator's catalogue
entry with its yearly targets and the history of its loaded figures, the catalogue and values
uploads (each with a "check only" dry run), and the load reports.

The catalogue is for those who manage indicators (performance officers, administrators); the loads
for performance officers. Views stay thin: the rules are in performance.catalogue and
performance.loads.
"""

from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from quality.access import Action, can, get_for, require
from quality.forms import call_service
from quality.org.selectors import changes_to
from quality.security import checked_uploads
from quality.security.checked_uploads import upload_page_context
from quality.security.models import CheckedUpload

from . import calculations, catalogue, loads
from .catalogue_forms import (
    CatalogueUploadForm,
    IndicatorCreateForm,
    IndicatorForm,
    IndicatorYearForm,
    ValuesUploadForm,
    year_choices,
)
from .models import Indicator, KpiValue, ValueLoad

HISTORY_PER_PAGE = 50
LOADS_PER_PAGE = 25
REPLACEMENTS_SHOWN = 500
RECENT_LOADS = 5


def _shown(values, unit: str | None = None):
    """Each KpiValue with `shown`: the figure as the scorecard writes it ('79% (264/333)', 'TBC')."""
    for value in values:
        value.shown = calculations.display(
            unit or value.indicator.unit, value.value, value.numerator, value.denominator, value.note
        )
    return values


# --- The catalogue -----------------------------------------------------------------------------


@require(Action.MANAGE_INDICATORS)
@require_safe
def catalogue_list(request):
    year = catalogue.current_reporting_year()
    groups = catalogue.catalogue_by_priority_area(year)
    for _, indicators in groups:
        for indicator in indicators:
            figures = indicator.year_figures
            indicator.target_shown = (
                calculations.stated(indicator.unit, figures.target, figures.target_note) if figures else ""
            )
    context = {
        "groups": groups,
        "year": year,
        "year_label": catalogue.year_label(year),
        "count": sum(len(indicators) for _, indicators in groups),
        "may_load": can(request.user, Action.LOAD_KPI_VALUES),
    }
    return render(request, "performance/catalogue/catalogue_list.html", context)


@require(Action.MANAGE_INDICATORS)
@require_http_methods(["GET", "POST"])
def catalogue_import(request):
    """Check or import the catalogue; a file that passed "Check only" is kept for "Load this file"."""
    form = CatalogueUploadForm(request.POST or None, request.FILES or None)
    year = form.cleaned_data["year"] if form.is_valid() else None
    run_import = partial(catalogue.indicator_catalogue_import, actor=request.user, year=year)
    outcome = checked_uploads.check_or_load(request, form, kind=CheckedUpload.Kind.CATALOGUE, run_import=run_import)
    if outcome.loaded:
        messages.success(request, f"The catalogue was imported. {outcome.summary}")
        return redirect("performance:catalogue")
    context = {
        "form": form,
        **upload_page_context(form, outcome),
        "required_columns": catalogue.REQUIRED_COLUMNS,
        "optional_columns": catalogue.OPTIONAL_COLUMNS,
    }
    return render(request, "performance/catalogue/catalogue_import.html", context)


@require(Action.MANAGE_INDICATORS)
@require_http_methods(["GET", "POST"])
def indicator_create(request):
    form = IndicatorCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        indicator = call_service(form, catalogue.indicator_create, actor=request.user, **form.cleaned_data)
        if indicator:
            messages.success(request, f"Indicator {indicator.code} added. Now give it this year's target.")
            return redirect("performance:catalogue_indicator", pk=indicator.pk)
    context = {"form": form, "title": "New indicator", "cancel_url": reverse("performance:catalogue")}
    return render(request, "performance/catalogue/indicator_form.html", context)


@require(Action.MANAGE_INDICATORS)
@require_safe
def indicator_detail(request, pk):
    indicator = get_for(
        request.user, Action.MANAGE_INDICATORS, Indicator.objects.select_related("lead", "service_area"), pk=pk
    )
    history = Paginator(
        KpiValue.objects.filter(indicator=indicator)
        .select_related("load__loaded_by__person", "service_area", "team")
        .order_by("-period", "breakdown", "-pk"),
        HISTORY_PER_PAGE,
    ).get_page(request.GET.get("page"))
    _shown(history.object_list, indicator.unit)
    years = list(catalogue.indicator_years(indicator))
    for item in years:
        item.target_shown = calculations.stated(indicator.unit, item.target, item.target_note)
        if item.target is not None and item.target_note:
            item.target_shown += f" ({item.target_note})"
        item.tolerance_shown = calculations.plain_number(item.amber_tolerance) or "Default"
        item.comparators_shown = [
            calculations.stated(indicator.unit, getattr(item, name), item.comparator_notes.get(name, "")) or "–"
            for name in catalogue.COMPARATORS
        ]
    held = {item.year for item in years}
    context = {
        "indicator": indicator,
        "years": years,
        "year_choices": [(year, label) for year, label in year_choices() if year not in held],
        "history": history,
        "changes": changes_to(indicator)[:20],
        "default_tolerance": calculations.DEFAULT_AMBER_TOLERANCE[indicator.unit],
        "relative_tolerance": indicator.unit in calculations.RELATIVE_TOLERANCE_UNITS,
    }
    return render(request, "performance/catalogue/indicator_detail.html", context)


@require(Action.MANAGE_INDICATORS)
@require_http_methods(["GET", "POST"])
def indicator_edit(request, pk):
    indicator = get_for(request.user, Action.MANAGE_INDICATORS, Indicator.objects, pk=pk)
    form = IndicatorForm(request.POST or None, initial=IndicatorForm.initial_for(indicator))
    if request.method == "POST" and form.is_valid():
        if call_service(form, catalogue.indicator_update, actor=request.user, indicator=indicator, **form.cleaned_data):
            messages.success(request, f"Indicator {indicator.code} saved.")
            return redirect("performance:catalogue_indicator", pk=indicator.pk)
    context = {
        "form": form,
        "indicator": indicator,
        "title": f"Change {indicator.code}",
        "cancel_url": reverse("performance:catalogue_indicator", args=[indicator.pk]),
    }
    return render(request, "performance/catalogue/indicator_form.html", context)


@require(Action.MANAGE_INDICATORS)
@require_http_methods(["GET", "POST"])
def indicator_year_edit(request, pk, year):
    indicator = get_for(request.user, Action.MANAGE_INDICATORS, Indicator.objects, pk=pk)
    if not catalogue.FIRST_YEAR <= year <= catalogue.LAST_YEAR:
        return redirect("performance:catalogue_indicator", pk=indicator.pk)
    item = indicator.years.filter(year=year).first()
    form = IndicatorYearForm(request.POST or None, unit=indicator.unit, initial=IndicatorYearForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        if call_service(
            form, catalogue.indicator_year_save, actor=request.user, indicator=indicator, year=year, **form.values
        ):
            messages.success(
                request, f"Targets and comparators of {indicator.code} for {catalogue.year_label(year)} saved."
            )
            return redirect("performance:catalogue_indicator", pk=indicator.pk)
    context = {
        "form": form,
        "indicator": indicator,
        "year_label": catalogue.year_label(year),
        "year": year,
        "is_new": item is None,
        "cancel_url": reverse("performance:catalogue_indicator", args=[indicator.pk]),
    }
    return render(request, "performance/catalogue/indicator_year_form.html", context)


# --- Monthly values ----------------------------------------------------------------------------


@require(Action.LOAD_KPI_VALUES)
@require_http_methods(["GET", "POST"])
def value_load_upload(request):
    """Check or load a month's values; a file that passed "Check only" is kept for "Load this file"."""
    form = ValuesUploadForm(request.POST or None, request.FILES or None)
    run_import = partial(loads.kpi_values_import, actor=request.user)
    outcome = checked_uploads.check_or_load(request, form, kind=CheckedUpload.Kind.KPI_VALUES, run_import=run_import)
    if outcome.loaded:
        messages.success(request, f"The values were loaded. {outcome.summary}")
        return redirect("performance:value_load", pk=outcome.summary.load.pk)
    context = {
        "form": form,
        **upload_page_context(form, outcome),
        "required_columns": loads.REQUIRED_COLUMNS,
        "optional_columns": loads.OPTIONAL_COLUMNS,
        "recent_loads": ValueLoad.objects.select_related("loaded_by__person")[:RECENT_LOADS],
    }
    return render(request, "performance/catalogue/value_load_upload.html", context)


@require(Action.LOAD_KPI_VALUES)
@require_safe
def value_load_list(request):
    page = Paginator(ValueLoad.objects.select_related("loaded_by__person"), LOADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "performance/catalogue/value_load_list.html", {"page": page})


@require(Action.LOAD_KPI_VALUES)
@require_safe
def value_load_detail(request, pk):
    load = get_for(request.user, Action.LOAD_KPI_VALUES, ValueLoad.objects.select_related("loaded_by__person"), pk=pk)
    mismatches = _shown(list(loads.load_mismatches(load)))
    for value in mismatches:
        value.supplied_shown = calculations.plain_number(value.supplied_value) + "%"
        value.computed_shown = calculations.plain_number(value.value, 2) + "%"
    replacements = _shown(list(loads.load_replacements(load, REPLACEMENTS_SHOWN)))
    for value in replacements:
        value.previous_shown = calculations.display(
            value.indicator.unit,
            value.previous_value,
            value.previous_numerator,
            value.previous_denominator,
            value.previous_note,
        )
    periods = list(load.values.order_by("period").values_list("period", flat=True).distinct())
    context = {
        "load": load,
        "mismatches": mismatches,
        "replacements": replacements,
        "replacements_cut": load.replaced > len(replacements),
        "periods": periods,
    }
    return render(request, "performance/catalogue/value_load_detail.html", context)
