"""The month's scorecard as CSV, XLSX and JSON: exactly the columns of the issue, the figures of the page,
the same bytes from the download and from `manage.py export_scorecard`."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from performance.catalogue import indicator_catalogue_import
from performance.exports import COLUMNS, scorecard_csv
from performance.loads import kpi_values_import
from performance.scorecard import scorecard
from quality.org.models import Role

from .test_scorecard import make_indicator, put, set_year

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
EXPECTED_HEADER = (
    "code,title,priority_area,unit,period,value,numerator,denominator,display,target,rag,"
    "change_prev_month_pct,change_prev_year_pct,avg_12m,min_12m,max_12m,previous_year,"
    "statistical_neighbours,south_east,england,data_quality,"
    "change_prev_month,change_prev_year,change_measure"
)
FLAG = "Supplied 83% but 264/333 is 79.3%"


@pytest.fixture
def figures():
    m1 = make_indicator("M1", title="Assessments completed in 45 days", area="Effective assessment")
    set_year(
        m1,
        2026,
        80,
        previous_year=75,
        statistical_neighbours="78.5",
        england=77,
        comparator_notes={"south_east": "N/A"},
    )
    put(m1, "2026-09", numerator=250, denominator=330)
    put(m1, "2026-10", numerator=264, denominator=333, supplied_value=Decimal(83), data_quality=FLAG)
    k1 = make_indicator(
        "K1", unit="count", polarity="lower", title="Children missing from care", area="Corporate parenting"
    )
    set_year(k1, 2026, 100)
    put(k1, "2025-10", 80)
    put(k1, "2026-09", 100)
    put(k1, "2026-10", 120)
    t1 = make_indicator("T1", title='=HYPERLINK("http://evil")', area="Corporate parenting")
    put(t1, "2026-10", note="TBC")
    return m1, k1, t1


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_the_issues_columns_then_the_measured_changes_and_one_row_per_indicator(figures):
    text = scorecard_csv(scorecard(OCT))

    assert text.splitlines()[0] == EXPECTED_HEADER
    assert ",".join(COLUMNS) == EXPECTED_HEADER
    assert [row["code"] for row in rows_of(text)] == ["M1", "K1", "T1"]


def test_a_percentage_row_has_its_figures_unrounded_or_to_four_places_and_its_flag(figures):
    m1 = rows_of(scorecard_csv(scorecard(OCT)))[0]

    september, october = Decimal("75.757576"), Decimal("79.279279")  # as stored: 6 decimal places
    assert m1 == {
        "code": "M1",
        "title": "Assessments completed in 45 days",
        "priority_area": "Effective assessment",
        "unit": "percentage",
        "period": "2026-10",
        "value": "79.279279",
        "numerator": "264",
        "denominator": "333",
        "display": "79% (264/333)",
        "target": "80",
        "rag": "amber",
        "change_prev_month_pct": str((100 * (october - september) / september).quantize(Decimal("0.0001"))),
        "change_prev_year_pct": "",
        "avg_12m": str(((september + october) / 2).quantize(Decimal("0.0001"))),
        "min_12m": "75.757576",
        "max_12m": "79.279279",
        "previous_year": "75",
        "statistical_neighbours": "78.5",
        "south_east": "",
        "england": "77",
        "data_quality": FLAG,
        "change_prev_month": str((october - september).quantize(Decimal("0.0001"))),
        "change_prev_year": "",
        "change_measure": "percentage points",
    }
    # The issue-6 column keeps the relative change (+4.6486%); the added one is in points
    # as on the page and in the pack: 79.279279 - 75.757576.
    assert m1["change_prev_month_pct"] == "4.6486"
    # In points, as on the page and in the pack: 79.279279 - 75.757576, not the relative +4.6486%.
    assert m1["change_prev_month"] == "3.5217"


def test_a_count_row_and_a_row_without_a_figure(figures):
    _, k1, t1 = rows_of(scorecard_csv(scorecard(OCT)))

    assert {key: k1[key] for key in ("value", "display", "target", "rag", "change_prev_month", "change_measure")} == {
        "value": "120",
        "display": "120",
        "target": "100",
        "rag": "red",
        "change_prev_month": "20",  # relative: 100 x 20 / 100
        "change_measure": "relative %",
    }
    assert k1["change_prev_month_pct"] == k1["change_prev_month"]  # a count's change is relative in both
    assert (k1["change_prev_year"], k1["avg_12m"], k1["min_12m"], k1["max_12m"]) == ("50", "110", "100", "120")
    assert (t1["value"], t1["display"], t1["rag"], t1["target"]) == ("", "TBC", "", "")
    # A title a spreadsheet would run as a formula is written as text.
    assert t1["title"] == '\'=HYPERLINK("http://evil")'


def test_the_xlsx_holds_the_same_rows_with_numbers_as_numbers(figures, tmp_path):
    out = tmp_path / "scorecard.xlsx"
    call_command("export_scorecard", "--period", "2026-10", "--format", "xlsx", "--output", str(out))

    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    m1 = dict(zip(COLUMNS, rows[1], strict=True))
    assert m1["value"] == pytest.approx(79.279279)
    assert (m1["display"], m1["rag"], m1["data_quality"]) == ("79% (264/333)", "amber", FLAG)
    assert sheet.title == "Scorecard 2026-10"
    assert len(rows) == 4


def test_the_json_holds_the_rows_and_the_quality_assurance_section(figures):
    out = io.StringIO()
    call_command("export_scorecard", "--period", "2026-10", "--format", "json", stdout=out)

    document = json.loads(out.getvalue())
    assert document["period"] == "2026-10" and document["locked"] is False
    first = document["indicators"][0]
    assert list(first) == list(COLUMNS)
    assert (first["value"], first["numerator"], first["target"], first["south_east"]) == (79.279279, 264, 80, None)
    assert [month["period"] for month in document["quality_assurance"]["months"]][-1] == "2026-10"
    assert document["quality_assurance"]["months"][-1]["cases_audited"] == 0


def test_the_command_writes_the_csv_to_standard_output_and_the_same_as_the_builder(figures):
    out = io.StringIO()
    call_command("export_scorecard", "--period", "2026-10", "--format", "csv", stdout=out)

    assert out.getvalue() == scorecard_csv(scorecard(OCT))


def test_the_command_writes_a_file_when_told(figures, tmp_path):
    out = tmp_path / "out.csv"
    call_command(
        "export_scorecard", "--period", "2026-10", "--format", "csv", "--output", str(out), stderr=io.StringIO()
    )

    assert out.read_text(encoding="utf-8") == scorecard_csv(scorecard(OCT))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--period", "2026-13", "--format", "csv"], "is not a month"),
        (["--period", "0001-01", "--format", "csv"], "Give a month between 2000 and 2100"),
        (["--period", "2026-10", "--format", "xlsx"], "give --output PATH"),
    ],
)
def test_the_command_refuses_a_bad_month_and_an_xlsx_without_a_file(db, arguments, message):
    # A text stream (like a terminal) cannot take the workbook's bytes.
    with pytest.raises(CommandError, match=message):
        call_command("export_scorecard", *arguments, stdout=io.StringIO())


def test_the_command_writes_an_xlsx_to_standard_output_redirected_to_a_file(figures):
    # export_scorecard --period 2026-10 --format xlsx > scorecard.xlsx
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")

    call_command("export_scorecard", "--period", "2026-10", "--format", "xlsx", stdout=out)

    rows = list(load_workbook(io.BytesIO(out.buffer.getvalue())).active.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS) and [row[0] for row in rows[1:]] == ["M1", "K1", "T1"]


def test_the_command_refuses_an_unknown_format(db):
    with pytest.raises(CommandError):
        call_command("export_scorecard", "--period", "2026-10", "--format", "pdf")


@pytest.mark.parametrize(("name", "content_type"), [("csv", "text/csv"), ("xlsx", "spreadsheetml"), ("json", "json")])
def test_the_page_downloads_are_the_commands_files(client, figures, make_person, name, content_type):
    client.force_login(make_person(Role.READ_ONLY).user)

    response = client.get(reverse(f"performance:scorecard_{name}", args=["2026-10"]))

    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    assert response["Content-Disposition"] == f'attachment; filename="scorecard-2026-10.{name}"'
    if name == "csv":
        assert response.content.decode() == scorecard_csv(scorecard(OCT))


def test_a_practitioner_may_not_download_the_scorecard(client, figures, make_person, own_area):
    client.force_login(make_person(Role.PRACTITIONER, own_area).user)

    assert client.get(reverse("performance:scorecard_csv", args=["2026-10"])).status_code == 403


def test_a_negative_figure_is_written_as_a_number_and_formula_like_text_is_not(db):
    indicator = make_indicator("NET", unit="count", polarity="neutral", title="+cmd|' /C calc'!A0")
    put(indicator, "2026-10", -1343)

    row = rows_of(scorecard_csv(scorecard(OCT)))[0]

    assert (row["value"], row["display"]) == ("-1343", "-1,343")
    assert row["title"] == "'+cmd|' /C calc'!A0"


# --- The council's own codes: spaces and brackets -------------------------------------------------


@freeze_time("2026-11-23 10:00")  # October 2026 has ended, so its figures may be loaded
def test_a_code_with_spaces_and_brackets_is_exported_as_written_with_its_month_on_month_change(
    client, make_person, tmp_path
):
    catalogue = (
        "code,title,priority_area,unit,polarity,target\n"
        "M6-QL (val),Children seen alone on visits,Purposeful direct contact,percentage,higher,95%\n"
        "EH4 (val),Assessments in 45 days,Effective assessment,percentage,higher,90%\n"
    )
    indicator_catalogue_import(actor=None, content=catalogue.encode(), file_name="catalogue.csv", year=2026)
    indicator_catalogue_import(actor=None, content=catalogue.encode(), file_name="catalogue.csv", year=2025)
    values = (
        "indicator,period,numerator,denominator\n"
        "M6-QL (val),2025-10,40,50\n"  # 80%
        "m6-ql  (VAL),2026-09,45,50\n"  # 90%: the values file writes the code its own way
        "M6-QL (VAL),2026-10,48,50\n"  # 96%
        "eh4 (val),2026-10,9,10\n"
    )
    kpi_values_import(actor=None, content=values.encode(), file_name="values.csv")

    text = scorecard_csv(scorecard(OCT))

    m6 = rows_of(text)[0]
    assert (m6["code"], m6["display"], m6["target"], m6["rag"]) == ("M6-QL (val)", "96% (48/50)", "95", "green")
    assert (m6["change_prev_month"], m6["change_prev_year"]) == ("6", "16")  # points: 96 - 90, 96 - 80
    assert (m6["change_prev_month_pct"], m6["change_prev_year_pct"]) == ("6.6667", "20")  # relative
    assert [row["code"] for row in rows_of(text)] == ["M6-QL (val)", "EH4 (val)"]

    # The download and the command give the same file; neither names the indicator in its address.
    client.force_login(make_person(Role.READ_ONLY).user)
    download = client.get(reverse("performance:scorecard_csv", args=["2026-10"]))
    out = io.StringIO()
    call_command("export_scorecard", "--period", "2026-10", "--format", "csv", stdout=out)
    assert download.content.decode() == out.getvalue() == text
    document = json.loads(client.get(reverse("performance:scorecard_json", args=["2026-10"])).content)
    assert document["indicators"][0]["code"] == "M6-QL (val)"
    assert document["indicators"][0]["change_prev_month"] == 6
