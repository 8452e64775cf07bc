"""The evaluation's rows (docs/evaluation.md): the rules that flag sources of evidence disagreeing, and
the yearly self-evaluation with its statements, their cited evidence, review comments and files.

A rule is one of a fixed set of kinds (what it compares and the sentence it says is in code:
quality/evaluation/rules.py); the QA lead adjusts its threshold numbers and turns it on or off.
The defaults are added by rules.ensure_default_rules(), not by a data migration."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from quality.built_files import BuiltFile


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


# ---------------------------------------------------------------------------------------
# The self-evaluation (docs/evaluation.md, "The self-evaluation")


class Question(models.IntegerChoices):
    """The three questions of the self-evaluation, its chapters."""

    KNOW = 1, "What do we know about the quality and impact of our practice?"
    HOW = 2, "How do we know it?"
    IMPROVE = 3, "What are we doing to improve?"


class SelfEvaluation(models.Model):
    """The year's self-evaluation: drafted by the QA unit, reviewed by heads of service, signed off by a
    senior leader, which publishes it. Published, it is frozen: `frozen` holds the whole document as it
    was signed off (the content the page, the PDF and the Word file show), and nothing of it changes."""

    class State(models.TextChoices):
        DRAFT = "draft", "Drafting"
        IN_REVIEW = "in_review", "With heads of service for review"
        PUBLISHED = "published", "Published"

    year = models.PositiveSmallIntegerField(unique=True, help_text="The calendar year it looks back on.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_year"
    )  # the published evaluation this draft started from
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    frozen = models.JSONField(null=True, blank=True)  # the published document (self_evaluation.content_of)

    ACCESS_SHARED = True  # figures and statements about the service, never a child's record

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="published")
                | (models.Q(frozen__isnull=False) & models.Q(signed_off_at__isnull=False)),
                name="self_evaluation_published_is_frozen",
            ),
        ]

    def __str__(self) -> str:
        return f"Self-evaluation {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("evaluation:self_evaluation", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.state == self.State.PUBLISHED


class Statement(models.Model):
    """What the QA unit writes in one section: a chapter (question) about a service area or a priority
    area of the scorecard (performance.Indicator.priority_area), never both."""

    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="statements")
    question = models.PositiveSmallIntegerField(choices=Question.choices)
    service_area = models.ForeignKey(
        "org.ServiceArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority_area = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # last year's statement this one started from
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["question", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(service_area__isnull=False) & models.Q(priority_area=""))
                | (models.Q(service_area__isnull=True) & ~models.Q(priority_area="")),
                name="statement_one_section",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement {self.pk} of the self-evaluation {self.evaluation_id}"

    @property
    def unchanged_since_last_year(self) -> bool:
        return self.carried_from is not None and self.carried_from.text == self.text


class Citation(models.Model):
    """A piece of evidence a statement cites, frozen as it was when cited (or refreshed when next year's
    draft started): what it is, its value, its period and the page it came from. `source` says what to
    compute it from again (evaluation/citations.py); `previous_*` keep last year's value beside it."""

    class Kind(models.TextChoices):
        FIGURE = "figure", "Figure"
        CHART = "chart", "Chart"
        AUDIT = "audit", "Audit"
        THEME = "theme", "Practice theme"
        SURVEY = "survey", "Survey result"
        KPI = "kpi", "KPI month"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="citations")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.JSONField()  # ids and period codes (citations.py)
    label = models.CharField(max_length=300)
    value = models.CharField(max_length=200)
    period = models.CharField(max_length=60)  # in words: "November 2026", "2026 Q3", "2026"
    source_label = models.CharField(max_length=200)
    link = models.CharField(max_length=300)  # the portal's path to the source
    rows = models.JSONField(default=list, blank=True)  # a chart's table, header first
    taken_at = models.DateTimeField()
    previous_value = models.CharField(max_length=200, blank=True)
    previous_period = models.CharField(max_length=60, blank=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} cited by statement {self.statement_id}"


class ReviewComment(models.Model):
    """A head of service's (or a senior leader's) comment on the draft under review, kept with the draft."""

    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="comments")
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )  # None: about the whole draft
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on the self-evaluation {self.evaluation_id}"


class EvaluationDocument(BuiltFile):
    """The PDF or Word file of a published self-evaluation, built by a worker (never in a request)."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word document"

    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="documents")
    format = models.CharField(max_length=4, choices=Format.choices)
    file = models.FileField(upload_to="self-evaluations/", blank=True)

    def __str__(self) -> str:
        return f"{self.get_format_display()} of the self-evaluation {self.evaluation_id}"
