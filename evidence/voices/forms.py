"""The survey forms: the QA unit's (a survey, its links) and the public answer form.

The public form is the audits' answer form (one field per question of a tool version, named q-<key>,
grouped by section), with the questions marked required enforced: a response is final once sent.
"""

from django import forms

from audits.forms import answer_form
from audits.models import AuditTool, ToolVersion
from quality.forms import EnglishDateField
from quality.org.models import ServiceArea

from .messages import ANSWER_NEEDED
from .models import Survey
from .services import MOST_LINKS_AT_ONCE


class SurveyForm(forms.Form):
    title = forms.CharField(max_length=150, help_text=Survey._meta.get_field("title").help_text)
    tool_version = forms.ModelChoiceField(
        label="Survey tool",
        queryset=ToolVersion.objects.filter(
            state=ToolVersion.State.PUBLISHED, tool__purpose=AuditTool.Purpose.SURVEY
        ).select_related("tool"),
        help_text="The published version of a survey tool (Tools: purpose 'Survey').",
    )
    audience = forms.ChoiceField(choices=Survey.Audience.choices, widget=forms.RadioSelect)
    easy_read = forms.BooleanField(
        label="Use the easy-read layout", required=False, help_text=Survey._meta.get_field("easy_read").help_text
    )
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.filter(is_active=True),
        required=False,
        empty_label="Every area",
        help_text=Survey._meta.get_field("service_area").help_text,
    )
    opens_on = EnglishDateField(label="Opens on")
    closes_on = EnglishDateField(label="Closes on")


class LinksForm(forms.Form):
    count = forms.IntegerField(
        label="Links about no particular case",
        min_value=0,
        max_value=MOST_LINKS_AT_ONCE,
        initial=0,
        required=False,
        help_text="How many links to make that are not about a case.",
    )
    case_references = forms.CharField(
        label="Case references",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One case reference a line: one link about each. Never a name.",
    )


def response_form(version: ToolVersion, data=None) -> forms.Form:
    form = answer_form(version.sections.prefetch_related("questions"), data=data)
    for _section, items in form.sections:
        for question, _ in items:
            field = form.fields[f"q-{question.key}"]
            field.required = question.required
            field.error_messages["required"] = ANSWER_NEEDED
    return form
