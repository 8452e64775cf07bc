"""Every figure of an audit analysis report, computed in the database (the contract: docs/reports.md).

`compute(kind, period)` returns the figures as one JSON-native object: the pages, the PDF, the
workbook and `build_report --format json` all read it, and a report stores it as its snapshot.
Counting is done by PostgreSQL with conditional aggregates and grouped queries, so `compute` runs
the same number of queries whatever the number of audits (a dozen or so); Python only loops over
their bounded results (grades, areas, kinds, themes, and the capped exemplars and highlight
candidates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone

from audits.models import (
    Allocation,
    AllocationItem,
    AnalysisArea,
    AreaGrade,
    Audit,
    Escalation,
    Grade,
    LearningAction,
    auditor_grade_is,
    completion_day,
    final_grade_is,
    moderated,
    submitted,
    ungraded,
)
from audits.models import completed_in as audits_completed_in
from moderation.selectors import decisions_in, summary
from quality.months import add_months, month_end, quarter_end, quarter_of, start_of_day
from quality.org.models import ServiceAreaName

from .models import PracticeTheme, Report
from .themes import mentions

Kind = Report.Kind
GRADES: tuple[str, ...] = tuple(Grade.values)  # best first
SMALL_SAMPLE_THRESHOLD = 20  # a percentage resting on fewer audits than this carries a warning
EXEMPLARS_PER_AREA = 10
HIGHLIGHTS_PER_AREA_AND_KIND = 10
PCT_PLACES = 1
TREND_PERIODS = 3  # earlier periods of the same kind shown before this one

KIND_UNKNOWN = "There is no report kind {kind!r}: use monthly, quarterly or annual."
PERIOD_FORMATS = {
    Kind.MONTHLY: "A monthly report's period is a month written YYYY-MM, for example 2023-11, not {text!r}.",
    Kind.QUARTERLY: "A quarterly report's period is a quarter written YYYY-Qn, for example 2023-Q4, not {text!r}.",
    Kind.ANNUAL: "An annual report's period is a year written YYYY, for example 2022, not {text!r}.",
}
MONTH_INVALID = "There is no month {month} in {text!r}: months go from 01 to 12."
YEAR_INVALID = "The year in {text!r} is out of range: use a year from 1900 to 9999."
YEAR_TO_DATE_ANNUAL_ONLY = "Only an annual report can cover the year to date."
YEAR_TO_DATE_NOT_STARTED = "The year {period} has no day before {today:%d/%m/%Y} to report on yet."

_PATTERNS = {
    Kind.MONTHLY: re.compile(r"(\d{4})-(\d{2})"),
    Kind.QUARTERLY: re.compile(r"(\d{4})-[Qq]([1-4])"),
    Kind.ANNUAL: re.compile(r"(\d{4})"),
}


# ---------------------------------------------------------------------------------------
# Periods


def parse_period(kind: str, text: str) -> tuple[date, date]:
    """The first and last day (both included) of a period code: 2023-11, 2023-Q4 or 2022."""
    if kind not in Kind.values:
        raise ValueError(KIND_UNKNOWN.format(kind=kind))
    text = (text or "").strip()
    match = _PATTERNS[kind].fullmatch(text)
    if match is None:
        raise ValueError(PERIOD_FORMATS[kind].format(text=text))
    year = int(match.group(1))
    if year < 1900:
        raise ValueError(YEAR_INVALID.format(text=text))
    if kind == Kind.MONTHLY:
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(MONTH_INVALID.format(month=match.group(2), text=text))
        start = date(year, month, 1)
        return start, month_end(start)
    if kind == Kind.QUARTERLY:
        start = date(year, 3 * int(match.group(2)) - 2, 1)
        return start, quarter_end(start)
    return date(year, 1, 1), date(year, 12, 31)


def period_code(kind: str, start: date) -> str:
    """The code of the period of `kind` starting on `start`."""
    if kind == Kind.MONTHLY:
        return f"{start:%Y-%m}"
    if kind == Kind.QUARTERLY:
        return f"{start.year}-Q{quarter_of(start)}"
    return f"{start.year}"


@dataclass(frozen=True)
class Span:
    """A report period: its code and first and last day (both included)."""

    kind: str
    code: str
    start: date
    end: date
    year_to_date: bool = False

    @property
    def begins(self) -> datetime:
        return start_of_day(self.start)

    @property
    def ends(self) -> datetime:
        """Midnight after the last day (excluded)."""
        return start_of_day(self.end + timedelta(days=1))

    def earlier(self, count: int) -> Span:
        """The period `count` periods before this one (a year to date: the same span of an earlier year)."""
        if self.kind == Kind.MONTHLY:
            start = add_months(self.start, -count)
            return Span(self.kind, period_code(self.kind, start), start, month_end(start))
        if self.kind == Kind.QUARTERLY:
            start = add_months(self.start, -3 * count)
            return Span(self.kind, period_code(self.kind, start), start, quarter_end(start))
        start = date(self.start.year - count, 1, 1)
        end = add_months(self.end, -12 * count) if self.year_to_date else date(start.year, 12, 31)
        return Span(self.kind, period_code(self.kind, start), start, end, self.year_to_date)

    def quarters(self) -> list[Span]:
        """The quarters of an annual period, the last one cut at the period's end."""
        spans = []
        for first_month in (1, 4, 7, 10):
            start = date(self.start.year, first_month, 1)
            if start > self.end:
                break
            end = min(quarter_end(start), self.end)
            spans.append(Span(Kind.QUARTERLY, period_code(Kind.QUARTERLY, start), start, end))
        return spans

    def as_json(self) -> dict:
        return {"period": self.code, "period_start": self.start.isoformat(), "period_end": self.end.isoformat()}


