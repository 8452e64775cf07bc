"""The error summary a refused form shows at the top of its page (quality/org/templatetags/error_summary.py)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template

SUMMARY = Template("{% load error_summary %}{% error_summary first second %}")


class CommentForm(forms.Form):
    comment = forms.CharField(label="Oversight <b>comment</b>")
    grade = forms.ChoiceField(label="Grade", choices=[("good", "Good"), ("ri", "RI")], widget=forms.RadioSelect)

    def clean(self):
        raise ValidationError("The audit changed <script>while you wrote</script>.")


def rendered(first, second=None) -> str:
    return SUMMARY.render(Context({"first": first, "second": second}))


def test_each_problem_of_a_refused_form_is_listed_with_its_label_and_a_link_to_its_field():
    html = rendered(CommentForm(data={"grade": "splendid"}))

    items = re.findall(r"<li>(.*?)</li>", html)
    assert items == [
        "The audit changed &lt;script&gt;while you wrote&lt;/script&gt;.",  # the whole form's: no link
        '<a class="alert-link" href="#id_comment">Oversight &lt;b&gt;comment&lt;/b&gt;: This field is required.</a>',
        '<a class="alert-link" href="#id_grade_0">Grade: Select a valid choice. splendid is not one of the available'
        " choices.</a>",  # a radio group's link goes to its first button
    ]
    assert "data-error-summary" in html and 'tabindex="-1"' in html
    assert "<script>" not in html and "<b>" not in html  # people's text and messages are never markup


def test_forms_not_yet_sent_or_absent_show_no_summary_and_several_forms_share_one():
    assert rendered(CommentForm(), None).strip() == ""
    assert rendered(None, CommentForm(data={"comment": "Agreed", "grade": "good"})).count("<li>") == 1
    assert rendered(CommentForm(data={}), CommentForm(data={})).count("<li>") == 6
