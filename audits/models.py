"""Audit tools (the forms audits are answered on) and their versions.

A tool's published version never changes: editing makes a new draft version, so an audit
always shows exactly the questions it was answered on.
"""

from datetime import date
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.urls import reverse

from quality import append_only
from quality.built_files import BuiltFile
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
        # The one tool of audits imported from the QA spreadsheet (moderation/history_import.py): it has
        # no questions, and no audit is ever started on it.
        IMPORTED = "imported", "Imported audit history"
        # The framework's other sources of evidence (evidence/): forms built with the same tool builder.
        OBSERVATION = "observation", "Observation of practice"
        SURVEY = "survey", "Survey of children, young people or families"

    # Tools no audit is ever started on: the imported history's, and the forms of the other sources of
    # evidence (an observation is recorded on its tool's form, a survey answered on its own).
    NOT_FOR_AUDITS = (Purpose.IMPORTED, Purpose.OBSERVATION, Purpose.SURVEY)

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


# ---------------------------------------------------------------------------------------
# The figures' vocabulary: what "completed in a period", "graded", "the final grade" and "Good or
# better" mean, defined once here. Every figure counts with these words (the analysis reports, the
# scorecard's quality section, exemplars, the cross-check in tests/): each is a condition (a Q) for
# filters and conditional aggregates, `Count("pk", filter=graded())`, with a `prefix` ("audit__")
# for the audit of a related row, and AuditQuerySet gives the same words as filters.

GOOD_OR_BETTER = (Grade.OUTSTANDING, Grade.GOOD)


def submitted(prefix: str = "") -> Q:
    """No longer a draft. (Named states rather than "not a draft", so a row without an audit is not one.)"""
    return Q(**{f"{prefix}state__in": [state for state in Audit.State.values if state != Audit.State.DRAFT]})


class CouncilDay(TruncDate):
    """The day a moment fell on in London, in a form a stored column can hold (a fixed zone: the
    column must not change meaning with a setting)."""

    def __init__(self, expression, **extra):
        super().__init__(expression, tzinfo=ZoneInfo("Europe/London"), **extra)


def completed_in(start: date, end: date, prefix: str = "") -> Q:
    """Completed from `start` to `end` (both days included), and no longer a draft.

    The day is `Audit.completed_day` (see there), stored and indexed so that a period's audits are
    an index range, not a scan of every audit."""
    return submitted(prefix) & Q(**{f"{prefix}completed_day__gte": start, f"{prefix}completed_day__lte": end})


def views_recorded(prefix: str = "") -> Q:
    """Audits that record what the child or family said (Audit.views_recorded)."""
    return Q(**{f"{prefix}views_recorded": True})


def completion_day() -> F:
    """The day an audit was completed, by completed_in()'s rule: to group by month or order by."""
    return F("completed_day")


def graded(prefix: str = "") -> Q:
    """Graded: not an ungraded case review, and the auditor gave an overall grade. The rest are ungraded."""
    return ~Q(**{f"{prefix}kind": Audit.Kind.REVIEW}) & ~Q(**{f"{prefix}overall_grade": ""})


def ungraded(prefix: str = "") -> Q:
    return ~graded(prefix)


def auditor_grade_is(*grades: str, prefix: str = "") -> Q:
    """Graded, and the auditor's grade (before moderation) is one of `grades`."""
    return graded(prefix) & Q(**{f"{prefix}overall_grade__in": grades})


def final_grade() -> Coalesce:
    """The grade the service stands by: the moderated grade where moderation gave one, else the
    auditor's grade (`overall_grade`, which resolving a dispute with a new grade has already changed).
    `Audit.final_grade` is the same rule in Python, final_grade_is() as a condition."""
    return Coalesce(NullIf("moderated_grade", Value("")), "overall_grade")


def final_grade_is(*grades: str, prefix: str = "") -> Q:
    """Graded, and the final grade (final_grade()) is one of `grades`."""
    moderated_to = Q(**{f"{prefix}moderated_grade__in": grades})
    kept = Q(**{f"{prefix}moderated_grade": "", f"{prefix}overall_grade__in": grades})
    return graded(prefix) & (moderated_to | kept)


def moderated(prefix: str = "") -> Q:
    """Graded, and moderation gave a grade (the same or another)."""
    return graded(prefix) & ~Q(**{f"{prefix}moderated_grade": ""})


