"""The case list import ('Annex A'): the service and `python manage.py import_cases`.

Every file is checked whole: a wrong row is reported with its row, column and reason, and nothing
is saved. A good file creates and updates cases by child reference, closes the open cases it leaves
out and reopens the closed ones it names again; 20,000 rows load in bulk in seconds.
"""

import csv
import io
import logging
import time
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from openpyxl import Workbook

from audits.cycle import case_import as ci
from audits.cycle.case_import import case_list_import
from audits.models import Case, CaseImport, LegalStatus
from quality.org.models import Role
from quality.org.services import service_area_retire
from quality.tabular import ImportRefused, RowError, parse_date

from ..factories import TeamFactory

pytestmark = pytest.mark.django_db

COLUMNS = [*ci.REQUIRED_COLUMNS, *ci.OPTIONAL_COLUMNS]
TODAY = date(2026, 11, 23)


@pytest.fixture
def worker(make_person, own_area):
    return make_person(Role.PRACTITIONER, own_area, full_name="Wren Worker")


@pytest.fixture
def today():
    with freeze_time("2026-11-23 10:00:00"):
        yield TODAY


@pytest.fixture
def good(worker, practice_manager, own_team, today):
    """good(**cells) -> a good row of the own area; keyword arguments change its cells."""

    def make(**cells) -> dict:
        return {
            "child_ref": "C-1001",
            "service_area": "SWF",
            "team": own_team.name,
            "worker_email": worker.user.email,
            "manager_email": practice_manager.user.email,
            "legal_status": "cp",
            "open_since": "2025-03-14",
            "age_band": "5-9",
            "gender": "Female",
            "ethnicity": "White British",
            "disability": "No",
            **cells,
        }

    return make


def csv_file(rows: list[dict], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def load(rows: list[dict], *, actor=None, dry_run=False, file_name="annex-a.csv"):
    return case_list_import(actor=actor, content=csv_file(rows), file_name=file_name, dry_run=dry_run)


def refusal(rows: list[dict]) -> list[RowError]:
    with pytest.raises(ImportRefused) as refused:
        load(rows)
    return refused.value.errors


def cases() -> dict[str, Case]:
    return {case.child_ref: case for case in Case.objects.all()}


# -- a good file --------------------------------------------------------------------------


def test_a_good_file_creates_its_cases_with_every_column(good, qa_lead, own_area, own_team, worker, practice_manager):
    summary = load([good(child_ref="c-1001"), good(child_ref="C-1002", legal_status="cla")], actor=qa_lead.user)

    case = Case.objects.get(child_ref="C-1001")  # references are kept upper case, as audits keep them
    assert (case.service_area, case.team, case.worker, case.manager) == (own_area, own_team, worker, practice_manager)
    assert (case.legal_status, case.open_since) == (LegalStatus.CP, date(2025, 3, 14))
    assert (case.age_band, case.gender, case.ethnicity, case.disability) == ("5-9", "Female", "White British", "No")
    assert case.is_open and case.closed_on is None
    assert Case.objects.get(child_ref="C-1002").legal_status == LegalStatus.CLA

    record = CaseImport.objects.get()
    assert (record.imported_by, record.file_name) == (qa_lead.user, "annex-a.csv")
    assert (record.rows, record.created, record.updated, record.closed) == (2, 2, 0, 0)
    assert summary.record == record and not summary.dry_run
    assert set(Case.objects.values_list("last_import", flat=True)) == {record.pk}


def test_optional_columns_may_be_left_out_of_the_file(good):
    content = csv_file([good()], columns=list(ci.REQUIRED_COLUMNS))
    case_list_import(actor=None, content=content, file_name="annex-a.csv")
    assert Case.objects.get().age_band == ""


def test_areas_teams_and_people_are_matched_whatever_their_case(good, own_area, own_team, worker, practice_manager):
    load(
        [
            good(
                child_ref="C-1", service_area="swf", team=own_team.name.upper(), worker_email=worker.user.email.upper()
            ),
            good(child_ref="C-2", service_area=own_area.name, manager_email=practice_manager.user.email.title()),
        ]
    )
    assert {(c.service_area, c.team, c.worker, c.manager) for c in cases().values()} == {
        (own_area, own_team, worker, practice_manager)
    }


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("CIN", LegalStatus.CIN),
        ("Child protection", LegalStatus.CP),
        ("child looked after", LegalStatus.CLA),
        ("care-leaver", LegalStatus.CARE_LEAVER),
        ("Care Leaver", LegalStatus.CARE_LEAVER),
        ("early_help", LegalStatus.EARLY_HELP),
    ],
)
def test_legal_status_is_read_as_code_or_label_in_any_case(good, written, expected):
    load([good(legal_status=written)])
    assert Case.objects.get().legal_status == expected


