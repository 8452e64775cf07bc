from django import forms

from quality.org.models import Person, ServiceArea

from .models import AuditTool, Dispute, Grade, Question, Section

NOT_APPLICABLE = ("not_applicable", "N/A")
YES_NO_CHOICES = [("yes", "Yes"), ("no", "No"), ("partly", "Partly"), NOT_APPLICABLE]


class ToolForm(forms.Form):
    name = forms.CharField(max_length=150)
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.filter(is_active=True),
        required=False,
        empty_label="Shared (themed or partnership)",
        help_text="The service area whose audits use this tool; leave it shared for themed and partnership tools.",
    )
    purpose = forms.ChoiceField(choices=AuditTool.Purpose.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["title", "analysis_area", "help_text"]
        widgets = {"help_text": forms.Textarea(attrs={"rows": 2})}
        labels = {"analysis_area": "Area of analysis"}


class QuestionForm(forms.ModelForm):
    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="For choice questions: one option a line.",
    )

    class Meta:
        model = Question
        fields = ["text", "key", "type", "required", "allow_not_applicable", "choices", "help_text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2}), "help_text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["choices"] = "\n".join(self.instance.choices)

    def clean_choices(self):
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class ToolImportForm(forms.Form):
    file = forms.FileField(label="Tool file (JSON or YAML)")


def _answer_field(question: Question) -> forms.Field:
    common = {"label": question.text, "help_text": question.help_text, "required": False}
    match question.type:
        case Question.Type.GRADE:
            choices = list(Grade.choices) + ([NOT_APPLICABLE] if question.allow_not_applicable else [])
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        case Question.Type.YES_NO:
            return forms.ChoiceField(choices=YES_NO_CHOICES, widget=forms.RadioSelect, **common)
        case Question.Type.SINGLE_CHOICE:
            return forms.ChoiceField(choices=[(c, c) for c in question.choices], widget=forms.RadioSelect, **common)
        case Question.Type.MULTIPLE_CHOICE:
            return forms.MultipleChoiceField(
                choices=[(c, c) for c in question.choices], widget=forms.CheckboxSelectMultiple, **common
            )
        case Question.Type.SHORT_TEXT:
            return forms.CharField(max_length=500, **common)
        case Question.Type.NARRATIVE:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
        case Question.Type.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case Question.Type.NUMBER:
            return forms.DecimalField(**common)
    raise ValueError(f"Unknown question type {question.type}")


def answer_form(sections, data=None, initial=None) -> forms.Form:
    """A form with one field per question of a version, named q-<key>, grouped by section.

    Required answers are marked but not enforced here: drafts save whatever is typed.
    """
    form = forms.Form(data=data, initial={f"q-{key}": value for key, value in (initial or {}).items()})
    layout = []
    for section in sections:
        questions = list(section.questions.all())
        for question in questions:
            form.fields[f"q-{question.key}"] = _answer_field(question)
        layout.append((section, questions))
    # (section, [(question, bound field)]) for templates that walk the form section by section.
    form.sections = [(s, [(q, form[f"q-{q.key}"]) for q in qs]) for s, qs in layout]
    return form


YES_NO_BOOL = [("", "Not yet recorded"), ("true", "Yes"), ("false", "No")]


def _yes_no_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO_BOOL,
        coerce=lambda v: v == "true",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class AuditFieldsForm(forms.Form):
    """The parts of an audit every tool shares. Nothing is required while drafting."""

    overall_grade = forms.ChoiceField(
        choices=[("", "Not graded yet")] + list(Grade.choices), required=False, widget=forms.RadioSelect
    )
    discussion_held = _yes_no_field("Did you discuss the case with the practitioner?")
    discussion_on = forms.DateField(
        label="Date of the discussion", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    child_contacted = _yes_no_field("Was the child contacted?")
    family_contacted = _yes_no_field("Was the family contacted?")
    child_family_views = forms.CharField(
        label="What the child and family said", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    strengths = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    areas_for_improvement = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, graded: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not graded:
            del self.fields["overall_grade"]

    @classmethod
    def initial_for(cls, audit) -> dict:
        def yes_no(value):
            return "" if value is None else ("true" if value else "false")

        return {
            "overall_grade": audit.overall_grade,
            "discussion_held": yes_no(audit.discussion_held),
            "discussion_on": audit.discussion_on,
            "child_contacted": yes_no(audit.child_contacted),
            "family_contacted": yes_no(audit.family_contacted),
            "child_family_views": audit.child_family_views,
            "strengths": audit.strengths,
            "areas_for_improvement": audit.areas_for_improvement,
        }


class ConcernForm(forms.Form):
    safeguarding_details = forms.CharField(
        label="Describe the immediate safeguarding concern", widget=forms.Textarea(attrs={"rows": 3})
    )


class OversightForm(forms.Form):
    comment = forms.CharField(label="Oversight comment", widget=forms.Textarea(attrs={"rows": 3}))


class DisputeForm(forms.Form):
    proposed_grade = forms.ChoiceField(
        label="The grade you think is right", choices=[("", "Choose a grade")] + list(Grade.choices), required=False
    )
    reason = forms.CharField(label="Why you dispute the grade", widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Dispute.Outcome.choices, widget=forms.RadioSelect)
    grade = forms.ChoiceField(
        label="New grade (if changed)", choices=[("", "Keep the grade")] + list(Grade.choices), required=False
    )
    resolution = forms.CharField(label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    description = forms.CharField(label="Recommended action", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=Person.objects.none())
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Person.objects.filter(
            user__is_active=True,
            memberships__service_area=audit.service_area,
            memberships__ended_at__isnull=True,
        ).distinct()


def answers_from(form: forms.Form) -> dict[str, object]:
    """Answer values to store, keyed by question key, from a bound answer form's cleaned data."""
    values = {}
    for name, value in form.cleaned_data.items():
        if not name.startswith("q-"):
            continue
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str | list):
            value = str(value)  # Decimal
        values[name.removeprefix("q-")] = value
    return values
