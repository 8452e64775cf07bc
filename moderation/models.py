"""Moderation: a second look at an audit's grade by QA or a panel. The auditor's grade is never
overwritten; a decision records both grades, and the audit carries the moderated one as its
final grade (Audit.moderated_grade)."""

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from audits.models import AnalysisArea, Audit, Dispute, Grade, ScheduleEntry
from quality import append_only
from quality.org.models import Role


class StandingDecisions(models.QuerySet):
    def standing(self) -> "StandingDecisions":
        """The decisions no later one corrects (a superseded decision is kept as history).

        NOT EXISTS rather than the reverse relation's LEFT JOIN ... IS NULL: PostgreSQL runs it as
        an anti-join against the unique index on supersedes_id alone, where the join read every
        decision's row: the year's moderation matrix at a million audits takes half the time. The
        `supersedes` IS NOT NULL that the match implies anyway lets it read only the corrections from
        that index (a few), not every decision to hash their mostly empty `supersedes` (a third less)."""
        correcting = ModerationDecision.objects.filter(supersedes=models.OuterRef("pk"), supersedes__isnull=False)
        return self.filter(~models.Exists(correcting))


class ModerationDecision(models.Model):
    """A decision is never edited (the database refuses it): a correction is a new decision that
    supersedes it, so what was decided first, and who changed it, stays on record."""

    class Source(models.TextChoices):
        PANEL = "panel", "Moderation panel"
        QA_REVIEW = "qa_review", "QA review of an Inadequate grade"
        IMPORTED = "imported", "Imported from the audit history"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="moderations")
    source = models.CharField(max_length=12, choices=Source.choices)
    panel = models.ForeignKey(
        "moderation.Panel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text="The panel that decided it (source panel).",
    )
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
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The earlier decision on the same audit this one corrects.",
    )

    objects = StandingDecisions.as_manager()

    ACCESS_AREA_FIELD = "audit__service_area"
    ACCESS_AREA_ROLES = frozenset({Role.SERVICE_LEAD, Role.MODERATOR})

    class Meta:
        ordering = ["-decided_on", "-pk"]
        indexes = [
            models.Index(fields=["decided_on"], name="moderation_decided_on"),
            # Serves decisions_in()'s "latest decision of each audit in the range" subquery.
            models.Index(fields=["audit", "-decided_on", "-id"], name="moderation_latest_of_audit"),
        ]
        constraints = [
            # A panel decides an audit once; its corrections hang off that decision, one after another.
            models.UniqueConstraint(
                "panel",
                "audit",
                condition=models.Q(panel__isnull=False, supersedes__isnull=True),
                name="moderation_once_per_panel",
            ),
        ]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"Moderation of audit {self.audit_id} on {self.decided_on}"

    @property
    def direction(self) -> str:
        """'up', 'down' or 'same': where moderation moved the auditor's grade ("" when there was none)."""
        if not self.original_grade:
            return ""
        order = Grade.values  # best first
        change = order.index(self.original_grade) - order.index(self.moderated_grade)
        return "up" if change > 0 else "down" if change < 0 else "same"


class ModerationAreaGrade(models.Model):
    """A decision's moderated grade for one of the seven areas of analysis, beside the auditor's."""

    decision = models.ForeignKey(ModerationDecision, on_delete=models.PROTECT, related_name="area_grades")
    area = models.CharField(max_length=32, choices=AnalysisArea.choices)
    original_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    moderated_grade = models.CharField(max_length=24, choices=Grade.choices)

    class Meta:
        ordering = ["decision", "pk"]
        constraints = [models.UniqueConstraint("decision", "area", name="moderation_area_grade_once")]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.get_moderated_grade_display()}"


