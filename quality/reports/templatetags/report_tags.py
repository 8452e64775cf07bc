"""A report table's figures on the report page, written here rather than by a template included per
cell: a report has several hundred cells, and an include each cost about a tenth of the page's
time (docs/performance.md). The words are the page's; the PDF has its own (templates/reports/pdf)."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString

from quality.reports.tables import SUPPRESSED, Cell, Row

register = template.Library()

SMALL_SAMPLE = format_html(' <span class="badge text-bg-warning">{}</span>', "small sample")


@register.simple_tag
def figure_cell(cell: Cell) -> SafeString | str:
    """One figure (tables.Cell): a count, a suppressed count of people in words (never its number),
    or a percentage with its small-sample badge."""
    if cell.suppressed:
        return SUPPRESSED
    if cell.percentage:
        if cell.value is None:
            return "Not available"
        return format_html("{}%{}", floatformat(cell.value, 1), SMALL_SAMPLE if cell.small else "")
    return "–" if cell.value is None else localize(cell.value)


@register.simple_tag
def share_cell(point: Row) -> SafeString:
    """One period of an area of analysis (a tables.Row) in the trend tables: the share good or
    outstanding and, in brackets, the area grades it rests on."""
    share = point.share
    if share.value is None:
        text = "None graded"
    else:
        grades = localize(point.cells[-1].value)  # the area grades the share rests on
        text = format_html("{}% ({}){}", floatformat(share.value, 1), grades, SMALL_SAMPLE if share.small else "")
    return format_html('<td class="text-end">{}</td>', text)
