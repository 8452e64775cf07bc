"""The audit history import: the council's earlier audits (the QA spreadsheet) as closed audit records.

`python manage.py import_audits FILE` calls `audit_history_import`. The rules are those of every
import (quality/tabular.py): the whole file is checked first and, if any row is wrong, nothing is
saved and every problem is reported with its row, column and reason.

An imported audit is a closed record: the file holds its grade, its moderated grade and what the
auditor wrote, never the answers to a tool's questions, so every imported audit points to one
shared, empty tool version ("Imported audit history"). Its spreadsheet reference is kept in
Audit.import_reference: importing the same reference again updates that audit, never a second one.
A moderated grade becomes a ModerationDecision (source IMPORTED, moderation.decisions), which is why
the import is moderation's: audits never imports moderation (docs/architecture.md). Decisions are
never edited or deleted (quality/append_only.py): a re-import that changes one records a new
decision superseding it, and one that drops a recorded moderated grade is refused at that row.

Speed: a file is a few thousand rows; everything is looked up once before the rows are read, and
written in bulk, so the number of queries does not grow with the number of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from audits.cycle.dates import audit_period_start
from audits.grades import moderated_grade_event
from audits.messages import CASE_REFERENCE_INVALID
from audits.models import Audit, AuditEvent, AuditTool, Case, Grade, ToolVersion
from audits.services import CASE_REFERENCE, audit_event
from quality import locks
from quality.org.lookup import Problem, ServiceAreaLookup
from quality.org.models import ChangeRecord, Person, ServiceArea
from quality.org.services import change_record, service_area_create
from quality.tabular import ImportRefused, RowError, parse_date, parse_yes_no, read_sheet

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
_BATCH = 1000


@dataclass(frozen=True)
class HistoryRow:
    """One row of the file as parsed. A row with errors is kept (its service area and auditor are
    still checked, so every problem is reported at once) but the file is then refused."""

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
    sheet = read_sheet(content, file_name, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    result = HistoryImportResult(file_name=file_name, dry_run=dry_run, rows=len(sheet.rows))
    with transaction.atomic():
        # Two imports at once would both create the same new references: let them queue.
        locks.hold("audits.history_import")
        rows, errors = _parse_rows(sheet.rows, today=timezone.localdate())
        areas, new_areas, area_errors = _resolve_areas(rows, create=create_service_areas)
        people, new_emails, people_errors = _resolve_auditors(rows)
        errors += area_errors + people_errors
        if errors:
            raise ImportRefused(errors)
        for key, (code, name) in new_areas.items():
            areas[key] = service_area_create(actor=actor, code=code, name=name)
            result.areas_created.append(areas[key].code)
        people |= _create_inactive_people(actor=actor, emails=new_emails, file_name=file_name)
        result.people_created = len(new_emails)
        _save(actor=actor, rows=rows, areas=areas, people=people, file_name=file_name, result=result)
        if dry_run:
            transaction.set_rollback(True)
    return result


# ---------------------------------------------------------------------------------------
# Checking the rows


def _parse_rows(cells: list[tuple[int, dict[str, str]]], *, today: date) -> tuple[list[HistoryRow], list[RowError]]:
    rows, errors, seen = [], [], {}
    for number, cell in cells:

        def fail(column: str, reason: str, *, number=number) -> None:
            errors.append(RowError(number, column, reason))

        def needed(column: str, *, cell=cell) -> str:
            value = cell.get(column, "")
            if not value:
                fail(column, VALUE_REQUIRED)
            return value

        reference = needed("reference")
        if len(reference) > 64:
            fail("reference", REFERENCE_TOO_LONG)
        elif reference in seen:
            fail("reference", REFERENCE_REPEATED.format(row=seen[reference]))
        elif reference:
            seen[reference] = number

        child_ref = needed("child_ref").upper()
        if child_ref and not CASE_REFERENCE.match(child_ref):
            fail("child_ref", CASE_REFERENCE_INVALID)

        area_text = needed("service_area")

        kind_text = needed("kind")
        kind = _KINDS.get(re.sub(r"[\s-]+", "_", kind_text.lower()), "")
        if kind_text and not kind:
            fail("kind", KIND_UNKNOWN.format(value=kind_text))

        theme = cell.get("theme", "")
        if len(theme) > 120:
            fail("theme", THEME_TOO_LONG)

        auditor_email = needed("auditor").lower()
        if auditor_email:
            try:
                validate_email(auditor_email)
            except ValidationError:
                fail("auditor", EMAIL_INVALID.format(value=cell["auditor"]))
                auditor_email = ""

        completed_on = _date_cell(cell, "completed_on", fail, today=today, required=True)

        grade = _grade_cell(cell, "grade", fail)
        if not cell.get("grade"):
            if kind == Audit.Kind.REVIEW:
                grade = UNGRADED  # a review is ungraded: its grade may be left blank
            else:
                fail("grade", GRADE_REQUIRED)
        elif kind == Audit.Kind.REVIEW and grade:
            fail("grade", REVIEW_GRADED)

        moderated_grade = _grade_cell(cell, "moderated_grade", fail)
        if moderated_grade == UNGRADED:
            fail("moderated_grade", MODERATED_UNGRADED)
        elif moderated_grade and kind == Audit.Kind.REVIEW:
            fail("moderated_grade", REVIEW_MODERATED)
        moderated_on = _date_cell(cell, "moderated_on", fail, today=today, required=False)
        if cell.get("moderated_grade") and not cell.get("moderated_on"):
            fail("moderated_on", MODERATED_ON_REQUIRED)
        if cell.get("moderated_on") and not cell.get("moderated_grade"):
            fail("moderated_grade", MODERATED_GRADE_REQUIRED)
        if moderated_on and completed_on and moderated_on < completed_on:
            fail("moderated_on", MODERATED_BEFORE_COMPLETED)

        try:
            discussion_held = parse_yes_no(cell.get("practitioner_discussion", ""))
        except ValueError as error:
            fail("practitioner_discussion", str(error))
            discussion_held = None

        rows.append(
            HistoryRow(
                number=number,
                reference=reference,
                child_ref=child_ref,
                area_text=area_text,
                kind=kind,
                theme=theme,
                auditor_email=auditor_email,
                completed_on=completed_on,
                grade=grade,
                discussion_held=discussion_held,
                moderated_grade=moderated_grade or "",
                moderated_on=moderated_on,
                strengths=cell.get("strengths", ""),
                areas_for_improvement=cell.get("areas_for_improvement", ""),
            )
        )
    return rows, errors


def _date_cell(cell: dict[str, str], column: str, fail, *, today: date, required: bool) -> date | None:
    text = cell.get(column, "")
    if not text:
        if required:
            fail(column, VALUE_REQUIRED)
        return None
    try:
        day = parse_date(text)
    except ValueError as error:
        fail(column, str(error))
        return None
    if day > today:
        fail(column, DATE_IN_FUTURE.format(value=text))
        return None
    return day


def _grade_cell(cell: dict[str, str], column: str, fail) -> str | None:
    """The grade in a cell ("" for ungraded); None when the cell is blank or holds no grade."""
    text = cell.get(column, "")
    if not text:
        return None
    grade = _GRADES.get(" ".join(re.split(r"[\s_-]+", text.lower())))
    if grade is None:
        fail(column, GRADE_UNKNOWN.format(value=text))
    return grade


# ---------------------------------------------------------------------------------------
# Service areas and auditors, looked up once for the whole file


def _resolve_areas(rows: list[HistoryRow], *, create: bool):
    """Each service_area cell as an area, by the one rule of the imports (quality/org/lookup.py).
    The history names areas as they were called then, so old names and retired areas count.
    Unknown cells are planned as new areas (code, name) when `create`, else reported on every row."""
    lookup = ServiceAreaLookup(include_retired=True)
    areas, new_areas, refused = {}, {}, {}
    taken_codes = lookup.codes
    for row in rows:
        key = row.area_key
        if not key or key in areas or key in new_areas or key in refused:
            continue
        match = lookup.find(key)
        if match.area:
            areas[key] = match.area
        elif match.problem is Problem.UNKNOWN and create:
            new_areas[key] = (_new_area_code(key, taken_codes), row.area_text)
        else:
            refused[key] = match
    errors = [
        RowError(row.number, "service_area", refused[row.area_key].refusal(row.area_text, unknown=AREA_UNKNOWN))
        for row in rows
        if row.area_key in refused
    ]
    return areas, new_areas, errors


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


def _resolve_auditors(rows: list[HistoryRow]):
    """Each auditor's e-mail as a person; the e-mails nobody has yet, to be created."""
    emails = {row.auditor_email for row in rows if row.auditor_email}
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
                people[email] = person  # a match on the e-mail wins over one on the log-in name
    orphans -= set(people)
    errors = [
        RowError(row.number, "auditor", EMAIL_WITHOUT_PERSON.format(value=row.auditor_email))
        for row in rows
        if row.auditor_email in orphans
    ]
    return people, sorted(emails - set(people) - orphans), errors


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


