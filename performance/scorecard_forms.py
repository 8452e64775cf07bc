"""Forms of the scorecard pages: the month chooser and the month's commentary on one indicator."""

from __future__ import annotations

from datetime import date

from django import forms

from quality.tabular import parse_month

from .catalogue import FIRST_YEAR, LAST_YEAR

MONTH_INVALID = "Give a month as YYYY-MM, for example 2026-10."
MONTH_OUT_OF_RANGE = f"Give a month between {FIRST_YEAR} and {LAST_YEAR}."


def scorecard_month(text: str) -> date:
    """A month of the scorecard from YYYY-MM. Raises ValueError for anything else, and for a year outside
    the catalogue's (the scorecard reaches a year back and a month on: year 1 would have no year before)."""
    period = parse_month(text)
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise ValueError(MONTH_OUT_OF_RANGE)
    return period


class MonthInput(forms.TextInput):
    input_type = "month"  # browsers offer a month picker; the value is YYYY-MM either way


class MonthForm(forms.Form):
    month = forms.CharField(
        label="Month", widget=MonthInput(attrs={"placeholder": "YYYY-MM"}), help_text="For example 2026-10."
    )

    def clean_month(self):
        try:
            return scorecard_month(self.cleaned_data["month"])
        except ValueError as error:
            raise forms.ValidationError(str(error) if str(error) == MONTH_OUT_OF_RANGE else MONTH_INVALID) from error


class CommentaryForm(forms.Form):
    commentary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What the figure shows this month and why: the story behind the numbers.",
    )
    next_steps = forms.CharField(
        label="Actions / next steps",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What will be done, by whom and by when.",
    )
