"""The audit history import: the council's earlier audits (the QA spreadsheet) as closed audit records.

`python manage.py import_audits FILE` calls `audit_history_import`. The rules are those of every
import (quality/tabular.py): the whole file is checked and, if any row is wrong, nothing is saved
and every problem is reported with its row, column and reason.

An imported audit is a closed record: the file holds its grade, its moderated grade and what the
auditor wrote, never the answers to a tool's questions, so every imported audit points to one
shared, empty tool version ("Imported audit history"). Its spreadsheet reference is kept in
Audit.import_reference: importing the same reference again updates that audit, never a second one.
A moderated grade becomes a ModerationDecision (source IMPORTED, moderation.decisions), which is why
the import is moderation's: audits never imports moderation (docs/architecture.md). Decisions are
never edited or deleted (quality/append_only.py): a re-import that changes one records a new
decision superseding it, and one that drops a recorded moderated grade is refused at that row.

Speed (issue 15: 10,000 rows a second is the aim; bench/history_import.py measures it): the file is
read, checked and written _CHUNK rows at a time, so the memory an import takes does not grow with
the file (only the references seen so far, to refuse a repeated one). Each row is kept once, as a
small tuple, and each distinct cell text (a date, a grade, an e-mail) is parsed once. Service areas
and auditors are looked up the first time a chunk names them; earlier imports of a chunk's
references and its cases in one query each (on PostgreSQL one array parameter, not one parameter a
row). New audits, their events and their decisions are written by PostgreSQL's COPY, with the
audits' ids taken from their sequence (elsewhere, SQLite for one, by bulk_create); re-imported
audits by a bulk upsert. No model instance is made for a new row, and the queries grow with the
file only by a handful a chunk. Each chunk's foreign keys are then checked by their primary keys
(_foreign_keys_checked), not by reading the small tables they point to once a row. Most of the
database's time is those checks and the audits' indexes: an index on audits is a cost to every
imported row (Audit.Meta.indexes). Reading the next chunk in a thread while the database writes
one was tried and measured: on two cores it was no faster, so the import stays on one thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from itertools import islice
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Lookup, Model, Q, QuerySet
from django.db.models.functions import Lower, Upper
from django.db.models.lookups import In
from django.utils import timezone

from audits.cycle.dates import audit_period_start
from audits.grades import moderated_grade_event
from audits.messages import CASE_REFERENCE_INVALID
from audits.models import Audit, AuditEvent, AuditTool, Case, Grade, ToolVersion
from audits.services import CASE_REFERENCE, audit_event
from quality import locks
from quality.org.lookup import Problem, ServiceAreaLookup
from quality.org.models import ChangeRecord, Person
from quality.org.services import change_record, service_area_create
from quality.tabular import ImportRefused, RowError, open_sheet, parse_date, parse_yes_no

from .decisions import moderation_decision_build
from .models import ModerationDecision

User = get_user_model()

REQUIRED_COLUMNS = (
    "reference",
    "child_ref",
    "service_area",
    "kind",
    "theme",
    "auditor",
    "completed_on",
    "grade",
    "practitioner_discussion",
    "moderated_grade",
    "moderated_on",
)
OPTIONAL_COLUMNS = ("strengths", "areas_for_improvement")

TOOL_NAME = "Imported audit history"
TOOL_DESCRIPTION = (
    "The tool of every audit imported from the QA spreadsheet: those audits were answered outside the "
    "portal, so this tool has no questions. Do not start new audits on it."
)

# What a person reads next to a row and column. Tests assert on these.
VALUE_REQUIRED = "this column needs a value"
REFERENCE_TOO_LONG = "a reference has at most 64 characters"
REFERENCE_REPEATED = "this reference is also on row {row}: each audit appears once in the file"
AREA_UNKNOWN = (
    "'{value}' is not a service area's short code or name "
    "(check the spelling, or run the import with --create-service-areas to create it)"
)
KIND_UNKNOWN = "'{value}' is not a kind of audit (use monthly, themed, partnership, qa_thematic, review or reaudit)"
THEME_TOO_LONG = "a theme has at most 120 characters"
EMAIL_INVALID = "'{value}' is not an e-mail address"
EMAIL_WITHOUT_PERSON = (
    "'{value}' is the log-in of someone with no person record in the portal: an administrator must add them"
)
GRADE_UNKNOWN = (
    "'{value}' is not a grade (use outstanding, good, requires_improvement (or 'Requires Improvement' or RI), "
    "inadequate or ungraded)"
)
GRADE_REQUIRED = "give the grade, or 'ungraded'"
REVIEW_GRADED = "a case review is ungraded: write 'ungraded' or leave the grade blank"
MODERATED_UNGRADED = "a moderated grade is one of outstanding, good, requires_improvement or inadequate"
REVIEW_MODERATED = "a case review is ungraded, so it cannot have a moderated grade"
MODERATED_ON_REQUIRED = "a moderated grade needs the date of the moderation (moderated_on)"
MODERATED_GRADE_REQUIRED = "a moderation date needs the moderated grade (moderated_grade)"
MODERATED_BEFORE_COMPLETED = "the moderation date is before the audit was completed (completed_on)"
DATE_IN_FUTURE = "{value} is in the future"
MODERATION_RECORDED = (
    "this audit's moderated grade ({grade}, {day:%d/%m/%Y}) is already recorded as a moderation decision, "
    "which is never removed: give the moderated grade and date again (or the corrected ones)"
)

IMPORTED_REASON = "Imported from the audit history ({file_name})"
REIMPORTED_REASON = "Re-imported from the audit history ({file_name})"

_KINDS = {
    "monthly": Audit.Kind.MONTHLY,
    "themed": Audit.Kind.THEMED,
    "partnership": Audit.Kind.PARTNERSHIP,
    "qa_thematic": Audit.Kind.QA_THEMATIC,
    "review": Audit.Kind.REVIEW,
    "reaudit": Audit.Kind.RE_AUDIT,
    "re_audit": Audit.Kind.RE_AUDIT,
}
UNGRADED = ""
_GRADES = {
    "outstanding": Grade.OUTSTANDING,
    "good": Grade.GOOD,
    "requires improvement": Grade.REQUIRES_IMPROVEMENT,
    "ri": Grade.REQUIRES_IMPROVEMENT,
    "inadequate": Grade.INADEQUATE,
    "ungraded": UNGRADED,
}
_BATCH = 1000  # rows a bulk_create, a bulk upsert or a block of COPY sends at once
_CHUNK = 5000  # rows written together (and whose re-imported audits are read together)


class HistoryRow(NamedTuple):
    """One row of the file as parsed (a tuple: the whole file's rows are held until it is checked).
    A row with errors is kept (its service area and auditor are still checked, so every problem is
    reported at once) but the file is then refused."""

    number: int
    reference: str
    child_ref: str
    area_text: str  # the service_area cell as typed
    kind: str
    theme: str
    auditor_email: str  # lower-cased; "" when blank or not an e-mail address
    completed_on: date | None
    grade: str | None  # "" for ungraded
    discussion_held: bool | None
    moderated_grade: str
    moderated_on: date | None
    strengths: str
    areas_for_improvement: str

    @property
    def area_key(self) -> str:
        return self.area_text.lower()


@dataclass
class HistoryImportResult:
    file_name: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moderations_recorded: int = 0
    moderations_changed: int = 0
    people_created: int = 0
    areas_created: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        lines = [
            f"{self.file_name}: {self.rows} audit(s) read.",
            f"{self.created} new audit(s) {verb} imported, {self.updated} {verb} updated, "
            f"{self.unchanged} {'would be ' if self.dry_run else ''}unchanged.",
            f"Moderation decisions: {self.moderations_recorded} new, {self.moderations_changed} corrected.",
        ]
        if self.people_created:
            lines.append(f"{self.people_created} unknown auditor(s) {verb} added as inactive people (no roles).")
        if self.areas_created:
            lines.append(f"Service areas {verb} created: {', '.join(self.areas_created)}.")
        if self.dry_run:
            lines.append("Dry run: nothing was saved.")
        return "\n".join(lines)


def audit_history_import(
    *,
    actor,
    content: bytes,
    file_name: str,
    create_service_areas: bool = False,
    dry_run: bool = False,
) -> HistoryImportResult:
    """Import the audit history file, all or nothing. Raises ImportRefused (nothing saved) if any
    row is wrong. A dry run does all the work, reports it, and rolls it back."""
    _header, cells = open_sheet(content, file_name, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    result = HistoryImportResult(file_name=file_name, dry_run=dry_run)
    with closing(cells), transaction.atomic():
        # Two imports at once would both create the same new references: let them queue.
        locks.hold("audits.history_import")
        history = _History(actor=actor, file_name=file_name, create_service_areas=create_service_areas, result=result)
        for rows, errors in _parsed_chunks(cells, today=timezone.localdate()):
            history.take(rows, errors)
        history.finish()
        if dry_run:
            transaction.set_rollback(True)
    return result


class _History:
    """The import, a chunk of the file at a time (_parsed_chunks). Each chunk is checked
    against the portal (its service areas, its auditors, the audits it imported before) and, while
    the file has had no wrong row, written. From the first wrong row on nothing more is written,
    but the rest of the file is still read and checked, so that every problem is reported at once;
    finish() then refuses the file and the caller's transaction undoes what was written."""

    def __init__(self, *, actor, file_name: str, create_service_areas: bool, result: HistoryImportResult):
        self.actor, self.file_name, self.result = actor, file_name, result
        self.areas = _Areas(create=create_service_areas)
        self.auditors = _Auditors()
        self.errors: list[RowError] = []  # wrong rows
        self.refused: list[RowError] = []  # re-imported rows that would drop a recorded moderation
        self.writers: _Writers | None = None  # made when the first chunk is written
        self.days = _Days()

    def take(self, rows: list[HistoryRow], errors: list[RowError]) -> None:
        self.result.rows += len(rows)
        self.errors += errors
        self.errors += self.areas.resolve(rows)
        self.errors += self.auditors.resolve(rows)
        if self.errors:
            return
        for area in self.areas.create_planned(self.actor):
            self.result.areas_created.append(area.code)
        self.result.people_created += self.auditors.create_unknown(actor=self.actor, file_name=self.file_name)
        self._write(rows)

    def finish(self) -> None:
        if self.errors or self.refused:
            raise ImportRefused(self.errors + self.refused)
        self.result.unchanged = self.result.rows - self.result.created - self.result.updated

    def _write(self, rows: list[HistoryRow]) -> None:
        """Write a chunk: its new audits, and its re-imported ones brought in step. A re-imported row
        that would drop a recorded moderation refuses the file: the rest is still compared, so that
        every such row is reported, but nothing more is written."""
        if self.writers is None:
            reason = IMPORTED_REASON.format(file_name=self.file_name)
            self.writers = _Writers(actor=self.actor, version=history_tool_version(self.actor), reason=reason)
        audits = Audit.objects.order_by().values_list("import_reference", "pk")
        imported = dict(_where_in(audits, F("import_reference"), [row.reference for row in rows], probed=True))
        cases = Case.objects.order_by().annotate(ref=Upper("child_ref")).values_list("ref", "pk")
        cases = dict(_where_in(cases, Upper("child_ref"), list({row.child_ref for row in rows})))
        ids = {"cases": cases, "area_ids": self.areas.ids, "person_ids": self.auditors.ids, "days": self.days}
        new = [row for row in rows if row.reference not in imported]
        if new and not self.refused:
            self.result.moderations_recorded += _create(new, writers=self.writers, **ids)
            self.result.created += len(new)
            if _copies():
                _foreign_keys_checked()
        again = [row for row in rows if row.reference in imported]
        if again:
            self.refused += _update(
                again,
                existing=Audit.objects.in_bulk([imported[row.reference] for row in again]),
                ids=imported,
                actor=self.actor,
                reason=REIMPORTED_REASON.format(file_name=self.file_name),
                write=not self.refused,
                result=self.result,
                **ids,
            )


# ---------------------------------------------------------------------------------------
# Checking the rows

_KIND_SEPARATORS = re.compile(r"[\s-]+")
_GRADE_SEPARATORS = re.compile(r"[\s_-]+")


def _parsed_chunks(
    cells: Iterable[tuple[int, dict[str, str]]], *, today: date
) -> Iterator[tuple[list[HistoryRow], list[RowError]]]:
    """Every row checked, and kept as a HistoryRow, _CHUNK rows and their problems at a time. A
    history repeats its dates, grades, kinds and auditors thousands of times: each distinct cell
    text is parsed once (the caches below, kept for the whole file, as the references seen are)."""
    rows, errors, seen = [], [], {}
    dates, grades, kinds, emails, answers = {}, {}, {}, {}, {}
    texts = {}  # one string for each service area, theme and e-mail the rows repeat: they are held

    for number, cell in cells:
        get = cell.get

        reference = get("reference", "")
        if not reference:
            errors.append(RowError(number, "reference", VALUE_REQUIRED))
        elif len(reference) > 64:
            errors.append(RowError(number, "reference", REFERENCE_TOO_LONG))
        elif reference in seen:
            errors.append(RowError(number, "reference", REFERENCE_REPEATED.format(row=seen[reference])))
        else:
            seen[reference] = number

        child_ref = get("child_ref", "").upper()
        if not child_ref:
            errors.append(RowError(number, "child_ref", VALUE_REQUIRED))
        elif not CASE_REFERENCE.match(child_ref):
            errors.append(RowError(number, "child_ref", CASE_REFERENCE_INVALID))

        area_text = get("service_area", "")
        area_text = texts.setdefault(area_text, area_text)
        if not area_text:
            errors.append(RowError(number, "service_area", VALUE_REQUIRED))

        kind_text = get("kind", "")
        if not kind_text:
            errors.append(RowError(number, "kind", VALUE_REQUIRED))
            kind = ""
        else:
            kind = kinds.get(kind_text)
            if kind is None:
                kind = kinds[kind_text] = _plain(_KINDS.get(_KIND_SEPARATORS.sub("_", kind_text.lower()), ""))
            if not kind:
                errors.append(RowError(number, "kind", KIND_UNKNOWN.format(value=kind_text)))

        theme = get("theme", "")
        theme = texts.setdefault(theme, theme)
        if len(theme) > 120:
            errors.append(RowError(number, "theme", THEME_TOO_LONG))

        auditor_text = get("auditor", "")
        auditor_email = auditor_text.lower()
        auditor_email = texts.setdefault(auditor_email, auditor_email)
        if not auditor_email:
            errors.append(RowError(number, "auditor", VALUE_REQUIRED))
        else:
            valid = emails.get(auditor_email)
            if valid is None:
                valid = emails[auditor_email] = _is_email(auditor_email)
            if not valid:
                errors.append(RowError(number, "auditor", EMAIL_INVALID.format(value=auditor_text)))
                auditor_email = ""

        completed_text = get("completed_on", "")
        if not completed_text:
            errors.append(RowError(number, "completed_on", VALUE_REQUIRED))
            completed_on = None
        else:
            completed_on = _cached_date(dates, completed_text, today, number, "completed_on", errors)

        grade_text = get("grade", "")
        if not grade_text:
            if kind == Audit.Kind.REVIEW:
                grade = UNGRADED  # a review is ungraded: its grade may be left blank
            else:
                errors.append(RowError(number, "grade", GRADE_REQUIRED))
                grade = None
        else:
            grade = _cached_grade(grades, grade_text, number, "grade", errors)
            if kind == Audit.Kind.REVIEW and grade:
                errors.append(RowError(number, "grade", REVIEW_GRADED))

        moderated_text = get("moderated_grade", "")
        moderated_grade = _cached_grade(grades, moderated_text, number, "moderated_grade", errors)
        if moderated_grade == UNGRADED:
            errors.append(RowError(number, "moderated_grade", MODERATED_UNGRADED))
        elif moderated_grade and kind == Audit.Kind.REVIEW:
            errors.append(RowError(number, "moderated_grade", REVIEW_MODERATED))
        moderated_on_text = get("moderated_on", "")
        moderated_on = (
            _cached_date(dates, moderated_on_text, today, number, "moderated_on", errors) if moderated_on_text else None
        )
        if moderated_text and not moderated_on_text:
            errors.append(RowError(number, "moderated_on", MODERATED_ON_REQUIRED))
        if moderated_on_text and not moderated_text:
            errors.append(RowError(number, "moderated_grade", MODERATED_GRADE_REQUIRED))
        if moderated_on and completed_on and moderated_on < completed_on:
            errors.append(RowError(number, "moderated_on", MODERATED_BEFORE_COMPLETED))

        answer_text = get("practitioner_discussion", "")
        answer = answers.get(answer_text)
        if answer is None:
            try:
                answer = answers[answer_text] = (parse_yes_no(answer_text), "")
            except ValueError as error:
                answer = answers[answer_text] = (None, str(error))
        discussion_held, answer_error = answer
        if answer_error:
            errors.append(RowError(number, "practitioner_discussion", answer_error))

        rows.append(
            HistoryRow(
                number,
                reference,
                child_ref,
                area_text,
                kind,
                theme,
                auditor_email,
                completed_on,
                grade,
                discussion_held,
                moderated_grade or "",
                moderated_on,
                get("strengths", ""),
                get("areas_for_improvement", ""),
            )
        )
        if len(rows) == _CHUNK:
            yield rows, errors
            rows, errors = [], []
    if rows or errors:
        yield rows, errors


def _plain(value: str) -> str:
    """A choice as the plain string it is stored as (a TextChoices member is a str, but COPY wants str)."""
    return value.value if isinstance(value, Enum) else value


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def _cached_date(cache: dict, text: str, today: date, number: int, column: str, errors: list) -> date | None:
    """The date in a cell that is not blank (None, with the row's error, when it is not a date)."""
    found = cache.get(text)
    if found is None:
        try:
            day = parse_date(text)
        except ValueError as error:
            found = cache[text] = (None, str(error))
        else:
            found = cache[text] = (None, DATE_IN_FUTURE.format(value=text)) if day > today else (day, "")
    day, reason = found
    if reason:
        errors.append(RowError(number, column, reason))
    return day


def _cached_grade(cache: dict, text: str, number: int, column: str, errors: list) -> str | None:
    """The grade in a cell ("" for ungraded); None when the cell is blank or holds no grade (then
    with the row's error)."""
    if not text:
        return None
    if text in cache:
        grade = cache[text]
    else:
        grade = _GRADES.get(" ".join(_GRADE_SEPARATORS.split(text.lower())))
        grade = cache[text] = None if grade is None else _plain(grade)
    if grade is None:
        errors.append(RowError(number, column, GRADE_UNKNOWN.format(value=text)))
    return grade


# ---------------------------------------------------------------------------------------
# Service areas and auditors, each looked up once for the whole file


class _Areas:
    """Each service_area cell as an area, by the one rule of the imports (quality/org/lookup.py).
    The history names areas as they were called then, so old names and retired areas count.
    Unknown cells are planned as new areas (code, name) when `create`, else reported on every row."""

    def __init__(self, *, create: bool):
        self.create = create
        self.lookup = ServiceAreaLookup(include_retired=True)
        self.taken_codes = self.lookup.codes
        self.ids: dict[str, int] = {}  # cell (lower-cased) -> area id
        self.planned: dict[str, tuple[str, str]] = {}  # cell -> (code, name) of a new area
        self.refused: dict = {}  # cell -> the lookup's match, which says why

    def resolve(self, rows: list[HistoryRow]) -> list[RowError]:
        """Look up the cells not seen before; the rows whose area is refused."""
        for row in rows:
            key = row.area_key
            if not key or key in self.ids or key in self.planned or key in self.refused:
                continue
            match = self.lookup.find(key)
            if match.area:
                self.ids[key] = match.area.pk
            elif match.problem is Problem.UNKNOWN and self.create:
                self.planned[key] = (_new_area_code(key, self.taken_codes), row.area_text)
            else:
                self.refused[key] = match
        return [
            RowError(
                row.number, "service_area", self.refused[row.area_key].refusal(row.area_text, unknown=AREA_UNKNOWN)
            )
            for row in rows
            if row.area_key in self.refused
        ]

    def create_planned(self, actor) -> list:
        """Create the planned areas; the areas created."""
        created = []
        for key, (code, name) in self.planned.items():
            area = service_area_create(actor=actor, code=code, name=name)
            self.ids[key] = area.pk
            created.append(area)
        self.planned.clear()
        return created


def _new_area_code(value: str, taken: set[str]) -> str:
    """A short code for a new area: the value itself if it looks like one (one short word such as
    YPS or C&FF), else the initials of its words (young people's service -> YPS); numbered if taken."""
    if re.fullmatch(r"[a-z0-9&/+-]{1,12}", value):
        base = value.upper()
    else:
        words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", value))
        base = "".join(word[0] for word in words if word not in ("and", "of", "the", "for", "with")).upper()
        base = base[:12] or "AREA"
    code, number = base, 2
    while code.lower() in taken:
        code, number = f"{base}{number}", number + 1
    taken.add(code.lower())
    return code


class _Auditors:
    """Each auditor's e-mail as a person, looked up the first time a chunk names it."""

    def __init__(self):
        self.ids: dict[str, int] = {}  # e-mail -> person id
        self.unknown: list[str] = []  # e-mails nobody has yet, to be created
        self.orphans: set[str] = set()  # log-ins with no person record: refused
        self.seen: set[str] = set()

    def resolve(self, rows: list[HistoryRow]) -> list[RowError]:
        """Look up the e-mails not seen before; the rows whose auditor is refused."""
        emails = {row.auditor_email for row in rows if row.auditor_email} - self.seen
        if emails:
            self.seen |= emails
            people, orphans = _people_of(emails)
            self.ids |= {email: person.pk for email, person in people.items()}
            self.orphans |= orphans
            self.unknown += sorted(emails - set(people) - orphans)
        return [
            RowError(row.number, "auditor", EMAIL_WITHOUT_PERSON.format(value=row.auditor_email))
            for row in rows
            if row.auditor_email in self.orphans
        ]

    def create_unknown(self, *, actor, file_name: str) -> int:
        """Create the unknown auditors (_create_inactive_people); how many."""
        people = _create_inactive_people(actor=actor, emails=self.unknown, file_name=file_name)
        self.ids |= {email: person.pk for email, person in people.items()}
        self.unknown = []
        return len(people)


def _people_of(emails: set[str]) -> tuple[dict[str, Person], set[str]]:
    """The person of each e-mail (a match on the e-mail wins over one on the log-in name), and the
    e-mails that are the log-in of someone with no person record."""
    users = (
        User.objects.annotate(email_lc=Lower("email"), username_lc=Lower("username"))
        .filter(Q(email_lc__in=emails) | Q(username_lc__in=emails))
        .select_related("person")
    )
    people, orphans = {}, set()
    for user in users:
        person = getattr(user, "person", None)
        for email in {user.email_lc, user.username_lc} & emails:
            if person is None:
                orphans.add(email)
            elif user.email_lc == email or email not in people:
                people[email] = person
    return people, orphans - set(people)


def _create_inactive_people(*, actor, emails: list[str], file_name: str) -> dict[str, Person]:
    """Auditors the portal does not know: people who cannot sign in and hold no role, so that their
    audits stay attributed to them. An administrator can give them a role and activate them later."""
    if not emails:
        return {}
    users = []
    for email in emails:
        user = User(username=email, email=email, is_active=False)
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=_BATCH)
    people = Person.objects.bulk_create(
        [Person(user=user, full_name=_name_from_email(user.email)) for user in users], batch_size=_BATCH
    )
    person_type = ContentType.objects.get_for_model(Person)
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                actor=actor,
                target_type=person_type,
                target_id=person.pk,
                action="person.create",
                summary=f"Created {person} (inactive, no roles): an auditor named in the audit history",
                reason=IMPORTED_REASON.format(file_name=file_name),
            )
            for person in people
        ],
        batch_size=_BATCH,
    )
    return {person.user.email: person for person in people}


