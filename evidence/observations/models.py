"""Observations of practice: a manager watches a practitioner at work and records it on a form.

Every manager should observe each supervisee at least once a year (the QA framework), ideally in
the quarterly practice weeks the QA unit keeps in `PracticeWeek`. An observation is planned, then
recorded: the answers of a published observation tool (audits: AuditTool.Purpose.OBSERVATION, the
version used is kept), strengths, areas for development, and an action plan reviewed in supervision.

The team and service area are the practitioner's when the observation was planned: a practitioner
who moves team leaves the observation with the team it was made in, while their coverage (when were
they last observed) follows them (selectors.coverage).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from audits.models import Question, ToolVersion
from quality.org.models import Person, Role, ServiceArea, Team


class PracticeWeek(models.Model):
    """A practice week of the QA unit's calendar, when managers observe (quarterly in the 2023 schedule)."""

    starts_on = models.DateField("first day", unique=True)
    ends_on = models.DateField("last day")
    created_at = models.DateTimeField(auto_now_add=True)

    # A calendar: nothing about children or staff.
    ACCESS_SHARED = True

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="practice_week_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"Practice week {self.starts_on:%-d %B} to {self.ends_on:%-d %B %Y}"


class Observation(models.Model):
    class Kind(models.TextChoices):
        DIRECT_WORK = "direct_work", "1:1 work with a child"
        PARENT_INTERVIEW = "parent_interview", "Interview with parents or carers"
        MEETING = "meeting", "Meeting (core group, child protection conference, looked-after review)"
        WALK_THE_FLOOR = "walk_the_floor", "Senior manager's walk-the-floor visit"

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        RECORDED = "recorded", "Recorded"

    practitioner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="observations_of")
    observer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="observations_made")
    # The practitioner's team and area when planned (see the module's docstring).
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="observations")
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="observations")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PLANNED)
    planned_on = models.DateField("planned date")
    observed_on = models.DateField("date observed", null=True, blank=True)
    # Derived from the calendar when the date is set (services): kept, so a week moved later does not
    # rewrite what an observation was.
    practice_week = models.ForeignKey(
        PracticeWeek, null=True, blank=True, on_delete=models.PROTECT, related_name="observations"
    )
    tool_version = models.ForeignKey(ToolVersion, on_delete=models.PROTECT, related_name="observations")
    strengths = models.TextField(blank=True)
    areas_for_development = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Seen by the observer, the practitioner (named on it), the practice managers of its team
    # (ACCESS_TEAM_ROLES), the service leads of its area (ACCESS_AREA_ROLES) and the cross-area roles
    # granted VIEW_OBSERVATIONS (the QA unit, heads of service, senior leaders).
    ACCESS_AREA_FIELD = "service_area"
    ACCESS_AREA_ROLES = frozenset({Role.SERVICE_LEAD})
    ACCESS_TEAM_FIELD = "team"
    ACCESS_TEAM_ROLES = frozenset({Role.PRACTICE_MANAGER})
    ACCESS_PERSON_FIELDS = ("observer", "practitioner")

    class Meta:
        ordering = ["-planned_on", "-pk"]
        indexes = [
            # Coverage: each practitioner's last recorded observation.
            models.Index(fields=["practitioner", "state", "observed_on"], name="observation_coverage"),
            models.Index(fields=["team", "planned_on"], name="observation_team"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="planned") | models.Q(observed_on__isnull=False),
                name="observation_recorded_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"Observation of {self.practitioner}"

    def get_absolute_url(self) -> str:
        return reverse("observations:detail", args=[self.pk])

    @property
    def is_recorded(self) -> bool:
        return self.state == self.State.RECORDED


class ObservationAnswer(models.Model):
    """One answer of the observation's form (as audits.Answer: the value as the answer form cleaned it)."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="observation_answers")
    value = models.JSONField(null=True, blank=True)

    # As the observation's (its observer and practitioner are reached through it, on its page).
    ACCESS_AREA_FIELD = "observation__service_area"
    ACCESS_AREA_ROLES = Observation.ACCESS_AREA_ROLES
    ACCESS_TEAM_FIELD = "observation__team"
    ACCESS_TEAM_ROLES = Observation.ACCESS_TEAM_ROLES

    class Meta:
        constraints = [models.UniqueConstraint("observation", "question", name="observation_answer_once")]

    def __str__(self) -> str:
        return f"Answer to {self.question.key}"


class ActionItem(models.Model):
    """One item of an observation's action plan; reviewed in supervision, where it is found done."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="action_items")
    text = models.TextField("action")
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="observation_actions")
    review_on = models.DateField("review date")
    # The supervision in which it was reviewed as done.
    done_on = models.DateField("reviewed as done on", null=True, blank=True)

    # As the observation's, and its owner's.
    ACCESS_AREA_FIELD = "observation__service_area"
    ACCESS_AREA_ROLES = Observation.ACCESS_AREA_ROLES
    ACCESS_TEAM_FIELD = "observation__team"
    ACCESS_TEAM_ROLES = Observation.ACCESS_TEAM_ROLES
    ACCESS_PERSON_FIELDS = ("owner",)

    class Meta:
        ordering = ["review_on", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class ObservationReminder(models.Model):
    """A reminder sent to a manager before a practice week: recorded so it is never sent twice."""

    practice_week = models.ForeignKey(PracticeWeek, on_delete=models.CASCADE, related_name="reminders")
    manager = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="observation_reminders")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("practice_week", "manager", name="observation_reminder_once")]

    def __str__(self) -> str:
        return f"Reminder before {self.practice_week}"
