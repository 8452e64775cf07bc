"""The form of QA's review of an Inadequate grade, shown on the escalation's page (audits) and
posted to moderation's view. Required-field messages are the service's own (moderation/qa_review.py)."""

from django import forms

from audits.models import Grade

from . import qa_review

TEXT = forms.Textarea(attrs={"rows": 4})


class ReviewForm(forms.Form):
    """QA's review of an Inadequate grade: confirm it, or change it with the new grade."""

    decision = forms.ChoiceField(
        label="Your decision",
        choices=qa_review.Decision.CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": qa_review.DECISION_REQUIRED},
    )
    grade = forms.ChoiceField(
        label="New grade, if you change it",
        choices=[("", "Choose the grade")] + [c for c in Grade.choices if c[0] != Grade.INADEQUATE],
        required=False,
    )
    rationale = forms.CharField(
        label="Rationale",
        widget=TEXT,
        help_text="Why the grade stands or changes, from the evidence in the audit.",
        error_messages={"required": qa_review.RATIONALE_REQUIRED},
    )
    feedback = forms.CharField(label="Feedback to the auditor (optional)", widget=TEXT, required=False)