def _name_from_email(email: str) -> str:
    """jane.smith@council.example -> Jane Smith: a placeholder an administrator can correct."""
    words = re.split(r"[._+-]+", email.split("@")[0])
    return " ".join(word.capitalize() for word in words if word) or email


# ---------------------------------------------------------------------------------------
# Saving


def history_tool_version(actor) -> ToolVersion:
    """The one published, empty version every imported audit is on, made on first use. Safe when
    two imports start at once: the tool's unique name and the version's unique number decide."""
    tool, created = AuditTool.objects.get_or_create(
        name=TOOL_NAME,
        defaults={"service_area": None, "purpose": AuditTool.Purpose.IMPORTED, "description": TOOL_DESCRIPTION},
    )
    if created:
        change_record(actor=actor, target=tool, action="tool.create", summary=f"Created tool {tool} for imports")
    published = tool.versions.filter(state=ToolVersion.State.PUBLISHED).first()
    if published is not None:
        return published
    version, _ = ToolVersion.objects.get_or_create(
        tool=tool,
        number=1,
        defaults={
            "state": ToolVersion.State.PUBLISHED,
            "published_at": timezone.now(),
            "notes": "No questions: imported audits were answered outside the portal.",
        },
    )
    return version


# What a re-import may change. The tool version, created_at and the cycle's dates stay as they were.
_UPDATED_FIELDS = [
    "case_reference",
    "case",
    "service_area",
    "auditor",
    "kind",
    "theme",
    "period_start",
    "period_end",
    "overall_grade",
    "moderated_grade",
    "discussion_held",
    "strengths",
    "areas_for_improvement",
    "completed_on",
    "submitted_at",
    "state",
    "revision",
    "updated_at",
]


