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

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce, Lower, RowNumber
from django.utils import timezone

from audits import figure_months
from audits.models import (
    Allocation,
    AllocationItem,
    AnalysisArea,
    Audit,
    Escalation,
    Grade,
    LearningAction,
    auditor_grade_is,
    final_grade_is,
    moderated,
    submitted,
    ungraded,
    views_recorded,
)
from audits.models import completed_in as audits_completed_in
from moderation.selectors import decisions_in, summary
from quality.months import add_months, month_end, quarter_end, quarter_of, start_of_day
from quality.org.models import ServiceArea, ServiceAreaName

from .models import PracticeTheme, Report, ThemeMonthCount
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


def pct(part: int | None, whole: int | None) -> float | None:
    if not whole or part is None:
        return None
    return round(100 * part / whole, PCT_PLACES)


def _points(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, PCT_PLACES)


# ---------------------------------------------------------------------------------------
# The figures


ANSWERED_FIELDS = ("discussion_held", "child_contacted", "family_contacted")  # yes / no / not answered


def audit_conditions() -> dict[str, Q]:
    """What the headlines and the tables count, each a condition on an audit (audits.models); the
    evaluation's triangulation counts the same per service area."""
    return {
        **{grade: auditor_grade_is(grade) for grade in GRADES},
        "ungraded": ungraded(),
        **{f"final_{grade}": final_grade_is(grade) for grade in GRADES},
        "moderated_count": moderated(),
        **{f"{field}_yes": Q(**{field: True}) for field in ANSWERED_FIELDS},
        **{f"{field}_answered": Q(**{f"{field}__isnull": False}) for field in ANSWERED_FIELDS},
        "with_views": views_recorded(),  # the voices section's (evidence_figures.py)
    }


def _audit_groups(this: Span, previous: Span) -> list[dict]:
    """The audits completed in either period, counted per period (`now`), service area, kind and
    theme, with every count the headlines and the three tables add up in Python.

    Read from the figure months (audits/figure_months.py): a stored row per combination of values
    that occurs in a month, however many audits share it; the groups are few (areas x kinds x themes)."""
    groups = []
    for now, span in ((True, this), (False, previous)):
        rows = figure_months.counts(span.start, span.end, ("service_area_id", "kind", "theme"), audit_conditions())
        groups += [{**row, "now": now} for row in rows]
    return groups


def _summed(groups: list[dict], key: str | None = None) -> dict:
    """The groups' counts added up: in all (key None), or per value of `key` in first-seen order."""
    totals: dict = {}
    for group in groups:
        into = totals.setdefault(group[key] if key else None, {})
        for name, value in group.items():
            if isinstance(value, int) and not isinstance(value, bool) and not name.endswith("_id"):
                into[name] = into.get(name, 0) + value
    return totals if key else totals.get(None, {})


def _allocation_counts(this: Span, previous: Span) -> dict:
    """Allocated cases of each period, and how many of their audits are submitted: one query."""
    allocated = {}
    for name, span in (("this", this), ("previous", previous)):
        in_span = Q(allocation__month__gte=span.start, allocation__month__lte=span.end)
        allocated |= {
            f"{name}_allocated": Count("pk", filter=in_span),
            f"{name}_allocated_completed": Count("pk", filter=in_span & submitted("audit__")),
        }
    return AllocationItem.objects.filter(
        removed_at__isnull=True,
        allocation__state=Allocation.State.DISTRIBUTED,
        allocation__month__gte=previous.start,
        allocation__month__lte=this.end,
    ).aggregate(**allocated)


