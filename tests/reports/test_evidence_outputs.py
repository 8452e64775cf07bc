"""The other evidence in a report (figures["evidence"]: observations of practice, voices of children and
families, Supporting Families benchmarking, complaints and compliments) on the report page, in the PDF
and in the workbook: each source's section with its numbers, a suppressed count of people in words and
never as a number, small-sample marks, a service lead's own areas' rows only, and reports made before
the evidence was counted still shown whole."""

from __future__ import annotations

import copy
import re
from html import unescape

import pytest

from quality.reports import outputs, selectors, tables
from quality.reports.models import Report
from tests.pdf_structure import accessibility

from .test_outputs import MADE_AT, pdf_text, rows_of, sample_figures, squash, workbook_of
from .test_tables import published

# The reports are of November 2023, published in December: pages read them under the suite's clock.
pytestmark = pytest.mark.usefixtures("frozen_today")

SECTION_TITLES = (
    "Observations of practice",
    "Voices of children and families",
    "Supporting Families benchmarking",
    "Complaints and compliments",
)
EVIDENCE_SHEETS = [
    "Observations recorded",
    "Observations by kind",
    "Observation coverage",
    "Observation themes",
    "Voices in surveys and audits",
    "Surveys",
    "Survey themes",
    "Benchmarking forms",
    "Benchmarking concerns",
    "Complaints and compliments",
    "Complaint themes",
    "Complaint outcomes",
]


def sample_evidence() -> dict:
    """Evidence in the shape of the figures' contract (docs: EVIDENCE_SHAPE), over SWF and PTC. The
    Spring survey had 1 to 4 responses (stored as null); PTC has 10 practitioners, a small sample."""
    return {
        "observations": {
            "recorded": 12,
            "in_practice_week": 5,
            "by_kind": [
                {"kind": "direct_work", "label": "1:1 work with a child", "count": 4},
                {"kind": "supervision", "label": "Supervision", "count": 8},
            ],
            "action_items": {"set": 10, "done": 6, "overdue": 2},
            "coverage": {
                "as_of": "2023-11-30",
                "practitioners": 40,
                "observed": 30,
                "due": 4,
                "overdue": 6,
                "observed_pct": 75.0,
            },
            "by_service_area": [
                {
                    "code": "PTC",
                    "name": "Pathways Through Care",
                    "recorded": 3,
                    "practitioners": 10,
                    "observed": 7,
                    "due": 1,
                    "overdue": 2,
                    "observed_pct": 70.0,
                },
                {
                    "code": "SWF",
                    "name": "Social Work with Families",
                    "recorded": 9,
                    "practitioners": 30,
                    "observed": 23,
                    "due": 3,
                    "overdue": 4,
                    "observed_pct": 76.7,
                },
            ],
            "themes": [{"theme_id": 1, "name": "Chronology", "count": 3, "visits": 1}],
        },
        "voices": {
            "smallest_group": 5,
            "responses": 23,
            "surveys": [
                {
                    "survey_id": 3,
                    "title": "Autumn 2023 survey of parents",
                    "audience": "parents",
                    "audience_label": "Parents and carers",
                    "opens_on": "2023-10-01",
                    "closes_on": "2023-11-15",
                    "links_sent": 40,
                    "responses": 23,
                    "rate_pct": 57.5,
                },
                {
                    "survey_id": 4,
                    "title": "Spring 2023 survey of young people",
                    "audience": "young_people",
                    "audience_label": "Young people",
                    "opens_on": "2023-11-01",
                    "closes_on": "2023-12-15",
                    "links_sent": 12,
                    "responses": None,
                    "rate_pct": None,
                },
                {
                    "survey_id": 5,
                    "title": "Care leavers' survey",
                    "audience": "care_leavers",
                    "audience_label": "Care leavers",
                    "opens_on": "2023-11-01",
                    "closes_on": "2023-11-30",
                    "links_sent": 15,
                    "responses": 6,
                    "rate_pct": 40.0,
                },
            ],
            "themes": [
                {"theme_id": 1, "name": "Chronology", "count": None},
                {"theme_id": 2, "name": "Planning", "count": 7},
            ],
            "audits_with_views": 17,
            "audits_completed": 40,
            "audits_with_views_pct": 42.5,
        },
        "benchmarking": {
            "forms": 147,
            "three_or_more": 74,
            "one_or_two": 59,
            "none": 14,
            "concerns": [
                {
                    "concern": "education",
                    "label": "Getting a good education",
                    "identified_at_start": 30,
                    "identified_at_end": 12,
                    "positive_outcomes": 20,
                },
            ],
            "by_service_area": [
                {
                    "code": "PTC",
                    "name": "Pathways Through Care",
                    "forms": 47,
                    "three_or_more": 24,
                    "one_or_two": 19,
                    "none": 4,
                },
                {
                    "code": "SWF",
                    "name": "Social Work with Families",
                    "forms": 100,
                    "three_or_more": 50,
                    "one_or_two": 40,
                    "none": 10,
                },
            ],
        },
        "complaints": {
            "complaints": 8,
            "compliments": 5,
            "themes": [{"theme": "communication", "label": "Communication", "complaints": 3, "compliments": 1}],
            "outcomes": [{"outcome": "upheld", "label": "Upheld", "count": 2}],
            "by_service_area": [
                {"code": "PTC", "name": "Pathways Through Care", "complaints": 5, "compliments": 3},
                {"code": "SWF", "name": "Social Work with Families", "complaints": 3, "compliments": 2},
            ],
        },
    }


