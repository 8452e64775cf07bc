"""Journeys through the indicator catalogue and the monthly value loads, checked with axe-core on
every page: a performance officer loads a month's values (a refused file first, then the corrected
one with a data-quality mismatch), and manages the catalogue and a year's targets."""

import csv
import io
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from performance import catalogue as cat
from performance import loads as ld
from performance.catalogue import indicator_catalogue_import
from performance.models import Indicator, IndicatorYear, KpiValue, ValueLoad
from quality.months import add_months, month_start
from quality.org.models import Role

from .conftest import assert_accessible, expect_refused, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def last_month() -> date:
    return add_months(month_start(timezone.localdate()), -1)


def as_file(name: str, header, rows) -> dict:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return {"name": name, "mimeType": "text/csv", "buffer": out.getvalue().encode()}


CATALOGUE_HEADER = ["code", "title", "priority_area", "unit", "polarity", "target", "lead_officer", "england"]
CATALOGUE_ROWS = [
    ["M1", "Number of contacts received", "Right service at the right time", "count", "neutral", "N/A", "", "Local"],
    [
        "EH4-QL",
        "Percentage of Single Assessments completed within 45 days",
        "Effective assessment and intervention",
        "percentage",
        "higher",
        "90%",
        "Grace Officer",
        "86.8",
    ],
]


@pytest.fixture
def officer(make_person, own_area, own_team):
    return make_person(Role.PERFORMANCE_OFFICER, full_name="Grace Officer")


@pytest.fixture
def catalogue(officer):
    indicator_catalogue_import(
        actor=None,
        content=as_file("c.csv", CATALOGUE_HEADER, CATALOGUE_ROWS)["buffer"],
        file_name="catalogue.csv",
    )


def values_file(month: date, *, broken: bool) -> dict:
    period = f"{month:%Y-%m}"
    rows = [
        ["M1", period, "1,464", "", "", "", "", ""],
        # 272 / 320 is 85%: the sheet says 87 (a mismatch: loaded as 85, flagged).
        ["EH4-QL", period, "87", "272", "0" if broken else "320", "", "", ""],
        ["EH4-QL", period, "", "97", "101", "", "SWF", "SWF East"],
        ["ZZ9" if broken else "M1", period, "40", "", "", "", "SWF", ""],
    ]
    return as_file(f"values-{period}.csv", [*ld.REQUIRED_COLUMNS, *ld.OPTIONAL_COLUMNS], rows)


def test_a_performance_officer_loads_a_month_corrects_a_refused_file_and_reads_the_load_report(
    page: Page, live_server, officer, catalogue
):
    month = last_month()
    sign_in(page, live_server.url, officer.user.email)
    page.goto(f"{live_server.url}/performance/loads/upload/")
    expect(page.get_by_role("heading", name="Load KPI values")).to_be_visible()
    assert_accessible(page)

    # A file with a zero denominator and an unknown indicator: refused, every row listed, nothing saved.
    page.get_by_label("Values file").set_input_files(values_file(month, broken=True))
    page.get_by_role("button", name="Load").click()
    expect(page.get_by_role("heading", name="The file was refused: nothing was saved")).to_be_visible()
    errors = page.get_by_role("table", name="Problems in the file")
    expect(errors.get_by_role("row").nth(1)).to_have_text("3denominator" + ld.ZERO_DENOMINATOR)
    expect(errors.get_by_role("row").nth(2)).to_have_text("5indicator" + ld.INDICATOR_UNKNOWN.format(value="ZZ9"))
    assert_accessible(page)
    assert not KpiValue.objects.exists()

    # The corrected file: checked first (the mismatch is already shown), then loaded as it was checked.
    page.get_by_label("Values file").set_input_files(values_file(month, broken=False))
    page.get_by_role("button", name="Check only").click()
    expect(page.get_by_role("heading", name="The file is ready to load: nothing was saved yet")).to_be_visible()
    expect(page.get_by_text("4 figures for")).to_be_visible()
    mismatches = page.get_by_role("table", name="Data-quality mismatches the file would load")
    expect(mismatches.get_by_role("row").nth(1)).to_contain_text("EH4-QL")
    assert_accessible(page)
    assert not KpiValue.objects.exists()

    # Loaded without choosing the file again: the checked file was kept for this person.
    expect(page.get_by_text(f"values-{month:%Y-%m}.csv is kept for you until")).to_be_visible()
    page.get_by_role("button", name="Load this file").click()

    expect(page.get_by_role("heading", name=f"Load report: values-{month:%Y-%m}.csv")).to_be_visible()
    expect(page.get_by_text("The values were loaded.")).to_be_visible()
    summary = page.locator("#load-summary")
    expect(summary).to_contain_text("Figures loaded4")
    expect(summary).to_contain_text("Data-quality mismatches1")
    flagged = page.get_by_role("table", name="did not match its numerator and denominator")
    row = flagged.get_by_role("row").nth(1)
    expect(row).to_contain_text("EH4-QL")
    expect(row).to_contain_text("Council-wide")
    expect(row).to_contain_text("87%")  # the file's value
    expect(row).to_contain_text("85.00%")  # computed, and loaded
    expect(row).to_contain_text("85% (272/320)")
    assert_accessible(page)
    figure = KpiValue.objects.get(indicator__code="EH4-QL", breakdown="", is_current=True)
    assert figure.data_quality and figure.load.loaded_by == officer.user

    # The same month loaded again replaces the figures and lists what they were.
    page.get_by_role("link", name="Load values").click()
    page.get_by_label("Values file").set_input_files(values_file(month, broken=False))
    page.get_by_role("button", name="Load").click()
    replaced = page.get_by_role("table", name="Figures of this load that replaced an earlier load's")
    expect(replaced.get_by_role("row")).to_have_count(5)
    assert_accessible(page)

    page.get_by_role("link", name="Loads", exact=True).click()
    expect(page.get_by_role("heading", name="KPI value loads")).to_be_visible()
    expect(page.get_by_role("table", name="Loads of KPI values")).to_contain_text("Grace Officer")
    assert_accessible(page)
    assert ValueLoad.objects.count() == 2