def test_an_unallocated_case_has_no_worker_and_a_case_may_have_no_team(good):
    load([good(worker_email="", team="")])
    case = Case.objects.get()
    assert case.worker is None and case.team is None


def test_open_since_may_be_written_the_uk_way_and_may_be_today(good):
    load([good(child_ref="C-1", open_since="31/01/2024"), good(child_ref="C-2", open_since="2026-11-23")])
    assert {c.child_ref: c.open_since for c in cases().values()} == {"C-1": date(2024, 1, 31), "C-2": TODAY}


def test_an_excel_workbook_with_real_date_cells_is_read_like_a_csv(good):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    values = good()
    values["open_since"] = date(2025, 3, 14)
    sheet.append([values[column] for column in COLUMNS])
    content = io.BytesIO()
    workbook.save(content)

    case_list_import(actor=None, content=content.getvalue(), file_name="Annex A.xlsx")

    assert Case.objects.get().open_since == date(2025, 3, 14)


# -- a bad file: every problem listed, nothing saved ----------------------------------------


def date_refused(text: str) -> str:
    """The reason quality.tabular gives for a date it cannot read (its wording is its own)."""
    with pytest.raises(ValueError) as refused:
        parse_date(text)
    return str(refused.value)


BAD_CELLS = {
    "no reference": ("child_ref", "", ci.REF_REQUIRED),
    "a name as the reference": ("child_ref", "Jane Smith", ci.REF_INVALID),
    "no service area": ("service_area", "", ci.AREA_REQUIRED),
    "an unknown service area": ("service_area", "XYZ", ci.AREA_UNKNOWN.format(value="XYZ")),
    "a team of no area": ("team", "Nowhere", ci.TEAM_UNKNOWN.format(value="Nowhere", code="SWF")),
    "an unknown worker": (
        "worker_email",
        "nobody@council.example",
        ci.PERSON_UNKNOWN.format(value="nobody@council.example"),
    ),
    "an unknown manager": (
        "manager_email",
        "ghost@council.example",
        ci.PERSON_UNKNOWN.format(value="ghost@council.example"),
    ),
    "no manager": ("manager_email", "", ci.MANAGER_REQUIRED),
    "no legal status": ("legal_status", "", ci.STATUS_REQUIRED),
    "an unknown legal status": ("legal_status", "s47", ci.STATUS_INVALID.format(value="s47")),
    "no open date": ("open_since", "", ci.OPEN_SINCE_REQUIRED),
    "a date that is not one": ("open_since", "next week", date_refused("next week")),
    "a day that does not exist": (
        "open_since",
        "31/02/2025",
        "'31/02/2025' is not a real date (use YYYY-MM-DD or DD/MM/YYYY)",
    ),
    "an open date in the future": ("open_since", "2026-11-24", ci.OPEN_SINCE_FUTURE.format(value="2026-11-24")),
    "an over-long gender": ("gender", "x" * 31, ci.TEXT_TOO_LONG.format(limit=30)),
    "an over-long age band": ("age_band", "x" * 21, ci.TEXT_TOO_LONG.format(limit=20)),
}


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_a_bad_cell_refuses_the_file_naming_its_row_column_and_reason(good, column, value, reason):
    errors = refusal([good(child_ref="C-1"), good(**{"child_ref": "C-2", column: value})])

    assert errors == [RowError(3, column, reason)]
    assert not Case.objects.exists() and not CaseImport.objects.exists()


