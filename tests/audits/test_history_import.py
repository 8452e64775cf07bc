"""The audit history import (`import_audits`): the QA spreadsheet's audits as closed records.

Every file is checked whole: a wrong row is reported with its row, column and reason, and nothing
is saved. A good file becomes closed audits (with their history and moderation decisions) that a
re-import updates, never duplicates (a changed moderation decision is superseded, never edited).
"""

import csv
import io
import re
import time
from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from audits import services as audit_services
from audits.messages import CASE_REFERENCE_INVALID, TOOL_FOR_IMPORTS
from audits.models import Audit, AuditEvent, AuditTool, Case, Grade, LegalStatus, ToolVersion
from audits.templatetags.grade_tags import grade_tag_html
from moderation import history_import as hi
from moderation.history_import import audit_history_import
from moderation.models import ModerationDecision
from quality.org.models import ChangeRecord, Membership, Person, ServiceArea
from quality.org.services import service_area_retire, service_area_update
from quality.tabular import ImportRefused, parse_date

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

COLUMNS = [*hi.REQUIRED_COLUMNS, *hi.OPTIONAL_COLUMNS]
GRADE_UNKNOWN_OK = hi.GRADE_UNKNOWN.format(value="OK")
User = get_user_model()


def row(person, /, **cells) -> dict:
    """A good row audited by `person`; keyword arguments change its cells."""
    return {
        "reference": "QA-2023-001",
        "child_ref": "c100234",
        "service_area": "SWF",
        "kind": "monthly",
        "theme": "Neglect",
        "auditor": person.user.email,
        "completed_on": "2023-01-31",
        "grade": "good",
        "practitioner_discussion": "yes",
        "moderated_grade": "",
        "moderated_on": "",
        "strengths": "Clear chronology",
        "areas_for_improvement": "Plans are not SMART",
    } | cells


def date_error(text: str) -> str:
    """What the shared date parser says about `text` (quality.tabular.parse_date)."""
    try:
        parse_date(text)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"{text} is a date")


def as_csv(rows: list[dict], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def load(rows: list[dict], **options):
    return audit_history_import(actor=None, content=as_csv(rows), file_name="history.csv", **options)


def refused(rows: list[dict], **options) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRefused) as caught:
        load(rows, **options)
    return [(error.row, error.column, error.reason) for error in caught.value.errors]


def nothing_saved(people_before: int, areas_before: int) -> bool:
    return (
        not Audit.objects.exists()
        and not ModerationDecision.objects.exists()
        and not AuditEvent.objects.exists()
        and not AuditTool.objects.exists()
        and Person.objects.count() == people_before
        and ServiceArea.objects.count() == areas_before
    )


# --- a good file ----------------------------------------------------------------------------------


def test_a_csv_file_becomes_closed_audits_with_what_the_file_says(practice_manager, own_area):
    case = Case.objects.create(
        child_ref="C100234", service_area=own_area, legal_status=LegalStatus.CP, open_since=date(2022, 5, 1)
    )
    result = load(
        [
            row(practice_manager),
            row(practice_manager, reference="QA-2023-002", child_ref="C9", kind="reaudit", grade="RI"),
        ]
    )

    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    audit = Audit.objects.get(import_reference="QA-2023-001")
    assert audit.state == Audit.State.CLOSED
    assert audit.is_imported
    assert audit.case_reference == "C100234"
    assert audit.case == case
    assert audit.service_area == own_area
    assert audit.auditor == practice_manager
    assert audit.kind == Audit.Kind.MONTHLY
    assert audit.theme == "Neglect"
    assert audit.overall_grade == Grade.GOOD
    assert audit.moderated_grade == ""
    assert audit.discussion_held is True
    assert audit.strengths == "Clear chronology"
    assert audit.areas_for_improvement == "Plans are not SMART"
    assert audit.completed_on == date(2023, 1, 31)
    assert (audit.period_start, audit.period_end) == (date(2022, 7, 31), date(2023, 1, 31))
    assert timezone.localtime(audit.submitted_at).replace(tzinfo=None) == datetime(2023, 1, 31, 12, 0)
    other = Audit.objects.get(import_reference="QA-2023-002")
    assert other.kind == Audit.Kind.RE_AUDIT
    assert other.case is None  # no case on the case list with that reference
    assert other.overall_grade == Grade.REQUIRES_IMPROVEMENT