def test_a_performance_officer_imports_the_catalogue_and_sets_a_years_targets(page: Page, live_server, officer):
    sign_in(page, live_server.url, officer.user.email)
    page.goto(f"{live_server.url}/performance/catalogue/")
    expect(page.get_by_role("heading", name="Indicator catalogue")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Import the catalogue", exact=True).first.click()
    expect(page.get_by_role("heading", name="Import the indicator catalogue")).to_be_visible()
    assert_accessible(page)
    broken = [*CATALOGUE_ROWS, ["CP6B", "Rate of children on a plan", "Effective", "rate", "down", "", "", ""]]
    page.get_by_label("Catalogue file").set_input_files(as_file("catalogue.csv", CATALOGUE_HEADER, broken))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("table", name="Problems in the file").get_by_role("row").nth(1)).to_have_text(
        "4polarity" + cat.POLARITY_INVALID.format(value="down")
    )
    assert_accessible(page)

    year = cat.current_reporting_year()
    page.get_by_label("Catalogue file").set_input_files(as_file("catalogue.csv", CATALOGUE_HEADER, CATALOGUE_ROWS))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The catalogue was imported.")).to_be_visible()
    area = page.get_by_role("table", name="Effective assessment and intervention")
    expect(area.get_by_role("row", name="EH4-QL")).to_contain_text("90%")
    expect(area.get_by_role("row", name="EH4-QL")).to_contain_text("Grace Officer")
    assert_accessible(page)

    page.get_by_role("link", name="EH4-QL").click()
    expect(page.get_by_role("heading", name="EH4-QL Percentage of Single Assessments")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Change the catalogue entry").click()
    expect(page.get_by_role("heading", name="Change EH4-QL")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Title").fill("Single Assessments completed within 45 days")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Indicator EH4-QL saved.")).to_be_visible()

    next_label = cat.year_label(year + 1)
    page.get_by_role("link", name=f"{next_label} (April").click()
    expect(page.get_by_role("heading", name=f"EH4-QL: target and comparators for {next_label}")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Target", exact=True).fill("ninety")
    page.get_by_role("button", name="Save").click()
    expect_refused(page, "'ninety' is not a target")
    assert_accessible(page)
    page.get_by_label("Target", exact=True).fill("92%")
    page.get_by_label("England").fill("Local")
    page.get_by_role("button", name="Save").click()

    years = page.get_by_role("table", name="target, amber tolerance and comparators of each reporting year")
    expect(years.get_by_role("row", name=next_label)).to_contain_text("92%")
    expect(years.get_by_role("row", name=next_label)).to_contain_text("Local")
    expect(years.get_by_role("row", name=cat.year_label(year))).to_contain_text("90%")
    expect(page.get_by_role("cell", name="Title from 'Percentage of Single")).to_be_visible()
    assert_accessible(page)
    assert IndicatorYear.objects.get(year=year + 1).target == 92

    page.goto(f"{live_server.url}/performance/catalogue/new/")
    expect(page.get_by_role("heading", name="New indicator")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill("W1")
    page.get_by_label("Title").fill("Average caseload of a social worker")
    page.get_by_label("Priority area").fill("Performance culture")
    page.get_by_label("Unit").select_option("count")
    page.get_by_label("Polarity").select_option("lower")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Indicator W1 added.")).to_be_visible()
    assert Indicator.objects.filter(code="W1", polarity="lower").exists()
