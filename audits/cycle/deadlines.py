"""The monthly cycle's deadlines: what is due and overdue, and the daily reminders about them.

Three deadlines follow an audit through the cycle (dates from audits/cycle/dates.py), each belonging to
the state the audit waits in:
- completion: a DRAFT audit is due by `due_on` (the 28th); the auditor's to meet;
- oversight: a SUBMITTED audit waits for the service lead's oversight by `oversight_due_on` (the 5th);
- record: an OVERSEEN audit is added to the child's record by `record_due_on` (the 6th).
A DISPUTED audit is in none of them: it waits for the QA lead to resolve the dispute, not for the
service lead (who raised it). Once resolved it is SUBMITTED again and its oversight deadline counts.

Reminders (`cycle_reminders_send`, run daily by the task `audits.tasks.send_cycle_reminders`):
REMINDER_DAYS_BEFORE days before a deadline ("due in 3 days"), on the day ("due today"), and once
when it has passed ("overdue"). A run sends the message of the stage each deadline is in *today*,
so a day missed while Redis was down is caught up with the right message, never a stale one. Each
message is recorded as a SentReminder whose key names the audit, the deadline, its date and the
stage: a second run sends nothing more, and a deadline moved to another day gets new reminders.
Who is told:
- completion: the auditor (before, on the day and overdue); once overdue, the area's service
  leads and the QA unit too;
- oversight and record: the area's service leads; once overdue, the QA unit too.
Each person gets one message per run, listing all their items, never one per audit.
The escalation chain's own deadlines (the 3-day and one-week updates, remedial actions) are the
escalation job's to remind (audits.tasks.run_escalation_deadlines); the home panel lists them here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.db import transaction
from django.db.models import Count, DateField, F, Func, IntegerField, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from quality.access import visible, visible_beyond_areas
from quality.org.models import Role
from quality.org.notify import notify
from quality.org.selectors import users_holding, users_holding_by_area

from ..models import Audit, DeadlineDayCount, Escalation, EscalationUpdate, SentReminder
from .dates import REMINDER_DAYS_BEFORE
from .deadline_counts import overdue_by_area
from .deadline_rules import RULES, Deadline, DeadlineRule  # noqa: F401  (their home before; imported from here)

DAY_FORMAT = "%-d %b %Y"  # 28 Nov 2026


class _DaysBetween(Func):
    """`later - earlier` in whole days (in PostgreSQL a date minus a date is an integer)."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps dates as text, and text minus text is 0: count days through julianday().
        later, earlier = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"CAST(julianday({later[0]}) - julianday({earlier[0]}) AS INTEGER)", [*later[1], *earlier[1]]


def _on(day: date) -> Value:
    return Value(day, output_field=DateField())


def days_left(field_name: str, today: date) -> _DaysBetween:
    """Days from today to the date in `field_name`: negative once it has passed, 0 on the day."""
    return _DaysBetween(F(field_name), _on(today))


def _waiting(deadline: Deadline) -> Q:
    rule = RULES[deadline]
    return Q(state=rule.state, **{f"{rule.field}__isnull": False})


def _overdue(deadline: Deadline, today: date) -> Q:
    rule = RULES[deadline]
    return Q(state=rule.state, **{f"{rule.field}__lt": today})


# ---------------------------------------------------------------------------------------
# What is overdue (the overdue pages and the QA unit's counts on the home page).


def overdue_audits(user, deadline: Deadline, *, today: date | None = None) -> QuerySet[Audit]:
    """The audits this person may see whose `deadline` has passed, the longest overdue first (then by
    service area and case reference, in the order of the deadline's partial index, which serves every
    page), each with `due_date` and `days_late`."""
    today = today or timezone.localdate()
    field_name = RULES[deadline].field
    return (
        visible(user, Audit.objects.filter(_overdue(deadline, today)))
        .select_related("service_area", "team", "auditor")
        .annotate(due_date=F(field_name), days_late=_DaysBetween(_on(today), F(field_name)))
        .order_by(field_name, "service_area_id", "case_reference", "pk")  # as the deadline's partial index
    )


