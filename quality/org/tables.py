import django_tables2 as tables
from django.conf import settings
from django.utils import timezone

from . import access_review
from .models import Person, ServiceArea


class ServiceAreaTable(tables.Table):
    name = tables.Column(linkify=True)
    code = tables.Column(verbose_name="Short code")
    team_count = tables.Column(verbose_name="Teams", orderable=True)
    people_count = tables.Column(verbose_name="People with a role", orderable=True)
    is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = ServiceArea
        fields = ("name", "code", "team_count", "people_count", "is_active")
        attrs = {"class": "table table-striped align-middle"}


class PersonTable(tables.Table):
    full_name = tables.Column(linkify=True, verbose_name="Name")
    job_title = tables.Column()
    roles = tables.Column(empty_values=(), orderable=False, verbose_name="Roles")
    user__is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = Person
        fields = ("full_name", "job_title", "roles", "user__is_active")
        attrs = {"class": "table table-striped align-middle"}

    def render_roles(self, record):
        # Uses the prefetched current memberships: no query per row.
        return "; ".join(str(m) for m in record.current_memberships) or "No role"


class AccessReviewTable(tables.Table):
    """The quarterly access review (quality/org/access_review.py): rows from review_rows, with a keep
    and a deactivate form on each."""

    full_name = tables.Column(linkify=True, verbose_name="Name")
    roles = tables.Column(empty_values=(), orderable=False, verbose_name="Roles")
    last_sign_in = tables.DateTimeColumn(verbose_name="Last sign-in", format="j M Y", default="Never")
    has_second_factor = tables.BooleanColumn(verbose_name="Second factor", yesno="Yes,No")
    unused = tables.Column(verbose_name="Unused")
    last_decision = tables.Column(empty_values=(), orderable=False, verbose_name="Last decision")
    decide = tables.TemplateColumn(
        template_name="org/includes/access_review_decide.html", orderable=False, verbose_name="Decision"
    )

    class Meta:
        model = Person
        fields = ("full_name", "roles", "last_sign_in", "has_second_factor", "unused", "last_decision", "decide")
        attrs = {"class": "table table-striped align-middle"}

    def render_roles(self, record):
        return access_review.roles_label(record)

    def render_unused(self, value):
        return f"Unused for {settings.ACCESS_REVIEW_UNUSED_DAYS} days" if value else "In use"

    def render_last_decision(self, record):
        if not record.last_decision:
            return "–"
        when = timezone.localtime(record.last_decided_at)
        return f"{access_review.decision_label(record)} on {when:%d/%m/%Y} by {record.last_decided_by}"