def _period_headlines(counts: dict, areas: int, allocated: int, allocated_completed: int) -> dict:
    grades = {grade: counts.get(grade, 0) for grade in GRADES}
    graded = sum(grades.values())
    completed = counts.get("total", 0)
    answered = {field: counts.get(f"{field}_answered", 0) for field in ANSWERED_FIELDS}
    yes = {field: counts.get(f"{field}_yes", 0) for field in ANSWERED_FIELDS}
    return {
        "completed": completed,
        "allocated": allocated,
        "allocated_completed": allocated_completed,
        "completed_of_allocated_pct": pct(allocated_completed, allocated),
        "service_areas": areas,
        "practitioner_discussion_pct": pct(yes["discussion_held"], answered["discussion_held"]),
        "child_contact_pct": pct(yes["child_contacted"], answered["child_contacted"]),
        "family_contact_pct": pct(yes["family_contacted"], answered["family_contacted"]),
        "graded": graded,
        "ungraded": completed - graded,
        "grades": grades,
        "small_sample": completed < SMALL_SAMPLE_THRESHOLD,
        "bases": {
            "completed_of_allocated_pct": allocated,
            "practitioner_discussion_pct": answered["discussion_held"],
            "child_contact_pct": answered["child_contacted"],
            "family_contact_pct": answered["family_contacted"],
            "grades_pct": graded,
        },
    }


def _headlines(groups: list[dict], this: Span, previous: Span) -> dict[str, dict]:
    """The headline figures of both periods, from the audit groups and one query over allocations."""
    allocation_counts = _allocation_counts(this, previous)
    result = {}
    for name, now in (("this", True), ("previous", False)):
        in_period = [group for group in groups if group["now"] is now]
        result[name] = _period_headlines(
            _summed(in_period),
            len({group["service_area_id"] for group in in_period}),
            allocation_counts[f"{name}_allocated"],
            allocation_counts[f"{name}_allocated_completed"],
        )
    this_counts = _summed([group for group in groups if group["now"]])
    final = {grade: this_counts.get(f"final_{grade}", 0) for grade in GRADES}
    final_graded = sum(final.values())
    result["moderated"] = {
        "grades": final,
        "grades_pct": {grade: pct(count, final_graded) for grade, count in final.items()},
        "moderated_count": this_counts.get("moderated_count", 0),
        "graded": final_graded,
    }
    return result


def _row(values: dict) -> dict:
    return {
        **{grade: values.get(grade, 0) for grade in GRADES},
        "ungraded": values["ungraded"],
        "total": values["total"],
    }


def _by_service_area(groups: list[dict], this: Span) -> list[dict]:
    """Per service area with an audit completed in the period: grade counts, named as it was then."""
    per_area = _summed([group for group in groups if group["now"]], "service_area_id")
    name_then = ServiceAreaName.objects.filter(service_area=OuterRef("pk"), valid_from__lt=this.ends).order_by(
        "-valid_from", "-pk"
    )
    areas = (
        ServiceArea.objects.filter(pk__in=per_area)
        .annotate(name_then=Subquery(name_then.values("name")[:1]))
        .order_by(Lower("code"), "pk")
        .values("pk", "code", "name", "name_then")
    )
    return [
        {"code": area["code"], "name": area["name_then"] or area["name"], **_row(per_area[area["pk"]])}
        for area in areas
    ]


def _by_kind(groups: list[dict]) -> list[dict]:
    per_kind = _summed([group for group in groups if group["now"]], "kind")
    return [
        {"kind": kind, "label": label, **_row(per_kind[kind])} for kind, label in Audit.Kind.choices if kind in per_kind
    ]


def _by_theme(groups: list[dict]) -> list[dict]:
    per_theme = _summed([group for group in groups if group["now"] and group["theme"]], "theme")
    ordered = sorted(per_theme.items(), key=lambda item: (item[0].lower(), item[0]))
    return [{"theme": theme, **_row(counts)} for theme, counts in ordered]


def _areas_of_analysis(kind: str, this: Span, trend: list[Span]) -> list[dict]:
    """Per area of analysis: the auditor's area grades in this period, each trend period and each quarter."""
    quarters = this.quarters() if kind == Kind.ANNUAL else []
    spans = {f"t{index}": span for index, span in enumerate(trend)} | {
        f"q{index}": span for index, span in enumerate(quarters)
    }
    counts = figure_months.area_grade_counts({key: (span.start, span.end) for key, span in spans.items()})

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


