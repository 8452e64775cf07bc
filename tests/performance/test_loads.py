"""Monthly KPI values: the load (service and `manage.py import_kpi_values`), its history of
replaced figures, data-quality mismatches, and the upload and load-report pages.

A values file is checked whole: every bad row is listed (row, column, reason), nothing is saved
and the command exits non-zero.
"""

import csv
import io
import time
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import Workbook

from performance import loads as ld
from performance.catalogue import indicator_create
from performance.loads import kpi_values_import
from performance.models import Indicator, KpiValue, MonthLock, ValueLoad
from quality.months import add_months
from quality.org.models import Role
from quality.tabular import ImportRefused, RowError

from ..factories import TeamFactory, person_with_role

pytestmark = pytest.mark.django_db

HEADER = [*ld.REQUIRED_COLUMNS, *ld.OPTIONAL_COLUMNS]
OCT = date(2026, 10, 1)


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def row(indicator="M1", period="2026-10", **cells) -> dict:
    return {"indicator": indicator, "period": period, **cells}


@pytest.fixture(autouse=True)
def today():
    with freeze_time("2026-11-23 10:00:00"):
        yield date(2026, 11, 23)


@pytest.fixture
def indicators():
    def make(code, unit, polarity="higher", **extra):
        return indicator_create(
            actor=None,
            code=code,
            title=f"Indicator {code}",
            priority_area="Area",
            unit=unit,
            polarity=polarity,
            **extra,
        )

    return {
        "M1": make("M1", "count", "neutral"),
        "EH3a%": make("EH3a%", "percentage"),
        "CP6B": make("CP6B", "rate", "lower"),
    }


def load(rows, *, actor=None, dry_run=False, file_name="values.csv"):
    return kpi_values_import(actor=actor, content=as_csv(rows), file_name=file_name, dry_run=dry_run)


def refused(rows) -> list[RowError]:
    with pytest.raises(ImportRefused) as caught:
        load(rows)
    assert not KpiValue.objects.exists() and not ValueLoad.objects.exists()
    return caught.value.errors


def current(code, period=OCT, breakdown=""):
    return KpiValue.objects.get(indicator__code=code, period=period, breakdown=breakdown, is_current=True)


# --- Loading -----------------------------------------------------------------------------------


def test_a_percentage_is_computed_from_numerator_and_denominator(indicators, performance_officer):
    summary = load([row("EH3a%", numerator="264", denominator="333")], actor=performance_officer.user)

    figure = current("EH3a%")
    assert figure.value == D("79.279279")  # 100 x 264 / 333, kept to six places
    assert (figure.numerator, figure.denominator, figure.supplied_value, figure.data_quality) == (
        D(264),
        D(333),
        None,
        "",
    )
    assert figure.load == summary.load and summary.load.loaded_by == performance_officer.user
    assert (summary.load.rows, summary.load.replaced, summary.load.mismatches) == (1, 0, 0)


def test_a_supplied_percentage_half_a_point_away_is_loaded_computed_and_flagged(indicators):
    # 45 / 50 = 90%: the file says 90.5 (exactly 0.5 away: flagged) and 89.51 (0.49: not flagged).
    summary = load(
        [
            row("EH3a%", value="90.5", numerator="45", denominator="50"),
            row("EH3a%", period="2026-09", value="89.51%", numerator="45", denominator="50"),
        ]
    )

    flagged = current("EH3a%")
    assert (flagged.value, flagged.supplied_value) == (D(90), D("90.5"))
    assert flagged.data_quality == "The file gave 90.5%, but 45/50 is 90.0%"
    fine = current("EH3a%", date(2026, 9, 1))
    assert (fine.value, fine.supplied_value, fine.data_quality) == (D(90), None, "")
    assert summary.load.mismatches == 1
    assert [(m.row, m.code, m.period, m.breakdown, m.supplied, m.computed) for m in summary.mismatches] == [
        (2, "EH3a%", OCT, "council-wide", D("90.5"), D(90))
    ]


