"""The evaluation's pages: choose an area or a theme and a period, the triangulation of each, and the
rules that flag disagreements (access: quality/access.py, VIEW_TRIANGULATION and
EDIT_TRIANGULATION_RULES; a service lead sees only their own areas, through visible() and get_for())."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from quality.access import Action, can, get_for, require, visible
from quality.forms import call_service
from quality.org.models import ServiceArea
from quality.org.selectors import changes_to
from quality.reports.models import PracticeTheme

from .forms import AreaPeriodForm, PeriodForm, RuleForm, ThemePeriodForm
from .models import SelfEvaluation, TriangulationRule
from .rules import RULE_KINDS, reads, rules_listed, triangulation_rule_update
from .triangulation import area_triangulation, theme_triangulation

SAVED = "Saved the rule '{name}'. The triangulation pages use it from now on."
AREA_PREFIX, THEME_PREFIX = "area", "theme"


def _areas(request):
    return visible(request.user, ServiceArea.objects.filter(is_active=True)).order_by("code")


def _period_query(form: PeriodForm) -> str:
    return urlencode({"kind": form.cleaned_data["kind"], "period": form.cleaned_data["span"].code})


def _chosen(request, prefix: str, form_class, **kwargs):
    """The index's form for `prefix`, bound when that form was sent (both send GET to the index)."""
    sent = any(key.startswith(f"{prefix}-") for key in request.GET)
    initial = PeriodForm.defaults()
    return form_class(request.GET if sent else None, prefix=prefix, initial=initial, **kwargs)


@require(Action.VIEW_TRIANGULATION)
@require_safe
def triangulation_index(request):
    area_form = _chosen(request, AREA_PREFIX, AreaPeriodForm, areas=_areas(request))
    theme_form = _chosen(request, THEME_PREFIX, ThemePeriodForm)
    if area_form.is_bound and area_form.is_valid():
        url = reverse("evaluation:area", args=[area_form.cleaned_data["service_area"].pk])
        return redirect(f"{url}?{_period_query(area_form)}")
    if theme_form.is_bound and theme_form.is_valid():
        url = reverse("evaluation:theme", args=[theme_form.cleaned_data["theme"].pk])
        return redirect(f"{url}?{_period_query(theme_form)}")
    context = {"area_form": area_form, "theme_form": theme_form}
    return render(request, "evaluation/triangulation_index.html", context)


def _period_form(request) -> PeriodForm:
    return PeriodForm(request.GET if request.GET else PeriodForm.defaults())


@require(Action.VIEW_TRIANGULATION)
@require_safe
def area_detail(request, pk: int):
    area = get_for(request.user, Action.VIEW_TRIANGULATION, ServiceArea.objects.all(), pk=pk)
    form = _period_form(request)
    figures = area_triangulation(area, form.cleaned_data["span"]) if form.is_valid() else None
    context = {
        "area": area,
        "form": form,
        "figures": figures,
        "may_edit_rules": can(request.user, Action.EDIT_TRIANGULATION_RULES),
        "draft": _draft_to_write_in(request.user),
    }
    return render(request, "evaluation/area_triangulation.html", context)


def _draft_to_write_in(user) -> SelfEvaluation | None:
    """The newest self-evaluation not yet published, for someone who writes it: the area's page links
    to a new statement about the area in it."""
    if not can(user, Action.WRITE_SELF_EVALUATION):
        return None
    return SelfEvaluation.objects.exclude(state=SelfEvaluation.State.PUBLISHED).order_by("-year").first()


@require(Action.VIEW_TRIANGULATION)
@require_safe
def theme_detail(request, pk: int):
    theme = get_for(request.user, Action.VIEW_TRIANGULATION, PracticeTheme.objects.all(), pk=pk)
    form = _period_form(request)
    figures = theme_triangulation(theme, form.cleaned_data["span"]) if form.is_valid() else None
    return render(request, "evaluation/theme_triangulation.html", {"theme": theme, "form": form, "figures": figures})


@require(Action.EDIT_TRIANGULATION_RULES)
@require_safe
def rule_list(request):
    rows = [{"rule": rule, "reads": reads(rule)} for rule in rules_listed()]
    return render(request, "evaluation/rule_list.html", {"rows": rows})


@require(Action.EDIT_TRIANGULATION_RULES)
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int):
    rule = get_for(request.user, Action.EDIT_TRIANGULATION_RULES, TriangulationRule.objects.all(), pk=pk)
    form = RuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and form.is_valid():
        saved = call_service(form, triangulation_rule_update, actor=request.user, rule=rule, **form.cleaned_values())
        if saved:
            messages.success(request, SAVED.format(name=saved.get_kind_display()))
            return redirect("evaluation:rule_list")
    context = {"rule": rule, "reads": reads(rule), "form": form, "changes": changes_to(rule), "kinds": RULE_KINDS}
    return render(request, "evaluation/rule_form.html", context)
