"""Reads of moderation outcomes shared by the outcome pages, their exports and `moderation_summary`.

Which decisions count: those dated (`decided_on`) from `date_from` to `date_to`, both days
included, of whatever source (a panel, QA's review of an Inadequate grade, or the imported
audit history: they count alike), and not superseded by a correction. An audit moderated more
than once in the range counts once, by its latest decision (latest `decided_on`, then the one
recorded last). A decision whose auditor's grade is blank (an ungraded review) cannot be
compared: it is counted apart as `ungraded`. The counting is done by the database (one grouped query for a summary); the
statistics are worked out from the resulting 4 x 4 table by `moderation.statistics`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from quality.access import grades_hidden_from, visible
from quality.org.models import Person, ServiceArea

from . import statistics
from .models import ModerationDecision, Panel

PCT_PLACES = 1  # percentages in summaries and exports
KAPPA_PLACES = 3  # kappa and its interval


@dataclass(frozen=True)
class Decisions:
    """The decisions a summary is made from, and what chose them."""

    date_from: date
    date_to: date
    service_area: ServiceArea | None
    auditor: Person | None
    panel: Panel | None
    latest: QuerySet[ModerationDecision]  # one per audit: its latest in the range, in scope

    @property
    def compared(self) -> QuerySet[ModerationDecision]:
        return self.latest.filter(original_grade__in=statistics.GRADES, moderated_grade__in=statistics.GRADES)

    @property
    def ungraded(self) -> QuerySet[ModerationDecision]:
        return self.latest.exclude(original_grade__in=statistics.GRADES)


def decisions_in(
    date_from: date,
    date_to: date,
    service_area: ServiceArea | None = None,
    auditor: Person | None = None,
    *,
    panel: Panel | None = None,
    user=None,
) -> Decisions:
    """The latest decision per audit dated in the range (inclusive), narrowed to an area and/or an auditor.

    With `panel`, only that panel's decisions (one per audit). With `user`, only the decisions that
    person may see (`quality.access.visible`); without, all of them (the command line, run by
    whoever runs the server).
    """
    if date_from > date_to:
        raise ValueError("date_from is after date_to")
    # A corrected decision is kept as history but counts no more: only its correction does.
    in_range = ModerationDecision.objects.standing().filter(decided_on__gte=date_from, decided_on__lte=date_to)
    if panel is not None:
        in_range = in_range.filter(panel=panel)
    # A decision counts when it is its audit's latest in the range: no later one (by day, then by
    # id) on the same audit. NOT EXISTS is portable to SQLite, the zero-setup database (unlike
    # PostgreSQL's DISTINCT ON), and PostgreSQL runs it as one anti-join, not a subquery per decision.
    later = Q(decided_on__gt=OuterRef("decided_on")) | Q(decided_on=OuterRef("decided_on"), pk__gt=OuterRef("pk"))
    latest = in_range.filter(~Exists(in_range.filter(later, audit_id=OuterRef("audit_id"))))
    if user is not None:
        # An earlier decision (QA's review of an Inadequate grade) would say the grade a blind panel hides.
        latest = visible(user, latest).exclude(audit_id__in=sorted(grades_hidden_from(user)))
    if service_area is not None:
        latest = latest.filter(audit__service_area=service_area)
    if auditor is not None:
        latest = latest.filter(audit__auditor=auditor)
    return Decisions(date_from, date_to, service_area, auditor, panel, latest)


def _grade_pairs(decisions: QuerySet[ModerationDecision], *extra: str) -> QuerySet:
    """Counts per (auditor's grade, moderated grade[, extra fields]): at most 25 rows per group."""
    return decisions.order_by().values(*extra, "original_grade", "moderated_grade").annotate(n=Count("pk"))


def _split(rows) -> tuple[statistics.Matrix, int]:
    """The comparable rows as a table, and how many decisions had no grade to compare."""
    matrix, ungraded = statistics.empty_matrix(), 0
    for row in rows:
        original, moderated = row["original_grade"], row["moderated_grade"]
        if original in statistics.GRADES and moderated in statistics.GRADES:
            matrix[original][moderated] += row["n"]
        else:
            ungraded += row["n"]
    return matrix, ungraded


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def agreement_figures(agreement: statistics.Agreement) -> dict:
    """The figures of item 5's JSON from one table, rounded for people and files alike."""
    kappa = agreement.kappa
    return {
        "moderated": agreement.total,
        "original": agreement.original,
        "moderated_grades": agreement.moderated,
        "matrix": agreement.matrix,
        "exact_agreement_pct": _round(agreement.exact_agreement_pct, PCT_PLACES),
        "within_one_pct": _round(agreement.within_one_pct, PCT_PLACES),
        "upgraded": agreement.upgraded,
        "downgraded": agreement.downgraded,
        "weighted_kappa": _round(kappa.value, KAPPA_PLACES),
        "weighted_kappa_ci95": None if kappa.ci95 is None else [round(end, KAPPA_PLACES) for end in kappa.ci95],
        "kappa_reading": agreement.reading,
        "small_sample_warning": agreement.small_sample_warning,
    }


def summary(decisions: Decisions) -> dict:
    """The outcome of moderation over `decisions`, as the JSON object documented in docs/moderation.md."""
    matrix, ungraded = _split(_grade_pairs(decisions.latest))
    return {
        "date_from": decisions.date_from.isoformat(),
        "date_to": decisions.date_to.isoformat(),
        "service_area": decisions.service_area.code if decisions.service_area else None,
        "auditor": decisions.auditor.pk if decisions.auditor else None,
        "panel": decisions.panel.pk if decisions.panel else None,
        **agreement_figures(statistics.agreement(matrix)),
        "ungraded": ungraded,
    }


@dataclass(frozen=True)
class CalibrationRow:
    """How often one auditor's grades were moderated, and which way."""

    auditor_id: int
    auditor_name: str
    moderated: int
    upgraded: int
    downgraded: int
    unchanged: int
    changed_pct: float | None

    @property
    def upgraded_pct(self) -> float | None:
        return _round(100 * self.upgraded / self.moderated, PCT_PLACES) if self.moderated else None

    @property
    def downgraded_pct(self) -> float | None:
        return _round(100 * self.downgraded / self.moderated, PCT_PLACES) if self.moderated else None


def calibration(decisions: Decisions) -> list[CalibrationRow]:
    """Per auditor of `decisions`: how many of their graded audits were moderated, up, down, unchanged.

    One grouped query (auditor x grade pair); ungraded decisions are left out, as in the summary.
    Sorted by the auditor's name.
    """
    rows = _grade_pairs(decisions.compared, "audit__auditor_id", "audit__auditor__full_name")
    tables: dict[int, statistics.Matrix] = defaultdict(statistics.empty_matrix)
    names: dict[int, str] = {}
    for row in rows:
        auditor_id = row["audit__auditor_id"]
        names[auditor_id] = row["audit__auditor__full_name"]
        tables[auditor_id][row["original_grade"]][row["moderated_grade"]] += row["n"]
    return sorted(
        (
            CalibrationRow(
                auditor_id=auditor_id,
                auditor_name=names[auditor_id],
                moderated=statistics.total(matrix),
                upgraded=statistics.upgraded(matrix),
                downgraded=statistics.downgraded(matrix),
                unchanged=statistics.unchanged(matrix),
                changed_pct=_round(statistics.changed_pct(matrix), PCT_PLACES),
            )
            for auditor_id, matrix in tables.items()
        ),
        key=lambda row: (row.auditor_name.casefold(), row.auditor_id),
    )


def decision_list(decisions: Decisions) -> QuerySet[ModerationDecision]:
    """The decisions themselves, oldest first, with what their rows show (one query)."""
    return decisions.latest.select_related("audit__service_area").order_by("decided_on", "pk")