def test_counts_and_rates_take_their_value_or_a_note(indicators):
    load([row("M1", value="1,343"), row("CP6B", note="TBC"), row("EH3a%", value="79%", note="provisional")])

    assert current("M1").value == D(1343)
    assert (current("CP6B").value, current("CP6B").note) == (None, "TBC")
    assert (current("EH3a%").value, current("EH3a%").note) == (D(79), "provisional")


def test_breakdowns_by_area_and_team_are_figures_of_their_own(indicators, own_area, own_team):
    load(
        [
            row("M1", value="100"),
            row("M1", value="40", service_area="SWF"),
            row("M1", value="15", service_area="Social Work with Families", team="swf east"),
            row("M1", value="12", period="2026-09", team="SWF East"),  # the team alone names its area
        ]
    )

    assert current("M1").value == D(100)
    by_area = current("M1", breakdown=f"area:{own_area.pk}")
    assert (by_area.value, by_area.service_area, by_area.team) == (D(40), own_area, None)
    by_team = current("M1", breakdown=f"team:{own_team.pk}")
    assert (by_team.value, by_team.service_area, by_team.team) == (D(15), own_area, own_team)
    assert current("M1", date(2026, 9, 1), f"team:{own_team.pk}").team == own_team


def test_loading_a_figure_again_replaces_it_and_keeps_the_history(indicators, performance_officer, own_area):
    first = load([row("M1", value="100"), row("M1", value="40", service_area="SWF"), row("M1", "2026-09", value="9")])
    second = load([row("M1", value="105"), row("M1", value="41", service_area="SWF")], actor=performance_officer.user)

    assert second.replaced == 2 and second.load.replaced == 2
    history = list(
        KpiValue.objects.filter(indicator__code="M1", period=OCT, breakdown="")
        .order_by("pk")
        .values_list("value", "is_current", "load")
    )
    assert history == [(D(100), False, first.load.pk), (D(105), True, second.load.pk)]
    assert current("M1", date(2026, 9, 1)).load == first.load  # another month: untouched
    assert KpiValue.objects.filter(is_current=True).count() == 3


# --- The council's own codes: spaces and brackets -------------------------------------------------

COUNCIL = {"M6-QL (val)": "percentage", "EH4 (val)": "percentage", "CP3-QL (val)": "count", "LAC9 (val)": "rate"}


@pytest.fixture
def council():
    """The four indicators of the Jan-21 scorecard whose codes hold a space and brackets."""
    return {
        code: indicator_create(
            actor=None, code=code, title=f"Indicator {code}", priority_area="Area", unit=unit, polarity="higher"
        )
        for code, unit in COUNCIL.items()
    }


def council_values() -> list[dict]:
    """October's figures, each code written another way than the catalogue writes it."""
    return [
        row("M6-QL (val)", value="95", numerator="45", denominator="50"),  # 90%: a mismatch
        row("eh4  (VAL)", numerator="264", denominator="333"),
        row("Cp3-Ql (Val)", value="12"),
        row("LAC9\u00a0(val)", note="TBC"),
    ]


def test_a_values_file_may_write_a_code_in_another_case_and_spacing(council):
    load(council_values())

    assert current("M6-QL (val)").value == D(90)
    assert current("EH4 (val)").numerator == D(264)
    assert current("CP3-QL (val)").value == D(12)
    assert current("LAC9 (val)").note == "TBC"


def test_a_code_without_its_space_is_another_code(council):
    errors = refused([row("M6-QL(val)", value="90"), row("M6-QL val", value="90")])

    assert errors == [
        RowError(2, "indicator", ld.INDICATOR_UNKNOWN.format(value="M6-QL(val)")),
        RowError(3, "indicator", ld.INDICATOR_UNKNOWN.format(value="M6-QL val")),
    ]


