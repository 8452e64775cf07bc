"""Grades as coloured tags with their words (audits/templatetags/grade_tags.py, static/css/portal.css)."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from audits.cycle.escalation_views import BoardTable
from audits.models import Escalation, Grade
from audits.templatetags.grade_tags import grade_tag_html

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css"


def rendered(source: str, **context) -> str:
    return Template("{% load grade_tags %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "grade, css_class, words",
    [
        (Grade.OUTSTANDING, "grade-tag-outstanding", "Outstanding"),
        (Grade.GOOD, "grade-tag-good", "Good"),
        (Grade.REQUIRES_IMPROVEMENT, "grade-tag-requires-improvement", "Requires Improvement"),
        (Grade.INADEQUATE, "grade-tag-inadequate", "Inadequate"),
    ],
)
def test_each_grade_is_a_tag_of_its_own_class_that_says_the_grade(grade, css_class, words):
    assert rendered("{% grade_tag g %}", g=grade.value) == f'<span class="grade-tag {css_class}">{words}</span>'


def test_no_grade_shows_the_words_given_for_it_escaped():
    assert rendered('{% grade_tag g empty="Not graded yet" %}', g="") == "Not graded yet"
    assert rendered("{% grade_tag g empty=e %}", g=None, e="Not <graded>") == "Not &lt;graded&gt;"


def test_a_value_that_is_not_a_grade_is_plain_escaped_text():
    assert grade_tag_html("<b>Ungraded</b>") == "&lt;b&gt;Ungraded&lt;/b&gt;"
    assert rendered("{% grade_tag g %}", g="<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("grade", Grade.values)
def test_each_grade_tag_has_text_at_aa_contrast_on_its_colour(grade):
    selector = re.escape(f".grade-tag-{grade.replace('_', '-')} ")
    rule = re.search(selector + r"\{([^}]*)\}", CSS.read_text())
    assert rule, f"no CSS rule for the {grade} tag"
    colour = re.search(r"(?<![-\w])color: (#[0-9a-f]{6})", rule.group(1)).group(1)
    background = re.search(r"background-color: (#[0-9a-f]{6})", rule.group(1)).group(1)
    assert contrast(colour, background) >= 4.5


def test_radio_buttons_and_checkboxes_have_an_edge_at_3_to_1_against_white():
    rule = re.search(r"\n\.form-check-input \{ border: 2px solid (#[0-9a-f]{6}); \}", CSS.read_text())
    assert rule and contrast(rule.group(1), "#ffffff") >= 3


@pytest.mark.parametrize(
    "kind, shown",
    [
        ("inadequate", '<span class="grade-tag grade-tag-inadequate">Inadequate</span> grade'),
        (
            "remedial",
            '<span class="grade-tag grade-tag-requires-improvement">Requires Improvement</span>: remedial actions',
        ),
    ],
)
def test_the_escalation_board_names_each_chain_by_its_grade_tag(kind, shown):
    assert BoardTable([]).render_kind(Escalation(kind=kind)) == shown
