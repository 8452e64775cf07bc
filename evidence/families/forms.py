"""The benchmarking form's page form, the list's filters and the summary's period chooser.

The rules (a positive outcome only for a concern identified, the team in the area...) live in the
services; call_service puts a refusal next to the field, and for a concern next to its control.
Choices of area, team and person come through the access rules, so a form never offers what the
person could not otherwise see, and an id outside them is refused.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from moderation.outcome_forms import OutcomeFilterForm, Period, PeriodField
from quality.access import Action, roles_granting, visible
from quality.forms import EnglishDateField, written
from quality.idempotency import CreateOnceForm
from quality.org.models import Person, ServiceArea, Team

from .models import BenchmarkingForm, Concern
from .services import PARTS, POSITIVE, ConcernAnswer, concern_field

ANY = "Any"
SERVICE_FIELDS = ("case_reference", "service_area", "team", "completed_by", "completed_on")


def _team_label(team: Team) -> str:
    return written(f"{team.name} ({team.service_area.code})")  # two areas may each have a team of a name


def recorders(user, *, keep: int | None = None):
    """The people a form may name as completing it: those who may record benchmarking, in the person's
    areas (and `keep`, the person a form being changed already names, whatever their roles now)."""
    roles = roles_granting(Action.RECORD_BENCHMARKING)
    holding = Person.objects.filter(memberships__ended_at__isnull=True, memberships__role__in=roles)
    may_record = visible(user, Person.objects.filter(pk__in=holding.values("pk")))
    return Person.objects.filter(Q(pk__in=may_record.values("pk")) | Q(pk=keep)).order_by("full_name", "pk")


class BenchmarkingFormForm(CreateOnceForm):
    case_reference = forms.CharField(
        max_length=32, help_text=BenchmarkingForm._meta.get_field("case_reference").help_text
    )
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.none(), label="Service area")
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    completed_by = forms.ModelChoiceField(queryset=Person.objects.none(), label="Completed by")
    completed_on = EnglishDateField(label="Date completed", help_text="The form counts in the period of this day.")

    def __init__(self, *args, user, instance: BenchmarkingForm | None = None, **kwargs):
        initial = kwargs.pop("initial", {})
        if instance is not None:
            initial = {**self.initial_from(instance), **initial}
        super().__init__(*args, initial=initial, **kwargs)
        # Active areas and teams, and those a form being changed already names (so saving keeps them).
        area_id, team_id = (instance.service_area_id, instance.team_id) if instance else (None, None)
        self.fields["service_area"].queryset = visible(
            user, ServiceArea.objects.filter(Q(is_active=True) | Q(pk=area_id))
        ).order_by("code")
        self.fields["service_area"].label_from_instance = lambda area: written(f"{area.code}: {area.name}")
        self.fields["team"].queryset = visible(
            user, Team.objects.filter(Q(is_active=True) | Q(pk=team_id)).select_related("service_area")
        ).order_by("service_area__code", "name")
        self.fields["team"].label_from_instance = _team_label
        self.fields["completed_by"].queryset = recorders(user, keep=instance.completed_by_id if instance else None)
        self.fields["completed_by"].label_from_instance = lambda person: written(person.full_name)
        for concern in Concern:
            for part, words in PARTS.items():
                self.fields[concern_field(concern, part)] = forms.BooleanField(
                    label=f"{concern.label}: {words}", required=False
                )

    @staticmethod
    def initial_from(instance: BenchmarkingForm) -> dict:
        initial = {name: getattr(instance, name) for name in SERVICE_FIELDS}
        for row in instance.concerns.all():
            initial[concern_field(row.concern, "start")] = row.identified_at_start
            initial[concern_field(row.concern, "end")] = row.identified_at_end
            initial[concern_field(row.concern, POSITIVE)] = row.positive_outcome
        return initial

    def concern_rows(self) -> list[dict]:
        """One row per concern for the template's table: its label and its three bound fields."""
        return [
            {"label": concern.label, "fields": [self[concern_field(concern, part)] for part in PARTS]}
            for concern in Concern
        ]

    def service_kwargs(self) -> dict:
        """What the services take, from the cleaned data."""
        data = self.cleaned_data
        concerns = {
            concern.value: ConcernAnswer(
                identified_at_start=data[concern_field(concern, "start")],
                identified_at_end=data[concern_field(concern, "end")],
                positive_outcome=data[concern_field(concern, POSITIVE)],
            )
            for concern in Concern
        }
        return {**{name: data[name] for name in SERVICE_FIELDS}, "concerns": concerns}


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField

    def filter(self, queryset, value: Period | None):
        return queryset.filter(completed_on__range=(value.start, value.end)) if value else queryset


def _areas(request):
    return visible(request.user, ServiceArea.objects.all()).order_by("code")


def _teams(request):
    return visible(request.user, Team.objects.select_related("service_area")).order_by("service_area__code", "name")


class BenchmarkingFilter(django_filters.FilterSet):
    period = PeriodFilter(label="Period", help_text="A month (2026-11), a quarter (2026-Q4) or a year (2026).")
    service_area = django_filters.ModelChoiceFilter(queryset=_areas, label="Service area", empty_label=ANY)
    team = django_filters.ModelChoiceFilter(queryset=_teams, empty_label=ANY)

    class Meta:
        model = BenchmarkingForm
        fields = ["period", "service_area", "team"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["team"].label_from_instance = _team_label
        self.form.fields["service_area"].label_from_instance = lambda area: written(f"{area.code}: {area.name}")


class SummaryFilterForm(OutcomeFilterForm):
    """The moderation outcomes' period chooser (a month, a quarter, a year or from / to; this quarter
    when empty) and a service area: the same periods on every summary page."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, with_auditor=False, **kwargs)
        del self.fields["panel"]
