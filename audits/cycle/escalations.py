"""The chains of deadlines an audit's grade starts (audits.models.Escalation), and exemplars.

Inadequate: submitting an audit graded Inadequate opens an escalation awaiting QA moderation.
QA confirms the grade (the audit is escalated to the heads of service and the area's service
leads: an update is due in 3 days, another after a week, and the case is re-audited a month
later) or changes it (the escalation is withdrawn). A dispute that moves the grade to or from
Inadequate opens or withdraws the chain. The chain closes when the re-audit is submitted, or
when QA closes it by hand; a re-audit graded Inadequate starts its own chain. QA's review is a
moderation decision: moderation records it (moderation/qa_review.py) and calls
escalation_after_moderation here, as a panel's decision does.

Requires Improvement: the remedial escalation opens when the service lead records oversight on
an audit whose final grade is Requires Improvement (by then any dispute is settled), or when
QA's review changes an Inadequate grade to Requires Improvement. The area's service lead owns
it and closes it by recording the remedial actions taken, within REMEDIAL_DAYS.

Due dates live on the Escalation row; the daily job (escalation_deadlines_run, run by
audits.tasks.run_escalation_deadlines) allocates the re-audits that fall due and sends each
reminder and late notice once (SentReminder keys).

Good and Outstanding audits (by final grade, once submitted) can be marked as exemplars for
practice forums.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, CharField, Count, DateField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least, NullIf
from django.urls import reverse
from django.utils import timezone

from quality.access import grades_hidden_from, visible
from quality.months import add_months
from quality.org.models import Person, Role
from quality.org.notify import notify
from quality.org.selectors import users_holding

from .. import grades, services
from ..models import GOOD_OR_BETTER, Audit, AuditTool, Escalation, EscalationUpdate, Grade, SentReminder, ToolVersion
from .dates import FIRST_UPDATE_DAYS, REMEDIAL_DAYS, SECOND_UPDATE_DAYS, cycle_dates

logger = logging.getLogger(__name__)

# Messages people see when their input is refused. Tests assert on these.
UPDATE_TEXT_REQUIRED = "Write the update: what has been done for the child, and what happens next."
STEP_REQUIRED = "Choose which update you are recording."
ESCALATION_NOT_OPEN = "This escalation is closed: nothing more can be recorded on it."
NOT_ESCALATED_YET = "The 3-day and one-week updates are recorded once QA has confirmed the grade."
FIRST_ALREADY_RECORDED = "The 3-day update has already been recorded."
FIRST_BEFORE_SECOND = "Record the 3-day update before the one-week update."
SECOND_ALREADY_RECORDED = "The one-week update has already been recorded."
STEP_OF_OTHER_KIND = "This update belongs to the other kind of escalation."
CLOSE_ONLY_ESCALATED = "Only an escalated chain can be closed by hand; one awaiting moderation needs QA's review."
CLOSING_NOTE_REQUIRED = "Say why the escalation is closed."
NO_CASE_AUDIT_TOOL = "The service area has no published case audit tool to re-audit the case on."
NO_REAUDITOR = "The service area has no active practice manager, and there is no active QA officer."
EXEMPLAR_NOT_SUBMITTED = "Only a submitted audit can be an exemplar."
EXEMPLAR_GRADE = "Only an audit whose final grade is Good or Outstanding can be an exemplar."
EXEMPLAR_ALREADY = "This audit is already an exemplar."
EXEMPLAR_NOTE_REQUIRED = "Say what makes this audit an example for practice forums."
NOT_AN_EXEMPLAR = "This audit is not an exemplar."
UNMARK_REASON_REQUIRED = "Say why the audit is no longer an exemplar."

EXEMPLAR = "exemplar"  # AuditEvent.what for marking (new value) or unmarking (old value) an exemplar
EXEMPLAR_MARKED = "marked"
EXEMPLAR_GRADES = frozenset(GOOD_OR_BETTER)  # the final grade, as the reports count Good or better
# A re-audit allocated after the month's 28th is due four weeks later rather than in days.
REAUDIT_DAYS_WHEN_LATE_IN_MONTH = 28

OPEN_STAGES = (Escalation.Stage.AWAITING_MODERATION, Escalation.Stage.ESCALATED)
DONE_STAGES = (Escalation.Stage.CLOSED, Escalation.Stage.WITHDRAWN)
Step = EscalationUpdate.Step


def escalation_url(escalation: Escalation) -> str:
    return reverse("escalations:escalation_detail", args=[escalation.pk])


def _person(actor) -> Person | None:
    return getattr(actor, "person", None) if actor is not None else None


def _qa_unit():
    return users_holding(Role.QA_LEAD, Role.QA_OFFICER)


def _service_leads(audit: Audit):
    return users_holding(Role.SERVICE_LEAD, area=audit.service_area)


def _heads_of_service():
    return users_holding(Role.HEAD_OF_SERVICE)


def _grade_label(grade: str) -> str:
    return Grade(grade).label if grade in Grade.values else "ungraded"


# ---------------------------------------------------------------------------------------
# Opening, withdrawing and closing chains: hooks called by audits.services inside their transactions.


def _open_inadequate(*, actor, audit: Audit, ask_qa: bool = True) -> Escalation:
    """Open (or reopen, after a withdrawal) the audit's Inadequate chain and ask QA to moderate the grade
    (unless `ask_qa` is False: a moderation panel has just moderated it)."""
    escalation = Escalation.objects.select_for_update().filter(audit=audit, kind=Escalation.Kind.INADEQUATE).first()
    if escalation is None:
        escalation = Escalation.objects.create(
            audit=audit, kind=Escalation.Kind.INADEQUATE, stage=Escalation.Stage.AWAITING_MODERATION
        )
    elif escalation.stage == Escalation.Stage.WITHDRAWN:
        # One chain per audit and kind: the withdrawn one starts again, its history kept as a note.
        if _person(actor) is not None:
            EscalationUpdate.objects.create(
                escalation=escalation,
                step=Step.NOTE,
                text=f"Reopened: the grade is Inadequate again. Withdrawn before: {escalation.closing_note}",
                recorded_by=_person(actor),
            )
        escalation.stage = Escalation.Stage.AWAITING_MODERATION
        escalation.confirmed_by = escalation.confirmed_at = escalation.closed_by = escalation.closed_at = None
        escalation.first_update_due = escalation.first_update_at = None
        escalation.second_update_due = escalation.second_update_at = escalation.reaudit_due_on = None
        escalation.closing_note = ""
        escalation.save()
    else:
        return escalation  # already open (or closed for good): nothing to start
    if not ask_qa:
        return escalation
    notify(
        users=_qa_unit(),
        subject=f"Inadequate grade to moderate: case {audit.case_reference}",
        body=f"The audit of case {audit.case_reference} ({audit.service_area.code}) is graded Inadequate. "
        "Review the grade: confirm it to escalate to the head of service and the service lead, or change it.",
        url=escalation_url(escalation),
        urgent=True,
    )
    return escalation


def _withdraw_inadequate(*, actor, audit: Audit, note: str) -> Escalation | None:
    escalation = (
        Escalation.objects.select_for_update()
        .filter(audit=audit, kind=Escalation.Kind.INADEQUATE, stage__in=OPEN_STAGES)
        .first()
    )
    if escalation is None:
        return None
    was_escalated = escalation.stage == Escalation.Stage.ESCALATED
    escalation.stage = Escalation.Stage.WITHDRAWN
    escalation.closed_by, escalation.closed_at, escalation.closing_note = _person(actor), timezone.now(), note
    escalation.save()
    notify(
        users=_qa_unit() + _service_leads(audit) + (_heads_of_service() if was_escalated else []),
        subject=f"Escalation withdrawn: case {audit.case_reference}",
        body=f"The Inadequate escalation of case {audit.case_reference} is withdrawn. {note}",
        url=escalation_url(escalation),
    )
    return escalation


def _open_remedial(*, actor, audit: Audit) -> Escalation | None:
    """Requires Improvement: the area's service lead owns the remedial actions, due in REMEDIAL_DAYS."""
    if Escalation.objects.filter(audit=audit, kind=Escalation.Kind.REMEDIAL).exists():
        return None
    due = timezone.localdate() + timedelta(days=REMEDIAL_DAYS)
    escalation = Escalation.objects.create(
        audit=audit, kind=Escalation.Kind.REMEDIAL, stage=Escalation.Stage.ESCALATED, remedial_due_on=due
    )
    notify(
        users=_service_leads(audit),
        subject=f"Remedial actions due by {due:%-d %B %Y}: case {audit.case_reference}",
        body=f"The audit of case {audit.case_reference} is graded Requires Improvement. As the service lead "
        f"you own the remedial actions: record what was done by {due:%-d %B %Y}.",
        url=escalation_url(escalation),
    )
    return escalation