def report_span(kind: str, period: str, *, year_to_date: bool = False, today: date | None = None) -> Span:
    """The period a report covers; a year to date ends the day before `today` (at the latest on 31 December)."""
    start, end = parse_period(kind, period)
    if year_to_date:
        if kind != Kind.ANNUAL:
            raise ValueError(YEAR_TO_DATE_ANNUAL_ONLY)
        today = today or timezone.localdate()
        end = min(end, today - timedelta(days=1))
        if end < start:
            raise ValueError(YEAR_TO_DATE_NOT_STARTED.format(period=period_code(kind, start), today=today))
    return Span(kind, period_code(kind, start), start, end, year_to_date)


# ---------------------------------------------------------------------------------------
# Conditions


def completed_in(span: Span, prefix: str = "") -> Q:
    """Audits completed in `span` (audits.models.completed_in: the one rule for every figure)."""
    return audits_completed_in(span.start, span.end, prefix)


def _pct(part: int | None, whole: int | None) -> float | None:
    if not whole or part is None:
        return None
    return round(100 * part / whole, PCT_PLACES)


def _points(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, PCT_PLACES)


def _grade_counts() -> dict:
    """Per group: audits by auditor's grade (before moderation), ungraded and in all, as aggregates."""
    return {
        **{grade: Count("pk", filter=auditor_grade_is(grade)) for grade in GRADES},
        "ungraded": Count("pk", filter=ungraded()),
        "total": Count("pk"),
    }


# ---------------------------------------------------------------------------------------
# The figures