@dataclass
class AreaCounts:
    """How many audits of one service area are overdue, per deadline."""

    area_id: int | None
    code: str
    name: str
    completion: int = 0
    oversight: int = 0
    record: int = 0

    @property
    def total(self) -> int:
        return self.completion + self.oversight + self.record


def _counted(user, today: date) -> list[tuple[int, str, str, str, int]]:
    """(area id, code, name, deadline, count) of the overdue audits the person may see: the counts kept
    per area and day (deadline_counts) of the areas they see, then, for someone who also sees audits
    of other areas as their auditor or a participant, those counted directly (a handful, by index)."""
    kept = overdue_by_area(visible(user, DeadlineDayCount.objects.all()), today)
    first, *rest = [
        visible_beyond_areas(user, Audit.objects.filter(_overdue(deadline, today)))
        .order_by()
        .values("service_area_id", "service_area__code", "service_area__name")
        .annotate(deadline=Value(deadline.value), n=Count("*"))
        .values_list("service_area_id", "service_area__code", "service_area__name", "deadline", "n")
        for deadline in Deadline
    ]
    return kept + list(first.union(*rest, all=True))  # no query for someone who sees every area


def overdue_counts(user, *, today: date | None = None) -> list[AreaCounts]:
    """Per service area the person may see (areas with something overdue), the overdue counts, by the
    area's name: one query for someone who sees every area, two otherwise (_counted)."""
    today = today or timezone.localdate()
    areas: dict[int, AreaCounts] = {}
    for area_id, code, name, deadline, n in _counted(user, today):
        row = areas.setdefault(area_id, AreaCounts(area_id=area_id, code=code, name=name))
        setattr(row, deadline, getattr(row, deadline) + n)
    return sorted(areas.values(), key=lambda row: (row.name, row.area_id))


def counts_total(rows: Iterable[AreaCounts]) -> AreaCounts:
    total = AreaCounts(area_id=None, code="", name="All service areas")
    for row in rows:
        for deadline in Deadline:
            setattr(total, deadline.value, getattr(total, deadline.value) + getattr(row, deadline.value))
    return total


def overdue_totals(user, *, today: date | None = None) -> AreaCounts:
    """The overdue counts across every area the person may see, in one query (_counted)."""
    return counts_total(overdue_counts(user, today=today))


OVERDUE_HEADERS = ["List", "Case reference", "Service area", "Team", "Auditor", "Due date", "Days late"]


def overdue_export_rows(lists: dict[Deadline, QuerySet[Audit]]) -> Iterator[list]:
    """The overdue lists as rows of one file (header first), one query per list, streamed: every row,
    however many, never all of them in memory at once."""
    yield OVERDUE_HEADERS
    for deadline, audits in lists.items():
        values = audits.values(
            "case_reference", "service_area__name", "team__name", "auditor__full_name", "due_date", "days_late"
        )
        for row in values.iterator(chunk_size=2000):
            yield [
                RULES[deadline].title,
                row["case_reference"],
                row["service_area__name"],
                row["team__name"] or "",
                row["auditor__full_name"],
                row["due_date"],
                str(row["days_late"]),
            ]


# ---------------------------------------------------------------------------------------
# What is due for one person (the home page's panel, through audits.selectors.due_for).


def with_days_left(audits: QuerySet[Audit], deadline: Deadline, *, today: date) -> QuerySet[Audit]:
    """Each audit with `due_date` and `days_left` for `deadline`, soonest first (no date last)."""
    field_name = RULES[deadline].field
    return audits.annotate(due_date=F(field_name), days_left=days_left(field_name, today)).order_by(
        F(field_name).asc(nulls_last=True), "pk"
    )


@dataclass(frozen=True)
class EscalationStep:
    """An update a service lead owes on an open escalation, and when."""

    escalation: Escalation
    label: str
    due_date: date
    days_left: int

    @property
    def url(self) -> str:
        # The escalation's own page where there is one; otherwise the audit it is about.
        page = getattr(self.escalation, "get_absolute_url", None)
        return page() if page else self.escalation.audit.get_absolute_url()


