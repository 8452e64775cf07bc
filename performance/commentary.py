"""The month's commentary workflow: leads write commentary and next steps, the performance officer
sees what is still missing and locks the month when the pack is final. A locked month never changes.

Writing and locking take the same transaction-level lock on the month (`month_hold`), so a
commentary saved while the month is being locked is either in before the lock or refused after it;
the values loader takes it too before it checks the lock.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from quality import locks
from quality.access import Action, can
from quality.org.services import change_record

from .models import Commentary, Indicator, MonthLock

MONTH_LOCKED = "{month} is locked: its figures and commentary no longer change."
ALREADY_LOCKED = "{month} is already locked."
NOT_THE_LEAD = "Only the indicator's lead or a performance officer may write its commentary."
MAY_NOT_LOCK = "Only a performance officer may lock a month."
NO_PERSON = "Your account is not linked to a person in the staff directory; ask an administrator."
COMMENTARY_REQUIRED = "Write the commentary: what the figure shows and why."


def _label(period: date) -> str:
    return f"{period:%B %Y}"


def month_hold(period: date) -> None:
    """Take the month's lock for the rest of the transaction (PostgreSQL advisory lock): writers of the
    month's commentary and values, and the person locking it, wait for one another."""
    locks.hold("performance.month", period.year * 100 + period.month)


def is_locked(period: date) -> bool:
    return MonthLock.objects.filter(period=period).exists()


def refuse_if_locked(period: date) -> None:
    """Raise the error people see when anything tries to change a locked month."""
    if is_locked(period):
        raise ValidationError(MONTH_LOCKED.format(month=_label(period)))


@transaction.atomic
def commentary_write(*, actor, indicator: Indicator, period: date, commentary: str, next_steps: str) -> Commentary:
    """Save the month's commentary and next steps on one indicator (one per indicator and month)."""
    if not can(actor, Action.WRITE_COMMENTARY, indicator):
        raise PermissionDenied(NOT_THE_LEAD)
    commentary, next_steps = commentary.strip(), next_steps.strip()
    if not commentary:
        raise ValidationError({"commentary": COMMENTARY_REQUIRED})
    month_hold(period)
    refuse_if_locked(period)
    person = getattr(actor, "person", None)
    saved, created = Commentary.objects.select_for_update().get_or_create(
        indicator=indicator,
        period=period,
        defaults={"commentary": commentary, "next_steps": next_steps, "written_by": person},
    )
    if not created:
        if (saved.commentary, saved.next_steps) == (commentary, next_steps):
            return saved
        saved.commentary, saved.next_steps, saved.written_by = commentary, next_steps, person
        saved.save(update_fields=["commentary", "next_steps", "written_by", "updated_at"])
    change_record(
        actor=actor,
        target=saved,
        action="commentary_written" if created else "commentary_changed",
        summary=f"Commentary on indicator {indicator.pk} for {period:%Y-%m} {'written' if created else 'changed'}",
    )
    return saved


def commentary_missing(period: date) -> QuerySet[Indicator]:
    """The active indicators with no commentary for the month yet, in catalogue order."""
    written = Commentary.objects.filter(indicator=OuterRef("pk"), period=period).exclude(commentary="")
    return (
        Indicator.objects.filter(is_active=True)
        .exclude(Exists(written))
        .select_related("lead")
        .order_by("display_order", "code")
    )


@transaction.atomic
def month_lock(*, actor, period: date) -> MonthLock:
    """Lock the month: from now on its values and commentary are refused. There is no unlock."""
    if not can(actor, Action.LOCK_MONTH):
        raise PermissionDenied(MAY_NOT_LOCK)
    person = getattr(actor, "person", None)
    if person is None:
        raise ValidationError(NO_PERSON)
    month_hold(period)
    if is_locked(period):
        raise ValidationError(ALREADY_LOCKED.format(month=_label(period)))
    lock = MonthLock.objects.create(period=period, locked_by=person)
    change_record(actor=actor, target=lock, action="month_locked", summary=f"Scorecard month {period:%Y-%m} locked")
    return lock
