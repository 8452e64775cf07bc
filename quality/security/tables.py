import django_tables2 as tables

from .models import SecurityEvent

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