def _headlines(this: Span, previous: Span) -> dict[str, dict]:
    """The headline figures of both periods: one query over audits, one over allocations."""
    aggregates = {}
    for name, span in (("this", this), ("previous", previous)):
        done = completed_in(span)
        aggregates |= {
            f"{name}_completed": Count("pk", filter=done),
            f"{name}_service_areas": Count("service_area", distinct=True, filter=done),
            **{
                f"{name}_{field}_{answer}": Count("pk", filter=done & Q(**{f"{field}__{lookup}": value}))
                for field in ("discussion_held", "child_contacted", "family_contacted")
                for answer, lookup, value in (("yes", "exact", True), ("answered", "isnull", False))
            },
            **{f"{name}_{grade}": Count("pk", filter=done & auditor_grade_is(grade)) for grade in GRADES},
        }
    done = completed_in(this)
    aggregates |= {f"final_{grade}": Count("pk", filter=done & final_grade_is(grade)) for grade in GRADES}
    aggregates["moderated_count"] = Count("pk", filter=done & moderated())
    counts = Audit.objects.filter(completed_in(this) | completed_in(previous)).aggregate(**aggregates)

    allocated = {}
    for name, span in (("this", this), ("previous", previous)):
        in_span = Q(allocation__month__gte=span.start, allocation__month__lte=span.end)
        allocated |= {
            f"{name}_allocated": Count("pk", filter=in_span),
            f"{name}_allocated_completed": Count("pk", filter=in_span & submitted("audit__")),
        }
    allocation_counts = AllocationItem.objects.filter(
        removed_at__isnull=True,
        allocation__state=Allocation.State.DISTRIBUTED,
        allocation__month__gte=previous.start,
        allocation__month__lte=this.end,
    ).aggregate(**allocated)

    result = {}
    for name in ("this", "previous"):
        grades = {grade: counts[f"{name}_{grade}"] for grade in GRADES}
        graded = sum(grades.values())
        completed = counts[f"{name}_completed"]
        answered = {
            field: counts[f"{name}_{field}_answered"]
            for field in ("discussion_held", "child_contacted", "family_contacted")
        }
        allocated_count = allocation_counts[f"{name}_allocated"]
        allocated_completed = allocation_counts[f"{name}_allocated_completed"]
        result[name] = {
            "completed": completed,
            "allocated": allocated_count,
            "allocated_completed": allocated_completed,
            "completed_of_allocated_pct": _pct(allocated_completed, allocated_count),
            "service_areas": counts[f"{name}_service_areas"],
            "practitioner_discussion_pct": _pct(counts[f"{name}_discussion_held_yes"], answered["discussion_held"]),
            "child_contact_pct": _pct(counts[f"{name}_child_contacted_yes"], answered["child_contacted"]),
            "family_contact_pct": _pct(counts[f"{name}_family_contacted_yes"], answered["family_contacted"]),
            "graded": graded,
            "ungraded": completed - graded,
            "grades": grades,
            "small_sample": completed < SMALL_SAMPLE_THRESHOLD,
            "bases": {
                "completed_of_allocated_pct": allocated_count,
                "practitioner_discussion_pct": answered["discussion_held"],
                "child_contact_pct": answered["child_contacted"],
                "family_contact_pct": answered["family_contacted"],
                "grades_pct": graded,
            },
        }
    final = {grade: counts[f"final_{grade}"] for grade in GRADES}
    final_graded = sum(final.values())
    result["moderated"] = {
        "grades": final,
        "grades_pct": {grade: _pct(count, final_graded) for grade, count in final.items()},
        "moderated_count": counts["moderated_count"],
        "graded": final_graded,
    }
    return result


def _row(values: dict) -> dict:
    return {**{grade: values[grade] for grade in GRADES}, "ungraded": values["ungraded"], "total": values["total"]}


def _by_service_area(this: Span) -> list[dict]:
    """Per service area with an audit completed in the period: grade counts, named as it was then."""
    name_then = ServiceAreaName.objects.filter(
        service_area=OuterRef("service_area_id"), valid_from__lt=this.ends
    ).order_by("-valid_from", "-pk")
    rows = (
        Audit.objects.filter(completed_in(this))
        .values("service_area_id", "service_area__code", "service_area__name")
        .annotate(**_grade_counts())
        .annotate(name_then=Subquery(name_then.values("name")[:1]))
        .order_by(Lower("service_area__code"), "service_area_id")
    )
    return [
        {"code": row["service_area__code"], "name": row["name_then"] or row["service_area__name"], **_row(row)}
        for row in rows
    ]


def _by_kind(this: Span) -> list[dict]:
    rows = {
        row["kind"]: row
        for row in Audit.objects.filter(completed_in(this)).values("kind").annotate(**_grade_counts()).order_by()
    }
    return [{"kind": kind, "label": label, **_row(rows[kind])} for kind, label in Audit.Kind.choices if kind in rows]


def _by_theme(this: Span) -> list[dict]:
    rows = (
        Audit.objects.filter(completed_in(this))
        .exclude(theme="")
        .values("theme")
        .annotate(**_grade_counts())
        .order_by(Lower("theme"), "theme")
    )
    return [{"theme": row["theme"], **_row(row)} for row in rows]