def test_each_imported_audit_records_its_import_in_its_history(practice_manager):
    load([row(practice_manager)])
    event = AuditEvent.objects.get()
    assert (event.what, event.old_value, event.new_value) == ("state", "", Audit.State.CLOSED)
    assert event.reason == "Imported from the audit history (history.csv)"


def test_imported_audits_share_one_published_empty_tool_version(practice_manager):
    load([row(practice_manager)])
    load([row(practice_manager, reference="QA-2023-002")])
    version = ToolVersion.objects.get()
    assert version.tool.name == hi.TOOL_NAME
    assert version.tool.service_area is None
    assert version.tool.purpose == AuditTool.Purpose.IMPORTED
    assert version.state == ToolVersion.State.PUBLISHED
    assert not version.sections.exists()
    assert set(Audit.objects.values_list("tool_version", flat=True)) == {version.pk}


def test_no_audit_can_be_started_on_the_imported_history_tool(practice_manager, qa_lead, own_area, client):
    load([row(practice_manager)])
    version = ToolVersion.objects.get()
    with pytest.raises(ValidationError) as refused:
        audit_services.audit_create(
            actor=None, case_reference="C-NEW-1", service_area=own_area, auditor=practice_manager, tool_version=version
        )
    assert refused.value.message_dict == {"tool_version": [TOOL_FOR_IMPORTS]}

    client.force_login(qa_lead.user)
    start_page = client.get(reverse("audits:audit_start")).content.decode()
    assert hi.TOOL_NAME not in start_page


def test_an_xlsx_file_imports_like_a_csv_file_with_real_date_cells(practice_manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.upper() for column in hi.REQUIRED_COLUMNS])  # headers in any case
    sheet.append(
        [
            "QA-1",
            "C1",
            "swf",
            "Themed",
            "Neglect",
            practice_manager.user.email,
            datetime(2023, 3, 1),
            "Outstanding",
            "No",
        ]
        + ["Requires Improvement", datetime(2023, 3, 16)]
    )
    sheet.append(["QA-2", "C2", "SWF", "review", "", practice_manager.user.email, "14/02/2023", "ungraded", "", "", ""])
    content = io.BytesIO()
    workbook.save(content)

    result = audit_history_import(actor=None, content=content.getvalue(), file_name="history.xlsx")

    assert result.created == 2
    first = Audit.objects.get(import_reference="QA-1")
    assert (first.kind, first.overall_grade, first.discussion_held) == (Audit.Kind.THEMED, Grade.OUTSTANDING, False)
    assert first.completed_on == date(2023, 3, 1)
    assert first.moderated_grade == Grade.REQUIRES_IMPROVEMENT
    second = Audit.objects.get(import_reference="QA-2")
    assert (second.kind, second.overall_grade, second.discussion_held) == (Audit.Kind.REVIEW, "", None)
    assert second.completed_on == date(2023, 2, 14)


@pytest.mark.parametrize(
    ("cell", "grade"),
    [
        ("RI", Grade.REQUIRES_IMPROVEMENT),
        ("ri", Grade.REQUIRES_IMPROVEMENT),
        ("Requires Improvement", Grade.REQUIRES_IMPROVEMENT),
        ("requires_improvement", Grade.REQUIRES_IMPROVEMENT),
        ("REQUIRES-IMPROVEMENT", Grade.REQUIRES_IMPROVEMENT),
        ("Outstanding", Grade.OUTSTANDING),
        ("GOOD", Grade.GOOD),
        ("inadequate", Grade.INADEQUATE),
        ("Ungraded", ""),
    ],
)
def test_grades_are_read_in_any_case_and_spelling(practice_manager, cell, grade):
    load(
        [
            row(
                practice_manager,
                grade=cell,
                moderated_grade=cell if grade else "",
                moderated_on="2023-02-16" if grade else "",
            )
        ]
    )
    audit = Audit.objects.get()
    assert audit.overall_grade == grade
    assert audit.moderated_grade == grade


def test_dates_may_be_written_day_first(practice_manager):
    load([row(practice_manager, completed_on="5/1/2023", moderated_grade="good", moderated_on="19/01/2023")])
    audit = Audit.objects.get()
    assert audit.completed_on == date(2023, 1, 5)
    assert audit.moderations.get().decided_on == date(2023, 1, 19)


