"""Supporting Families benchmarking: one form per family intervention, and its ten concerns.

The council's auditors (practice managers and the QA unit) spent audit time in November and
December 2023 completing these forms: for each of the programme's ten headline concerns, was it
identified at the start, is it (still) identified at the end, and was a positive outcome achieved.
The answers are a row per form and concern (`ConcernOutcome`), so the summary counts them in the
database. A family is named by its case reference only, never by a name.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from quality.org.models import Person, ServiceArea, Team


class Concern(models.TextChoices):
    """The Supporting Families national outcome framework's ten headlines, in the framework's order:
    the one list every page, chart and count of the app goes by."""

    EDUCATION = "education", "Getting a good education"
    EARLY_YEARS = "early_years", "Good early years development"
    HEALTH = "health", "Improved mental and physical health"
    SUBSTANCE_USE = "substance_use", "Promoting recovery and reducing harm from substance use"
    FAMILY_RELATIONSHIPS = "family_relationships", "Improved family relationships"
    SAFE_FROM_ABUSE = "safe_from_abuse", "Children safe from abuse and exploitation"
    CRIME = "crime", "Crime prevention and tackling crime"
    DOMESTIC_ABUSE = "domestic_abuse", "Safe from domestic abuse"
    HOUSING = "housing", "Secure housing"
    FINANCIAL_STABILITY = "financial_stability", "Financial stability"


class BenchmarkingForm(models.Model):
    """One family's benchmarking form. It counts in the period of the day it was completed."""

    case_reference = models.CharField(
        max_length=32,
        help_text="The family's case reference from the case-management system (letters, digits and -). Never a name.",
    )
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="benchmarking_forms")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="benchmarking_forms")
    completed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="benchmarking_forms")
    completed_on = models.DateField("date completed")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_AREA_FIELD = "service_area"

    class Meta:
        ordering = ["-completed_on", "-pk"]
        indexes = [
            # The summary's and the list's period: a range of days, within an area or across them.
            models.Index(fields=["completed_on", "service_area"], name="benchmarking_completed"),
            models.Index(fields=["service_area", "completed_on"], name="benchmarking_area_completed"),
        ]

    def __str__(self) -> str:
        return f"Benchmarking form of case {self.case_reference}"

    def get_absolute_url(self) -> str:
        return reverse("families:form_detail", args=[self.pk])


class ConcernOutcome(models.Model):
    """One concern of one form: identified at the start, (still) identified at the end, and whether a
    positive outcome was achieved. Every form has a row for each of the ten concerns."""

    form = models.ForeignKey(BenchmarkingForm, on_delete=models.CASCADE, related_name="concerns")
    concern = models.CharField(max_length=32, choices=Concern.choices)
    identified_at_start = models.BooleanField(default=False)
    identified_at_end = models.BooleanField(default=False)
    positive_outcome = models.BooleanField(default=False)

    ACCESS_AREA_FIELD = "form__service_area"

    class Meta:
        ordering = ["form", "pk"]
        constraints = [
            models.UniqueConstraint("form", "concern", name="concern_outcome_once_per_form"),
            # The rule the form refuses at the field, kept by the database for every other writer too.
            models.CheckConstraint(
                condition=models.Q(positive_outcome=False)
                | models.Q(identified_at_start=True)
                | models.Q(identified_at_end=True),
                name="positive_outcome_needs_identified_concern",
            ),
        ]

    def __str__(self) -> str:
        return self.get_concern_display()