def _areas_of_analysis(kind: str, this: Span, trend: list[Span]) -> list[dict]:
    """Per area of analysis: the auditor's area grades in this period, each trend period and each quarter."""
    quarters = this.quarters() if kind == Kind.ANNUAL else []
    spans = {f"t{index}": span for index, span in enumerate(trend)} | {
        f"q{index}": span for index, span in enumerate(quarters)
    }
    anywhere = Q()
    for span in spans.values():
        anywhere |= completed_in(span, "audit__")
    rows = (
        AreaGrade.objects.filter(anywhere)
        .values("area", "grade")
        .annotate(**{key: Count("pk", filter=completed_in(span, "audit__")) for key, span in spans.items()})
        .order_by()
    )
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        for key in spans:
            counts[(row["area"], key, row["grade"])] = row[key]

    def distribution(area: str, key: str, span: Span) -> dict:
        grades = {grade: counts.get((area, key, grade), 0) for grade in GRADES}
        return {**span.as_json(), "grades": grades, "total": sum(grades.values())}

    this_key = f"t{len(trend) - 1}"
    result = []
    for area, label in AnalysisArea.choices:
        current = distribution(area, this_key, this)
        result.append(
            {
                "area": area,
                "label": label,
                "grades": current["grades"],
                "total": current["total"],
                "trend": [distribution(area, f"t{index}", span) for index, span in enumerate(trend)],
                "quarters": [distribution(area, f"q{index}", span) for index, span in enumerate(quarters)],
            }
        )
    return result


def _themes(this: Span, previous: Span) -> list[dict]:
    """Per active practice theme: the audits mentioning it in this period (with their ids) and the previous.

    One query per theme (the theme list is short and set by QA; the audits are many): the theme's
    condition is then evaluated once per audit, in the WHERE clause, and the matching audits are
    counted and collected per period by the database."""
    done_now, done_before = completed_in(this), completed_in(previous)
    result = []
    for theme in PracticeTheme.objects.filter(is_active=True):
        counts, ids = {True: 0, False: 0}, []
        if theme.key_phrases:
            mentioning = Audit.objects.filter(done_now | done_before).filter(mentions(theme.key_phrases))
            rows = (
                mentioning.annotate(now=Case(When(done_now, then=Value(True)), default=Value(False)))
                .values("now")
                .annotate(count=Count("pk"))
                .order_by()
            )
            counts |= {row["now"]: row["count"] for row in rows}
            # The ids behind this period's count, for the report's links (a second query rather than
            # PostgreSQL's ARRAY_AGG, so the figures work on SQLite too).
            ids = list(mentioning.filter(done_now).order_by("pk").values_list("pk", flat=True))
        result.append(
            {
                "name": theme.name,
                "count": counts[True],
                "previous_count": counts[False],
                "change": counts[True] - counts[False],
                "audit_ids": ids,
            }
        )
    return result


def _actions(this: Span, as_of: datetime) -> dict:
    in_period = Q(created_at__gte=this.begins, created_at__lt=this.ends)
    # Past its due day at `as_of` and not closed (done or no longer needed) before then.
    overdue = Q(created_at__lt=as_of, due_on__lt=timezone.localdate(as_of)) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=as_of)
    )
    return LearningAction.objects.filter(created_at__lt=max(this.ends, as_of)).aggregate(
        opened=Count("pk", filter=in_period),
        completed=Count(
            "pk",
            filter=Q(status=LearningAction.Status.DONE, closed_at__gte=this.begins, closed_at__lt=this.ends),
        ),
        overdue=Count("pk", filter=overdue),
    )


def _escalations(this: Span, as_of: datetime) -> dict:
    day = timezone.localdate(as_of)  # a step due before this day and not done by `as_of` is late
    open_then = Q(opened_at__lt=as_of) & (Q(closed_at__isnull=True) | Q(closed_at__gte=as_of))
    not_done = {
        step: Q(**{f"{step}_at__isnull": True}) | Q(**{f"{step}_at__gte": as_of})
        for step in ("first_update", "second_update")
    }
    reaudit_not_allocated = Q(reaudit__isnull=True) | Q(reaudit__created_at__gte=as_of)
    reaudit_not_submitted = Q(reaudit__submitted_at__isnull=True) | Q(reaudit__submitted_at__gte=as_of)
    late_step = (
        (Q(first_update_due__lt=day) & not_done["first_update"])
        | (Q(second_update_due__lt=day) & not_done["second_update"])
        | Q(remedial_due_on__lt=day)
        | (Q(reaudit_due_on__lt=day) & reaudit_not_allocated)
        | (Q(reaudit__created_at__lt=as_of, reaudit__due_on__lt=day) & reaudit_not_submitted)
    )
    return Escalation.objects.aggregate(
        opened=Count("pk", filter=Q(opened_at__gte=this.begins, opened_at__lt=this.ends)),
        open=Count("pk", filter=open_then),
        late=Count("pk", filter=open_then & late_step),
        closed=Count(
            "pk", filter=Q(stage=Escalation.Stage.CLOSED, closed_at__gte=this.begins, closed_at__lt=this.ends)
        ),
    )


