"""Dates typed and shown the English way (quality.forms.EnglishDateField): day/month/year in a text box."""

from datetime import date

import pytest
from django import forms

from audits import selectors
from audits.filters import CompletedFilter
from audits.models import Question
from quality.forms import DATE_HINT, DATE_INVALID, EnglishDateField


class DueForm(forms.Form):
    due_on = EnglishDateField(label="Due date", help_text="The last day.")


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("27/3/2026", date(2026, 3, 27)),
        ("1/2/2026", date(2026, 2, 1)),  # 1 February, never 2 January
        ("01/02/2026", date(2026, 2, 1)),
        ("27/03/2026", date(2026, 3, 27)),
        ("2026-03-27", date(2026, 3, 27)),  # ISO, as links and older bookmarks carry it
        (" 27/3/2026 ", date(2026, 3, 27)),
    ],
)
def test_a_date_is_read_day_first(typed, meant):
    form = DueForm({"due_on": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due_on"] == meant


@pytest.mark.parametrize("typed", ["3/27/2026", "31/2/2026", "27.3.26", "tomorrow", "27/3"])
def test_a_date_it_cannot_read_says_how_to_write_one(typed):
    form = DueForm({"due_on": typed})
    assert not form.is_valid()
    assert form.errors["due_on"] == [DATE_INVALID]


def test_the_box_is_text_with_its_example_tied_to_it():
    html = str(DueForm()["due_on"])
    assert 'type="text"' in html and 'type="date"' not in html
    assert 'inputmode="numeric"' in html and 'autocomplete="off"' in html
    # The field's own help and the example both describe the box.
    assert 'aria-describedby="id_due_on_helptext id_due_on_date_hint"' in html
    assert f'<div id="id_due_on_date_hint" class="form-text">{DATE_HINT}</div>' in html


@pytest.mark.parametrize("value", [date(2026, 3, 7), "2026-03-07"])
def test_a_date_is_shown_day_first_whether_stored_as_a_date_or_iso_text(value):
    assert 'value="07/03/2026"' in str(DueForm(initial={"due_on": value})["due_on"])


def test_what_was_typed_wrongly_is_shown_back_as_typed():
    assert 'value="3/27/2026"' in str(DueForm({"due_on": "3/27/2026"})["due_on"])


def test_a_list_filter_reads_and_refuses_dates_the_same_way():
    field = CompletedFilter(lookup_expr="gte").field
    assert field.clean("27/3/2026") == date(2026, 3, 27)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("3/27/2026")
    assert refused.value.messages == [DATE_INVALID]


@pytest.mark.parametrize("stored, shown", [("2026-03-07", "7 March 2026"), ("not a date", "not a date")])
def test_a_date_answer_is_shown_in_words(stored, shown):
    assert selectors._display(Question(type=Question.Type.DATE), stored) == shown
