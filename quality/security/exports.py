"""The CSV of the security events the page's filters select."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from .models import SecurityEvent
from .tables import detail_label, person_label, subject_label

CHUNK = 2000
HEADER = ["When", "Event", "Person", "Address", "By", "Detail"]


def event_rows(events: QuerySet[SecurityEvent]) -> Iterator[list[str]]:
    yield HEADER
    for event in events.iterator(chunk_size=CHUNK):
        yield [
            f"{timezone.localtime(event.at):%d/%m/%Y %H:%M:%S}",
            event.get_kind_display(),
            subject_label(event),
            event.address or "",
            person_label(event.actor),
            detail_label(event.detail),
        ]