def test_a_case_review_may_leave_its_grade_blank_and_is_ungraded(practice_manager):
    load([row(practice_manager, kind="review", grade="")])
    audit = Audit.objects.get()
    assert audit.overall_grade == ""
    assert not audit.is_graded


def test_service_areas_are_found_by_code_or_name_in_any_case_and_by_an_old_name(practice_manager, own_area, other_area):
    service_area_update(actor=None, area=other_area, code="PTC", name="Care and Pathways")
    retired = ServiceArea.objects.create(code="OLD", name="Old Team")
    service_area_retire(actor=None, area=retired, reason="Restructure")
    rows = [
        row(practice_manager, reference="1", service_area="swf"),
        row(practice_manager, reference="2", service_area="SOCIAL WORK WITH FAMILIES"),
        row(practice_manager, reference="3", service_area="Pathways Through Care"),  # its name before the rename
        row(practice_manager, reference="4", service_area="old"),  # history may name a retired area
    ]
    load(rows)
    areas = dict(Audit.objects.values_list("import_reference", "service_area__code"))
    assert areas == {"1": "SWF", "2": "SWF", "3": "PTC", "4": "OLD"}


def test_an_imported_audit_is_linked_to_its_case_whatever_the_case_of_the_reference(practice_manager, own_area):
    case = Case.objects.create(
        child_ref="C-77", service_area=own_area, legal_status=LegalStatus.CIN, open_since=date(2022, 1, 1)
    )
    load([row(practice_manager, child_ref="c-77")])
    assert Audit.objects.get().case == case


# --- unknown auditors and service areas -------------------------------------------------------------


def test_an_unknown_auditor_becomes_an_inactive_person_with_no_roles_who_keeps_the_audit(practice_manager):
    load([row(practice_manager, auditor="Jane.Smith@Council.Example")])
    person = Person.objects.get(user__email="jane.smith@council.example")
    assert person.full_name == "Jane Smith"
    assert not person.user.is_active
    assert not person.user.has_usable_password()
    assert not Membership.objects.filter(person=person).exists()
    assert Audit.objects.get().auditor == person
    record = ChangeRecord.objects.get(action="person.create", target_id=person.pk)
    assert "history.csv" in record.reason

    load([row(practice_manager, reference="QA-2", auditor="jane.smith@council.example")])
    assert Person.objects.filter(user__email="jane.smith@council.example").count() == 1
    assert Audit.objects.get(import_reference="QA-2").auditor == person


def test_an_auditor_is_found_by_e_mail_in_any_case(practice_manager):
    load([row(practice_manager, auditor=practice_manager.user.email.upper())])
    assert Audit.objects.get().auditor == practice_manager


def test_an_unknown_service_area_is_refused_on_every_row_that_names_it(practice_manager):
    areas_before, people_before = ServiceArea.objects.count(), Person.objects.count()
    errors = refused(
        [
            row(practice_manager, reference="1", service_area="YPS"),
            row(practice_manager, reference="2", service_area="yps"),
        ]
    )
    assert errors == [
        (2, "service_area", hi.AREA_UNKNOWN.format(value="YPS")),
        (3, "service_area", hi.AREA_UNKNOWN.format(value="yps")),
    ]
    assert nothing_saved(people_before, areas_before)


def test_create_service_areas_makes_the_unknown_ones_and_records_it(practice_manager, own_area):
    rows = [
        row(practice_manager, reference="1", service_area="YPS"),
        row(practice_manager, reference="2", service_area="yps"),  # the same area
        row(practice_manager, reference="3", service_area="Inclusion and Prevention"),
        row(practice_manager, reference="4", service_area="Social Work Fostering"),  # SWF is taken: numbered
    ]
    result = load(rows, create_service_areas=True)

    assert sorted(result.areas_created) == ["IP", "SWF2", "YPS"]
    assert ServiceArea.objects.get(code="YPS").name == "YPS"
    assert ServiceArea.objects.get(code="IP").name == "Inclusion and Prevention"
    assert ServiceArea.objects.get(code="SWF2").name == "Social Work Fostering"
    assert ChangeRecord.objects.filter(action="service_area.create").count() == 3
    areas = dict(Audit.objects.values_list("import_reference", "service_area__code"))
    assert areas == {"1": "YPS", "2": "YPS", "3": "IP", "4": "SWF2"}