def test_the_councils_codes_load_through_both_commands(tmp_path):
    catalogue = tmp_path / "catalogue.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "title", "priority_area", "unit", "polarity"])
    writer.writerows([code, f"Indicator {code}", "Area", unit, "higher"] for code, unit in COUNCIL.items())
    catalogue.write_text(out.getvalue())
    values = tmp_path / "october.csv"
    values.write_bytes(as_csv(council_values()))
    out = io.StringIO()

    call_command("import_indicators", str(catalogue), "--year", "2026", stdout=out)
    call_command("import_kpi_values", str(values), stdout=out)

    assert "4 new" in out.getvalue() and "4 figures for Oct 2026" in out.getvalue()
    # The mismatch names the indicator as the catalogue writes it, not as the values file did.
    assert "mismatch, row 2: M6-QL (val) 2026-10 (council-wide) the file gave 95, computed 90.00" in out.getvalue()
    assert sorted(KpiValue.objects.filter(is_current=True).values_list("indicator__code", flat=True)) == sorted(COUNCIL)


def test_the_upload_page_loads_the_councils_codes_and_reports_them_as_written(client, performance_officer, council):
    client.force_login(performance_officer.user)

    checked = upload(client, council_values(), "check")
    loaded = upload(client, council_values(), "import")

    assert "<td>M6-QL (val)</td>" in checked.content.decode()  # the mismatch, before anything is saved
    assert loaded.status_code == 302
    report = client.get(loaded.url).content.decode()
    assert "<td>M6-QL (val) Indicator M6-QL (val)</td>" in report  # the mismatch, as the catalogue writes it
    assert KpiValue.objects.filter(is_current=True).count() == 4


def test_a_dry_run_counts_what_would_change_and_saves_nothing(indicators):
    load([row("M1", value="100")])

    summary = load([row("M1", value="101"), row("EH3a%", value="80", numerator="1", denominator="2")], dry_run=True)

    assert (summary.rows, summary.replaced, len(summary.mismatches), summary.load) == (2, 1, 1, None)
    assert "would replace 1" in str(summary)
    assert KpiValue.objects.count() == 1 and ValueLoad.objects.count() == 1


def test_an_xlsx_file_loads_like_a_csv(indicators):
    book = Workbook()
    sheet = book.active
    sheet.append(["indicator", "period", "value", "numerator", "denominator"])
    sheet.append(["EH3a%", "2026-10", None, 264, 333])
    sheet.append(["M1", "2026-10", 1343, None, None])
    content = io.BytesIO()
    book.save(content)

    kpi_values_import(actor=None, content=content.getvalue(), file_name="values.xlsx")

    assert current("EH3a%").numerator == D(264) and current("M1").value == D(1343)


def test_a_workbooks_date_cell_on_the_first_of_a_month_is_that_month(indicators):
    # Excel turns a typed 2026-10 into a date; the workbook reader gives it as 2026-10-01.
    book = Workbook()
    sheet = book.active
    sheet.append(["indicator", "period", "value"])
    sheet.append(["M1", datetime(2026, 10, 1), 1343])
    content = io.BytesIO()
    book.save(content)

    kpi_values_import(actor=None, content=content.getvalue(), file_name="values.xlsx")

    assert current("M1").value == D(1343)


def test_a_workbooks_date_cell_on_another_day_is_not_a_month(indicators):
    book = Workbook()
    sheet = book.active
    sheet.append(["indicator", "period", "value"])
    sheet.append(["M1", datetime(2026, 10, 15), 1343])
    content = io.BytesIO()
    book.save(content)

    with pytest.raises(ImportRefused) as caught:
        kpi_values_import(actor=None, content=content.getvalue(), file_name="values.xlsx")

    assert caught.value.errors == [RowError(2, "period", "'2026-10-15' is not a month (use YYYY-MM)")]


