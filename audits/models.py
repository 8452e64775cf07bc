"""Audit tools (the forms audits are answered on) and their versions.

A tool's published version never changes: editing makes a new draft version, so an audit
always shows exactly the questions it was answered on.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from quality.org.models import ServiceArea


class Grade(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires Improvement"
    INADEQUATE = "inadequate", "Inadequate"


class AnalysisArea(models.TextChoices):
    """The seven areas of analysis audits are graded and analysed under."""

    NARRATIVE = "narrative", "Narrative / history"
    ASSESSMENT = "assessment", "Assessment and analysis"
    PLANNING = "planning", "Planning"
    RELATIONSHIP = "relationship", "Relationship"
    OUTCOMES = "outcomes", "Outcomes"
    SUPERVISION = "supervision", "Supervision"
    MANAGEMENT_OVERSIGHT = "management_oversight", "Management oversight"


class AuditTool(models.Model):
    class Purpose(models.TextChoices):
        CASE_AUDIT = "case_audit", "Monthly case audit"
        THEMED = "themed", "Themed audit"
        PARTNERSHIP = "partnership", "Partnership (multi-agency) audit"
        QA_THEMATIC = "qa_thematic", "QA thematic audit"
        REVIEW = "review", "Ungraded case review"

    name = models.CharField(max_length=150)
    service_area = models.ForeignKey(
        ServiceArea,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_tools",
        help_text="Leave empty for a shared tool (themed or partnership audits).",
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.CASE_AUDIT)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True  # a blank form: no child's data, every internal role may read it

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("name", name="audit_tool_name_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("audits:tool_detail", args=[self.pk])

    @property
    def is_shared(self) -> bool:
        return self.service_area_id is None


class ToolVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    tool = models.ForeignKey(AuditTool, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    notes = models.TextField(blank=True, help_text="What changed in this version.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["tool__name", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint("tool", "number", name="tool_version_number_unique"),
            models.UniqueConstraint("tool", condition=models.Q(state="draft"), name="tool_version_one_draft"),
            models.UniqueConstraint("tool", condition=models.Q(state="published"), name="tool_version_one_published"),
        ]

    def __str__(self) -> str:
        return f"{self.tool.name}, version {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("audits:version_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT


class Section(models.Model):
    version = models.ForeignKey(ToolVersion, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    analysis_area = models.CharField(
        max_length=32,
        choices=AnalysisArea.choices,
        blank=True,
        help_text="The area of analysis this section's grade counts towards, if any.",
    )
    help_text = models.TextField(blank=True)
    order = models.PositiveIntegerField()

    ACCESS_SHARED = True

    class Meta:
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint("version", "order", name="section_order_unique")]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Type(models.TextChoices):
        GRADE = "grade", "Grade (Outstanding to Inadequate)"
        YES_NO = "yes_no", "Yes / no / partly / N/A"
        SINGLE_CHOICE = "single_choice", "One of a list"
        MULTIPLE_CHOICE = "multiple_choice", "Any of a list"
        SHORT_TEXT = "short_text", "Short text"
        NARRATIVE = "narrative", "Narrative"
        DATE = "date", "Date"
        NUMBER = "number", "Number"

    CHOICE_TYPES = frozenset({Type.SINGLE_CHOICE, Type.MULTIPLE_CHOICE})

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        max_length=60, help_text="A stable name for the question across versions, for reports and exports."
    )
    text = models.TextField()
    type = models.CharField(max_length=20, choices=Type.choices)
    required = models.BooleanField(default=False)
    allow_not_applicable = models.BooleanField(
        "N/A allowed", default=False, help_text="For grade questions: offer 'not applicable'."
    )
    choices = models.JSONField(default=list, blank=True, help_text="For choice questions: the options.")
    help_text = models.TextField(blank=True)
    order = models.PositiveIntegerField()

    ACCESS_SHARED = True

    class Meta:
        ordering = ["section__order", "order"]
        constraints = [models.UniqueConstraint("section", "order", name="question_order_unique")]

    def __str__(self) -> str:
        return self.text[:80]
