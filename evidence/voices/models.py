"""Surveys of children, young people and families: a round of one-time links and the answers they bring.

A survey is a published version of a tool built with the tool builder (purpose SURVEY), opened for a
window of days and sent as one-time links. Nothing identifying is stored: a link keeps only the hash
of its token (the token itself is shown once, to the QA unit who made it) and, if the QA unit gave
one, the case reference it was sent about. A response keeps its answers and the day it came, and is
not joined to its link, so what someone wrote is never tied to a case reference; no name, address
or browser detail is asked for or kept.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from audits.models import Question, ToolVersion
from quality.org.models import ServiceArea


class Survey(models.Model):
    class Audience(models.TextChoices):
        CHILDREN = "children", "Children and young people"
        PARENTS = "parents", "Parents and carers"

    title = models.CharField(max_length=150, help_text="The name of the round, e.g. 'Spring 2026 survey of parents'.")
    tool_version = models.ForeignKey(ToolVersion, on_delete=models.PROTECT, related_name="surveys")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    easy_read = models.BooleanField(
        "easy-read layout",
        default=False,
        help_text="Larger text, one question to a box and short plain words around the questions.",
    )
    service_area = models.ForeignKey(
        ServiceArea,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
        help_text="Leave empty for a survey of every area.",
    )
    opens_on = models.DateField("opens on")
    closes_on = models.DateField("closes on")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # Survey readers are cross-area roles (quality/access.py); the area scopes anyone else.
    ACCESS_AREA_FIELD = "service_area"

    class Meta:
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")), name="survey_window_order")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("voices:survey_detail", args=[self.pk])

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


class SurveyLink(models.Model):
    """One one-time link. Only the SHA-256 of its token is kept: a copy of the database opens nothing."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    case_reference = models.CharField(
        max_length=32, blank=True, help_text="The case the link was sent about, if any. Never a name."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    ACCESS_AREA_FIELD = "survey__service_area"

    class Meta:
        ordering = ["survey", "pk"]

    def __str__(self) -> str:
        return f"Link {self.pk} of {self.survey}"


class Response(models.Model):
    """One set of answers. Deliberately without its link, and with the day only (not the moment)."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    submitted_on = models.DateField()

    ACCESS_AREA_FIELD = "survey__service_area"

    class Meta:
        ordering = ["survey", "pk"]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey}"


class ResponseAnswer(models.Model):
    """One answer, keyed by the question of the survey's tool version (as an audit's Answer is)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="survey_answers")
    value = models.JSONField(null=True, blank=True)

    ACCESS_AREA_FIELD = "response__survey__service_area"

    class Meta:
        constraints = [models.UniqueConstraint("response", "question", name="survey_answer_one_per_question")]

    def __str__(self) -> str:
        return f"Answer to {self.question.key}"
