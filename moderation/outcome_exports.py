"""Files of a moderation summary (JSON and CSV) and of the calibration table (CSV).

Built from `moderation.selectors.summary()`, so the download from the outcomes page and the
output of `manage.py moderation_summary` are the same bytes for the same choices.

The summary's CSV layout (docs/moderation.md):
    metric,value                      one row per figure: the period, the area, the counts,
    date_from,2026-07-01              the percentages, kappa and its interval, the reading,
    ...                               the warning, then original_<grade> and moderated_<grade>
    (an empty row)
    original \\ moderated,outstanding,good,requires_improvement,inadequate,total
    outstanding,2,1,0,0,3             the matrix: a row per auditor's grade, a column per
    ...                               moderated grade, and the totals
    total,2,87,71,9,169
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from quality.spreadsheets import spreadsheet_text

from .selectors import CalibrationRow
from .statistics import GRADES
from .tables import FIGURES

SUMMARY_METRICS = (
    "date_from",
    "date_to",
    "service_area",
    "auditor",
    "panel",
    *(figure.key for figure in FIGURES),  # the figures the pages label (moderation/tables.py), by key
    "weighted_kappa_ci95_low",
    "weighted_kappa_ci95_high",
    "kappa_reading",
    "small_sample_warning",
)
MATRIX_CORNER = "original \\ moderated"
CALIBRATION_HEADER = [
    "auditor_id",
    "auditor",
    "moderated",
    "upgraded",
    "downgraded",
    "unchanged",
    "changed_pct",
]


def summary_json(summary: dict) -> str:
    return json.dumps(summary, indent=2) + "\n"


def _cell(value) -> str:
    """A CSV cell: empty for None; text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)
    return str(value)


def summary_rows(summary: dict) -> list[list[str]]:
    interval = summary["weighted_kappa_ci95"] or [None, None]
    figures = {**summary, "weighted_kappa_ci95_low": interval[0], "weighted_kappa_ci95_high": interval[1]}
    rows = [["metric", "value"]]
    rows += [[metric, _cell(figures[metric])] for metric in SUMMARY_METRICS]
    rows += [[f"original_{grade}", _cell(summary["original"][grade])] for grade in GRADES]
    rows += [[f"moderated_{grade}", _cell(summary["moderated_grades"][grade])] for grade in GRADES]
    rows.append([])
    rows.append([MATRIX_CORNER, *GRADES, "total"])
    matrix = summary["matrix"]
    for original in GRADES:
        rows.append(
            [original, *(str(matrix[original][moderated]) for moderated in GRADES), str(sum(matrix[original].values()))]
        )
    rows.append(["total", *(str(summary["moderated_grades"][grade]) for grade in GRADES), str(summary["moderated"])])
    return rows


def calibration_rows(rows: Iterable[CalibrationRow]) -> list[list[str]]:
    return [CALIBRATION_HEADER] + [
        [
            str(row.auditor_id),
            _cell(row.auditor_name),
            str(row.moderated),
            str(row.upgraded),
            str(row.downgraded),
            str(row.unchanged),
            _cell(row.changed_pct),
        ]
        for row in rows
    ]


def csv_text(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
