"""The QA unit's waiting work in the monthly cycle, for the home page (quality/waiting.py): the month's
allocation to propose or review, and the Inadequate grades awaiting QA's moderation. Each selector
checks the person may do the work (quality.access) and reads only the rows they may see; each runs a
fixed number of queries (a count and the first rows), whatever the number of rows."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from quality.access import Action, can, visible
from quality.months import month_start
from quality.waiting import Entry, Waiting

from .cycle.dates import cycle_dates
from .models import Allocation, Escalation
from .selectors import HOME_ROWS


def _allocation_url(month) -> str:
    return reverse("allocation:allocation_detail", args=[f"{month:%Y-%m}"])


def allocation_to_propose(user) -> Waiting | None:
    """This month's allocation, once its day (the 3rd) has come and nobody has proposed it."""
    if not can(user, Action.MANAGE_ALLOCATION):
        return None
    today = timezone.localdate()
    month = month_start(today)
    if today < cycle_dates(month).allocation_on or visible(user, Allocation.objects.filter(month=month)).exists():
        return None
    entry = Entry(
        text=f"Allocation for {month:%B %Y}",
        url=_allocation_url(month),
        note=f"not proposed yet (due on {cycle_dates(month).allocation_on:%-d %B})",
    )
    return Waiting("allocation_to_propose", "Allocation to propose", 1, [entry])


def allocations_to_review(user) -> Waiting | None:
    """Proposed allocations awaiting the QA unit's review and distribution, oldest month first."""
    if not can(user, Action.MANAGE_ALLOCATION):
        return None
    proposed = visible(user, Allocation.objects.filter(state=Allocation.State.PROPOSED))
    rows = proposed.annotate(cases=Count("items", filter=Q(items__removed_at__isnull=True))).order_by("month")
    entries = [
        Entry(
            text=f"Allocation for {allocation.month:%B %Y}",
            url=_allocation_url(allocation.month),
            note=f"{allocation.cases} case{'' if allocation.cases == 1 else 's'} proposed: review and distribute",
        )
        for allocation in rows[:HOME_ROWS]
    ]
    return Waiting(
        "allocations_to_review",
        "Allocations to review",
        proposed.count(),
        entries,
        link=reverse("allocation:allocation_list"),
        link_text="Every month's allocation",
    )


def grades_to_moderate(user) -> Waiting | None:
    """Inadequate grades awaiting QA's moderation (confirm or change), the longest waiting first."""
    if not can(user, Action.CONFIRM_ESCALATION):
        return None
    waiting = visible(user, Escalation.objects.filter(stage=Escalation.Stage.AWAITING_MODERATION))
    rows = waiting.select_related("audit__service_area").order_by("opened_at", "pk")
    entries = [
        Entry(
            text=f"Case {escalation.audit.case_reference}",
            url=escalation.get_absolute_url(),
            note=f"{escalation.audit.service_area.code}, graded Inadequate, waiting since "
            f"{timezone.localtime(escalation.opened_at):%-d %b %Y}",
        )
        for escalation in rows[:HOME_ROWS]
    ]
    return Waiting(
        "grades_to_moderate",
        "Inadequate grades to moderate",
        waiting.count(),
        entries,
        link=reverse("escalations:board"),
        link_text="The escalations board",
    )
