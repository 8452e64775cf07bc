"""How the scorecard shows a RAG rating and a change, for any page or PDF that shows them:
{% load scorecard_tags %}{% rag_tag row.rag %} and {% change_tag row.change_prev_month %}.

A RAG rating is a coloured tag with its word in it ("Green", "Amber", "Red", "No RAG"): the colour
is never the only sign. A change says how it is measured: percentage points between percentages
(with an abbreviation a screen reader can expand), per cent of the earlier figure for counts and
rates (performance/calculations.py decides which).
"""

from django import template

from performance import calculations
from performance.scorecard import NO_RAG, RAG_LABELS

register = template.Library()


@register.inclusion_tag("performance/_rag_tag.html")
def rag_tag(rag: str | None) -> dict:
    """A RAG rating (green, amber, red, or None) as a tag with its word."""
    return {"rag": rag or "", "label": RAG_LABELS.get(rag, NO_RAG)}


@register.inclusion_tag("performance/_change_tag.html")
def change_tag(change: calculations.Change | None, note: str = "") -> dict:
    """A change ("+2.0 pp", "+11.3%"), or `note` (why none is given) when there is none."""
    return {"change": change, "note": note}
