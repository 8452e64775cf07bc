"""The practice-themes pages: the list, add, change, deactivate and reactivate a theme, and add
the default themes (the QA lead and administrators: MANAGE_PRACTICE_THEMES). A theme holds nothing
about children (PracticeTheme.ACCESS_SHARED)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from quality.access import Action, get_for, require, visible
from quality.forms import call_service
from quality.org.selectors import changes_to

from . import themes
from .models import PracticeTheme
from .theme_forms import PracticeThemeEditForm, PracticeThemeForm

ADDED = "Added the practice theme {name}: reports generated from now on count it."
SAVED = "Saved the practice theme {name}."
DEACTIVATED = "{name} is no longer counted in reports generated from now on. Published reports keep their counts."
REACTIVATED = "{name} is counted again in reports generated from now on."
DEFAULTS_ADDED = "Added {count} default practice theme{plural}."
DEFAULTS_PRESENT = "Every default practice theme is already in the list."


def _theme(request, pk: int) -> PracticeTheme:
    return get_for(request.user, Action.MANAGE_PRACTICE_THEMES, PracticeTheme.objects.all(), pk=pk)


@require(Action.MANAGE_PRACTICE_THEMES)
@require_safe
def theme_list(request):
    theme_rows = list(visible(request.user, PracticeTheme.objects.order_by("-is_active", "order", "name")))
    defaults = {name.lower() for name, _ in themes.DEFAULT_THEMES}
    missing_defaults = len(defaults - {theme.name.lower() for theme in theme_rows})
    context = {"themes": theme_rows, "missing_defaults": missing_defaults}
    return render(request, "reports/themes/theme_list.html", context)


@require(Action.MANAGE_PRACTICE_THEMES)
def theme_add(request):
    form = PracticeThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        theme = call_service(form, themes.practice_theme_create, actor=request.user, **form.cleaned_data)
        if theme:
            messages.success(request, ADDED.format(name=theme.name))
            return redirect("reports:theme_list")
    return render(request, "reports/themes/theme_form.html", {"form": form, "theme": None})


@require(Action.MANAGE_PRACTICE_THEMES)
def theme_edit(request, pk: int):
    theme = _theme(request, pk)
    form = PracticeThemeEditForm(request.POST or None, theme=theme)
    if request.method == "POST" and form.is_valid():
        saved = call_service(form, themes.practice_theme_update, actor=request.user, theme=theme, **form.cleaned_data)
        if saved:
            messages.success(request, SAVED.format(name=saved.name))
            return redirect("reports:theme_list")
    context = {"form": form, "theme": theme, "changes": changes_to(theme)}
    return render(request, "reports/themes/theme_form.html", context)


def _set_active(request, pk: int, *, active: bool):
    theme = themes.practice_theme_set_active(actor=request.user, theme=_theme(request, pk), active=active)
    messages.success(request, (REACTIVATED if active else DEACTIVATED).format(name=theme.name))
    return redirect("reports:theme_list")


@require(Action.MANAGE_PRACTICE_THEMES)
@require_POST
def theme_deactivate(request, pk: int):
    return _set_active(request, pk, active=False)


@require(Action.MANAGE_PRACTICE_THEMES)
@require_POST
def theme_activate(request, pk: int):
    return _set_active(request, pk, active=True)


@require(Action.MANAGE_PRACTICE_THEMES)
@require_POST
def theme_defaults(request):
    count = themes.ensure_default_themes()
    if count:
        messages.success(request, DEFAULTS_ADDED.format(count=count, plural="" if count == 1 else "s"))
    else:
        messages.info(request, DEFAULTS_PRESENT)
    return redirect("reports:theme_list")
