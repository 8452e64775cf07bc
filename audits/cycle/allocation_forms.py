"""Forms of the allocation review page: remove, add or swap a case (each with a reason), distribute.

Each item's forms carry a prefix with the item's id, so one page holds a form per item and a
refused one comes back filled in, with its message next to the field, in the item's own row.
"""

from django import forms

from quality.forms import written
from quality.org.messages import REASON_REQUIRED
from quality.org.models import Membership

from ..models import AllocationItem, Case
from .allocation import CASE_UNKNOWN, active_manager_memberships

REASON_MAX = 300
CASE_REQUIRED = "Give the case's reference from the case list."
CONFIRM_REQUIRED = "Tick the box to confirm that the allocation has been reviewed."


def _reason_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=REASON_MAX, error_messages={"required": REASON_REQUIRED})


class CaseReferenceField(forms.CharField):
    """A case of the case list, typed as its reference (the list is too long to choose from)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": CASE_REQUIRED})
        super().__init__(max_length=32, **kwargs)

    def clean(self, value):
        reference = super().clean(value).strip()
        case = Case.objects.select_related("service_area").filter(child_ref__iexact=reference).first()
        if case is None:
            raise forms.ValidationError(CASE_UNKNOWN)
        return case


class ItemRemoveForm(forms.Form):
    reason = forms.CharField()

    def __init__(self, *args, item: AllocationItem, **kwargs):
        super().__init__(*args, prefix=f"remove-{item.pk}", **kwargs)
        self.fields["reason"] = _reason_field(written(f"Why remove case {item.case.child_ref}"))


class ItemSwapForm(forms.Form):
    case = forms.CharField()
    reason = forms.CharField()

    def __init__(self, *args, item: AllocationItem, **kwargs):
        super().__init__(*args, prefix=f"swap-{item.pk}", **kwargs)
        reference = item.case.child_ref
        self.fields["case"] = CaseReferenceField(
            label=written(f"Case to audit instead of {reference}"),
            help_text=written(f"A case reference from {item.case.service_area.code}'s case list."),
        )
        self.fields["reason"] = _reason_field(written(f"Why swap case {reference}"))


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, membership: Membership) -> str:
        return written(f"{membership.person.full_name} ({membership.service_area.code})")


class ItemAddForm(forms.Form):
    auditor = ManagerChoiceField(
        label="Auditor",
        queryset=Membership.objects.none(),
        empty_label="Choose a practice manager",
        error_messages={"required": "Choose the practice manager who audits the case."},
    )
    case = CaseReferenceField(label="Case reference", help_text="From the case list, for example C-104233.")
    reason = _reason_field("Why add this case")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["auditor"].queryset = active_manager_memberships()


class DistributeForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have reviewed this allocation: create the audits and tell each auditor their cases.",
        error_messages={"required": CONFIRM_REQUIRED},
    )
