"""Loading the council's complaints system export (CSV or XLSX) into the log: by upload and by
`manage.py import_complaints`.

All or nothing (quality/tabular.py, docs/imports.md): the whole file is checked first, and one bad row
refuses it, every problem listed with its row number; nothing is saved. A row whose reference the log
already holds is left as it is (counted as "already in the log"): the export is usually cumulative,
so loading this month's file after last month's adds only the new complaints and never doubles one.
A logged entry is changed on its own page, where the change is recorded with a reason.

Areas, teams and the references already logged are read once, and the rows written in bulk, so a
file's size does not change the number of queries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from quality import locks
from quality.org.lookup import ServiceAreaLookup
from quality.org.models import ChangeRecord, Team
from quality.tabular import ImportRefused, RowError, parse_date, read_sheet

from .models import COMPLAINT_OUTCOMES, Entry, EntryLoad, Kind, Outcome, Source, Theme
from .services import REFERENCE, reference_key

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("reference", "received_on", "service_area", "kind", "theme")
OPTIONAL_COLUMNS = ("team", "outcome", "learning")
BATCH_SIZE = 1000
LEARNING_LIMIT = 5000

# Reasons a row is refused, shown next to its row number and column. Tests assert on these.
NO_ROWS = "the file has no complaints or compliments under its header"
REF_REQUIRED = "give the complaints system's reference"
REF_INVALID = "use the complaints system's reference only (letters, digits, - / and _), never a name"
REF_REPEATED = "this reference is already on row {row}"
DATE_REQUIRED = "give the day it was received"
DATE_FUTURE = "{value} is in the future: give the day it was received"
AREA_REQUIRED = "give the service area's short code, for example SWF"
AREA_UNKNOWN = "'{value}' is not a service area of the portal (use its short code, for example SWF)"
TEAM_UNKNOWN = "'{value}' is not a team of {code}"
KIND_INVALID = "'{value}' is not complaint or compliment"
THEME_INVALID = "'{value}' is not a theme (use one of: {choices})"
OUTCOME_INVALID = "'{value}' is not an outcome (use one of: {choices})"
OUTCOME_FOR_COMPLIMENT = "a compliment has no outcome: leave it blank or write not_applicable"
LEARNING_TOO_LONG = f"longer than {LEARNING_LIMIT:,} characters"


def _key(text: str) -> str:
    """A choice as written in a file, in any case, with spaces and hyphens read as underscores."""
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _choices(enum) -> dict[str, str]:
    """Each value by its code and by its label ('partly upheld', 'Partly upheld')."""
    return {**{_key(value): value for value in enum.values}, **{_key(label): value for value, label in enum.choices}}


_KINDS, _THEMES, _OUTCOMES = _choices(Kind), _choices(Theme), _choices(Outcome)


@dataclass(frozen=True)
class LoadSummary:
    """What a load added (or, for a check, would add)."""

    rows: int
    created: int
    already_logged: int
    load: EntryLoad | None  # None for a check: nothing was saved

    @property
    def dry_run(self) -> bool:
        return self.load is None

    def __str__(self) -> str:
        verb = "would be added" if self.dry_run else "added"
        return (
            f"{self.rows:,} row{'s' if self.rows != 1 else ''} in the file: {self.created:,} {verb}; "
            f"{self.already_logged:,} already in the log, left as they are."
        )


class _Directory:
    """Service areas, teams and the references already logged, each read once."""

    def __init__(self):
        # The log is history: a complaint about an area retired since is still about that area.
        self.areas = ServiceAreaLookup(include_retired=True)
        self.teams = {
            (area_id, name.lower()): pk
            for pk, area_id, name in Team.objects.values_list("pk", "service_area_id", "name")
        }
        self.logged = set(Entry.objects.exclude(source_reference="").values_list("source_reference", flat=True))


def _received(text: str, today: date, refuse) -> date | None:
    if not text:
        refuse("received_on", DATE_REQUIRED)
        return None
    try:
        received = parse_date(text)
    except ValueError as error:
        refuse("received_on", str(error))
        return None
    if received > today:
        refuse("received_on", DATE_FUTURE.format(value=text))
        return None
    return received


def _place(cells: dict, directory: _Directory, refuse) -> tuple[int | None, int | None]:
    """The row's service area and team ids (None where refused or, for the team, not given)."""
    text = cells["service_area"]
    if not text:
        refuse("service_area", AREA_REQUIRED)
        return None, None
    match = directory.areas.find(text)
    if match.problem:
        refuse("service_area", match.refusal(text, unknown=AREA_UNKNOWN))
        return None, None
    team_text = cells.get("team", "")
    if not team_text:
        return match.area.pk, None
    team_id = directory.teams.get((match.area.pk, team_text.lower()))
    if team_id is None:
        refuse("team", TEAM_UNKNOWN.format(value=team_text, code=match.area.code))
    return match.area.pk, team_id


