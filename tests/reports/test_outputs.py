"""A report as files: the PDF (text, A4, page numbers, contents, fonts, charts, a 30-page report in
seconds), the workbook (sheets, numbers as numbers, frozen headers, no formulas from free text), the
JSON, the content of a saved report (narrative, picked highlights, a service lead's own areas only)
and the charts' accessibility."""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import zlib
from datetime import UTC, datetime

import pytest
from django.contrib.staticfiles import finders
from openpyxl import load_workbook

from audits.models import AnalysisArea
from moderation import tables as moderation_tables
from quality.org.models import Role
from quality.pdf import stylesheet_text
from quality.reports import charts, outputs
from quality.reports.models import Highlight, ImprovementPoint, Report
from tests.pdf_structure import accessibility

GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
MADE_AT = datetime(2023, 12, 9, 6, 0, tzinfo=UTC)
AREA_NAMES = {
    "SWF": "Social Work with Families",
    "PTC": "Pathways Through Care",
    "CRS": "Children's Resource Service",
}


def counts(o, g, r, i) -> dict:
    return dict(zip(GRADES, (o, g, r, i), strict=True))


def pct(grades: dict) -> dict:
    total = sum(grades.values())
    return {grade: (round(100 * n / total, 1) if total else None) for grade, n in grades.items()}


def headline(completed, allocated, discussion, child, family, grades, ungraded, areas, **extra) -> dict:
    graded = sum(grades.values())
    return {
        "completed": completed,
        "allocated": allocated,
        "allocated_completed": min(completed, allocated),
        "completed_of_allocated_pct": round(100 * min(completed, allocated) / allocated, 1) if allocated else None,
        "service_areas": areas,
        "practitioner_discussion_pct": discussion,
        "child_contact_pct": child,
        "family_contact_pct": family,
        "graded": graded,
        "ungraded": ungraded,
        "grades": grades,
        "small_sample": completed < 20,
        "bases": {
            "completed_of_allocated_pct": allocated,
            "practitioner_discussion_pct": completed,
            "child_contact_pct": completed,
            "family_contact_pct": completed,
            "grades_pct": graded,
        },
        **extra,
    }


