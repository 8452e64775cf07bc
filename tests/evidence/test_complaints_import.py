"""Loading the complaints system's export: all or nothing (quality/tabular.py), CSV and XLSX, a bad row
named by its number and reason with nothing saved, and a reference already logged never doubled."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from evidence.complaints import imports
from evidence.complaints.imports import complaints_import
from evidence.complaints.models import Entry, EntryLoad, Kind, Outcome, Source, Theme
from quality.org.selectors import changes_to
from quality.tabular import ImportRefused, RowError

from .complaint_files import export_csv, export_xlsx, row

pytestmark = pytest.mark.usefixtures("frozen_today", "own_team", "other_team")


def load(rows, *, name="complaints.csv", actor=None, dry_run=False):
    content = export_xlsx(rows) if name.endswith(".xlsx") else export_csv(rows)
    return complaints_import(actor=actor, content=content, file_name=name, dry_run=dry_run)


GOOD = [
    row("CMP-1"),
    row(
        "cmp-2",
        service_area="Pathways Through Care",
        team="",
        kind="Compliment",
        theme="The child's voice heard",
        outcome="",
    ),
    row("CMP-3", received_on="2026-10-01", theme="worker changes", outcome="Partly upheld", team="swf east"),
    row("CMP-4", service_area="ptc", team="Care Leavers", outcome="", learning=""),
]


@pytest.mark.parametrize("name", ["complaints.csv", "complaints.xlsx"])
def test_a_good_file_loads_every_row(qa_officer, name):
    summary = load(GOOD, name=name, actor=qa_officer.user)

    assert (summary.rows, summary.created, summary.already_logged) == (4, 4, 0)
    entries = {entry.source_reference: entry for entry in Entry.objects.select_related("service_area", "team")}
    assert set(entries) == {"CMP-1", "CMP-2", "CMP-3", "CMP-4"}
    compliment = entries["CMP-2"]
    assert (compliment.kind, compliment.theme, compliment.outcome) == (
        Kind.COMPLIMENT,
        Theme.CHILDS_VOICE,
        Outcome.NOT_APPLICABLE,
    )
    assert (compliment.service_area.code, compliment.team) == ("PTC", None)
    assert (entries["CMP-3"].received_on, entries["CMP-3"].outcome) == (date(2026, 10, 1), Outcome.PARTLY_UPHELD)
    assert entries["CMP-3"].team.name == "SWF East"
    assert entries["CMP-4"].outcome == Outcome.OPEN  # a complaint with no outcome yet
    assert entries["CMP-1"].received_on == date(2026, 11, 2)
    assert {entry.source for entry in entries.values()} == {Source.IMPORTED}
    assert {entry.recorded_by for entry in entries.values()} == {qa_officer.user}
    [load_record] = EntryLoad.objects.all()
    assert (load_record.loaded_by, load_record.file_name, load_record.created) == (qa_officer.user, name, 4)
    assert [record.summary for record in changes_to(entries["CMP-1"])] == [
        f"Loaded from the complaints system export {name}"
    ]


@pytest.mark.parametrize("name", ["complaints.csv", "complaints.xlsx"])
def test_a_file_with_one_bad_row_loads_nothing_and_names_the_row_and_the_problem(name):
    rows = [*GOOD[:2], row("CMP-9", team="Care Leavers"), GOOD[2]]

    with pytest.raises(ImportRefused) as refused:
        load(rows, name=name)

    assert refused.value.errors == [RowError(4, "team", imports.TEAM_UNKNOWN.format(value="Care Leavers", code="SWF"))]
    assert not Entry.objects.exists()
    assert not EntryLoad.objects.exists()


def test_every_problem_of_every_row_is_listed():
    rows = [
        row("CMP-1", received_on="31/02/2026", kind="concern"),
        row("CMP-1", service_area="XYZ"),
        row("Jane Smith", theme="housing", outcome="sorted"),
        row("CMP-4", kind="compliment", outcome="upheld", received_on="17/11/2026"),
        row("", learning="x" * (imports.LEARNING_LIMIT + 1)),
    ]

    with pytest.raises(ImportRefused) as refused:
        load(rows)

    assert [(error.row, error.column) for error in refused.value.errors] == [
        (2, "kind"),
        (2, "received_on"),
        (3, "reference"),
        (3, "service_area"),
        (4, "outcome"),
        (4, "reference"),
        (4, "theme"),
        (5, "outcome"),
        (5, "received_on"),
        (6, "learning"),
        (6, "reference"),
    ]
    reasons = {(error.row, error.column): error.reason for error in refused.value.errors}
    assert reasons[(3, "reference")] == imports.REF_REPEATED.format(row=2)
    assert reasons[(4, "reference")] == imports.REF_INVALID
    assert reasons[(5, "outcome")] == imports.OUTCOME_FOR_COMPLIMENT
    assert reasons[(5, "received_on")] == imports.DATE_FUTURE.format(value="17/11/2026")
    assert not Entry.objects.exists()


def test_a_reference_already_logged_is_left_as_it_is_and_counted(qa_officer):
    load(GOOD[:2])
    Entry.objects.filter(source_reference="CMP-1").update(outcome=Outcome.UPHELD, learning="Agreed with the family.")

    summary = load([row("CMP-1", outcome="not_upheld"), *GOOD[1:]], actor=qa_officer.user)

    assert (summary.rows, summary.created, summary.already_logged) == (4, 2, 2)
    assert Entry.objects.count() == 4
    kept = Entry.objects.get(source_reference="CMP-1")
    assert (kept.outcome, kept.learning) == (Outcome.UPHELD, "Agreed with the family.")
    assert str(summary) == "4 rows in the file: 2 added; 2 already in the log, left as they are."


def test_a_check_saves_nothing_and_says_what_a_load_would_add():
    summary = load(GOOD, dry_run=True)

    assert summary.dry_run
    assert str(summary) == "4 rows in the file: 4 would be added; 0 already in the log, left as they are."
    assert not Entry.objects.exists()
    assert not EntryLoad.objects.exists()


def test_a_header_without_rows_is_refused():
    with pytest.raises(ImportRefused) as refused:
        load([])

    assert refused.value.errors == [RowError(0, "", imports.NO_ROWS)]


def test_the_command_loads_a_file_and_refuses_a_bad_one_with_its_rows(tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(export_csv(GOOD))
    bad.write_bytes(export_csv([row("CMP-8", theme="housing")]))

    call_command("import_complaints", str(good))
    with pytest.raises(CommandError):
        call_command("import_complaints", str(bad))

    assert Entry.objects.count() == 4
    assert "row 2, theme: 'housing' is not a theme" in capsys.readouterr().err


def test_the_demo_loads_a_quarter_across_the_areas_through_the_import_once():
    from evidence.complaints import demo
    from quality.org import demo as org_demo

    org_demo.load()
    demo.load()
    demo.load()

    entries = Entry.objects.all()
    assert entries.count() == demo.ENTRIES
    assert EntryLoad.objects.get().loaded_by.email == demo.QA_OFFICER_EMAIL
    assert {entry.kind for entry in entries} == {Kind.COMPLAINT, Kind.COMPLIMENT}
    assert len({entry.service_area_id for entry in entries}) >= 5
    days = sorted(entry.received_on for entry in entries)
    assert (days[0], days[-1]) == (date(2026, 8, 18), date(2026, 11, 16))  # the 13 weeks to the suite's today
