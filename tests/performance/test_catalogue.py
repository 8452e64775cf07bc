"""The indicator catalogue: the import (service and `manage.py import_indicators`), the changes made
on its pages, and the pages themselves by role.

A catalogue file is checked whole: a wrong row is reported with its row, column and reason and
nothing is saved. Re-importing updates by code; targets and comparators belong to one reporting
year, so another year's figures never change.
"""

import csv
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import Workbook

from performance import catalogue as cat
from performance import codes
from performance.catalogue import indicator_catalogue_import
from performance.models import Indicator, IndicatorYear
from quality.org.models import ChangeRecord, Role
from quality.org.services import service_area_retire
from quality.tabular import ImportRefused, RowError

from ..factories import person_with_role

pytestmark = pytest.mark.django_db

HEADER = [*cat.REQUIRED_COLUMNS, *cat.OPTIONAL_COLUMNS]


def as_csv(rows: list[dict], header=None) -> bytes:
    header = header or list(rows[0]) if rows else header or HEADER
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_xlsx(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def m1(**cells) -> dict:
    row = {
        "code": "M1",
        "title": "Number of contacts received",
        "priority_area": "Right service at the right time",
        "unit": "count",
        "polarity": "neutral",
        "cumulative": "",
        "target": "1400",
        "target_note": "",
        "outcome": "There is an effective front door.",
        "lead_officer": "Lena Lead",
        "accountable_officer": "Alex Accountable",
        "previous_year": "1,343",
        "statistical_neighbours": "Local",
        "south_east": "N/A",
        "england": "",
        "amber_tolerance": "",
        "service_area": "",
    }
    return {**row, **cells}


def eh3(**cells) -> dict:
    return m1(
        **{
            "code": "EH3a%",
            "title": "Percentage of single assessments completed within 10 days",
            "priority_area": "Effective assessment and intervention",
            "unit": "percentage",
            "polarity": "higher",
            "target": "90%",
            "previous_year": "78",
            "statistical_neighbours": "81.5%",
            "south_east": "N/A",
            "england": "84",
            "amber_tolerance": "3",
            **cells,
        }
    )


def load(rows, *, year=2026, file_name="catalogue.csv", actor=None, dry_run=False):
    return indicator_catalogue_import(
        actor=actor, content=as_csv(rows), file_name=file_name, year=year, dry_run=dry_run
    )


def refused(rows, **kwargs) -> list[RowError]:
    with pytest.raises(ImportRefused) as caught:
        load(rows, **kwargs)
    return caught.value.errors


@pytest.fixture
def lena():
    return person_with_role(Role.HEAD_OF_SERVICE, None, full_name="Lena Lead")


# --- The import --------------------------------------------------------------------------------


def test_a_catalogue_file_creates_indicators_with_the_years_targets_and_comparators(lena, own_area):
    summary = load([m1(), eh3(cumulative="yes", service_area="swf")])

    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (2, 2, 0, 0)
    contacts, assessments = Indicator.objects.order_by("display_order")
    assert (contacts.code, contacts.unit, contacts.polarity, contacts.cumulative) == ("M1", "count", "neutral", False)
    assert contacts.lead == lena  # matched by name
    assert (contacts.lead_officer, contacts.accountable_officer) == ("Lena Lead", "Alex Accountable")
    assert assessments.cumulative is True and assessments.service_area == own_area
    assert contacts.display_order < assessments.display_order  # the file's order is the scorecard's

    year = IndicatorYear.objects.get(indicator=contacts)
    assert year.year == 2026
    assert (year.target, year.target_note, year.previous_year) == (D(1400), "", D(1343))
    assert year.statistical_neighbours is None and year.south_east is None and year.england is None
    assert year.comparator_notes == {"statistical_neighbours": "Local", "south_east": "N/A"}
    year = IndicatorYear.objects.get(indicator=assessments)
    assert (year.target, year.amber_tolerance, year.statistical_neighbours) == (D(90), D(3), D("81.5"))


@pytest.mark.parametrize(
    ("target", "note", "expected_target", "expected_note"),
    [
        ("90", "", D(90), ""),
        ("90%", "", D(90), ""),
        (" 87.5 % ", "", D("87.5"), ""),
        ("", "", None, ""),
        ("N/A", "", None, "N/A"),
        ("tbc", "", None, "TBC"),
        ("Not set", "", None, "Not set"),
        ("TBC", "awaiting the service plan", None, "TBC: awaiting the service plan"),
        ("90", "in line with statistical neighbours", D(90), "in line with statistical neighbours"),
    ],
)
def test_targets_are_a_number_or_say_why_there_is_none(target, note, expected_target, expected_note):
    load([eh3(target=target, target_note=note)])

    year = IndicatorYear.objects.get()
    assert (year.target, year.target_note) == (expected_target, expected_note)


def test_reimporting_updates_by_code_and_leaves_other_years_alone(lena):
    load([m1(), eh3()], year=2025)
    load([m1(), eh3()], year=2026)
    before = {(y.indicator.code, y.year): y.target for y in IndicatorYear.objects.select_related("indicator")}

    summary = load([m1(title="Contacts received (including referrals)", target="1500"), eh3()], year=2026)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    assert Indicator.objects.count() == 2
    contacts = Indicator.objects.get(code="M1")
    assert contacts.title == "Contacts received (including referrals)"
    assert IndicatorYear.objects.get(indicator=contacts, year=2026).target == D(1500)
    assert IndicatorYear.objects.get(indicator=contacts, year=2025).target == before[("M1", 2025)] == D(1400)
    record = ChangeRecord.objects.filter(action="indicator.import", target_id=contacts.pk).first()
    assert "title" in record.summary and "2026/27 target" in record.summary


def test_a_new_year_adds_its_own_targets(lena):
    load([m1()], year=2025)

    load([m1(target="1300")], year=2026)

    assert dict(IndicatorYear.objects.values_list("year", "target")) == {2025: D(1400), 2026: D(1300)}


def test_codes_match_whatever_their_case():
    load([eh3()])

    summary = load([eh3(code="eh3A%", title="Single assessments within 10 days")])

    assert summary.created == 0 and Indicator.objects.get().title == "Single assessments within 10 days"


# --- The council's own codes: spaces and brackets -------------------------------------------------

COUNCIL_CODES = ("M6-QL (val)", "EH4 (val)", "CP3-QL (val)", "LAC9 (val)")


def council_rows(codes=COUNCIL_CODES) -> list[dict]:
    return [eh3(code=code, title=f"Indicator {code}") for code in codes]


@pytest.mark.parametrize(
    ("written", "kept", "key"),
    [
        ("M6-QL (val)", "M6-QL (val)", "m6-ql (val)"),
        ("  m6-ql   (VAL) ", "m6-ql (VAL)", "m6-ql (val)"),
        ("EH4\u00a0(val)", "EH4 (val)", "eh4 (val)"),  # a no-break space pasted from a document
        ("EH3a%", "EH3a%", "eh3a%"),
        ("Straße 1", "Straße 1", "strasse 1"),
    ],
)
def test_a_code_is_kept_as_written_with_its_spaces_tidied_and_compared_by_its_key(written, kept, key):
    assert (codes.code_checked(written), codes.code_key(written)) == (kept, key)


def test_the_councils_codes_with_spaces_and_brackets_are_imported_as_written(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(as_csv(council_rows()))
    out = io.StringIO()

    call_command("import_indicators", str(path), "--year", "2026", stdout=out)

    assert "4 new" in out.getvalue()
    assert list(Indicator.objects.order_by("display_order").values_list("code", "code_key")) == [
        ("M6-QL (val)", "m6-ql (val)"),
        ("EH4 (val)", "eh4 (val)"),
        ("CP3-QL (val)", "cp3-ql (val)"),
        ("LAC9 (val)", "lac9 (val)"),
    ]


def test_a_catalogue_naming_a_code_twice_in_another_case_or_spacing_is_refused_with_both_rows():
    errors = refused(council_rows(("M6-QL (val)", "EH4 (val)", "m6-ql  (VAL)", "eh4 (VAL)")))

    assert errors == [
        RowError(4, "code", cat.CODE_REPEATED.format(row=2, first="M6-QL (val)")),
        RowError(5, "code", cat.CODE_REPEATED.format(row=3, first="EH4 (val)")),
    ]
    assert not Indicator.objects.exists()


def test_a_reimport_in_another_case_and_spacing_updates_the_same_indicator_and_takes_its_spelling():
    load(council_rows(("M6-QL (val)",)))

    summary = load([eh3(code=" m6-QL   (VAL)", title="Renamed")])

    assert (summary.created, summary.updated) == (0, 1)
    assert Indicator.objects.values_list("code", "code_key", "title").get() == ("m6-QL (VAL)", "m6-ql (val)", "Renamed")


def test_the_database_refuses_two_indicators_whose_codes_differ_only_in_case_or_spacing():
    fields = {"title": "M6", "priority_area": "X", "unit": "count", "polarity": "higher"}
    Indicator.objects.create(code="M6-QL (val)", **fields)

    with pytest.raises(IntegrityError, match="indicator_code_key_unique"):
        Indicator.objects.create(code="m6-ql  (VAL)", **fields)


def test_a_new_indicator_may_have_spaces_and_brackets_in_its_code_but_not_another_ones_code(admin_person):
    fields = {"title": "Visits", "priority_area": "X", "unit": "percentage", "polarity": "higher"}

    created = cat.indicator_create(actor=admin_person.user, code="  M6-QL  (val)", **fields)
    assert (created.code, created.code_key) == ("M6-QL (val)", "m6-ql (val)")

    for code, reason in [
        ("m6-ql (VAL)", cat.CODE_TAKEN.format(code="m6-ql (VAL)")),
        ("M6\tQL", codes.CODE_INVISIBLE),
        ("(val)", codes.CODE_START),
    ]:
        with pytest.raises(cat.ValidationError) as caught:
            cat.indicator_create(actor=admin_person.user, code=code, **fields)
        assert caught.value.message_dict == {"code": [reason]}


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_fills_the_key_of_every_existing_indicator():
    executor = MigrationExecutor(connection)
    before, after = [("performance", "0002_indicator_code_key")], [("performance", "0004_indicator_code_key_unique")]
    executor.migrate(before)
    old_indicator = executor.loader.project_state(before).apps.get_model("performance", "Indicator")
    for code in ("M1", "EH3a%"):
        old_indicator.objects.create(code=code, title=code, priority_area="X", unit="count", polarity="higher")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    assert sorted(Indicator.objects.values_list("code", "code_key")) == [("EH3a%", "eh3a%"), ("M1", "m1")]


def test_a_column_left_out_keeps_what_the_portal_holds_and_a_blank_cell_clears_it(lena):
    load([eh3()])
    slim = {key: eh3()[key] for key in ("code", "title", "priority_area", "unit", "polarity", "target")}

    load([slim])

    year = IndicatorYear.objects.get()
    assert (year.england, year.amber_tolerance, year.comparator_notes) == (D(84), D(3), {"south_east": "N/A"})
    assert Indicator.objects.get().lead == lena

    load([eh3(england="", outcome="", south_east="")])

    year.refresh_from_db()
    assert year.england is None and year.comparator_notes == {}
    assert Indicator.objects.get().outcome == ""


def test_a_file_of_every_indicator_orders_the_scorecard_and_a_partial_one_keeps_the_order():
    load([m1(), eh3(), m1(code="M2")])

    load([eh3(target="95%"), m1(code="NEW", title="Added later")])  # a few targets and one new indicator

    assert list(Indicator.objects.order_by("display_order").values_list("code", flat=True)) == [
        "M1",
        "EH3a%",
        "M2",
        "NEW",
    ]
    load([m1(code="M2"), m1(), eh3(), m1(code="NEW")])  # every indicator: the file's order

    assert list(Indicator.objects.order_by("display_order").values_list("code", flat=True)) == [
        "M2",
        "M1",
        "EH3a%",
        "NEW",
    ]


def test_a_dry_run_reports_and_saves_nothing():
    summary = load([m1(), eh3()], dry_run=True)

    assert summary.created == 2 and summary.dry_run
    assert "would be saved" in str(summary)
    assert not Indicator.objects.exists() and not IndicatorYear.objects.exists()


def test_without_a_year_the_targets_go_to_the_current_reporting_year():
    with freeze_time("2026-03-31 12:00"):
        indicator_catalogue_import(actor=None, content=as_csv([m1()]), file_name="c.csv")
    with freeze_time("2026-04-01 12:00"):
        indicator_catalogue_import(actor=None, content=as_csv([m1(target="1500")]), file_name="c.csv")

    assert dict(IndicatorYear.objects.values_list("year", "target")) == {2025: D(1400), 2026: D(1500)}


def test_an_xlsx_catalogue_loads_like_a_csv():
    indicator_catalogue_import(actor=None, content=as_xlsx([m1(), eh3()]), file_name="catalogue.xlsx", year=2026)

    assert set(Indicator.objects.values_list("code", flat=True)) == {"M1", "EH3a%"}
    assert IndicatorYear.objects.get(indicator__code="EH3a%").target == D(90)


def test_the_lead_is_matched_by_email_and_not_when_two_people_share_the_name(lena):
    by_email = person_with_role(Role.HEAD_OF_SERVICE, None, full_name="Sam Other")
    person_with_role(Role.SENIOR_LEADER, None, full_name="Twin Name")
    person_with_role(Role.SENIOR_LEADER, None, full_name="twin name")

    load([m1(lead_officer=by_email.user.email.upper()), eh3(lead_officer="Twin Name")])

    assert Indicator.objects.get(code="M1").lead == by_email
    assert Indicator.objects.get(code="EH3a%").lead is None


def test_a_lead_linked_on_the_page_survives_a_reimport_with_the_same_officer(lena):
    load([m1(lead_officer="Somebody Outside")])
    deputy = person_with_role(Role.HEAD_OF_SERVICE, None, full_name="Dee Deputy")
    indicator = Indicator.objects.get()
    cat.indicator_update(actor=None, indicator=indicator, lead=deputy)

    load([m1(lead_officer="Somebody Outside")])
    assert Indicator.objects.get().lead == deputy

    load([m1(lead_officer="Lena Lead")])  # a new officer: linked afresh
    assert Indicator.objects.get().lead == lena


# --- Refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"code": ""}, "code", cat.REQUIRED),
        ({"title": ""}, "title", cat.REQUIRED),
        ({"priority_area": ""}, "priority_area", cat.REQUIRED),
        ({"code": "(val) M6"}, "code", codes.CODE_START),
        ({"code": "=M1"}, "code", codes.CODE_START),
        ({"code": "M6\tQL"}, "code", codes.CODE_INVISIBLE),
        ({"code": "M6\u200bQL"}, "code", codes.CODE_INVISIBLE),
        ({"code": "M" * 33}, "code", codes.CODE_TOO_LONG),
        ({"unit": "hours"}, "unit", cat.UNIT_INVALID.format(value="hours")),
        ({"polarity": "up"}, "polarity", cat.POLARITY_INVALID.format(value="up")),
        ({"cumulative": "sometimes"}, "cumulative", "'sometimes' must be yes, no or blank"),
        ({"target": "about 90"}, "target", cat.TARGET_INVALID.format(value="about 90")),
        ({"target": "1400%"}, "target", cat.PERCENT_SIGN_NOT_PERCENTAGE),
        ({"target": "1e5"}, "target", cat.TARGET_INVALID.format(value="1e5")),
        ({"target": "99999999999"}, "target", cat.NUMBER_TOO_LARGE),
        ({"england": "unknown"}, "england", cat.COMPARATOR_INVALID.format(value="unknown")),
        ({"previous_year": "12%"}, "previous_year", cat.PERCENT_SIGN_NOT_PERCENTAGE),
        ({"amber_tolerance": "-5"}, "amber_tolerance", cat.TOLERANCE_NEGATIVE),
        ({"amber_tolerance": "five"}, "amber_tolerance", cat.NUMBER_INVALID.format(value="five")),
        ({"service_area": "XYZ"}, "service_area", cat.AREA_UNKNOWN.format(value="XYZ")),
        ({"title": "x" * 301}, "title", cat.TOO_LONG.format(limit=300)),
        ({"target_note": "x" * 301}, "target_note", cat.TOO_LONG.format(limit=300)),
    ],
)
def test_a_bad_cell_refuses_the_whole_file_and_names_the_row_and_column(cells, column, reason):
    errors = refused([eh3(), m1(**cells)])

    assert RowError(3, column, reason) in errors
    assert not Indicator.objects.exists()


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"target": "101"}, "target", cat.PERCENTAGE_RANGE),
        ({"england": "-1"}, "england", cat.PERCENTAGE_RANGE),
    ],
)
def test_a_percentage_beyond_0_to_100_is_refused(cells, column, reason):
    assert RowError(2, column, reason) in refused([eh3(**cells)])