def test_a_retired_service_area_is_refused(good, own_area, admin_person):
    service_area_retire(actor=admin_person.user, area=own_area, reason="Restructure")
    assert refusal([good()]) == [RowError(2, "service_area", ci.AREA_RETIRED.format(code="SWF"))]


def test_a_team_of_another_area_is_not_a_team_of_the_rows_area(good, other_team):
    assert refusal([good(team=other_team.name)]) == [
        RowError(2, "team", ci.TEAM_UNKNOWN.format(value=other_team.name, code="SWF"))
    ]


def test_a_closed_team_is_refused(good, own_area):
    TeamFactory(service_area=own_area, name="SWF West", is_active=False)
    assert refusal([good(team="SWF West")]) == [RowError(2, "team", ci.TEAM_CLOSED.format(value="SWF West"))]


def test_someone_who_has_left_cannot_hold_a_case(good, worker):
    worker.user.is_active = False
    worker.user.save()
    email = worker.user.email
    assert refusal([good()]) == [RowError(2, "worker_email", ci.PERSON_INACTIVE.format(value=email))]


def test_a_reference_repeated_in_the_file_names_the_row_it_first_appeared_on(good):
    errors = refusal([good(child_ref="C-1"), good(child_ref="C-2"), good(child_ref="c-1")])
    assert errors == [RowError(4, "child_ref", ci.REF_REPEATED.format(row=2))]


def test_every_problem_of_every_row_is_listed_in_row_order(good):
    errors = refusal(
        [
            good(child_ref="C-1", legal_status="x", open_since=""),
            good(child_ref="C-2"),
            good(child_ref="Bad Name", service_area="NOPE"),
        ]
    )
    assert [(error.row, error.column) for error in errors] == [
        (2, "legal_status"),
        (2, "open_since"),
        (4, "child_ref"),
        (4, "service_area"),
    ]


def test_a_missing_column_refuses_the_file_on_its_header_row(good):
    content = csv_file([good()], columns=[c for c in COLUMNS if c != "legal_status"])
    with pytest.raises(ImportRefused) as refused:
        case_list_import(actor=None, content=content, file_name="annex-a.csv")
    assert refused.value.errors == [RowError(1, "legal_status", "this column is missing")]


def test_a_refused_re_import_leaves_the_known_cases_as_they_were(good, worker):
    load([good(child_ref="C-1"), good(child_ref="C-2")])
    before = list(Case.objects.order_by("pk").values())

    refusal([good(child_ref="C-1", worker_email=""), good(child_ref="C-3", open_since="soon")])

    assert list(Case.objects.order_by("pk").values()) == before
    assert CaseImport.objects.count() == 1


def test_a_file_with_a_header_and_no_cases_is_refused_and_closes_nothing(good):
    load([good(child_ref="C-1"), good(child_ref="C-2")])

    assert refusal([]) == [RowError(0, "", ci.NO_CASES)]
    with pytest.raises(ImportRefused):
        load([], dry_run=True)

    assert sorted(Case.objects.filter(is_open=True).values_list("child_ref", flat=True)) == ["C-1", "C-2"]
    assert CaseImport.objects.count() == 1


# -- re-importing -----------------------------------------------------------------------------


def test_a_re_import_updates_creates_closes_and_reopens_by_reference(good, make_person, own_area, today):
    new_worker = make_person(Role.PRACTITIONER, own_area, full_name="Nia New")
    load([good(child_ref="C-1"), good(child_ref="C-2"), good(child_ref="C-3"), good(child_ref="C-4")])
    Case.objects.filter(child_ref="C-4").update(is_open=False, closed_on=date(2026, 6, 1))
    first = CaseImport.objects.get()

    with freeze_time("2026-12-02 09:00:00"):
        summary = load(
            [
                good(child_ref="C-1"),  # unchanged
                good(child_ref="c-2", worker_email=new_worker.user.email, legal_status="cla"),  # changed
                good(child_ref="C-4"),  # closed in June, back on the list
                good(child_ref="C-5"),  # new
            ]
        )  # C-3 has left the list

    known = cases()
    assert len(known) == 5, "a re-import never duplicates a case"
    assert (known["C-2"].worker, known["C-2"].legal_status) == (new_worker, LegalStatus.CLA)
    assert known["C-3"].is_open is False and known["C-3"].closed_on == date(2026, 12, 2)
    assert known["C-4"].is_open is True and known["C-4"].closed_on is None
    assert known["C-5"].is_open is True
    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (4, 1, 2, 1)
    assert (summary.closed, summary.reopened) == (1, 1)
    second = summary.record
    assert (second.rows, second.created, second.updated, second.closed) == (4, 1, 2, 1)
    # Every case on the new list was described by it; the closed one keeps the last list that named it.
    assert {ref: case.last_import_id for ref, case in known.items()} == {
        "C-1": second.pk,
        "C-2": second.pk,
        "C-3": first.pk,
        "C-4": second.pk,
        "C-5": second.pk,
    }


