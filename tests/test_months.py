"""Month arithmetic (quality/months.py): month ends, leap years, going back, crossing a year, quarters,
and the start of a day in London across the clock changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from quality.months import (
    add_months,
    month_end,
    month_start,
    next_month,
    quarter_end,
    quarter_of,
    quarter_start,
    start_of_day,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 1)),
        (date(2026, 3, 17), date(2026, 3, 1)),
        (date(2026, 3, 31), date(2026, 3, 1)),
    ],
)
def test_a_month_starts_on_its_first_day(day, expected):
    assert month_start(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 31), date(2026, 2, 1)),
        (date(2026, 11, 1), date(2026, 12, 1)),
        (date(2026, 12, 15), date(2027, 1, 1)),
    ],
)
def test_the_next_month_is_named_by_its_first_day_even_across_a_year(day, expected):
    assert next_month(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 4, 10), date(2026, 4, 30)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2028, 2, 1), date(2028, 2, 29)),  # a leap year
        (date(2100, 2, 1), date(2100, 2, 28)),  # a century that is not a leap year
        (date(2000, 2, 1), date(2000, 2, 29)),  # one that is
        (date(2026, 12, 31), date(2026, 12, 31)),
    ],
)
def test_a_month_ends_on_its_own_last_day(day, expected):
    assert month_end(day) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 14), 0, date(2026, 3, 14)),
        (date(2026, 3, 14), 1, date(2026, 4, 14)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # a shorter month takes its last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # in a leap year, the 29th
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # a leap day a year on
        (date(2026, 11, 30), 2, date(2027, 1, 30)),  # forward across a year
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 5, 10), 24, date(2028, 5, 10)),
    ],
)
def test_adding_months_keeps_the_day_where_the_month_has_it(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2028, 3, 31), -1, date(2028, 2, 29)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),  # back across a year
        (date(2026, 8, 31), -6, date(2026, 2, 28)),  # an audit's six months of casework
        (date(2026, 2, 1), -14, date(2024, 12, 1)),
        (date(2026, 1, 1), -12, date(2025, 1, 1)),
    ],
)
def test_going_back_by_months_is_the_same_rule_backwards(day, months, expected):
    assert add_months(day, months) == expected


def test_going_forward_then_back_returns_to_a_day_every_month_has():
    for month in range(1, 13):
        day = date(2026, month, 28)
        assert add_months(add_months(day, 7), -7) == day


@pytest.mark.parametrize(
    ("day", "quarter", "first", "last"),
    [
        (date(2026, 1, 1), 1, date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 3, 31), 1, date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), 2, date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 8, 15), 3, date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 12, 31), 4, date(2026, 10, 1), date(2026, 12, 31)),
        (date(2028, 2, 29), 1, date(2028, 1, 1), date(2028, 3, 31)),
    ],
)
def test_a_day_belongs_to_its_calendar_quarter(day, quarter, first, last):
    assert (quarter_of(day), quarter_start(day), quarter_end(day)) == (quarter, first, last)


@pytest.mark.parametrize(
    ("day", "in_utc"),
    [
        (date(2026, 1, 15), datetime(2026, 1, 15, 0, 0, tzinfo=UTC)),  # GMT: London is on UTC
        (date(2026, 7, 1), datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # BST: an hour ahead
        (date(2026, 3, 29), datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),  # clocks go forward at 1am, after midnight
        (date(2026, 3, 30), datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
        (date(2026, 10, 25), datetime(2026, 10, 24, 23, 0, tzinfo=UTC)),  # clocks go back at 2am, after midnight
        (date(2026, 10, 26), datetime(2026, 10, 26, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_day_starts_at_midnight_in_london_whatever_the_clocks_say(day, in_utc):
    start = start_of_day(day)

    assert start == in_utc
    assert timezone.localtime(start, timezone.get_default_timezone()).replace(tzinfo=None) == datetime(
        day.year, day.month, day.day
    )


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)],
)
def test_a_day_runs_to_the_start_of_the_next_so_a_clock_change_day_keeps_its_own_length(day, hours):
    # In UTC: Python subtracts two London times on the wall clock, which would always give 24 hours.
    length = start_of_day(day + timedelta(days=1)).astimezone(UTC) - start_of_day(day).astimezone(UTC)

    assert length == timedelta(hours=hours)


def test_a_day_starts_in_the_portals_time_zone_even_when_another_is_active():
    with timezone.override("America/New_York"):
        assert start_of_day(date(2026, 1, 15)) == datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
