"""The moderation figures as people read them, with one set of labels for every place that shows them.

A summary (`moderation.selectors.summary`) is shown on the outcomes page and an auditor's calibration
(templates/moderation/outcomes/_figures.html, with `figures_context`), and in a report's moderation
section: on its page (the same partial), in its PDF and its workbook (quality/reports/tables.py builds
its table from `FIGURES`). The files of a summary (outcome_exports.py) name each figure by its key,
the same keys as here. The labels live here because quality.reports may import moderation and
moderation never imports quality.reports (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import charts
from .statistics import GRADE_LABELS, GRADES


@dataclass(frozen=True)
class Figure:
    """One figure of a summary: its key in the summary, its label, and whether it is a percentage."""

    key: str
    label: str
    percentage: bool = False


WEIGHTED_KAPPA = Figure("weighted_kappa", "Weighted kappa (linear weights)")
FIGURES = (
    Figure("moderated", "Audits moderated (compared)"),
    Figure("ungraded", "Ungraded reviews moderated (not compared)"),
    Figure("exact_agreement_pct", "Moderated grade the same as the auditor's grade", percentage=True),
    Figure("within_one_pct", "Within one grade", percentage=True),
    Figure("upgraded", "Moderated up (a better grade than the auditor's)"),
    Figure("downgraded", "Moderated down (a worse grade than the auditor's)"),
    WEIGHTED_KAPPA,
)
KAPPA_INTERVAL = "95% confidence interval"
KAPPA_READING = "What kappa says"
SMALL_SAMPLE_WARNING = "Warning"
AUDITOR_GRADE = "Auditor's grade"
MODERATED_GRADE = "Moderated grade"
MATRIX_CAPTION = "Transition matrix: auditor's grade (rows) by moderated grade (columns)"
MATRIX_CORNER = f"{AUDITOR_GRADE} \\ {MODERATED_GRADE.lower()}"  # one heading cell for both (a workbook)
# The same labels for templates, which cannot read a module's names.
LABELS = {
    "kappa_reading": KAPPA_READING,
    "small_sample_warning": SMALL_SAMPLE_WARNING,
    "auditor_grade": AUDITOR_GRADE,
    "moderated_grade": MODERATED_GRADE,
    "matrix_caption": MATRIX_CAPTION,
}


def kappa_interval(summary: dict) -> str:
    """Kappa's 95% interval in words ("95% confidence interval 0.518 to 0.722"), or "" when there is none."""
    interval = summary.get("weighted_kappa_ci95")
    if not interval:
        return ""
    low, high = interval
    return f"{KAPPA_INTERVAL} {low:.3f} to {high:.3f}"


def _grade_rows(summary: dict) -> list[dict]:
    original, moderated = summary["original"], summary["moderated_grades"]
    return [
        {
            "label": GRADE_LABELS[grade],
            "original": original[grade],
            "moderated": moderated[grade],
            "difference": moderated[grade] - original[grade],
        }
        for grade in GRADES
    ]


def figures_context(summary: dict, chart_id: str) -> dict:
    """What the figures partial shows: the labelled figures, counts side by side, the chart, the shaded matrix."""
    return {
        "figures": summary,
        "figure_rows": [{"figure": figure, "value": summary.get(figure.key)} for figure in FIGURES],
        "kappa_interval": kappa_interval(summary),
        "moderation_labels": LABELS,
        "grade_rows": _grade_rows(summary),
        "grade_labels": [GRADE_LABELS[grade] for grade in GRADES],
        "chart": charts.grade_bars(summary["original"], summary["moderated_grades"], chart_id=chart_id),
        "heat_rows": charts.heat_rows(summary["matrix"]),
        "column_totals": [summary["moderated_grades"][grade] for grade in GRADES],
    }
