"""Demo moderation for `load_demo` (runs after audits/demo.py): first the monthly cycle's part
(moderation/cycle_demo.py: the audit history, QA's reviews of Inadequate grades), then two
concluded monthly panels with their decisions, in the last two months, and next month's panel
planned with its sample drawn.

Idempotent: a panel already on one of those dates is left alone. The panels grade the way the
seeds' 2022 moderation did: most grades stand, some move a step towards Requires Improvement.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from audits.models import Grade, ScheduleEntry
from quality.months import add_months, month_start
from quality.org.models import Person

from . import cycle_demo, panels
from .models import Panel

SEEDS = (20260101, 20260202, 20260303)  # fixed, so the demo's draws are the same on every machine
RATIONALES = {
    "same": "The panel agrees: the evidence in each area supports the auditor's grade.",
    "down": "The panel found the outcomes for the child less evident than the audit says: the plan "
    "is not yet making a difference the record can show.",
}
FEEDBACK = "Grade on the difference made for the child, not on the tasks done; quote the record."


def _third_thursday(month: date) -> date:
    first = month_start(month)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def _panel_day(month: date) -> tuple[date, ScheduleEntry | None]:
    entry = (
        ScheduleEntry.objects.filter(
            kind=ScheduleEntry.Kind.PANEL, starts_on__year=month.year, starts_on__month=month.month
        )
        .filter(moderation_panels__isnull=True)
        .order_by("starts_on")
        .first()
    )
    return (entry.starts_on, entry) if entry else (_third_thursday(month), None)


def _step_down(grade: str) -> str:
    order = Grade.values
    return order[min(order.index(grade) + 1, len(order) - 1)] if grade in order else grade


def _decide(panel: Panel, qa_user, members: list[Person]) -> None:
    recorders = [m.user for m in members if m.user.is_active] or [qa_user]
    for number, item in enumerate(panel.items.filter(removed_at__isnull=True).select_related("audit"), start=1):
        audit = item.audit
        moved = number % 3 == 0 and audit.overall_grade not in (Grade.INADEQUATE, Grade.REQUIRES_IMPROVEMENT)
        grade = _step_down(audit.overall_grade) if moved else audit.overall_grade
        areas = {g.area: (_step_down(g.grade) if moved else g.grade) for g in audit.area_grades.all()}
        panels.decision_record(
            actor=recorders[number % len(recorders)],
            item=item,
            moderated_grade=grade,
            area_grades=areas,
            rationale=RATIONALES["down" if moved else "same"],
            feedback=FEEDBACK if moved else "",
        )


def load() -> None:
    cycle_demo.load()
    qa = Person.objects.filter(user__email="qa.lead@council.example").select_related("user").first()
    if qa is None:
        return
    members = list(panels.eligible_members().filter(user__email__in=["moderator@council.example", qa.user.email]))
    today = timezone.localdate()
    plan = [(add_months(today, -2), True), (add_months(today, -1), True), (add_months(today, 1), False)]
    for (month, conclude), seed in zip(plan, SEEDS, strict=True):
        held_on, entry = _panel_day(month)
        if Panel.objects.filter(held_on=held_on).exists():
            continue
        panel = panels.panel_create(
            actor=qa.user, kind=Panel.Kind.MONTHLY, held_on=held_on, schedule_entry=entry, members=members
        )
        sample_from = panels.default_sample_from(panel) or add_months(today, -3)
        try:
            panel = panels.sample_draw(actor=qa.user, panel=panel, size=4, seed=seed, sample_from=sample_from)
        except ValidationError:  # nothing awaiting moderation in this demo database: the panel stays planned
            continue
        if not conclude:
            continue
        panel = panels.panel_open(actor=qa.user, panel=panel)
        _decide(panel, qa.user, members)
        panels.panel_conclude(actor=qa.user, panel=panel)
