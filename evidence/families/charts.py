"""The summary's chart: positive outcomes for each of the ten concerns, as horizontal bars (the
concerns' names are long, so they sit left of their bars, in the framework's order top to bottom).

Drawn on the server as SVG in the frame every chart of the portal uses (quality/charts.py): an image
with a title and a description naming every number, and the page shows the same numbers in a table
beside it. The bar colour has 5.2:1 contrast with the white page (WCAG 2.2 non-text contrast); each
bar carries its count, so nothing is told by colour or length alone.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from quality.charts import GRID_STROKE, TEXT_FILL, Frame, nice_ceiling

from .selectors import ConcernFigures

BAR_FILL = "#1d70b8"  # blue, 5.2:1 on white
ROW_HEIGHT = 30
FONT_SIZE = 12
# Room left for the longest concern's name at 12px ("Promoting recovery and reducing harm from substance use").
LABEL_WIDTH = 390


def _frame(rows: int) -> Frame:
    return Frame(width=820, height=40 + rows * ROW_HEIGHT + 30, left=LABEL_WIDTH, right=40, top=40, bottom=30)


def positive_outcomes_chart(concerns: list[ConcernFigures], *, chart_id: str, title: str) -> SafeString:
    frame = _frame(len(concerns))
    top = nice_ceiling(max([figures.positive_outcomes for figures in concerns] + [0]))

    def x(count: int) -> float:
        return frame.left + frame.plot_width * count / top

    ticks = sorted({0, top // 2, top}) if top > 1 else [0, 1]
    bottom = frame.height - frame.bottom
    axis = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>',
        (
            (f"{x(tick):.1f}", f"{x(tick):.1f}", frame.top, bottom, GRID_STROKE)
            + (f"{x(tick):.1f}", bottom + 18, FONT_SIZE, TEXT_FILL, tick)
            for tick in ticks
        ),
    )
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="{}" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
        (
            (
                frame.left - 8,
                f"{frame.top + index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4:.1f}",
                FONT_SIZE,
                TEXT_FILL,
                figures.label,
                frame.left,
                f"{frame.top + index * ROW_HEIGHT + 5:.1f}",
                f"{x(figures.positive_outcomes) - frame.left:.1f}",
                ROW_HEIGHT - 10,
                BAR_FILL,
                f"{x(figures.positive_outcomes) + 6:.1f}",
                f"{frame.top + index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4:.1f}",
                FONT_SIZE,
                TEXT_FILL,
                figures.positive_outcomes,
            )
            for index, figures in enumerate(concerns)
        ),
    )
    legend = format_html(
        '<rect x="{}" y="12" width="12" height="12" fill="{}"/>'
        '<text x="{}" y="22" font-size="{}" fill="{}">Forms with a positive outcome for the concern</text>',
        frame.left,
        BAR_FILL,
        frame.left + 18,
        FONT_SIZE,
        TEXT_FILL,
    )
    description = "; ".join(f"{figures.label}: {figures.positive_outcomes}" for figures in concerns)
    return frame.svg(
        legend,
        axis,
        bars,
        css_class="families-chart",
        chart_id=chart_id,
        title=title,
        description=f"Positive outcomes per concern. {description}.",
    )