# What a new audit takes from its row, in this order (_new_audit_values); the other columns are the
# same for every audit of the file (_Writers.audit).
_NEW_FIELDS = (
    "import_reference",
    "case_reference",
    "case_id",
    "service_area_id",
    "auditor_id",
    "kind",
    "theme",
    "period_start",
    "period_end",
    "overall_grade",
    "moderated_grade",
    "discussion_held",
    "strengths",
    "areas_for_improvement",
    "completed_on",
    "submitted_at",
)
_DECISION_FIELDS = ("audit_id", "original_grade", "moderated_grade", "decided_on")


class _Days(dict):
    """A completion day's casework start and submission time, worked out once per day in the file."""

    def __missing__(self, day: date) -> tuple[date, datetime]:
        # The file gives a day; noon local time keeps it that day in lists and month filters.
        noon = timezone.make_aware(datetime.combine(day, time(12)), timezone.get_default_timezone())
        self[day] = found = (audit_period_start(day), noon)
        return found


def _values(row: HistoryRow, *, area_id: int, auditor_id: int, case_id: int | None, days: _Days) -> dict:
    period_start, submitted_at = days[row.completed_on]
    return {
        "case_reference": row.child_ref,
        "case_id": case_id,
        "service_area_id": area_id,
        "auditor_id": auditor_id,
        "kind": row.kind,
        "theme": row.theme,
        "period_start": period_start,
        "period_end": row.completed_on,
        "overall_grade": row.grade,
        "discussion_held": row.discussion_held,
        "strengths": row.strengths,
        "areas_for_improvement": row.areas_for_improvement,
        "completed_on": row.completed_on,
        "submitted_at": submitted_at,
        "state": Audit.State.CLOSED,
    }


