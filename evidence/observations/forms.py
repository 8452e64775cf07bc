"""The observation pages' forms: plan, record (the tool's questions with audits' answer form), an
action item reviewed as done, the coverage page's chooser and the practice weeks' calendar.

The rules (who may observe whom, required answers, dates) live in the services; call_service puts a
refusal next to the field. Choices of people come through the access rules.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from audits.forms import answer_form, answers_from
from audits.models import AuditTool, ToolVersion
from quality.access import visible
from quality.forms import EnglishDateField, written
from quality.idempotency import CreateOnceForm
from quality.org.models import Person, Role, ServiceArea, Team

from .models import Observation
from .services import ActionItemDraft

ACTION_ITEM_ROWS = 3  # blank rows on the record page (its error summary names the three); rarely more at once


def observation_versions():
    return ToolVersion.objects.filter(
        state=ToolVersion.State.PUBLISHED, tool__purpose=AuditTool.Purpose.OBSERVATION
    ).select_related("tool")


class PlanForm(CreateOnceForm):
    practitioner = forms.ModelChoiceField(queryset=Person.objects.none())
    observer = forms.ModelChoiceField(queryset=Person.objects.none())
    kind = forms.ChoiceField(label="Kind of observation", choices=Observation.Kind.choices, widget=forms.RadioSelect)
    planned_on = EnglishDateField(label="Planned date")
    tool_version = forms.ModelChoiceField(queryset=ToolVersion.objects.none(), label="Observation form")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        practitioners = Person.objects.filter(
            memberships__ended_at__isnull=True, memberships__role=Role.PRACTITIONER, memberships__team__isnull=False
        )
        self.fields["practitioner"].queryset = visible(user, practitioners.distinct()).order_by("full_name", "pk")
        observers = Person.objects.filter(
            memberships__ended_at__isnull=True,
            memberships__role__in=[
                Role.PRACTICE_MANAGER,
                Role.SERVICE_LEAD,
                Role.QA_OFFICER,
                Role.QA_LEAD,
                Role.HEAD_OF_SERVICE,
                Role.SENIOR_LEADER,
            ],
        )
        self.fields["observer"].queryset = visible(user, observers.distinct()).order_by("full_name", "pk")
        for name in ("practitioner", "observer"):
            self.fields[name].label_from_instance = lambda person: written(person.full_name)
        self.fields["tool_version"].queryset = observation_versions().order_by("tool__name", "-number")
        self.fields["tool_version"].label_from_instance = lambda version: written(str(version))


class ActionItemForm(forms.Form):
    text = forms.CharField(label="Action", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    review_on = EnglishDateField(label="Review date", required=False)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        # "Action 2 owner": each row's labels say which row, in the error summary and to a screen reader.
        number = int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix else 1
        for name, label in (("text", ""), ("owner", " owner"), ("review_on", " review date")):
            self.fields[name].label = f"Action {number}{label}"
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda person: written(person.full_name)

    def clean(self):
        data = super().clean()
        if data.get("text") and not self.errors:
            for name, message in (("owner", "Choose who owns this action."), ("review_on", "Give a review date.")):
                if not data.get(name):
                    self.add_error(name, message)
        return data


ActionItemFormSet = forms.formset_factory(ActionItemForm, extra=ACTION_ITEM_ROWS, max_num=ACTION_ITEM_ROWS)


class RecordForm(forms.Form):
    """What was observed: the date, the tool's questions (fields q-<key>, as on an audit), strengths and
    areas for development. The action plan is a formset beside it (`items`)."""

    observed_on = EnglishDateField(label="Date observed")
    strengths = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    areas_for_development = forms.CharField(
        label="Areas for development", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, observation: Observation, sections, **kwargs):
        kwargs.setdefault("initial", {"observed_on": min(observation.planned_on, timezone.localdate())})
        super().__init__(*args, **kwargs)
        questions = answer_form(sections)
        self.fields.update(questions.fields)
        self.sections = [(section, [(q, self[f"q-{q.key}"]) for q, _ in rows]) for section, rows in questions.sections]
        owners = Person.objects.filter(pk__in=[observation.practitioner_id, observation.observer_id]).order_by(
            "full_name"
        )
        self.items = ActionItemFormSet(*args[:1], prefix="item", form_kwargs={"owners": owners})

    def is_valid(self) -> bool:
        return all([super().is_valid(), self.items.is_valid()])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        items = [
            ActionItemDraft(text=row["text"].strip(), owner=row["owner"], review_on=row["review_on"])
            for row in self.items.cleaned_data
            if row.get("text", "").strip()
        ]
        return {
            "observed_on": data["observed_on"],
            "answers": answers_from(self),
            "strengths": data["strengths"],
            "areas_for_development": data["areas_for_development"],
            "action_items": items,
        }


class DoneForm(forms.Form):
    done_on = EnglishDateField(label="Reviewed as done in supervision on")


class CoverageForm(forms.Form):
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.none(), required=False, empty_label="Any")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="Any")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_area"].queryset = visible(user, ServiceArea.objects.filter(is_active=True)).order_by(
            "code"
        )
        self.fields["service_area"].label_from_instance = lambda area: written(f"{area.code}: {area.name}")
        self.fields["team"].queryset = visible(user, Team.objects.select_related("service_area")).order_by(
            "service_area__code", "name"
        )
        self.fields["team"].label_from_instance = lambda team: written(f"{team.name} ({team.service_area.code})")


class PracticeWeekForm(forms.Form):
    starts_on = EnglishDateField(label="First day")
    ends_on = EnglishDateField(label="Last day")
