"""Charts of moderation outcomes, drawn on the server: no script, no inline style (the CSP allows neither).

- `grade_bars`: an SVG of grouped bars, the auditors' grades beside the moderated grades, one
  group per grade. It is an image with a title and a description naming every number
  (role="img", aria-labelledby), and the page shows the same numbers in a table.
- `heat_rows`: the transition matrix as rows of cells for an HTML table, each cell carrying a
  class `heat-0` (none) to `heat-5` (the largest count) that static/css/moderation-outcomes.css
  shades, and `heat-agree` on the diagonal (grade unchanged).
Colours are set with SVG presentation attributes (fill=...), which a CSP does not count as style.
The frame (size, gridlines, the image's title and description) is the one every chart uses (quality/charts.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString

from quality.charts import TEXT_FILL, Frame, nice_ceiling, text

from .statistics import GRADE_LABELS, GRADES, Matrix

# WCAG 2.2 non-text contrast (3:1): each bar against the white page, and the two bars against each other.
AUDITOR_FILL = "#5694ca"  # light blue: 3.2:1 on white
MODERATED_FILL = "#003078"  # dark blue: 12:1 on white, 3.8:1 against the light blue
HEAT_LEVELS = 5

# Margins: the axis labels left, the legend above, the grade names below.
FRAME = Frame(width=640, height=320, left=48, right=16, top=40, bottom=56)


def grade_bars(original: dict[str, int], moderated: dict[str, int], *, chart_id: str) -> SafeString:
    """Grouped bars: for each grade the auditors' count and the moderated count, with the numbers on the bars."""
    top = nice_ceiling(max([*original.values(), *moderated.values(), 0]))
    group = FRAME.plot_width / len(GRADES)
    bar = group * 0.32

    def y(count: int) -> float:
        return FRAME.top + FRAME.plot_height * (1 - count / top)

    ticks = sorted({0, top // 2, top}) if top > 1 else [0, 1]
    bars = []
    for index, grade in enumerate(GRADES):
        centre = FRAME.left + group * index + group / 2
        for count, fill, x in (
            (original[grade], AUDITOR_FILL, centre - bar - 2),
            (moderated[grade], MODERATED_FILL, centre + 2),
        ):
            bars.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    f"{x:.1f}",
                    f"{y(count):.1f}",
                    f"{bar:.1f}",
                    f"{y(0) - y(count):.1f}",
                    fill,
                )
            )
            bars.append(text(f"{x + bar / 2:.1f}", f"{y(count) - 4:.1f}", count, font_size=12))
        bars.append(text(f"{centre:.1f}", FRAME.height - FRAME.bottom + 20, GRADE_LABELS[grade], font_size=13))
    legend = format_html(
        '<rect x="{}" y="10" width="14" height="14" fill="{}"/>'
        '<text x="{}" y="22" font-size="13" fill="{}">Auditor\'s grade</text>'
        '<rect x="{}" y="10" width="14" height="14" fill="{}"/>'
        '<text x="{}" y="22" font-size="13" fill="{}">Moderated grade</text>',
        FRAME.left,
        AUDITOR_FILL,
        FRAME.left + 20,
        TEXT_FILL,
        FRAME.left + 160,
        MODERATED_FILL,
        FRAME.left + 180,
        TEXT_FILL,
    )
    baseline = format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5"/>',
        FRAME.left,
        FRAME.width - FRAME.right,
        f"{y(0):.1f}",
        f"{y(0):.1f}",
        TEXT_FILL,
    )
    description = "; ".join(
        f"{GRADE_LABELS[grade]}: {original[grade]} by the auditors, {moderated[grade]} after moderation"
        for grade in GRADES
    )
    return FRAME.svg(
        legend,
        FRAME.gridlines(((y(tick), tick) for tick in ticks), font_size=12),
        *bars,
        baseline,
        css_class="outcome-chart",
        chart_id=chart_id,
        title="Audits by grade: the auditor's grade beside the moderated grade",
        description=f"{description}.",
    )


@dataclass(frozen=True)
class HeatCell:
    count: int
    css_class: str
    agrees: bool  # on the diagonal: moderation left the grade as it was


@dataclass(frozen=True)
class HeatRow:
    grade: str
    label: str
    cells: list[HeatCell]
    total: int


def heat_level(count: int, largest: int) -> int:
    """0 for an empty cell, else 1 to HEAT_LEVELS by the count's share of the largest cell."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, math.ceil(HEAT_LEVELS * count / largest))


def heat_rows(matrix: Matrix) -> list[HeatRow]:
    """The matrix's rows (auditor's grade) with a shade per cell, for the template's table."""
    largest = max((count for row in matrix.values() for count in row.values()), default=0)
    return [
        HeatRow(
            grade=original,
            label=GRADE_LABELS[original],
            cells=[
                HeatCell(
                    count=matrix[original][moderated],
                    css_class=f"heat-{heat_level(matrix[original][moderated], largest)}"
                    + (" heat-agree" if original == moderated else ""),
                    agrees=original == moderated,
                )
                for moderated in GRADES
            ],
            total=sum(matrix[original].values()),
        )
        for original in GRADES
    ]