def _values(row: HistoryRow, *, area: ServiceArea, auditor: Person, case_id: int | None) -> dict:
    return {
        "case_reference": row.child_ref,
        "case_id": case_id,
        "service_area_id": area.pk,
        "auditor_id": auditor.pk,
        "kind": row.kind,
        "theme": row.theme,
        "period_start": audit_period_start(row.completed_on),
        "period_end": row.completed_on,
        "overall_grade": row.grade,
        "discussion_held": row.discussion_held,
        "strengths": row.strengths,
        "areas_for_improvement": row.areas_for_improvement,
        "completed_on": row.completed_on,
        # The file gives a day; noon local time keeps it that day in lists and month filters.
        "submitted_at": timezone.make_aware(
            datetime.combine(row.completed_on, time(12)), timezone.get_default_timezone()
        ),
        "state": Audit.State.CLOSED,
    }


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


def _save(*, actor, rows, areas, people, file_name, result: HistoryImportResult) -> None:
    imported = IMPORTED_REASON.format(file_name=file_name)
    reimported = REIMPORTED_REASON.format(file_name=file_name)
    version = history_tool_version(actor)
    existing = {
        audit.import_reference: audit
        for audit in Audit.objects.filter(import_reference__in=[row.reference for row in rows])
    }
    cases = dict(
        Case.objects.annotate(ref=Upper("child_ref"))
        .filter(ref__in={row.child_ref for row in rows})
        .values_list("ref", "pk")
    )
    decisions = _decisions_of([audit.pk for audit in existing.values()])
    now = timezone.now()
    new_audits, changed, events = [], [], []
    decisions_new, refused = [], []

    for row in rows:
        values = _values(
            row, area=areas[row.area_key], auditor=people[row.auditor_email], case_id=cases.get(row.child_ref)
        )
        audit = existing.get(row.reference)
        if audit is None:
            audit = Audit(
                **values, moderated_grade=row.moderated_grade, import_reference=row.reference, tool_version=version
            )
            new_audits.append(audit)
            if row.moderated_grade:
                decisions_new.append(_imported_decision(audit, row, actor=actor, reason=imported))
            continue

        # A re-import: the standing imported decision stays in step with the file by being superseded.
        others, mine = decisions.get(audit.pk, ([], []))
        kept = mine[0] if mine else None
        added = _reimported_decision(kept, audit, row, actor=actor, reason=reimported)
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
                events.append(audit_event(audit, actor, what, getattr(audit, what), values[what], reimported))
        if audit.moderated_grade != values["moderated_grade"]:
            grade = values["moderated_grade"]
            events.append(moderated_grade_event(actor=actor, audit=audit, grade=grade, reason=reimported))
        for name, value in values.items():
            setattr(audit, name, value)
        audit.revision += 1
        audit.updated_at = now
        changed.append(audit)

    if refused:
        raise ImportRefused(refused)
    Audit.objects.bulk_create(new_audits, batch_size=_BATCH)
    _bulk_save(Audit, changed, fields=_UPDATED_FIELDS)
    events += [audit_event(audit, actor, "state", "", Audit.State.CLOSED, imported) for audit in new_audits]
    AuditEvent.objects.bulk_create(events, batch_size=_BATCH)
    ModerationDecision.objects.bulk_create(decisions_new, batch_size=_BATCH)

    result.created, result.updated = len(new_audits), len(changed)
    result.unchanged = len(rows) - result.created - result.updated
    result.moderations_changed = sum(1 for decision in decisions_new if decision.supersedes is not None)
    result.moderations_recorded = len(decisions_new) - result.moderations_changed
