"""The filters of the audit lists and of the voices page; the exports read the same query string.

Choices of areas, teams and auditors come through the access rules, so a filter never names an
area, team or person the viewer could not otherwise see, and an id outside them is refused.

`completed_from` and `completed_to` (ISO days) keep the audits completed in a period by the reports'
own rule (audits.models.completed_in, on the stored `completed_day`). A higher layer adds filters of
its own through `audit_filter_register` (docs/architecture.md, "Dependency direction"): the reports
add the practice theme, so a report's theme count links to exactly the audits behind it.
"""

from collections.abc import Callable
from datetime import date, datetime

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from quality.access import visible
from quality.forms import EnglishDateFilter, written
from quality.months import next_month
from quality.org.models import Person, ServiceArea, Team

from .models import Audit, Grade, submitted

ANY = "Any"
MONTH_INVALID = "Give the month as year and month, for example 2026-11."
FILTERS_INVALID = "The filters are not valid: nothing was exported. Correct them on the list and export again."


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (what a browser's month picker sends), cleaned to (year, month)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            month = datetime.strptime(value, "%Y-%m")
        except ValueError as invalid:
            raise forms.ValidationError(MONTH_INVALID, code="invalid") from invalid
        return month.year, month.month


class ListSelect(forms.Select):
    """A <select> of flat choices written in Python, option by option, escaped by format_html: the form
    renderer's template per option made the lists' filter drop-downs (every team, every auditor) cost more
    than the page's rows, and Django's option dictionaries (optgroups) most of what was left."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen, selected = set(self.format_value(value)), False
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            mark = " selected" if not selected and option_value in chosen else ""
            selected = selected or bool(mark)  # one option only, as Django's Select marks
            options.append((option_value, mark, label))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            format_html_join("", '<option value="{}"{}>{}</option>', options),
        )


class ReadOnceChoices(django_filters.fields.ModelChoiceIterator):
    """A model choice field's options read by one plain query and kept (its queryset's cache) for the rest
    of the request: Django's own iterator reads them again at each use, through a server-side cursor
    (three round trips to the database)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset:
            yield self.choice(obj)


class MonthFilter(django_filters.Filter):
    """Rows whose `field_name` (a day, already in the portal's time zone) falls in the month."""

    field_class = MonthField

    def filter(self, qs, value):
        if not value:
            return qs
        year, month = value
        first = date(year, month, 1)
        return qs.filter(**{f"{self.field_name}__gte": first, f"{self.field_name}__lt": next_month(first)})


class CompletedFilter(EnglishDateFilter):
    """Audits completed on or after (`gte`) or on or before (`lte`) a day, by completed_in()'s rule:
    no longer a draft, and `completed_day` in range. The two together are a report's period."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, field_name="completed_day", **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(submitted(), **{f"completed_day__{self.lookup_expr}": value})


# Filters a higher layer adds to the audit lists: name -> a function making the filter (audits never
# imports the layers above it; quality.reports registers the practice theme in its AppConfig.ready()).
_REGISTERED_FILTERS: dict[str, Callable[[], django_filters.Filter]] = {}


def audit_filter_register(name: str, make: Callable[[], django_filters.Filter]) -> None:
    """Add the filter `make()` to the audit lists and their exports, read from `?name=`."""
    _REGISTERED_FILTERS[name] = make


# The drop-downs' options read only what their labels show.


def _areas(request):
    return visible(request.user, ServiceArea.objects.only("name", "code"))


def _teams(request):
    teams = Team.objects.select_related("service_area").only("name", "service_area__code")
    return visible(request.user, teams).order_by("service_area__code", "name")


def _auditors(request):
    auditors = Person.objects.only("full_name")
    return auditors.filter(pk__in=visible(request.user, Audit.objects.all()).values("auditor_id"))


class ListFilters(django_filters.FilterSet):
    """The lists' filters: each drop-down (a higher layer's too) written by ListSelect, a model's options
    read once a request (ReadOnceChoices)."""

    def get_form_class(self):
        form = super().get_form_class()
        for field in form.base_fields.values():
            if isinstance(field, forms.ChoiceField) and not isinstance(field.widget, ListSelect):
                field.widget = ListSelect(attrs=field.widget.attrs, choices=field.widget.choices)
            if isinstance(field, django_filters.fields.ModelChoiceField):
                field.iterator = ReadOnceChoices
        return form


class VoicesFilter(ListFilters):
    month = MonthFilter(
        field_name="counted_on", label="Month", help_text="Completed in this month (a draft: started in it)."
    )
    service_area = django_filters.ModelChoiceFilter(queryset=_areas, label="Service area", empty_label=ANY)

    class Meta:
        model = Audit
        fields = ["month", "service_area"]


class AuditFilter(VoicesFilter):
    team = django_filters.ModelChoiceFilter(queryset=_teams, empty_label=ANY)
    kind = django_filters.ChoiceFilter(choices=Audit.Kind.choices, empty_label=ANY)
    theme = django_filters.CharFilter(lookup_expr="icontains", label="Theme contains")
    # On `shown_grade` (audits_listed): a grade hidden by blind moderation matches no grade.
    overall_grade = django_filters.ChoiceFilter(
        field_name="shown_grade", choices=Grade.choices, label="Overall grade", empty_label=ANY
    )
    state = django_filters.ChoiceFilter(choices=Audit.State.choices, empty_label=ANY)
    auditor = django_filters.ModelChoiceFilter(queryset=_auditors, empty_label=ANY)
    completed_from = CompletedFilter(lookup_expr="gte", label="Completed from")
    completed_to = CompletedFilter(lookup_expr="lte", label="Completed to")

    class Meta:
        model = Audit
        fields = [
            "month",
            "service_area",
            "team",
            "kind",
            "theme",
            "overall_grade",
            "state",
            "auditor",
            "completed_from",
            "completed_to",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, make in _REGISTERED_FILTERS.items():
            added = make()
            added.model, added.parent = self.queryset.model, self
            self.filters[name] = added
        # Two areas may each have a team of the same name.
        self.form.fields["team"].label_from_instance = lambda team: written(f"{team.name} ({team.service_area.code})")
