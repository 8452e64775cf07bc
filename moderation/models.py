"""Moderation: a second look at an audit's grade by QA or a panel. The auditor's grade is never
overwritten; a decision records both grades, and the audit carries the moderated one as its
final grade (Audit.moderated_grade)."""

from django.conf import settings
from django.db import models

from audits.models import Audit, Grade
from quality.org.models import Role


class ModerationDecision(models.Model):
    class Source(models.TextChoices):
        PANEL = "panel", "Moderation panel"
        QA_REVIEW = "qa_review", "QA review of an Inadequate grade"
        IMPORTED = "imported", "Imported from the audit history"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="moderations")
    source = models.CharField(max_length=12, choices=Source.choices)
    original_grade = models.CharField(
        max_length=24, choices=Grade.choices, blank=True, help_text="The auditor's grade when it was moderated."
    )
    moderated_grade = models.CharField(max_length=24, choices=Grade.choices)
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="moderation_decisions"
    )
    rationale = models.TextField(blank=True)
    feedback = models.TextField("feedback to the auditor", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    ACCESS_AREA_FIELD = "audit__service_area"
    ACCESS_AREA_ROLES = frozenset({Role.SERVICE_LEAD, Role.MODERATOR})

    class Meta:
        ordering = ["-decided_on", "-pk"]
        indexes = [models.Index(fields=["decided_on"], name="moderation_decided_on")]

    def __str__(self) -> str:
        return f"Moderation of audit {self.audit_id} on {self.decided_on}"