def with_evidence(figures: dict | None = None) -> dict:
    figures = figures or sample_figures(areas={"SWF": "Social Work with Families", "PTC": "Pathways Through Care"})
    return {**figures, "evidence": sample_evidence()}


def page_of(client, person, report: Report) -> str:
    client.force_login(person.user)
    response = client.get(report.get_absolute_url())
    assert response.status_code == 200
    return unescape(response.content.decode())


def row_html(page: str, table: str, row: str) -> str:
    """The cells of one row of one evidence table on the page (its `data-section` and `data-figure`)."""
    section = re.search(rf'data-section="{table}">(.*?)</table>', page, re.S).group(1)
    return re.search(rf'data-figure="{row}">(.*?)</tr>', section, re.S).group(1)


def cells_of(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


# -- the tables ---------------------------------------------------------------------------------


def test_the_evidence_tables_are_built_once_by_source_and_by_key():
    built = tables.report_tables(with_evidence())

    assert [section.title for section in built["evidence_sections"]] == list(SECTION_TITLES)
    assert [table.title for section in built["evidence_sections"] for table in section.tables] == EVIDENCE_SHEETS
    for section in built["evidence_sections"]:
        for table in section.tables:
            assert built[table.key] is table
    assert built["voices_surveys"].rows[1].cells[1] == tables.Cell(None, suppressed=True)
    assert built["voices_surveys"].rows[1].cells[2] == tables.Cell(None, True, False)  # no rate to mark


def test_a_report_without_evidence_or_with_only_some_sources_shows_only_what_it_has():
    assert tables.report_tables(sample_figures())["evidence_sections"] == ()
    assert "observations" not in tables.report_tables(sample_figures())

    figures = {**sample_figures(), "evidence": {"complaints": sample_evidence()["complaints"]}}

    assert [section.key for section in tables.evidence_sections(figures)] == ["complaints"]


def test_a_percentage_is_marked_small_when_its_base_is_under_the_threshold():
    built = tables.report_tables(with_evidence())
    coverage = {row.key: row for row in built["observation_coverage"].rows}
    surveys = built["voices_surveys"].rows

    assert coverage["PTC"].cells[-1] == tables.Cell(70.0, True, True)  # 10 practitioners
    assert coverage["SWF"].cells[-1] == tables.Cell(76.7, True, False)  # 30
    assert built["observation_coverage"].totals.cells[-1] == tables.Cell(75.0, True, False)  # 40
    assert [row.cells[2].small for row in surveys] == [False, False, True]  # 40, 12 (no rate), 15 links
    assert not any(cell.small for row in built["voices"].rows for cell in row.cells)  # 40 audits


# -- the report page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_a_section_per_source_with_its_numbers(client, qa_lead):
    page = page_of(client, qa_lead, published(with_evidence()))

    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    first = headings.index(SECTION_TITLES[0])
    assert headings[first : first + 4] == list(SECTION_TITLES)
    assert first > headings.index("Moderation")  # after the audits' sections
    assert "Observations of practice with an observation date in the period" in page
    assert "practitioners in teams on 30 November 2023" in page
    assert cells_of(row_html(page, "observations", "recorded")) == ["12"]
    assert cells_of(row_html(page, "observations", "items_overdue")) == ["2"]
    assert cells_of(row_html(page, "observation_kinds", "supervision")) == ["8"]
    assert '<th scope="row">SWF: Social Work with Families</th>' in row_html(page, "observation_coverage", "SWF")
    assert cells_of(row_html(page, "observation_coverage", "total")) == ["12", "40", "30", "4", "6", "75.0%"]
    assert cells_of(row_html(page, "benchmarking", "total")) == ["147", "74", "59", "14"]
    assert cells_of(row_html(page, "benchmarking_concerns", "education")) == ["30", "12", "20"]
    assert cells_of(row_html(page, "complaints", "total")) == ["8", "5"]
    assert cells_of(row_html(page, "complaint_outcomes", "upheld")) == ["2"]
    assert "(Parents and carers, open 1 October 2023 to 15 November 2023)" in row_html(page, "voices_surveys", "3")
    assert cells_of(row_html(page, "voices_surveys", "3")) == ["40", "23", "57.5%"]
    assert '<caption>Observation coverage</caption>\n  <thead><tr><th scope="col">Service area</th>' in page


@pytest.mark.django_db
def test_a_suppressed_count_of_people_reads_fewer_than_5_on_the_page(client, qa_lead):
    page = page_of(client, qa_lead, published(with_evidence()))

    spring = row_html(page, "voices_surveys", "4")
    assert cells_of(spring) == ["12", "fewer than 5", "Not available"]
    assert cells_of(row_html(page, "voice_themes", "1")) == ["fewer than 5"]
    assert cells_of(row_html(page, "voice_themes", "2")) == ["7"]
    assert "None" not in spring and "–" not in spring


@pytest.mark.django_db
def test_a_small_sample_percentage_carries_the_badge_on_the_page(client, qa_lead):
    page = page_of(client, qa_lead, published(with_evidence()))
    badge = '<span class="badge text-bg-warning">small sample</span>'

    assert cells_of(row_html(page, "observation_coverage", "PTC"))[-1] == f"70.0% {badge}"
    assert cells_of(row_html(page, "observation_coverage", "SWF"))[-1] == "76.7%"
    assert cells_of(row_html(page, "voices_surveys", "5"))[-1] == f"40.0% {badge}"
    assert "A percentage resting on fewer than 20 practitioners is a small sample" in page


@pytest.mark.django_db
def test_a_report_made_before_the_evidence_was_counted_still_shows_whole(client, qa_lead):
    report = published(sample_figures())

    page = page_of(client, qa_lead, report)
    content = outputs.report_content(report)
    text = squash(pdf_text(outputs.render(content, "pdf", made_at=MADE_AT)))
    book = workbook_of(content)

    assert "Headline figures" in page and "Moderation" in page
    assert "Headline figures" in text and "About these figures" in text
    assert "Moderation matrix" in book.sheetnames
    assert "data-evidence" not in page and 'id="evidence-' not in page
    for title in SECTION_TITLES:
        assert f">{title}</h2>" not in page and title not in text
    assert not set(EVIDENCE_SHEETS) & set(book.sheetnames)


@pytest.mark.django_db
def test_a_service_lead_sees_the_totals_and_only_their_own_areas_rows(client, service_lead):
    report = published(with_evidence())

    page = page_of(client, service_lead, report)
    content = outputs.report_content(report, user=service_lead.user)
    book = workbook_of(content)
    text = squash(pdf_text(outputs.render(content, "pdf", made_at=MADE_AT)))

    for table in ("observation_coverage", "benchmarking", "complaints"):
        section = re.search(rf'data-section="{table}">(.*?)</table>', page, re.S).group(1)
        assert "SWF: Social Work with Families" in section
        assert "PTC" not in section
        assert [row[0] for row in rows_of(book[tables.report_tables(content["figures"])[table].title])[1:]] == [
            "SWF",
            None,
        ]
    assert cells_of(row_html(page, "complaints", "total")) == ["8", "5"]  # over every area
    assert "Social Work with Families (SWF) 3 2" in text
    assert "Pathways Through Care (PTC)" not in text


@pytest.mark.django_db
def test_figures_for_narrows_new_dicts_and_leaves_the_stored_figures_alone(service_lead):
    report = published(with_evidence())
    stored = copy.deepcopy(report.figures)

    scoped = selectors.figures_for(service_lead.user, report)

    assert report.figures == stored
    for source in ("observations", "benchmarking", "complaints"):
        assert [row["code"] for row in scoped["evidence"][source]["by_service_area"]] == ["SWF"]
        assert scoped["evidence"][source] is not report.figures["evidence"][source]
    assert scoped["evidence"]["voices"] == stored["evidence"]["voices"]
    assert scoped["evidence"]["complaints"]["complaints"] == 8  # the totals over every area


@pytest.mark.django_db
def test_figures_for_someone_who_sees_every_area_keeps_every_row(qa_lead):
    report = published(with_evidence())

    scoped = selectors.figures_for(qa_lead.user, report)

    assert scoped["evidence"] == report.figures["evidence"]


# -- the PDF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evidence_pdf() -> bytes:
    return outputs.render(outputs.draft_content(with_evidence()), "pdf", made_at=MADE_AT)


def test_the_pdf_has_a_chapter_per_source_in_its_contents_with_the_numbers(evidence_pdf):
    text = squash(pdf_text(evidence_pdf))
    contents = pdf_text(evidence_pdf).split("\f")[1]

    for title in SECTION_TITLES:
        assert re.search(rf"{title}[ .]+\d+", contents), contents
    assert "Observations recorded 12" in text
    assert "All service areas 12 40 30 4 6 75.0%" in text
    assert "Pathways Through Care (PTC) 3 10 7 1 2 70.0% †" in text
    assert "Autumn 2023 survey of parents" in text and "40 23 57.5%" in text
    assert "12 fewer than 5 –" in text
    assert "Chronology fewer than 5" in text
    assert "All service areas 147 74 59 14" in text
    assert "Getting a good education 30 12 20" in text
    assert "Communication 3 1" in text and "Upheld 2" in text
    assert "† A percentage resting on fewer than 20 practitioners is a small sample" in text


def test_the_pdfs_evidence_is_tagged_with_headings_tables_headers_and_captions(evidence_pdf):
    with_evidence_tags = accessibility(evidence_pdf)
    without = accessibility(outputs.render(outputs.draft_content(sample_figures()), "pdf", made_at=MADE_AT))

    assert with_evidence_tags.roles["H2"] == without.roles["H2"] + 4
    assert with_evidence_tags.roles["Table"] == without.roles["Table"] + 12
    assert with_evidence_tags.roles["Caption"] == without.roles["Caption"] + 12
    assert with_evidence_tags.roles["TH"] > without.roles["TH"] + 50


# -- the workbook -------------------------------------------------------------------------------


def test_the_workbook_has_a_sheet_per_evidence_table_after_moderation():
    book = workbook_of(outputs.draft_content(with_evidence()))

    after_moderation = book.sheetnames[book.sheetnames.index("Moderation matrix") + 1 :]
    assert after_moderation == EVIDENCE_SHEETS
    for title in EVIDENCE_SHEETS:
        assert book[title].freeze_panes == "A2" and book[title]["A1"].font.b, title


def test_the_workbook_writes_suppressed_counts_in_words_and_marks_small_samples():
    book = workbook_of(outputs.draft_content(with_evidence()))

    surveys = rows_of(book["Surveys"])
    assert surveys[0] == ("Survey", "Links sent", "Responses", "Response rate (%)", "Note", "Small sample?")
    assert surveys[1] == (
        "Autumn 2023 survey of parents",
        40,
        23,
        57.5,
        "Parents and carers, open 1 October 2023 to 15 November 2023",
        "No",
    )
    assert surveys[2][1:4] == (12, "fewer than 5", None)
    assert surveys[3][3:] == (40.0, "Care leavers, open 1 November 2023 to 30 November 2023", "Yes")
    assert rows_of(book["Survey themes"])[1:] == [("Chronology", "fewer than 5"), ("Planning", 7)]
    voices = {row[0]: row[1:] for row in rows_of(book["Voices in surveys and audits"])[1:]}
    assert voices["Survey responses submitted"] == (23, "No")
    assert voices["Audits recording what the child or family said (%)"] == (42.5, "No")
    coverage = rows_of(book["Observation coverage"])
    assert coverage[0] == (
        "Code",
        "Service area",
        "Observations recorded",
        "Practitioners",
        "Observed",
        "Due",
        "Overdue",
        "Observed (%)",
        "Small sample?",
    )
    assert coverage[1:] == [
        ("PTC", "Pathways Through Care", 3, 10, 7, 1, 2, 70.0, "Yes"),
        ("SWF", "Social Work with Families", 9, 30, 23, 3, 4, 76.7, "No"),
        (None, "All service areas", 12, 40, 30, 4, 6, 75.0, "No"),
    ]
    assert book["Observation coverage"]["H2"].number_format == "0.0"
    assert rows_of(book["Complaints and compliments"])[-1] == (None, "All service areas", 8, 5)
    assert rows_of(book["Benchmarking concerns"])[1] == ("Getting a good education", 30, 12, 20)