# --- a wrong file ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"reference": ""}, "reference", hi.VALUE_REQUIRED),
        ({"reference": "R" * 65}, "reference", hi.REFERENCE_TOO_LONG),
        ({"child_ref": ""}, "child_ref", hi.VALUE_REQUIRED),
        ({"child_ref": "Jane Doe"}, "child_ref", CASE_REFERENCE_INVALID),
        ({"service_area": ""}, "service_area", hi.VALUE_REQUIRED),
        ({"service_area": "Nowhere"}, "service_area", hi.AREA_UNKNOWN.format(value="Nowhere")),
        ({"kind": "annual"}, "kind", hi.KIND_UNKNOWN.format(value="annual")),
        ({"kind": ""}, "kind", hi.VALUE_REQUIRED),
        ({"theme": "t" * 121}, "theme", hi.THEME_TOO_LONG),
        ({"auditor": "priya"}, "auditor", hi.EMAIL_INVALID.format(value="priya")),
        ({"auditor": ""}, "auditor", hi.VALUE_REQUIRED),
        ({"completed_on": ""}, "completed_on", hi.VALUE_REQUIRED),
        ({"completed_on": "31/02/2023"}, "completed_on", date_error("31/02/2023")),
        ({"completed_on": "January"}, "completed_on", date_error("January")),
        ({"completed_on": "2099-01-01"}, "completed_on", hi.DATE_IN_FUTURE.format(value="2099-01-01")),
        ({"grade": "Satisfactory"}, "grade", hi.GRADE_UNKNOWN.format(value="Satisfactory")),
        ({"grade": ""}, "grade", hi.GRADE_REQUIRED),
        ({"kind": "review", "grade": "good"}, "grade", hi.REVIEW_GRADED),
        ({"practitioner_discussion": "maybe"}, "practitioner_discussion", "'maybe' must be yes, no or blank"),
        ({"moderated_grade": "good"}, "moderated_on", hi.MODERATED_ON_REQUIRED),
        ({"moderated_on": "2023-02-16"}, "moderated_grade", hi.MODERATED_GRADE_REQUIRED),
        ({"moderated_grade": "ungraded", "moderated_on": "2023-02-16"}, "moderated_grade", hi.MODERATED_UNGRADED),
        (
            {"moderated_grade": "OK", "moderated_on": "2023-02-16"},
            "moderated_grade",
            hi.GRADE_UNKNOWN.format(value="OK"),
        ),
        (
            {"kind": "review", "grade": "ungraded", "moderated_grade": "good", "moderated_on": "2023-02-16"},
            "moderated_grade",
            hi.REVIEW_MODERATED,
        ),
        ({"moderated_grade": "good", "moderated_on": "2023-01-30"}, "moderated_on", hi.MODERATED_BEFORE_COMPLETED),
    ],
)
def test_a_wrong_cell_is_reported_at_its_row_and_column_and_nothing_is_saved(practice_manager, cells, column, reason):
    areas_before, people_before = ServiceArea.objects.count(), Person.objects.count()
    rows = [
        row(practice_manager, reference="QA-1"),
        row(practice_manager, **({"reference": "QA-2"} | cells)),
        row(practice_manager, reference="QA-3"),
    ]
    assert refused(rows) == [(3, column, reason)]
    assert nothing_saved(people_before, areas_before)


def test_a_reference_repeated_in_the_file_is_refused_naming_the_first_row(practice_manager):
    errors = refused([row(practice_manager), row(practice_manager, reference="QA-2"), row(practice_manager)])
    assert errors == [(4, "reference", hi.REFERENCE_REPEATED.format(row=2))]
    assert not Audit.objects.exists()


