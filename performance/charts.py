"""Charts of the scorecard, drawn on the server as inline SVG: no script, no style attribute (the CSP
allows neither), and the same drawing in the page and in the PDF pack (WeasyPrint renders inline SVG).

- `sparkline`: a small trend line of the last months against the target (a dashed line) and the
  comparators (thin lines, dashed differently), for the scorecard's rows.
- `line_chart`: an indicator's history with its target (per reporting year, so a step where the
  target changed) and its comparators as horizontal lines, with axes and a legend.

Each chart is an image with a name (role="img"): the sparkline an aria-label summing it up, the line
chart a title and a description naming the figures. The pages show the same numbers in a table, so
the chart is never the only way to read them. Colours are SVG presentation attributes (stroke=...),
which a CSP does not count as style; every line keeps 3:1 contrast against white (WCAG 2.2 non-text
contrast) and the lines differ by dash pattern as well as colour, so colour is never the only cue.
The frame (size, gridlines, the image's name and description) is the one every chart uses (quality/charts.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

from quality.charts import TEXT_FILL, Frame, labelled_svg, text

from . import calculations

VALUE_STROKE = "#1d70b8"  # blue, 5.2:1 on white
TARGET_STROKE = "#00703c"  # green, 5.9:1 on white
# (colour, dash pattern) of the comparators, in the order of COMPARATOR_FIELDS in performance/scorecard.py.
COMPARATOR_STYLES = (
    ("#505a5f", "2 3"),  # previous year: dark grey, dotted, 7:1
    ("#4c2c92", "8 3 2 3"),  # statistical neighbours: purple, dash-dot, 10:1
    ("#d53880", "10 4"),  # South East: pink, long dash, 4:1
    ("#0b0c0c", "4 2"),  # England: black, short dash
)
TARGET_DASH = "6 3"

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 36, 4


@dataclass(frozen=True)
class Reference:
    """A horizontal line on the chart: a comparator."""

    label: str
    value: Decimal


def _scale(values: Sequence[Decimal], low_pad: float = 0.08) -> tuple[float, float]:
    """The y range to draw: the values' range with a little room, never empty."""
    low, high = float(min(values)), float(max(values))
    if low == high:
        return low - 1, high + 1
    room = (high - low) * low_pad
    return low - room, high + room


def _nice_axis(low: float, high: float, *, at_most: int = 6) -> tuple[float, float, list[float]]:
    """The axis to draw from `low` to `high`: bounds and ticks on round steps (1, 2, 2.5 or 5 times a
    power of ten), no more than `at_most` ticks."""
    span = high - low
    power = 10 ** math.floor(math.log10(span / (at_most - 1)))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if span / (m * power) <= at_most - 1)
    bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
    count = round((top - bottom) / step)
    return bottom, top, [bottom + step * index for index in range(count + 1)]


def _number(unit: str, value: Decimal | None, **rated) -> str:
    """A figure as the scorecard shows it; given `rated` (target, polarity, tolerance), never rounded
    into another RAG (calculations.display)."""
    if value is None:
        return "none"
    return calculations.display(unit, value, **rated)


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points with a value: a gap (a month without a figure) breaks the line."""
    runs, run = [], []
    for x, y in points:
        if y is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append((x, y))
    if run:
        runs.append(run)
    return runs


def _polyline(run: list[tuple[float, float]], stroke: str, width: float, dash: str = "") -> SafeString:
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
    if len(run) == 1:  # a single month between gaps: a dot, or it would not show
        x, y = run[0]
        return format_html('<circle cx="{}" cy="{}" r="{}" fill="{}"/>', f"{x:.1f}", f"{y:.1f}", width + 0.5, stroke)
    return format_html(
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{}/>',
        coordinates,
        stroke,
        width,
        format_html(' stroke-dasharray="{}"', dash) if dash else "",
    )


def _level(x1: float, x2: float, y: float, stroke: str, width: float, dash: str) -> SafeString:
    """A horizontal line across the chart: a target or a comparator."""
    return format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="{}" stroke-dasharray="{}"/>',
        x1,
        x2,
        f"{y:.1f}",
        f"{y:.1f}",
        stroke,
        width,
        dash,
    )


def sparkline(
    values: Sequence[Decimal | None],
    target: Decimal | None,
    *,
    unit: str,
    months: Sequence[date],
    references: Sequence[Reference] = (),
    polarity: str = calculations.NEUTRAL,
    tolerance: Decimal | None = None,
) -> SafeString:
    """A small trend of `values` (oldest first) against `target` and the comparators (`references`); an
    empty string when no month has a value. Its label writes the figures as the scorecard does, so
    with the indicator's `polarity` and `tolerance` none reads as meeting a target it misses."""
    present = [v for v in values if v is not None]
    if not present:
        return SafeString("")
    low, high = _scale(present + ([target] if target is not None else []) + [r.value for r in references])
    width, height, pad = SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(value) -> float:
        return pad + (height - 2 * pad) * (1 - (float(value) - low) / (high - low))

    points = [(pad + i * step, None if v is None else y(v)) for i, v in enumerate(values)]
    # Comparators and the target under the values' line.
    lines = [
        _level(pad, width - pad, y(reference.value), colour, 0.75, dash)
        for reference, (colour, dash) in zip(references, COMPARATOR_STYLES, strict=False)
    ]
    if target is not None:
        lines.append(_level(pad, width - pad, y(target), TARGET_STROKE, 1, TARGET_DASH))
    lines += [_polyline(run, VALUE_STROKE, 1.5) for run in _segments(points)]
    last_x, last_y = next((x, yy) for x, yy in reversed(points) if yy is not None)
    lines.append(
        format_html('<circle cx="{}" cy="{}" r="2.5" fill="{}"/>', f"{last_x:.1f}", f"{last_y:.1f}", VALUE_STROKE)
    )
    latest = next((v, m) for v, m in zip(reversed(values), reversed(months), strict=True) if v is not None)
    rated = {"target": target, "polarity": polarity, "tolerance": tolerance}
    label = (
        f"Trend from {months[0]:%b %Y} to {months[-1]:%b %Y}: lowest {_number(unit, min(present), **rated)}, "
        f"highest {_number(unit, max(present), **rated)}, latest {_number(unit, latest[0], **rated)} "
        f"({latest[1]:%b %Y})"
    )
    label += f"; target {calculations.stated(unit, target)} (dashed line)" if target is not None else "; no target"
    if references:
        label += "; comparators (thin lines): " + ", ".join(
            f"{reference.label} {calculations.stated(unit, reference.value)}" for reference in references
        )
    return labelled_svg(*lines, width=width, height=height, css_class="sparkline", label=label)