def escalation_on_submit(*, actor, audit: Audit) -> None:
    """audit_submit's hook: a submitted re-audit closes the chain it follows up; an Inadequate grade opens one."""
    followed = Escalation.objects.select_for_update().filter(reaudit=audit, stage=Escalation.Stage.ESCALATED).first()
    if followed is not None:
        note = f"Re-audit submitted, graded {_grade_label(audit.overall_grade)}."
        followed.stage, followed.closing_note = Escalation.Stage.CLOSED, note
        followed.closed_by, followed.closed_at = _person(actor) or audit.auditor, timezone.now()
        followed.save()
        notify(
            users=_qa_unit() + _service_leads(audit),
            subject=f"Re-audit submitted: case {audit.case_reference}",
            body=f"{note} The escalation of the earlier audit of case {audit.case_reference} is closed.",
            url=escalation_url(followed),
        )
    if audit.overall_grade == Grade.INADEQUATE:
        _open_inadequate(actor=actor, audit=audit)


def escalation_after_dispute(*, actor, audit: Audit, dispute) -> None:
    """dispute_resolve's hook: the final grade moved to Inadequate (open the chain) or from it (withdraw).
    A grade QA has moderated stands over a dispute's change, so only the final grade counts."""
    before = audit.moderated_grade or dispute.original_grade
    after = audit.final_grade
    if before == after:
        return
    if after == Grade.INADEQUATE:
        _open_inadequate(actor=actor, audit=audit)
    elif before == Grade.INADEQUATE:
        note = f"The grade was changed to {_grade_label(after)} when a dispute was resolved."
        _withdraw_inadequate(actor=actor, audit=audit, note=note)


