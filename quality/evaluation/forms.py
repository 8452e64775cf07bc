"""Forms of the evaluation pages: the period and what to look at (GET), and a rule's numbers (POST)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from quality.months import add_months, month_start
from quality.org.models import ServiceArea
from quality.reports.models import PracticeTheme, Report

from .rules import RULE_KINDS
from .triangulation import span_for

PERIOD_HELP = "A month (2026-10), a quarter (2026-Q3) or a year (2025)."


def last_whole_month() -> str:
    """The default period: the month before this one, the latest whose figures are all in."""
    return f"{add_months(month_start(timezone.localdate()), -1):%Y-%m}"


class PeriodForm(forms.Form):
    """A kind of period and its code; `span` in cleaned_data (quality.reports.figures' periods)."""

    kind = forms.ChoiceField(label="Kind of period", choices=Report.Kind.choices)
    period = forms.CharField(label="Period", max_length=7, help_text=PERIOD_HELP)

    @classmethod
    def defaults(cls) -> dict:
        return {"kind": Report.Kind.MONTHLY, "period": last_whole_month()}

    def clean(self):
        cleaned = super().clean()
        if "kind" in cleaned and "period" in cleaned:
            try:
                cleaned["span"] = span_for(cleaned["kind"], cleaned["period"])
            except ValueError as refused:
                self.add_error("period", str(refused))
        return cleaned


class AreaPeriodForm(PeriodForm):
    service_area = forms.ModelChoiceField(label="Service area", queryset=ServiceArea.objects.none())
    field_order = ["service_area", "kind", "period"]

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_area"].queryset = areas


class ThemePeriodForm(PeriodForm):
    theme = forms.ModelChoiceField(label="Practice theme", queryset=PracticeTheme.objects.filter(is_active=True))
    field_order = ["theme", "kind", "period"]


class RuleForm(forms.Form):
    """A rule's numbers (those its kind uses), on or off, and why."""

    # Their ranges are checked by the service (rules.triangulation_rule_update), one rule for every caller.
    threshold_pct = forms.IntegerField()
    threshold_count = forms.IntegerField()
    is_active = forms.BooleanField(label="On: flag this disagreement", required=False)
    reason = forms.CharField(
        label="Why you are changing it",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the change, with your name and the time.",
    )

    def __init__(self, *args, rule, **kwargs):
        kwargs.setdefault(
            "initial",
            {"threshold_pct": rule.threshold_pct, "threshold_count": rule.threshold_count, "is_active": rule.is_active},
        )
        super().__init__(*args, **kwargs)
        spec = RULE_KINDS[rule.kind]
        for name, label in (("threshold_pct", spec.pct_label), ("threshold_count", spec.count_label)):
            if label is None:
                del self.fields[name]
            else:
                self.fields[name].label = label

    def cleaned_values(self) -> dict:
        return {
            "threshold_pct": self.cleaned_data.get("threshold_pct"),
            "threshold_count": self.cleaned_data.get("threshold_count"),
            "is_active": self.cleaned_data["is_active"],
            "reason": self.cleaned_data["reason"],
        }
