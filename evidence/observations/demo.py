"""Demo observations: the practice weeks of the demo's years, a published observation form, and a year
of observations in which some practitioners are overdue, some due and the rest observed.

Dates count back from today, so the coverage page looks the same whenever `make run` loads it.
Idempotent: nothing is added once observations exist.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from audits import services as tool_services
from audits.models import AuditTool, Question
from quality.org.models import Membership, Role

from . import services
from .models import Observation, PracticeWeek

TOOL_NAME = "Observation of practice"
# The 2023 schedule's quarterly practice weeks (day, month of the first and last days).
PRACTICE_WEEKS = (((6, 3), (10, 3)), ((6, 6), (10, 6)), ((26, 9), (30, 9)), ((5, 12), (9, 12)))

OBSERVATION_SECTIONS = [
    {
        "title": "The observation",
        "analysis_area": None,
        "help_text": "What you saw: the practitioner's work with the child, family or meeting.",
        "questions": [
            {
                "key": "relationship",
                "text": "How well did the practitioner build a relationship with the child or family?",
                "type": Question.Type.GRADE,
                "required": True,
            },
            {
                "key": "child-voice",
                "text": "Was the child's voice heard and recorded in their own words?",
                "type": Question.Type.YES_NO,
                "required": True,
            },
            {
                "key": "practice-model",
                "text": "Which parts of the practice model were seen?",
                "type": Question.Type.MULTIPLE_CHOICE,
                "choices": ["Strengths-based conversation", "Genogram", "Three houses", "Safety plan"],
            },
            {
                "key": "reflection",
                "text": "What did the practitioner say about the session when you discussed it?",
                "type": Question.Type.NARRATIVE,
            },
        ],
    }
]

STRENGTHS = [
    "Warm and patient with the child; used the three houses well to hear their worries.",
    "Chaired the core group clearly and kept the plan's actions specific and dated.",
    "Explained the concerns to the parents plainly and checked they understood.",
]
AREAS = [
    "Record the child's own words in the visit record the same day.",
    "Agree the contingency plan with the family before the meeting ends.",
    "Use the genogram to bring in the wider family network.",
]
ANSWERS = {
    "relationship": "good",
    "child-voice": "yes",
    "practice-model": ["Three houses"],
    "reflection": "Felt the session went well; would slow down when the child became upset.",
}


def observation_tool_version():
    """The demo's published observation form (made once)."""
    tool = AuditTool.objects.filter(name=TOOL_NAME, purpose=AuditTool.Purpose.OBSERVATION).first()
    if tool is None:
        tool = tool_services.tool_create(
            actor=None,
            name=TOOL_NAME,
            service_area=None,
            purpose=AuditTool.Purpose.OBSERVATION,
            sections=OBSERVATION_SECTIONS,
        )
        tool_services.version_publish(actor=None, version=tool.versions.get())
    return tool.versions.get(state="published")


def _practice_weeks(today: date) -> None:
    for year in (today.year - 1, today.year, today.year + 1):
        for (first_day, first_month), (last_day, last_month) in PRACTICE_WEEKS:
            PracticeWeek.objects.get_or_create(
                starts_on=date(year, first_month, first_day), defaults={"ends_on": date(year, last_month, last_day)}
            )


def _observer_of(membership: Membership):
    """The practitioner's practice manager (of their team), else their area's service lead."""
    for role, match in ((Role.PRACTICE_MANAGER, {"team": membership.team}), (Role.SERVICE_LEAD, {})):
        held = (
            Membership.objects.current()
            .filter(role=role, service_area_id=membership.service_area_id, **match)
            .exclude(person=membership.person)
            .select_related("person")
            .first()
        )
        if held:
            return held.person
    return None


# By practitioner, in turn: never observed, observed 13 months ago (both overdue), 11 months and a half
# ago (due), three months ago in a practice week, and five months ago.
AGES = (None, relativedelta(months=13), relativedelta(months=11, days=15), None, relativedelta(months=5))


def _in_practice_week_months_ago(today: date, months: int) -> date:
    week = (
        PracticeWeek.objects.filter(starts_on__lte=today - relativedelta(months=months)).order_by("-starts_on").first()
    )
    return week.starts_on + timedelta(days=1)


@transaction.atomic
def load() -> None:
    today = timezone.localdate()
    _practice_weeks(today)
    version = observation_tool_version()
    if Observation.objects.exists():
        return
    practitioners = (
        Membership.objects.current()
        .filter(role=Role.PRACTITIONER, team__isnull=False)
        .select_related("person", "team")
        .order_by("service_area__code", "team__name", "person__full_name")
    )
    next_week = PracticeWeek.objects.filter(starts_on__gt=today).order_by("starts_on").first()
    for index, membership in enumerate(practitioners):
        observer = _observer_of(membership)
        if observer is None:
            continue
        turn = index % len(AGES)
        if turn == 0:
            # Never observed: planned for the next practice week.
            if next_week:
                services.observation_plan(
                    actor=None,
                    practitioner=membership.person,
                    observer=observer,
                    kind=Observation.Kind.MEETING,
                    planned_on=next_week.starts_on + timedelta(days=1),
                    tool_version=version,
                )
            continue
        observed_on = _in_practice_week_months_ago(today, 3) if turn == 3 else today - AGES[turn]
        kind = list(Observation.Kind)[index % 3]
        observation = services.observation_plan(
            actor=None,
            practitioner=membership.person,
            observer=observer,
            kind=kind,
            planned_on=observed_on,
            tool_version=version,
        )
        services.observation_record(
            actor=None,
            observation=observation,
            observed_on=observed_on,
            answers=ANSWERS,
            strengths=STRENGTHS[index % len(STRENGTHS)],
            areas_for_development=AREAS[index % len(AREAS)],
            action_items=[
                services.ActionItemDraft(
                    text=AREAS[index % len(AREAS)], owner=membership.person, review_on=observed_on + timedelta(days=28)
                )
            ],
        )
        if observed_on + timedelta(days=28) < today:
            item = observation.action_items.get()
            services.action_item_done(actor=None, item=item, done_on=item.review_on)
    _walk_the_floor(today, version)


def _walk_the_floor(today: date, version) -> None:
    """A head of service's (or senior leader's) walk-the-floor visit, a month ago."""
    senior = (
        Membership.objects.current()
        .filter(role__in=[Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER])
        .select_related("person")
        .first()
    )
    practitioner = Observation.objects.filter(state=Observation.State.RECORDED).order_by("-observed_on").first()
    if senior is None or practitioner is None:
        return
    visited_on = today - relativedelta(months=1)
    visit = services.observation_plan(
        actor=None,
        practitioner=practitioner.practitioner,
        observer=senior.person,
        kind=Observation.Kind.WALK_THE_FLOOR,
        planned_on=visited_on,
        tool_version=version,
    )
    services.observation_record(
        actor=None,
        observation=visit,
        observed_on=visited_on,
        answers=ANSWERS,
        strengths="The team talks about children by name and knows their plans; duty is calm and organised.",
        areas_for_development="Chronologies are behind on two of the cases discussed.",
        action_items=[],
    )
