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
contrast), and the white count written on it at least 4.5:1. The frame (size, gridlines, the image's
title and description) is the one every chart uses (quality/charts.py).
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from moderation.charts import grade_bars
from moderation.statistics import GRADE_LABELS, GRADES
from quality.charts import TEXT_FILL, Frame, text

GRADE_FILLS = {
    "outstanding": "#00703c",  # green, 6.2:1 on white
    "good": "#1d70b8",  # blue, 5.2:1
    "requires_improvement": "#b35c00",  # orange-brown, 4.7:1
    "inadequate": "#b10e1e",  # dark red, 7.1:1
}
GAP_STROKE = "#ffffff"  # a white line between the parts of a bar, so neighbouring colours need not contrast

# Margins: the % axis left, the legend above, the period labels below.
FRAME = Frame(width=640, height=300, left=48, right=16, top=44, bottom=44)
LEGEND_CHAR_WIDTH = 7  # a generous average width of a 12px character, so names never run into the next swatch
MIN_LABEL_HEIGHT = 14  # a part shorter than this carries no count inside it (the description and table do)


def grades_before_after(before: dict[str, int], after: dict[str, int], *, chart_id: str) -> SafeString:
    """The auditors' grades beside the grades after moderation, one group per grade."""
    return grade_bars(before, after, chart_id=chart_id)


def _legend() -> SafeString:
    """The four grades left to right, each swatch followed by its name (spaced by the name's length)."""
    items, x = [], FRAME.left
    for grade in GRADES:
        items.append((f"{x:.1f}", GRADE_FILLS[grade], f"{x + 16:.1f}", TEXT_FILL, GRADE_LABELS[grade]))
        x += 16 + LEGEND_CHAR_WIDTH * len(GRADE_LABELS[grade]) + 18
    return format_html_join(
        "",
        '<rect x="{}" y="12" width="12" height="12" fill="{}"/><text x="{}" y="22" font-size="12" fill="{}">{}</text>',
        items,
    )


def _axis() -> SafeString:
    """Gridlines at 0, 50 and 100% of the bar's height."""
    return FRAME.gridlines(
        ((FRAME.top + FRAME.plot_height * (1 - share / 100), f"{share}%") for share in (0, 50, 100)), font_size=12
    )


def stacked_grades(bars: list[tuple[str, dict[str, int]]], *, chart_id: str, title: str) -> SafeString:
    """One bar per (label, counts by grade), each split by grade in proportion (100% stacked), best grade on top.

    A bar with no graded audits is drawn as an empty outline labelled "none", so a gap in a trend
    is visible rather than missing.
    """
    top, plot_height = FRAME.top, FRAME.plot_height
    slot = FRAME.plot_width / max(len(bars), 1)
    bar_width = min(slot * 0.6, 90)
    parts = []
    for index, (label, counts) in enumerate(bars):
        x = FRAME.left + slot * index + (slot - bar_width) / 2
        centre = f"{x + bar_width / 2:.1f}"
        total = sum(counts.get(grade, 0) for grade in GRADES)
        bottom = top + plot_height
        if total == 0:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#6f777b" stroke-dasharray="4 3"/>',
                    f"{x:.1f}",
                    top,
                    f"{bar_width:.1f}",
                    plot_height,
                )
            )
            parts.append(text(centre, f"{top + plot_height / 2:.1f}", "none", font_size=12))
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
                parts.append(text(centre, f"{bottom + height / 2 + 4:.1f}", count, font_size=12, fill="#ffffff"))
        parts.append(text(centre, FRAME.height - FRAME.bottom + 18, label, font_size=12))
    description = "; ".join(
        f"{label}: "
        + (
            ", ".join(f"{GRADE_LABELS[grade]} {counts.get(grade, 0)}" for grade in GRADES)
            if sum(counts.get(grade, 0) for grade in GRADES)
            else "no graded audits"
        )
        for label, counts in bars
    )
    return FRAME.svg(
        _legend(),
        _axis(),
        *parts,
        css_class="report-chart",
        chart_id=chart_id,
        title=title,
        description=f"{description}.",
    )


def area_trend(area: dict, *, chart_id: str) -> SafeString:
    """The grades of one area of analysis in each period of its trend (oldest first, this period last)."""
    bars = [(point["period"], point["grades"]) for point in area.get("trend") or []]
    if not bars:
        bars = [("This period", area["grades"])]
    return stacked_grades(bars, chart_id=chart_id, title=f"{area['label']}: grades by period, as shares of the total")
