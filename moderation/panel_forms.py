"""Forms of the panel pages: plan a panel, draw its sample, add an audit by hand, record a decision."""

from django import forms

from audits.models import AnalysisArea, Audit, Grade
from quality.forms import EnglishDateField, written

from . import panels
from .models import ModerationDecision, Panel

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CHOOSE_GRADE = [("", "Choose a grade")]
NOT_GRADED = [("", "Not graded")]


def _entry_label(entry) -> str:
    times = f", {entry.starts_at:%H:%M} to {entry.ends_at:%H:%M}" if entry.starts_at and entry.ends_at else ""
    return written(f"{entry.starts_on:%A %-d %B %Y}{times}: {entry.title}")


class PanelForm(forms.Form):
    schedule_entry = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Panel date from the schedule",
        empty_label="Not on the schedule: give the date below",
        help_text="The schedule's moderation panel dates not yet taken by a panel.",
    )
    held_on = EnglishDateField(label="Date", required=False, help_text="Leave empty to take the schedule's date.")
    starts_at = forms.TimeField(label="Starts at", required=False, widget=TIME_INPUT)
    ends_at = forms.TimeField(label="Ends at", required=False, widget=TIME_INPUT)
    kind = forms.ChoiceField(choices=Panel.Kind.choices, initial=Panel.Kind.MONTHLY)
    members = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Moderators, QA officers and QA leads.",
    )
    blind = forms.BooleanField(
        label="Blind moderation",
        required=False,
        help_text="Hide the auditor's grades from the panel until it has recorded its own. "
        "Each audit in the sample can also be made blind or not on its own.",
    )

    def __init__(self, *args, panel: Panel | None = None, **kwargs):
        if panel is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "schedule_entry": panel.schedule_entry_id,
                "held_on": panel.held_on,
                "starts_at": panel.starts_at,
                "ends_at": panel.ends_at,
                "kind": panel.kind,
                "members": [m.pk for m in panel.members.all()],
                "blind": panel.blind,
            }
        super().__init__(*args, **kwargs)
        self.fields["schedule_entry"].queryset = panels.panel_entries(keep=panel.schedule_entry if panel else None)
        self.fields["schedule_entry"].label_from_instance = _entry_label
        self.fields["members"].queryset = panels.eligible_members()
        self.fields["members"].label_from_instance = lambda p: written(
            f"{p.full_name}, {p.job_title}" if p.job_title else p.full_name
        )


class DrawForm(forms.Form):
    size = forms.IntegerField(
        label="Number of audits drawn at random",
        required=False,
        min_value=1,
        help_text="Give this or a share, not both. Inadequate and disputed audits are added to it.",
    )
    share = forms.IntegerField(
        label="Or a share of the pool (%)",
        required=False,
        min_value=1,
        max_value=100,
        help_text="Rounded up: any share of a pool draws at least one audit.",
    )
    sample_from = EnglishDateField(
        label="Audits submitted from",
        required=False,
        help_text="By default from the previous panel (from when its sample was drawn, if earlier).",
    )
    seed = forms.IntegerField(
        label="Draw number (to repeat an earlier draw)",
        required=False,
        min_value=0,
        max_value=2**62,
        help_text="Leave empty for a new draw. Each draw's number is kept with the panel, so that the same "
        "draw can be made again to check it.",
    )


def _audit_label(audit: Audit) -> str:
    submitted = f"{audit.submitted_at:%-d %b %Y}" if audit.submitted_at else "not submitted"
    return written(
        f"Case {audit.case_reference} ({audit.service_area.code}), audit {audit.pk}: auditor's grade "
        f"{audit.get_overall_grade_display()}, submitted {submitted}"
    )


class SampleAddForm(forms.Form):
    audit = forms.ModelChoiceField(queryset=None, label="Audit to add", empty_label="Choose an audit")
    reason = forms.CharField(
        label="Why add it",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": panels.REASON_REQUIRED},
    )

    def __init__(self, *args, panel: Panel, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["audit"].queryset = panels.addable_audits(panel)
        self.fields["audit"].label_from_instance = _audit_label


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label="Why take it out",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": panels.REASON_REQUIRED},
    )


def area_field(area: str) -> str:
    return f"area_{area}"


class DecisionForm(forms.Form):
    """The panel's grades for one audit: overall and each of the seven areas, with the rationale."""

    moderated_grade = forms.ChoiceField(
        label="Panel's moderated grade: overall",
        choices=CHOOSE_GRADE + Grade.choices,
        error_messages={"required": panels.GRADE_REQUIRED},
    )
    rationale = forms.CharField(
        label="Rationale",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the panel gives this grade. The auditor and the service lead read it.",
        error_messages={"required": panels.RATIONALE_REQUIRED},
    )
    feedback = forms.CharField(
        label="Feedback to the auditor",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, graded_areas: set[str], decision: ModerationDecision | None = None, **kwargs):
        if decision is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "moderated_grade": decision.moderated_grade,
                "rationale": decision.rationale,
                "feedback": decision.feedback,
                **{area_field(g.area): g.moderated_grade for g in decision.area_grades.all()},
            }
        super().__init__(*args, **kwargs)
        area_fields = {}
        for area in AnalysisArea:
            graded = area.value in graded_areas
            area_fields[area_field(area.value)] = forms.ChoiceField(
                label=f"Panel's grade: {area.label.lower()}",
                choices=(CHOOSE_GRADE if graded else NOT_GRADED) + Grade.choices,
                required=graded,
                error_messages={"required": panels.AREA_GRADE_REQUIRED},
                help_text="" if graded else "The auditor did not grade this area.",
            )
        # The overall grade first, then the seven areas, then the words.
        self.fields = {"moderated_grade": self.fields["moderated_grade"], **area_fields} | {
            name: self.fields[name] for name in ("rationale", "feedback")
        }

    def area_grades(self) -> dict[str, str]:
        return {area: self.cleaned_data.get(area_field(area)) or "" for area in AnalysisArea.values}


class BlindForm(forms.Form):
    blind = forms.BooleanField(required=False)
