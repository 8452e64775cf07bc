"""The survey forms: the QA unit's (a survey, its links, the list's filters) and the public answer form.

The public form is the audits' answer form (one field per question of a tool version, named q-<key>,
grouped by section), with the questions marked required enforced: a response is final once sent.
"""

import django_filters
from django import forms

from audits.filters import ANY, ListFilters
from audits.forms import answer_form
from audits.models import AuditTool, ToolVersion
from moderation.outcome_forms import Period, PeriodField
from quality.access import visible
from quality.forms import EnglishDateField, EnglishDateFilter, written
from quality.idempotency import CreateOnceForm
from quality.org.models import ServiceArea

from .messages import ANSWER_NEEDED, OPEN_TO_BEFORE_FROM, PERIOD_AND_DATES
from .models import Survey
from .services import MOST_LINKS_AT_ONCE

EVERY_AREA = "Every area (surveys of no one area)"


class SurveyForm(CreateOnceForm):
    """Opening a survey: each render posts once (quality.idempotency), so a double click opens one survey."""

    title = forms.CharField(max_length=150, help_text=Survey._meta.get_field("title").help_text)
    tool_version = forms.ModelChoiceField(
        label="Survey tool",
        queryset=ToolVersion.objects.filter(
            state=ToolVersion.State.PUBLISHED, tool__purpose=AuditTool.Purpose.SURVEY
        ).select_related("tool"),
        help_text="The published version of a survey tool (Tools: purpose 'Survey').",
    )
    audience = forms.ChoiceField(choices=Survey.Audience.choices, widget=forms.RadioSelect)
    easy_read = forms.BooleanField(
        label="Use the easy-read layout", required=False, help_text=Survey._meta.get_field("easy_read").help_text
    )
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.filter(is_active=True),
        required=False,
        empty_label="Every area",
        help_text=Survey._meta.get_field("service_area").help_text,
    )
    opens_on = EnglishDateField(label="Opens on")
    closes_on = EnglishDateField(label="Closes on")


class LinksForm(forms.Form):
    count = forms.IntegerField(
        label="Links about no particular case",
        min_value=0,
        max_value=MOST_LINKS_AT_ONCE,
        initial=0,
        required=False,
        help_text="How many links to make that are not about a case.",
    )
    case_references = forms.CharField(
        label="Case references",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One case reference a line: one link about each. Never a name.",
    )


def response_form(version: ToolVersion, data=None) -> forms.Form:
    form = answer_form(version.sections.prefetch_related("questions"), data=data)
    for _section, items in form.sections:
        for question, _ in items:
            field = form.fields[f"q-{question.key}"]
            field.required = question.required
            field.error_messages["required"] = ANSWER_NEEDED
    return form


def _areas(request):
    return visible(request.user, ServiceArea.objects.only("name", "code")).order_by("code")


class OpenInPeriodFilter(django_filters.Filter):
    """Surveys whose window (opens on to closes on) shares at least a day with the period."""

    field_class = PeriodField

    def filter(self, queryset, value: Period | None):
        return queryset.filter(opens_on__lte=value.end, closes_on__gte=value.start) if value else queryset


class _SurveyFilterForm(forms.Form):
    """A period or a from / to range, not both; a range that ends before it starts is refused beside 'Open to'."""

    def clean(self):
        cleaned = super().clean()
        period, start, end = cleaned.get("period"), cleaned.get("open_from"), cleaned.get("open_to")
        if period and (start or end):
            self.add_error("period", forms.ValidationError(PERIOD_AND_DATES, code="both"))
        elif start and end and end < start:
            self.add_error("open_to", forms.ValidationError(OPEN_TO_BEFORE_FROM, code="backwards"))
        return cleaned


class SurveyFilter(ListFilters):
    """The survey list's filters: the area (or the surveys of every area) and a period the window overlaps."""

    service_area = django_filters.ModelChoiceFilter(
        queryset=_areas, label="Service area", empty_label=ANY, null_label=EVERY_AREA
    )
    period = OpenInPeriodFilter(
        label="Period", help_text="A month (2026-11), a quarter (2026-Q4) or a year (2026): surveys open in it."
    )
    # A window overlaps from / to when it closes on or after 'from' and opens on or before 'to'.
    open_from = EnglishDateFilter(field_name="closes_on", lookup_expr="gte", label="Open from")
    open_to = EnglishDateFilter(field_name="opens_on", lookup_expr="lte", label="Open to")

    class Meta:
        model = Survey
        fields = ["service_area", "period", "open_from", "open_to"]
        form = _SurveyFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["service_area"].label_from_instance = lambda area: written(f"{area.code}: {area.name}")
