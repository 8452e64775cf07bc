"""Charts of a report's figures, drawn on the server as SVG: vector graphics in the PDF, and on a web
page no script and no inline style (the CSP allows neither).

- `grades_before_after`: the grade distribution before moderation (the auditors' grades) beside the
  distribution after it (the final grades of the same audits). It is moderation's own grouped-bar
  chart (`moderation.charts.grade_bars`): the same picture, labelled the same way.
- `stacked_grades`: one bar per period (or any label), split by grade in proportion, each part
  with its count; used for the trend of each of the seven areas of analysis.

Every chart is an image with a title and a description naming every number (role="img",
aria-labelledby); the page and the PDF show the same numbers in a table beside it. Colours are SVG
presentation attributes (fill=...), which a CSP does not count as style; each grade's colour has at
least 3:1 contrast with the white page and the white gaps between the parts (WCAG 2.2 non-text
contrast), and the white count written on it at least 4.5:1.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from moderation.charts import TEXT_FILL, grade_bars
from moderation.statistics import GRADE_LABELS, GRADES

GRADE_FILLS = {
    "outstanding": "#00703c",  # green, 6.2:1 on white
    "good": "#1d70b8",  # blue, 5.2:1
    "requires_improvement": "#b35c00",  # orange-brown, 4.7:1
    "inadequate": "#b10e1e",  # dark red, 7.1:1
}
GAP_STROKE = "#ffffff"  # a white line between the parts of a bar, so neighbouring colours need not contrast

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 44, 44  # margins: the % axis left, the legend top, the labels below
LEGEND_CHAR_WIDTH = 7  # a generous average width of a 12px character, so names never run into the next swatch
MIN_LABEL_HEIGHT = 14  # a part shorter than this carries no count inside it (the description and table do)


def grades_before_after(before: dict[str, int], after: dict[str, int], *, chart_id: str) -> SafeString:
    """The auditors' grades beside the grades after moderation, one group per grade."""
    return grade_bars(before, after, chart_id=chart_id)


def _legend() -> SafeString:
    """The four grades left to right, each swatch followed by its name (spaced by the name's length)."""
    items, x = [], LEFT
    for grade in GRADES:
        items.append((f"{x:.1f}", GRADE_FILLS[grade], f"{x + 16:.1f}", TEXT_FILL, GRADE_LABELS[grade]))
        x += 16 + LEGEND_CHAR_WIDTH * len(GRADE_LABELS[grade]) + 18
    return format_html_join(
        "",
        '<rect x="{}" y="12" width="12" height="12" fill="{}"/><text x="{}" y="22" font-size="12" fill="{}">{}</text>',
        items,
    )


def _axis() -> SafeString:
    plot_height = HEIGHT - TOP - BOTTOM
    return format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#b1b4b6" stroke-width="1"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}%</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                f"{TOP + plot_height * (1 - share / 100):.1f}",
                f"{TOP + plot_height * (1 - share / 100):.1f}",
                LEFT - 6,
                f"{TOP + plot_height * (1 - share / 100) + 4:.1f}",
                TEXT_FILL,
                share,
            )
            for share in (0, 50, 100)
        ),
    )


def stacked_grades(bars: list[tuple[str, dict[str, int]]], *, chart_id: str, title: str) -> SafeString:
    """One bar per (label, counts by grade), each split by grade in proportion (100% stacked), best grade on top.

    A bar with no graded audits is drawn as an empty outline labelled "none", so a gap in a trend
    is visible rather than missing.
    """
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(bars), 1)
    bar_width = min(slot * 0.6, 90)
    parts = []
    for index, (label, counts) in enumerate(bars):
        x = LEFT + slot * index + (slot - bar_width) / 2
        total = sum(counts.get(grade, 0) for grade in GRADES)
        bottom = TOP + plot_height
        if total == 0:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#6f777b" stroke-dasharray="4 3"/>'
                    '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}">none</text>',
                    f"{x:.1f}",
                    TOP,
                    f"{bar_width:.1f}",
                    plot_height,
                    f"{x + bar_width / 2:.1f}",
                    f"{TOP + plot_height / 2:.1f}",
                    TEXT_FILL,
                )
            )
        # Worst grade at the bottom, so "Good or better" is the top of the bar in every period.
        for grade in reversed(GRADES) if total else ():
            count = counts.get(grade, 0)
            if not count:
                continue
            height = plot_height * count / total
            bottom -= height
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="1"/>',
                    f"{x:.1f}",
                    f"{bottom:.1f}",
                    f"{bar_width:.1f}",
                    f"{height:.1f}",
                    GRADE_FILLS[grade],
                    GAP_STROKE,
                )
            )
            if height >= MIN_LABEL_HEIGHT:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#ffffff">{}</text>',
                        f"{x + bar_width / 2:.1f}",
                        f"{bottom + height / 2 + 4:.1f}",
                        count,
                    )
                )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}">{}</text>',
                f"{x + bar_width / 2:.1f}",
                HEIGHT - BOTTOM + 18,
                TEXT_FILL,
                label,
            )
        )
    description = "; ".join(
        f"{label}: "
        + (
            ", ".join(f"{GRADE_LABELS[grade]} {counts.get(grade, 0)}" for grade in GRADES)
            if sum(counts.get(grade, 0) for grade in GRADES)
            else "no graded audits"
        )
        for label, counts in bars
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" class="report-chart" role="img" '
        'aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}.</desc>{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        _legend(),
        _axis(),
        SafeString("".join(parts)),
    )


def area_trend(area: dict, *, chart_id: str) -> SafeString:
    """The grades of one area of analysis in each period of its trend (oldest first, this period last)."""
    bars = [(point["period"], point["grades"]) for point in area.get("trend") or []]
    if not bars:
        bars = [("This period", area["grades"])]
    return stacked_grades(bars, chart_id=chart_id, title=f"{area['label']}: grades by period, as shares of the total")
