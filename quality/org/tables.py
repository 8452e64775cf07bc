import django_tables2 as tables

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
