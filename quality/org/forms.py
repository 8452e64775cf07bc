from django import forms
from django.core.exceptions import ValidationError

from quality.forms import written
from quality.idempotency import CreateOnceForm

from .messages import REASON_REQUIRED
from .models import AccessReviewDecision, Role, ServiceArea, Team


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
    team = forms.ModelChoiceField(queryset=Team.objects.select_related("service_area"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired areas are listed (marked) so that choosing one gets a clear message, not a silent gap.
        self.fields["service_area"].label_from_instance = lambda a: written(a if a.is_active else f"{a} (retired)")
        self.fields["team"].label_from_instance = lambda t: written(f"{t.service_area.code}: {t.name}")


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