def sample_figures(*, areas: dict[str, str] | None = None, themes: int = 3, theme_names: int = 2) -> dict:
    """A hand-made figures object in the shape of docs/reports.md (the seeds' November 2023 monthly
    analysis: 22 allocated, 22 completed, 82% discussions). `areas` {code: name} adds a row per area."""
    areas = AREA_NAMES if areas is None else areas
    grades = counts(3, 10, 8, 1)
    area_rows = [
        {"code": code, "name": name, **counts(1, 4 + i % 3, 3, i % 2), "ungraded": 2, "total": 10 + i % 3 + i % 2}
        for i, (code, name) in enumerate(sorted(areas.items()))
    ]
    trend_periods = ["2023-08", "2023-09", "2023-10", "2023-11"]
    return {
        "kind": "monthly",
        "period": "2023-11",
        "period_start": "2023-11-01",
        "period_end": "2023-11-30",
        "year_to_date": False,
        "small_sample_threshold": 20,
        "audits": headline(22, 22, 81.8, 59.1, 77.3, grades, 0, 10),
        "grades_pct": pct(grades),
        "moderated": {
            "grades": counts(2, 9, 10, 1),
            "grades_pct": pct(counts(2, 9, 10, 1)),
            "moderated_count": 4,
            "graded": 22,
        },
        "previous": {
            "period": "2023-10",
            "period_start": "2023-10-01",
            "period_end": "2023-10-31",
            **headline(12, 14, 75.0, None, 70.0, counts(1, 5, 5, 1), 0, 6),
        },
        "changes": {
            "completed": 10,
            "practitioner_discussion_pct": 6.8,
            "child_contact_pct": None,
            "family_contact_pct": 7.3,
        },
        "by_service_area": area_rows,
        "by_kind": [
            {"kind": "monthly", "label": "Monthly case audit", **grades, "ungraded": 0, "total": 22},
        ],
        "by_theme": [
            {"theme": f"Theme {n:03}", **counts(0, 3, 2, 0), "ungraded": 0, "total": 5} for n in range(theme_names)
        ],
        "areas_of_analysis": [
            {
                "area": area.value,
                "label": area.label,
                "grades": counts(2, 12, 7, 1),
                "total": 22,
                "trend": [
                    {"period": period, "grades": counts(1, 8 + n, 6, 1), "total": 16 + n}
                    for n, period in enumerate(trend_periods)
                ],
                "quarters": [],
            }
            for area in AnalysisArea
        ],
        "themes": [
            {"theme_id": n + 1, "name": f"Practice theme {n:03}", "count": 7, "previous_count": 4, "change": 3}
            for n in range(themes)
        ],
        "actions": {"opened": 30, "completed": 12, "overdue": 4},
        "escalations": {"opened": 2, "open": 3, "late": 1, "closed": 1},
        "exemplars": [
            {"audit_id": 118, "case_reference": "C123456", "service_area": "SWF", "grade": "outstanding"},
            {"audit_id": 119, "case_reference": "C654321", "service_area": "PTC", "grade": "good"},
        ],
        "moderation": {
            "date_from": "2023-11-01",
            "date_to": "2023-11-30",
            "service_area": None,
            "auditor": None,
            "panel": None,
            "moderated": 6,
            "original": counts(1, 3, 2, 0),
            "moderated_grades": counts(0, 3, 3, 0),
            "matrix": {
                "outstanding": counts(0, 1, 0, 0),
                "good": counts(0, 2, 1, 0),
                "requires_improvement": counts(0, 0, 2, 0),
                "inadequate": counts(0, 0, 0, 0),
            },
            "exact_agreement_pct": 66.7,
            "within_one_pct": 100.0,
            "upgraded": 0,
            "downgraded": 2,
            "weighted_kappa": 0.5,
            "weighted_kappa_ci95": [0.1, 0.9],
            "kappa_reading": "Moderate agreement beyond chance.",
            "small_sample_warning": "Only 6 moderated audits to compare (fewer than 20): too few to say much.",
            "ungraded": 0,
        },
        "highlight_candidates": [
            {
                "service_area": "SWF",
                "service_area_id": 1,
                "kind": "good_practice",
                "audit_id": 118,
                "text": "A clear chronology.",
            },
            {
                "service_area": "PTC",
                "service_area_id": 2,
                "kind": "improvement",
                "audit_id": 119,
                "text": "Plans lack dates.",
            },
        ],
    }


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pdf_info(pdf: bytes) -> str:
    return subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def page_count(pdf: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", pdf_info(pdf), re.M).group(1))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# -- the PDF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def draft_pdf() -> bytes:
    return outputs.render(outputs.draft_content(sample_figures()), "pdf", made_at=MADE_AT)


def test_the_pdf_shows_the_headline_figures_with_the_previous_period_and_the_change(draft_pdf):
    text = squash(pdf_text(draft_pdf))

    assert "Monthly audit analysis" in text
    assert "November 2023" in text
    assert "Audits allocated 22 14 +8" in text
    assert "Audits completed 22 12 +10" in text
    assert "Allocated audits completed 100.0% 85.7% † +14.3 points" in text
    assert "Auditor discussed the case with the practitioner 81.8% 75.0% † +6.8 points" in text
    # The child-contact change is not computable: October has no figure.
    assert "Child contacted 59.1% – –" in text


def test_the_pdf_has_the_service_area_table_with_each_areas_grades_and_totals(draft_pdf):
    text = squash(pdf_text(draft_pdf))

    assert "Children's Resource Service (CRS) 1 4 3 0 2 10" in text
    assert "Pathways Through Care (PTC) 1 5 3 1 2 12" in text
    assert "Social Work with Families (SWF) 1 6 3 0 2 12" in text
    assert "Total 3 15 9 1 6 34" in text


def test_the_pdf_labels_grades_before_and_after_moderation(draft_pdf):
    text = squash(pdf_text(draft_pdf))

    assert "Before moderation % After moderation %" in text
    assert "Good 10 45.5% 9 40.9%" in text
    assert "Requires Improvement 8 36.4% 10 45.5%" in text


def test_the_pdf_is_a4_with_a_cover_a_contents_page_and_numbered_pages(draft_pdf):
    info = pdf_info(draft_pdf)
    pages = page_count(draft_pdf)
    text = pdf_text(draft_pdf)

    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    first_page, contents_page = text.split("\f")[:2]
    assert "Page 1 of" not in first_page  # the cover has no number
    assert "Contents" in contents_page
    # Each contents entry ends with the page its chapter starts on.
    assert re.search(r"Headline figures[ .]+3\b", contents_page), contents_page
    assert f"Page 2 of {pages}" in contents_page
    assert f"Page {pages} of {pages}" in text.split("\f")[pages - 1]


def test_the_pdf_embeds_its_fonts():
    pdf = outputs.render(outputs.draft_content(sample_figures()), "pdf", made_at=MADE_AT)
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = listing.splitlines()[2:]

    assert rows, listing
    assert any("DejaVu-Sans" in row for row in rows), listing
    # Columns: name type encoding emb sub uni ...: every font is embedded.
    assert all(row.split()[-5] == "yes" for row in rows), listing


def test_the_pdf_is_tagged_for_screen_readers_with_its_headings_tables_language_and_title(draft_pdf):
    pdf = accessibility(draft_pdf)

    assert pdf.tagged and pdf.language == "en-GB"
    assert pdf.title == "Monthly audit analysis: November 2023" and pdf.title_shown
    assert pdf.roles["H1"] >= 1 and pdf.headings >= 8  # the title and each chapter's heading
    assert pdf.roles["Table"] >= 4 and pdf.roles["TH"] >= 20  # the figures' tables, with header cells
    assert pdf.fonts_embedded
    assert pdf.figures_without_text == 0


def test_a_draft_built_from_the_command_says_so_and_shows_no_highlights(draft_pdf):
    text = squash(pdf_text(draft_pdf))

    assert "not saved or published" in text
    assert outputs.NO_HIGHLIGHTS in text
    assert "A clear chronology." not in text  # candidates are raw audit text: never printed unpicked


def test_the_pdf_warns_where_a_percentage_rests_on_a_small_sample():
    figures = sample_figures()
    figures["audits"] |= {"completed": 5, "small_sample": True}
    figures["audits"]["bases"]["grades_pct"] = 5

    text = squash(pdf_text(outputs.render(outputs.draft_content(figures), "pdf", made_at=MADE_AT)))

    assert "Fewer than 20 audits were completed in this period" in text
    assert "Based on fewer than 20 audits (a small sample)" in text
    assert "Good 10 45.5% †" in text


def test_the_stylesheet_keeps_rows_whole_and_repeats_table_headers():
    with open(finders.find(outputs.PRINT_STYLESHEET), encoding="utf-8") as stylesheet:
        css = stylesheet.read()

    assert re.search(r"\btr\s*\{\s*break-inside:\s*avoid", css)
    assert "thead { display: table-header-group; }" in css
    assert "size: A4" in css
    assert 'counter(page) " of " counter(pages)' in css
    assert "target-counter(attr(href), page)" in css


def test_no_table_heading_or_figure_runs_over_into_the_next_column():
    """Laid out by WeasyPrint: every word in a table cell ends inside the cell's border (the grade
    headings "Outstanding" and "Requires Improvement" over narrow number columns)."""
    from django.template.loader import render_to_string
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    content = outputs.draft_content(sample_figures())
    html = render_to_string(outputs.PDF_TEMPLATE, outputs.pdf_context(content, made_at=MADE_AT))
    document = HTML(string=html).render(stylesheets=[CSS(string=stylesheet_text(outputs.PRINT_STYLESHEET))])

    def descendants(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from descendants(child)

    overflowing, cells = [], 0
    for page in document.pages:
        for cell in descendants(page._page_box):
            if not isinstance(cell, boxes.TableCellBox):
                continue
            cells += 1
            inside_border = cell.content_box_x() + cell.width + cell.padding_right
            overflowing += [
                text.text
                for text in descendants(cell)
                if isinstance(text, boxes.TextBox) and text.position_x + text.width > inside_border + 0.5
            ]
    assert cells > 100
    assert overflowing == []


def test_the_charts_are_vector_graphics_in_the_pdf(draft_pdf):
    # WeasyPrint draws inline SVG as PDF paths: no raster image is embedded.
    images = subprocess.run(["pdfimages", "-list", "-"], input=draft_pdf, capture_output=True, check=True).stdout
    assert len(images.decode().splitlines()) == 2  # the header lines only


def test_a_thirty_page_report_renders_in_seconds():
    """Many areas and themes (a big annual report): about 30 pages, and no table row split."""
    areas = {f"A{n:03}": f"Service area number {n}" for n in range(450)}
    figures = sample_figures(areas=areas, themes=250, theme_names=250)

    started = time.monotonic()
    pdf = outputs.render(outputs.draft_content(figures), "pdf", made_at=MADE_AT)
    elapsed = time.monotonic() - started

    pages = page_count(pdf)
    assert 25 <= pages <= 45, pages
    assert elapsed < 60, f"{pages} pages took {elapsed:.1f} s"
    text = pdf_text(pdf)
    # The service-area table runs over several pages and repeats its header row on each (its grade
    # headings hyphenated: "Out-" then "standing" below).
    assert len(re.findall(r"Service area\s+Out\W", text)) >= 5


# -- the workbook -------------------------------------------------------------------------------


def workbook_of(content) -> object:
    return load_workbook(io.BytesIO(outputs.render(content, "xlsx", made_at=MADE_AT)))


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_has_a_sheet_per_table_with_frozen_headers():
    book = workbook_of(outputs.draft_content(sample_figures()))

    assert book.sheetnames == [
        "About",
        "Headline",
        "Grades",
        "By service area",
        "By kind",
        "By theme",
        "Seven areas",
        "Practice themes",
        "Actions and escalations",
        "Exemplars",
        "Moderation",
        "Moderation matrix",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet["A1"].font.b, sheet.title


def test_the_workbook_keeps_numbers_as_numbers():
    book = workbook_of(outputs.draft_content(sample_figures()))

    headline = {row[0]: row[1:4] for row in rows_of(book["Headline"])[1:]}
    assert headline["Audits completed"] == (22, 12, 10)
    assert headline["Auditor discussed the case with the practitioner"] == (81.8, 75.0, 6.8)
    assert headline["Child contacted"] == (59.1, None, None)
    grades = {row[0]: row[1:] for row in rows_of(book["Grades"])[1:]}
    assert grades["Good"] == (10, 45.5, 9, 40.9)
    assert book["Grades"]["C2"].number_format == "0.0"
    area_rows = rows_of(book["By service area"])
    assert area_rows[0] == (
        "Code",
        "Service area",
        "Outstanding",
        "Good",
        "Requires Improvement",
        "Inadequate",
        "Ungraded",
        "Total",
    )
    assert area_rows[1] == ("CRS", "Children's Resource Service", 1, 4, 3, 0, 2, 10)
    seven = rows_of(book["Seven areas"])
    assert len(seven) == 1 + 7 * 4  # the trend of each of the seven areas: three earlier months and this one
    assert seven[4] == ("trend", "Narrative / history", "2023-11", 1, 11, 6, 1, 19)
    matrix = rows_of(book["Moderation matrix"])
    assert matrix[2] == ("Good", 0, 2, 1, 0, 3)


def test_the_workbooks_moderation_figures_carry_the_outcome_pages_labels():
    book = workbook_of(outputs.draft_content(sample_figures()))

    values = {row[0]: row[1] for row in rows_of(book["Moderation"])[1:]}
    assert values["Audits moderated (compared)"] == sample_figures()["moderation"]["moderated"]
    assert values["Moderated up (a better grade than the auditor's)"] is not None
    for figure in moderation_tables.FIGURES:
        assert (f"{figure.label} (%)" if figure.percentage else figure.label) in values
    assert values["What kappa says"] == "Moderate agreement beyond chance."


def test_the_workbook_neutralises_text_a_spreadsheet_would_run_as_a_formula():
    figures = sample_figures()
    figures["by_theme"][0]["theme"] = '=HYPERLINK("http://evil.example","x")'
    figures["themes"][0]["name"] = "+cmd"

    book = workbook_of(outputs.draft_content(figures))

    assert book["By theme"]["A2"].value == '\'=HYPERLINK("http://evil.example","x")'
    assert book["By theme"]["A2"].data_type == "s"
    assert book["Practice themes"]["A2"].value == "'+cmd"


# -- JSON ---------------------------------------------------------------------------------------


PORTAL = "https://quality.council.example"


def theme_link(theme_id: int, start: str = "2023-11-01", end: str = "2023-11-30") -> str:
    return f"{PORTAL}/audits/area/?practice_theme={theme_id}&completed_from={start}&completed_to={end}"


def with_theme_links(figures: dict) -> dict:
    """The figures as the files show them: each theme count with its link to the audit list, and the
    exemplars and highlight candidates with no audit id."""
    return {
        **figures,
        "themes": [{**t, "audits_url": theme_link(t["theme_id"])} for t in figures["themes"]],
        **{
            rows: [{k: v for k, v in row.items() if k != "audit_id"} for row in figures[rows]]
            for rows in ("exemplars", "highlight_candidates")
            if rows in figures
        },
    }


@pytest.fixture
def portal(settings):
    settings.PORTAL_URL = PORTAL + "/"  # a trailing slash is not doubled


def test_the_json_of_a_draft_built_from_the_command_is_the_figures_with_each_theme_linked(portal):
    figures = sample_figures()

    data = json.loads(outputs.render(outputs.draft_content(figures), "json"))

    assert data == with_theme_links(figures)
    assert data["themes"][1]["audits_url"] == (
        "https://quality.council.example/audits/area/?practice_theme=2&completed_from=2023-11-01&completed_to=2023-11-30"
    )


def test_the_workbook_links_each_theme_count_to_the_audit_list(portal):
    book = workbook_of(outputs.draft_content(sample_figures()))

    rows = rows_of(book["Practice themes"])
    assert rows[0] == (
        "Theme",
        "Audits this period",
        "Audits previous period",
        "Change",
        "The audits this period (portal)",
    )
    assert rows[1:] == [(f"Practice theme {n:03}", 7, 4, 3, theme_link(n + 1)) for n in range(3)]
    assert book["Practice themes"]["E3"].hyperlink.target == theme_link(2)


def inflated_streams(pdf: bytes) -> list[bytes]:
    """The PDF's Flate-compressed streams, inflated (others, such as images, left out)."""
    inflated = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            inflated.append(zlib.decompressobj().decompress(stream))
        except zlib.error:
            continue
    return inflated


def test_the_pdf_links_each_theme_count_to_the_audit_list(portal):
    pdf = outputs.render(outputs.draft_content(sample_figures()), "pdf", made_at=MADE_AT)

    # WeasyPrint writes each link as a URI annotation, inside the PDF's compressed object streams.
    links = re.findall(rb"/URI \((.*?)\)", b"".join(inflated_streams(pdf)))
    assert [link.decode() for link in links] == [theme_link(theme_id) for theme_id in (1, 2, 3)]


# -- a saved report -----------------------------------------------------------------------------


@pytest.fixture
def saved_report(db, make_person):
    """A published November 2023 report over SWF and PTC, with one picked highlight per area."""
    from tests.factories import ServiceAreaFactory

    areas = {code: ServiceAreaFactory(code=code, name=AREA_NAMES[code]) for code in ("SWF", "PTC")}
    qa_lead = make_person(Role.QA_LEAD, full_name="Quinn Lead")
    report = Report.objects.create(
        kind="monthly",
        period="2023-11",
        period_start="2023-11-01",
        period_end="2023-11-30",
        state=Report.State.PUBLISHED,
        figures=sample_figures(areas={code: AREA_NAMES[code] for code in areas}),
        data_taken_at=datetime(2023, 12, 9, 5, 0, tzinfo=UTC),
        summary="Practice is steady.",
        analysis="Chronologies improved in SWF.",
        next_steps="Focus on plans with dates.",
        published_by=qa_lead,
        published_at=datetime(2023, 12, 11, 10, 0, tzinfo=UTC),
    )
    for code, kind, text in (
        ("SWF", Highlight.Kind.GOOD_PRACTICE, "SWF chronologies were thorough."),
        ("PTC", Highlight.Kind.IMPROVEMENT, "PTC plans lack dates."),
    ):
        Highlight.objects.create(
            report=report, service_area=areas[code], kind=kind, source_text=text, text=text, included=True
        )
    Highlight.objects.create(
        report=report,
        service_area=areas["SWF"],
        kind=Highlight.Kind.GOOD_PRACTICE,
        source_text="Not picked.",
        text="Not picked.",
        included=False,
    )
    ImprovementPoint.objects.create(report=report, text="Every plan has dates and owners.")
    return report


def test_a_saved_reports_pdf_has_its_narrative_picked_highlights_and_improvement_points(saved_report):
    content = outputs.report_content(saved_report)
    text = squash(pdf_text(outputs.render(content, "pdf", made_at=MADE_AT)))

    assert "Published 11 December 2023 by Quinn Lead" in text
    assert "Practice is steady." in text
    assert "Chronologies improved in SWF." in text
    assert "Focus on plans with dates." in text
    assert "SWF chronologies were thorough." in text
    assert "PTC plans lack dates." in text
    assert "Not picked." not in text
    assert "Every plan has dates and owners." in text


def test_a_service_leads_copy_has_only_their_own_areas_sections(saved_report, make_person):
    swf = saved_report.highlights.get(text__startswith="SWF").service_area
    lead = make_person(Role.SERVICE_LEAD, swf, full_name="Sam Lead")

    content = outputs.report_content(saved_report, user=lead.user)
    text = squash(pdf_text(outputs.render(content, "pdf", made_at=MADE_AT)))
    book = workbook_of(content)

    assert "Social Work with Families (SWF)" in text
    assert "Pathways Through Care (PTC)" not in text
    assert "PTC plans lack dates." not in text
    assert "C654321" not in text  # the PTC exemplar
    assert "The sections by service area show only SWF" in text
    # The counts over all areas are the whole report's.
    assert "Audits completed 22 12 +10" in text
    assert [row[0] for row in rows_of(book["By service area"])[1:]] == ["SWF"]
    assert [row[0] for row in rows_of(book["Highlights"])[1:]] == ["SWF"]
    assert outputs.fingerprint(content) != outputs.fingerprint(outputs.report_content(saved_report))


def test_a_saved_reports_json_is_its_figures_plus_the_narrative(saved_report, portal):
    data = json.loads(outputs.render(outputs.report_content(saved_report), "json"))

    assert {key: value for key, value in data.items() if key != "report"} == with_theme_links(saved_report.figures)
    assert data["report"]["summary"] == "Practice is steady."
    assert data["report"]["state"] == "published"
    assert [h["text"] for h in data["report"]["highlights"]] == [
        "PTC plans lack dates.",
        "SWF chronologies were thorough.",
    ]


def test_a_saved_reports_workbook_adds_the_narrative_highlights_and_points(saved_report):
    book = workbook_of(outputs.report_content(saved_report))

    assert {"Narrative", "Highlights", "Improvement points"} <= set(book.sheetnames)
    assert rows_of(book["Narrative"])[1] == ("Summary", "Practice is steady.")
    assert ("this report", "Every plan has dates and owners.", None, None) in rows_of(book["Improvement points"])


def test_a_published_reports_content_does_not_change_when_it_is_superseded(saved_report):
    before = outputs.fingerprint(outputs.report_content(saved_report))
    saved_report.state = Report.State.SUPERSEDED
    saved_report.save()

    assert outputs.fingerprint(outputs.report_content(saved_report)) == before


def test_a_drafts_content_changes_with_its_narrative(saved_report):
    saved_report.state = Report.State.DRAFT
    saved_report.save()
    before = outputs.fingerprint(outputs.report_content(saved_report))
    saved_report.analysis = "Rewritten."
    saved_report.save()

    assert outputs.fingerprint(outputs.report_content(saved_report)) != before


# -- the charts ---------------------------------------------------------------------------------


def test_a_trend_chart_is_an_image_named_with_every_number():
    area = sample_figures()["areas_of_analysis"][0]

    svg = str(charts.area_trend(area, chart_id="trend-narrative"))

    assert svg.startswith("<svg")
    assert 'role="img"' in svg and 'aria-labelledby="trend-narrative-title trend-narrative-desc"' in svg
    assert "Narrative / history: grades by period" in svg
    assert "2023-11: Outstanding 1, Good 11, Requires Improvement 6, Inadequate 1" in svg
    assert "style=" not in svg  # the CSP forbids inline style


def test_a_period_with_no_graded_audits_is_drawn_as_an_empty_bar():
    svg = str(charts.stacked_grades([("2023-10", counts(0, 0, 0, 0))], chart_id="x", title="Empty"))

    assert "2023-10: no graded audits" in svg
    assert ">none</text>" in svg


def test_the_before_and_after_chart_is_moderations_own_chart():
    svg = str(charts.grades_before_after(counts(3, 10, 8, 1), counts(2, 9, 10, 1), chart_id="g"))

    assert "Good: 10 by the auditors, 9 after moderation" in svg


def test_a_corrections_cover_names_the_report_it_corrects_and_what_changed(saved_report):
    correction = Report.objects.create(
        kind="monthly",
        period="2023-11",
        period_start="2023-11-01",
        period_end="2023-11-30",
        state=Report.State.DRAFT,
        figures=saved_report.figures,
        data_taken_at=datetime(2023, 12, 20, 9, 0, tzinfo=UTC),
        supersedes=saved_report,
        correction_reason="Two PTC audits were counted twice.",
    )

    text = squash(pdf_text(outputs.render(outputs.report_content(correction), "pdf", made_at=MADE_AT)))

    assert "Draft: not published." in text
    assert "Corrects The report published 11 December 2023. What changed: Two PTC audits were counted twice." in text
