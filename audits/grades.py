"""The audit's moderated grade: the one way it is written, with its history event.

Moderation decides it (moderation.decisions records the decision, then calls moderated_grade_set;
the history import builds the same events with moderated_grade_event and saves them in bulk); the
escalation chain sets it when a moderation decision moves the chain on. The auditor's own grade is
never overwritten: Audit.final_grade reads the moderated grade where there is one.
"""

from __future__ import annotations

from django.db import transaction

from .models import Audit, AuditEvent
from .services import audit_event

MODERATED_GRADE = "moderated_grade"  # AuditEvent.what for the moderated grade


def moderated_grade_event(*, actor, audit: Audit, grade: str, reason: str) -> AuditEvent:
    """The history event of the audit's moderated grade becoming `grade`, unsaved, for bulk writers."""
    return audit_event(audit, actor, MODERATED_GRADE, audit.moderated_grade, grade, reason)


@transaction.atomic
def moderated_grade_set(*, actor, audit: Audit, grade: str, reason: str, even_if_unchanged: bool = False) -> bool:
    """Give the audit its moderated grade, with a history event saying who and why; nothing is written
    when the grade is already that one, unless `even_if_unchanged` (a panel's first decision on an
    audit is history even when it agrees with the grade before). The caller holds the audit's row
    lock. Returns whether anything was written."""
    if audit.moderated_grade == grade and not even_if_unchanged:
        return False
    moderated_grade_event(actor=actor, audit=audit, grade=grade, reason=reason).save()
    audit.moderated_grade = grade
    audit.revision += 1
    audit.save(update_fields=["moderated_grade", "revision", "updated_at"])
    return True
