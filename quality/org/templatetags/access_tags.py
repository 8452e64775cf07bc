"""Templates ask the access rules too: {% load access_tags %}{% if user|may:"manage_organisation" %}."""

from django import template

from quality.access import can

register = template.Library()


@register.filter
def may(user, action: str) -> bool:
    return can(user, action)