class Panel(models.Model):
    """A moderation session: a monthly heads-of-service panel or a quarterly moderation.

    It moves only forward: planned -> sample drawn -> in session -> concluded, each step with who
    and when. The dip sample is its items (PanelItem); the seed and the pool the random part was
    drawn from are kept, so the draw can be reproduced for an inspector (moderation.panels).
    A panel holds no child's data itself (its items do), so everyone who may see moderation sees it.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly heads-of-service panel"
        QUARTERLY = "quarterly", "Quarterly moderation"

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        SAMPLE_DRAWN = "sample_drawn", "Sample drawn"
        IN_SESSION = "in_session", "In session"
        CONCLUDED = "concluded", "Concluded"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MONTHLY)
    held_on = models.DateField("date")
    starts_at = models.TimeField("starts at", null=True, blank=True)
    ends_at = models.TimeField("ends at", null=True, blank=True)
    schedule_entry = models.ForeignKey(
        ScheduleEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_panels",
        help_text="The schedule's panel date this session is.",
    )
    members = models.ManyToManyField("org.Person", blank=True, related_name="moderation_panels")
    blind = models.BooleanField(
        "blind moderation",
        default=False,
        help_text="Hide the auditor's grades from the panel until it has recorded its own (to avoid anchoring).",
    )
    state = models.CharField(max_length=14, choices=State.choices, default=State.PLANNED)

    # The draw: from which submission date, how many (or what share), with which seed, out of which pool.
    sample_from = models.DateField("audits submitted from", null=True, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True, help_text="Audits drawn at random.")
    sample_share = models.PositiveSmallIntegerField(
        "sample share (%)", null=True, blank=True, help_text="Share of the pool drawn at random."
    )
    seed = models.BigIntegerField(null=True, blank=True, help_text="The random seed of the draw.")
    sample_pool = models.JSONField(
        default=list,
        blank=True,
        help_text="The audits the random part was drawn from, as [audit id, service area id, grade] at the draw.",
    )
    sample_random_count = models.PositiveIntegerField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sample_drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sample_drawn_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    concluded_at = models.DateTimeField(null=True, blank=True)

    ACCESS_SHARED = True  # its sampled audits are scoped through PanelItem

    class Meta:
        ordering = ["-held_on", "-pk"]
        get_latest_by = "held_on"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sample_size__isnull=True) | models.Q(sample_share__isnull=True),
                name="panel_size_or_share",
            ),
            models.CheckConstraint(
                condition=models.Q(sample_share__isnull=True) | models.Q(sample_share__range=(1, 100)),
                name="panel_share_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(state="planned") | models.Q(sample_drawn_at__isnull=False),
                name="panel_drawn_has_when",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["in_session", "concluded"]) | models.Q(opened_at__isnull=False),
                name="panel_open_has_when",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="concluded") | models.Q(concluded_at__isnull=False),
                name="panel_concluded_has_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.held_on:%-d %B %Y}"

    def get_absolute_url(self) -> str:
        return reverse("moderation:panel_detail", args=[self.pk])

    @property
    def is_concluded(self) -> bool:
        return self.state == self.State.CONCLUDED


BLIND_REASON = "Inadequate or drawn at random: not said while the grades are hidden"


class PanelItem(models.Model):
    """One audit in a panel's dip sample: why it is there, and (when removed by hand) who took it out and why.

    Seen by the QA unit, the moderators of the audit's service area and the panel's own members.
    """

    class Reason(models.TextChoices):
        INADEQUATE = "inadequate", "Inadequate: every one is moderated"
        RANDOM = "random", "Random stratified sample"
        DISPUTED = "disputed", "Grade disputed by the service lead"
        ADDED = "added", "Added by hand"

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="items")
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="panel_items")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    note = models.TextField(blank=True, help_text="Why it was added by hand.")
    blind = models.BooleanField(
        default=False, help_text="The auditor's grades are hidden until the panel records its own."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the portal drew or added it.",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.TextField(blank=True)
    decision = models.OneToOneField(
        ModerationDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="panel_item"
    )

    ACCESS_AREA_FIELD = "audit__service_area"
    ACCESS_AREA_ROLES = frozenset({Role.MODERATOR})
    ACCESS_PARTICIPANTS = "panel__members"

    class Meta:
        ordering = ["panel", "pk"]
        constraints = [
            models.UniqueConstraint(
                "panel", "audit", condition=models.Q(removed_at__isnull=True), name="panel_item_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(reason="added") | ~models.Q(note=""), name="panel_item_added_has_note"
            ),
            models.CheckConstraint(
                condition=models.Q(removed_at__isnull=True) | ~models.Q(removed_reason=""),
                name="panel_item_removed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Audit {self.audit_id} in panel {self.panel_id}"

    def get_absolute_url(self) -> str:
        return reverse("moderation:panel_item", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    @property
    def grades_hidden(self) -> bool:
        """Blind and not yet decided: the auditor's grades are not shown."""
        return self.blind and self.decision_id is None

    @property
    def reason_shown(self) -> str:
        """Why it is in the sample, as the pages say it. While the grades are hidden, "Inadequate: every
        one is moderated" would give the auditor's grade away, so an Inadequate audit and one drawn at
        random read alike until the panel has recorded its grade."""
        if self.grades_hidden and self.reason in (self.Reason.INADEQUATE, self.Reason.RANDOM):
            return BLIND_REASON
        return self.get_reason_display()


@receiver(post_save, sender=Dispute, dispatch_uid="moderation.disputed_audit_joins_panel")
def _dispute_raised(sender, instance: Dispute, created: bool, raw: bool = False, **kwargs) -> None:
    """A disputed grade joins the next panel's sample. audits raises the dispute and never imports
    moderation (docs/architecture.md, "Dependency direction"): moderation listens instead."""
    if created and not raw:
        from .panels import disputed_audit_join

        disputed_audit_join(audit=instance.audit)