def test_every_bad_row_and_every_bad_cell_is_reported_at_once(practice_manager):
    areas_before, people_before = ServiceArea.objects.count(), Person.objects.count()
    rows = [
        row(practice_manager, reference="1", grade="meh", auditor="new.person@council.example"),
        row(practice_manager, reference="2"),
        row(practice_manager, reference="3", service_area="Nowhere", kind="annual"),
        row(practice_manager, reference="4", service_area="Nowhere"),
    ]
    assert refused(rows) == [
        (2, "grade", hi.GRADE_UNKNOWN.format(value="meh")),
        (4, "kind", hi.KIND_UNKNOWN.format(value="annual")),
        (4, "service_area", hi.AREA_UNKNOWN.format(value="Nowhere")),
        (5, "service_area", hi.AREA_UNKNOWN.format(value="Nowhere")),
    ]
    # The unknown auditor on the refused file was not created.
    assert nothing_saved(people_before, areas_before)


def test_a_file_missing_a_column_is_refused_at_the_header(practice_manager):
    columns = [column for column in COLUMNS if column != "moderated_on"]
    with pytest.raises(ImportRefused) as caught:
        audit_history_import(actor=None, content=as_csv([row(practice_manager)], columns), file_name="history.csv")
    assert [(e.row, e.column, e.reason) for e in caught.value.errors] == [(1, "moderated_on", "this column is missing")]


def test_a_log_in_without_a_person_record_cannot_be_an_auditor(practice_manager):
    User.objects.create_user(username="admin@council.example", email="admin@council.example")
    errors = refused([row(practice_manager, auditor="admin@council.example")])
    assert errors == [(2, "auditor", hi.EMAIL_WITHOUT_PERSON.format(value="admin@council.example"))]


# --- importing again ------------------------------------------------------------------------------


