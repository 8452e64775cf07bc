"""A moderation decision: the one way one is made, with the audit's moderated grade that follows.

Every decision comes through here: QA's review of an Inadequate grade (moderation.qa_review), a
panel's (moderation.panels) and the audit history's (moderation.history_import, which builds its
decisions with moderation_decision_build and saves them in bulk). The audit's moderated grade and
its history event are audits' to write (audits.grades); a decision is never edited afterwards.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from audits.grades import moderated_grade_set
from audits.models import Audit

from .models import ModerationDecision, Panel


def moderation_decision_build(
    *,
    audit: Audit,
    source: str,
    moderated_grade: str,
    decided_on: date,
    rationale: str,
    recorded_by,
    original_grade: str | None = None,
    decided_by=None,
    feedback: str = "",
    panel: Panel | None = None,
    supersedes: ModerationDecision | None = None,
) -> ModerationDecision:
    """The decision, unsaved. `original_grade` is the auditor's grade it moderates (the audit's own
    overall grade unless given: an import gives the file's)."""
    return ModerationDecision(
        audit=audit,
        source=source,
        panel=panel,
        supersedes=supersedes,
        original_grade=audit.overall_grade if original_grade is None else original_grade,
        moderated_grade=moderated_grade,
        decided_on=decided_on,
        decided_by=decided_by,
        rationale=rationale,
        feedback=feedback,
        recorded_by=recorded_by,
    )


@transaction.atomic
def moderation_decision_record(
    *,
    actor,
    audit: Audit,
    source: str,
    moderated_grade: str,
    decided_on: date,
    rationale: str,
    feedback: str = "",
    panel: Panel | None = None,
    supersedes: ModerationDecision | None = None,
    even_if_unchanged: bool = False,
) -> ModerationDecision:
    """Record the decision `actor` made (or recorded) on the audit, and give the audit its moderated
    grade with a history event (see audits.grades.moderated_grade_set for `even_if_unchanged`).
    The caller has checked the decision and holds the audit's row lock."""
    decision = moderation_decision_build(
        audit=audit,
        source=source,
        moderated_grade=moderated_grade,
        decided_on=decided_on,
        rationale=rationale,
        feedback=feedback,
        panel=panel,
        supersedes=supersedes,
        decided_by=getattr(actor, "person", None) if actor is not None else None,
        recorded_by=actor,
    )
    decision.save()
    moderated_grade_set(
        actor=actor, audit=audit, grade=moderated_grade, reason=rationale, even_if_unchanged=even_if_unchanged
    )
    return decision
