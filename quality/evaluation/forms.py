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


# ---------------------------------------------------------------------------------------
# The self-evaluation


class StartForm(forms.Form):
    year = forms.IntegerField(
        label="Year", min_value=2000, max_value=2100, help_text="The calendar year the self-evaluation looks back on."
    )


AREA_KEY, PRIORITY_KEY = "area", "priority"


def section_choices(headings) -> list[tuple[str, str]]:
    """A choice per section heading (self_evaluation.section_headings): 'area-<id>' or 'priority-<name>'."""
    return [
        (f"{AREA_KEY}-{area.pk}", f"Service area: {area.name}")
        if area
        else (f"{PRIORITY_KEY}-{name}", f"Priority area: {name}")
        for area, name in headings
    ]


class StatementForm(forms.Form):
    """A statement's text; a new one also says which chapter and section it is in."""

    question = forms.TypedChoiceField(label="Chapter", coerce=int)
    section = forms.ChoiceField(label="Section")
    text = forms.CharField(
        label="Statement",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text. Leave a blank line between paragraphs. Cite the evidence once it is saved.",
    )

    def __init__(self, *args, headings=None, **kwargs):
        super().__init__(*args, **kwargs)
        if headings is None:  # an existing statement: its section stays
            del self.fields["question"], self.fields["section"]
            return
        from .models import Question

        self.fields["question"].choices = [(q.value, f"{q.value}. {q.label}") for q in Question]
        self.fields["section"].choices = section_choices(headings)
        self.areas = {area.pk: area for area, _ in headings if area}

    def placement(self) -> dict:
        """The service's section arguments from the chosen section."""
        key, _, value = self.cleaned_data["section"].partition("-")
        if key == AREA_KEY:
            return {"question": self.cleaned_data["question"], "service_area": self.areas[int(value)]}
        return {"question": self.cleaned_data["question"], "priority_area": value}


MONTH_HELP = "A month, e.g. 2026-10."
FOR_KIND = "Choose this for {kind}."


class CitationForm(forms.Form):
    """What to cite: the kind of evidence and the fields that kind needs (the others are ignored).
    `source` in cleaned_data is what quality.evaluation.citations computes it from."""

    kind = forms.ChoiceField(label="Kind of evidence", widget=forms.RadioSelect)
    service_area = forms.ModelChoiceField(
        label="Service area",
        queryset=ServiceArea.objects.none(),
        required=False,
        help_text="For a figure, a chart or a KPI month.",
    )
    figure = forms.ChoiceField(label="Figure", required=False, help_text="For a figure.")
    theme = forms.ModelChoiceField(
        label="Practice theme",
        queryset=PracticeTheme.objects.filter(is_active=True),
        required=False,
        help_text="For a practice theme.",
    )
    period_kind = forms.ChoiceField(label="Kind of period", choices=Report.Kind.choices, required=False)
    period = forms.CharField(
        label="Period", max_length=7, required=False, help_text=f"For a figure, a chart or a theme. {PERIOD_HELP}"
    )
    audit = forms.IntegerField(
        label="Audit number", min_value=1, required=False, help_text="For an audit: its number in the portal."
    )
    survey = forms.ModelChoiceField(label="Survey", queryset=None, required=False, help_text="For a survey result.")
    indicator = forms.ModelChoiceField(label="KPI", queryset=None, required=False, help_text="For a KPI month.")
    month = forms.CharField(label="Month", max_length=7, required=False, help_text=f"For a KPI month. {MONTH_HELP}")

    NEEDS = {
        "figure": ("service_area", "figure", "period_kind", "period"),
        "chart": ("service_area", "period_kind", "period"),
        "theme": ("theme", "period_kind", "period"),
        "audit": ("audit",),
        "survey": ("survey",),
        "kpi": ("indicator", "service_area", "month"),
    }

    def __init__(self, *args, areas, audits, surveys, indicators, **kwargs):
        from .citations import FIGURE_CHOICES
        from .models import Citation

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Citation.Kind.choices
        self.fields["service_area"].queryset = areas
        self.fields["figure"].choices = [("", "Choose a figure"), *FIGURE_CHOICES]
        self.fields["survey"].queryset = surveys
        self.fields["indicator"].queryset = indicators
        self.audits = audits

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind is None:
            return cleaned
        needed = self.NEEDS[kind]
        for name in needed:
            if cleaned.get(name) in (None, ""):
                self.add_error(name, f"{self.fields[name].label}: needed for this kind of evidence.")
        if self.errors:
            return cleaned
        self._check_values(cleaned, needed)
        if self.errors:
            return cleaned
        cleaned["source"] = {SOURCE_KEYS.get(name, name): _source_value(cleaned[name]) for name in needed}
        return cleaned

    def _check_values(self, cleaned: dict, needed: tuple[str, ...]) -> None:
        """A period, a month and an audit as the citation needs them, else an error next to each."""
        if "period" in needed:
            try:
                span_for(cleaned["period_kind"], cleaned["period"].strip())
            except ValueError as refused:
                self.add_error("period", str(refused))
        if "month" in needed and _month(cleaned["month"]) is None:
            self.add_error("month", "Give a month as a year and a month, e.g. 2026-10.")
        if "audit" in needed and not self.audits.filter(pk=cleaned["audit"]).exists():
            self.add_error("audit", "There is no audit with this number that you may see.")


SOURCE_KEYS = {"service_area": "area", "period_kind": "kind"}  # a field's key in a citation's source


def _source_value(value):
    """A chosen row by its id, a typed text without its spaces."""
    if hasattr(value, "pk"):
        return value.pk
    return value.strip() if isinstance(value, str) else value


def _month(text: str):
    from datetime import date

    try:
        return date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        return None


class CommentForm(forms.Form):
    text = forms.CharField(label="Your comment", widget=forms.Textarea(attrs={"rows": 4}))
    statement = forms.ModelChoiceField(
        label="About",
        queryset=None,
        required=False,
        empty_label="The whole draft",
        help_text="A statement by its number, or the whole draft.",
    )

    def __init__(self, *args, statements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statement"].queryset = statements
        self.fields["statement"].label_from_instance = statement_choice_label


def statement_choice_label(statement) -> str:
    section = statement.service_area.name if statement.service_area else statement.priority_area
    opening = statement.text if len(statement.text) <= 60 else f"{statement.text[:60]}…"
    return f"Chapter {statement.question}, {section}: {opening}"


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}))


class SignOffForm(forms.Form):
    note = forms.CharField(
        label="Note with the sign-off (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