def _new_audit_values(row: HistoryRow, *, area_id: int, auditor_id: int, case_id: int | None, days: _Days) -> tuple:
    """A new audit's _NEW_FIELDS: what _values gives an audit the file updates, and its reference
    and moderated grade."""
    period_start, submitted_at = days[row.completed_on]
    return (
        row.reference,
        row.child_ref,
        case_id,
        area_id,
        auditor_id,
        row.kind,
        row.theme,
        period_start,
        row.completed_on,
        row.grade,
        row.moderated_grade,
        row.discussion_held,
        row.strengths,
        row.areas_for_improvement,
        row.completed_on,
        submitted_at,
    )


def _decisions_of(audit_ids: list[int]) -> dict[int, tuple[list, list]]:
    """For each audit: its other standing moderation decisions, and its imported ones (newest first)."""
    found = {}
    standing = ModerationDecision.objects.standing().filter(audit_id__in=audit_ids)
    for decision in standing.order_by("-decided_on", "-pk"):
        others, imported = found.setdefault(decision.audit_id, ([], []))
        (imported if decision.source == ModerationDecision.Source.IMPORTED else others).append(decision)
    return found


def _latest_grade(decisions: list[ModerationDecision]) -> str:
    """The grade of the latest decision: the audit's moderated grade ("" when none)."""
    if not decisions:
        return ""
    return max(decisions, key=lambda d: (d.decided_on, d.pk or 0)).moderated_grade