def theme_counts(span: Span, themes: list[PracticeTheme]) -> dict[int, int]:
    """Per theme id, the audits completed in `span` mentioning it: the counts kept month by month
    (ThemeMonthCount) for the span's whole months, and for days left over (a year to date) one
    query counting every theme at once, its condition evaluated once per audit of those days."""
    months, edges = figure_months.split(span.start, span.end)
    counts: dict[int, int] = {}
    if months:
        stored = (
            ThemeMonthCount.objects.filter(month__gte=months[0], month__lte=months[1])
            .values("theme_id")
            .annotate(audits=Sum("audits"))
            .order_by()
        )
        counts |= {row["theme_id"]: row["audits"] for row in stored}
    phrased = [theme for theme in themes if theme.key_phrases]
    for first, last in edges:
        if not phrased:
            break
        answers_of = audits_completed_in(first, last, "audit__")
        live = Audit.objects.filter(audits_completed_in(first, last)).aggregate(
            **{
                f"theme_{theme.pk}": Count("pk", filter=mentions(theme.key_phrases, answers_of=answers_of))
                for theme in phrased
            }
        )
        for theme in phrased:
            counts[theme.pk] = counts.get(theme.pk, 0) + live[f"theme_{theme.pk}"]
    return counts


def _themes(this: Span, previous: Span) -> list[dict]:
    """Per active practice theme: how many audits mention it in this period and the previous, from the
    counts kept month by month (audits/figure_months.py), rebuilt first where an audit or a theme changed.

    No ids are collected: the theme's `theme_id` with the report's period is all the audit list needs
    to show the audits behind `count` (its practice theme and completion filters), so the figures stay
    the same size whatever the number of audits."""
    figure_months.refresh("themes_stale")
    themes = list(PracticeTheme.objects.filter(is_active=True))
    now, before = theme_counts(this, themes), theme_counts(previous, themes)
    return [
        {
            "theme_id": theme.pk,
            "name": theme.name,
            "count": now.get(theme.pk, 0),
            "previous_count": before.get(theme.pk, 0),
            "change": now.get(theme.pk, 0) - before.get(theme.pk, 0),
        }
        for theme in themes
    ]


def action_open_at(as_of: datetime, prefix: str = "") -> Q:
    """Learning actions (through `prefix`) made before `as_of` and not closed (done or no longer needed) by then."""
    return Q(**{f"{prefix}created_at__lt": as_of}) & (
        Q(**{f"{prefix}closed_at__isnull": True}) | Q(**{f"{prefix}closed_at__gte": as_of})
    )


def action_overdue_at(as_of: datetime, prefix: str = "") -> Q:
    """Open at `as_of` (action_open_at) and past its due day then."""
    return action_open_at(as_of, prefix) & Q(**{f"{prefix}due_on__lt": timezone.localdate(as_of)})


def _actions(this: Span, as_of: datetime) -> dict:
    in_period = Q(created_at__gte=this.begins, created_at__lt=this.ends)
    return LearningAction.objects.filter(created_at__lt=max(this.ends, as_of)).aggregate(
        opened=Count("pk", filter=in_period),
        completed=Count(
            "pk",
            filter=Q(status=LearningAction.Status.DONE, closed_at__gte=this.begins, closed_at__lt=this.ends),
        ),
        overdue=Count("pk", filter=action_overdue_at(as_of)),
    )


def escalation_open_at(as_of: datetime) -> Q:
    """Escalations opened before `as_of` and not closed by then."""
    return Q(opened_at__lt=as_of) & (Q(closed_at__isnull=True) | Q(closed_at__gte=as_of))


def escalation_late_at(as_of: datetime) -> Q:
    """Open at `as_of` with a step due before that day and not done by then."""
    day = timezone.localdate(as_of)
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
    return escalation_open_at(as_of) & late_step


def _escalations(this: Span, as_of: datetime) -> dict:
    return Escalation.objects.aggregate(
        opened=Count("pk", filter=Q(opened_at__gte=this.begins, opened_at__lt=this.ends)),
        open=Count("pk", filter=escalation_open_at(as_of)),
        late=Count("pk", filter=escalation_late_at(as_of)),
        closed=Count(
            "pk", filter=Q(stage=Escalation.Stage.CLOSED, closed_at__gte=this.begins, closed_at__lt=this.ends)
        ),
    )


