"""Forms of the escalation pages and of the exemplar buttons on an audit's page. QA's review of an
Inadequate grade is moderation's form (moderation/qa_review_forms.py).

Required-field messages are the services' own (audits/cycle/escalations.py), so a form and a service
refuse the same input with the same words.
"""

import django_filters
from django import forms

from quality.access import visible
from quality.org.models import ServiceArea

from ..filters import ANY
from ..models import Audit, Escalation, EscalationUpdate
from . import escalations

TEXT = forms.Textarea(attrs={"rows": 4})


class UpdateForm(forms.Form):
    """The service lead's update; only the steps open on this escalation are offered."""

    step = forms.ChoiceField(
        label="Which update",
        widget=forms.RadioSelect,
        error_messages={"required": escalations.STEP_REQUIRED, "invalid_choice": escalations.STEP_REQUIRED},
    )
    text = forms.CharField(
        label="Update",
        widget=TEXT,
        help_text="What has been done for the child, by whom, and what happens next. Case references only.",
        error_messages={"required": escalations.UPDATE_TEXT_REQUIRED},
    )

    def __init__(self, *args, escalation: Escalation, **kwargs):
        super().__init__(*args, **kwargs)
        steps = escalations.available_steps(escalation)
        self.fields["step"].choices = [(step, EscalationUpdate.Step(step).label) for step in steps]
        if steps:
            self.fields["step"].initial = steps[0]


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Why the escalation is closed",
        widget=TEXT,
        error_messages={"required": escalations.CLOSING_NOTE_REQUIRED},
    )


class ExemplarForm(forms.Form):
    note = forms.CharField(
        label="What makes this audit an example for practice forums",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": escalations.EXEMPLAR_NOTE_REQUIRED},
    )


class ExemplarUnmarkForm(forms.Form):
    reason = forms.CharField(
        label="Why it is no longer an exemplar",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": escalations.UNMARK_REASON_REQUIRED},
    )


def _areas(request):
    return visible(request.user, ServiceArea.objects.all())


class BoardFilter(django_filters.FilterSet):
    service_area = django_filters.ModelChoiceFilter(
        field_name="audit__service_area", queryset=_areas, label="Service area", empty_label=ANY
    )
    kind = django_filters.ChoiceFilter(choices=Escalation.Kind.choices, empty_label=ANY)
    late = django_filters.BooleanFilter(label="Late only", method="filter_late", widget=forms.CheckboxInput)

    class Meta:
        model = Escalation
        fields = ["service_area", "kind", "late"]

    def filter_late(self, queryset, name, value):
        return queryset.filter(is_late=True) if value else queryset


class ExemplarFilter(django_filters.FilterSet):
    service_area = django_filters.ModelChoiceFilter(queryset=_areas, label="Service area", empty_label=ANY)

    class Meta:
        model = Audit
        fields = ["service_area"]