def _imported_decision(audit: Audit, row: HistoryRow, *, actor, reason: str, supersedes=None) -> ModerationDecision:
    return moderation_decision_build(
        audit=audit,
        source=ModerationDecision.Source.IMPORTED,
        original_grade=row.grade,
        moderated_grade=row.moderated_grade,
        decided_on=row.moderated_on,
        rationale=reason,
        recorded_by=actor,
        supersedes=supersedes,
    )


def _reimported_decision(
    kept: ModerationDecision | None, audit: Audit, row: HistoryRow, *, actor, reason: str
) -> ModerationDecision | RowError | None:
    """The decision a re-imported row adds, superseding the audit's standing imported one `kept`;
    None when `kept` already says it; the row's error when the row drops a recorded moderated grade."""
    if not row.moderated_grade:
        if kept is None:
            return None
        grade = Grade(kept.moderated_grade).label
        return RowError(row.number, "moderated_grade", MODERATION_RECORDED.format(grade=grade, day=kept.decided_on))
    wanted = (row.grade, row.moderated_grade, row.moderated_on)
    if kept is not None and (kept.original_grade, kept.moderated_grade, kept.decided_on) == wanted:
        return None
    return _imported_decision(audit, row, actor=actor, reason=reason, supersedes=kept)


def _bulk_save(model, objects: list, *, fields: list[str]) -> None:
    """Write changed rows back in bulk. bulk_update's CASE WHEN per field is quadratic in the batch
    (minutes for a 5,000-row re-import); an upsert on the primary key is linear."""
    model.objects.bulk_create(
        objects, update_conflicts=True, unique_fields=["pk"], update_fields=fields, batch_size=_BATCH
    )


