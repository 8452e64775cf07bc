"""Reading the log: the entries a person may see, the summary of a filtered list, and its export's rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from quality.access import visible
from quality.spreadsheets import Row

from .models import Entry, Kind, Outcome, Theme

EXPORT_HEADER = [
    "reference",
    "received_on",
    "service_area",
    "team",
    "kind",
    "theme",
    "outcome",
    "learning",
    "recorded_from",
]


def entries_listed(user) -> QuerySet[Entry]:
    """The log's entries this person may see (their areas'), newest first, with area and team."""
    return visible(user, Entry.objects.select_related("service_area", "team"))


def entry_with_its_people() -> QuerySet[Entry]:
    """Entries with what their page shows beside the row: area, team, who recorded it and the load it came in.
    Not yet scoped: the page fetches one through quality.access.get_for."""
    return Entry.objects.select_related("service_area", "team", "recorded_by__person", "load")


@dataclass(frozen=True)
class ThemeCount:
    theme: str
    label: str
    complaints: int
    compliments: int

    @property
    def total(self) -> int:
        return self.complaints + self.compliments


@dataclass(frozen=True)
class Summary:
    complaints: int
    compliments: int
    themes: list[ThemeCount]  # the themes with at least one entry, in the list's order
    outcomes: list[tuple[str, int]]  # complaints by outcome (label, count), every outcome a complaint may have

    @property
    def total(self) -> int:
        return self.complaints + self.compliments


def summary_of(entries: QuerySet[Entry]) -> Summary:
    """Counts by kind and theme, and complaints by outcome, counted by the database (two queries)."""
    counts = {
        (row["theme"], row["kind"]): row["n"]
        for row in entries.order_by().values("theme", "kind").annotate(n=Count("pk"))
    }
    complaints = entries.filter(kind=Kind.COMPLAINT).order_by()
    by_outcome = {row["outcome"]: row["n"] for row in complaints.values("outcome").annotate(n=Count("pk"))}
    themes = [
        ThemeCount(theme, label, counts.get((theme, Kind.COMPLAINT), 0), counts.get((theme, Kind.COMPLIMENT), 0))
        for theme, label in Theme.choices
    ]
    return Summary(
        complaints=sum(theme.complaints for theme in themes),
        compliments=sum(theme.compliments for theme in themes),
        themes=[theme for theme in themes if theme.total],
        outcomes=[
            (label, by_outcome.get(value, 0)) for value, label in Outcome.choices if value != Outcome.NOT_APPLICABLE
        ],
    )


def export_rows(entries: QuerySet[Entry]) -> Iterator[Row]:
    """The export's header, then a row per entry (read in chunks: an export may hold the whole log)."""
    yield EXPORT_HEADER
    for entry in entries.iterator(chunk_size=2000):
        yield [
            entry.source_reference,
            entry.received_on,
            entry.service_area.code,
            entry.team.name if entry.team_id else "",
            entry.get_kind_display(),
            entry.get_theme_display(),
            entry.get_outcome_display(),
            entry.learning,
            entry.get_source_display(),
        ]
