"""Reminders before a practice week: each practice manager with practitioners due or overdue hears,
REMINDER_DAYS_BEFORE days before the week starts, how many of their team's practitioners to observe.

Run daily (evidence.observations.tasks.send_practice_week_reminders, quality/celery.py): the weeks come
from the database, so a day missed while the worker was down is caught up the next day, until the week
starts. Once per week and manager: the reminder is recorded (ObservationReminder) in the same transaction
as the notification, so a second run, or a retry after an error, sends nothing twice.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from quality.org.models import Membership, Role
from quality.org.notify import notify

from .models import ObservationReminder, PracticeWeek
from .selectors import DUE, OVERDUE, practitioners_with_status

REMINDER_DAYS_BEFORE = 7


def _waiting_by_team(today: date) -> dict[int, int]:
    """How many practitioners of each team are due or overdue, by team id."""
    rows = (
        practitioners_with_status(today=today)
        .filter(status__in=[DUE, OVERDUE])
        .order_by()
        .values("team_id")
        .annotate(waiting=Count("pk"))
    )
    return {row["team_id"]: row["waiting"] for row in rows}


@transaction.atomic
def practice_week_reminders_send(*, today: date | None = None) -> int:
    """Send the reminders due today; returns how many managers were told."""
    today = today or timezone.localdate()
    weeks = list(
        PracticeWeek.objects.filter(starts_on__gt=today, starts_on__lte=today + timedelta(days=REMINDER_DAYS_BEFORE))
        # Locked: a second run at the same moment waits, then finds the reminders recorded.
        .select_for_update()
        .order_by("starts_on")
    )
    if not weeks:
        return 0
    waiting = _waiting_by_team(today)
    managers: dict[int, tuple] = {}
    for membership in (
        Membership.objects.current()
        .filter(role=Role.PRACTICE_MANAGER, team_id__in=waiting, person__user__is_active=True)
        .select_related("person__user")
    ):
        person, count = managers.get(membership.person_id, (membership.person, 0))
        managers[membership.person_id] = (person, count + waiting[membership.team_id])
    told = 0
    for week in weeks:
        already = set(ObservationReminder.objects.filter(practice_week=week).values_list("manager_id", flat=True))
        for person_id, (person, count) in managers.items():
            if person_id in already:
                continue
            ObservationReminder.objects.create(practice_week=week, manager=person)
            notify(
                users=[person.user],
                subject=f"Practice week from {week.starts_on:%-d %B}: practitioners to observe",
                body=(
                    f"{count} practitioner{'s' if count != 1 else ''} in your team"
                    f"{' are' if count != 1 else ' is'} due or overdue an observation of practice. "
                    f"The practice week runs from {week.starts_on:%-d %B} to {week.ends_on:%-d %B %Y}."
                ),
                url=reverse("observations:coverage"),
            )
            told += 1
    return told
