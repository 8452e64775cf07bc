"""The audit history import at scale (issue 15): thousands of rows, written by COPY on PostgreSQL and by
bulk_create elsewhere, become exactly the audits, events and moderation decisions the rows say.

No timing here (bench/history_import.py measures the speed): every value is checked instead, for every
row, because the fast path writes the rows' text itself (COPY's escaping) and takes the audits' ids
from their sequence.
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from audits.models import Audit, AuditEvent, Case, LegalStatus
from moderation import history_import as hi
from moderation.history_import import audit_history_import
from moderation.models import ModerationDecision
from quality.org.models import Person, ServiceArea
from quality.tabular import ImportRefused, RowError
from tests.factories import AuditFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

COLUMNS = [*hi.REQUIRED_COLUMNS, *hi.OPTIONAL_COLUMNS]
ROWS = 5000
IMPORTED = "Imported from the audit history (history.csv)"
REIMPORTED = "Re-imported from the audit history (history.csv)"
# Text COPY must escape (tab, newline, carriage return, backslash, its own end-of-data and NULL marks).
AWKWARD = 'Tab\there\nnew line, back\\slash, CR\rhere, "quoted", café ✓ \\. \\N'

KINDS = ["monthly", "themed", "review", "reaudit"]
KINDS_STORED = ["monthly", "themed", "review", "re_audit"]
GRADES = ["good", "RI", "Requires Improvement", "inadequate", "outstanding"]
GRADES_STORED = ["good", "requires_improvement", "requires_improvement", "inadequate", "outstanding"]
MODERATED = ["Good", "inadequate", "ri"]
MODERATED_STORED = ["good", "inadequate", "requires_improvement"]
DISCUSSION = ["yes", "no", ""]
DISCUSSION_STORED = [True, False, None]


def completed(n: int) -> date:
    return date(2023, 1 + n % 12, 1 + n % 28)


def six_months_before(day: date) -> date:
    """The casework start of an audit completed on `day` (every day here is the 28th or earlier)."""
    return day.replace(month=day.month - 6) if day.month > 6 else day.replace(year=day.year - 1, month=day.month + 6)


def is_review(n: int) -> bool:
    return n % 4 == 2


def is_moderated(n: int) -> bool:
    return not is_review(n) and n % 3 == 0


def cells(n: int, auditor: str, *, prefix: str = "H") -> dict:
    """Row n of the generated history: every kind, grade spelling, date style, blank and awkward text."""
    day = completed(n)
    review = is_review(n)
    return {
        "reference": f"{prefix}-{n:05}",
        "child_ref": f"c{n:06}",
        "service_area": "swf" if n % 2 == 0 else "Pathways Through Care",
        "kind": KINDS[n % 4],
        "theme": "" if n % 7 == 0 else "\\N" if n % 7 == 1 else f"Theme {n % 4}",
        "auditor": auditor.upper() if n % 3 else f"auditor{n % 5}@council.example",
        "completed_on": day.isoformat() if n % 2 else f"{day.day}/{day.month}/{day.year}",
        "grade": ("" if n % 8 == 2 else "ungraded") if review else GRADES[n % 5],
        "practitioner_discussion": DISCUSSION[n % 3],
        "moderated_grade": MODERATED[(n // 3) % 3] if is_moderated(n) else "",
        "moderated_on": (day + timedelta(days=14)).isoformat() if is_moderated(n) else "",
        "strengths": AWKWARD if n % 50 == 0 else f"Strength {n}",
        "areas_for_improvement": "" if n % 5 == 0 else f"Plan {n}",
    }


def expected_audit(n: int, manager_email: str) -> tuple:
    """What row n becomes, worked out from the row's definition above, not from the import's code."""
    day = completed(n)
    return (
        f"C{n:06}",
        "SWF" if n % 2 == 0 else "PTC",
        manager_email if n % 3 else f"auditor{n % 5}@council.example",
        KINDS_STORED[n % 4],
        "" if n % 7 == 0 else "\\N" if n % 7 == 1 else f"Theme {n % 4}",
        six_months_before(day),
        day,
        "" if is_review(n) else GRADES_STORED[n % 5],
        MODERATED_STORED[(n // 3) % 3] if is_moderated(n) else "",
        DISCUSSION_STORED[n % 3],
        AWKWARD if n % 50 == 0 else f"Strength {n}",
        "" if n % 5 == 0 else f"Plan {n}",
        day,
        day,  # completed_day, computed by the database
        Audit.State.CLOSED,
        hi.TOOL_NAME,
        1,
    )


AUDIT_FIELDS = (
    "case_reference",
    "service_area__code",
    "auditor__user__email",
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
    "completed_day",
    "state",
    "tool_version__tool__name",
    "revision",
)


@pytest.fixture(autouse=True)
def areas(own_area, other_area):
    """The two service areas the rows name (SWF by its code, PTC by its name)."""
    return own_area, other_area


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def load(rows: list[dict], **options):
    return audit_history_import(actor=None, content=as_csv(rows), file_name="history.csv", **options)


def stored_audits(prefix: str = "H") -> dict[str, tuple]:
    audits = Audit.objects.filter(import_reference__startswith=f"{prefix}-")
    return {reference: tuple(values) for reference, *values in audits.values_list("import_reference", *AUDIT_FIELDS)}


def stored_decisions(prefix: str = "H") -> set[tuple]:
    decisions = ModerationDecision.objects.filter(audit__import_reference__startswith=f"{prefix}-")
    return set(
        decisions.values_list(
            "audit__import_reference",
            "source",
            "original_grade",
            "moderated_grade",
            "decided_on",
            "rationale",
            "recorded_by",
            "supersedes__audit__import_reference",
        )
    )


def test_five_thousand_new_rows_become_exactly_the_audits_events_and_decisions_they_say(practice_manager, own_area):
    email = practice_manager.user.email
    linked = Case.objects.create(
        child_ref="C000010", service_area=own_area, legal_status=LegalStatus.CP, open_since=date(2022, 5, 1)
    )
    people_before = Person.objects.count()

    result = load([cells(n, email) for n in range(ROWS)])

    moderated = [n for n in range(ROWS) if is_moderated(n)]
    assert (result.rows, result.created, result.updated, result.unchanged) == (ROWS, ROWS, 0, 0)
    assert (result.moderations_recorded, result.moderations_changed) == (len(moderated), 0)
    assert result.people_created == 5
    assert Person.objects.count() == people_before + 5

    assert stored_audits() == {f"H-{n:05}": expected_audit(n, email) for n in range(ROWS)}
    noons = Audit.objects.filter(import_reference__in=["H-00000", "H-00007"]).order_by("pk")
    assert [timezone.localtime(audit.submitted_at).replace(tzinfo=None) for audit in noons] == [
        datetime(2023, 1, 1, 12, 0),
        datetime(2023, 8, 8, 12, 0),  # in British Summer Time
    ]
    assert dict(Audit.objects.exclude(case=None).values_list("import_reference", "case")) == {"H-00010": linked.pk}
    assert not Audit.objects.filter(created_at=None).exists()
    assert not Audit.objects.filter(updated_at=None).exists()

    events = AuditEvent.objects.filter(audit__import_reference__startswith="H-")
    assert events.count() == ROWS
    assert events.values("audit").distinct().count() == ROWS
    assert set(events.values_list("what", "old_value", "new_value", "reason", "actor")) == {
        ("state", "", Audit.State.CLOSED, IMPORTED, None)
    }
    assert not events.filter(at=None).exists()

    assert stored_decisions() == {
        (
            f"H-{n:05}",
            ModerationDecision.Source.IMPORTED,
            GRADES_STORED[n % 5],
            MODERATED_STORED[(n // 3) % 3],
            completed(n) + timedelta(days=14),
            IMPORTED,
            None,
            None,
        )
        for n in moderated
    }


def test_new_audits_are_numbered_in_file_order_from_the_tables_own_sequence(practice_manager, tool_version):
    load([cells(n, practice_manager.user.email) for n in range(ROWS)])

    in_order = list(Audit.objects.order_by("pk").values_list("import_reference", flat=True))
    assert in_order == [f"H-{n:05}" for n in range(ROWS)]
    # An audit made afterwards, the ordinary way, is numbered after them.
    assert AuditFactory(tool_version=tool_version).pk > Audit.objects.filter(import_reference="H-04999").get().pk


def test_re_importing_five_thousand_rows_updates_and_supersedes_exactly_the_changed_ones(practice_manager):
    email = practice_manager.user.email
    load([cells(n, email) for n in range(ROWS)])
    first = {decision.audit.import_reference: decision.pk for decision in ModerationDecision.objects.all()}

    regraded = {n for n in range(ROWS) if n % 10 == 1}  # requires_improvement -> inadequate
    remoderated = {n for n in range(ROWS) if n % 9 == 0 and is_moderated(n)}  # -> outstanding, a day later
    rows = []
    for n in range(ROWS):
        row = cells(n, email)
        if n in regraded:
            row["grade"] = "inadequate"
        if n in remoderated:
            row["moderated_grade"] = "outstanding"
            row["moderated_on"] = (completed(n) + timedelta(days=15)).isoformat()
        rows.append(row)

    result = load(rows)

    corrected = {n for n in range(ROWS) if is_moderated(n) and (n in regraded or n in remoderated)}
    changed = regraded | remoderated
    assert (result.created, result.updated, result.unchanged) == (0, len(changed), ROWS - len(changed))
    assert (result.moderations_recorded, result.moderations_changed) == (0, len(corrected))
    assert Audit.objects.count() == ROWS

    audits = stored_audits()
    for n in range(ROWS):
        expected = list(expected_audit(n, email))
        if n in regraded:
            expected[7] = "inadequate"
        if n in remoderated:
            expected[8] = "outstanding"
        if n in changed:
            expected[16] = 2  # the revision
        assert audits[f"H-{n:05}"] == tuple(expected), n

    grade_events = AuditEvent.objects.filter(what="overall_grade")
    assert set(grade_events.values_list("audit__import_reference", "old_value", "new_value", "reason")) == {
        (f"H-{n:05}", "requires_improvement", "inadequate", REIMPORTED) for n in regraded
    }
    moderation_events = AuditEvent.objects.filter(what="moderated_grade")
    assert set(moderation_events.values_list("audit__import_reference", "old_value", "new_value")) == {
        (f"H-{n:05}", MODERATED_STORED[(n // 3) % 3], "outstanding") for n in remoderated
    }
    assert AuditEvent.objects.count() == ROWS + len(regraded) + len(remoderated)

    standing = ModerationDecision.objects.standing().exclude(supersedes=None)
    assert {
        (d.audit.import_reference, d.supersedes_id, d.original_grade, d.moderated_grade, d.decided_on, d.rationale)
        for d in standing.select_related("audit")
    } == {
        (
            f"H-{n:05}",
            first[f"H-{n:05}"],
            "inadequate" if n in regraded else GRADES_STORED[n % 5],
            "outstanding" if n in remoderated else MODERATED_STORED[(n // 3) % 3],
            completed(n) + timedelta(days=15 if n in remoderated else 14),
            REIMPORTED,
        )
        for n in corrected
    }
    assert ModerationDecision.objects.count() == len(first) + len(corrected)


def test_without_copy_the_same_file_gives_the_same_records(practice_manager, monkeypatch):
    """SQLite (the zero-setup database) has no COPY: bulk_create writes the same rows."""
    email = practice_manager.user.email
    load([cells(n, email, prefix="COPY") for n in range(1200)])
    monkeypatch.setattr(hi, "_copies", lambda: False)
    result = load([cells(n, email, prefix="BULK") for n in range(1200)])

    assert (result.created, result.moderations_recorded) == (1200, len([n for n in range(1200) if is_moderated(n)]))
    assert list(stored_audits("BULK").values()) == list(stored_audits("COPY").values())
    assert {row[1:] for row in stored_decisions("BULK")} == {row[1:] for row in stored_decisions("COPY")}
    bulk_events = AuditEvent.objects.filter(audit__import_reference__startswith="BULK-")
    assert set(bulk_events.values_list("what", "old_value", "new_value", "reason")) == {
        ("state", "", Audit.State.CLOSED, IMPORTED)
    }
    assert bulk_events.count() == 1200


def test_a_re_import_refused_in_a_later_chunk_saves_nothing_of_the_chunks_before(practice_manager):
    """Rows are written a chunk at a time; a row that drops a recorded moderation, past the first
    chunk, still refuses the whole file."""
    email = practice_manager.user.email
    count = hi._CHUNK + 1000
    late = hi._CHUNK + 505  # a moderated row in the second chunk
    assert is_moderated(late)
    load([cells(n, email) for n in range(late - 10, late + 10)])
    before = (Audit.objects.count(), AuditEvent.objects.count(), ModerationDecision.objects.count())

    rows = [cells(n, email) for n in range(count)]
    rows[late] |= {"moderated_grade": "", "moderated_on": ""}
    with pytest.raises(ImportRefused) as refused:
        load(rows)

    label = {"good": "Good", "inadequate": "Inadequate", "requires_improvement": "Requires Improvement"}[
        MODERATED_STORED[(late // 3) % 3]
    ]
    message = hi.MODERATION_RECORDED.format(grade=label, day=completed(late) + timedelta(days=14))
    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [(late + 2, "moderated_grade", message)]
    assert (Audit.objects.count(), AuditEvent.objects.count(), ModerationDecision.objects.count()) == before


def test_wrong_rows_anywhere_in_a_large_file_are_all_reported_and_nothing_is_saved(practice_manager):
    email = practice_manager.user.email
    rows = [cells(n, email) for n in range(ROWS)]
    rows[0]["completed_on"] = "31/02/2023"
    rows[2500]["kind"] = "annual"
    rows[4999]["reference"] = rows[10]["reference"]

    with pytest.raises(ImportRefused) as refused:
        load(rows)

    assert [(e.row, e.column) for e in refused.value.errors] == [
        (2, "completed_on"),
        (2502, "kind"),
        (5001, "reference"),
    ]
    assert refused.value.errors[2].reason == hi.REFERENCE_REPEATED.format(row=12)
    assert not Audit.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not ModerationDecision.objects.exists()


def test_a_wrong_row_after_a_written_chunk_undoes_that_chunk_and_the_areas_and_people_it_made(practice_manager):
    """A chunk is written as soon as it is checked, with the service areas and auditors it names;
    a wrong row in a later chunk still leaves the portal as it was."""
    email = practice_manager.user.email
    rows = [cells(n, email) for n in range(hi._CHUNK + 100)]
    rows[0]["service_area"] = "Young People's Service"  # created: --create-service-areas
    rows[hi._CHUNK + 50]["grade"] = "splendid"
    areas, people = ServiceArea.objects.count(), Person.objects.count()

    with pytest.raises(ImportRefused) as refused:
        load(rows, create_service_areas=True)

    assert [(e.row, e.column) for e in refused.value.errors] == [(hi._CHUNK + 52, "grade")]
    assert (ServiceArea.objects.count(), Person.objects.count()) == (areas, people)
    assert not Audit.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not ModerationDecision.objects.exists()


def test_a_file_that_cannot_be_read_past_its_first_chunk_saves_nothing(practice_manager, monkeypatch):
    """A failure to read the rest of the file, after a chunk was written, saves nothing."""
    parsed_chunks = hi._parsed_chunks
    unreadable = ImportRefused([RowError(hi._CHUNK + 2, "", "the file ends in the middle of a row")])

    def first_chunk_then_broken(cells_, *, today):
        yield next(parsed_chunks(cells_, today=today))
        raise unreadable

    monkeypatch.setattr(hi, "_parsed_chunks", first_chunk_then_broken)
    with pytest.raises(ImportRefused) as refused:
        load([cells(n, practice_manager.user.email) for n in range(hi._CHUNK + 10)])

    assert refused.value is unreadable
    assert not Audit.objects.exists()


def test_copy_text_keeps_every_awkward_value_as_it_was():
    assert [hi._copy_text(value) for value in ("a\tb\nc\rd\\e", None, True, False, 7, "\\N", "")] == [
        "a\\tb\\nc\\rd\\\\e",
        "\\N",
        "t",
        "f",
        "7",
        "\\\\N",
        "",
    ]
    assert hi._copy_text(Audit.State.CLOSED) == "closed"
    assert hi._copy_text(date(2023, 1, 31)) == "2023-01-31"


def test_the_columns_left_out_of_copy_are_null_and_the_set_ones_as_the_template_says(practice_manager):
    """COPY leaves out the columns that are NULL on every new row: the database writes NULL there."""
    load([cells(n, practice_manager.user.email) for n in range(20)])

    left_out = (
        "discussion_on",
        "child_contacted",
        "family_contacted",
        "safeguarding_raised_at",
        "due_on",
        "oversight_at",
        "on_record_at",
        "oversight_due_on",
        "record_due_on",
        "exemplar_marked_at",
        "team",
        "case_holder",
        "oversight_by",
        "on_record_by",
        "exemplar_marked_by",
        "reaudit_of",
    )
    audits = Audit.objects.filter(import_reference__startswith="H-")
    assert set(audits.values_list(*left_out)) == {(None,) * len(left_out)}
    written = ("child_family_views", "safeguarding_concern", "safeguarding_details", "oversight_comment")
    written += ("exemplar_note", "is_exemplar", "revision")
    assert set(audits.values_list(*written)) == {("", False, "", "", "", False, 1)}
    decisions = ModerationDecision.objects.filter(audit__in=audits)
    assert decisions.count() == len([n for n in range(20) if is_moderated(n)]) == 5
    assert set(decisions.values_list("supersedes", "recorded_by")) == {(None, None)}


def test_a_broken_reference_refuses_the_import_itself_and_the_planner_setting_is_left_as_it_was(
    practice_manager, monkeypatch
):
    """The new rows' foreign keys are checked before the import returns (not only at commit, which a
    caller's own transaction would put off): a row pointing at no person saves nothing."""
    people_of = hi._people_of

    def nobody(emails):
        people, orphans = people_of(emails)
        return {email: Person(pk=10**9) for email in people}, orphans

    monkeypatch.setattr(hi, "_people_of", nobody)
    with pytest.raises(IntegrityError):
        load([cells(n, practice_manager.user.email) for n in range(3, 6)])
    assert not Audit.objects.filter(import_reference__startswith="H-").exists()

    monkeypatch.setattr(hi, "_people_of", people_of)
    load([cells(n, practice_manager.user.email) for n in range(3, 6)])
    assert Audit.objects.filter(import_reference__startswith="H-").count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
