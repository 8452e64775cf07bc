"""The organisation: service areas, teams, people and the roles they hold.

This is the bottom layer of the portal: it imports no workbench app.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from quality import append_only


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    PRACTICE_MANAGER = "practice_manager", "Practice manager"
    SERVICE_LEAD = "service_lead", "Service lead"
    HEAD_OF_SERVICE = "head_of_service", "Head of service"
    QA_OFFICER = "qa_officer", "QA officer"
    QA_LEAD = "qa_lead", "QA lead"
    MODERATOR = "moderator", "Moderator"
    PERFORMANCE_OFFICER = "performance_officer", "Performance officer"
    SENIOR_LEADER = "senior_leader", "Senior leader"
    ADMINISTRATOR = "administrator", "Administrator"
    READ_ONLY = "read_only", "Read-only reader"
    PARTNER_AUDITOR = "partner_auditor", "Partner auditor"


# Roles whose work is inside one service area: a membership must name the area.
AREA_ROLES = frozenset({Role.PRACTITIONER, Role.PRACTICE_MANAGER, Role.SERVICE_LEAD})


class ServiceArea(models.Model):
    code = models.CharField("short code", max_length=16, help_text="For example SWF or PTC.")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField("active", default=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text="Where the work went when this area was retired or merged.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="service_area_code_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(is_active=True, retired_at__isnull=True)
                | models.Q(is_active=False, retired_at__isnull=False),
                name="service_area_retired_iff_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("org:service_area_detail", args=[self.pk])

    def name_on(self, moment) -> str:
        """The name the area had at `moment`, so old records keep the name they were made under."""
        for record in self.names.all():  # newest first (ServiceAreaName.Meta.ordering)
            if record.valid_from <= moment:
                return record.name
        return self.name


class ServiceAreaName(models.Model):
    """Each name a service area has had, from when it was in force."""

    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="names")
    name = models.CharField(max_length=120)
    valid_from = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_from", "-pk"]
        get_latest_by = "valid_from"
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ACCESS_AREA_FIELD = "service_area"

    class Meta:
        ordering = ["service_area__name", "name"]
        constraints = [
            models.UniqueConstraint("service_area", Lower("name"), name="team_name_unique_in_area"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A member of staff or a partner agency's auditor: the profile of a Django user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="person")
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    organisation = models.CharField(
        max_length=150, blank=True, help_text="For partner auditors: the agency they work for."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("org:person_detail", args=[self.pk])

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def is_active(self) -> bool:
        return self.user.is_active


class MembershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)


class Membership(models.Model):
    """A role a person holds, in a service area (and optionally a team) or across all of them."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    service_area = models.ForeignKey(
        ServiceArea, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    ACCESS_AREA_FIELD = "service_area"

    class Meta:
        ordering = ["person__full_name", "role"]
        constraints = [
            models.UniqueConstraint(
                "person",
                "role",
                "service_area",
                condition=models.Q(ended_at__isnull=True),
                nulls_distinct=False,
                name="membership_current_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(AREA_ROLES)) | models.Q(service_area__isnull=False),
                name="membership_area_role_needs_area",
            ),
        ]

    def __str__(self) -> str:
        where = self.service_area.code if self.service_area_id else "all areas"
        return f"{self.get_role_display()}, {where}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class ChangeRecord(models.Model):
    """Who changed what, when and why. Written by services, never edited."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=64)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    summary = models.TextField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        get_latest_by = "at"
        indexes = [models.Index(fields=["target_type", "target_id"], name="change_record_target")]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%d/%m/%Y %H:%M}"


class Notification(models.Model):
    """A message for one person in the portal (also sent by e-mail where the sender says so).

    Text carries case references only, never names of children or families.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # To go by e-mail too (the sender asked and the person has an address); a worker sends it and
    # sets emailed_at (quality/org/tasks.py). by_email with no emailed_at: still to send.
    by_email = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # An invitation: its e-mail carries a set-password link made by the worker as it sends it
    # (quality/org/invitations.py), so the one-time token is never stored here nor in the broker.
    invitation_link = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The sweep's query: the few e-mails still unsent, among every notification ever made.
            models.Index(
                fields=["created_at"],
                condition=models.Q(by_email=True, emailed_at__isnull=True),
                name="notification_email_unsent",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class SubmittedForm(models.Model):
    """A form that created something, by the token its page was rendered with (quality/idempotency.py).

    Claimed in the same transaction as the create, so a second post of the same render (a double
    click, a resend after a slow answer) finds it and creates nothing.
    """

    # Long enough for a slow double submit or a page left open a while; then purged (quality/celery.py).
    RETENTION = timedelta(days=1)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    # Where the first post went, so a repeat lands on the same page.
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="submitted_form_once_per_user")]

    def __str__(self) -> str:
        return f"form saved at {self.created_at:%d/%m/%Y %H:%M}"


class AccessReviewDecision(models.Model):
    """An administrator's decision in the quarterly access review (quality/org/access_review.py):
    the person's access is still needed, or it was ended. Never edited: a later review adds a row."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Kept"
        DEACTIVATE = "deactivate", "Deactivated"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_review_decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField(blank=True)
    quarter = models.CharField(max_length=7, help_text="The review's quarter, for example 2026-Q4.")

    class Meta:
        ordering = ["-decided_at", "-pk"]
        get_latest_by = "decided_at"
        indexes = [models.Index(fields=["person", "-decided_at"], name="access_review_person_latest")]
        triggers = [append_only.protect()]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.quarter})"
