"""Filters of the self-evaluation's pages."""

from django import template

from quality.reports.outputs import date_in_words

register = template.Library()


@register.filter
def iso_date_words(day: str | None) -> str:
    """An ISO date kept in a published self-evaluation's content, in words: 20 January 2027."""
    return date_in_words(day)