def moderation_lowered(prefix: str = "") -> Q:
    """Moderated (moderated()) to a worse grade than the auditor's (Grade lists the best first)."""
    grades = list(Grade.values)
    lowered = [
        Q(**{f"{prefix}overall_grade": grade, f"{prefix}moderated_grade__in": grades[index + 1 :]})
        for index, grade in enumerate(grades[:-1])
    ]
    return moderated(prefix) & reduce(or_, lowered)


class AuditQuerySet(models.QuerySet):
    """Audits, filtered with the figures' vocabulary above."""

    def completed_in(self, start: date, end: date) -> "AuditQuerySet":
        return self.filter(completed_in(start, end))

    def with_final_grade(self) -> "AuditQuerySet":
        """Each audit with `final_grade` from the database, to filter, order or read in values()."""
        return self.annotate(final_grade=final_grade())

    def graded(self) -> "AuditQuerySet":
        return self.filter(graded())

    def ungraded(self) -> "AuditQuerySet":
        return self.filter(ungraded())

    def good_or_better(self) -> "AuditQuerySet":
        """Graded, with a final grade of Outstanding or Good."""
        return self.filter(final_grade_is(*GOOD_OR_BETTER))


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
    # Every index on audits slows each write (the history import writes thousands a second): the area
    # and the team lead composite indexes below, so they carry no index of their own; nothing looks
    # audits up by who oversaw them, put them on the record or marked them an exemplar (people are
    # deactivated, never deleted), so those references have none either; the case holder, the case and
    # the audit re-audited are indexed only where they are set (Meta.indexes).
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="audits", db_index=False)
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="audits", db_index=False
    )
    case_holder = models.ForeignKey(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audits_as_case_holder",
        db_index=False,  # audit_case_holder: only the audits that have one
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
    # Whether the audit records what the child or family said, computed by the database so that the
    # figure months keep it (views_recorded()): a report counts it without reading the audits' text.
    views_recorded = models.GeneratedField(
        expression=ExpressionWrapper(~Q(child_family_views=""), output_field=models.BooleanField()),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    strengths = models.TextField(blank=True)
    areas_for_improvement = models.TextField(blank=True)
    safeguarding_concern = models.BooleanField("immediate safeguarding concern", default=False)
    safeguarding_details = models.TextField(blank=True)
    safeguarding_raised_at = models.DateTimeField(null=True, blank=True)

    due_on = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    oversight_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="audits_overseen", db_index=False
    )
    oversight_at = models.DateTimeField(null=True, blank=True)
    oversight_comment = models.TextField(blank=True)
    on_record_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    on_record_at = models.DateTimeField("added to the child's record", null=True, blank=True)

    # The monthly cycle's other deadlines (audits.cycle.dates.cycle_dates): oversight by the 5th and on
    # the child's record by the 6th of the month after the audit was due.
    oversight_due_on = models.DateField(null=True, blank=True)
    record_due_on = models.DateField(null=True, blank=True)
    case = models.ForeignKey(
        "audits.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audits",
        help_text="The case-list entry audited, when the audit was allocated from the case list.",
        db_index=False,  # audit_case: only the audits that have one
    )
    reaudit_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reaudits",
        help_text="The Inadequate audit this re-audit follows up.",
        db_index=False,  # audit_reaudit_of: only the re-audits
    )
    # Set by moderation (moderation.ModerationDecision): the grade the service stands by. The
    # auditor's overall_grade is never overwritten; pages say which of the two they show.
    moderated_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    is_exemplar = models.BooleanField("exemplar for practice forums", default=False)
    exemplar_note = models.TextField(blank=True)
    exemplar_marked_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    exemplar_marked_at = models.DateTimeField(null=True, blank=True)
    # Audits brought in from the QA spreadsheet by `import_audits`: their reference in that file
    # (re-importing it updates the same audit), and the day the file says they were completed.
    import_reference = models.CharField(max_length=64, null=True, blank=True)  # unique: Meta.constraints
    completed_on = models.DateField(null=True, blank=True)
    # The day the audit counts as completed in every figure, computed by the database from the two
    # above: an audit imported from the QA spreadsheet on its `completed_on`, whatever its
    # `submitted_at` says (the council's published figures were counted by those dates and the
    # reports reproduce them); any other audit on the day it was submitted, in London. Stored, so
    # an index serves completed_in(); re-read it from the database after a save.
    completed_day = models.GeneratedField(
        expression=Coalesce("completed_on", CouncilDay("submitted_at"), output_field=models.DateField()),
        output_field=models.DateField(),
        db_persist=True,
    )
    # What the lists sort and filter by, computed by the database like `completed_day` and indexed
    # (audits.selectors._listed), so a page of a list is an index range, not a sort of every audit:
    # `listed_at`, when the audit was submitted or (a draft) started; `counted_on`, the month filters'
    # day: the completion day, or for a draft the London day it was started.
    listed_at = models.GeneratedField(
        expression=Coalesce("submitted_at", "created_at", output_field=models.DateTimeField()),
        output_field=models.DateTimeField(),
        db_persist=True,
    )
    counted_on = models.GeneratedField(
        expression=Coalesce(
            "completed_on", CouncilDay("submitted_at"), CouncilDay("created_at"), output_field=models.DateField()
        ),
        output_field=models.DateField(),
        db_persist=True,
    )

    # Bumped on every save: a save based on an older revision is refused as a conflict.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditQuerySet.as_manager()

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
            models.Index(fields=["case_reference"], name="audit_case_reference"),
            models.Index(fields=["completed_day", "service_area"], name="audit_completed_area"),
            # The latest audits of an area in a period (a report's exemplars and highlight candidates).
            models.Index(fields=["service_area", "-completed_day"], name="audit_area_latest"),
            models.Index(
                fields=["service_area", "-completed_day"], name="audit_area_exemplars", condition=Q(is_exemplar=True)
            ),
            # The lists (audits.selectors): the default order (Meta.ordering) alone and after each filter
            # that picks a few values, so a filtered page is still a LIMIT over an index range in order.
            # Each index costs every write (the history import's thousands a second included), so a
            # filter most audits pass has none: a grade's page (each grade is a tenth of audits or more)
            # is the newest audits walked in audit_created's order until the page is full. A kind keeps
            # one (partnership and thematic audits are a few in a hundred, too few to walk to inside an
            # area's list), and so does a state (imported audits are all closed and the newest: an open
            # state's page would walk past every one). A team's is only where there is one.
            models.Index(fields=["-created_at", "-id"], name="audit_created"),
            models.Index(fields=["service_area", "-created_at", "-id"], name="audit_area_created"),
            models.Index(fields=["kind", "-created_at", "-id"], name="audit_kind_created"),
            models.Index(
                fields=["team", "-created_at", "-id"], name="audit_team_created", condition=Q(team__isnull=False)
            ),
            models.Index(fields=["state", "-created_at", "-id"], name="audit_state_created"),
            models.Index(fields=["counted_on", "service_area"], name="audit_counted_area"),
            # References most audits leave empty (an imported audit, all three), indexed where they are set:
            # looking audits up by one (a person's, a case's, an audit's re-audits) implies it is.
            models.Index(fields=["case_holder"], name="audit_case_holder", condition=Q(case_holder__isnull=False)),
            models.Index(fields=["case"], name="audit_case", condition=Q(case__isnull=False)),
            models.Index(fields=["reaudit_of"], name="audit_reaudit_of", condition=Q(reaudit_of__isnull=False)),
            # The voices of children and families: submitted audits with views, newest first.
            models.Index(
                fields=["-listed_at", "-id"],
                condition=~Q(child_family_views="") & ~Q(state="draft"),
                name="audit_voices_listed",
            ),
            # The open states the overdue lists page through (audits.cycle.deadlines.overdue_audits):
            # each deadline's date while the audit waits in its state, in the lists' order, and an
            # auditor's drafts. (How many are overdue is kept in DeadlineDayCount.)
            models.Index(
                fields=["due_on", "service_area", "case_reference", "id"],
                name="audit_draft_due",
                condition=Q(state="draft"),
            ),
            models.Index(fields=["auditor", "due_on"], name="audit_auditor_draft_due", condition=Q(state="draft")),
            models.Index(
                fields=["oversight_due_on", "service_area", "case_reference", "id"],
                name="audit_oversight_due",
                condition=Q(state="submitted"),
            ),
            models.Index(
                fields=["record_due_on", "service_area", "case_reference", "id"],
                name="audit_record_due",
                condition=Q(state="overseen"),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")), name="audit_period"),
            # A constraint, not unique=True: that would also make PostgreSQL keep a second index for
            # LIKE 'prefix%' searches nothing runs, a cost to every audit an import writes.
            models.UniqueConstraint(fields=["import_reference"], name="audit_import_reference"),
        ]

    def __str__(self) -> str:
        return f"Audit {self.pk} of case {self.case_reference}"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit_detail", args=[self.pk])

    @property
    def is_graded(self) -> bool:
        return self.kind != self.Kind.REVIEW

    @property
    def is_imported(self) -> bool:
        return self.import_reference is not None

    @property
    def final_grade(self) -> str:
        """The grade the service stands by: the moderated one where there is one, else the auditor's.
        The same rule as final_grade() in SQL."""
        return self.moderated_grade or self.overall_grade

    @final_grade.setter
    def final_grade(self, value: str) -> None:
        """Accepts AuditQuerySet.with_final_grade()'s column: it holds what the getter works out from
        the same row, so the row's own grades stay the one source."""

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
        indexes = [
            # The action lists' order, and a person's open actions (the home page).
            models.Index(fields=["due_on", "id"], name="action_due"),
            models.Index(fields=["owner", "due_on"], name="action_owner_open_due", condition=Q(status="open")),
        ]

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
        triggers = [append_only.protect()]

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
            "moderated_grade": "Moderated grade",
            "exemplar": "Exemplar",
        }.get(self.what, self.what)

    @property
    def about_grades(self) -> bool:
        """Does it say a grade (or, an exemplar being Good or better, hint at one)? Hidden in blind moderation."""
        return self.what.startswith("grade:") or self.what in ("overall_grade", "moderated_grade", "exemplar")

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


