"""Loading the council's case list (Ofsted's 'Annex A'): a CSV or XLSX file of the open cases.

The whole file is checked before anything is saved; one bad row refuses the file (ImportRefused
with every problem, row by row). A good file updates the cases it names (matched by child
reference), creates the new ones, closes the open cases it leaves out and reopens closed cases that
come back. Service areas, teams and people are read once up front and the cases are written in
bulk, so a list of 20,000 cases loads in seconds with a handful of queries whatever its size.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from quality import locks
from quality.org.lookup import ServiceAreaLookup
from quality.org.models import Person, Team
from quality.tabular import ImportRefused, RowError, parse_date, read_sheet

from ..models import Case, CaseImport, LegalStatus
from ..services import CASE_REFERENCE

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("child_ref", "service_area", "team", "worker_email", "manager_email", "legal_status", "open_since")
OPTIONAL_COLUMNS = ("age_band", "gender", "ethnicity", "disability")
PERSON_COLUMNS = ("worker_email", "manager_email")
# The optional columns are free text the council's system exports; they must fit the model's fields.
TEXT_LIMITS = {name: Case._meta.get_field(name).max_length for name in OPTIONAL_COLUMNS}
# Fields a row of the list sets on a case; a case whose values all match is left as it is.
ROW_FIELDS = (
    "service_area_id",
    "team_id",
    "worker_id",
    "manager_id",
    "legal_status",
    "open_since",
    *OPTIONAL_COLUMNS,
)
BATCH_SIZE = 1000
# Two imports at once would race to create the same references: the second waits for the first.

# Reasons a row is refused, shown next to its row number and column. Tests assert on these.
REF_REQUIRED = "give the child's case reference"
REF_INVALID = "use the case number only (letters, digits and -, 2 to 32 characters), never a name"
REF_REPEATED = "this case reference is already on row {row}"
AREA_REQUIRED = "give the service area's short code, for example SWF"
AREA_UNKNOWN = "'{value}' is not a service area of the portal (use its short code, for example SWF)"
AREA_RETIRED = "{code} is retired: give the service area that took over its work"
TEAM_UNKNOWN = "'{value}' is not a team of {code}"
TEAM_CLOSED = "the team '{value}' is closed in the portal"
PERSON_UNKNOWN = "'{value}' is nobody in the portal (use the e-mail address they sign in with)"
PERSON_INACTIVE = "'{value}' has left: their account in the portal is deactivated"
MANAGER_REQUIRED = "give the e-mail address of the case's manager"
STATUS_REQUIRED = "give the legal status: cin, cp, cla, care_leaver or early_help"
STATUS_INVALID = "'{value}' is not a legal status (use cin, cp, cla, care_leaver or early_help)"
OPEN_SINCE_REQUIRED = "give the date the case opened"
OPEN_SINCE_FUTURE = "{value} is in the future: give the date the case opened"
TEXT_TOO_LONG = "longer than {limit} characters"
NO_CASES = "the file has no cases under its header: loading it would close every open case"

# Codes, and the labels people write ('Child in need', 'Care leaver'), in any case.
_STATUSES = {
    **{value: value for value in LegalStatus.values},
    **{label.lower().replace(" ", "_"): value for value, label in LegalStatus.choices},
}


@dataclass(frozen=True)
class CaseImportSummary:
    """What an import changed (or, for a dry run, would change)."""

    rows: int
    created: int
    updated: int  # cases already known whose details changed, reopened ones included
    unchanged: int
    closed: int  # open cases the list leaves out
    reopened: int  # closed cases the list names again
    record: CaseImport | None  # None for a dry run: nothing was saved

    @property
    def dry_run(self) -> bool:
        return self.record is None

    def __str__(self) -> str:
        verb = "would be" if self.dry_run else "were"
        cases = "case" if self.rows == 1 else "cases"
        return (
            f"{self.rows:,} {cases} in the file: {self.created:,} new, {self.updated:,} updated "
            f"({self.reopened:,} of them reopened), {self.unchanged:,} unchanged; "
            f"{self.closed:,} open cases missing from the list {verb} closed."
        )


@dataclass
class _Row:
    number: int
    child_ref: str
    values: dict  # ROW_FIELDS -> value


class _Directory:
    """Service areas, teams and people, each read once, for checking every row."""

    def __init__(self, emails: set[str]):
        self.areas = ServiceAreaLookup(include_retired=False)  # the list is of cases open today
        self.teams = {
            (area_id, name.lower()): (pk, is_active)
            for pk, area_id, name, is_active in Team.objects.values_list("pk", "service_area_id", "name", "is_active")
        }
        self.people = {
            email: (pk, is_active)
            for email, pk, is_active in Person.objects.annotate(email_key=Lower("user__email"))
            .filter(email_key__in=emails)
            .values_list("email_key", "pk", "user__is_active")
        }


def _check_rows(sheet, today: date) -> tuple[list[_Row], list[RowError]]:
    emails = {cells[column].lower() for _, cells in sheet.rows for column in PERSON_COLUMNS if cells[column]}
    directory = _Directory(emails)
    rows: list[_Row] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}

    for number, cells in sheet.rows:
        row_errors: list[RowError] = []

        def refuse(column: str, reason: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, column, reason))

        child_ref = cells["child_ref"].upper()
        if not child_ref:
            refuse("child_ref", REF_REQUIRED)
        elif not CASE_REFERENCE.match(child_ref):
            refuse("child_ref", REF_INVALID)
        elif child_ref in first_row_of:
            refuse("child_ref", REF_REPEATED.format(row=first_row_of[child_ref]))
        else:
            first_row_of[child_ref] = number

        area_id = None
        if not cells["service_area"]:
            refuse("service_area", AREA_REQUIRED)
        elif (match := directory.areas.find(cells["service_area"])).problem:
            refuse("service_area", match.refusal(cells["service_area"], unknown=AREA_UNKNOWN, retired=AREA_RETIRED))
        else:
            area_id = match.area.pk

        team_id = None
        if cells["team"] and area_id is not None:
            team = directory.teams.get((area_id, cells["team"].lower()))
            if team is None:
                refuse("team", TEAM_UNKNOWN.format(value=cells["team"], code=match.area.code))
            elif not team[1]:
                refuse("team", TEAM_CLOSED.format(value=cells["team"]))
            else:
                team_id = team[0]

        people = {}
        for column in PERSON_COLUMNS:
            email = cells[column]
            people[column] = None
            if not email:
                if column == "manager_email":
                    refuse(column, MANAGER_REQUIRED)
            elif (person := directory.people.get(email.lower())) is None:
                refuse(column, PERSON_UNKNOWN.format(value=email))
            elif not person[1]:
                refuse(column, PERSON_INACTIVE.format(value=email))
            else:
                people[column] = person[0]

        status = cells["legal_status"].lower().replace(" ", "_").replace("-", "_")
        if not status:
            refuse("legal_status", STATUS_REQUIRED)
        elif status not in _STATUSES:
            refuse("legal_status", STATUS_INVALID.format(value=cells["legal_status"]))

        open_since = None
        if not cells["open_since"]:
            refuse("open_since", OPEN_SINCE_REQUIRED)
        else:
            try:
                open_since = parse_date(cells["open_since"])
            except ValueError as error:
                refuse("open_since", str(error))
            else:
                if open_since > today:
                    refuse("open_since", OPEN_SINCE_FUTURE.format(value=cells["open_since"]))

        extras = {name: cells.get(name, "") for name in OPTIONAL_COLUMNS}
        for name, text in extras.items():
            if len(text) > TEXT_LIMITS[name]:
                refuse(name, TEXT_TOO_LONG.format(limit=TEXT_LIMITS[name]))

        if row_errors:
            errors.extend(row_errors)
        elif not errors:  # once the file is refused, only its problems matter
            values = {
                "service_area_id": area_id,
                "team_id": team_id,
                "worker_id": people["worker_email"],
                "manager_id": people["manager_email"],
                "legal_status": _STATUSES[status],
                "open_since": open_since,
                **extras,
            }
            rows.append(_Row(number, child_ref, values))
    return rows, errors


def case_list_import(*, actor, content: bytes, file_name: str, dry_run: bool = False) -> CaseImportSummary:
    """Check a case list and, unless `dry_run`, load it. Refuses the whole file (ImportRefused) on any bad row."""
    today = timezone.localdate()
    sheet = read_sheet(content, file_name, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    if not sheet.rows:  # the header alone (an export that failed, the blank template): surely not the list
        raise ImportRefused([RowError(0, "", NO_CASES)])
    rows, errors = _check_rows(sheet, today)
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        if not dry_run:
            locks.hold("audits.cycle.case_import")
        summary = _apply(actor=actor, rows=rows, file_name=file_name, today=today, dry_run=dry_run)
    if summary.record is not None:
        logger.info(
            "case list import %s: %s rows, %s created, %s updated, %s closed",
            summary.record.pk,
            summary.rows,
            summary.created,
            summary.updated,
            summary.closed,
        )
    return summary


def _apply(*, actor, rows: list[_Row], file_name: str, today: date, dry_run: bool) -> CaseImportSummary:
    # Plain values, not model instances: reading 20,000 cases this way is several times faster.
    existing = {
        child_ref.upper(): (pk, is_open, dict(zip(ROW_FIELDS, values, strict=True)))
        for pk, child_ref, is_open, *values in Case.objects.values_list("pk", "child_ref", "is_open", *ROW_FIELDS)
    }
    now = timezone.now()
    to_create: list[Case] = []
    # Changed cases grouped by which fields changed: bulk_update then writes only those columns
    # (its cost grows with rows x columns, and a month's list usually changes one or two fields).
    changed: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    changed_pks: list[int] = []
    unchanged_pks: list[int] = []
    reopened = 0
    for row in rows:
        known = existing.pop(row.child_ref, None)
        if known is None:
            to_create.append(Case(child_ref=row.child_ref, **row.values))
            continue
        pk, is_open, before = known
        fields = tuple(name for name, value in row.values.items() if before[name] != value)
        if not fields and is_open:
            unchanged_pks.append(pk)
            continue
        reopened += not is_open
        changed_pks.append(pk)
        if fields:
            changed[fields].append(Case(pk=pk, **{name: row.values[name] for name in fields}))
    # What is left of the known cases is not on this list: the open ones have closed.
    to_close = [pk for pk, is_open, _ in existing.values() if is_open]

    record = None
    if not dry_run:
        user = actor if getattr(actor, "is_authenticated", False) else None
        record = CaseImport.objects.create(
            imported_by=user,
            file_name=file_name[:255],
            rows=len(rows),
            created=len(to_create),
            updated=len(changed_pks),
            closed=len(to_close),
        )
        for case in to_create:
            case.last_import = record
        Case.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        for fields, cases in changed.items():
            Case.objects.bulk_update(cases, fields, batch_size=BATCH_SIZE)
        if changed_pks:
            Case.objects.filter(pk__in=changed_pks).update(
                is_open=True, closed_on=None, last_import=record, updated_at=now
            )
        if unchanged_pks:
            Case.objects.filter(pk__in=unchanged_pks).update(last_import=record)
        if to_close:
            Case.objects.filter(pk__in=to_close).update(is_open=False, closed_on=today, updated_at=now)
    return CaseImportSummary(
        rows=len(rows),
        created=len(to_create),
        updated=len(changed_pks),
        unchanged=len(unchanged_pks),
        closed=len(to_close),
        reopened=reopened,
        record=record,
    )
