"""The case list upload form and the case list's filters.

Filter choices of areas and teams come through the access rules, so a filter never names an area
or team the viewer could not otherwise see, and an id outside them is refused.
"""

import django_filters
from django import forms

from quality.access import visible
from quality.forms import written
from quality.org.models import ServiceArea, Team
from quality.security.checked_uploads import KeepsCheckedFile
from quality.tabular import checked_upload

from ..models import Case, LegalStatus

ANY = "Any"


class CaseUploadForm(KeepsCheckedFile):
    file = forms.FileField(
        label="Case list file",
        help_text="A CSV or Excel (.xlsx) file with the columns listed below.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"], what="a case list")  # 20,000 cases are ~2 MB as CSV


def _areas(request):
    return visible(request.user, ServiceArea.objects.all())


def _teams(request):
    return visible(request.user, Team.objects.select_related("service_area")).order_by("service_area__code", "name")


class CaseFilter(django_filters.FilterSet):
    child_ref = django_filters.CharFilter(lookup_expr="istartswith", label="Case reference starts with")
    service_area = django_filters.ModelChoiceFilter(queryset=_areas, label="Service area", empty_label=ANY)
    team = django_filters.ModelChoiceFilter(queryset=_teams, empty_label=ANY)
    legal_status = django_filters.ChoiceFilter(choices=LegalStatus.choices, label="Legal status", empty_label=ANY)
    is_open = django_filters.ChoiceFilter(
        choices=[("true", "Open"), ("false", "Closed")],
        method="filter_open",
        label="Open or closed",
        empty_label=ANY,
    )

    class Meta:
        model = Case
        fields = ["child_ref", "service_area", "team", "legal_status", "is_open"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Two areas may each have a team of the same name.
        self.form.fields["team"].label_from_instance = lambda team: written(f"{team.name} ({team.service_area.code})")

    def filter_open(self, queryset, name, value):
        return queryset.filter(is_open=value == "true") if value else queryset
