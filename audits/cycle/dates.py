"""The dates of the monthly audit cycle, in one place (see docs/architecture.md and the brief).

For the audits of month M: the allocation goes out on the 3rd of M, audits are due by the 28th
of M, service leads record oversight by the 5th of M+1 and the audit is on the child's record by
the 6th of M+1. Inadequate escalations: an update within 3 days of QA confirming the grade,
another after a week, and a re-audit a month later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from quality.months import add_months, month_start, next_month

ALLOCATION_DAY = 3
AUDIT_DUE_DAY = 28
OVERSIGHT_DUE_DAY = 5  # of the next month
RECORD_DUE_DAY = 6  # of the next month
FIRST_UPDATE_DAYS = 3
SECOND_UPDATE_DAYS = 7
REMEDIAL_DAYS = 28  # Requires Improvement: remedial actions within four weeks of oversight
REMINDER_DAYS_BEFORE = 3  # a reminder this many days before a deadline, and one on the day
AUDIT_PERIOD_MONTHS = 6  # an audit looks at the casework of the six months before its period ends


@dataclass(frozen=True)
class CycleDates:
    month: date
    allocation_on: date
    audit_due: date
    oversight_due: date
    record_due: date


def cycle_dates(month: date) -> CycleDates:
    month = month_start(month)
    following = next_month(month)
    return CycleDates(
        month=month,
        allocation_on=month.replace(day=ALLOCATION_DAY),
        audit_due=month.replace(day=AUDIT_DUE_DAY),
        oversight_due=following.replace(day=OVERSIGHT_DUE_DAY),
        record_due=following.replace(day=RECORD_DUE_DAY),
    )


def cycle_for_due_date(audit_due: date) -> CycleDates:
    """The cycle an audit due on `audit_due` belongs to (its month)."""
    return cycle_dates(audit_due)


def audit_period_start(period_end: date) -> date:
    """The first day of the casework an audit ending on `period_end` looks at."""
    return add_months(period_end, -AUDIT_PERIOD_MONTHS)
