"""A report's figures from the other sources of evidence (docs/reports.md, "Other evidence"): practice
observations, what children and families said, Supporting Families benchmarking, and complaints and
compliments, for the report's period. The contract of their shape is the docs' `evidence` section.

Counted by the database with conditional aggregates, a fixed number of queries whatever the number of
rows, over all service areas as the audit figures are (the per-area rows are narrowed for a service
lead when shown: selectors.figures_for). Two rules from the audit figures hold here too: "at the end of
the period" means `as_of` (never later than the start of today), and a percentage is `None` on a base
of nought. Counts of people who answered a survey are suppressed below five (`suppressed`), the rule
the survey results page uses (evidence.voices.selectors.shown).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from audits import figure_months
from audits.models import views_recorded
from evidence.complaints.models import Entry, Kind, Outcome
from evidence.complaints.selectors import summary_of
from evidence.families.models import BenchmarkingForm
from evidence.families.selectors import outcome_counts, with_positive_outcomes
from evidence.families.selectors import summary as benchmarking_summary
from evidence.observations.models import ActionItem, Observation, ObservationAnswer
from evidence.observations.selectors import DUE, OBSERVED, OVERDUE, practitioners_with_status
from evidence.voices.models import Response, ResponseAnswer, Survey
from evidence.voices.selectors import SMALLEST_GROUP, breakdown_allowed

from .figures import pct
from .models import PracticeTheme
from .themes import narrative_mentions, text_mentions

OBSERVATION_TEXT_FIELDS = ("strengths", "areas_for_development")
OUTCOME_VALUES = {label: value for value, label in Outcome.choices}  # the complaints summary speaks in labels


def suppressed(count: int) -> int | None:
    """A count of people as a report may hold it: one to four is `None` (shown as "fewer than 5")."""
    return None if 0 < count < SMALLEST_GROUP else count


def phrased(themes: list[PracticeTheme]) -> list[PracticeTheme]:
    """The themes that can match anything: a theme without key phrases counts nought everywhere."""
    return [theme for theme in themes if theme.key_phrases]


def _area(row: dict, prefix: str) -> tuple[str, str]:
    return row[f"{prefix}code"], row[f"{prefix}name"]


# ---------------------------------------------------------------------------------------
# Observations


def _observation_mentions(phrases: list[str], start: date, end: date) -> Q:
    """Observations mentioning a phrase in their written fields or narrative answers (of the period's)."""
    answered = ObservationAnswer.objects.filter(
        narrative_mentions(phrases), observation__observed_on__range=(start, end)
    ).values("observation_id")
    return text_mentions(phrases, OBSERVATION_TEXT_FIELDS) | Q(pk__in=answered)


def observation_counts(recorded, start: date, end: date, themes: list[PracticeTheme]) -> dict:
    """The period's recorded observations: in all, in a practice week, per kind and per theme (one query)."""
    visit = Q(kind=Observation.Kind.WALK_THE_FLOOR)
    per_theme = {}
    for theme in phrased(themes):
        mentioned = _observation_mentions(theme.key_phrases, start, end)
        per_theme[f"theme_{theme.pk}"] = Count("pk", filter=mentioned)
        per_theme[f"visits_{theme.pk}"] = Count("pk", filter=mentioned & visit)
    return recorded.aggregate(
        recorded=Count("pk"),
        in_practice_week=Count("pk", filter=Q(practice_week__isnull=False)),
        **{f"kind_{kind}": Count("pk", filter=Q(kind=kind)) for kind in Observation.Kind.values},
        **per_theme,
    )


def _action_items(recorded, after: date) -> dict:
    """The action plans of the period's observations: items set, reviewed as done by the end of the
    period, and overdue then (review date passed, not done)."""
    not_done = Q(done_on__isnull=True) | Q(done_on__gte=after)
    return ActionItem.objects.filter(observation__in=recorded.values("pk")).aggregate(
        set=Count("pk"),
        done=Count("pk", filter=Q(done_on__lt=after)),
        overdue=Count("pk", filter=Q(review_on__lt=after) & not_done),
    )


def coverage_counts() -> dict:
    """The practitioners of practitioners_with_status() rows, in all and by coverage status."""
    return {
        "practitioners": Count("pk"),
        "observed": Count("pk", filter=Q(status=OBSERVED)),
        "due": Count("pk", filter=Q(status=DUE)),
        "overdue": Count("pk", filter=Q(status=OVERDUE)),
    }


def _coverage_by_area(last_day: date) -> dict[tuple[str, str], dict]:
    """Per service area, its practitioners at the end of `last_day` by coverage status (one query)."""
    rows = (
        practitioners_with_status(today=last_day, as_it_was=True)
        .order_by()
        .values("service_area__code", "service_area__name")
        .annotate(**coverage_counts())
    )
    return {_area(row, "service_area__"): row for row in rows}


COVERAGE_KEYS = ("practitioners", "observed", "due", "overdue")


def _coverage_row(counts: dict) -> dict:
    row = {key: counts.get(key, 0) for key in COVERAGE_KEYS}
    return {**row, "observed_pct": pct(row["observed"], row["practitioners"])}


def _observations(start: date, end: date, after: date, themes: list[PracticeTheme]) -> dict:
    recorded = Observation.objects.filter(state=Observation.State.RECORDED, observed_on__range=(start, end))
    counts = observation_counts(recorded, start, end, themes)
    last_day = after - timedelta(days=1)
    coverage = _coverage_by_area(last_day)
    recorded_by_area = {
        _area(row, "service_area__"): row["n"]
        for row in recorded.order_by().values("service_area__code", "service_area__name").annotate(n=Count("pk"))
    }
    areas = sorted(set(coverage) | set(recorded_by_area), key=lambda area: area[0].lower())
    return {
        "recorded": counts["recorded"],
        "in_practice_week": counts["in_practice_week"],
        "by_kind": [
            {"kind": kind.value, "label": kind.label, "count": counts[f"kind_{kind.value}"]}
            for kind in Observation.Kind
        ],
        "action_items": _action_items(recorded, after),
        "coverage": {
            "as_of": last_day.isoformat(),
            **_coverage_row({key: sum(row[key] for row in coverage.values()) for key in COVERAGE_KEYS}),
        },
        "by_service_area": [
            {
                "code": code,
                "name": name,
                "recorded": recorded_by_area.get((code, name), 0),
                **_coverage_row(coverage.get((code, name), {})),
            }
            for code, name in areas
        ],
        "themes": [
            {
                "theme_id": theme.pk,
                "name": theme.name,
                "count": counts.get(f"theme_{theme.pk}", 0),
                "visits": counts.get(f"visits_{theme.pk}", 0),
            }
            for theme in themes
        ],
    }


# ---------------------------------------------------------------------------------------
# Voices: surveys, and what auditors recorded


def _survey_rows(start: date, end: date) -> list[dict]:
    """The surveys open at some time in the period, with their links and the responses made by its end."""
    surveys = (
        Survey.objects.filter(opens_on__lte=end, closes_on__gte=start)
        .annotate(
            links_sent=Count("links", distinct=True),
            responses_made=Count("responses", filter=Q(responses__submitted_on__lte=end), distinct=True),
        )
        .order_by("opens_on", "pk")
    )
    rows = []
    for survey in surveys:
        shown = suppressed(survey.responses_made)
        rows.append(
            {
                "survey_id": survey.pk,
                "title": survey.title,
                "audience": survey.audience,
                "audience_label": survey.get_audience_display(),
                "opens_on": survey.opens_on.isoformat(),
                "closes_on": survey.closes_on.isoformat(),
                "links_sent": survey.links_sent,
                "responses": shown,
                "rate_pct": None if shown is None else pct(shown, survey.links_sent),
            }
        )
    return rows


def response_counts(start: date, end: date, themes: list[PracticeTheme], service_area_id: int | None = None) -> dict:
    """The responses of the period, in all and per theme their free text mentions (one query); with
    `service_area_id`, only those to that area's surveys."""
    in_period = Q(response__submitted_on__range=(start, end))
    responses = Response.objects.filter(submitted_on__range=(start, end))
    if service_area_id is not None:
        in_period &= Q(response__survey__service_area_id=service_area_id)
        responses = responses.filter(survey__service_area_id=service_area_id)
    per_theme = {
        f"theme_{theme.pk}": Count(
            "pk",
            filter=Q(
                pk__in=ResponseAnswer.objects.filter(in_period, narrative_mentions(theme.key_phrases)).values(
                    "response_id"
                )
            ),
        )
        for theme in phrased(themes)
    }
    return responses.aggregate(responses=Count("pk"), **per_theme)


def audits_with_views(start: date, end: date) -> dict[str, int]:
    """The audits completed from `start` to `end` (`completed`) and those of them recording the child's
    or family's views (`with_views`): added up from the figure months, as figures.compute counts them."""
    totals = {"completed": 0, "with_views": 0}
    for row in figure_months.counts(start, end, ("service_area_id",), {"with_views": views_recorded()}):
        totals["completed"] += row["total"]
        totals["with_views"] += row["with_views"]
    return totals


def theme_breakdown_allowed(responses: int) -> bool:
    """A theme count of responses is given only where the responses could be broken down at all (or are none)."""
    return not responses or breakdown_allowed(responses)


def _voices(start: date, end: date, themes: list[PracticeTheme], audits: dict[str, int]) -> dict:
    responses = response_counts(start, end, themes)
    breakdown = theme_breakdown_allowed(responses["responses"])
    return {
        "smallest_group": SMALLEST_GROUP,
        "responses": suppressed(responses["responses"]),
        "surveys": _survey_rows(start, end),
        "themes": [
            {
                "theme_id": theme.pk,
                "name": theme.name,
                "count": suppressed(responses.get(f"theme_{theme.pk}", 0)) if breakdown else None,
            }
            for theme in themes
        ],
        "audits_with_views": audits["with_views"],
        "audits_completed": audits["completed"],
        "audits_with_views_pct": pct(audits["with_views"], audits["completed"]),
    }


# ---------------------------------------------------------------------------------------
# Supporting Families benchmarking, complaints and compliments


def _benchmarking(start: date, end: date) -> dict:
    forms = BenchmarkingForm.objects.filter(completed_on__range=(start, end))
    summary = benchmarking_summary(forms)
    by_area = (
        with_positive_outcomes(forms)
        .values("service_area__code", "service_area__name")
        .annotate(**outcome_counts())
        .order_by("service_area__code")
    )
    return {
        "forms": summary.forms,
        "three_or_more": summary.three_or_more,
        "one_or_two": summary.one_or_two,
        "none": summary.none,
        "concerns": [asdict(concern) for concern in summary.concerns],
        "by_service_area": [
            {
                "code": row["service_area__code"],
                "name": row["service_area__name"],
                **{key: row[key] for key in ("forms", "three_or_more", "one_or_two", "none")},
            }
            for row in by_area
        ],
    }


def _complaints(start: date, end: date) -> dict:
    entries = Entry.objects.filter(received_on__range=(start, end))
    summary = summary_of(entries)
    by_area = (
        entries.order_by("service_area__code")
        .values("service_area__code", "service_area__name")
        .annotate(
            complaints=Count("pk", filter=Q(kind=Kind.COMPLAINT)),
            compliments=Count("pk", filter=Q(kind=Kind.COMPLIMENT)),
        )
    )
    return {
        "complaints": summary.complaints,
        "compliments": summary.compliments,
        "themes": [
            {"theme": row.theme, "label": row.label, "complaints": row.complaints, "compliments": row.compliments}
            for row in summary.themes
        ],
        "outcomes": [
            {"outcome": OUTCOME_VALUES[label], "label": label, "count": count} for label, count in summary.outcomes
        ],
        "by_service_area": [
            {
                "code": row["service_area__code"],
                "name": row["service_area__name"],
                "complaints": row["complaints"],
                "compliments": row["compliments"],
            }
            for row in by_area
        ],
    }


def evidence(
    start: date, end: date, as_of: datetime, themes: list[PracticeTheme], *, audits: dict[str, int] | None = None
) -> dict:
    """Every figure of the four other sources for the period `start` to `end` (both included), the
    open ones as they were at `as_of`; `themes` are the active practice themes, in the report's order.
    `audits` is audits_with_views() for the period when the caller has it counted already."""
    return {
        "observations": _observations(start, end, timezone.localdate(as_of), themes),
        "voices": _voices(start, end, themes, audits if audits is not None else audits_with_views(start, end)),
        "benchmarking": _benchmarking(start, end),
        "complaints": _complaints(start, end),
    }