def escalation_on_oversight(*, actor, audit: Audit) -> None:
    """audit_confirm_oversight's hook: a Requires Improvement audit gets its remedial deadline."""
    if audit.final_grade == Grade.REQUIRES_IMPROVEMENT:
        _open_remedial(actor=actor, audit=audit)


# ---------------------------------------------------------------------------------------
# What people do on an escalation's page.


def escalation_after_moderation(*, actor, audit: Audit, moderated_grade: str, rationale: str, feedback: str = ""):
    """What a moderation decision on the audit does to its Inadequate chain (moderation records the
    decision itself: QA's review of the grade in moderation.qa_review, a panel's in moderation.panels).

    An Inadequate grade confirmed, or moved to, is escalated (a panel's opens the chain first if there
    was none, or only a withdrawn one); a chain still awaiting QA's review whose grade was changed is
    withdrawn. A chain already escalated or closed is left as it is. The caller holds the audit's lock."""
    escalation = Escalation.objects.select_for_update().filter(audit=audit, kind=Escalation.Kind.INADEQUATE).first()
    reopen = escalation is None or escalation.stage == Escalation.Stage.WITHDRAWN
    if moderated_grade == Grade.INADEQUATE and reopen:
        escalation = _open_inadequate(actor=actor, audit=audit, ask_qa=False)
    if escalation is None or escalation.stage != Escalation.Stage.AWAITING_MODERATION:
        return escalation
    return _apply_moderation(actor, escalation, audit, moderated_grade, rationale, feedback.strip())


