from django import forms
from django.core.exceptions import ValidationError

from quality.forms import written, written_choices
from quality.idempotency import CreateOnceForm

from .messages import REASON_REQUIRED
from .models import AccessReviewDecision, Role, ServiceArea, Team

TEAM_AREA_FIRST = "Choose the service area first"


def teams_of_chosen_area(form: forms.Form, url: str) -> None:
    """Offer in `form`'s team field only the active teams of the service area chosen in it (posted, or
    its initial value), none before an area is chosen: the council has dozens of teams. Choosing an
    area asks `url` (the form's page, with ?service_area=) for the form again, of which htmx takes the
    team field. The field's queryset stays as it is, so that a team of another area, posted anyway,
    reaches the service, which refuses it next to the field (TEAM_OUTSIDE_AREA)."""
    chosen = form.data.get(form.add_prefix("service_area")) if form.is_bound else form.initial.get("service_area")
    chosen = str(getattr(chosen, "pk", chosen) or "")
    if chosen.isdigit():
        teams = Team.objects.filter(is_active=True, service_area_id=int(chosen)).order_by("name")
        form.fields["team"].choices = [("", "No team"), *written_choices((team.pk, team.name) for team in teams)]
    else:
        form.fields["team"].choices = [("", TEAM_AREA_FIRST)]
    team_id = f"#div_{form['team'].auto_id}"  # crispy's wrapper of the team field: its label, list and help
    form.fields["service_area"].widget.attrs.update(
        {"hx-get": url, "hx-trigger": "change", "hx-select": team_id, "hx-target": team_id, "hx-swap": "outerHTML"}
    )


class ServiceAreaForm(forms.Form):
    code = forms.CharField(label="Short code", max_length=16, help_text="Letters, digits, & or -, for example SWF.")
    name = forms.CharField(max_length=120)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not all(ch.isalnum() or ch in "&-" for ch in code):
            raise ValidationError("Use only letters, digits, & or - in the short code.")
        return code


class NewServiceAreaForm(CreateOnceForm, ServiceAreaForm):
    """Creates an area once per render (a double click makes one area)."""


class ServiceAreaEditForm(ServiceAreaForm):
    reason = forms.CharField(required=False, help_text="Why the name or code changes, for example a restructure.")


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": REASON_REQUIRED})


class RetireForm(ReasonForm):
    successor = forms.ModelChoiceField(
        queryset=ServiceArea.objects.none(),
        required=False,
        label="Merge into (optional)",
        help_text="The active service area that takes over this area's work.",
    )

    def __init__(self, *args, area: ServiceArea, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = ServiceArea.objects.filter(is_active=True).exclude(pk=area.pk)


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)


class NewTeamForm(CreateOnceForm, TeamForm):
    """Creates a team once per render."""


class TeamEditForm(TeamForm):
    is_active = forms.BooleanField(label="Team is open", required=False)


class PersonForm(forms.Form):
    full_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail address", help_text="Also their log-in name.")
    job_title = forms.CharField(max_length=150, required=False)
    organisation = forms.CharField(max_length=150, required=False, help_text="Only for partner agencies.")


class NewPersonForm(CreateOnceForm, PersonForm):
    """Adds a person once per render."""


class MembershipForm(CreateOnceForm):
    """Grants a role, once per render."""

    role = forms.ChoiceField(choices=[("", "Choose a role")] + Role.choices)
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.all(),
        required=False,
        help_text="Needed for practitioners, practice managers and service leads; "
        "QA, heads of service, senior leaders, administrators and readers see every area.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, help_text="For an area's role: one of that area's teams."
    )

    def __init__(self, *args, teams_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired areas are listed (marked) so that choosing one gets a clear message, not a silent gap.
        self.fields["service_area"].label_from_instance = lambda a: written(a if a.is_active else f"{a} (retired)")
        teams_of_chosen_area(self, teams_url)


class PersonSearchForm(forms.Form):
    q = forms.CharField(label="Search by name or e-mail", required=False)


class AccessReviewFilterForm(forms.Form):
    unused = forms.BooleanField(
        label="Unused accounts only", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[("", "Any role"), *Role.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    area = forms.ModelChoiceField(
        label="Service area",
        queryset=ServiceArea.objects.filter(is_active=True),
        required=False,
        empty_label="Any area",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].label_from_instance = lambda area: written(str(area))


class AccessReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=AccessReviewDecision.Decision.choices)
    reason = forms.CharField(required=False, max_length=500)
    # The review's filters, to come back to the same list after the decision.
    filters = forms.CharField(required=False, max_length=500)