def test_a_closed_case_keeps_the_day_it_first_left_the_list(good):
    load([good(child_ref="C-1"), good(child_ref="C-2")])
    with freeze_time("2026-12-02"):
        load([good(child_ref="C-1")])
    with freeze_time("2027-01-05"):
        summary = load([good(child_ref="C-1")])

    assert Case.objects.get(child_ref="C-2").closed_on == date(2026, 12, 2)
    assert summary.closed == 0, "only open cases are counted as closed by a list"


def test_a_changed_case_is_marked_updated_and_an_unchanged_one_is_not_touched(good):
    load([good(child_ref="C-1"), good(child_ref="C-2")])
    stamps = dict(Case.objects.values_list("child_ref", "updated_at"))

    with freeze_time("2026-12-02 09:00:00"):
        load([good(child_ref="C-1"), good(child_ref="C-2", gender="Male")])

    after = dict(Case.objects.values_list("child_ref", "updated_at"))
    assert after["C-1"] == stamps["C-1"] and after["C-2"] > stamps["C-2"]


def test_a_dry_run_reports_what_would_change_and_saves_nothing(good):
    load([good(child_ref="C-1"), good(child_ref="C-2")])
    before = list(Case.objects.order_by("pk").values())

    summary = load([good(child_ref="C-1", gender="Male"), good(child_ref="C-3")], dry_run=True)

    assert summary.dry_run and summary.record is None
    assert (summary.created, summary.updated, summary.unchanged, summary.closed) == (1, 1, 0, 1)
    assert "would be closed" in str(summary)
    assert list(Case.objects.order_by("pk").values()) == before
    assert CaseImport.objects.count() == 1


def test_a_dry_run_of_a_bad_file_lists_its_problems_too(good):
    with pytest.raises(ImportRefused):
        case_list_import(actor=None, content=csv_file([good(child_ref="")]), file_name="a.csv", dry_run=True)


def test_the_log_says_what_changed_with_ids_and_counts_never_references_or_file_names(good, caplog):
    with caplog.at_level(logging.INFO, logger="audits.cycle.case_import"):
        load([good(child_ref="C-7001")], file_name="annex-a-swf.csv")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert f"case list import {CaseImport.objects.get().pk}" in text
    assert "C-7001" not in text and "annex-a" not in text


# -- a council's whole list: 20,000 cases ----------------------------------------------------

BIG = 20_000
MAX_QUERIES = 60  # a handful of reads, then batches of 1,000: about 20 writes per 20,000 cases


def big_list(people, teams, *, start: int = 0, count: int = BIG, status: str = "cin", worker: int = 0) -> list[dict]:
    statuses = ("cin", "cp", "cla", "care_leaver", "early_help")
    return [
        {
            "child_ref": f"C{n:06d}",
            "service_area": "SWF" if n % 2 else "PTC",
            "team": teams[n % 2].name,
            "worker_email": people[n % 2][worker].user.email if n % 7 else "",
            "manager_email": people[n % 2][1].user.email,
            "legal_status": status if n % 10 == 0 else statuses[n % 5],
            "open_since": f"20{10 + n % 15}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "age_band": "10-15",
            "gender": "Female" if n % 2 else "Male",
            "ethnicity": "Not recorded",
            "disability": "Yes" if n % 9 == 0 else "No",
        }
        for n in range(start, start + count)
    ]


