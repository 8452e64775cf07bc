"""The log of complaints and compliments about children's social care (issue 18, item 4).

One row per complaint or compliment: when it was received, which service area (and, if known, which
team) it is about, its theme, its outcome and what was learnt. Rows come from the council's
complaints system export (evidence/complaints/imports.py) or are typed in by the QA unit. A row
never holds a child's or family's name: the complaints system's own reference leads back to the
record there. Every change is recorded (quality.org ChangeRecord: who, when, what, why).

The themes are this log's own short list, not the reports' practice themes: those live in
quality.reports, which sits above evidence (docs/architecture.md, "Dependency direction").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from quality import append_only
from quality.org.models import ServiceArea, Team

REFERENCE_MAX_LENGTH = 64
REFERENCE_HELP = (
    "The complaints system's own reference for it, for example CMP-2026-0412. Never a child's or a family's name."
)


class Kind(models.TextChoices):
    COMPLAINT = "complaint", "Complaint"
    COMPLIMENT = "compliment", "Compliment"


class Theme(models.TextChoices):
    """What a complaint or compliment is about: a short list that the complaints team's categories map
    onto (docs/complaints.md), so the counts stay comparable from one quarter to the next."""

    COMMUNICATION = "communication", "Communication and being kept informed"
    TIMELINESS = "timeliness", "Timeliness and delay"
    ASSESSMENT_OR_PLAN = "assessment_or_plan", "Quality of an assessment or plan"
    WORKER_CHANGES = "worker_changes", "Changes of worker"
    CHILDS_VOICE = "childs_voice", "The child's voice heard"
    FAMILY_TIME = "family_time", "Contact and family time"
    CONDUCT = "conduct", "Staff attitude and conduct"
    SUPPORT = "support", "Support and services provided"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    """A complaint's outcome; a compliment has none (NOT_APPLICABLE). OPEN: still being investigated,
    the complaints the QA report lists as outstanding."""

    OPEN = "open", "Open (not yet decided)"
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    WITHDRAWN = "withdrawn", "Withdrawn"
    NOT_APPLICABLE = "not_applicable", "Not applicable (a compliment)"


COMPLAINT_OUTCOMES = [value for value in Outcome.values if value != Outcome.NOT_APPLICABLE]


class Source(models.TextChoices):
    TYPED = "typed", "Typed in"
    IMPORTED = "imported", "Complaints system export"


class EntryLoad(models.Model):
    """One load of the complaints system's export: who loaded which file, and what it added."""

    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255)
    rows = models.PositiveIntegerField()
    created = models.PositiveIntegerField()
    already_logged = models.PositiveIntegerField(
        help_text="Rows whose reference the log already held: left as they were."
    )

    class Meta:
        ordering = ["-loaded_at", "-pk"]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"Complaints export loaded {self.loaded_at:%Y-%m-%d %H:%M}"


class Entry(models.Model):
    """A complaint or a compliment, as the log holds it."""

    ACCESS_AREA_FIELD = "service_area"

    received_on = models.DateField("Received")
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    theme = models.CharField(max_length=24, choices=Theme.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    learning = models.TextField(blank=True)
    # Stored in capitals; blank only for one typed in without a reference (the complaints system had none).
    source_reference = models.CharField(
        "Complaints system reference", max_length=REFERENCE_MAX_LENGTH, blank=True, help_text=REFERENCE_HELP
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.TYPED)
    load = models.ForeignKey(EntryLoad, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "complaint or compliment"
        verbose_name_plural = "complaints and compliments"
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["received_on", "id"], name="complaints_entry_received")]
        constraints = [
            # A re-import finds the row by its reference: two rows with one reference would double it.
            models.UniqueConstraint(
                fields=["source_reference"],
                condition=~Q(source_reference=""),
                name="complaints_entry_reference_unique",
            ),
            models.CheckConstraint(
                condition=(Q(kind=Kind.COMPLIMENT) & Q(outcome=Outcome.NOT_APPLICABLE))
                | (Q(kind=Kind.COMPLAINT) & Q(outcome__in=COMPLAINT_OUTCOMES)),
                name="complaints_entry_outcome_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} received {self.received_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("complaints:entry_detail", args=[self.pk])