def _latest_per_area(queryset, limit: int):
    """The latest-completed `limit` audits of `queryset` in each service area, ranked by the database.

    Two steps, so that neither reads the period's audits: the completion day of each area's
    `limit`-th latest audit (a subquery per area, walking the index on the area and completion day),
    then the ranking over the audits completed on or after it (ties on that day included, so the
    ranks are those over every audit of the area). An area with fewer than `limit` has its earliest
    one's day as the cutoff (COALESCE asks only then), and an area with none no cutoff and no rows:
    a cutoff of "every audit of the area" would read all of a retired area's years."""
    latest_first = [F("completed_day").desc(), F("submitted_at").desc(nulls_last=True), F("pk").desc()]
    of_area = queryset.filter(service_area_id=OuterRef("pk"))
    nth_latest = of_area.order_by(*latest_first).values("completed_day")[limit - 1 : limit]
    earliest = of_area.order_by("completed_day").values("completed_day")[:1]
    cutoffs = ServiceArea.objects.annotate(cutoff=Coalesce(Subquery(nth_latest), Subquery(earliest)))
    recent = Q(pk__in=[])
    for area_id, cutoff in cutoffs.values_list("pk", "cutoff"):
        if cutoff is not None:
            recent |= Q(service_area_id=area_id, completed_day__gte=cutoff)
    return (
        queryset.filter(recent)
        .annotate(rank=Window(RowNumber(), partition_by=[F("service_area_id")], order_by=latest_first))
        .filter(rank__lte=limit)
        .order_by(Lower("service_area__code"), "service_area_id", *latest_first)
    )


def _exemplars(this: Span) -> list[dict]:
    rows = _latest_per_area(
        Audit.objects.with_final_grade().filter(completed_in(this), is_exemplar=True), EXEMPLARS_PER_AREA
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
        rows = _latest_per_area(written, HIGHLIGHTS_PER_AREA_AND_KIND).values(
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


def _evidence(this: Span, as_of: datetime, groups: list[dict]) -> dict:
    """The other sources' figures (evidence_figures.py, which builds on this module's `pct`: imported
    here), given the period's audits and those recording views as the audit groups counted them."""
    from .evidence_figures import evidence

    counted = _summed([group for group in groups if group["now"]])
    audits = {"completed": counted.get("total", 0), "with_views": counted.get("with_views", 0)}
    return evidence(this.start, this.end, as_of, list(PracticeTheme.objects.filter(is_active=True)), audits=audits)


def compute(kind: str, period: str, *, year_to_date: bool = False, today: date | None = None) -> dict:
    """Every figure of the `kind` report for `period` (docs/reports.md), from the data as it is now."""
    today = today or timezone.localdate()
    this = report_span(kind, period, year_to_date=year_to_date, today=today)
    previous = this.earlier(1)
    trend = [this.earlier(count) for count in range(TREND_PERIODS, 0, -1)] + [this]
    # "At the end of the period" for what is open, late or overdue; never later than the start of today.
    as_of = min(this.ends, start_of_day(today))

    groups = _audit_groups(this, previous)
    headlines = _headlines(groups, this, previous)
    audits, before = headlines["this"], headlines["previous"]
    return {
        "kind": kind,
        "period": this.code,
        "period_start": this.start.isoformat(),
        "period_end": this.end.isoformat(),
        "year_to_date": this.year_to_date,
        "small_sample_threshold": SMALL_SAMPLE_THRESHOLD,
        "audits": audits,
        "grades_pct": {grade: pct(count, audits["graded"]) for grade, count in audits["grades"].items()},
        "moderated": headlines["moderated"],
        "previous": {**previous.as_json(), **before},
        "changes": {
            "completed": audits["completed"] - before["completed"],
            **{
                key: _points(audits[key], before[key])
                for key in ("practitioner_discussion_pct", "child_contact_pct", "family_contact_pct")
            },
        },
        "by_service_area": _by_service_area(groups, this),
        "by_kind": _by_kind(groups),
        "by_theme": _by_theme(groups),
        "areas_of_analysis": _areas_of_analysis(kind, this, trend),
        "themes": _themes(this, previous),
        "actions": _actions(this, as_of),
        "escalations": _escalations(this, as_of),
        "exemplars": _exemplars(this),
        "moderation": summary(decisions_in(this.start, this.end)),
        "highlight_candidates": _highlight_candidates(this),
        "evidence": _evidence(this, as_of, groups),
    }
