"""Audit tools (the forms audits are answered on) and their versions.

A tool's published version never changes: editing makes a new draft version, so an audit
always shows exactly the questions it was answered on.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from quality.org.models import Role, ServiceArea


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


def six_months_before(day):
    from dateutil.relativedelta import relativedelta

    return day - relativedelta(months=6)


class Audit(models.Model):
    """One audit of one child's case file, answered on one tool version."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly case audit"
        THEMED = "themed", "Themed audit"
        PARTNERSHIP = "partnership", "Partnership audit"
        QA_THEMATIC = "qa_thematic", "QA thematic audit"
        REVIEW = "review", "Ungraded case review"
        RE_AUDIT = "re_audit", "Re-audit"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted, awaiting oversight"
        DISPUTED = "disputed", "Grade disputed"
        OVERSEEN = "overseen", "Oversight recorded"
        CLOSED = "closed", "Closed (on the child's record)"

    case_reference = models.CharField(
        max_length=32, help_text="The case number from the case-management system. Never a name."
    )
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="audits")
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="audits")
    case_holder = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="audits_as_case_holder"
    )
    auditor = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="audits_as_auditor")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MONTHLY)
    theme = models.CharField(max_length=120, blank=True)
    period_start = models.DateField("casework from")
    period_end = models.DateField("casework to")
    tool_version = models.ForeignKey(ToolVersion, on_delete=models.PROTECT, related_name="audits")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)

    overall_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    discussion_held = models.BooleanField("discussion held with the practitioner", null=True)
    discussion_on = models.DateField("date of the discussion", null=True, blank=True)
    child_contacted = models.BooleanField(null=True)
    family_contacted = models.BooleanField(null=True)
    child_family_views = models.TextField("what the child and family said", blank=True)
    strengths = models.TextField(blank=True)
    areas_for_improvement = models.TextField(blank=True)
    safeguarding_concern = models.BooleanField("immediate safeguarding concern", default=False)
    safeguarding_details = models.TextField(blank=True)
    safeguarding_raised_at = models.DateTimeField(null=True, blank=True)

    due_on = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    oversight_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="audits_overseen"
    )
    oversight_at = models.DateTimeField(null=True, blank=True)
    oversight_comment = models.TextField(blank=True)
    on_record_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on_record_at = models.DateTimeField("added to the child's record", null=True, blank=True)

    # Bumped on every save: a save based on an older revision is refused as a conflict.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_AREA_FIELD = "service_area"
    # In their areas, practice managers, service leads and moderators see every audit; anyone else
    # (a practitioner, a partner auditor) sees only the audits naming them.
    ACCESS_AREA_ROLES = frozenset({Role.PRACTICE_MANAGER, Role.SERVICE_LEAD, Role.MODERATOR})
    ACCESS_PERSON_FIELDS = ("auditor", "case_holder")
    # People invited to a partnership audit (AuditParticipant) see it too, wherever it is.
    ACCESS_PARTICIPANTS = "participants__person"

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["service_area", "state"], name="audit_area_state"),
            models.Index(fields=["case_reference"], name="audit_case_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")), name="audit_period"),
        ]

    def __str__(self) -> str:
        return f"Audit {self.pk} of case {self.case_reference}"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit_detail", args=[self.pk])

    @property
    def is_graded(self) -> bool:
        return self.kind != self.Kind.REVIEW

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT


class Answer(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint("audit", "question", name="answer_one_per_question")]

    def __str__(self) -> str:
        return f"Answer to {self.question.key}"


class AreaGrade(models.Model):
    """The grade an audit gives one of the seven areas, kept beside the answers for reports."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="area_grades")
    area = models.CharField(max_length=32, choices=AnalysisArea.choices)
    grade = models.CharField(max_length=24, choices=Grade.choices)

    class Meta:
        constraints = [models.UniqueConstraint("audit", "area", name="area_grade_one_per_area")]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.get_grade_display()}"


class LearningAction(models.Model):
    """A recommended action from an audit, with an owner and a due date."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        NOT_NEEDED = "not_needed", "No longer needed"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="learning_actions")
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(blank=True, help_text="Evidence it was done, or why it is no longer needed.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_AREA_FIELD = "audit__service_area"
    ACCESS_AREA_ROLES = frozenset({Role.PRACTICE_MANAGER, Role.SERVICE_LEAD})
    ACCESS_PERSON_FIELDS = ("owner",)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.description[:80]

    def get_absolute_url(self) -> str:
        return reverse("audits:action_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AuditEvent(models.Model):
    """One change to an audit's state or grades: who, when, old and new value, why. Never edited."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=64, help_text="'state', 'overall_grade' or an area's grade.")
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"{self.what}: {self.old_value or '–'} → {self.new_value or '–'}"

    @property
    def what_label(self) -> str:
        if self.what.startswith("grade:"):
            return f"Grade for {AnalysisArea(self.what.removeprefix('grade:')).label.lower()}"
        return {
            "state": "State",
            "overall_grade": "Overall grade",
            "safeguarding_concern": "Safeguarding concern",
            "participant": "Invited contributor",
        }.get(self.what, self.what)

    def _label(self, value: str) -> str:
        labels = dict(Audit.State.choices) if self.what == "state" else {**dict(Grade.choices), "raised": "Raised"}
        return labels.get(value, value)

    @property
    def old_label(self) -> str:
        return self._label(self.old_value)

    @property
    def new_label(self) -> str:
        return self._label(self.new_value)


class AuditParticipant(models.Model):
    """Someone invited to work on a partnership audit beside its auditor: a partner agency's auditor
    or another internal contributor. They see the audit and may answer it while it is a draft;
    only the auditor submits it."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="audit_participations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [models.UniqueConstraint("audit", "person", name="audit_participant_unique")]

    def __str__(self) -> str:
        return f"{self.person} on audit {self.audit_id}"


class Dispute(models.Model):
    """A service lead's challenge to an audit's grade, and how the QA unit resolved it."""

    class Outcome(models.TextChoices):
        KEPT = "kept", "Grade kept"
        CHANGED = "changed", "Grade changed"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    proposed_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    reason = models.TextField()
    resolved_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    original_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    resolved_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint("audit", condition=models.Q(resolved_at__isnull=True), name="dispute_one_open")
        ]

    def __str__(self) -> str:
        return f"Dispute on audit {self.audit_id}"


class AuditDocument(models.Model):
    """A PDF of one audit for the child's record, built by a worker (never inside a web request).

    The file lives under MEDIA_ROOT but is never served by URL: a view checks that the person
    may see the audit, then streams it. Whoever may see the audit may see its documents, so the
    access rules reach a document only through its audit (it has no ACCESS_* of its own).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="documents")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file = models.FileField(upload_to="audit-documents/", blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, help_text="Of the PDF file, to check a copy.")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        get_latest_by = "requested_at"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="ready") | (~models.Q(file="") & models.Q(generated_at__isnull=False)),
                name="audit_document_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"PDF of audit {self.audit_id} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit_document", args=[self.audit_id, self.pk])

    @property
    def download_name(self) -> str:
        return f"audit-{self.audit_id}-case-{self.audit.case_reference}.pdf"
