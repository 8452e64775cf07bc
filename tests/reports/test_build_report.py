"""`manage.py build_report`: the same figures as the portal (compute), as JSON, PDF or XLSX, to a file
or to standard output, from the current data, saving nothing; and its errors."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from audits.models import Audit
from quality.org.models import Role
from quality.reports import figures
from quality.reports.management.commands import build_report
from quality.reports.models import Report, ReportDocument
from tests.moderation.outcome_world import published_version

from .test_outputs import pdf_text, squash

pytestmark = pytest.mark.django_db

ISSUE_KEYS = {"kind", "period", "audits", "grades_pct", "previous", "by_service_area", "moderation"}
ISSUE_AUDIT_KEYS = {
    "completed",
    "service_areas",
    "practitioner_discussion_pct",
    "child_contact_pct",
    "graded",
    "ungraded",
    "grades",
}


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)), timezone.get_default_timezone())


@pytest.fixture
def october(make_person, own_area, other_area):
    """October 2026: two graded audits in SWF, one in PTC, one ungraded review in PTC; one in September."""
    version = published_version()
    auditor = make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager")
    made = []
    for n, (area, grade, day, discussed) in enumerate(
        (
            (own_area, "good", date(2026, 10, 3), True),
            (own_area, "requires_improvement", date(2026, 10, 20), False),
            (other_area, "outstanding", date(2026, 10, 31), True),
            (other_area, "", date(2026, 10, 15), None),
            (own_area, "good", date(2026, 9, 30), True),
        )
    ):
        made.append(
            Audit.objects.create(
                case_reference=f"C{n:06d}",
                service_area=area,
                auditor=auditor,
                tool_version=version,
                kind=Audit.Kind.REVIEW if not grade else Audit.Kind.MONTHLY,
                period_start=date(2026, 4, 1),
                period_end=date(2026, 9, 30),
                state=Audit.State.SUBMITTED,
                overall_grade=grade,
                discussion_held=discussed,
                submitted_at=at(day),
            )
        )
    return made


def run(*args, stdout=None) -> str:
    out = stdout or io.StringIO()
    call_command("build_report", *args, stdout=out)
    return out.getvalue() if isinstance(out, io.StringIO) else ""


def test_the_json_is_exactly_the_figures_the_portal_computes(october):
    data = json.loads(run("--kind", "monthly", "--period", "2026-10", "--format", "json"))

    assert data == figures.compute("monthly", "2026-10")
    assert set(data) >= ISSUE_KEYS and set(data["audits"]) >= ISSUE_AUDIT_KEYS
    assert data["audits"]["completed"] == 4 and data["audits"]["service_areas"] == 2
    assert (data["audits"]["graded"], data["audits"]["ungraded"]) == (3, 1)
    assert data["previous"]["completed"] == 1
    assert [(row["code"], row["total"]) for row in data["by_service_area"]] == [("PTC", 2), ("SWF", 2)]


def test_json_is_the_default_format_and_quarterly_and_annual_periods_work(october):
    quarterly = json.loads(run("--kind", "quarterly", "--period", "2026-Q4"))
    annual = json.loads(run("--kind", "annual", "--period", "2026", "--year-to-date"))

    assert quarterly == figures.compute("quarterly", "2026-Q4")
    assert quarterly["audits"]["completed"] == 4
    assert annual == figures.compute("annual", "2026", year_to_date=True)
    assert annual["year_to_date"] is True and annual["audits"]["completed"] == 5


def test_the_pdf_written_to_a_file_has_the_headline_figures_and_the_service_area_table_and_saves_nothing(
    october, tmp_path
):
    path = tmp_path / "october.pdf"

    said = run("--kind", "monthly", "--period", "2026-10", "--format", "pdf", "--output", str(path))

    assert said.strip() == f"Wrote the PDF of the monthly report 2026-10 to {path}."
    text = squash(pdf_text(path.read_bytes()))
    assert "Monthly audit analysis" in text and "October 2026" in text
    assert "Audits completed 4 1 +3" in text
    assert "Pathways Through Care (PTC) 1 0 0 0 1 2" in text
    assert "Social Work with Families (SWF) 0 1 1 0 0 2" in text
    assert "not saved or published" in text
    assert not Report.objects.exists() and not ReportDocument.objects.exists()


def test_the_workbook_written_to_a_file_has_the_tables(october, tmp_path):
    path = tmp_path / "october.xlsx"

    run("--kind", "monthly", "--period", "2026-10", "--format", "xlsx", "--output", str(path))

    book = load_workbook(path)
    rows = list(book["By service area"].iter_rows(min_row=2, values_only=True))
    assert rows == [
        ("PTC", "Pathways Through Care", 1, 0, 0, 0, 1, 2),
        ("SWF", "Social Work with Families", 0, 1, 1, 0, 0, 2),
    ]


def test_a_pdf_goes_to_standard_output_as_bytes_when_there_is_no_output_file(october):
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")

    run("--kind", "monthly", "--period", "2026-10", "--format", "pdf", stdout=stdout)

    assert raw.getvalue().startswith(b"%PDF")


def test_a_binary_file_is_refused_where_standard_output_takes_only_text(db):
    with pytest.raises(CommandError) as refused:
        run("--kind", "monthly", "--period", "2026-10", "--format", "xlsx")

    assert str(refused.value) == build_report.NO_BINARY_STDOUT.format(format="XLSX")


def test_a_binary_file_is_never_written_to_a_terminal(db):
    class Terminal(io.TextIOWrapper):
        def isatty(self):
            return True

    raw = io.BytesIO()
    with pytest.raises(CommandError) as refused:
        run("--kind", "monthly", "--period", "2026-10", "--format", "pdf", stdout=Terminal(raw))

    assert str(refused.value) == build_report.BINARY_TO_TERMINAL.format(format="PDF")
    assert raw.getvalue() == b""


@pytest.mark.parametrize(
    ("kind", "period", "message"),
    [
        ("monthly", "2023-13", "There is no month 13 in '2023-13': months go from 01 to 12."),
        ("monthly", "2023-Q4", figures.PERIOD_FORMATS["monthly"].format(text="2023-Q4")),
        ("quarterly", "2023-Q5", figures.PERIOD_FORMATS["quarterly"].format(text="2023-Q5")),
        ("annual", "22", figures.PERIOD_FORMATS["annual"].format(text="22")),
    ],
)
def test_a_period_that_does_not_fit_the_kind_is_refused_with_a_clear_message(db, kind, period, message):
    with pytest.raises(CommandError) as refused:
        run("--kind", kind, "--period", period)

    assert str(refused.value) == message


def test_an_unknown_kind_or_format_is_refused(db):
    with pytest.raises(CommandError, match="invalid choice: 'weekly'"):
        run("--kind", "weekly", "--period", "2023-11")
    with pytest.raises(CommandError, match="invalid choice: 'csv'"):
        run("--kind", "monthly", "--period", "2023-11", "--format", "csv")
    with pytest.raises(CommandError, match="the following arguments are required: --period"):
        run("--kind", "monthly")


def test_year_to_date_is_only_for_annual_reports(db):
    with pytest.raises(CommandError) as refused:
        run("--kind", "monthly", "--period", "2026-10", "--year-to-date")

    assert str(refused.value) == figures.YEAR_TO_DATE_ANNUAL_ONLY


def test_a_file_that_cannot_be_written_is_reported(db, tmp_path):
    path = tmp_path / "missing-folder" / "report.json"

    with pytest.raises(CommandError) as refused:
        run("--kind", "monthly", "--period", "2026-10", "--output", str(path))

    assert str(refused.value) == build_report.OUTPUT_FAILED.format(path=path, reason="No such file or directory")
