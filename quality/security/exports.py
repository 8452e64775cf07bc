"""The CSVs of the security events the page's filters select, and of the access records a search finds."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from .models import AccessRecord, SecurityEvent
from .tables import detail_label, person_label, record_label, subject_label

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


ACCESS_HEADER = ["When", "Person", "Access", "Record", "Case", "Rows exported", "Filters"]


def access_rows(records: QuerySet[AccessRecord]) -> Iterator[list[str]]:
    yield ACCESS_HEADER
    for record in records.iterator(chunk_size=CHUNK):
        yield [
            f"{timezone.localtime(record.at):%d/%m/%Y %H:%M:%S}",
            person_label(record.user),
            record.get_kind_display(),
            record_label(record),
            record.case_reference,
            "" if record.row_count is None else str(record.row_count),
            record.filters,
        ]
