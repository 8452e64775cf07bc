"""Reads of benchmarking forms, through the access rules; every figure counted by the database.

`summary` is the seed's picture of a period (the 2023 report: "147 benchmarking forms were completed,
74 have 3 or more unique positive outcomes, and 59 have 1 or 2"): forms completed, families with three
or more positive outcomes, with one or two, with none, and for each of the ten concerns how many forms
identified it at the start, at the end, and achieved a positive outcome. Two queries whatever the
number of forms: one over the forms (each form's positive outcomes counted in a subquery), one over
their concern rows (thirty conditional counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from quality.access import visible
from quality.org.models import ServiceArea

from .models import BenchmarkingForm, Concern, ConcernOutcome

THREE_OR_MORE = 3  # the seed's threshold: "3 or more unique positive outcomes"


def _count_of(condition: Q) -> Subquery:
    """The number of the form's concern rows meeting `condition` (0 for none), as a subquery."""
    rows = (
        ConcernOutcome.objects.filter(condition, form=OuterRef("pk"))
        .order_by()
        .values("form")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def forms_listed(user) -> QuerySet[BenchmarkingForm]:
    """The forms this person may see, each with its concerns identified at the start and its positive
    outcomes (subqueries, so a page of the list is one query however many rows)."""
    return visible(user, BenchmarkingForm.objects.select_related("service_area", "team", "completed_by")).annotate(
        identified_at_start=_count_of(Q(identified_at_start=True)),
        positive_outcomes=_count_of(Q(positive_outcome=True)),
    )


def forms_in(user, start: date, end: date, service_area: ServiceArea | None = None) -> QuerySet[BenchmarkingForm]:
    """The forms completed from `start` to `end` (both included) this person may see, in one area or all."""
    forms = visible(user, BenchmarkingForm.objects.filter(completed_on__range=(start, end)))
    return forms.filter(service_area=service_area) if service_area is not None else forms


@dataclass(frozen=True)
class ConcernFigures:
    concern: str
    label: str
    identified_at_start: int
    identified_at_end: int
    positive_outcomes: int


@dataclass(frozen=True)
class Summary:
    forms: int
    three_or_more: int
    one_or_two: int
    none: int
    concerns: list[ConcernFigures]

    @property
    def positive_outcomes(self) -> int:
        return sum(figures.positive_outcomes for figures in self.concerns)


def with_positive_outcomes(forms: QuerySet[BenchmarkingForm]) -> QuerySet[BenchmarkingForm]:
    """`forms` unordered, each with `positives`, its number of positive outcomes (a subquery)."""
    return forms.order_by().annotate(positives=_count_of(Q(positive_outcome=True)))


def outcome_counts() -> dict[str, Count]:
    """The seed's three groups of forms, as aggregates over `with_positive_outcomes` rows."""
    return {
        "forms": Count("pk"),
        "three_or_more": Count("pk", filter=Q(positives__gte=THREE_OR_MORE)),
        "one_or_two": Count("pk", filter=Q(positives__gte=1, positives__lt=THREE_OR_MORE)),
        "none": Count("pk", filter=Q(positives=0)),
    }


def summary(forms: QuerySet[BenchmarkingForm]) -> Summary:
    totals = with_positive_outcomes(forms).aggregate(**outcome_counts())
    rows = ConcernOutcome.objects.filter(form__in=forms.order_by().values("pk"))
    per_concern = rows.aggregate(
        **{
            f"{field}_{concern}": Count("pk", filter=Q(concern=concern, **{field: True}))
            for concern in Concern.values
            for field in ("identified_at_start", "identified_at_end", "positive_outcome")
        }
    )
    return Summary(
        **totals,
        concerns=[
            ConcernFigures(
                concern=concern.value,
                label=concern.label,
                identified_at_start=per_concern[f"identified_at_start_{concern}"],
                identified_at_end=per_concern[f"identified_at_end_{concern}"],
                positive_outcomes=per_concern[f"positive_outcome_{concern}"],
            )
            for concern in Concern
        ],
    )