# --- Refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"indicator": "ZZ9"}, "indicator", ld.INDICATOR_UNKNOWN.format(value="ZZ9")),
        ({"indicator": ""}, "indicator", ld.INDICATOR_REQUIRED),
        ({"period": "Oct 2026"}, "period", "'Oct 2026' is not a month (use YYYY-MM)"),
        ({"period": "2026-13"}, "period", "'2026-13' is not a month (use YYYY-MM)"),
        ({"period": ""}, "period", ld.PERIOD_REQUIRED),
        ({"period": "2026-12"}, "period", ld.PERIOD_FUTURE.format(value="2026-12")),
        ({"period": "0001-01"}, "period", ld.PERIOD_TOO_EARLY.format(value="0001-01")),
        ({"period": "2026-10-01"}, "period", "'2026-10-01' is not a month (use YYYY-MM)"),  # a CSV gives YYYY-MM
        ({"value": "lots"}, "value", "'lots' is not a number"),
        ({"value": "12%"}, "value", "a % sign only fits a percentage indicator"),
        ({"value": ""}, "value", ld.VALUE_REQUIRED),
        (
            {"value": "1", "numerator": "1", "denominator": "2"},
            "numerator",
            ld.PAIR_NOT_PERCENTAGE.format(unit="count"),
        ),
        ({"value": "99999999999"}, "value", ld.VALUE_TOO_LARGE),
        ({"value": "1", "service_area": "XYZ"}, "service_area", ld.AREA_UNKNOWN.format(value="XYZ")),
        ({"value": "1", "team": "Nowhere"}, "team", ld.TEAM_UNKNOWN.format(value="Nowhere")),
        ({"value": "1", "note": "x" * 201}, "note", ld.NOTE_TOO_LONG),
    ],
)
def test_a_bad_count_row_refuses_the_whole_file(indicators, cells, column, reason):
    errors = refused([row("M1", "2026-09", value="5"), row(**{"value": "1", **cells})])

    assert errors == [RowError(3, column, reason)]


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"numerator": "5", "denominator": "0"}, "denominator", ld.ZERO_DENOMINATOR),
        ({"numerator": "5"}, "denominator", ld.PAIR_INCOMPLETE),
        ({"denominator": "5"}, "numerator", ld.PAIR_INCOMPLETE),
        ({"numerator": "-1", "denominator": "5"}, "numerator", ld.NEGATIVE),
        ({"numerator": "five", "denominator": "5"}, "numerator", "'five' is not a number"),
        ({}, "value", ld.PERCENTAGE_REQUIRED),
    ],
)
def test_a_bad_percentage_row_refuses_the_whole_file(indicators, cells, column, reason):
    assert refused([row("EH3a%", **cells)]) == [RowError(2, column, reason)]


def test_a_team_outside_the_area_given_is_refused(indicators, own_area, other_team):
    errors = refused([row(value="1", service_area="SWF", team=other_team.name)])

    assert errors == [RowError(2, "team", ld.TEAM_OUTSIDE_AREA.format(value=other_team.name, code="SWF"))]


def test_a_team_name_two_areas_share_needs_its_area(indicators, own_area, other_area):
    TeamFactory(service_area=own_area, name="Duty")
    TeamFactory(service_area=other_area, name="Duty")

    assert refused([row(value="1", team="Duty")]) == [RowError(2, "team", ld.TEAM_AMBIGUOUS.format(value="Duty"))]
    load([row(value="1", team="Duty", service_area="PTC")])
    assert KpiValue.objects.get().service_area == other_area


def test_a_locked_month_no_longer_changes(indicators, performance_officer):
    MonthLock.objects.create(period=date(2026, 9, 1), locked_by=performance_officer)

    errors = refused([row(value="1"), row(period="2026-09", value="2")])

    assert errors == [RowError(3, "period", ld.PERIOD_LOCKED.format(value="2026-09"))]


def test_the_same_figure_twice_in_a_file_is_refused(indicators, own_area):
    errors = refused(
        [row(value="1", service_area="SWF"), row(value="2"), row(indicator="m1", value="3", service_area="swf")]
    )

    assert errors == [RowError(4, "", ld.ROW_REPEATED.format(row=2))]


def test_every_bad_row_is_listed(indicators):
    errors = refused(
        [
            row(value="1"),
            row(indicator="ZZ9", value="x"),
            row(period="26-10", value="1"),
            row("EH3a%", numerator="1", denominator="0"),
        ]
    )

    assert errors == [
        RowError(3, "indicator", ld.INDICATOR_UNKNOWN.format(value="ZZ9")),
        RowError(4, "period", "'26-10' is not a month (use YYYY-MM)"),
        RowError(5, "denominator", ld.ZERO_DENOMINATOR),
    ]


