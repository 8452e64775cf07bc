"""A report's tables, built once from its figures (quality/reports/figures.py `compute()`, or a report's
stored snapshot) for every place that shows them: the report page, the PDF and the workbook.

Each table is plain data: a title, the heading of its label column, the headings of its other
columns, and rows whose cells line up with those headings. A cell is a count or a percentage and
says whether it rests on a small sample; a row may carry the change since the previous period and
a note. The labels live here and nowhere else, so the page and the files cannot drift apart; how a
missing figure or a small sample is *shown* (a badge on the page, † in the PDF, an empty cell in the
workbook) is left to each of them; a suppressed count of people (the surveys') reads SUPPRESSED in all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from audits.models import GOOD_OR_BETTER
from moderation import tables as moderation_tables
from moderation.statistics import GRADE_LABELS, GRADES

from .selectors import period_label

PCT_PLACES = 1
GRADE_HEADINGS = tuple(GRADE_LABELS[grade] for grade in GRADES)

GRADED = "Graded audits"
# `ungraded` counts the completed audits with no auditor's grade (docs/reports.md): ungraded case
# reviews, themed analyses, and any audit completed without an overall grade.
UNGRADED = "Ungraded reviews and themed analyses"
COMPLETED = "All completed audits"
MODERATED_COUNT = "Audits with a moderated grade"
GOOD_OR_BETTER_HEADING = "Good or outstanding"

# The headline measures: (key in `audits`, label, a percentage?).
HEADLINE = (
    ("allocated", "Audits allocated", False),
    ("completed", "Audits completed", False),
    ("completed_of_allocated_pct", "Allocated audits completed", True),
    ("service_areas", "Service areas with a completed audit", False),
    ("practitioner_discussion_pct", "Auditor discussed the case with the practitioner", True),
    ("child_contact_pct", "Child contacted", True),
    ("family_contact_pct", "Family contacted", True),
    ("graded", GRADED, False),
    ("ungraded", UNGRADED, False),
)


@dataclass(frozen=True)
class Cell:
    """One figure: a count or a percentage (None when it cannot be worked out)."""

    value: int | float | None
    percentage: bool = False
    small: bool = False  # a percentage resting on fewer audits than the small-sample threshold
    suppressed: bool = False  # a count of 1 to 4 people, withheld so that no one can be picked out


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]
    change: int | float | None = None
    note: str = ""
    code: str = ""  # a service area's or a period's code, beside the label people read
    share: Cell | None = None  # the share graded good or outstanding, where a row has one


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    label_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    totals: Row | None = None
    share_heading: str = ""  # the heading of the rows' `share`, where they have one


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _small(base: int | None, threshold: int) -> bool:
    return base is not None and base < threshold


def _change(key: str, value, before, changes: dict, percentage: bool):
    """The change the figures give, else this period's figure minus the previous one's."""
    if key in changes:
        return changes[key]
    if not (_is_number(value) and _is_number(before)):
        return None
    return round(value - before, PCT_PLACES) if percentage else value - before


def _measure_cell(period: dict, key: str, percentage: bool, threshold: int) -> Cell:
    value = period.get(key)
    base = (period.get("bases") or {}).get(key)
    return Cell(value, percentage, percentage and value is not None and _small(base, threshold))


def headline(figures: dict) -> Table:
    """The headline measures this period and the previous one, with the change."""
    audits, previous = figures["audits"], figures.get("previous") or {}
    changes, threshold = figures.get("changes") or {}, figures["small_sample_threshold"]
    rows = []
    for key, label, percentage in HEADLINE:
        rows.append(
            Row(
                key=key,
                label=label,
                cells=(
                    _measure_cell(audits, key, percentage, threshold),
                    _measure_cell(previous, key, percentage, threshold),
                ),
                change=_change(key, audits.get(key), previous.get(key), changes, percentage),
                note=_allocated_note(audits) if key == "completed_of_allocated_pct" else "",
            )
        )
    return Table("headline", "Headline", "Measure", ("This period", "Previous period"), tuple(rows))


def _allocated_note(audits: dict) -> str:
    return f"{audits.get('allocated_completed', audits.get('completed'))} of {audits.get('allocated')} allocated"


def grades(figures: dict) -> Table:
    """Each grade before moderation (the auditor's) and after it (the final grade), count and %."""
    audits, moderated = figures["audits"], figures.get("moderated") or {}
    threshold = figures["small_sample_threshold"]
    before_small = _small((audits.get("bases") or {}).get("grades_pct"), threshold)
    after_small = _small(moderated.get("graded"), threshold)
    before_pct, after, after_pct = (
        figures["grades_pct"],
        moderated.get("grades") or {},
        moderated.get("grades_pct") or {},
    )
    rows = tuple(
        Row(
            key=grade,
            label=GRADE_LABELS[grade],
            cells=(
                Cell(audits["grades"][grade]),
                Cell(before_pct.get(grade), True, before_small),
                Cell(after.get(grade, 0)),
                Cell(after_pct.get(grade), True, after_small),
            ),
        )
        for grade in GRADES
    )
    after_graded = moderated.get("graded") or audits["graded"]
    totals = Row("graded", GRADED, (Cell(audits["graded"]), Cell(None), Cell(after_graded), Cell(None)))
    columns = ("Before moderation: audits", "Before moderation (%)", "After moderation: audits", "After moderation (%)")
    return Table("grades", "Grades", "Grade", columns, rows, totals)


def completed(figures: dict) -> Table:
    """The period's completed audits: graded, ungraded, in all, and how many carry a moderated grade."""
    audits = figures["audits"]
    rows = (
        Row("graded", GRADED, (Cell(audits["graded"]),)),
        Row("ungraded", UNGRADED, (Cell(audits["ungraded"]),)),
        Row("completed", COMPLETED, (Cell(audits["completed"]),)),
        Row("moderated_count", MODERATED_COUNT, (Cell((figures.get("moderated") or {}).get("moderated_count")),)),
    )
    return Table("completed", "Graded and ungraded", "Completed audits", ("Audits",), rows)


def _count_table(key: str, title: str, label_heading: str, source: list[dict], label_key: str) -> Table:
    """A by-area / by-kind / by-theme table: the four grades (the auditor's), ungraded and total, with totals."""
    columns = (*GRADES, "ungraded", "total")
    rows = tuple(
        Row(
            key=row.get("code") or row.get("kind") or row[label_key],
            label=row[label_key],
            code=row.get("code") or "",
            cells=tuple(Cell(row.get(column, 0)) for column in columns),
        )
        for row in source
    )
    totals = Row(
        "total",
        "Total",
        tuple(Cell(sum(row.cells[index].value for row in rows)) for index in range(len(columns))),
    )
    return Table(key, title, label_heading, (*GRADE_HEADINGS, "Ungraded", "Total"), rows, totals)


def by_service_area(figures: dict) -> Table:
    return _count_table(
        "by_service_area", "By service area", "Service area", figures.get("by_service_area", []), "name"
    )


def by_kind(figures: dict) -> Table:
    return _count_table("by_kind", "By kind", "Kind", figures.get("by_kind", []), "label")


def by_theme(figures: dict) -> Table:
    return _count_table("by_theme", "By theme", "Theme", figures.get("by_theme", []), "theme")


def _good_or_better(point: dict, threshold: int) -> Cell:
    total = point["total"]
    value = round(100 * sum(point["grades"].get(g, 0) for g in GOOD_OR_BETTER) / total, PCT_PLACES) if total else None
    return Cell(value, True, total < threshold)


def _distribution_row(key: str, label: str, point: dict, threshold: int, code: str = "") -> Row:
    """A grade distribution (an area of analysis in one period): the four grades and the total."""
    cells = (*(Cell(point["grades"].get(grade, 0)) for grade in GRADES), Cell(point["total"]))
    return Row(key, label, cells, code=code, share=_good_or_better(point, threshold))


def areas_of_analysis(figures: dict) -> Table:
    """The seven areas of analysis this period: the auditors' area grades, and the share good or better."""
    threshold = figures["small_sample_threshold"]
    rows = tuple(
        _distribution_row(area["area"], area["label"], area, threshold) for area in figures.get("areas_of_analysis", [])
    )
    columns = (*GRADE_HEADINGS, "Total")
    return Table("areas_of_analysis", "Seven areas", "Area of analysis", columns, rows, None, GOOD_OR_BETTER_HEADING)


def _this_period(figures: dict, area: dict) -> dict:
    return {"period": figures["period"], "grades": area["grades"], "total": area["total"]}


def area_trends(figures: dict) -> list[Table]:
    """Per area of analysis, its grades in each trend period (key "trend") and each quarter of an annual
    report (key "quarter"). A row's label is the period as people say it, its code the period's code."""
    kind, threshold = figures["kind"], figures["small_sample_threshold"]

    def trend_label(code: str) -> str:
        return code if kind == "annual" else period_label(kind, code)

    return [
        Table(
            area["area"],
            area["label"],
            "Period",
            (*GRADE_HEADINGS, "Total"),
            (
                *(
                    _distribution_row("trend", trend_label(point["period"]), point, threshold, point["period"])
                    for point in area.get("trend") or [_this_period(figures, area)]
                ),
                *(
                    _distribution_row("quarter", point["period"], point, threshold, point["period"])
                    for point in area.get("quarters") or []
                ),
            ),
            share_heading=GOOD_OR_BETTER_HEADING,
        )
        for area in figures.get("areas_of_analysis", [])
    ]


def moderation(figures: dict) -> Table:
    """Agreement between the auditors and moderation, for the decisions dated in the period, labelled as
    on the moderation outcomes page (moderation/tables.py)."""
    summary = figures.get("moderation") or {}
    rows = tuple(
        Row(
            key=figure.key,
            label=figure.label,
            cells=(Cell(summary.get(figure.key), figure.percentage),),
            note=moderation_tables.kappa_interval(summary) if figure == moderation_tables.WEIGHTED_KAPPA else "",
        )
        for figure in moderation_tables.FIGURES
    )
    return Table("moderation", "Moderation", "Measure", ("Value",), rows)


# -- other evidence (figures["evidence"], quality/reports/evidence_figures.py) --------------------
# Absent from reports made before it was counted: each source missing gives no section at all.

SUPPRESSED = "fewer than 5"  # how a suppressed count of people reads wherever it is shown (voices.smallest_group)
ALL_AREAS = "All service areas"


@dataclass(frozen=True)
class Section:
    """One source of other evidence on the page and in the PDF: its heading, what it counts, and its
    tables (a sentence on small samples where its tables hold a percentage)."""

    key: str
    title: str
    note: str
    tables: tuple[Table, ...]
    sample_note: str = ""


def _people(value) -> Cell:
    """A count of people from the surveys: None is a suppressed count of 1 to 4, never a missing one."""
    return Cell(value, suppressed=value is None)


def _pct(value, base, threshold: int) -> Cell:
    return Cell(value, True, value is not None and _small(base, threshold))


def _measures(key: str, title: str, rows: tuple[tuple[str, str, Cell], ...], column: str = "Count") -> Table:
    """A two-column table of named figures: (key, label, cell) each."""
    return Table(key, title, "Measure", (column,), tuple(Row(k, label, (cell,)) for k, label, cell in rows))


def _area_rows(rows: list[dict], cells) -> tuple[Row, ...]:
    """One row per service area, labelled by its name with its code beside it."""
    return tuple(Row(row["code"], row["name"], cells(row), code=row["code"]) for row in rows)


def _areas_table(key: str, title: str, columns: list[str], source: dict, cells) -> Table:
    """A source's rows per service area, with the totals over every area (`source`'s own) in the footer:
    a service lead's copy keeps only their areas' rows but the whole period's totals."""
    rows = _area_rows(source.get("by_service_area", []), cells)
    return Table(key, title, "Service area", tuple(columns), rows, Row("total", ALL_AREAS, cells(source)))


def _sample_note(threshold: int, base: str) -> str:
    return f"A percentage resting on fewer than {threshold} {base} is a small sample: read it with care."


def observation_tables(observations: dict, threshold: int) -> Section:
    items, coverage = observations.get("action_items") or {}, observations.get("coverage") or {}

    def coverage_cells(row: dict) -> tuple[Cell, ...]:
        counts = (row.get(key) for key in ("recorded", "practitioners", "observed", "due", "overdue"))
        return (*map(Cell, counts), _pct(row.get("observed_pct"), row.get("practitioners"), threshold))

    summary = _measures(
        "observations",
        "Observations recorded",
        (
            ("recorded", "Observations recorded", Cell(observations.get("recorded"))),
            ("in_practice_week", "Of which in a practice week", Cell(observations.get("in_practice_week"))),
            ("items_set", "Action items set", Cell(items.get("set"))),
            ("items_done", "Action items done by the end of the period", Cell(items.get("done"))),
            ("items_overdue", "Action items overdue at the end of the period", Cell(items.get("overdue"))),
        ),
    )
    kinds = Table(
        "observation_kinds",
        "Observations by kind",
        "Kind of observation",
        ("Observations",),
        tuple(Row(row["kind"], row["label"], (Cell(row["count"]),)) for row in observations.get("by_kind", [])),
    )
    areas = Table(
        "observation_coverage",
        "Observation coverage",
        "Service area",
        ("Observations recorded", "Practitioners", "Observed", "Due", "Overdue", "Observed (%)"),
        _area_rows(observations.get("by_service_area", []), coverage_cells),
        # The totals cover every area, even in a service lead's copy (as the audits' headline does).
        Row("total", ALL_AREAS, coverage_cells({**coverage, "recorded": observations.get("recorded")})),
    )
    themes = Table(
        "observation_themes",
        "Observation themes",
        "Theme",
        ("Observations", "Of which walk-the-floor visits"),
        tuple(
            Row(str(row["theme_id"]), row["name"], (Cell(row["count"]), Cell(row["visits"])))
            for row in observations.get("themes", [])
        ),
    )
    as_of = f" on {_day(coverage['as_of'])}" if coverage.get("as_of") else " at the end of the period"
    note = (
        "Observations of practice with an observation date in the period, the action items they set, and "
        f"the practitioners in teams{as_of} who had been observed, were due an observation or were overdue."
    )
    return Section(
        "observations",
        "Observations of practice",
        note,
        (summary, kinds, areas, themes),
        _sample_note(threshold, "practitioners"),
    )


def voice_tables(voices: dict, threshold: int) -> Section:
    completed = voices.get("audits_completed")
    summary = _measures(
        "voices",
        "Voices in surveys and audits",
        (
            ("responses", "Survey responses submitted", _people(voices.get("responses"))),
            ("audits_completed", "Audits completed", Cell(completed)),
            (
                "audits_with_views",
                "Audits recording what the child or family said",
                Cell(voices.get("audits_with_views")),
            ),
            (
                "audits_with_views_pct",
                "Audits recording what the child or family said (%)",
                _pct(voices.get("audits_with_views_pct"), completed, threshold),
            ),
        ),
        column="Value",
    )
    surveys = Table(
        "voices_surveys",
        "Surveys",
        "Survey",
        ("Links sent", "Responses", "Response rate (%)"),
        tuple(
            Row(
                str(row["survey_id"]),
                row["title"],
                (
                    Cell(row["links_sent"]),
                    _people(row["responses"]),
                    _pct(row["rate_pct"], row["links_sent"], threshold),
                ),
                note=f"{row['audience_label']}, open {_day(row['opens_on'])} to {_day(row['closes_on'])}",
            )
            for row in voices.get("surveys", [])
        ),
    )
    themes = Table(
        "voice_themes",
        "Survey themes",
        "Theme",
        ("Responses",),
        tuple(Row(str(row["theme_id"]), row["name"], (_people(row["count"]),)) for row in voices.get("themes", [])),
    )
    note = (
        "Survey responses of children and families submitted in the period, by survey and by the practice "
        "themes their answers mention, and the audits completed in the period that record what the child "
        f'or family said; to protect who answered, a count of 1 to 4 people is shown as "{SUPPRESSED}".'
    )
    return Section(
        "voices",
        "Voices of children and families",
        note,
        (summary, surveys, themes),
        _sample_note(threshold, "audits or survey links sent"),
    )


BENCHMARK_COLUMNS = (
    ("forms", "Forms"),
    ("three_or_more", "Families with 3 or more positive outcomes"),
    ("one_or_two", "Families with 1 or 2 positive outcomes"),
    ("none", "Families with no positive outcome"),
)


def benchmarking_tables(benchmarking: dict) -> Section:
    def cells(row: dict) -> tuple[Cell, ...]:
        return tuple(Cell(row.get(key)) for key, _ in BENCHMARK_COLUMNS)

    areas = _areas_table(
        "benchmarking", "Benchmarking forms", [label for _, label in BENCHMARK_COLUMNS], benchmarking, cells
    )
    concerns = Table(
        "benchmarking_concerns",
        "Benchmarking concerns",
        "Concern",
        ("Identified at the start", "Identified at the end", "Positive outcomes"),
        tuple(
            Row(
                row["concern"],
                row["label"],
                tuple(Cell(row[key]) for key in ("identified_at_start", "identified_at_end", "positive_outcomes")),
            )
            for row in benchmarking.get("concerns", [])
        ),
    )
    note = (
        "Supporting Families benchmarking forms completed in the period: the families with positive outcomes, "
        "and the forms that identified each of the ten concerns at the start and at the end."
    )
    return Section("benchmarking", "Supporting Families benchmarking", note, (areas, concerns))


def complaint_tables(complaints: dict) -> Section:
    def cells(row: dict) -> tuple[Cell, ...]:
        return (Cell(row.get("complaints")), Cell(row.get("compliments")))

    areas = _areas_table("complaints", "Complaints and compliments", ["Complaints", "Compliments"], complaints, cells)
    themes = Table(
        "complaint_themes",
        "Complaint themes",
        "Theme",
        ("Complaints", "Compliments"),
        tuple(Row(row["theme"], row["label"], cells(row)) for row in complaints.get("themes", [])),
    )
    outcomes = Table(
        "complaint_outcomes",
        "Complaint outcomes",
        "Outcome",
        ("Complaints",),
        tuple(Row(row["outcome"], row["label"], (Cell(row["count"]),)) for row in complaints.get("outcomes", [])),
    )
    note = "Complaints and compliments received in the period, by service area and theme, and the complaints' outcomes."
    return Section("complaints", "Complaints and compliments", note, (areas, themes, outcomes))


def evidence_sections(figures: dict) -> tuple[Section, ...]:
    """A section per source of other evidence the figures hold, in the report's order."""
    evidence, threshold = figures.get("evidence") or {}, figures["small_sample_threshold"]
    builders = (
        ("observations", lambda source: observation_tables(source, threshold)),
        ("voices", lambda source: voice_tables(source, threshold)),
        ("benchmarking", benchmarking_tables),
        ("complaints", complaint_tables),
    )
    return tuple(build(evidence[key]) for key, build in builders if evidence.get(key))


def _day(iso: str) -> str:
    """A day as people write it: "30 November 2026" (the figures keep their days as ISO text)."""
    return f"{date.fromisoformat(iso):%-d %B %Y}"


def evidence_tables(sections: tuple[Section, ...]) -> dict[str, Table]:
    """The sections' tables by their own keys (`observations`, `voices_surveys`, ...)."""
    return {table.key: table for section in sections for table in section.tables}


def report_tables(figures: dict) -> dict:
    """Every table of a report, by name, for a template's context; the other evidence's tables also
    grouped by source (`evidence_sections`), as the page and the PDF show them."""
    sections = evidence_sections(figures)
    return {
        "headline": headline(figures),
        "grades": grades(figures),
        "completed": completed(figures),
        "by_service_area": by_service_area(figures),
        "by_kind": by_kind(figures),
        "by_theme": by_theme(figures),
        "areas_of_analysis": areas_of_analysis(figures),
        "area_trends": area_trends(figures),
        "moderation": moderation(figures),
        **evidence_tables(sections),
        "evidence_sections": sections,
    }