class _Writers:
    """What every new row of the file writes, apart from the values its row gives: one unsaved
    instance per table, defined by the module that defines the record (audits.services.audit_event,
    moderation.decisions), and whatever its model's defaults say."""

    def __init__(self, *, actor, version: ToolVersion, reason: str):
        self.audit = Audit(tool_version=version, state=Audit.State.CLOSED)
        blank = Audit()
        self.event = audit_event(blank, actor, "state", "", Audit.State.CLOSED, reason)
        self.decision = moderation_decision_build(
            audit=blank,
            source=ModerationDecision.Source.IMPORTED,
            original_grade="",
            moderated_grade="",
            decided_on=None,
            rationale=reason,
            recorded_by=actor,
        )


def _create(rows: list[HistoryRow], *, writers: _Writers, cases, area_ids, person_ids, days: _Days) -> int:
    """Write new audits, each with the event of its import and, when moderated, its imported
    decision. Returns the number of decisions."""
    values = (
        _new_audit_values(
            row,
            area_id=area_ids[row.area_key],
            auditor_id=person_ids[row.auditor_email],
            case_id=cases.get(row.child_ref),
            days=days,
        )
        for row in rows
    )
    if _copies():
        ids = _reserved_ids(Audit, len(rows))
        _copy(writers.audit, ("id", *_NEW_FIELDS), ((pk, *audit) for pk, audit in zip(ids, values, strict=True)))
    else:
        ids = _created(writers.audit, _NEW_FIELDS, values)
    _insert(writers.event, ("audit_id",), ((pk,) for pk in ids))
    decisions = [
        (pk, row.grade, row.moderated_grade, row.moderated_on)
        for pk, row in zip(ids, rows, strict=True)
        if row.moderated_grade
    ]
    _insert(writers.decision, _DECISION_FIELDS, decisions)
    return len(decisions)


