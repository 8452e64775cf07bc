"""The frame every chart of the portal is drawn in: inline SVG built on the server, so a page needs
no script and no inline style (the CSP allows neither) and a PDF gets vector graphics.

A `Frame` is a chart's size and margins. It draws the horizontal gridlines with their labels and
wraps the drawing in an image named by a title and described by a text naming every figure
(role="img", aria-labelledby), so a screen reader gets the numbers the chart shows. `labelled_svg`
is the same image for a chart too small for a title (a sparkline), named by an aria-label.

Everything a chart writes goes through `format_html`, so a label taken from the data (an area's
name, a period) is escaped; only the parts this module and the chart modules build are trusted.
Colours are SVG presentation attributes (fill=..., stroke=...), which a CSP does not count as style.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

TEXT_FILL = "#0b0c0c"  # GOV.UK text colour: 19:1 on white
GRID_STROKE = "#b1b4b6"  # light grey: a guide, not a figure, so it need not reach 3:1


def nice_ceiling(value: int) -> int:
    """The axis top: the largest count rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover -- the loop always returns


def joined(parts: Iterable[object]) -> SafeString:
    """The parts of a drawing in order; a part that is not already safe markup is escaped."""
    return SafeString("".join(conditional_escape(part) for part in parts))


def text(x: object, y: object, label: object, *, font_size: int, fill: str = TEXT_FILL) -> SafeString:
    """A label centred on x, in the text colour unless `fill` says otherwise."""
    return format_html(
        '<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>', x, y, font_size, fill, label
    )


@dataclass(frozen=True)
class Frame:
    """A chart's size and its margins (room for the axis labels, the legend and the category names)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    def gridlines(self, ticks: Iterable[tuple[float, object]], *, font_size: int) -> SafeString:
        """A line across the plot at each (y, label) in `ticks`, the label right-aligned left of the plot."""
        return format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="{}" fill="{}">{}</text>',
            (
                (
                    self.left,
                    self.width - self.right,
                    f"{y:.1f}",
                    f"{y:.1f}",
                    GRID_STROKE,
                    self.left - 6,
                    f"{y + 4:.1f}",
                    font_size,
                    TEXT_FILL,
                    label,
                )
                for y, label in ticks
            ),
        )

    def svg(self, *parts: object, css_class: str, chart_id: str, title: object, description: object) -> SafeString:
        """The drawing `parts` as an image named by `title` and described by `description`; `chart_id`
        makes the ids of the two unique on the page."""
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" class="{}" role="img" '
            'aria-labelledby="{}-title {}-desc" focusable="false">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
            self.width,
            self.height,
            css_class,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            description,
            joined(parts),
        )


def labelled_svg(*parts: object, width: int, height: int, css_class: str, label: object) -> SafeString:
    """A small chart drawn at its own size, named by `label` (it has no room for a title)."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" class="{}" '
        'role="img" aria-label="{}" focusable="false">{}</svg>',
        width,
        height,
        width,
        height,
        css_class,
        label,
        joined(parts),
    )