def escalation_steps_due(user, area_ids: Iterable[int], *, today: date) -> list[EscalationStep]:
    """The 3-day and one-week updates of escalated Inadequate audits, and the remedial actions of
    Requires Improvement ones, not yet recorded in these areas; soonest first. One query."""
    area_ids = list(area_ids)
    escalated = Q(stage=Escalation.Stage.ESCALATED)
    owed = (
        (escalated & Q(first_update_due__isnull=False, first_update_at__isnull=True))
        | (escalated & Q(second_update_due__isnull=False, second_update_at__isnull=True))
        | (
            Q(kind=Escalation.Kind.REMEDIAL, remedial_due_on__isnull=False)
            & ~Q(stage__in=[Escalation.Stage.CLOSED, Escalation.Stage.WITHDRAWN])
        )
    )
    escalations = visible(user, Escalation.objects.select_related("audit__service_area")).filter(
        owed, audit__service_area_id__in=area_ids
    )
    steps = []
    for escalation in escalations:
        owed_steps = []
        if escalation.stage == Escalation.Stage.ESCALATED:
            if escalation.first_update_due and escalation.first_update_at is None:
                owed_steps.append((EscalationUpdate.Step.FIRST.label, escalation.first_update_due))
            if escalation.second_update_due and escalation.second_update_at is None:
                owed_steps.append((EscalationUpdate.Step.SECOND.label, escalation.second_update_due))
        still_open = escalation.stage not in (Escalation.Stage.CLOSED, Escalation.Stage.WITHDRAWN)
        if escalation.kind == Escalation.Kind.REMEDIAL and escalation.remedial_due_on and still_open:
            owed_steps.append((EscalationUpdate.Step.REMEDIAL.label, escalation.remedial_due_on))
        steps += [EscalationStep(escalation, label, day, (day - today).days) for label, day in owed_steps]
    return sorted(steps, key=lambda step: (step.due_date, step.escalation.pk))


# ---------------------------------------------------------------------------------------
# Reminders.


class Stage(StrEnum):
    BEFORE = "before"
    DAY = "day"
    OVERDUE = "overdue"


def stage_on(due: date, today: date) -> Stage | None:
    """Which reminder a deadline on `due` calls for today, if any."""
    left = (due - today).days
    if left < 0:
        return Stage.OVERDUE
    if left == 0:
        return Stage.DAY
    if left <= REMINDER_DAYS_BEFORE:
        return Stage.BEFORE
    return None


def due_phrase(due: date, today: date) -> str:
    left = (due - today).days
    if left < 0:
        return f"overdue: it was due on {due:{DAY_FORMAT}}"
    if left == 0:
        return f"due today, {due:{DAY_FORMAT}}"
    return f"due in {left} day{'s' if left != 1 else ''}, on {due:{DAY_FORMAT}}"


@dataclass(frozen=True)
class Reminder:
    audit: Audit
    deadline: Deadline
    due: date
    stage: Stage

    @property
    def key(self) -> str:
        return f"audit:{self.audit.pk}:{RULES[self.deadline].field}:{self.due.isoformat()}:{self.stage}"

    def line(self, today: date) -> str:
        case = f"Case {self.audit.case_reference} ({self.audit.service_area.code})"
        return f"- {case}: {RULES[self.deadline].task} is {due_phrase(self.due, today)}"


@dataclass
class _Recipient:
    user: object
    reminders: dict[str, Reminder] = field(default_factory=dict)  # by key: one line per item
    oversees: bool = False  # told as a service lead or the QA unit: the overdue page is theirs


def _reminders(audits: Iterable[Audit], today: date) -> list[Reminder]:
    reminders = []
    for audit in audits:
        for deadline, rule in RULES.items():
            due = getattr(audit, rule.field)
            stage = stage_on(due, today) if audit.state == rule.state and due else None
            if stage is not None:
                reminders.append(Reminder(audit, deadline, due, stage))
    return reminders