# Margins: room for the y labels, the month labels and the legend.
FRAME = Frame(width=720, height=300, left=64, right=32, top=16, bottom=76)


def line_chart(
    months: Sequence[date],
    values: Sequence[Decimal | None],
    targets: Sequence[Decimal | None],
    references: Sequence[Reference],
    *,
    unit: str,
    title: str,
    chart_id: str,
    shown: Sequence[str],
) -> SafeString:
    """The history of an indicator: its values month by month, the target of each month's reporting
    year (a step where it changed), and the comparators as horizontal lines. `shown` is each month's
    figure as the scorecard shows it (Cell.display), for the description: written by the same rule,
    it never reads as meeting a target the month missed."""
    numbers = [v for v in [*values, *targets] if v is not None] + [r.value for r in references]
    if not numbers:
        return SafeString("")
    low, high = _scale(numbers, low_pad=0.02)
    if unit == calculations.PERCENTAGE:
        low = max(low, 0.0)  # no percentage below zero: the padding must not draw one
    low, high, ticks = _nice_axis(low, high)
    left, top, plot_height = FRAME.left, FRAME.top, FRAME.plot_height
    step = FRAME.plot_width / max(len(months) - 1, 1)

    def x(index: int) -> float:
        return left + index * step

    def y(value) -> float:
        return top + plot_height * (1 - (float(value) - low) / (high - low))

    every = max(1, -(-len(months) // 12))  # at most about 12 month labels
    month_labels = [
        text(f"{x(i):.1f}", FRAME.height - FRAME.bottom + 16, f"{month:%b %y}", font_size=11)
        for i, month in enumerate(months)
        if (len(months) - 1 - i) % every == 0
    ]
    drawn = []
    drawn += [_polyline(run, TARGET_STROKE, 1.5, TARGET_DASH) for run in _segments(_steps(targets, x, y))]
    for reference, (colour, dash) in zip(references, COMPARATOR_STYLES, strict=False):
        drawn.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="{}"/>',
                left,
                FRAME.width - FRAME.right,
                f"{y(reference.value):.1f}",
                f"{y(reference.value):.1f}",
                colour,
                dash,
            )
        )
    value_points = [(x(i), None if v is None else y(v)) for i, v in enumerate(values)]
    drawn += [_polyline(run, VALUE_STROKE, 2.5) for run in _segments(value_points)]
    legend_items = [("Value", VALUE_STROKE, "")]
    if any(t is not None for t in targets):
        legend_items.append(("Target", TARGET_STROKE, TARGET_DASH))
    legend_items += [(r.label, c, d) for r, (c, d) in zip(references, COMPARATOR_STYLES, strict=False)]
    legend = []
    for index, (label, colour, dash) in enumerate(legend_items):
        item_left = left + (index % 3) * 210
        item_top = FRAME.height - FRAME.bottom + 34 + (index // 3) * 18
        legend.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2.5"{}/>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
                item_left,
                item_left + 28,
                item_top,
                item_top,
                colour,
                format_html(' stroke-dasharray="{}"', dash) if dash else "",
                item_left + 34,
                item_top + 4,
                TEXT_FILL,
                label,
            )
        )
    described = [
        f"{month:%b %Y}: {text}" for month, value, text in zip(months, values, shown, strict=True) if value is not None
    ]
    description = "Values: " + ("; ".join(described) or "none") + "."
    shown_targets = sorted({t for t in targets if t is not None})
    if shown_targets:
        description += " Target: " + ", ".join(calculations.stated(unit, t) for t in shown_targets) + "."
    if references:
        description += " " + "; ".join(f"{r.label}: {calculations.stated(unit, r.value)}" for r in references) + "."
    y_axis = format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
        left,
        left,
        top,
        top + plot_height,
        TEXT_FILL,
    )
    return FRAME.svg(
        FRAME.gridlines(((y(tick), _axis_label(unit, tick)) for tick in ticks), font_size=11),
        *month_labels,
        *drawn,
        *legend,
        y_axis,
        css_class="history-chart",
        chart_id=chart_id,
        title=title,
        description=description,
    )


def _steps(targets, x, y) -> list[tuple[float, float | None]]:
    """The target as a step line: level through each reporting year, straight up or down where it changes."""
    points: list[tuple[float, float | None]] = []
    for index, target in enumerate(targets):
        level = None if target is None else y(target)
        if index and level is not None and points and points[-1][1] is not None and points[-1][1] != level:
            points.append((x(index), points[-1][1]))
        points.append((x(index), level))
    return points


def _axis_label(unit: str, value: float) -> str:
    suffix = "%" if unit == calculations.PERCENTAGE else ""
    return f"{value:,.2f}".rstrip("0").rstrip(".") + suffix
