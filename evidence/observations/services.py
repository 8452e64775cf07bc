"""Planning and recording observations, reviewing their action plans, and the practice weeks' calendar.

Each service validates, saves atomically and leaves a ChangeRecord (quality.org: who, when, what), as
every change of a record that matters does; an observation's page shows them as its history. A refusal
is a ValidationError keyed by the form field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.models import AuditTool, Question, ToolVersion
from quality.org.models import Membership, Person, Role
from quality.org.services import change_record

from .messages import (
    ALREADY_DONE,
    ALREADY_RECORDED,
    ANSWER_REQUIRED,
    DONE_IN_FUTURE,
    NOT_A_PRACTITIONER,
    OBSERVED_IN_FUTURE,
    OBSERVER_MAY_NOT,
    OBSERVING_ONESELF,
    TOOL_NOT_FOR_OBSERVATIONS,
    WEEK_ENDS_BEFORE,
    WEEK_OVERLAPS,
)
from .models import ActionItem, Observation, ObservationAnswer, PracticeWeek

SENIOR_MANAGERS = frozenset({Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER})


def answer_field(key: str) -> str:
    """The answer form's field of a question (audits.forms.answer_form names them so)."""
    return f"q-{key}"


@dataclass(frozen=True)
class ActionItemDraft:
    text: str
    owner: Person
    review_on: date


def practice_week_on(day: date) -> PracticeWeek | None:
    return PracticeWeek.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


def practitioner_membership(person: Person) -> Membership | None:
    """The practitioner's current team (the latest, should they hold the role in two)."""
    return (
        Membership.objects.current()
        .filter(person=person, role=Role.PRACTITIONER, team__isnull=False)
        .select_related("team")
        .order_by("-started_at", "-pk")
        .first()
    )


def may_observe(observer: Person, membership: Membership, kind: str) -> bool:
    """The observer's roles now: the team's practice manager, the area's service lead, the QA unit, or a
    head of service or senior leader on a walk-the-floor visit."""
    for held in observer.memberships.current():
        if held.role in (Role.QA_OFFICER, Role.QA_LEAD):
            return True
        if held.role in SENIOR_MANAGERS and kind == Observation.Kind.WALK_THE_FLOOR:
            return True
        if held.role == Role.SERVICE_LEAD and held.service_area_id == membership.service_area_id:
            return True
        if held.role == Role.PRACTICE_MANAGER and held.team_id == membership.team_id:
            return True
    return False


@transaction.atomic
def observation_plan(
    *, actor, practitioner: Person, observer: Person, kind: str, planned_on: date, tool_version: ToolVersion
) -> Observation:
    errors: dict[str, str] = {}
    membership = practitioner_membership(practitioner)
    if membership is None:
        errors["practitioner"] = NOT_A_PRACTITIONER
    elif observer.pk == practitioner.pk:
        errors["observer"] = OBSERVING_ONESELF
    elif not may_observe(observer, membership, kind):
        errors["observer"] = OBSERVER_MAY_NOT
    if tool_version.state != ToolVersion.State.PUBLISHED or tool_version.tool.purpose != AuditTool.Purpose.OBSERVATION:
        errors["tool_version"] = TOOL_NOT_FOR_OBSERVATIONS
    if errors:
        raise ValidationError(errors)
    observation = Observation.objects.create(
        practitioner=practitioner,
        observer=observer,
        team=membership.team,
        service_area_id=membership.service_area_id,
        kind=kind,
        planned_on=planned_on,
        practice_week=practice_week_on(planned_on),
        tool_version=tool_version,
        created_by=actor,
    )
    change_record(
        actor=actor,
        target=observation,
        action="observation.plan",
        summary=f"Planned an observation ({observation.get_kind_display()}) for {planned_on:%d/%m/%Y}",
    )
    return observation


def _missing_answers(tool_version: ToolVersion, answers: dict[str, object]) -> dict[str, str]:
    required = Question.objects.filter(section__version=tool_version, required=True).values_list("key", flat=True)
    return {answer_field(key): ANSWER_REQUIRED for key in required if answers.get(key) in (None, "", [])}


@transaction.atomic
def observation_record(
    *,
    actor,
    observation: Observation,
    observed_on: date,
    answers: dict[str, object],
    strengths: str,
    areas_for_development: str,
    action_items: list[ActionItemDraft],
) -> Observation:
    """Record what was observed: the tool's answers (by question key), strengths, areas for development
    and the action plan. Once: a recorded observation's form is what was seen that day."""
    observation = Observation.objects.select_for_update().get(pk=observation.pk)
    if observation.is_recorded:
        raise ValidationError(ALREADY_RECORDED)
    errors = _missing_answers(observation.tool_version, answers)
    if observed_on > timezone.localdate():
        errors["observed_on"] = OBSERVED_IN_FUTURE
    if errors:
        raise ValidationError(errors)
    questions = dict(Question.objects.filter(section__version=observation.tool_version).values_list("key", "pk"))
    ObservationAnswer.objects.bulk_create(
        ObservationAnswer(observation=observation, question_id=questions[key], value=value)
        for key, value in answers.items()
        if key in questions and value not in (None, "", [])
    )
    ActionItem.objects.bulk_create(
        ActionItem(observation=observation, text=item.text, owner=item.owner, review_on=item.review_on)
        for item in action_items
    )
    observation.state = Observation.State.RECORDED
    observation.observed_on = observed_on
    observation.practice_week = practice_week_on(observed_on)
    observation.strengths = strengths.strip()
    observation.areas_for_development = areas_for_development.strip()
    observation.save()
    items = len(action_items)
    change_record(
        actor=actor,
        target=observation,
        action="observation.record",
        summary=f"Recorded the observation of {observed_on:%d/%m/%Y} with "
        + (f"{items} action plan items" if items != 1 else "1 action plan item"),
    )
    return observation


@transaction.atomic
def action_item_done(*, actor, item: ActionItem, done_on: date) -> ActionItem:
    """The item was reviewed as done in supervision on `done_on`."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.is_done:
        raise ValidationError(ALREADY_DONE)
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": DONE_IN_FUTURE})
    item.done_on = done_on
    item.save(update_fields=["done_on"])
    change_record(
        actor=actor,
        target=item.observation,
        action="observation.action_done",
        summary=f"Action plan item reviewed as done in supervision on {done_on:%d/%m/%Y}: {item.text[:80]}",
    )
    return item


@transaction.atomic
def practice_week_create(*, actor, starts_on: date, ends_on: date) -> PracticeWeek:
    if ends_on < starts_on:
        raise ValidationError({"ends_on": WEEK_ENDS_BEFORE})
    if PracticeWeek.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).exists():
        raise ValidationError({"starts_on": WEEK_OVERLAPS})
    week = PracticeWeek.objects.create(starts_on=starts_on, ends_on=ends_on)
    change_record(actor=actor, target=week, action="practice_week.create", summary=f"Added the {week}")
    return week
