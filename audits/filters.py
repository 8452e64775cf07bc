"""The filters of the audit lists and of the voices page; the exports read the same query string.

Choices of areas, teams and auditors come through the access rules, so a filter never names an
area, team or person the viewer could not otherwise see, and an id outside them is refused.
"""

from datetime import date, datetime

import django_filters
from django import forms

from quality.access import visible
from quality.forms import written
from quality.months import next_month
from quality.org.models import Person, ServiceArea, Team

from .models import Audit, Grade

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


class MonthFilter(django_filters.Filter):
    """Rows whose `field_name` (a day, already in the portal's time zone) falls in the month."""

    field_class = MonthField

    def filter(self, qs, value):
        if not value:
            return qs
        year, month = value
        first = date(year, month, 1)
        return qs.filter(**{f"{self.field_name}__gte": first, f"{self.field_name}__lt": next_month(first)})


def _areas(request):
    return visible(request.user, ServiceArea.objects.all())


def _teams(request):
    return visible(request.user, Team.objects.select_related("service_area")).order_by("service_area__code", "name")


def _auditors(request):
    return Person.objects.filter(pk__in=visible(request.user, Audit.objects.all()).values("auditor_id"))


class VoicesFilter(django_filters.FilterSet):
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

    class Meta:
        model = Audit
        fields = ["month", "service_area", "team", "kind", "theme", "overall_grade", "state", "auditor"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Two areas may each have a team of the same name.
        self.form.fields["team"].label_from_instance = lambda team: written(f"{team.name} ({team.service_area.code})")
