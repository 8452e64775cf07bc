"""The shared reader of every import (quality/tabular.py): rows numbered as Excel numbers them,
every problem of the header at once, and an unreadable file refused with a reason, never a 500."""

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from quality.tabular import NUL_IN_CELL, ImportRefused, parse_date, parse_month, parse_yes_no, read_sheet


def refusal(content: bytes, name: str = "list.csv", **columns) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        read_sheet(content, name, required=columns.get("required", ["child_ref"]), optional=columns.get("optional", []))
    return [str(error) for error in refused.value.errors]


def test_rows_keep_the_numbers_excel_shows_blank_lines_counted_but_skipped():
    sheet = read_sheet(b"Child_Ref,Team\n\nC1,East\n,\nC2,\n", "list.csv", required=["child_ref"], optional=["team"])
    assert sheet.columns == ["child_ref", "team"]
    assert sheet.rows == [(3, {"child_ref": "C1", "team": "East"}), (5, {"child_ref": "C2", "team": ""})]


def test_an_xlsx_file_reads_like_a_csv_file_with_dates_and_whole_numbers_as_typed():
    workbook = Workbook()
    workbook.active.append(["child_ref", "open_since", "count"])
    workbook.active.append(["C1", datetime(2026, 1, 31), 12.0])
    content = io.BytesIO()
    workbook.save(content)
    sheet = read_sheet(content.getvalue(), "list.xlsx", required=["child_ref", "open_since", "count"])
    assert sheet.rows == [(2, {"child_ref": "C1", "open_since": "2026-01-31", "count": "12"})]


def test_every_problem_of_the_header_is_listed_at_once():
    assert refusal(b"childref,team,team\nC1,A,B\n", optional=["team"]) == [
        "row 1: a column appears twice",
        "row 1, child_ref: this column is missing",
        "row 1, childref: unknown column (the columns are: child_ref, team)",
    ]


@pytest.mark.parametrize(
    "content,name,reason",
    [
        (b"", "list.csv", "file: the file is empty"),
        (b"child_ref\nC1\n", "list.pdf", "file: the file must be a CSV (.csv) or an Excel workbook (.xlsx)"),
        (b"not a workbook", "list.xlsx", "file: the file is not a readable Excel workbook (.xlsx)"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_the_reason(content, name, reason):
    assert refusal(content, name) == [reason]


def test_a_csv_the_csv_module_cannot_parse_is_refused_not_a_server_error():
    huge_field = b"child_ref\n" + b"x" * 200_000 + b"\n"
    (problem,) = refusal(huge_field)
    assert problem.startswith("file: the file is not a readable CSV file")


def test_a_nul_character_in_a_cell_is_refused_by_its_row_before_it_reaches_the_database():
    assert refusal(b"child_ref\nC1\nC2\x00\n") == ["row 3: " + NUL_IN_CELL]


def test_cells_parse_as_people_write_them():
    assert str(parse_date("31/01/2023")) == str(parse_date("2023-01-31")) == "2023-01-31"
    assert str(parse_month("2023-11")) == "2023-11-01"
    assert (parse_yes_no("Yes"), parse_yes_no("n"), parse_yes_no("")) == (True, False, None)
    for bad, parse in (("30/02/2023", parse_date), ("2023-13", parse_month), ("maybe", parse_yes_no)):
        with pytest.raises(ValueError):
            parse(bad)