def _latest_per(queryset, partition: list, limit: int):
    """The latest-completed `limit` audits of `queryset` per `partition`, ranked by the database."""
    latest_first = [F("completion_day").desc(), F("submitted_at").desc(nulls_last=True), F("pk").desc()]
    return (
        queryset.annotate(completion_day=completion_day())
        .annotate(rank=Window(RowNumber(), partition_by=partition, order_by=latest_first))
        .filter(rank__lte=limit)
        .order_by(Lower("service_area__code"), "service_area_id", *latest_first)
    )


def _exemplars(this: Span) -> list[dict]:
    rows = _latest_per(
        Audit.objects.with_final_grade().filter(completed_in(this), is_exemplar=True),
        [F("service_area_id")],
        EXEMPLARS_PER_AREA,
    ).values("pk", "case_reference", "service_area__code", "final_grade")
    return [
        {
            "audit_id": row["pk"],
            "case_reference": row["case_reference"],
            "service_area": row["service_area__code"],
            "grade": row["final_grade"],
        }
        for row in rows
    ]


HIGHLIGHT_SOURCES = (("good_practice", "strengths"), ("improvement", "areas_for_improvement"))


def _highlight_candidates(this: Span) -> list[dict]:
    candidates = []
    for kind, field in HIGHLIGHT_SOURCES:
        written = Audit.objects.filter(completed_in(this)).exclude(**{f"{field}__regex": r"^\s*$"})
        rows = _latest_per(written, [F("service_area_id")], HIGHLIGHTS_PER_AREA_AND_KIND).values(
            "pk", "service_area_id", "service_area__code", field
        )
        candidates += [
            {
                "service_area": row["service_area__code"],
                "service_area_id": row["service_area_id"],
                "kind": kind,
                "audit_id": row["pk"],
                "text": row[field].strip(),
            }
            for row in rows
        ]
    # Area by area, good practice first (the order the report shows them); each group stays latest first.
    order = {kind: index for index, (kind, _) in enumerate(HIGHLIGHT_SOURCES)}
    return sorted(candidates, key=lambda row: (row["service_area"].lower(), row["service_area_id"], order[row["kind"]]))


def compute(kind: str, period: str, *, year_to_date: bool = False, today: date | None = None) -> dict:
    """Every figure of the `kind` report for `period` (docs/reports.md), from the data as it is now."""
    today = today or timezone.localdate()
    this = report_span(kind, period, year_to_date=year_to_date, today=today)
    previous = this.earlier(1)
    trend = [this.earlier(count) for count in range(TREND_PERIODS, 0, -1)] + [this]
    # "At the end of the period" for what is open, late or overdue; never later than the start of today.
    as_of = min(this.ends, start_of_day(today))

    headlines = _headlines(this, previous)
    audits, before = headlines["this"], headlines["previous"]
    return {
        "kind": kind,
        "period": this.code,
        "period_start": this.start.isoformat(),
        "period_end": this.end.isoformat(),
        "year_to_date": this.year_to_date,
        "small_sample_threshold": SMALL_SAMPLE_THRESHOLD,
        "audits": audits,
        "grades_pct": {grade: _pct(count, audits["graded"]) for grade, count in audits["grades"].items()},
        "moderated": headlines["moderated"],
        "previous": {**previous.as_json(), **before},
        "changes": {
            "completed": audits["completed"] - before["completed"],
            **{
                key: _points(audits[key], before[key])
                for key in ("practitioner_discussion_pct", "child_contact_pct", "family_contact_pct")
            },
        },
        "by_service_area": _by_service_area(this),
        "by_kind": _by_kind(this),
        "by_theme": _by_theme(this),
        "areas_of_analysis": _areas_of_analysis(kind, this, trend),
        "themes": _themes(this, previous),
        "actions": _actions(this, as_of),
        "escalations": _escalations(this, as_of),
        "exemplars": _exemplars(this),
        "moderation": summary(decisions_in(this.start, this.end)),
        "highlight_candidates": _highlight_candidates(this),
    }