def _apply_moderation(actor, escalation: Escalation, audit: Audit, new_grade: str, rationale: str, feedback: str):
    """Move a chain awaiting moderation on: escalate a confirmed Inadequate, withdraw a changed grade."""
    today, now = timezone.localdate(), timezone.now()
    grades.moderated_grade_set(actor=actor, audit=audit, grade=new_grade, reason=rationale)
    told = f" Feedback from QA: {feedback}" if feedback else ""
    if new_grade == Grade.INADEQUATE:
        escalation.stage = Escalation.Stage.ESCALATED
        escalation.confirmed_by, escalation.confirmed_at = _person(actor), now
        escalation.first_update_due = today + timedelta(days=FIRST_UPDATE_DAYS)
        escalation.second_update_due = today + timedelta(days=SECOND_UPDATE_DAYS)
        escalation.reaudit_due_on = add_months(today, 1)
        escalation.save()
        notify(
            users=_heads_of_service() + _service_leads(audit),
            subject=f"Inadequate audit escalated for urgent review: case {audit.case_reference}",
            body=f"QA confirmed the Inadequate grade of the audit of case {audit.case_reference} "
            f"({audit.service_area.code}). Service lead: an update is due to QA by "
            f"{escalation.first_update_due:%-d %B %Y} and a further update by "
            f"{escalation.second_update_due:%-d %B %Y}. The case will be re-audited on "
            f"{escalation.reaudit_due_on:%-d %B %Y}.",
            url=escalation_url(escalation),
            urgent=True,
        )
        notify(
            users=[audit.auditor.user],
            subject=(
                f"QA confirmed your Inadequate grade: case {audit.case_reference}"
                if audit.overall_grade == Grade.INADEQUATE
                else f"Moderation graded your audit Inadequate: case {audit.case_reference}"
            ),
            body=f"The audit is escalated to the head of service and the service lead.{told}",
            url=audit.get_absolute_url(),
        )
        return escalation
    escalation.stage = Escalation.Stage.WITHDRAWN
    escalation.closed_by, escalation.closed_at = _person(actor), now
    escalation.closing_note = f"QA moderated the grade to {_grade_label(new_grade)}: {rationale}"
    escalation.save()
    if new_grade == Grade.REQUIRES_IMPROVEMENT:
        _open_remedial(actor=actor, audit=audit)
    notify(
        users=[audit.auditor.user] + _service_leads(audit),
        subject=f"Grade moderated to {_grade_label(new_grade)}: case {audit.case_reference}",
        body=f"QA reviewed the Inadequate grade of the audit of case {audit.case_reference} and changed it to "
        f"{_grade_label(new_grade)}. {rationale}{told}",
        url=audit.get_absolute_url(),
    )
    return escalation


def available_steps(escalation: Escalation) -> list[str]:
    """The updates the area's service lead may record on the escalation now, the next one due first."""
    if escalation.stage not in OPEN_STAGES:
        return []
    if escalation.kind == Escalation.Kind.REMEDIAL:
        return [Step.REMEDIAL, Step.NOTE]
    if escalation.stage == Escalation.Stage.AWAITING_MODERATION:
        return [Step.NOTE]
    if escalation.first_update_at is None:
        return [Step.FIRST, Step.NOTE]
    if escalation.second_update_at is None:
        return [Step.SECOND, Step.NOTE]
    return [Step.NOTE]


def _step_problem(escalation: Escalation, step: str) -> str | None:
    if step in available_steps(escalation):
        return None
    if escalation.stage not in OPEN_STAGES:
        return ESCALATION_NOT_OPEN
    if step not in Step.values:
        return STEP_REQUIRED
    if (step == Step.REMEDIAL) != (escalation.kind == Escalation.Kind.REMEDIAL):
        return STEP_OF_OTHER_KIND
    if escalation.stage == Escalation.Stage.AWAITING_MODERATION:
        return NOT_ESCALATED_YET
    if step == Step.FIRST:
        return FIRST_ALREADY_RECORDED
    return FIRST_BEFORE_SECOND if escalation.first_update_at is None else SECOND_ALREADY_RECORDED


@transaction.atomic
def escalation_record_update(*, actor, escalation: Escalation, step: str, text: str) -> EscalationUpdate:
    """The service lead's 3-day or one-week update, the remedial actions taken (which close a remedial
    escalation), or a note. QA is told of each."""
    escalation = Escalation.objects.select_for_update().select_related("audit__service_area").get(pk=escalation.pk)
    text = text.strip()
    errors = {}
    problem = _step_problem(escalation, step)
    if problem:
        errors["step"] = problem
    if not text:
        errors["text"] = UPDATE_TEXT_REQUIRED
    if errors:
        raise ValidationError(errors)
    update = EscalationUpdate.objects.create(escalation=escalation, step=step, text=text, recorded_by=actor.person)
    now = timezone.now()
    if step == Step.FIRST:
        escalation.first_update_at = now
    elif step == Step.SECOND:
        escalation.second_update_at = now
    elif step == Step.REMEDIAL:
        escalation.stage, escalation.closing_note = Escalation.Stage.CLOSED, "Remedial actions recorded."
        escalation.closed_by, escalation.closed_at = actor.person, now
    escalation.save()
    audit = escalation.audit
    notify(
        users=_qa_unit(),
        subject=f"{Step(step).label} recorded: case {audit.case_reference}",
        body=f"{actor.person.full_name} recorded on the escalation of case {audit.case_reference} "
        f"({audit.service_area.code}): {text}",
        url=escalation_url(escalation),
    )
    return update


