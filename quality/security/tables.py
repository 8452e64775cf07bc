import django_tables2 as tables
from django.apps import apps
from django.utils.text import capfirst

from .access import LIST
from .models import AccessRecord, SecurityEvent

WHEN = "d/m/Y H:i:s"


def person_label(user) -> str:
    """The person's name (the row is read with select_related: no query); a user without a person
    profile (a Django superuser) by id."""
    if user is None:
        return ""
    person = getattr(user, "person", None)
    return person.full_name if person is not None else f"User {user.pk}"


def subject_label(event: SecurityEvent) -> str:
    if event.user_id is not None:
        return person_label(event.user)
    return f"Name typed (key {event.username_key[:8]})" if event.username_key else ""


def detail_label(detail: dict) -> str:
    return "; ".join(f"{key}: {value}" for key, value in sorted(detail.items()))


class SecurityEventTable(tables.Table):
    at = tables.DateTimeColumn(format=WHEN, verbose_name="When")
    kind = tables.Column(verbose_name="Event")
    user = tables.Column(verbose_name="Person", empty_values=(), orderable=False)
    address = tables.Column(verbose_name="Address")
    actor = tables.Column(verbose_name="By", empty_values=(), orderable=False)
    detail = tables.Column(verbose_name="Detail", empty_values=(), orderable=False)

    class Meta:
        model = SecurityEvent
        fields = ("at", "kind", "user", "address", "actor", "detail")
        attrs = {"class": "table table-striped align-middle"}
        order_by = ("-at",)

    def render_user(self, record):
        return subject_label(record)

    def render_actor(self, record):
        return person_label(record.actor)

    def render_detail(self, record):
        return detail_label(record.detail)


def record_label(record: AccessRecord) -> str:
    """What was seen: "Audit 12", "Learning action 5"..., or for an export the list's name."""
    if record.object_type == LIST:
        return f"List: {record.list_name}"
    try:
        name = apps.get_model(record.object_type)._meta.verbose_name
    except (LookupError, ValueError):  # a model since removed: the record still says what it was
        name = record.object_type
    return f"{capfirst(name)} {record.object_id}"


def filters_label(record: AccessRecord) -> str:
    if record.object_type != LIST:
        return ""
    return f"{record.row_count} rows; filters: {record.filters or 'none'}"


class AccessRecordTable(tables.Table):
    at = tables.DateTimeColumn(format=WHEN, verbose_name="When")
    user = tables.Column(verbose_name="Person", empty_values=(), orderable=False)
    kind = tables.Column(verbose_name="Access")
    record = tables.Column(verbose_name="Record", empty_values=(), orderable=False)
    case_reference = tables.Column(verbose_name="Case", empty_values=())
    export = tables.Column(verbose_name="Export", empty_values=(), orderable=False)

    class Meta:
        model = AccessRecord
        fields = ("at", "user", "kind", "record", "case_reference", "export")
        attrs = {"class": "table table-striped align-middle"}
        order_by = ("-at",)
        empty_text = "No access matches."

    def render_user(self, record):
        return person_label(record.user)

    def render_record(self, record):
        return record_label(record)

    def render_case_reference(self, value):
        return value or "–"

    def render_export(self, record):
        return filters_label(record)
