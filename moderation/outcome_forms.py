"""The period chooser of the outcome pages: a month, a quarter, a year, a from / to range, or a panel.

Periods are calendar ones: 2026-11 is November 2026, 2026-Q4 is October to December 2026 (the
quarters the quarterly audit reports cover), 2026 the calendar year. With nothing chosen the
pages show the current quarter; with a panel and no period, the panel's day (its decisions are
dated the day it sat). The choices of service area and auditor come through the access
rules, so a filter never names an area or a person the viewer could not otherwise see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import timezone

from quality.access import Action, can, visible
from quality.forms import EnglishDateField, written
from quality.months import month_end, quarter_end, quarter_of
from quality.org.models import Person, ServiceArea

from .models import ModerationDecision, Panel

ANY = "Any"
PERIOD_INVALID = "Give a month (2026-11), a quarter (2026-Q4) or a year (2026)."
PERIOD_AND_RANGE = "Choose a period or a from and to date, not both."
RANGE_INCOMPLETE = "Give both a from date and a to date."
RANGE_BACKWARDS = "The from date must not be after the to date."
FILTERS_INVALID = "The choices are not valid: nothing was exported. Correct them on the outcomes page and try again."

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, month_end(start), f"{start:%B %Y}")


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    end = quarter_end(start)
    return Period(start, end, f"Quarter {quarter} of {year} ({start:%B} to {end:%B %Y})")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), str(year))


def range_period(start: date, end: date) -> Period:
    return Period(start, end, f"{start:%-d %B %Y} to {end:%-d %B %Y}")


def parse_period(text: str) -> Period:
    """'2026-11', '2026-Q4' or '2026' as the period it names; ValueError for anything else."""
    text = text.strip()
    if match := _MONTH.match(text):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and year >= 1:
            return month_period(year, month)
    elif match := _QUARTER.match(text):
        if int(match.group(1)) >= 1:
            return quarter_period(int(match.group(1)), int(match.group(2)))
    elif (match := _YEAR.match(text)) and int(match.group(1)) >= 1:
        return year_period(int(match.group(1)))
    raise ValueError(PERIOD_INVALID)


class PeriodField(forms.CharField):
    """A month (2026-11), a quarter (2026-Q4) or a year (2026), read as the Period it names (the
    period of the outcome filters, the survey list and the benchmarking summary)."""

    def clean(self, value) -> Period | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_period(text)
        except ValueError as invalid:
            raise forms.ValidationError(PERIOD_INVALID, code="invalid") from invalid


def current_quarter(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return quarter_period(today.year, quarter_of(today))


class OutcomeFilterForm(forms.Form):
    """Bound to the query string (GET): the pages and their exports read the same choices."""

    period = PeriodField(
        required=False,
        max_length=16,
        help_text="A month (2026-11), a quarter (2026-Q4) or a year (2026). Empty: this quarter.",
    )
    date_from = EnglishDateField(label="Or from", required=False)
    date_to = EnglishDateField(label="To", required=False)
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.none(), required=False, empty_label=ANY)
    auditor = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, empty_label=ANY)
    panel = forms.ModelChoiceField(
        queryset=Panel.objects.none(), required=False, empty_label=ANY, help_text="Only this panel's decisions."
    )

    def __init__(self, *args, user, with_auditor: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_area"].queryset = visible(user, ServiceArea.objects.all()).order_by("code")
        self.fields["service_area"].label_from_instance = lambda area: written(f"{area.code}: {area.name}")
        self.fields["panel"].queryset = visible(user, Panel.objects.all()).order_by("-held_on", "-pk")
        # Grades per auditor are calibration: offered only to people who may see every auditor's.
        if with_auditor and can(user, Action.VIEW_CALIBRATION):
            self.fields["auditor"].queryset = Person.objects.filter(
                pk__in=visible(user, ModerationDecision.objects.all()).values("audit__auditor_id")
            ).order_by("full_name", "pk")
            self.fields["auditor"].help_text = "The auditor whose grades were moderated."
        else:
            del self.fields["auditor"]

    def clean(self):
        cleaned = super().clean()
        period, start, end = cleaned.get("period"), cleaned.get("date_from"), cleaned.get("date_to")
        if "period" in self.errors or "date_from" in self.errors or "date_to" in self.errors:
            return cleaned
        if period and (start or end):
            raise forms.ValidationError(PERIOD_AND_RANGE, code="both")
        if bool(start) != bool(end):
            self.add_error("date_to" if start else "date_from", forms.ValidationError(RANGE_INCOMPLETE, code="half"))
        elif start and end and start > end:
            self.add_error("date_from", forms.ValidationError(RANGE_BACKWARDS, code="backwards"))
        elif start and end:
            cleaned["chosen"] = range_period(start, end)
        elif period:
            cleaned["chosen"] = period
        elif panel := cleaned.get("panel"):
            cleaned["chosen"] = Period(panel.held_on, panel.held_on, str(panel))
        else:
            cleaned["chosen"] = current_quarter()
        return cleaned

    @property
    def chosen(self) -> Period:
        """The period the page shows (valid forms only)."""
        return self.cleaned_data["chosen"]