def _classified(cells: dict, refuse) -> tuple[str | None, str | None, str | None]:
    """The row's kind, theme and outcome; a blank outcome is open for a complaint, none for a compliment."""
    kind = _KINDS.get(_key(cells["kind"]))
    if kind is None:
        refuse("kind", KIND_INVALID.format(value=cells["kind"]))
    theme = _THEMES.get(_key(cells["theme"]))
    if theme is None:
        refuse("theme", THEME_INVALID.format(value=cells["theme"], choices=", ".join(Theme.values)))
    outcome_text = cells.get("outcome", "")
    if not outcome_text:
        outcome = Outcome.NOT_APPLICABLE if kind == Kind.COMPLIMENT else Outcome.OPEN
    elif (outcome := _OUTCOMES.get(_key(outcome_text))) is None:
        refuse("outcome", OUTCOME_INVALID.format(value=outcome_text, choices=", ".join(Outcome.values)))
    elif kind == Kind.COMPLIMENT and outcome != Outcome.NOT_APPLICABLE:
        refuse("outcome", OUTCOME_FOR_COMPLIMENT)
        outcome = None
    elif kind == Kind.COMPLAINT and outcome not in COMPLAINT_OUTCOMES:
        refuse("outcome", OUTCOME_INVALID.format(value=outcome_text, choices=", ".join(COMPLAINT_OUTCOMES)))
        outcome = None
    return kind, theme, outcome


def _check_rows(sheet, directory: _Directory, today: date) -> tuple[list[Entry], int, list[RowError]]:
    """The new entries, how many rows the log already holds, and every problem."""
    entries: list[Entry] = []
    already_logged = 0
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, cells in sheet.rows:
        row_errors: list[RowError] = []

        def refuse(column: str, reason: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, column, reason))

        reference = reference_key(cells["reference"])
        if not reference:
            refuse("reference", REF_REQUIRED)
        elif not REFERENCE.match(reference):
            refuse("reference", REF_INVALID)
        elif reference in first_row_of:
            refuse("reference", REF_REPEATED.format(row=first_row_of[reference]))
        else:
            first_row_of[reference] = number
        received = _received(cells["received_on"], today, refuse)
        area_id, team_id = _place(cells, directory, refuse)
        kind, theme, outcome = _classified(cells, refuse)
        learning = cells.get("learning", "")
        if len(learning) > LEARNING_LIMIT:
            refuse("learning", LEARNING_TOO_LONG)
        if row_errors:
            errors.extend(row_errors)
        elif reference in directory.logged:
            already_logged += 1
        elif not errors:  # once the file is refused, only its problems matter
            entries.append(
                Entry(
                    source_reference=reference,
                    received_on=received,
                    service_area_id=area_id,
                    team_id=team_id,
                    kind=kind,
                    theme=theme,
                    outcome=outcome,
                    learning=learning,
                    source=Source.IMPORTED,
                )
            )
    return entries, already_logged, errors


def complaints_import(*, actor, content: bytes, file_name: str, dry_run: bool = False) -> LoadSummary:
    """Check the complaints system's export and, unless `dry_run`, load it. Refuses the whole file
    (ImportRefused) on any bad row."""
    sheet = read_sheet(content, file_name, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    if not sheet.rows:
        raise ImportRefused([RowError(0, "", NO_ROWS)])
    with transaction.atomic():
        if not dry_run:
            # Two loads at once would each find a reference new and both add it: the second waits.
            locks.hold("evidence.complaints.import")
        entries, already_logged, errors = _check_rows(sheet, _Directory(), timezone.localdate())
        if errors:
            raise ImportRefused(errors)
        summary = LoadSummary(rows=len(sheet.rows), created=len(entries), already_logged=already_logged, load=None)
        if dry_run:
            return summary
        load = _save(actor=actor, entries=entries, summary=summary, file_name=file_name)
    logger.info("complaints load %s: %s rows, %s added", load.pk, summary.rows, summary.created)
    return LoadSummary(rows=summary.rows, created=summary.created, already_logged=already_logged, load=load)


def _save(*, actor, entries: list[Entry], summary: LoadSummary, file_name: str) -> EntryLoad:
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    load = EntryLoad.objects.create(
        loaded_by=user,
        loaded_at=now,
        file_name=file_name[:255],
        rows=summary.rows,
        created=summary.created,
        already_logged=summary.already_logged,
    )
    for entry in entries:
        entry.load, entry.recorded_by, entry.recorded_at = load, user, now
    created = Entry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    entry_type = ContentType.objects.get_for_model(Entry)
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                actor=user,
                at=now,
                action="complaints_entry.import",
                target_type=entry_type,
                target_id=entry.pk,
                summary=f"Loaded from the complaints system export {load.file_name}",
            )
            for entry in created
        ],
        batch_size=BATCH_SIZE,
    )
    return load