@transaction.atomic
def escalation_close(*, actor, escalation: Escalation, note: str) -> Escalation:
    """QA closes an escalated chain by hand, saying why (no re-audit is allocated after that)."""
    escalation = Escalation.objects.select_for_update().select_related("audit__service_area").get(pk=escalation.pk)
    if escalation.stage != Escalation.Stage.ESCALATED:
        raise ValidationError(CLOSE_ONLY_ESCALATED)
    note = note.strip()
    if not note:
        raise ValidationError({"note": CLOSING_NOTE_REQUIRED})
    escalation.stage, escalation.closing_note = Escalation.Stage.CLOSED, note
    escalation.closed_by, escalation.closed_at = actor.person, timezone.now()
    escalation.save()
    audit = escalation.audit
    notify(
        users=_service_leads(audit) + (_heads_of_service() if escalation.kind == Escalation.Kind.INADEQUATE else []),
        subject=f"Escalation closed by QA: case {audit.case_reference}",
        body=f"QA closed the {escalation.get_kind_display().lower()} escalation of case {audit.case_reference}: {note}",
        url=escalation_url(escalation),
    )
    return escalation


# ---------------------------------------------------------------------------------------
# Exemplars for practice forums.


def exemplar_problem(audit: Audit) -> str | None:
    """Why the audit cannot be marked as an exemplar (None when it can)."""
    if audit.is_exemplar:
        return EXEMPLAR_ALREADY
    if audit.state == Audit.State.DRAFT:
        return EXEMPLAR_NOT_SUBMITTED
    if audit.final_grade not in EXEMPLAR_GRADES:
        return EXEMPLAR_GRADE
    return None


@transaction.atomic
def audit_mark_exemplar(*, actor, audit: Audit, note: str) -> Audit:
    audit = Audit.objects.select_for_update().select_related("auditor__user").get(pk=audit.pk)
    problem = exemplar_problem(audit)
    if problem:
        raise ValidationError(problem)
    note = note.strip()
    if not note:
        raise ValidationError({"note": EXEMPLAR_NOTE_REQUIRED})
    audit.is_exemplar, audit.exemplar_note = True, note
    audit.exemplar_marked_by, audit.exemplar_marked_at = _person(actor), timezone.now()
    audit.revision += 1
    audit.save()
    services.audit_event_record(audit, actor, EXEMPLAR, "", EXEMPLAR_MARKED, note)
    notify(
        users=[audit.auditor.user],
        subject=f"Your audit is an exemplar for practice forums: case {audit.case_reference}",
        body=f"The audit of case {audit.case_reference} was chosen as an example of good practice: {note}",
        url=audit.get_absolute_url(),
    )
    return audit


@transaction.atomic
def audit_unmark_exemplar(*, actor, audit: Audit, reason: str) -> Audit:
    audit = Audit.objects.select_for_update().select_related("auditor__user").get(pk=audit.pk)
    if not audit.is_exemplar:
        raise ValidationError(NOT_AN_EXEMPLAR)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": UNMARK_REASON_REQUIRED})
    audit.is_exemplar, audit.exemplar_note = False, ""
    audit.exemplar_marked_by = audit.exemplar_marked_at = None
    audit.revision += 1
    audit.save()
    services.audit_event_record(audit, actor, EXEMPLAR, EXEMPLAR_MARKED, "", reason)
    notify(
        users=[audit.auditor.user],
        subject=f"Your audit is no longer an exemplar: case {audit.case_reference}",
        body=f"The audit of case {audit.case_reference} is no longer used as an exemplar: {reason}",
        url=audit.get_absolute_url(),
    )
    return audit


def exemplars_for(user) -> QuerySet[Audit]:
    """Exemplar audits the person may see, newest choice first."""
    return (
        visible(user, Audit.objects.filter(is_exemplar=True))
        .exclude(pk__in=sorted(grades_hidden_from(user)))  # an exemplar is Good or better: blind moderation
        .select_related("service_area", "auditor", "exemplar_marked_by")
        .order_by("-exemplar_marked_at", "-pk")
    )


# ---------------------------------------------------------------------------------------
# Reads: the board, one escalation's page. Next deadline and lateness are computed in SQL.

NEVER = date(9999, 12, 31)  # stands in for a step already done when finding the earliest one left

STEP_LABELS = {
    "moderation": "QA moderation of the grade",
    "first": "Update within 3 days",
    "second": "Update after a week",
    "reaudit_allocation": "Re-audit allocated",
    "reaudit_submission": "Re-audit submitted",
    "remedial": "Remedial actions recorded",
}