@pytest.fixture
def big_world(make_person, own_area, other_area, own_team, other_team):
    people = {
        # (worker, manager, another worker) of each area
        1: tuple(make_person(role, own_area) for role in (Role.PRACTITIONER, Role.PRACTICE_MANAGER, Role.PRACTITIONER)),
        0: tuple(
            make_person(role, other_area) for role in (Role.PRACTITIONER, Role.PRACTICE_MANAGER, Role.PRACTITIONER)
        ),
    }
    return people, {1: own_team, 0: other_team}


def timed_import(rows, qa_lead) -> tuple[float, list[str], object]:
    content = csv_file(rows)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        summary = case_list_import(actor=qa_lead.user, content=content, file_name="annex-a.csv")
        elapsed = time.perf_counter() - started
    return elapsed, [query["sql"] for query in queries.captured_queries], summary


def test_twenty_thousand_cases_load_and_reload_in_bulk_in_seconds(big_world, qa_lead):
    # The real clock (no freezegun): it would slow every call and stop the timer.
    people, teams = big_world
    elapsed, queries, summary = timed_import(big_list(people, teams), qa_lead)
    assert summary.created == BIG and Case.objects.count() == BIG
    assert elapsed < 20, f"the first load took {elapsed:.1f} s"
    assert len(queries) <= MAX_QUERIES, f"{len(queries)} queries for {BIG} rows"

    # The next month: 1,000 cases gone, 1,000 new, and some cases' legal status changed.
    rows = big_list(people, teams, start=1_000, status="cp")
    elapsed, queries, summary = timed_import(rows, qa_lead)

    changed = sum(1 for n in range(1_000, BIG) if n % 10 == 0)  # every tenth row was "cin", now "cp"
    assert (summary.created, summary.closed, summary.updated) == (1_000, 1_000, changed)
    assert Case.objects.count() == BIG + 1_000 and Case.objects.filter(is_open=True).count() == BIG
    assert elapsed < 20, f"the re-import took {elapsed:.1f} s"
    assert len(queries) <= MAX_QUERIES, f"{len(queries)} queries for {BIG} rows"

    # A restructure: every allocated case has a new worker.
    elapsed, queries, summary = timed_import(big_list(people, teams, start=1_000, status="cp", worker=2), qa_lead)

    assert summary.updated == sum(1 for n in range(1_000, BIG + 1_000) if n % 7)
    assert elapsed < 20, f"the restructure took {elapsed:.1f} s"
    assert len(queries) <= MAX_QUERIES, f"{len(queries)} queries for {BIG} rows"


# -- the command -------------------------------------------------------------------------------


def write(tmp_path, rows, name="annex-a.csv"):
    path = tmp_path / name
    path.write_bytes(csv_file(rows))
    return path


def test_the_command_imports_a_file_and_prints_what_changed(good, tmp_path):
    out = io.StringIO()
    call_command("import_cases", str(write(tmp_path, [good(child_ref="C-1"), good(child_ref="C-2")])), stdout=out)

    assert Case.objects.count() == 2
    record = CaseImport.objects.get()
    assert record.imported_by is None and record.file_name == "annex-a.csv"
    assert out.getvalue().startswith("Imported: 2 cases in the file: 2 new, 0 updated")


def test_the_command_lists_every_problem_on_stderr_and_fails_saving_nothing(good, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = write(tmp_path, [good(child_ref="C-1", legal_status="s47"), good(child_ref="C-2", manager_email="")])

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_cases", str(path), stdout=out, stderr=err)

    assert err.getvalue().splitlines() == [
        "row 2, legal_status: " + ci.STATUS_INVALID.format(value="s47"),
        "row 3, manager_email: " + ci.MANAGER_REQUIRED,
    ]
    assert not Case.objects.exists() and not CaseImport.objects.exists()


def test_the_command_dry_run_reports_and_saves_nothing(good, tmp_path):
    out = io.StringIO()
    call_command("import_cases", str(write(tmp_path, [good()])), "--dry-run", stdout=out)

    assert out.getvalue().startswith("Dry run, nothing saved: 1 case in the file: 1 new")
    assert not Case.objects.exists() and not CaseImport.objects.exists()


def test_the_command_refuses_a_file_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_cases", str(tmp_path / "missing.csv"))
