"""The log's forms: typing an entry in, changing one (with the reason), uploading the complaints system's
export, and the list's filters. The rules live in services.py and imports.py; call_service puts a
refusal next to the field it is about.

Area and team choices come through the access rules, so a filter never names an area or team the
viewer could not otherwise see, and an id outside them is refused.
"""

import django_filters
from django import forms
from django.db.models import Q

from audits.filters import ANY, ListFilters
from quality.access import visible
from quality.forms import EnglishDateField, EnglishDateFilter, written
from quality.idempotency import CreateOnceForm
from quality.org.models import ServiceArea, Team
from quality.security.checked_uploads import KeepsCheckedFile
from quality.tabular import checked_upload

from .models import REFERENCE_HELP, REFERENCE_MAX_LENGTH, Entry, Kind, Outcome, Theme
from .services import FIELDS

PERIOD_REVERSED = "The period ends before it starts: 'Received to' must be on or after 'Received from'."


def _team_label(team: Team) -> str:
    return written(f"{team.name} ({team.service_area.code})")  # two areas may each have a team of one name


class EntryForm(CreateOnceForm):
    received_on = EnglishDateField(label="Received", help_text="The day the complaint or compliment was received.")
    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.RadioSelect)
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.none(), label="Service area")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="No team (or not known)",
        help_text="A team of that area.",
    )
    theme = forms.ChoiceField(choices=[("", "Choose a theme"), *Theme.choices], help_text="What it is mainly about.")
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        help_text="A complaint's outcome, or Open while it is investigated; for a compliment, Not applicable.",
    )
    learning = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        help_text="What the service learnt or will change. No names of children or families.",
    )
    source_reference = forms.CharField(
        label="Complaints system reference", max_length=REFERENCE_MAX_LENGTH, required=False, help_text=REFERENCE_HELP
    )

    def __init__(self, *args, entry: Entry | None = None, **kwargs):
        if entry is not None:
            kwargs["initial"] = {
                **{name: getattr(entry, name) for name in FIELDS},
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        # Active areas and open teams, and the ones the entry already names (so saving keeps them).
        area_kept = Q(pk=entry.service_area_id) if entry is not None else Q(pk__in=[])
        team_kept = Q(pk=entry.team_id) if entry is not None and entry.team_id else Q(pk__in=[])
        self.fields["service_area"].queryset = ServiceArea.objects.filter(Q(is_active=True) | area_kept).order_by(
            "name"
        )
        self.fields["team"].queryset = (
            Team.objects.filter(Q(is_active=True) | team_kept)
            .select_related("service_area")
            .order_by("service_area__code", "name")
        )
        self.fields["team"].label_from_instance = _team_label


class EntryEditForm(EntryForm):
    reason = forms.CharField(
        label="Why are you changing it?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        help_text="Kept in the change history, with your name and the time.",
    )


class EntryUploadForm(KeepsCheckedFile):
    file = forms.FileField(
        label="Complaints system export",
        help_text="A CSV or Excel (.xlsx) file with the columns listed below.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"], what="a complaints export")


def _areas(request):
    return visible(request.user, ServiceArea.objects.only("name", "code"))


def _teams(request):
    teams = Team.objects.select_related("service_area").only("name", "service_area__code")
    return visible(request.user, teams).order_by("service_area__code", "name")


class _PeriodForm(forms.Form):
    """The filters' form: a period whose end comes before its start is refused, not read as empty."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and end < start:
            raise forms.ValidationError(PERIOD_REVERSED)
        return cleaned


class EntryFilter(ListFilters):
    received_from = EnglishDateFilter(field_name="received_on", lookup_expr="gte", label="Received from")
    received_to = EnglishDateFilter(field_name="received_on", lookup_expr="lte", label="Received to")
    service_area = django_filters.ModelChoiceFilter(queryset=_areas, label="Service area", empty_label=ANY)
    team = django_filters.ModelChoiceFilter(queryset=_teams, empty_label=ANY)
    kind = django_filters.ChoiceFilter(choices=Kind.choices, empty_label=ANY)
    theme = django_filters.ChoiceFilter(choices=Theme.choices, empty_label=ANY)
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, empty_label=ANY)

    class Meta:
        model = Entry
        fields = ["received_from", "received_to", "service_area", "team", "kind", "theme", "outcome"]
        form = _PeriodForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["team"].label_from_instance = _team_label
