"""The scorecard's "Rigorous quality assurance" section: computed from the audits themselves, never loaded.

For each month: the cases audited (distinct case references of the audits completed that month, as
the reports count them: `audits.models.completed_in`), and of the graded ones (`graded()`: ungraded
case reviews and audits without an overall grade left out) the share graded Good or Outstanding,
Requires Improvement and Inadequate, twice: on the auditors' grades (`overall_grade`, before
moderation) and on the grades the service stands by (`final_grade()`: the moderated grade where
moderation gave one). Read from the counts kept month by month, for any number of months.

The figures are council-wide counts: no case reference, no child and no person reaches the page, so
every role that reads the scorecard sees the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from audits import figure_months
from audits.models import (
    GOOD_OR_BETTER,
    Grade,
    auditor_grade_is,
    final_grade_is,
    graded,
    moderated,
)
from quality.months import add_months

from . import calculations

QA_AREA = "Rigorous quality assurance"
QA_AREA_NOTE = (
    "Computed from the audits submitted in each month, not loaded. Shares are of graded audits; "
    "'after moderation' uses the moderated grade where moderation gave one."
)

# (key, label) of the shares shown; the key names the aggregate columns below.
SHARES = (
    ("good_or_outstanding", "Graded Good or Outstanding"),
    ("requires_improvement", "Graded Requires Improvement"),
    ("inadequate", "Graded Inadequate"),
)
_GRADES_OF = {
    "good_or_outstanding": GOOD_OR_BETTER,
    "requires_improvement": (Grade.REQUIRES_IMPROVEMENT,),
    "inadequate": (Grade.INADEQUATE,),
}


@dataclass(frozen=True)
class Shares:
    """Counts of graded audits by grade band, with their percentages of the graded audits."""

    graded: int
    good_or_outstanding: int
    requires_improvement: int
    inadequate: int

    def pct(self, key: str) -> Decimal | None:
        return calculations.percentage(Decimal(getattr(self, key)), Decimal(self.graded)) if self.graded else None

    def display(self, key: str) -> str:
        count = getattr(self, key)
        return calculations.display(calculations.PERCENTAGE, self.pct(key), count, self.graded, note="No graded audits")


NO_SHARES = Shares(0, 0, 0, 0)


@dataclass(frozen=True)
class QualityMonth:
    period: date
    audited: int  # distinct cases audited
    audits: int  # audits submitted (a case audited twice in a month counts twice here)
    moderated: int  # of them, audits with a moderated grade
    before: Shares  # the auditors' grades
    after: Shares  # the grades the service stands by


def _empty(period: date) -> QualityMonth:
    return QualityMonth(period, 0, 0, 0, NO_SHARES, NO_SHARES)


def quality_months(first: date, last: date) -> dict[date, QualityMonth]:
    """Every month from `first` to `last` (first days of months), from the audits' counts kept month
    by month (audits/figure_months.py); months without audits are zeros."""
    conditions = {"moderated": moderated(), "graded": graded()}
    for key, grades in _GRADES_OF.items():
        conditions[f"before_{key}"] = auditor_grade_is(*grades)
        conditions[f"after_{key}"] = final_grade_is(*grades)
    months = {}
    for period, row in figure_months.counts_by_month(first, last, conditions).items():
        shares = {
            side: Shares(row["graded"], *(row[f"{side}_{key}"] for key, _ in SHARES)) for side in ("before", "after")
        }
        months[period] = QualityMonth(
            period, row["cases_audited"], row["total"], row["moderated"], shares["before"], shares["after"]
        )
    result, month = {}, first
    while month <= last:
        result[month] = months.get(month, _empty(month))
        month = add_months(month, 1)
    return result


@dataclass(frozen=True)
class QualityCell:
    period: date
    value: Decimal | None
    display: str


@dataclass(frozen=True)
class QualityRow:
    """One line of the section on the scorecard: a figure, month by month."""

    key: str
    label: str
    unit: str
    cells: list[QualityCell]

    @property
    def current(self) -> QualityCell:
        return self.cells[-1]


@dataclass(frozen=True)
class QualitySection:
    name: str
    note: str
    months: list[date]
    rows: list[QualityRow]
    current: QualityMonth


def quality_section(months: list[date]) -> QualitySection:
    """The section's lines for the months shown on the scorecard (oldest first; the last is the chosen month)."""
    figures = quality_months(months[0], months[-1])
    shown = [figures[month] for month in months]
    rows = [
        QualityRow(
            "cases_audited",
            "Cases audited",
            calculations.COUNT,
            [
                QualityCell(m.period, Decimal(m.audited), calculations.display(calculations.COUNT, m.audited))
                for m in shown
            ],
        )
    ]
    for key, label in SHARES:
        for side, says in (("before", "auditors' grades"), ("after", "after moderation")):
            rows.append(
                QualityRow(
                    f"{key}_{side}",
                    f"{label} ({says})",
                    calculations.PERCENTAGE,
                    [QualityCell(m.period, getattr(m, side).pct(key), getattr(m, side).display(key)) for m in shown],
                )
            )
    return QualitySection(QA_AREA, QA_AREA_NOTE, list(months), rows, shown[-1])
