"""Forms of the catalogue and load pages. Numbers in the target and comparator fields are read by
the same rules as the catalogue file (performance.catalogue.parse_*), so '90%', 'TBC' and 'Local'
mean the same typed on a page as in a file."""

from django import forms

from quality.org.models import Person, ServiceArea
from quality.security.checked_uploads import KeepsCheckedFile
from quality.tabular import checked_upload

from . import catalogue
from .codes import CODE_MAX_LENGTH
from .models import Indicator

YEARS_BACK, YEARS_AHEAD = 3, 1


def year_choices() -> list[tuple[int, str]]:
    current = catalogue.current_reporting_year()
    return [
        (year, f"{catalogue.year_label(year)} (April {year} to March {year + 1})")
        for year in range(current + YEARS_AHEAD, current - YEARS_BACK - 1, -1)
    ]


class CatalogueUploadForm(KeepsCheckedFile):
    file = forms.FileField(
        label="Catalogue file",
        help_text="A CSV or Excel (.xlsx) file with the columns listed below, one indicator per row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    year = forms.TypedChoiceField(
        label="Reporting year of the targets and comparators",
        coerce=int,
        help_text="The file's targets and comparators are saved for this year only; other years keep theirs.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()
        self.fields["year"].initial = catalogue.current_reporting_year()

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"], what="a catalogue or a month's values")


class ValuesUploadForm(KeepsCheckedFile):
    file = forms.FileField(
        label="Values file",
        help_text="A CSV or Excel (.xlsx) file with the columns listed below, one figure per row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"], what="a catalogue or a month's values")


class IndicatorForm(forms.Form):
    title = forms.CharField(max_length=300)
    priority_area = forms.CharField(
        max_length=200, help_text="The scorecard's heading, for example 'Right service at the right time'."
    )
    unit = forms.ChoiceField(choices=Indicator.Unit.choices)
    polarity = forms.ChoiceField(choices=Indicator.Polarity.choices, help_text="Which direction is better.")
    cumulative = forms.BooleanField(
        required=False, label="Cumulative: the monthly figure accumulates over the financial year (April to March)"
    )
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Outcome statement")
    lead_officer = forms.CharField(max_length=150, required=False, help_text="As printed on the scorecard.")
    accountable_officer = forms.CharField(max_length=150, required=False)
    lead = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        label="Commentary lead in the portal",
        help_text="The person who writes this indicator's monthly commentary. "
        "Left empty, the portal links the lead officer by name when it can.",
    )
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.none(), required=False)
    display_order = forms.IntegerField(min_value=0, label="Order on the scorecard", initial=0)
    is_active = forms.BooleanField(required=False, initial=True, label="Shown on the scorecard")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = Person.objects.filter(user__is_active=True).order_by("full_name")
        self.fields["service_area"].queryset = ServiceArea.objects.filter(is_active=True).order_by("code")

    @staticmethod
    def initial_for(indicator: Indicator) -> dict:
        return {name: getattr(indicator, name) for name in catalogue.EDITABLE_FIELDS}


class IndicatorCreateForm(IndicatorForm):
    code = forms.CharField(
        max_length=CODE_MAX_LENGTH,
        help_text="As the scorecard writes it, e.g. M1, EH3a% or M6-QL (val). Values files may give it in any "
        "case and spacing.",
    )
    field_order = ["code"]


class IndicatorYearForm(forms.Form):
    """One reporting year's target and comparators, typed as in the catalogue file."""

    target = forms.CharField(
        required=False, max_length=40, help_text="A number (90 or 90% for a percentage), or blank, N/A, TBC, Not set."
    )
    target_note = forms.CharField(required=False, max_length=300, help_text="Context, or why there is no target.")
    amber_tolerance = forms.CharField(
        required=False,
        max_length=40,
        help_text="How far the value may miss the target and still be amber, in the indicator's unit. "
        "Empty for the default (5 points for a percentage, 10% of the target for a count or a rate).",
    )
    previous_year = forms.CharField(required=False, max_length=40, label="Previous year (own figure)")
    statistical_neighbours = forms.CharField(required=False, max_length=40)
    south_east = forms.CharField(required=False, max_length=40, label="South East")
    england = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, unit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        for name in catalogue.COMPARATORS:
            self.fields[name].help_text = "A number, or blank, N/A or Local when not available."

    @staticmethod
    def initial_for(item) -> dict:
        if item is None:
            return {}
        initial = {
            "target": catalogue.comparator_shown(item.target, ""),
            "target_note": item.target_note,
            "amber_tolerance": catalogue.comparator_shown(item.amber_tolerance, ""),
        }
        for name in catalogue.COMPARATORS:
            initial[name] = catalogue.comparator_shown(getattr(item, name), item.comparator_notes.get(name, ""))
        return initial

    def _parse(self, name, parser):
        try:
            return parser(self.cleaned_data.get(name, ""), self.unit)
        except ValueError as error:
            reason = str(error)
            self.add_error(name, reason[:1].upper() + reason[1:] + ".")
            return None

    def clean(self):
        cleaned = super().clean()
        values: dict = {}
        target = self._parse("target", catalogue.parse_target)
        if target is not None:
            values["target"] = target[0]
            values["target_note"] = catalogue.target_note_from(target[1], cleaned.get("target_note", ""))
            if len(values["target_note"]) > catalogue.TARGET_NOTE_LIMIT:
                self.add_error("target_note", f"Keep the note under {catalogue.TARGET_NOTE_LIMIT} characters.")
        values["amber_tolerance"] = self._parse("amber_tolerance", catalogue.parse_tolerance)
        notes = {}
        for name in catalogue.COMPARATORS:
            parsed = self._parse(name, catalogue.parse_comparator)
            if parsed is not None:
                values[name] = parsed[0]
                if parsed[1]:
                    notes[name] = parsed[1]
        values["comparator_notes"] = notes
        self.values = values
        return cleaned