def _update(
    rows: list[HistoryRow],
    *,
    existing: dict[int, Audit],
    ids: dict[str, int],
    actor,
    reason: str,
    write: bool,
    cases,
    area_ids,
    person_ids,
    days: _Days,
    result: HistoryImportResult,
) -> list[RowError]:
    """Bring audits imported before in step with the file; the rows refused (a recorded moderated
    grade dropped). Writes nothing unless `write` (the file is already refused)."""
    decisions = _decisions_of([audit.pk for audit in existing.values()])
    now = timezone.now()
    changed, events, decisions_new, refused = [], [], [], []
    for row in rows:
        audit = existing[ids[row.reference]]
        values = _values(
            row,
            area_id=area_ids[row.area_key],
            auditor_id=person_ids[row.auditor_email],
            case_id=cases.get(row.child_ref),
            days=days,
        )
        # The standing imported decision stays in step with the file by being superseded.
        others, mine = decisions.get(audit.pk, ([], []))
        kept = mine[0] if mine else None
        added = _reimported_decision(kept, audit, row, actor=actor, reason=reason)
        if isinstance(added, RowError):
            refused.append(added)
            continue
        if added is not None:
            decisions_new.append(added)
            kept = added
        values["moderated_grade"] = _latest_grade([*others, *([kept] if kept else [])])

        if all(getattr(audit, name) == value for name, value in values.items()):
            continue
        # Events written in bulk, defined as every writer defines them (audits.services, audits.grades).
        for what in ("state", "overall_grade"):
            if getattr(audit, what) != values[what]:
                events.append(audit_event(audit, actor, what, getattr(audit, what), values[what], reason))
        if audit.moderated_grade != values["moderated_grade"]:
            grade = values["moderated_grade"]
            events.append(moderated_grade_event(actor=actor, audit=audit, grade=grade, reason=reason))
        for name, value in values.items():
            setattr(audit, name, value)
        audit.revision += 1
        audit.updated_at = now
        changed.append(audit)

    if write and not refused:
        _bulk_save(Audit, changed, fields=_UPDATED_FIELDS)
        AuditEvent.objects.bulk_create(events, batch_size=_BATCH)
        ModerationDecision.objects.bulk_create(decisions_new, batch_size=_BATCH)
    result.updated += len(changed)
    corrections = sum(1 for decision in decisions_new if decision.supersedes is not None)
    result.moderations_changed += corrections
    result.moderations_recorded += len(decisions_new) - corrections
    return refused


# ---------------------------------------------------------------------------------------
# Writing new rows: COPY on PostgreSQL, bulk_create elsewhere


def _copies() -> bool:
    return connection.vendor == "postgresql"


