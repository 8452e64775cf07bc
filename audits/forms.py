from django import forms
from django.urls import reverse
from django.utils import timezone

from quality.forms import EnglishDateField, written, written_choices
from quality.idempotency import CreateOnceForm
from quality.org.forms import teams_of_chosen_area
from quality.org.models import Membership, Person, Role, ServiceArea, Team

from .models import Audit, AuditTool, Dispute, Grade, Question, Section, ToolVersion

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
    purpose = forms.ChoiceField(
        choices=[(value, label) for value, label in AuditTool.Purpose.choices if value != AuditTool.Purpose.IMPORTED]
    )
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
    # The question's text, help text and options are people's text (often imported from a file).
    common = {"label": written(question.text), "help_text": written(question.help_text), "required": False}
    options = written_choices((c, c) for c in question.choices)
    match question.type:
        case Question.Type.GRADE:
            choices = list(Grade.choices) + ([NOT_APPLICABLE] if question.allow_not_applicable else [])
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        case Question.Type.YES_NO:
            return forms.ChoiceField(choices=YES_NO_CHOICES, widget=forms.RadioSelect, **common)
        case Question.Type.SINGLE_CHOICE:
            return forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
        case Question.Type.MULTIPLE_CHOICE:
            return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple, **common)
        case Question.Type.SHORT_TEXT:
            return forms.CharField(max_length=500, **common)
        case Question.Type.NARRATIVE:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
        case Question.Type.DATE:
            return EnglishDateField(**common)
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
    discussion_on = EnglishDateField(label="Date of the discussion", required=False)
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


class ConcernForm(CreateOnceForm):
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


class ActionForm(CreateOnceForm):
    description = forms.CharField(label="Recommended action", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=Person.objects.none())
    due_on = EnglishDateField(label="Due date")

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


# ---------------------------------------------------------------------------------------
# Starting an audit, and inviting contributors to a partnership audit. The lists offer what
# fits, grouped by service area; the fields accept any row, so that a choice that does not
# fit (a team of another area) reaches the service, which says why next to the field.


def _grouped(rows, empty: str = "Choose…") -> list:
    """[(group, [(pk, label), ...]), ...] from (group, pk, label) rows, keeping their order.

    Groups and labels are names people typed (areas, people, tools): escaped by `written_choices`."""
    groups: dict[str, list] = {}
    for group, pk, label in rows:
        groups.setdefault(group, []).append((pk, label))
    return [("", empty), *written_choices(groups.items())]


def _person_label(person: Person) -> str:
    return f"{person.full_name}, {person.organisation}" if person.organisation else person.full_name


def _people_holding(roles, group) -> list:
    memberships = (
        Membership.objects.current()
        .filter(role__in=roles, person__user__is_active=True)
        .select_related("person", "service_area")
        .order_by("service_area__name", "role", "person__full_name")
    )
    return [(group(m), m.person_id, _person_label(m.person)) for m in memberships]


class AuditStartForm(CreateOnceForm):
    case_reference = forms.CharField(
        max_length=32, help_text="The case number from the case-management system. Never a name."
    )
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.all())
    # Any team is accepted here: one of another area reaches audit_create, which says so next to the field.
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, help_text="The case holder's team, one of the service area's."
    )
    case_holder = forms.ModelChoiceField(queryset=Person.objects.all(), help_text="A practitioner of the area.")
    kind = forms.ChoiceField(label="Kind of audit", choices=Audit.Kind.choices, initial=Audit.Kind.MONTHLY)
    theme = forms.CharField(max_length=120, required=False, help_text="For themed audits, for example Neglect.")
    auditor = forms.ModelChoiceField(
        queryset=Person.objects.all(),
        help_text="A practice manager of the area; the QA unit for a QA thematic audit; "
        "a partner auditor for a partnership audit.",
    )
    tool_version = forms.ModelChoiceField(
        label="Audit tool",
        queryset=ToolVersion.objects.all(),
        help_text="The published version of one of the area's tools, or of a shared tool.",
    )
    period_end = EnglishDateField(
        label="End of the casework period",
        initial=timezone.localdate,
        help_text="The audit covers the six months of casework up to this day.",
    )
    due_on = EnglishDateField(label="Due date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["service_area"].choices = [("", "Choose…")] + written_choices(
            (area.pk, str(area)) for area in ServiceArea.objects.filter(is_active=True)
        )
        teams_of_chosen_area(self, reverse("audits:audit_start"))
        fields["case_holder"].choices = _grouped(
            _people_holding({Role.PRACTITIONER}, lambda m: f"{m.service_area.name}: practitioners")
        )
        fields["auditor"].choices = _grouped(
            _people_holding({Role.PRACTICE_MANAGER}, lambda m: f"{m.service_area.name}: practice managers")
            + _people_holding({Role.QA_OFFICER, Role.QA_LEAD}, lambda m: "QA unit (QA thematic audits)")
            + _people_holding({Role.PARTNER_AUDITOR}, lambda m: "Partner auditors (partnership audits)")
        )
        versions = (
            ToolVersion.objects.filter(state=ToolVersion.State.PUBLISHED)
            .exclude(tool__purpose__in=AuditTool.NOT_FOR_AUDITS)
            .select_related("tool__service_area")
        )
        fields["tool_version"].choices = _grouped(
            (v.tool.service_area.name if v.tool.service_area else "Shared tools", v.pk, str(v))
            for v in versions.order_by("tool__service_area__name", "tool__name")
        )


class ParticipantForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Invite someone to work on this audit",
        queryset=Person.objects.all(),
        help_text="A partner agency's auditor or a colleague: they may answer the audit; only the auditor submits it.",
    )

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        from quality.access import Action, roles_granting

        taken = {audit.auditor_id, *audit.participants.values_list("person_id", flat=True)}
        labels = {Role.PARTNER_AUDITOR: "Partner auditors", Role.PRACTICE_MANAGER: "Practice managers"}
        rows = _people_holding(roles_granting(Action.EDIT_AUDIT), lambda m: labels.get(m.role, "QA unit"))
        seen = set()
        choices = []
        for group, pk, label in sorted(rows, key=lambda row: row[0] != "Partner auditors"):
            if pk not in taken and pk not in seen:
                seen.add(pk)
                choices.append((group, pk, label))
        self.fields["person"].choices = _grouped(choices)
