"""Month arithmetic on dates, for the whole portal: the monthly cycle, the scorecard, reports and
their periods. Functions of a `datetime.date`; a month is named by its first day, a quarter is
a calendar one (Q1 is January to March).

Months have different lengths, so moving by months keeps the day of the month where it can and
otherwise takes the month's last day (31 January + 1 month = 28 or 29 February), as a person
counting on a calendar would. The calendar module and dateutil are not needed for this.

`start_of_day` turns a day into the moment it starts, for filtering timestamps by day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` in the portal's time zone (settings.TIME_ZONE, Europe/London).

    Always the default time zone, never one activated for a request, so a figure does not depend on
    who asks. DST-safe: the offset is the one in force on that day (GMT in winter, BST in summer),
    and London's clocks change at 1am, never at midnight, so midnight always exists and is never
    ambiguous. A day on which the clocks change is 23 or 25 hours long, so a day ends where the next
    starts: filter `>= start_of_day(day)` and `< start_of_day(day + timedelta(days=1))`."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return next_month(day) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), or that month's last day when it is
    shorter: 31 January + 1 = 28 February (29 in a leap year); 31 March - 1 = 28 or 29 February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def quarter_of(day: date) -> int:
    """The number (1 to 4) of `day`'s calendar quarter."""
    return (day.month - 1) // 3 + 1


def quarter_start(day: date) -> date:
    """The first day of `day`'s calendar quarter."""
    return date(day.year, 3 * quarter_of(day) - 2, 1)


def quarter_end(day: date) -> date:
    """The last day of `day`'s calendar quarter."""
    return month_end(add_months(quarter_start(day), 2))