def test_a_file_without_figures_or_with_a_missing_column_is_refused(indicators):
    with pytest.raises(ImportRefused) as caught:
        kpi_values_import(actor=None, content=b"indicator,period,value\n", file_name="empty.csv")
    assert caught.value.errors == [RowError(0, "", "the file has no figures")]

    with pytest.raises(ImportRefused) as caught:
        kpi_values_import(actor=None, content=b"indicator,value\nM1,3\n", file_name="v.csv")
    assert RowError(1, "period", "this column is missing") in caught.value.errors


def test_a_refused_reload_leaves_the_current_figures_as_they_were(indicators):
    first = load([row(value="100")])

    with pytest.raises(ImportRefused):
        load([row(value="200"), row(indicator="ZZ9", value="1")])

    assert current("M1").load == first.load and KpiValue.objects.count() == 1


# --- Size --------------------------------------------------------------------------------------


def test_five_thousand_rows_load_in_seconds_with_a_fixed_number_of_queries(indicators, own_area):
    teams = [TeamFactory(service_area=own_area, name=f"Team {n}") for n in range(100)]
    months = [f"{add_months(date(2024, 10, 1), n):%Y-%m}" for n in range(25)]  # Oct 2024 to Oct 2026
    rows = [
        row("EH3a%", month, numerator=str(n % 50), denominator="50", team=team.name)
        for n, (month, team) in enumerate((m, t) for m in months for t in teams)
    ]
    rows += [row("M1", r["period"], value=str(n), team=r["team"]) for n, r in enumerate(rows)]
    assert len(rows) == 5000
    content = as_csv(rows)

    started = time.monotonic()
    with CaptureQueriesContext(connection) as first:
        kpi_values_import(actor=None, content=content, file_name="big.csv")
    with CaptureQueriesContext(connection) as again:  # every figure replaced
        summary = kpi_values_import(actor=None, content=content, file_name="big.csv")
    elapsed = time.monotonic() - started

    assert summary.replaced == 5000 and KpiValue.objects.filter(is_current=True).count() == 5000
    assert elapsed < 20, f"two loads of 5,000 rows took {elapsed:.1f} s"
    assert len(first.captured_queries) <= 20, [q["sql"][:80] for q in first.captured_queries]
    assert len(again.captured_queries) <= 30


# --- The command -------------------------------------------------------------------------------


def test_the_command_loads_and_lists_mismatches(indicators, tmp_path):
    path = tmp_path / "october.csv"
    path.write_bytes(as_csv([row(value="1343"), row("EH3a%", value="80", numerator="264", denominator="333")]))
    out = io.StringIO()

    call_command("import_kpi_values", str(path), stdout=out)

    assert "2 figures for Oct 2026" in out.getvalue()
    assert (
        "data-quality mismatch, row 3: EH3a% 2026-10 (council-wide) the file gave 80, computed 79.28" in out.getvalue()
    )
    assert ValueLoad.objects.get().loaded_by is None


def test_the_command_dry_run_saves_nothing(indicators, tmp_path):
    path = tmp_path / "october.csv"
    path.write_bytes(as_csv([row(value="1343")]))
    out = io.StringIO()

    call_command("import_kpi_values", str(path), "--dry-run", stdout=out)

    assert "Dry run, nothing saved" in out.getvalue() and not KpiValue.objects.exists()


