"""QA's review of an Inadequate grade: the first moderation decision on an Inadequate audit.

Submitting an audit graded Inadequate opens its escalation awaiting QA moderation
(audits.cycle.escalations). QA confirms the grade (the chain is escalated) or changes it (the chain is
withdrawn). Either way the review is recorded as a ModerationDecision (source QA review) with the
audit's moderated grade (moderation.decisions), and audits.cycle.escalations.escalation_after_moderation
moves the chain on. The escalation's page shows the review on its timeline (review_timeline,
added to audits.cycle.escalations.TIMELINE_SOURCES by moderation's AppConfig.ready()).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.cycle.escalations import TimelineEntry, escalation_after_moderation
from audits.models import Audit, Escalation, Grade

from .decisions import moderation_decision_record
from .models import ModerationDecision

# Messages people see when their input is refused. Tests assert on these.
NOT_AWAITING_MODERATION = "This escalation is not awaiting QA moderation."
DECISION_REQUIRED = "Choose whether to confirm the Inadequate grade or change it."
RATIONALE_REQUIRED = "Give the rationale for your decision: the auditor and the service lead read it."
NEW_GRADE_REQUIRED = "Choose the grade the audit should have. To keep Inadequate, confirm the grade instead."


class Decision:
    """QA's review of an Inadequate grade."""

    CONFIRM = "confirm"
    CHANGE = "change"
    CHOICES = [(CONFIRM, "Confirm the Inadequate grade and escalate"), (CHANGE, "Change the grade")]


@transaction.atomic
def escalation_review(
    *, actor, escalation: Escalation, decision: str, rationale: str, grade: str = "", feedback: str = ""
) -> Escalation:
    """QA moderates an Inadequate grade: confirm it (escalate) or change it (withdraw). Either way a
    ModerationDecision records both grades, and the audit carries the moderated one."""
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.kind != Escalation.Kind.INADEQUATE or escalation.stage != Escalation.Stage.AWAITING_MODERATION:
        raise ValidationError(NOT_AWAITING_MODERATION)
    rationale, feedback = rationale.strip(), feedback.strip()
    errors = {}
    if decision not in (Decision.CONFIRM, Decision.CHANGE):
        errors["decision"] = DECISION_REQUIRED
    if not rationale:
        errors["rationale"] = RATIONALE_REQUIRED
    if decision == Decision.CHANGE and (grade not in Grade.values or grade == Grade.INADEQUATE):
        errors["grade"] = NEW_GRADE_REQUIRED
    if errors:
        raise ValidationError(errors)
    audits = Audit.objects.select_for_update().select_related("service_area", "auditor__user")
    audit = audits.get(pk=escalation.audit_id)
    new_grade = Grade.INADEQUATE if decision == Decision.CONFIRM else grade
    moderation_decision_record(
        actor=actor,
        audit=audit,
        source=ModerationDecision.Source.QA_REVIEW,
        moderated_grade=new_grade,
        decided_on=timezone.localdate(),
        rationale=rationale,
        feedback=feedback,
    )
    return escalation_after_moderation(
        actor=actor, audit=audit, moderated_grade=new_grade, rationale=rationale, feedback=feedback
    )


def review_timeline(escalation: Escalation) -> list[TimelineEntry]:
    """QA's reviews of an Inadequate chain, for its timeline (audits.cycle.escalations.TIMELINE_SOURCES)."""
    if escalation.kind != Escalation.Kind.INADEQUATE:
        return []
    decisions = ModerationDecision.objects.filter(
        audit_id=escalation.audit_id,
        source=ModerationDecision.Source.QA_REVIEW,
        created_at__gte=escalation.opened_at,
    ).select_related("decided_by")
    return [_timeline_entry(decision) for decision in decisions]


def _timeline_entry(decision: ModerationDecision) -> TimelineEntry:
    kept = decision.moderated_grade == Grade.INADEQUATE
    title = "QA confirmed the Inadequate grade" if kept else "QA changed the grade"
    change = "" if kept else f"Moderated to {Grade(decision.moderated_grade).label}. "
    feedback = f" Feedback to the auditor: {decision.feedback}" if decision.feedback else ""
    return TimelineEntry(
        decision.created_at,
        title,
        f"{change}{decision.rationale}{feedback}",
        decision.decided_by.full_name if decision.decided_by else "",
    )