def _subject(reminders: list[Reminder]) -> str:
    if len(reminders) == 1:
        (only,) = reminders
        stage = {Stage.OVERDUE: "overdue", Stage.DAY: "due today", Stage.BEFORE: "coming up"}[only.stage]
        return f"Audit deadline {stage}: case {only.audit.case_reference}"
    stages = [reminder.stage for reminder in reminders]
    parts = [
        f"{stages.count(stage)} {words}"
        for stage, words in ((Stage.OVERDUE, "overdue"), (Stage.DAY, "due today"), (Stage.BEFORE, "coming up"))
        if stage in stages
    ]
    return f"{len(reminders)} audit deadlines: {', '.join(parts)}"


def _tell(recipient: _Recipient, today: date) -> None:
    reminders = sorted(recipient.reminders.values(), key=lambda r: (r.due, r.audit.case_reference, r.deadline))
    if len(reminders) == 1:
        url = reminders[0].audit.get_absolute_url()
    elif recipient.oversees and any(r.stage == Stage.OVERDUE for r in reminders):
        url = reverse("escalations:overdue_list")
    else:
        url = reverse("home")
    notify(
        users=[recipient.user],
        subject=_subject(reminders),
        body="\n".join(reminder.line(today) for reminder in reminders),
        url=url,
    )


@transaction.atomic
def cycle_reminders_send(*, today: date | None = None) -> int:
    """Send today's reminders about audit deadlines; returns how many reminders (audit deadlines) were new.

    All in one transaction: the SentReminder rows, the in-portal notifications, and the e-mails
    (sent once it commits). A run that fails half-way leaves nothing behind and the next run sends
    it all. The audits concerned are locked for the run, so a second run at the same moment waits,
    then finds the reminders already recorded. The number of queries depends on the number of
    people told, not on the number of audits.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=REMINDER_DAYS_BEFORE)
    near = Q()
    for deadline, rule in RULES.items():
        near |= _waiting(deadline) & Q(**{f"{rule.field}__lte": horizon})
    audits = list(
        Audit.objects.filter(near)
        .select_related("service_area", "auditor__user")
        .select_for_update(of=("self",))
        # One order for every run: two runs lock the rows in the same order and never deadlock.
        .order_by("pk")
    )
    reminders = _reminders(audits, today)
    sent = set(SentReminder.objects.filter(key__in=[r.key for r in reminders]).values_list("key", flat=True))
    reminders = [reminder for reminder in reminders if reminder.key not in sent]
    if not reminders:
        return 0

    area_ids = {reminder.audit.service_area_id for reminder in reminders}
    leads = users_holding_by_area(Role.SERVICE_LEAD, area_ids)
    overdue = any(r.stage == Stage.OVERDUE for r in reminders)
    qa_unit = users_holding(Role.QA_OFFICER, Role.QA_LEAD) if overdue else []
    recipients: dict[int, _Recipient] = {}

    def tell(user, reminder: Reminder, oversees: bool) -> None:
        if user is None or not user.is_active:
            return
        recipient = recipients.setdefault(user.pk, _Recipient(user))
        recipient.reminders[reminder.key] = reminder
        recipient.oversees |= oversees

    for reminder in reminders:
        overdue = reminder.stage == Stage.OVERDUE
        if reminder.deadline == Deadline.COMPLETION:
            tell(reminder.audit.auditor.user, reminder, oversees=False)
        if reminder.deadline != Deadline.COMPLETION or overdue:
            for lead in leads.get(reminder.audit.service_area_id, []):
                tell(lead, reminder, oversees=True)
        if overdue:
            for member in qa_unit:
                tell(member, reminder, oversees=True)

    SentReminder.objects.bulk_create(SentReminder(key=reminder.key) for reminder in reminders)
    for recipient in recipients.values():
        _tell(recipient, today)
    return len(reminders)
