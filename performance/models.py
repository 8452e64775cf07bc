"""The KPI scorecard: indicators, their yearly targets and comparators, monthly values (with the
history of every load), commentary, month locks and the PDF pack.

Figures are stored as loaded (numerator, denominator, value as given); every derived figure
(percentages, RAG, changes, 12-month statistics) is computed by performance/calculations.py,
never stored, so a correction to a month changes every figure that depends on it.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from quality import append_only
from quality.built_files import BuiltFile
from quality.org.models import ServiceArea, Team

from .codes import CODE_MAX_LENGTH, KEY_MAX_LENGTH, code_key


class Indicator(models.Model):
    class Unit(models.TextChoices):
        COUNT = "count", "Count"
        PERCENTAGE = "percentage", "Percentage"
        RATE = "rate", "Rate per 10,000 children aged 0-17"

    class Polarity(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"
        NEUTRAL = "neutral", "Neither (context only)"

    code = models.CharField(
        max_length=CODE_MAX_LENGTH, help_text="As the scorecard writes it, e.g. M1, EH3a%, CP6B, M6-QL (val)."
    )
    # The code as compared (performance.codes.code_key): unique, so no two indicators differ only in
    # case or spacing. Set from `code` on save; bulk writes set it themselves.
    code_key = models.CharField(max_length=KEY_MAX_LENGTH, editable=False)
    title = models.CharField(max_length=300)
    priority_area = models.CharField(max_length=200)
    unit = models.CharField(max_length=12, choices=Unit.choices)
    polarity = models.CharField(max_length=8, choices=Polarity.choices)
    cumulative = models.BooleanField(
        default=False, help_text="The monthly figure accumulates over the financial year (April to March)."
    )
    outcome = models.TextField(blank=True)
    lead_officer = models.CharField(max_length=150, blank=True)
    accountable_officer = models.CharField(max_length=150, blank=True)
    lead = models.ForeignKey(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators_led",
        help_text="The person who writes the commentary (matched from lead_officer by name or e-mail).",
    )
    service_area = models.ForeignKey(
        ServiceArea, null=True, blank=True, on_delete=models.PROTECT, related_name="indicators"
    )
    display_order = models.PositiveIntegerField(default=0, help_text="Order on the scorecard (the catalogue's).")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True  # council-wide figures, no child's data: every role that may read the scorecard

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [models.UniqueConstraint("code_key", name="indicator_code_key_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.code_key = code_key(self.code)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "code" in update_fields:
            kwargs["update_fields"] = {*update_fields, "code_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("performance:indicator_detail", args=[self.pk])


class IndicatorYear(models.Model):
    """An indicator's target, tolerance and comparators for one reporting year (the financial year
    starting in April of `year`), so a new year's targets never rewrite last year's scorecards."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(help_text="2023 = April 2023 to March 2024.")
    target = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    target_note = models.CharField(max_length=300, blank=True, help_text="E.g. 'TBC', 'Not set', or context.")
    amber_tolerance = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="How far a value may miss the target and still be amber; empty for the default.",
    )
    previous_year = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    statistical_neighbours = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    south_east = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    england = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Why a comparator is missing, as the catalogue said it ("N/A", "Local"), keyed by field name.
    comparator_notes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["indicator", "-year"]
        constraints = [models.UniqueConstraint("indicator", "year", name="indicator_year_unique")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}/{(self.year + 1) % 100:02d}"


class ValueLoad(models.Model):
    """One monthly values file as loaded: who, when, which file, and what it held."""

    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    rows = models.PositiveIntegerField(default=0)
    replaced = models.PositiveIntegerField(default=0, help_text="Figures that replaced an earlier load's.")
    mismatches = models.PositiveIntegerField(default=0, help_text="Rows flagged as a data-quality mismatch.")

    ACCESS_SHARED = True

    class Meta:
        ordering = ["-loaded_at", "-pk"]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.loaded_at:%Y-%m-%d})"


class KpiValue(models.Model):
    """One figure for one indicator and month, council-wide or for a service area or team.

    Loading the same indicator, month and breakdown again adds a new current row and keeps the old
    one (is_current False) as history: who loaded what, when."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    period = models.DateField(help_text="The first day of the month.")
    service_area = models.ForeignKey(
        ServiceArea, null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_values"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_values")
    # "" for the council-wide figure, "area:<id>" or "team:<id>" for a breakdown: one current row per key.
    breakdown = models.CharField(max_length=32, blank=True, default="")
    value = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    numerator = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    supplied_value = models.DecimalField(
        max_digits=16,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="The value the file gave, when it was replaced by the one computed from numerator/denominator.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="E.g. 'TBC': why there is no value.")
    data_quality = models.CharField(max_length=300, blank=True, help_text="Empty, or what does not add up.")
    load = models.ForeignKey(ValueLoad, on_delete=models.PROTECT, related_name="values")
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    ACCESS_SHARED = True  # breakdowns are of teams and areas, not children; the pages decide who sees them

    class Meta:
        ordering = ["indicator", "period", "breakdown", "-created_at"]
        indexes = [models.Index(fields=["period", "is_current"], name="kpi_value_period_current")]
        constraints = [
            models.UniqueConstraint(
                "indicator",
                "period",
                "breakdown",
                condition=models.Q(is_current=True),
                name="kpi_value_one_current",
            ),
        ]
        # A replaced figure is kept: the only change the database allows is that it stops being current.
        triggers = append_only.protect_except_clearing("is_current")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period:%Y-%m} {self.breakdown or 'council'}"


class Commentary(models.Model):
    """The month's commentary and actions / next steps for one indicator, by its lead."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="commentaries")
    period = models.DateField()
    commentary = models.TextField(blank=True)
    next_steps = models.TextField("actions / next steps", blank=True)
    written_by = models.ForeignKey("org.Person", null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["indicator", "-period"]
        verbose_name_plural = "commentaries"
        constraints = [models.UniqueConstraint("indicator", "period", name="commentary_one_per_month")]

    def __str__(self) -> str:
        return f"Commentary on {self.indicator_id} for {self.period:%Y-%m}"


class MonthLock(models.Model):
    """A month whose pack is final: its values and commentary no longer change."""

    period = models.DateField(unique=True)
    locked_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField(auto_now_add=True)

    ACCESS_SHARED = True

    class Meta:
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} locked"


class PerformancePack(BuiltFile):
    """The month's PDF pack for the scrutiny papers, built by a worker (never in a web request)."""

    period = models.DateField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="performance-packs/", blank=True)

    ACCESS_SHARED = True

    def __str__(self) -> str:
        return f"Performance pack {self.period:%Y-%m} ({self.get_state_display()})"
