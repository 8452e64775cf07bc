"""{{ count|people_count }}: a count of people as the small-number rule lets a page show it."""

from django import template

from evidence.voices.selectors import shown

register = template.Library()


@register.filter
def people_count(count: int) -> str:
    return shown(count)
