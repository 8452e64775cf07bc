"""Reads of observations through the access rules, and the coverage of practitioners.

Coverage answers "who has not been observed this year?". Each practitioner (a current practitioner
membership in a team) has the date of their last recorded observation, wherever it was made: coverage
follows the practitioner, so one who moved team keeps the observation made in their old team. Their
status, against `today`:
- observed: last observed less than 11 months ago;
- due: last observed 11 to 12 months ago (the year runs out within the next month);
- overdue: never observed, or last observed a year ago or more (on the anniversary it is overdue).
Two queries whatever the number of practitioners: the rows, and the counts per team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Case, CharField, Count, Max, OuterRef, Q, QuerySet, Subquery, Value, When

from audits.models import Question
from audits.selectors import version_answered
from evidence.tagging import themes_in
from quality.access import visible
from quality.months import start_of_day
from quality.org.models import Membership, Role, ServiceArea

from .models import Observation

OBSERVED, DUE, OVERDUE = "observed", "due", "overdue"
STATUS_LABELS = {OBSERVED: "Observed in the last 11 months", DUE: "Due within a month", OVERDUE: "Overdue"}
DUE_AFTER = relativedelta(months=11)
OVERDUE_AFTER = relativedelta(years=1)


def observations_listed(user) -> QuerySet[Observation]:
    return visible(user, Observation.objects.all()).select_related("practitioner", "observer", "team", "service_area")


def observation_for_page(user, action, pk: int) -> Observation:
    from quality.access import get_for

    queryset = Observation.objects.select_related(
        "practitioner", "observer", "team", "service_area", "practice_week", "tool_version__tool"
    )
    return get_for(user, action, queryset, pk=pk)


def observation_answered(observation: Observation) -> list:
    """The tool's sections and questions with this observation's answers, as text to show."""
    answers = dict(observation.answers.values_list("question__key", "value"))
    return version_answered(observation.tool_version, answers)


def observation_themes(observation: Observation) -> list[str]:
    """The practice themes the observation's write-up mentions: strengths, areas for development and
    narrative answers (evidence.tagging: the themes the reports count)."""
    answers = observation.answers.filter(question__type=Question.Type.NARRATIVE).values_list("value", flat=True)
    texts = [observation.strengths, observation.areas_for_development, *(str(value) for value in answers if value)]
    return themes_in(["\n".join(texts)])[0]


def _status(today: date) -> Case:
    return Case(
        When(last_observed__gt=today - DUE_AFTER, then=Value(OBSERVED)),
        When(last_observed__gt=today - OVERDUE_AFTER, then=Value(DUE)),
        default=Value(OVERDUE),
        output_field=CharField(),
    )


def held_at_end_of(day: date) -> QuerySet[Membership]:
    """The memberships held when `day` ended: started by then and not ended before."""
    end = start_of_day(day + timedelta(days=1))
    return Membership.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end), started_at__lt=end)


def practitioners_with_status(
    *, today: date, area_ids=None, team_ids=None, as_it_was: bool = False
) -> QuerySet[Membership]:
    """Practitioners in teams (within `area_ids`, `team_ids` when given), each with `last_observed`
    and `status`: the current ones, or with `as_it_was` those who held the role at the end of `today`
    (a report's coverage at the end of its period), counting the observations made by then."""
    last = (
        Observation.objects.filter(
            practitioner=OuterRef("person"), state=Observation.State.RECORDED, observed_on__lte=today
        )
        .order_by()
        .values("practitioner")
        .annotate(last=Max("observed_on"))
        .values("last")
    )
    rows = (held_at_end_of(today) if as_it_was else Membership.objects.current()).filter(
        role=Role.PRACTITIONER, team__isnull=False
    )
    if area_ids is not None:
        rows = rows.filter(service_area_id__in=area_ids)
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    return rows.annotate(last_observed=Subquery(last)).annotate(status=_status(today))


@dataclass(frozen=True)
class TeamCoverage:
    team_id: int
    team: str
    service_area: str
    practitioners: int
    observed: int
    due: int
    overdue: int


def coverage(user, *, today: date, service_area: ServiceArea | None = None, team=None):
    """(rows, per-team counts) of the practitioners in the areas this person sees (narrowed to the
    area or team chosen). Rows: Membership with person, team, last_observed and status."""
    area_ids = visible(user, ServiceArea.objects.all()).values("pk")
    if service_area is not None:
        area_ids = area_ids.filter(pk=service_area.pk)
    rows = practitioners_with_status(today=today, area_ids=area_ids, team_ids=None if team is None else [team.pk])
    listed = rows.select_related("person", "team", "service_area").order_by(
        "service_area__name", "team__name", "person__full_name"
    )
    counts = (
        rows.order_by("service_area__name", "team__name")
        .values("team_id", "team__name", "service_area__name")
        .annotate(
            practitioners=Count("pk"),
            observed=Count("pk", filter=Q(status=OBSERVED)),
            due=Count("pk", filter=Q(status=DUE)),
            overdue=Count("pk", filter=Q(status=OVERDUE)),
        )
    )
    teams = [
        TeamCoverage(
            team_id=row["team_id"],
            team=row["team__name"],
            service_area=row["service_area__name"],
            practitioners=row["practitioners"],
            observed=row["observed"],
            due=row["due"],
            overdue=row["overdue"],
        )
        for row in counts
    ]
    return listed, teams