def test_importing_a_reference_again_updates_that_audit_and_records_the_grade_change(practice_manager, other_area):
    load([row(practice_manager)])
    audit = Audit.objects.get()

    result = load(
        [row(practice_manager, grade="inadequate", service_area="PTC", theme="Missing children", strengths="")]
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    again = Audit.objects.get()
    assert again.pk == audit.pk
    assert again.overall_grade == Grade.INADEQUATE
    assert again.service_area == other_area
    assert (again.theme, again.strengths) == ("Missing children", "")
    assert again.revision == audit.revision + 1
    change = AuditEvent.objects.get(what="overall_grade")
    assert (change.old_value, change.new_value) == (Grade.GOOD, Grade.INADEQUATE)
    assert change.reason == "Re-imported from the audit history (history.csv)"


def test_importing_the_same_file_again_changes_nothing(practice_manager):
    rows = [
        row(practice_manager, moderated_grade="RI", moderated_on="2023-02-16"),
        row(practice_manager, reference="QA-2"),
    ]
    load(rows)
    events, revisions = AuditEvent.objects.count(), list(Audit.objects.values_list("revision", flat=True))

    result = load(rows)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert (result.moderations_recorded, result.moderations_changed) == (0, 0)
    assert Audit.objects.count() == 2
    assert ModerationDecision.objects.count() == 1
    assert AuditEvent.objects.count() == events
    assert list(Audit.objects.values_list("revision", flat=True)) == revisions


# --- moderation -----------------------------------------------------------------------------------


def test_a_moderated_grade_becomes_an_imported_moderation_decision(practice_manager):
    load([row(practice_manager, grade="good", moderated_grade="Requires Improvement", moderated_on="16/02/2023")])
    audit = Audit.objects.get()
    decision = ModerationDecision.objects.get()
    assert decision.audit == audit
    assert decision.source == ModerationDecision.Source.IMPORTED
    assert decision.original_grade == Grade.GOOD
    assert decision.moderated_grade == Grade.REQUIRES_IMPROVEMENT
    assert decision.decided_on == date(2023, 2, 16)
    assert audit.moderated_grade == Grade.REQUIRES_IMPROVEMENT
    assert audit.overall_grade == Grade.GOOD  # the auditor's grade is never overwritten
    assert audit.final_grade == Grade.REQUIRES_IMPROVEMENT


def test_a_re_import_that_changes_the_imported_decision_records_a_correction_and_keeps_the_first(practice_manager):
    load([row(practice_manager, moderated_grade="RI", moderated_on="2023-02-16")])
    decision = ModerationDecision.objects.get()

    result = load([row(practice_manager, moderated_grade="inadequate", moderated_on="2023-03-16")])

    assert (result.moderations_recorded, result.moderations_changed) == (0, 1)
    again = ModerationDecision.objects.standing().get()
    assert again.supersedes == decision
    assert (again.source, again.moderated_grade, again.decided_on) == (
        ModerationDecision.Source.IMPORTED,
        Grade.INADEQUATE,
        date(2023, 3, 16),
    )
    assert again.rationale == "Re-imported from the audit history (history.csv)"
    decision.refresh_from_db()
    assert (decision.moderated_grade, decision.decided_on) == (Grade.REQUIRES_IMPROVEMENT, date(2023, 2, 16))
    assert (
        load([row(practice_manager, moderated_grade="inadequate", moderated_on="2023-03-16")]).moderations_changed == 0
    )
    assert Audit.objects.get().moderated_grade == Grade.INADEQUATE
    change = AuditEvent.objects.get(what="moderated_grade")
    assert (change.old_value, change.new_value) == (Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE)


def test_a_re_import_without_a_recorded_moderated_grade_is_refused_at_its_row(practice_manager):
    load([row(practice_manager, moderated_grade="RI", moderated_on="2023-02-16")])
    decision = ModerationDecision.objects.get()

    errors = refused([row(practice_manager, grade="inadequate")])

    message = hi.MODERATION_RECORDED.format(grade="Requires Improvement", day=date(2023, 2, 16))
    assert errors == [(2, "moderated_grade", message)]
    assert list(ModerationDecision.objects.all()) == [decision]
    audit = Audit.objects.get()
    assert (audit.overall_grade, audit.moderated_grade) == (Grade.GOOD, Grade.REQUIRES_IMPROVEMENT)


def test_a_re_import_leaves_a_later_moderation_made_in_the_portal_in_force(practice_manager):
    load([row(practice_manager, moderated_grade="RI", moderated_on="2023-02-16")])
    audit = Audit.objects.get()
    ModerationDecision.objects.create(
        audit=audit,
        source=ModerationDecision.Source.PANEL,
        original_grade=Grade.GOOD,
        moderated_grade=Grade.OUTSTANDING,
        decided_on=date(2024, 1, 18),
    )
    Audit.objects.filter(pk=audit.pk).update(moderated_grade=Grade.OUTSTANDING)

    load([row(practice_manager, moderated_grade="inadequate", moderated_on="2023-03-16")])

    standing = ModerationDecision.objects.standing().order_by("decided_on")
    assert list(standing.values_list("source", "moderated_grade")) == [
        (ModerationDecision.Source.IMPORTED, Grade.INADEQUATE),
        (ModerationDecision.Source.PANEL, Grade.OUTSTANDING),
    ]
    assert Audit.objects.get().moderated_grade == Grade.OUTSTANDING


# --- dry run and the command ----------------------------------------------------------------------


def test_a_dry_run_reports_what_it_would_do_and_saves_nothing(practice_manager):
    areas_before, people_before = ServiceArea.objects.count(), Person.objects.count()
    rows = [
        row(practice_manager, moderated_grade="RI", moderated_on="2023-02-16"),
        row(practice_manager, reference="QA-2", service_area="YPS", auditor="new.person@council.example"),
    ]

    result = load(rows, create_service_areas=True, dry_run=True)

    assert (result.created, result.moderations_recorded, result.people_created) == (2, 1, 1)
    assert result.areas_created == ["YPS"]
    assert "Dry run: nothing was saved." in result.summary()
    assert nothing_saved(people_before, areas_before)
    assert not ChangeRecord.objects.exists()


def test_the_command_imports_a_file_and_says_what_it_did(practice_manager, tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(
        as_csv([row(practice_manager), row(practice_manager, reference="QA-2", auditor="new.person@council.example")])
    )
    out = io.StringIO()

    call_command("import_audits", str(path), stdout=out)

    assert Audit.objects.count() == 2
    assert "2 new audit(s) were imported" in out.getvalue()
    assert "1 unknown auditor(s) were added as inactive people" in out.getvalue()


def test_the_command_refuses_a_bad_file_with_every_problem_and_a_non_zero_exit(practice_manager, tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(
        as_csv([row(practice_manager, grade="meh"), row(practice_manager, reference="QA-2", service_area="Nowhere")])
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_audits", str(path), stderr=err)

    assert f"row 2, grade: {hi.GRADE_UNKNOWN.format(value='meh')}" in err.getvalue()
    assert f"row 3, service_area: {hi.AREA_UNKNOWN.format(value='Nowhere')}" in err.getvalue()
    assert not Audit.objects.exists()


def test_the_command_takes_create_service_areas_and_dry_run(practice_manager, tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(as_csv([row(practice_manager, service_area="YPS")]))
    out = io.StringIO()

    call_command("import_audits", str(path), "--create-service-areas", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert not Audit.objects.exists()
    assert not ServiceArea.objects.filter(code="YPS").exists()

    call_command("import_audits", str(path), "--create-service-areas", stdout=io.StringIO())
    assert Audit.objects.get().service_area.code == "YPS"


def test_the_command_refuses_a_file_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_audits", str(tmp_path / "missing.csv"))


# --- speed ----------------------------------------------------------------------------------------


def many_rows(practice_manager, count: int, *, prefix="QA", grade="good", new_auditors=True) -> list[dict]:
    """`count` rows; a third moderated; with `new_auditors`, half by seven auditors the portal does not know."""
    return [
        row(
            practice_manager,
            reference=f"{prefix}-{n:05}",
            child_ref=f"C{n:06}",
            auditor=practice_manager.user.email if n % 2 or not new_auditors else f"auditor{n % 7}@council.example",
            grade=grade,
            moderated_grade="RI" if n % 3 == 0 else "",
            moderated_on="2023-02-16" if n % 3 == 0 else "",
        )
        for n in range(count)
    ]


def queries_to_load(rows) -> int:
    with CaptureQueriesContext(connection) as queries:
        load(rows)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_rows(practice_manager, django_assert_num_queries):
    load(many_rows(practice_manager, 1, prefix="FIRST"))  # the first import also makes the shared tool
    new_small = queries_to_load(many_rows(practice_manager, 10, prefix="SMALL"))
    with django_assert_num_queries(new_small):
        load(many_rows(practice_manager, 300, prefix="BIG"))

    again_small = queries_to_load(many_rows(practice_manager, 10, prefix="SMALL", grade="inadequate"))
    with django_assert_num_queries(again_small):
        load(many_rows(practice_manager, 300, prefix="BIG", grade="inadequate"))


def test_five_thousand_rows_import_in_a_few_seconds(practice_manager, django_assert_max_num_queries):
    rows = many_rows(practice_manager, 5000)
    started = time.monotonic()
    with django_assert_max_num_queries(60):
        result = load(rows)
    assert result.created == 5000
    assert time.monotonic() - started < 20  # a generous bound: it takes about a second or two
    assert ModerationDecision.objects.count() == 1667

    started = time.monotonic()
    result = load(many_rows(practice_manager, 5000, grade="inadequate"))
    assert (result.created, result.updated) == (0, 5000)
    assert time.monotonic() - started < 20


# --- the imported audit's page --------------------------------------------------------------------


def test_an_imported_audits_page_says_it_was_imported_and_shows_both_grades(client, practice_manager, qa_lead):
    load([row(practice_manager, grade="good", moderated_grade="RI", moderated_on="2023-02-16")])
    audit = Audit.objects.get()
    client.force_login(qa_lead.user)

    response = client.get(reverse("audits:audit_detail", args=[audit.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    imported_on = timezone.localdate(audit.created_at).strftime("%-d %b %Y")
    assert f"Imported from the QA audit history on {imported_on}; the answers were not held in the spreadsheet" in page
    assert f'<th scope="row">Overall</th><td>{grade_tag_html("good")}</td>' in page
    moderated = re.escape(f"<td>{grade_tag_html('requires_improvement')}</td>")
    assert re.search(r'<th scope="row">Moderated grade[^<]*</th>' + moderated, page)
    assert "Clear chronology" in page
    assert "Plans are not SMART" in page
    assert "Imported from the audit history (history.csv)" in page  # the history table


def test_an_imported_ungraded_audit_says_ungraded_not_not_graded_yet(client, practice_manager, qa_lead):
    load([row(practice_manager, grade="ungraded")])
    client.force_login(qa_lead.user)
    page = client.get(reverse("audits:audit_detail", args=[Audit.objects.get().pk])).content.decode()
    assert '<th scope="row">Overall</th><td>Ungraded</td>' in page
    assert "Not graded yet" not in page