def test_the_command_lists_every_bad_row_and_exits_non_zero(indicators, tmp_path):
    path = tmp_path / "october.csv"
    path.write_bytes(as_csv([row(indicator="ZZ9", value="1"), row("EH3a%", numerator="3", denominator="0")]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_kpi_values", str(path), stderr=err)

    assert "row 2, indicator: 'ZZ9' is not an indicator of the catalogue" in err.getvalue()
    assert "row 3, denominator: the denominator is 0" in err.getvalue()
    assert not KpiValue.objects.exists()


def test_the_command_exit_status_is_non_zero_for_a_refused_file(indicators, tmp_path):
    from django.core.management import ManagementUtility

    path = tmp_path / "october.csv"
    path.write_bytes(as_csv([row(indicator="ZZ9", value="1")]))

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_kpi_values", str(path)]).execute()

    assert exited.value.code == 1


# --- The pages ---------------------------------------------------------------------------------


def upload(client, rows, mode):
    file = SimpleUploadedFile("october.csv", as_csv(rows), content_type="text/csv")
    return client.post(reverse("performance:value_load_upload"), {"file": file, "mode": mode})


def test_a_check_shows_what_the_file_would_do_and_saves_nothing(client, performance_officer, indicators):
    client.force_login(performance_officer.user)

    response = upload(client, [row(value="1"), row("EH3a%", value="80", numerator="264", denominator="333")], "check")

    assert response.status_code == 200
    page = response.content.decode()
    assert "The file is ready to load: nothing was saved yet" in page
    assert "80%" in page and "79.28%" in page  # the mismatch, supplied against computed
    assert not KpiValue.objects.exists()


def test_a_refused_upload_lists_each_row_and_saves_nothing(client, performance_officer, indicators):
    client.force_login(performance_officer.user)

    response = upload(
        client, [row(value="1"), row(indicator="ZZ9", value="1"), row(period="2026/10", value="1")], "import"
    )

    assert response.status_code == 200
    assert [(e.row, e.column) for e in response.context["errors"]] == [(3, "indicator"), (4, "period")]
    assert "The file was refused: nothing was saved" in response.content.decode()
    assert not ValueLoad.objects.exists()


def test_a_load_goes_to_its_report_with_the_mismatches_and_replacements(client, performance_officer, indicators):
    load([row("EH3a%", numerator="250", denominator="320")])
    client.force_login(performance_officer.user)

    response = upload(client, [row("EH3a%", value="80", numerator="264", denominator="333")], "import")

    new = ValueLoad.objects.first()
    assert response.status_code == 302 and response.url == reverse("performance:value_load", args=[new.pk])
    page = client.get(response.url).content.decode()
    assert "Load report: october.csv" in page
    assert "Indicator EH3a%" in page and "80%" in page and "79.28%" in page  # the mismatch
    assert "78% (250/320)" in page and "79% (264/333)" in page  # before and after


def test_only_performance_officers_load_values(client, make_person, own_area, indicators, admin_person):
    load([row(value="1")])
    pages = [
        reverse("performance:value_load_upload"),
        reverse("performance:value_loads"),
        reverse("performance:value_load", args=[ValueLoad.objects.get().pk]),
    ]
    for person in (admin_person, make_person(Role.QA_LEAD), make_person(Role.PRACTITIONER, own_area)):
        client.force_login(person.user)
        assert [client.get(url).status_code for url in pages] == [403, 403, 403]
    client.logout()
    assert client.get(pages[0]).status_code == 302


def test_a_refused_role_cannot_post_a_load(client, admin_person, indicators):
    client.force_login(admin_person.user)

    assert upload(client, [row(value="1")], "import").status_code == 403
    assert not KpiValue.objects.exists()


def test_the_load_pages_take_only_the_methods_they_need(client, performance_officer, indicators):
    load([row(value="1")])
    client.force_login(performance_officer.user)

    assert client.post(reverse("performance:value_loads")).status_code == 405
    assert client.post(reverse("performance:value_load", args=[ValueLoad.objects.get().pk])).status_code == 405
    assert client.delete(reverse("performance:value_load_upload")).status_code == 405


def test_a_missing_load_is_not_found(client, performance_officer):
    client.force_login(performance_officer.user)

    assert client.get(reverse("performance:value_load", args=[999])).status_code == 404


def _loads(count):
    for n in range(count):
        load([row(value=str(n))], file_name=f"load-{n}.csv")


@pytest.mark.parametrize("count", [1, 12])
def test_the_load_list_runs_a_fixed_number_of_queries(
    client, performance_officer, indicators, django_assert_num_queries, count
):
    _loads(count)
    client.force_login(performance_officer.user)

    with django_assert_num_queries(10):  # session (4), user, 2FA device, roles, person, count, page of loads
        response = client.get(reverse("performance:value_loads"))

    assert len(response.context["page"].object_list) == count


@pytest.mark.parametrize("size", [1, 30])
def test_a_load_report_runs_a_fixed_number_of_queries(
    client, performance_officer, own_area, django_assert_num_queries, size
):
    codes = [
        indicator_create(
            actor=None, code=f"P{n}", title="P", priority_area="A", unit="percentage", polarity="higher"
        ).code
        for n in range(size)
    ]
    load([row(code, numerator="1", denominator="3") for code in codes])
    load([row(code, value="60", numerator="1", denominator="2") for code in codes])
    client.force_login(performance_officer.user)
    report = reverse("performance:value_load", args=[ValueLoad.objects.first().pk])

    # session (4), user, 2FA device, roles, person, load, mismatches, replaced, months
    with django_assert_num_queries(12):
        response = client.get(report)

    assert len(response.context["mismatches"]) == len(response.context["replacements"]) == size


@pytest.mark.parametrize("size", [1, 30])
def test_an_indicators_catalogue_page_runs_a_fixed_number_of_queries(
    client, performance_officer, indicators, own_area, django_assert_num_queries, size
):
    for n in range(size):
        load(
            [
                row(period=f"{add_months(date(2024, 1, 1), n):%Y-%m}", value=str(n)),
                row(period="2026-10", value=str(n), service_area="SWF"),
            ]
        )
    admin = person_with_role(Role.ADMINISTRATOR, None)
    client.force_login(admin.user)
    page = reverse("performance:catalogue_indicator", args=[indicators["M1"].pk])

    # session (4), user, 2FA device, roles, person, indicator, count, figures, years, edits
    with django_assert_num_queries(13):
        response = client.get(page)

    assert len(response.context["history"].object_list) == min(size + size, 50)


# --- The demo ----------------------------------------------------------------------------------


def test_the_demo_loads_a_scorecard_through_the_services_once():
    from performance import demo
    from performance.models import Commentary, IndicatorYear
    from quality.org import demo as org_demo

    org_demo.load()
    demo.load()
    counts = (
        Indicator.objects.count(),
        ValueLoad.objects.count(),
        KpiValue.objects.count(),
        Commentary.objects.count(),
    )
    demo.load()  # idempotent: nothing added the second time

    assert (
        Indicator.objects.count(),
        ValueLoad.objects.count(),
        KpiValue.objects.count(),
        Commentary.objects.count(),
    ) == counts
    assert 28 <= counts[0] <= 35
    assert len(set(Indicator.objects.values_list("priority_area", flat=True))) >= 5
    assert set(IndicatorYear.objects.values_list("year", flat=True)) == {2025, 2026}
    months = KpiValue.objects.filter(breakdown="").order_by("period").values_list("period", flat=True).distinct()
    assert len(months) == 24 and max(months) == date(2026, 10, 1)
    assert KpiValue.objects.exclude(data_quality="").count() >= 3
    assert KpiValue.objects.filter(is_current=False).exists()  # a corrected month: history
    assert KpiValue.objects.filter(breakdown__startswith="team:").exists()
    assert KpiValue.objects.filter(breakdown__startswith="area:").exists()
    assert KpiValue.objects.filter(value__isnull=True, note="TBC").exists()
    assert set(Indicator.objects.values_list("unit", flat=True)) == {"count", "percentage", "rate"}
    assert Indicator.objects.filter(cumulative=True).exists()
    assert Indicator.objects.filter(lead__full_name="Helen Carter").exists()  # leads linked to demo people
    assert Commentary.objects.filter(period=date(2026, 10, 1)).count() < counts[0]  # some still to write
    assert MonthLock.objects.filter(period=date(2026, 10, 1)).count() == 0
    # A cumulative count restarts in April.
    adoptions = dict(
        KpiValue.objects.filter(indicator__code="LAC6", breakdown="", is_current=True).values_list("period", "value")
    )
    assert adoptions[date(2026, 4, 1)] <= adoptions[date(2026, 3, 1)]
    assert adoptions[date(2026, 3, 1)] >= adoptions[date(2025, 4, 1)]
