"""Forms of the report pages: generate on demand, edit a draft, correct a published report, subscribe."""

from __future__ import annotations

from django import forms

from .models import Highlight, ImprovementProgress, PracticeTheme, Report
from .services import CORRECTION_REASON_REQUIRED, PointChange

PERIOD_HELP = (
    "A month (2026-10), a quarter (2026-Q3) or a year (2025). An annual report of this year covers it to date."
)


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of report", choices=Report.Kind.choices)
    period = forms.CharField(label="Period", max_length=7, help_text=PERIOD_HELP)


class NarrativeForm(forms.Form):
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The headline messages, for readers who read nothing else.",
    )
    analysis = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What the figures, highlights and themes say about practice.",
    )
    next_steps = forms.CharField(
        label="Actions / next steps",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the service will do next, and who leads it.",
    )


class HighlightForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    included = forms.BooleanField(
        label="Include in the report", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    text = forms.CharField(
        label="Wording in the report",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class PointForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(
        label="Improvement point", required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
    remove = forms.BooleanField(
        label="Remove this point", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )


class ProgressForm(forms.Form):
    point = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Progress",
        choices=ImprovementProgress.Status.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label="What has been done", required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


HighlightFormSet = forms.formset_factory(HighlightForm, extra=0)
PointFormSet = forms.formset_factory(PointForm, extra=2)
ProgressFormSet = forms.formset_factory(ProgressForm, extra=0)


class DraftForms:
    """Everything the draft's page edits, saved together by one button: the narrative, the highlights
    (pick and reword), the report's improvement points and the progress on earlier reports' points."""

    def __init__(
        self,
        report: Report,
        highlights: list[Highlight],
        progress_rows: list[dict],
        data=None,
        themes: list[PracticeTheme] = (),
        mentioned: dict[int, list[int]] | None = None,
    ):
        """`themes`: the practice themes the page filters the highlights by; `mentioned`: for each
        highlight, the ids of the themes it mentions."""
        self.report, self.highlights, self.progress_rows = report, highlights, progress_rows
        self.themes = list(themes)
        self.narrative = NarrativeForm(
            data,
            initial={"summary": report.summary, "analysis": report.analysis, "next_steps": report.next_steps},
        )
        self.highlight_set = HighlightFormSet(
            data,
            prefix="highlights",
            initial=[{"id": h.pk, "included": h.included, "text": h.text} for h in highlights],
        )
        self.point_set = PointFormSet(
            data,
            prefix="points",
            initial=[{"id": p.pk, "text": p.text} for p in report.improvement_points.all()],
        )
        self.progress_set = ProgressFormSet(
            data,
            prefix="progress",
            initial=[
                {
                    "point": row["point"].pk,
                    "status": row["progress"].status if row["progress"] else ImprovementProgress.Status.NOT_STARTED,
                    "note": row["progress"].note if row["progress"] else "",
                }
                for row in progress_rows
            ],
        )
        # For the template: each highlight beside its form and the ids of the themes it mentions, by
        # service area; each point of progress beside its form.
        mentioned = mentioned or {}
        self.highlight_groups: list[dict] = []
        for highlight, form in zip(highlights, self.highlight_set.forms, strict=False):
            if not self.highlight_groups or self.highlight_groups[-1]["area"] != highlight.service_area:
                self.highlight_groups.append({"area": highlight.service_area, "items": []})
            themes = " ".join(str(pk) for pk in mentioned.get(highlight.pk, []))
            self.highlight_groups[-1]["items"].append((highlight, form, themes))
        self.progress_pairs = list(zip(progress_rows, self.progress_set.forms, strict=False))

    @property
    def parts(self):
        return (self.narrative, self.highlight_set, self.point_set, self.progress_set)

    def is_valid(self) -> bool:
        return all([part.is_valid() for part in self.parts])

    def non_field_errors(self) -> list[str]:
        """What the top of the page says: a service's refusal, and any formset's own errors (a form
        sent with missing or tampered counts), which would otherwise leave the page silent."""
        errors = list(self.narrative.non_field_errors())
        for formset in self.parts[1:]:
            errors += formset.non_form_errors()
        return errors

    def add_error(self, field, errors) -> None:
        """Where call_service puts a service's refusal: on the narrative form, shown at the top."""
        self.narrative.add_error(None, errors)

    @property
    def fields(self):
        return {}

    @property
    def is_bound(self) -> bool:
        return self.narrative.is_bound

    def __iter__(self):
        """No fields of its own: the error summary lists its errors from non_field_errors."""
        return iter(())

    def service_kwargs(self) -> dict:
        narrative = self.narrative.cleaned_data
        return {
            "summary": narrative["summary"],
            "analysis": narrative["analysis"],
            "next_steps": narrative["next_steps"],
            "highlights": {
                form.cleaned_data["id"]: (form.cleaned_data["included"], form.cleaned_data["text"])
                for form in self.highlight_set.forms
                if form.cleaned_data.get("id")
            },
            "points": [
                PointChange(
                    point_id=form.cleaned_data.get("id"),
                    text=form.cleaned_data.get("text", ""),
                    remove=form.cleaned_data.get("remove", False),
                )
                for form in self.point_set.forms
                if form.cleaned_data
            ],
            "progress": {
                form.cleaned_data["point"]: (form.cleaned_data["status"], form.cleaned_data["note"])
                for form in self.progress_set.forms
                if form.cleaned_data.get("point")
            },
        }


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label="What the correction changes, and why",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Readers see this on both reports.",
        error_messages={"required": CORRECTION_REASON_REQUIRED},
    )


class SubscriptionForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label="E-mail me when these reports are published",
        choices=Report.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
