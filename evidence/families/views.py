"""Supporting Families benchmarking pages: the list of forms, a form (add, change, read) and the summary.

Recording (Action.RECORD_BENCHMARKING): practice managers in their areas and the QA unit. Reading the
forms, which carry case references (VIEW_BENCHMARKING): they and the area's service lead, heads of
service and senior leaders. The summary's figures (VIEW_BENCHMARKING_SUMMARY) also to the read-only
reader: counts only, no case reference.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from quality.access import Action, can, get_for, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.org.selectors import changes_to
from quality.pagination import paginate_table

from . import charts, services
from .forms import BenchmarkingFilter, BenchmarkingFormForm, SummaryFilterForm
from .models import BenchmarkingForm
from .selectors import forms_in, forms_listed, summary
from .tables import BenchmarkingTable

CHART_ID = "families-outcomes"


@require(Action.VIEW_BENCHMARKING)
@require_safe
def form_list(request):
    forms = BenchmarkingFilter(request.GET, queryset=forms_listed(request.user), request=request)
    table = BenchmarkingTable(forms.qs if forms.is_valid() else forms.qs.none())
    paginate_table(request, table)
    context = {"filter": forms, "table": table, "may_record": can(request.user, Action.RECORD_BENCHMARKING)}
    return render(request, "families/form_list.html", context)


def _form_page(request, form: BenchmarkingFormForm, instance: BenchmarkingForm | None):
    return render(request, "families/form_edit.html", {"form": form, "instance": instance})


@require(Action.RECORD_BENCHMARKING)
@require_http_methods(["GET", "POST"])
def form_create(request):
    initial = {"completed_by": getattr(request.user, "person", None), "completed_on": timezone.localdate()}
    form = BenchmarkingFormForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved, again = create_once(
            request,
            form,
            services.benchmarking_form_create,
            location=lambda saved: saved.get_absolute_url(),
            actor=request.user,
            **form.service_kwargs(),
        )
        if again:
            return again
        if saved:
            messages.success(request, f"Recorded the benchmarking form of case {saved.case_reference}.")
            return redirect(saved)
    return _form_page(request, form, None)


@require(Action.RECORD_BENCHMARKING)
@require_http_methods(["GET", "POST"])
def form_edit(request, pk: int):
    instance = get_for(request.user, Action.RECORD_BENCHMARKING, BenchmarkingForm.objects.all(), pk=pk)
    form = BenchmarkingFormForm(request.POST or None, user=request.user, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.benchmarking_form_update, actor=request.user, instance=instance, **form.service_kwargs()
        )
        if saved:
            messages.success(request, f"Saved the benchmarking form of case {saved.case_reference}.")
            return redirect(saved)
    return _form_page(request, form, instance)


@require(Action.VIEW_BENCHMARKING)
@require_safe
def form_detail(request, pk: int):
    instance = get_for(
        request.user,
        Action.VIEW_BENCHMARKING,
        BenchmarkingForm.objects.select_related("service_area", "team", "completed_by"),
        pk=pk,
    )
    context = {
        "instance": instance,
        "concerns": instance.concerns.all(),
        "may_record": can(request.user, Action.RECORD_BENCHMARKING, instance),
        "changes": changes_to(instance)[:20],
    }
    return render(request, "families/form_detail.html", context)


@require(Action.VIEW_BENCHMARKING_SUMMARY)
@require_safe
def summary_view(request):
    form = SummaryFilterForm(request.GET, user=request.user)
    context = {
        "form": form,
        "may_list": can(request.user, Action.VIEW_BENCHMARKING),
        "may_record": can(request.user, Action.RECORD_BENCHMARKING),
    }
    if form.is_valid():
        period, area = form.chosen, form.cleaned_data.get("service_area")
        figures = summary(forms_in(request.user, period.start, period.end, area))
        context |= {
            "period": period,
            "service_area": area,
            "figures": figures,
            "chart": charts.positive_outcomes_chart(
                figures.concerns,
                chart_id=CHART_ID,
                title=f"Positive outcomes per concern, {period.label}",
            ),
        }
    return render(request, "families/summary.html", context)
