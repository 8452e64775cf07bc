"""Observation pages: the list, plan, record, an observation (with its history), an action item reviewed
as done, the coverage page and the practice weeks.

Who sees an observation: Observation.ACCESS_* (its observer and practitioner, the team's practice
managers, the area's service leads, the QA unit, heads of service and senior leaders). Who records it:
its observer or the QA unit (OBJECT_RULES). The coverage page lists names and dates only, per area.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audits.selectors import version_sections_with_questions
from quality.access import Action, can, get_for, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.org.selectors import changes_to
from quality.pagination import paginate_table

from . import services
from .forms import CoverageForm, DoneForm, PlanForm, PracticeWeekForm, RecordForm
from .models import ActionItem, PracticeWeek
from .selectors import (
    STATUS_LABELS,
    coverage,
    observation_answered,
    observation_for_page,
    observation_themes,
    observations_listed,
)
from .tables import ObservationTable


@require(Action.VIEW_OBSERVATIONS)
@require_safe
def observation_list(request):
    table = ObservationTable(observations_listed(request.user))
    paginate_table(request, table)
    context = {
        "table": table,
        "may_record": can(request.user, Action.RECORD_OBSERVATIONS),
        "may_see_coverage": can(request.user, Action.VIEW_OBSERVATION_COVERAGE),
    }
    return render(request, "observations/list.html", context)


@require(Action.RECORD_OBSERVATIONS)
@require_http_methods(["GET", "POST"])
def observation_plan(request):
    initial = {"observer": getattr(request.user, "person", None), "planned_on": timezone.localdate()}
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved, again = create_once(
            request,
            form,
            services.observation_plan,
            location=lambda saved: saved.get_absolute_url(),
            actor=request.user,
            **form.cleaned_data,
        )
        if again:
            return again
        if saved:
            messages.success(request, "Planned the observation.")
            return redirect(saved)
    return render(request, "observations/plan.html", {"form": form})


@require(Action.RECORD_OBSERVATIONS)
@require_http_methods(["GET", "POST"])
def observation_record(request, pk: int):
    observation = observation_for_page(request.user, Action.RECORD_OBSERVATIONS, pk)
    if observation.is_recorded:
        messages.info(request, "This observation is already recorded.")
        return redirect(observation)
    sections = version_sections_with_questions(observation.tool_version)
    form = RecordForm(request.POST or None, observation=observation, sections=sections)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.observation_record, actor=request.user, observation=observation, **form.service_kwargs()
        )
        if saved:
            messages.success(request, "Recorded the observation and its action plan.")
            return redirect(saved)
    return render(request, "observations/record.html", {"form": form, "observation": observation})


@require(Action.VIEW_OBSERVATIONS)
@require_safe
def observation_detail(request, pk: int):
    observation = observation_for_page(request.user, Action.VIEW_OBSERVATIONS, pk)
    may_record = can(request.user, Action.RECORD_OBSERVATIONS, observation)
    context = {
        "observation": observation,
        "answered": observation_answered(observation) if observation.is_recorded else [],
        "themes": observation_themes(observation) if observation.is_recorded else [],
        "items": observation.action_items.select_related("owner"),
        "may_record": may_record,
        "done_form": DoneForm(initial={"done_on": timezone.localdate()}) if may_record else None,
        "changes": changes_to(observation)[:30],
    }
    return render(request, "observations/detail.html", context)


@require(Action.RECORD_OBSERVATIONS)
@require_POST
def action_item_done(request, pk: int):
    item = get_for(request.user, Action.VIEW_OBSERVATIONS, ActionItem.objects.select_related("observation"), pk=pk)
    observation = observation_for_page(request.user, Action.RECORD_OBSERVATIONS, item.observation_id)
    form = DoneForm(request.POST)
    if form.is_valid() and call_service(
        form, services.action_item_done, actor=request.user, item=item, **form.cleaned_data
    ):
        messages.success(request, "Recorded the action as reviewed and done.")
        return redirect(observation)
    for error in form.errors.get("done_on", []) + form.non_field_errors():
        messages.error(request, f"Not recorded: {error}")
    return redirect(observation)


@require(Action.VIEW_OBSERVATION_COVERAGE)
@require_safe
def coverage_view(request):
    form = CoverageForm(request.GET, user=request.user)
    chosen = form.cleaned_data if form.is_valid() else {}
    rows, teams = coverage(
        request.user,
        today=timezone.localdate(),
        service_area=chosen.get("service_area"),
        team=chosen.get("team"),
    )
    context = {
        "form": form,
        "rows": rows,
        "teams": teams,
        "labels": STATUS_LABELS,
        "may_record": can(request.user, Action.RECORD_OBSERVATIONS),
    }
    return render(request, "observations/coverage.html", context)


def _weeks_page(request, form):
    weeks = PracticeWeek.objects.order_by("-starts_on")
    return render(request, "observations/practice_weeks.html", {"weeks": weeks, "form": form})


@require(Action.VIEW_OBSERVATIONS)
@require_safe
def practice_weeks(request):
    return _weeks_page(request, PracticeWeekForm() if can(request.user, Action.MANAGE_PRACTICE_WEEKS) else None)


@require(Action.MANAGE_PRACTICE_WEEKS)
@require_POST
def practice_week_add(request):
    form = PracticeWeekForm(request.POST)
    if form.is_valid() and call_service(form, services.practice_week_create, actor=request.user, **form.cleaned_data):
        messages.success(request, "Added the practice week.")
        return redirect("observations:practice_weeks")
    return _weeks_page(request, form)