class AuditDocument(BuiltFile):
    """A PDF of one audit for the child's record, built by a worker (never inside a web request).

    The file is kept in the file storage (MEDIA_ROOT or the private bucket, quality/ops/storage.py) but
    is never served by URL: a view checks that the person may see the audit, then streams it. Whoever
    may see the audit may see its documents, so the access rules reach a document only through its
    audit (it has no ACCESS_* of its own).
    """

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="documents")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="audit-documents/", blank=True)

    class Meta(BuiltFile.Meta):
        get_latest_by = "requested_at"

    def __str__(self) -> str:
        return f"PDF of audit {self.audit_id} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit_document", args=[self.audit_id, self.pk])

    @property
    def download_name(self) -> str:
        return f"audit-{self.audit_id}-case-{self.audit.case_reference}.pdf"


# The monthly cycle: the case list, the yearly schedule, allocation, escalations and reminders.


class LegalStatus(models.TextChoices):
    CIN = "cin", "Child in need"
    CP = "cp", "Child protection"
    CLA = "cla", "Child looked after"
    CARE_LEAVER = "care_leaver", "Care leaver"
    EARLY_HELP = "early_help", "Early help"


class CaseImport(models.Model):
    """One load of the council's case list ('Annex A'): who loaded which file, and what it changed."""

    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0, help_text="Open cases missing from this list, now closed.")

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"Case list of {self.imported_at:%Y-%m-%d}"