def test_every_bad_row_is_listed_and_an_earlier_good_state_is_kept():
    load([m1()])
    errors = refused([m1(title="Changed"), eh3(unit="percent-ish"), eh3(code="m1", polarity="")])

    assert errors == [
        RowError(3, "unit", cat.UNIT_INVALID.format(value="percent-ish")),
        RowError(4, "code", cat.CODE_REPEATED.format(row=2, first="M1")),
        RowError(4, "polarity", cat.REQUIRED),
    ]
    assert Indicator.objects.get().title == "Number of contacts received"  # the good row was not saved either


def test_a_missing_column_refuses_the_file():
    rows = [{key: value for key, value in m1().items() if key != "unit"}]

    assert RowError(1, "unit", "this column is missing") in refused(rows)


def test_a_retired_service_area_is_refused(own_area, admin_person):
    service_area_retire(actor=admin_person.user, area=own_area, reason="restructure")

    assert RowError(2, "service_area", cat.AREA_RETIRED.format(code="SWF")) in refused([m1(service_area="SWF")])


def test_a_year_out_of_range_is_refused():
    assert refused([m1()], year=1999) == [RowError(0, "", cat.YEAR_INVALID)]


# --- The command -------------------------------------------------------------------------------


def test_the_command_loads_a_year_and_reports(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(as_csv([m1(), eh3()]))
    out = io.StringIO()

    call_command("import_indicators", str(path), "--year", "2025", stdout=out)

    assert "2 new" in out.getvalue() and "2025/26" in out.getvalue()
    assert set(IndicatorYear.objects.values_list("year", flat=True)) == {2025}


def test_the_command_dry_run_saves_nothing(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(as_csv([m1()]))
    out = io.StringIO()

    call_command("import_indicators", str(path), "--dry-run", stdout=out)

    assert "Dry run" in out.getvalue() and not Indicator.objects.exists()


def test_the_command_lists_every_problem_and_fails(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(as_csv([m1(unit="hours"), eh3(target="lots")]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_indicators", str(path), stderr=err)

    assert "row 2, unit: 'hours' is not a unit" in err.getvalue()
    assert "row 3, target: 'lots' is not a target" in err.getvalue()
    assert not Indicator.objects.exists()


def test_the_command_refuses_a_year_out_of_range(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(as_csv([m1()]))
    with pytest.raises(CommandError, match="reporting year"):
        call_command("import_indicators", str(path), "--year", "26")


def test_the_command_fails_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_indicators", str(tmp_path / "nowhere.csv"))


# --- Changes on the pages (services) -----------------------------------------------------------


def test_an_indicator_change_is_recorded_with_before_and_after(admin_person):
    load([m1()])
    indicator = Indicator.objects.get()

    cat.indicator_update(actor=admin_person.user, indicator=indicator, title="Contacts", polarity="lower")

    record = ChangeRecord.objects.filter(action="indicator.update").get()
    assert record.actor == admin_person.user
    assert "'Number of contacts received' to 'Contacts'" in record.summary
    assert "'neutral' to 'lower'" in record.summary


def test_saving_an_unchanged_indicator_records_nothing():
    load([m1()])
    indicator = Indicator.objects.get()

    cat.indicator_update(actor=None, indicator=indicator, title=indicator.title)

    assert not ChangeRecord.objects.filter(action="indicator.update").exists()


def test_a_new_indicator_needs_a_free_code(admin_person):
    load([m1()])
    fields = {"title": "Another", "priority_area": "X", "unit": "count", "polarity": "higher"}

    with pytest.raises(cat.ValidationError) as caught:
        cat.indicator_create(actor=admin_person.user, code="m1", **fields)
    assert caught.value.message_dict == {"code": [cat.CODE_TAKEN.format(code="m1")]}

    created = cat.indicator_create(actor=admin_person.user, code="M2", lead_officer="Nobody Known", **fields)
    assert created.code == "M2" and created.lead is None
    assert ChangeRecord.objects.filter(action="indicator.create", target_id=created.pk).exists()


def test_a_years_figures_are_saved_for_that_year_only():
    load([eh3()], year=2025)
    indicator = Indicator.objects.get()

    cat.indicator_year_save(
        actor=None, indicator=indicator, year=2026, target=D(92), target_note="", comparator_notes={"england": "N/A"}
    )
    cat.indicator_year_save(actor=None, indicator=indicator, year=2026, target=D(93))

    assert dict(indicator.years.values_list("year", "target")) == {2025: D(90), 2026: D(93)}
    summaries = list(ChangeRecord.objects.filter(action="indicator.year").values_list("summary", flat=True))
    assert summaries == [
        "Targets and comparators for 2026/27 changed: target",
        "Targets and comparators for 2026/27 added",
    ]


def test_the_catalogue_selector_groups_by_priority_area_with_the_years_figures():
    load([m1(), eh3(), m1(code="M2", title="Referrals")], year=2026)
    load([m1(target="1")], year=2025)

    groups = cat.catalogue_by_priority_area(2026)

    assert [(area, [i.code for i in indicators]) for area, indicators in groups] == [
        ("Right service at the right time", ["M1", "M2"]),
        ("Effective assessment and intervention", ["EH3a%"]),
    ]
    assert groups[0][1][0].year_figures.target == D(1400)


# --- The pages ---------------------------------------------------------------------------------


def upload_catalogue(client, rows, mode, year=2026):
    file = SimpleUploadedFile("catalogue.csv", as_csv(rows), content_type="text/csv")
    return client.post(reverse("performance:catalogue_import"), {"file": file, "mode": mode, "year": year})


def test_the_catalogue_page_lists_indicators_by_priority_area_with_this_years_targets(client, performance_officer):
    load([m1(), eh3()], year=2026)
    load([eh3(target="50")], year=2025)
    client.force_login(performance_officer.user)

    with freeze_time("2026-11-23 10:00"):
        response = client.get(reverse("performance:catalogue"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Right service at the right time" in page and "Effective assessment and intervention" in page
    assert "90%" in page and "50%" not in page  # 2026/27's target, not 2025/26's
    assert "1,400" in page


@pytest.mark.parametrize("size", [2, 40])
def test_the_catalogue_page_runs_a_fixed_number_of_queries(client, admin_person, django_assert_num_queries, size):
    lead = person_with_role(Role.HEAD_OF_SERVICE, None, full_name="Lena Lead")
    load([m1(code=f"M{n}", priority_area=f"Area {n % 5}", service_area="") for n in range(size)])
    assert Indicator.objects.filter(lead=lead).count() == size
    client.force_login(admin_person.user)

    with django_assert_num_queries(10):  # session (4), user, 2FA device, roles, person, indicators and leads, years
        response = client.get(reverse("performance:catalogue"))

    assert response.context["count"] == size


def test_importing_on_the_page_checks_first_then_saves_for_the_chosen_year(client, performance_officer):
    client.force_login(performance_officer.user)

    checked = upload_catalogue(client, [m1(), eh3()], "check", year=2025)
    assert "The file is ready to import: nothing was saved yet" in checked.content.decode()
    assert not Indicator.objects.exists()

    imported = upload_catalogue(client, [m1(), eh3()], "import", year=2025)
    assert imported.status_code == 302 and imported.url == reverse("performance:catalogue")
    assert set(IndicatorYear.objects.values_list("year", flat=True)) == {2025}
    assert ChangeRecord.objects.filter(action="indicator.import", actor=performance_officer.user).count() == 2


@freeze_time("2026-11-23 10:00")  # the upload offers the reporting years around today's
def test_the_councils_codes_are_imported_on_the_page_and_their_pages_open_by_number(client, performance_officer):
    client.force_login(performance_officer.user)

    imported = upload_catalogue(client, council_rows(), "import", year=2026)

    assert imported.status_code == 302
    listing = client.get(reverse("performance:catalogue")).content.decode()
    for indicator in Indicator.objects.all():
        page = reverse("performance:catalogue_indicator", args=[indicator.pk])
        assert f'<a href="{page}">{indicator.code}</a>' in listing
        for address in (
            page,
            reverse("performance:catalogue_indicator_edit", args=[indicator.pk]),
            reverse("performance:catalogue_year_edit", args=[indicator.pk, 2026]),
        ):
            assert client.get(address).status_code == 200


def test_a_code_that_cannot_be_one_is_refused_on_the_page_with_its_reason(client, performance_officer):
    client.force_login(performance_officer.user)
    fields = {"title": "Visits", "priority_area": "X", "unit": "count", "polarity": "higher", "display_order": "1"}

    response = client.post(reverse("performance:catalogue_indicator_create"), {"code": "(val) M6", **fields})

    assert response.context["form"].errors["code"] == [codes.CODE_START]
    assert not Indicator.objects.exists()


def test_a_refused_catalogue_upload_lists_the_rows(client, performance_officer):
    client.force_login(performance_officer.user)

    response = upload_catalogue(client, [m1(), eh3(unit="hours")], "import")

    assert [(e.row, e.column) for e in response.context["errors"]] == [(3, "unit")]
    assert not Indicator.objects.exists()


def test_the_upload_year_must_be_one_offered(client, performance_officer):
    client.force_login(performance_officer.user)

    response = upload_catalogue(client, [m1()], "import", year=1990)

    assert "year" in response.context["form"].errors and not Indicator.objects.exists()


def test_an_indicator_is_added_and_changed_on_its_pages(client, admin_person, own_area):
    client.force_login(admin_person.user)
    fields = {
        "title": "Number of contacts",
        "priority_area": "Right service at the right time",
        "unit": "count",
        "polarity": "lower",
        "display_order": "5",
        "is_active": "on",
    }

    created = client.post(reverse("performance:catalogue_indicator_create"), {"code": "M1", **fields})
    indicator = Indicator.objects.get()
    assert created.url == reverse("performance:catalogue_indicator", args=[indicator.pk])

    clash = client.post(reverse("performance:catalogue_indicator_create"), {"code": "m1", **fields})
    assert clash.context["form"].errors["code"] == [cat.CODE_TAKEN.format(code="m1")]

    edit = reverse("performance:catalogue_indicator_edit", args=[indicator.pk])
    assert client.get(edit).context["form"].initial["polarity"] == "lower"
    changed = client.post(edit, {**fields, "title": "Contacts received", "service_area": own_area.pk, "is_active": ""})
    assert changed.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.title, indicator.service_area, indicator.is_active) == ("Contacts received", own_area, False)
    page = client.get(reverse("performance:catalogue_indicator", args=[indicator.pk])).content.decode()
    assert "Title from &#x27;Number of contacts&#x27; to &#x27;Contacts received&#x27;" in page


def test_a_years_targets_are_typed_as_in_the_file(client, performance_officer):
    load([eh3()], year=2026)
    indicator = Indicator.objects.get()
    client.force_login(performance_officer.user)
    url = reverse("performance:catalogue_year_edit", args=[indicator.pk, 2027])

    form = client.get(url).context["form"]
    assert form.initial == {}  # no 2027/28 figures yet

    wrong = client.post(url, {"target": "ninety", "england": "12%x", "amber_tolerance": "-1"})
    assert wrong.status_code == 200
    errors = wrong.context["form"].errors
    assert errors["target"] == ["'ninety' is not a target (give a number, 90 or 90%, or blank, N/A, TBC or Not set)."]
    assert errors["england"] == ["'12%x' is not a comparator (give a number, or blank, N/A or Local)."]
    assert errors["amber_tolerance"] == ["The amber tolerance cannot be negative."]

    saved = client.post(url, {"target": "TBC", "target_note": "new service", "england": "Local", "south_east": "81%"})
    assert saved.status_code == 302
    year = indicator.years.get(year=2027)
    assert (year.target, year.target_note, year.south_east) == (None, "TBC: new service", D(81))
    assert year.comparator_notes == {"england": "Local"}
    assert indicator.years.get(year=2026).target == D(90)  # last year's untouched

    shown = client.get(url).context["form"].initial
    assert (shown["england"], shown["south_east"], shown["target"]) == ("Local", "81", "")


def test_the_catalogue_pages_are_for_those_who_manage_indicators(client, make_person, own_area, admin_person):
    load([m1()])
    indicator = Indicator.objects.get()
    pages = [
        reverse("performance:catalogue"),
        reverse("performance:catalogue_import"),
        reverse("performance:catalogue_indicator_create"),
        reverse("performance:catalogue_indicator", args=[indicator.pk]),
        reverse("performance:catalogue_indicator_edit", args=[indicator.pk]),
        reverse("performance:catalogue_year_edit", args=[indicator.pk, 2026]),
    ]
    for person, expected in [
        (admin_person, 200),
        (make_person(Role.PERFORMANCE_OFFICER, own_area), 200),
        (make_person(Role.SENIOR_LEADER), 403),
        (make_person(Role.SERVICE_LEAD, own_area), 403),
    ]:
        client.force_login(person.user)
        assert [client.get(url).status_code for url in pages] == [expected] * len(pages), person


def test_a_refused_role_cannot_change_the_catalogue(client, make_person):
    load([m1()])
    indicator = Indicator.objects.get()
    client.force_login(make_person(Role.QA_LEAD).user)

    response = client.post(
        reverse("performance:catalogue_indicator_edit", args=[indicator.pk]),
        {"title": "Hijacked", "priority_area": "X", "unit": "count", "polarity": "higher", "display_order": 1},
    )

    assert response.status_code == 403
    assert Indicator.objects.get().title == "Number of contacts received"


def test_the_catalogue_pages_take_only_the_methods_they_need(client, performance_officer):
    load([m1()])
    client.force_login(performance_officer.user)

    assert client.post(reverse("performance:catalogue")).status_code == 405
    pk = Indicator.objects.get().pk
    assert client.post(reverse("performance:catalogue_indicator", args=[pk])).status_code == 405
    assert client.put(reverse("performance:catalogue_indicator_edit", args=[pk])).status_code == 405


def test_a_missing_indicator_is_not_found(client, performance_officer):
    client.force_login(performance_officer.user)

    assert client.get(reverse("performance:catalogue_indicator", args=[999])).status_code == 404
    assert client.get(reverse("performance:catalogue_year_edit", args=[999, 2026])).status_code == 404
