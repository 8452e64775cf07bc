"""Forms of the audit schedule pages. The rules live in audits.cycle.schedule's services; these forms only
read what people typed, and call_service puts a service's refusal next to the field it is about."""

from django import forms
from django.db.models import Q

from quality.forms import EnglishDateField
from quality.idempotency import CreateOnceForm
from quality.org.models import ServiceArea

from ..models import Audit, LegalStatus, ScheduleEntry
from .schedule import STARTS_ON_REQUIRED, TITLE_REQUIRED

ANY_KIND = "Every kind"
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ScheduleEntryForm(CreateOnceForm):
    kind = forms.ChoiceField(choices=ScheduleEntry.Kind.choices)
    title = forms.CharField(
        max_length=200, help_text="For example 'Neglect audits'.", error_messages={"required": TITLE_REQUIRED}
    )
    starts_on = EnglishDateField(
        label="Date", help_text="The first day.", error_messages={"required": STARTS_ON_REQUIRED}
    )
    ends_on = EnglishDateField(label="Last day", required=False, help_text="Leave empty for a single day.")
    starts_at = forms.TimeField(
        label="Start time", widget=TIME_WIDGET, required=False, help_text="For a meeting such as a panel."
    )
    ends_at = forms.TimeField(label="End time", widget=TIME_WIDGET, required=False)
    audit_kind = forms.ChoiceField(
        label="Applies to",
        choices=[("", "No audits")] + Audit.Kind.choices,
        required=False,
        help_text="Which audits a theme applies to.",
    )
    completed_by = forms.CharField(
        max_length=300, required=False, help_text="Who completes it, as the schedule says (for example 'QA unit')."
    )
    service_areas = forms.ModelMultipleChoiceField(
        queryset=ServiceArea.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked for every area.",
    )
    legal_statuses = forms.MultipleChoiceField(
        label="Cases to prefer when allocating (a theme)",
        choices=LegalStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    prefers_disability = forms.BooleanField(label="Prefer cases of children with a disability", required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, entry: ScheduleEntry | None = None, **kwargs):
        if entry is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"] = {
                **{name: getattr(entry, name) for name in self.base_fields if name != "service_areas"},
                "service_areas": list(entry.service_areas.all()),
                **kwargs["initial"],
            }
        super().__init__(*args, **kwargs)
        # Active areas, and any retired one the entry already names (so saving keeps it).
        named = Q(pk__in=entry.service_areas.values("pk")) if entry is not None and entry.pk else Q(pk__in=[])
        self.fields["service_areas"].queryset = ServiceArea.objects.filter(Q(is_active=True) | named).order_by("name")


class ScheduleFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Show",
        choices=[("", ANY_KIND)] + ScheduleEntry.Kind.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class EntryDeleteForm(forms.Form):
    reason = forms.CharField(
        label="Why remove it (optional)", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=500
    )