class _AnyOf(Lookup):
    """`lhs = ANY(%s)`: one array parameter, however many values (an IN list has one each). The
    planner counts the values: for many it reads the table once, matching each row in a hash of them."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


class _ProbedAnyOf(_AnyOf):
    """`lhs = ANY(ARRAY(SELECT unnest(%s)))`: the same array out of the planner's sight (an InitPlan),
    so that it looks each value up in the index on `lhs`. Counted, a file's 50,000 references made it
    read the whole audits table (half a second at a million audits; probed, a tenth of that)."""

    lookup_name = "probed_any_of"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY(SELECT unnest(%s::text[])))", [*params, list(self.rhs)]


def _where_in(queryset: QuerySet, lhs, values: list[str], *, probed: bool = False) -> Iterator:
    """The rows of `queryset` whose `lhs` (a text expression) is one of `values`: on PostgreSQL in one
    query (`probed`: through the index on `lhs`, for a big table), elsewhere (SQLite caps a
    statement's parameters) _CHUNK values at a time."""
    if _copies():
        yield from queryset.filter((_ProbedAnyOf if probed else _AnyOf)(lhs, values))
        return
    for start in range(0, len(values), _CHUNK):
        yield from queryset.filter(In(lhs, values[start : start + _CHUNK]))


def _foreign_keys_checked() -> None:
    """Check the foreign keys of the rows written now rather than at commit: the same checks
    (PostgreSQL's deferred constraint triggers, a query per key of each new row), planned with
    sequential scans priced out. Each check's plan is made once per connection, and for a small
    table (the service areas, the tool versions, a few hundred people) it would read the whole table
    for each row: a third of a 50,000-row import's time. By the primary key, each is one probe. A
    failed check raises IntegrityError and the import's transaction undoes everything (the setting
    with it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        (was,) = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        connection.check_constraints()  # SET CONSTRAINTS ALL IMMEDIATE, then DEFERRED (as they were)
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [was])


def _reserved_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence: rows written with them are rows the
    database would have numbered so, and other writers keep taking numbers past them."""
    opts = model._meta
    with connection.cursor() as cursor:
        # The sequence named once (a scalar subquery), not once a row: that would cost more than the rows.
        cursor.execute(
            "SELECT array_agg(nextval((SELECT pg_get_serial_sequence(%s, %s)::regclass))) FROM generate_series(1, %s)",
            [connection.ops.quote_name(opts.db_table), opts.pk.column, count],
        )
        return sorted(cursor.fetchone()[0])


def _insert(template: Model, fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert rows of `template`'s model: `fields` (attribute names) from each of `rows`, every
    other column as on `template` (its defaults and auto_now stamps); the database numbers them."""
    if _copies():
        _copy(template, fields, rows)
    else:
        _created(template, fields, rows)


def _other_fields(template: Model, fields: Sequence[str]) -> list:
    """The columns written from `template`: not the row's fields, not the primary key (unless the
    row gives it), not a column the database computes."""
    given = set(fields)
    return [
        field
        for field in template._meta.concrete_fields
        if field.attname not in given and not field.primary_key and not field.generated
    ]


def _copy(template: Model, fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """One COPY of the rows, written as COPY's text format (_copy_text) a block of rows at a time;
    the columns that are the same on every row are formatted once, and those that are NULL on every
    row (most of a new audit's) are left out: a column Django made has no default of its own unless
    its field has a db_default, so the database writes NULL in them without reading a \\N a row. A
    thread of psycopg's sends each block while the next is formatted, so the database inserts while
    Python formats."""
    from psycopg.copy import QueuedLibpqWriter  # here: only the PostgreSQL path needs psycopg

    opts, quote = template._meta, connection.ops.quote_name
    others = [
        (field, value)
        for field in _other_fields(template, fields)
        if (value := field.get_db_prep_save(field.pre_save(template, True), connection)) is not None
        or field.has_db_default()
    ]
    same = "".join("\t" + _copy_text(value) for _field, value in others)
    columns = [opts.get_field(name).column for name in fields] + [field.column for field, _value in others]
    sql = f"COPY {quote(opts.db_table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    line_end = same + "\n"
    rows = iter(rows)
    with connection.cursor() as wrapper, wrapper.cursor.copy(sql, writer=QueuedLibpqWriter(wrapper.cursor)) as copy:
        texts = _COPY_TEXT
        while block := ["\t".join([texts[type(v)](v) for v in row]) + line_end for row in islice(rows, _BATCH)]:
            copy.write("".join(block))


def _escaped(text: str) -> str:
    """Text as COPY's text format writes it: backslash, tab, newline and carriage return escaped
    with a backslash (nothing else is special; the file's text holds no NUL)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_text_other(value) -> str:
    """COPY's text for the types _COPY_TEXT does not name: choices, psycopg's Int4 and the like."""
    if isinstance(value, Enum):  # a TextChoices member: its value
        return _copy_text(value.value)
    if isinstance(value, str):
        return _escaped(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, date):  # and datetime, and the clock a test freezes (freezegun's own classes)
        return value.isoformat()
    raise TypeError(f"no COPY text for a {type(value).__name__}")


class _CopyTexts(dict):
    def __missing__(self, kind: type):
        return _copy_text_other


# COPY's text format of a value, by its exact type (a dict lookup per value: the rows are many).
_COPY_TEXT = _CopyTexts(
    {
        str: _escaped,
        type(None): lambda value: "\\N",
        bool: lambda value: "t" if value else "f",
        int: int.__repr__,
        date: date.isoformat,  # ISO 8601
        datetime: datetime.isoformat,  # with its UTC offset
    }
)


def _copy_text(value) -> str:
    return _COPY_TEXT[type(value)](value)


def _created(template: Model, fields: Sequence[str], rows: Iterable[tuple]) -> list[int]:
    """bulk_create, a batch at a time (never the whole file's instances at once); the new rows' ids."""
    model = type(template)
    common = {field.attname: getattr(template, field.attname) for field in _other_fields(template, fields)}
    ids, rows = [], iter(rows)
    while batch := [model(**common, **dict(zip(fields, row, strict=True))) for row in islice(rows, _BATCH)]:
        ids += [obj.pk for obj in model.objects.bulk_create(batch)]
    return ids
