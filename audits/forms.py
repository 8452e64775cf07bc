from django import forms

from quality.org.models import ServiceArea

from .models import AuditTool, Grade, Question, Section

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


def answer_form(sections, data=None) -> forms.Form:
    """A form with one field per question of a version, named q-<key>, grouped by section.

    Required answers are marked but not enforced here: drafts save whatever is typed.
    """
    form = forms.Form(data=data)
    layout = []
    for section in sections:
        questions = list(section.questions.all())
        for question in questions:
            form.fields[f"q-{question.key}"] = _answer_field(question)
        layout.append((section, questions))
    # (section, [(question, bound field)]) for templates that walk the form section by section.
    form.sections = [(s, [(q, form[f"q-{q.key}"]) for q in qs]) for s, qs in layout]
    return form