def with_deadlines(escalations: QuerySet[Escalation], today: date | None = None) -> QuerySet[Escalation]:
    """Each escalation with `next_deadline` (the earliest step not yet done), `next_step` and `is_late`."""
    today = today or timezone.localdate()
    first = Case(When(first_update_at__isnull=True, then=F("first_update_due")), output_field=DateField())
    second = Case(When(second_update_at__isnull=True, then=F("second_update_due")), output_field=DateField())
    reaudit = Case(
        When(reaudit__isnull=True, then=F("reaudit_due_on")),
        When(reaudit__state=Audit.State.DRAFT, then=F("reaudit__due_on")),
        output_field=DateField(),
    )
    # The steps already done are NULL here. PostgreSQL's LEAST skips NULLs but SQLite's MIN returns
    # NULL, so each step stands in as NEVER when done, and NEVER means "no next deadline".
    never = Value(NEVER, output_field=DateField())
    steps = [Coalesce(step, never) for step in (first, second, reaudit, F("remedial_due_on"))]
    escalated = Q(stage=Escalation.Stage.ESCALATED)
    escalations = escalations.annotate(
        next_deadline=Case(When(escalated, then=NullIf(Least(*steps), never)), output_field=DateField())
    )
    return escalations.annotate(
        next_step=Case(
            When(stage=Escalation.Stage.AWAITING_MODERATION, then=Value("moderation")),
            When(next_deadline__isnull=True, then=Value("")),
            When(escalated & Q(kind=Escalation.Kind.REMEDIAL), then=Value("remedial")),
            When(first_update_at__isnull=True, first_update_due=F("next_deadline"), then=Value("first")),
            When(second_update_at__isnull=True, second_update_due=F("next_deadline"), then=Value("second")),
            When(reaudit__isnull=True, then=Value("reaudit_allocation")),
            default=Value("reaudit_submission"),
            output_field=CharField(),
        ),
        is_late=Case(
            When(next_deadline__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )


def escalations_board(user, *, closed: bool = False) -> QuerySet[Escalation]:
    """Open chains (awaiting moderation first, then by next deadline), or closed ones (newest first)."""
    stages = DONE_STAGES if closed else OPEN_STAGES
    # A chain says the grade (Inadequate, Requires Improvement): none for an audit whose grades are hidden.
    escalations = (
        visible(user, Escalation.objects.filter(stage__in=stages))
        .exclude(audit_id__in=sorted(grades_hidden_from(user)))
        .select_related("audit__service_area", "reaudit")
    )
    escalations = with_deadlines(escalations)
    if closed:
        return escalations.order_by("-closed_at", "-pk")
    return escalations.order_by(F("next_deadline").asc(nulls_first=True), "opened_at", "pk")


def escalation_for_page(user, action, pk: int) -> Escalation:
    from quality.access import get_for

    queryset = Escalation.objects.select_related(
        "audit__service_area", "audit__auditor", "confirmed_by", "closed_by", "reaudit"
    ).exclude(audit_id__in=sorted(grades_hidden_from(user)))  # blind moderation, as on the board
    return get_for(user, action, with_deadlines(queryset), pk=pk)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    text: str = ""
    who: str = ""
    url: str = ""


TimelineSource = Callable[[Escalation], Iterable[TimelineEntry]]

# Extension point: entries that apps above audits add to an escalation's timeline. audits never
# imports them (docs/architecture.md, "Dependency direction"), so QA's review of an Inadequate grade,
# a decision moderation records, reaches the page this way: moderation's AppConfig.ready() adds
# moderation.qa_review.review_timeline with timeline_source_add. A source takes the escalation and
# returns its entries; the timeline puts them after "Opened" and sorts everything by time.
TIMELINE_SOURCES: list[TimelineSource] = []


def timeline_source_add(source: TimelineSource) -> None:
    if source not in TIMELINE_SOURCES:  # an AppConfig's ready() may run more than once
        TIMELINE_SOURCES.append(source)


def escalation_timeline(escalation: Escalation) -> list[TimelineEntry]:
    """What happened on the chain, oldest first: opened, QA's decision, updates, re-audit, closed."""
    audit = escalation.audit
    if escalation.kind == Escalation.Kind.INADEQUATE:
        opened = f"The auditor, {audit.auditor.full_name}, graded the audit Inadequate."
    else:
        opened = f"Requires Improvement: remedial actions due by {escalation.remedial_due_on:%-d %B %Y}."
    entries = [TimelineEntry(escalation.opened_at, "Opened", opened)]
    for source in TIMELINE_SOURCES:
        entries.extend(source(escalation))
    for update in escalation.updates.select_related("recorded_by"):
        entries.append(
            TimelineEntry(update.recorded_at, update.get_step_display(), update.text, update.recorded_by.full_name)
        )
    if escalation.reaudit is not None:
        entries.append(
            TimelineEntry(
                escalation.reaudit.created_at,
                "Re-audit allocated",
                f"Due by {escalation.reaudit.due_on:%-d %B %Y}." if escalation.reaudit.due_on else "",
                url=escalation.reaudit.get_absolute_url(),
            )
        )
    if escalation.closed_at is not None:
        entries.append(
            TimelineEntry(
                escalation.closed_at,
                escalation.get_stage_display(),
                escalation.closing_note,
                escalation.closed_by.full_name if escalation.closed_by else "",
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


# ---------------------------------------------------------------------------------------
# The daily job: re-audits that fall due, reminders on the due day, late notices. Each step is
# its own transaction, taken under a row lock or a unique SentReminder key, so a second run (or
# one running at the same moment) changes nothing more.


@dataclass(frozen=True)
class DeadlineRun:
    reaudits: int
    notices: int


def _reaudit_auditor(original: Audit) -> Person | None:
    """The original auditor if still an active practice manager of the area; else the area's active
    practice manager with the fewest drafts; else an active QA officer."""
    area = original.service_area
    if services._holds_role(original.auditor, {Role.PRACTICE_MANAGER}, area):
        return original.auditor
    current = {"memberships__ended_at__isnull": True, "user__is_active": True}
    managers = Person.objects.filter(
        memberships__role=Role.PRACTICE_MANAGER, memberships__service_area=area, **current
    ).annotate(drafts=Count("audits_as_auditor", filter=Q(audits_as_auditor__state=Audit.State.DRAFT), distinct=True))
    manager = managers.order_by("drafts", "full_name", "pk").first()
    if manager is not None:
        return manager
    return Person.objects.filter(memberships__role=Role.QA_OFFICER, **current).order_by("full_name", "pk").first()


def _reaudit_due(today: date) -> date:
    audit_due = cycle_dates(today).audit_due
    return audit_due if audit_due > today else today + timedelta(days=REAUDIT_DAYS_WHEN_LATE_IN_MONTH)


def _create_reaudit(original: Audit, today: date) -> Audit:
    area = original.service_area
    version = (
        ToolVersion.objects.filter(
            state=ToolVersion.State.PUBLISHED, tool__service_area=area, tool__purpose=AuditTool.Purpose.CASE_AUDIT
        )
        .select_related("tool")
        .order_by("-published_at", "-pk")
        .first()
    )
    auditor = _reaudit_auditor(original)
    errors = {}
    if version is None:
        errors["tool_version"] = NO_CASE_AUDIT_TOOL
    if auditor is None:
        errors["auditor"] = NO_REAUDITOR
    if errors:
        raise ValidationError(errors)
    holder = original.case_holder
    if holder is not None and not services._holds_role(holder, {Role.PRACTITIONER}, area):
        holder = None  # moved on: the re-audit is of the case, whoever holds it now
    team = original.team if original.team is not None and original.team.is_active else None
    reaudit = services.audit_create(
        actor=None,
        case_reference=original.case_reference,
        service_area=area,
        auditor=auditor,
        tool_version=version,
        kind=Audit.Kind.RE_AUDIT,
        team=team,
        case_holder=holder,
        theme=original.theme,
        period_end=today,
        due_on=_reaudit_due(today),
    )
    reaudit.case_id, reaudit.reaudit_of = original.case_id, original
    reaudit.save(update_fields=["case", "reaudit_of", "updated_at"])
    return reaudit


def _allocate_reaudit(escalation_id: int, today: date) -> bool:
    with transaction.atomic():
        # The lock makes a concurrent run wait; PostgreSQL then re-checks the conditions on the
        # committed row, so the run that waited finds the re-audit already there and skips it.
        escalation = (
            Escalation.objects.select_for_update()
            .filter(
                pk=escalation_id,
                kind=Escalation.Kind.INADEQUATE,
                stage=Escalation.Stage.ESCALATED,
                reaudit__isnull=True,
                reaudit_due_on__lte=today,
            )
            .first()
        )
        if escalation is None:
            return False
        original = Audit.objects.select_related("service_area", "auditor", "case_holder", "team").get(
            pk=escalation.audit_id
        )
        try:
            with transaction.atomic():
                reaudit = _create_reaudit(original, today)
        except ValidationError as refused:
            fields = sorted(getattr(refused, "error_dict", {"__all__": None}))
            logger.warning("escalation %s: re-audit not allocated (%s)", escalation.pk, ", ".join(fields))
            _notice_once(
                f"escalation:{escalation.pk}:reaudit:refused",
                users=_qa_unit(),
                subject=f"Re-audit could not be allocated: case {original.case_reference}",
                body=f"The re-audit of case {original.case_reference} ({original.service_area.code}) is due but "
                f"could not be allocated: {' '.join(refused.messages)} The portal tries again every day.",
                url=escalation_url(escalation),
                urgent=True,
            )
            return False
        escalation.reaudit = reaudit
        escalation.save(update_fields=["reaudit"])
        notify(
            users=_qa_unit() + _service_leads(original),
            subject=f"Re-audit allocated: case {original.case_reference}",
            body=f"The case {original.case_reference} is re-audited a month after its Inadequate grade was "
            f"escalated. {reaudit.auditor.full_name} has it, due by {reaudit.due_on:%-d %B %Y}.",
            url=reaudit.get_absolute_url(),
        )
        return True


def _notice_once(key: str, **message) -> bool:
    """Send a notice unless one with this key was already sent (by this run, an earlier one or a parallel one)."""
    with transaction.atomic():
        _, created = SentReminder.objects.get_or_create(key=key)
        if created:
            notify(**message)
        return created


def _deadlines(escalation: Escalation) -> list[tuple[str, date | None, bool]]:
    """(step, due date, done) of each step the service lead owes."""
    if escalation.kind == Escalation.Kind.REMEDIAL:
        return [(Step.REMEDIAL, escalation.remedial_due_on, False)]
    return [
        (Step.FIRST, escalation.first_update_due, escalation.first_update_at is not None),
        (Step.SECOND, escalation.second_update_due, escalation.second_update_at is not None),
    ]


def _deadline_notices(today: date) -> int:
    owed = (
        Escalation.objects.filter(stage=Escalation.Stage.ESCALATED)
        .filter(
            Q(kind=Escalation.Kind.INADEQUATE, first_update_at__isnull=True, first_update_due__lte=today)
            | Q(kind=Escalation.Kind.INADEQUATE, second_update_at__isnull=True, second_update_due__lte=today)
            | Q(kind=Escalation.Kind.REMEDIAL, remedial_due_on__lte=today)
        )
        .select_related("audit__service_area")
        .order_by("pk")
    )
    sent = 0
    for escalation in owed:
        audit = escalation.audit
        for step, due, done in _deadlines(escalation):
            if done or due is None or due > today:
                continue
            what = Step(step).label.lower()
            if due == today:
                sent += _notice_once(
                    f"escalation:{escalation.pk}:{step}:{due.isoformat()}:due",
                    users=_service_leads(audit),
                    subject=f"Due today: {what}, case {audit.case_reference}",
                    body=f"The {what} on the escalation of case {audit.case_reference} is due today.",
                    url=escalation_url(escalation),
                )
            else:
                sent += _notice_once(
                    f"escalation:{escalation.pk}:{step}:{due.isoformat()}:late",
                    users=_service_leads(audit) + _qa_unit(),
                    subject=f"Late: {what}, case {audit.case_reference}",
                    body=f"The {what} on the escalation of case {audit.case_reference} "
                    f"({audit.service_area.code}) was due on {due:%-d %B %Y} and has not been recorded.",
                    url=escalation_url(escalation),
                    urgent=True,
                )
    return sent


def escalation_deadlines_run(*, today: date | None = None) -> DeadlineRun:
    """Allocate every re-audit that has fallen due, then send the due-day reminders and late notices."""
    today = today or timezone.localdate()
    due = (
        Escalation.objects.filter(
            kind=Escalation.Kind.INADEQUATE,
            stage=Escalation.Stage.ESCALATED,
            reaudit__isnull=True,
            reaudit_due_on__lte=today,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    reaudits = sum(_allocate_reaudit(pk, today) for pk in list(due))
    return DeadlineRun(reaudits=reaudits, notices=_deadline_notices(today))