class Case(models.Model):
    """A child's open (or once open) case, as the case list last described it. A reference, never a name."""

    child_ref = models.CharField("child reference", max_length=32, unique=True)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="cases")
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    worker = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="cases_held")
    manager = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="cases_managed"
    )
    legal_status = models.CharField(max_length=12, choices=LegalStatus.choices)
    open_since = models.DateField()
    age_band = models.CharField(max_length=20, blank=True)
    gender = models.CharField(max_length=30, blank=True)
    ethnicity = models.CharField(max_length=60, blank=True)
    disability = models.CharField(max_length=60, blank=True)
    is_open = models.BooleanField(default=True)
    closed_on = models.DateField(null=True, blank=True, help_text="The day a case list first left it out.")
    last_import = models.ForeignKey(CaseImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_AREA_FIELD = "service_area"
    ACCESS_AREA_ROLES = frozenset({Role.PRACTICE_MANAGER, Role.SERVICE_LEAD})
    ACCESS_PERSON_FIELDS = ("worker", "manager")

    class Meta:
        ordering = ["child_ref"]
        indexes = [models.Index(fields=["service_area", "is_open"], name="case_area_open")]

    def __str__(self) -> str:
        return f"Case {self.child_ref}"

    @property
    def has_disability(self) -> bool:
        return self.disability.strip().lower() not in ("", "no", "none", "n", "false", "0")


class ScheduleEntry(models.Model):
    """One line of the QA unit's yearly audit schedule: a month's theme, a thematic or partnership
    audit, a moderation panel, a practice week, a survey or a report date. Holds nothing about
    children, so every internal role may read it (and subscribe to it as a calendar)."""

    class Kind(models.TextChoices):
        THEME = "theme", "Monthly audit theme"
        THEMATIC = "thematic", "Thematic audit"
        PARTNERSHIP = "partnership", "Partnership audit"
        PANEL = "panel", "Moderation panel"
        PRACTICE_WEEK = "practice_week", "Practice week"
        SURVEY = "survey", "Survey"
        REPORT = "report", "Report due"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Leave empty for a single day.")
    starts_at = models.TimeField(null=True, blank=True, help_text="For a meeting such as a panel.")
    ends_at = models.TimeField(null=True, blank=True)
    audit_kind = models.CharField(
        max_length=20, choices=Audit.Kind.choices, blank=True, help_text="Which audits a theme applies to."
    )
    completed_by = models.CharField(max_length=300, blank=True, help_text="Who completes it, as the schedule says.")
    service_areas = models.ManyToManyField(
        ServiceArea, blank=True, related_name="schedule_entries", help_text="Leave empty for every area."
    )
    # What allocation prefers for a theme: cases with these legal statuses, and with a disability.
    legal_statuses = models.JSONField(default=list, blank=True)
    prefers_disability = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["starts_on", "starts_at", "pk"]
        verbose_name_plural = "schedule entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="schedule_entry_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CalendarSubscription(models.Model):
    """A person's secret address for the schedule's iCalendar feed (Outlook cannot sign in)."""

    person = models.OneToOneField("org.Person", on_delete=models.CASCADE, related_name="calendar_subscription")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of person {self.person_id}"


class Allocation(models.Model):
    """One month's allocation round: proposed (on the 3rd, or on demand), reviewed by QA, distributed."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed, awaiting QA review"
        DISTRIBUTED = "distributed", "Distributed"

    month = models.DateField(unique=True, help_text="The first day of the month allocated.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROPOSED)
    theme = models.ForeignKey(ScheduleEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the scheduled job proposed it.",
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    distributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    distributed_at = models.DateTimeField(null=True, blank=True)

    ACCESS_SHARED = True  # read only by the QA unit, whose roles see every area (MANAGE_ALLOCATION)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"Allocation for {self.month:%B %Y}"


class AllocationItem(models.Model):
    """One case proposed for one auditor in a month's allocation. Removing an item keeps it, with why."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="allocation_items")
    auditor = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="allocation_items")
    reason = models.CharField(max_length=300, help_text="Why this case: the theme it fits, or QA's reason.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the portal proposed it.",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=300, blank=True)
    audit = models.OneToOneField(Audit, null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_item")

    ACCESS_SHARED = True  # as Allocation

    class Meta:
        ordering = ["allocation", "auditor", "pk"]
        constraints = [
            models.UniqueConstraint(
                "allocation", "case", condition=models.Q(removed_at__isnull=True), name="allocation_case_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.case_id} for person {self.auditor_id}"


class Escalation(models.Model):
    """The chain of deadlines an audit's grade starts.

    Inadequate: QA moderates the grade; if it stands the audit is escalated to the head of
    service and service lead, an update is due in 3 days and another after a week, and the case
    is re-audited a month later. Requires Improvement: the service lead owns remedial actions
    by a deadline. Due dates live here, in the database; a daily job acts on those that fall due.
    """

    class Kind(models.TextChoices):
        INADEQUATE = "inadequate", "Inadequate grade"
        REMEDIAL = "remedial", "Requires Improvement: remedial actions"

    class Stage(models.TextChoices):
        AWAITING_MODERATION = "awaiting_moderation", "Awaiting QA moderation"
        ESCALATED = "escalated", "Escalated"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn (grade changed by moderation)"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices)
    opened_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    first_update_due = models.DateField(null=True, blank=True)
    first_update_at = models.DateTimeField(null=True, blank=True)
    second_update_due = models.DateField(null=True, blank=True)
    second_update_at = models.DateTimeField(null=True, blank=True)
    reaudit_due_on = models.DateField(null=True, blank=True)
    reaudit = models.OneToOneField(
        Audit, null=True, blank=True, on_delete=models.PROTECT, related_name="escalation_followed_up"
    )
    remedial_due_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)

    ACCESS_AREA_FIELD = "audit__service_area"
    ACCESS_AREA_ROLES = frozenset({Role.SERVICE_LEAD, Role.PRACTICE_MANAGER})

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [models.UniqueConstraint("audit", "kind", name="escalation_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} escalation of audit {self.audit_id}"

    def get_absolute_url(self) -> str:
        return reverse("escalations:escalation_detail", args=[self.pk])


class EscalationUpdate(models.Model):
    """An update recorded on an escalation (the 3-day or one-week update, remedial progress, a note)."""

    class Step(models.TextChoices):
        FIRST = "first", "Update within 3 days"
        SECOND = "second", "Update after a week"
        REMEDIAL = "remedial", "Remedial actions"
        NOTE = "note", "Note"

    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="updates")
    step = models.CharField(max_length=10, choices=Step.choices)
    text = models.TextField()
    recorded_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.get_step_display()} on escalation {self.escalation_id}"


class SentReminder(models.Model):
    """A reminder already sent, so a job that runs twice (or again after a crash) never sends it twice.

    `key` names the thing and the deadline, e.g. "audit:12:due_on:2026-11-28:before"."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


# ---------------------------------------------------------------------------------------
# Figure months (audits/figure_months.py): the audits' counts, month by month, so that a report
# adds up a row per combination of values that occurs in a month instead of counting a year of
# audits. The database marks a month stale whenever an audit or an area grade of that month
# changes; the counts are rebuilt from the audits before they are read.


class FigureMonth(models.Model):
    """A month of completed audits (the first day): whether its counts must be rebuilt (the audits'
    and area grades' below; the practice themes' in quality.reports), and the cases audited in it
    (distinct case references, which the counts below cannot add up to)."""

    month = models.DateField(primary_key=True)
    is_stale = models.BooleanField(default=True)
    themes_stale = models.BooleanField(default=True)
    cases_audited = models.PositiveIntegerField(default=0)
    # What the audit counts were last rebuilt as (figure_months.COUNTS_VERSION): a month counted
    # before the counts kept more is rebuilt, even by code of an earlier release still running during
    # a release, which knows nothing of this column (the database's default, 0, is what it leaves).
    counts_version = models.PositiveSmallIntegerField(db_default=0)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}{' (stale)' if self.is_stale else ''}"


class AuditMonthCount(models.Model):
    """How many audits completed in `month` share these values. The fields carry the audit's names,
    so the figures' conditions (graded(), auditor_grade_is(), final_grade_is(), ...) apply as they are."""

    month = models.DateField()
    service_area = models.ForeignKey(ServiceArea, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Audit.Kind.choices)
    theme = models.CharField(max_length=120, blank=True)
    overall_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    moderated_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    discussion_held = models.BooleanField(null=True)
    child_contacted = models.BooleanField(null=True)
    family_contacted = models.BooleanField(null=True)
    views_recorded = models.BooleanField(db_default=False)  # a database default: see FigureMonth.counts_version
    audits = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month"], name="audit_month_count_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.audits}"


class AreaGradeMonthCount(models.Model):
    """How many area grades of audits completed in `month` gave `area` the grade `grade`."""

    month = models.DateField()
    area = models.CharField(max_length=32, choices=AnalysisArea.choices)
    grade = models.CharField(max_length=24, choices=Grade.choices)
    area_grades = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month"], name="area_grade_month_count_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area} {self.grade}: {self.area_grades}"


# ---------------------------------------------------------------------------------------
# Open deadlines counted as audits change (issue 15): audits/cycle/deadline_counts.py keeps them.


class DeadlineDayCount(models.Model):
    """How many audits of a service area wait on one deadline (completion, oversight, record) due on one
    day. Database triggers keep it as audits are written, so "how many are overdue" adds up a few rows
    per area and day, not every overdue audit. Only days with audits waiting have a row."""

    # No foreign-key constraint: the triggers write it inside the audits' own statements, and a
    # service area is never deleted while audits name it.
    service_area = models.ForeignKey(
        ServiceArea, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )  # the unique key below starts with it
    deadline = models.CharField(max_length=16)
    due_on = models.DateField()
    audits = models.IntegerField()

    # Seen as the audits of its area are (quality.access.visible): by the roles that see an area's audits.
    ACCESS_AREA_FIELD = "service_area"
    ACCESS_AREA_ROLES = Audit.ACCESS_AREA_ROLES

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service_area", "deadline", "due_on"], name="deadline_day_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.deadline} due {self.due_on}: {self.audits}"
