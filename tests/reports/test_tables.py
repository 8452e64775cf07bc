"""A report's tables are built once (quality/reports/tables.py): the same figures give the same labels
and numbers on the report page, in the workbook and in the PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html import unescape

import pytest
from django.template.loader import render_to_string
from openpyxl import load_workbook

from quality.org.models import Role
from quality.reports import outputs, tables
from quality.reports.models import Report

from .test_outputs import MADE_AT, sample_figures

pytestmark = pytest.mark.usefixtures("frozen_today")


def published(figures: dict) -> Report:
    return Report.objects.create(
        kind="monthly",
        period="2023-11",
        period_start="2023-11-01",
        period_end="2023-11-30",
        state=Report.State.PUBLISHED,
        figures=figures,
        data_taken_at=datetime(2023, 12, 9, 5, 0, tzinfo=UTC),
        published_at=datetime(2023, 12, 11, 10, 0, tzinfo=UTC),
    )


def workbook_rows(figures: dict, sheet: str) -> list[tuple]:
    xlsx = outputs.render(outputs.draft_content(figures), "xlsx", made_at=MADE_AT)
    return list(load_workbook(io.BytesIO(xlsx))[sheet].iter_rows(values_only=True))


def pdf_html(figures: dict) -> str:
    content = outputs.draft_content(figures)
    return unescape(render_to_string(outputs.PDF_TEMPLATE, outputs.pdf_context(content, made_at=MADE_AT)))


@pytest.mark.django_db
def test_the_page_the_workbook_and_the_pdf_show_the_same_labels_and_numbers(client, make_person):
    figures = sample_figures()
    client.force_login(make_person(Role.QA_LEAD).user)

    response = client.get(published(figures).get_absolute_url())
    page_tables = response.context["tables"]
    page_html = unescape(response.content.decode())
    pdf = pdf_html(figures)

    built = tables.report_tables(figures)
    assert page_tables == built
    headline = [(row[0], *row[1:4]) for row in workbook_rows(figures, "Headline")[1:]]
    assert headline == [
        (row.label, row.cells[0].value, row.cells[1].value, row.change) for row in built["headline"].rows
    ]
    for row in built["headline"].rows:
        assert f'<th scope="row">{row.label}' in page_html
        assert f'<th scope="row">{row.label}</th>' in pdf
    grades = workbook_rows(figures, "Grades")
    assert grades[0][1:] == built["grades"].columns
    for row in built["grades"].rows:
        assert (row.label, *(cell.value for cell in row.cells)) in grades
    by_area = workbook_rows(figures, "By service area")
    for row in built["by_service_area"].rows:
        counts = tuple(cell.value for cell in row.cells)
        assert (row.code, row.label, *counts) in by_area
        cells = "".join(f'<td class="text-end">{n}</td>' for n in counts)
        assert f'<th scope="row">{row.code}: {row.label}</th>{cells}' in page_html
        cells = "".join(f'<td class="num">{n}</td>' for n in counts)
        assert f'<th scope="row">{row.label} <span class="code">({row.code})</span></th>{cells}' in pdf


@pytest.mark.django_db
def test_ungraded_audits_carry_one_label_everywhere(client, make_person):
    figures = sample_figures()
    figures["audits"] |= {"ungraded": 3, "completed": 25}
    client.force_login(make_person(Role.QA_LEAD).user)

    page_html = unescape(client.get(published(figures).get_absolute_url()).content.decode())

    assert tables.UNGRADED == "Ungraded reviews and themed analyses"
    assert f'<th scope="row">{tables.UNGRADED}' in page_html
    assert f'<th scope="row">{tables.UNGRADED}</th><td class="num">3</td>' in pdf_html(figures)
    assert (tables.UNGRADED, 3, 0, 3) in [row[:4] for row in workbook_rows(figures, "Headline")]
    assert (tables.UNGRADED, 3, None, None, None) in workbook_rows(figures, "Grades")


def test_a_change_the_figures_do_not_give_is_worked_out_from_both_periods():
    rows = {row.key: row for row in tables.headline(sample_figures()).rows}

    assert rows["completed"].change == 10  # given by the figures
    assert rows["allocated"].change == 22 - 14
    assert rows["completed_of_allocated_pct"].change == 14.3  # 100.0 - 85.7, in points to one place
    assert rows["child_contact_pct"].change is None  # October has no figure
    assert rows["completed_of_allocated_pct"].note == "22 of 22 allocated"


def test_a_percentage_resting_on_few_audits_is_marked_small():
    figures = sample_figures()
    figures["audits"]["bases"] |= {"child_contact_pct": 5, "grades_pct": 5}

    headline = {row.key: row for row in tables.headline(figures).rows}
    grades = tables.grades(figures).rows

    assert headline["child_contact_pct"].cells[0].small
    assert not headline["family_contact_pct"].cells[0].small
    assert not headline["completed"].cells[0].small  # a count is never a small-sample percentage
    assert all(row.cells[1].small and not row.cells[3].small for row in grades)


def test_a_count_tables_totals_add_up_its_rows():
    table = tables.by_service_area(sample_figures())

    assert table.columns == ("Outstanding", "Good", "Requires Improvement", "Inadequate", "Ungraded", "Total")
    assert [cell.value for cell in table.totals.cells] == [3, 15, 9, 1, 6, 34]


def test_an_areas_trend_names_each_period_as_people_say_it_and_keeps_its_code():
    trend = tables.area_trends(sample_figures())[0]

    assert [(row.label, row.code) for row in trend.rows][-1] == ("November 2023", "2023-11")
    assert trend.rows[-1].share == tables.Cell(63.2, True, True)  # 1 + 11 of 19 area grades
