"""The rules that flag sources of evidence disagreeing (docs/evaluation.md).

A rule is one of a fixed set of kinds (what it compares and the sentence it says is in code:
quality/evaluation/rules.py); the QA lead adjusts its threshold numbers and turns it on or off.
The defaults are added by rules.ensure_default_rules(), not by a data migration."""

from django.db import models


class TriangulationRule(models.Model):
    class Kind(models.TextChoices):
        GOOD_GRADES_RED_KPI = "good_grades_red_kpi", "Good audit grades beside a red KPI"
        GOOD_GRADES_UPHELD_COMPLAINTS = "good_grades_upheld", "Good audit grades beside upheld complaints"
        MODERATION_LOWERED = "moderation_lowered", "Moderation lowering grades"
        OBSERVATIONS_OVERDUE = "observations_overdue", "Practitioners overdue an observation"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    threshold_pct = models.PositiveSmallIntegerField("percentage", null=True, blank=True)
    threshold_count = models.PositiveSmallIntegerField("number", null=True, blank=True)
    is_active = models.BooleanField("on", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True  # thresholds over figures, nothing about a child or an area

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint("kind", name="triangulation_rule_one_per_kind"),
            models.CheckConstraint(
                condition=models.Q(threshold_pct__isnull=True) | models.Q(threshold_pct__lte=100),
                name="triangulation_rule_pct_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
