"""A grade as a coloured tag with its words: {% load grade_tags %}{% grade_tag audit.overall_grade %}.

Colour is never the only sign: the tag says the grade in words, and the colours (static/css/portal.css,
"Grade tags") only help the eye find the grades in a long table. Every page and table that shows one
of the four grades shows it through grade_tag_html, so that a grade looks the same everywhere.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from audits.models import Grade

register = template.Library()

GRADE_TAG = '<span class="grade-tag grade-tag-{}">{}</span>'


def grade_tag_html(grade: str | None, empty: str = "") -> SafeString | str:
    """One of the four grades (its stored value) as a tag; `empty` for no grade; anything else (a
    marker such as "Ungraded") as plain, escaped text."""
    if not grade:
        return empty
    if grade not in Grade.values:
        return format_html("{}", grade)
    return format_html(GRADE_TAG, grade.replace("_", "-"), Grade(grade).label)


@register.simple_tag
def grade_tag(grade: str | None, empty: str = "") -> SafeString | str:
    return grade_tag_html(grade, empty)
