"""The self-evaluation as files (quality/evaluation/outputs.py), from a content dict built by hand: no
database. The PDF is read back with pdftotext and checked for its tags (tests/pdf_structure.py); the
Word file is opened with python-docx. Both show the questions, the sections, the statements (as text,
never markup), each statement's evidence references and the evidence appendix with every citation's
value, period, source, the day it was taken and its link."""

from __future__ import annotations

import copy
import io
import re
import subprocess
from datetime import UTC, datetime

import pytest
from docx import Document

from quality.evaluation import outputs
from tests.pdf_structure import accessibility

MADE_AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
QUESTIONS = (
    "What do we know about the quality and impact of our practice?",
    "How do we know it?",
    "What are we doing to improve?",
)
LINK = "http://127.0.0.1:8000/evaluation/areas/3/?kind=annual&period=2026"
CHART_ROWS = [
    ["Period", "Good or better before", "after"],
    ["2025", "70%", "66%"],
    ["2026", "72%", "68%"],
]
MARKUP = "Plans were <b>x</b> weak <script>alert(1)</script> in places."


def sample_content() -> dict:
    return {
        "title": "Self-evaluation of social work practice, 2026",
        "year": 2026,
        "state": "published",
        "state_label": "Published",
        "signed_off_by": "Sam Senior",
        "signed_off_on": "2027-01-20",
        "published_on": "2027-01-21",
        "chapters": [
            {
                "number": 1,
                "question": QUESTIONS[0],
                "sections": [
                    {
                        "heading": "Assessment",
                        "kind_label": "Service area",
                        "statements": [
                            {
                                "number": "1.1.1",
                                "text": "Most assessments are timely.\nVisits happen within a week.\n\n"
                                "Children's views are recorded in most of them.",
                                "refs": ["E1", "E2"],
                            },
                        ],
                    },
                    {
                        "heading": "Voice of the child",
                        "kind_label": "Priority area",
                        "statements": [{"number": "1.2.1", "text": MARKUP, "refs": ["E3"]}],
                    },
                ],
            },
            {
                "number": 2,
                "question": QUESTIONS[1],
                "sections": [
                    {
                        "heading": "Pathways Through Care",
                        "kind_label": "Service area",
                        "statements": [
                            {"number": "2.1.1", "text": "Audits moderated every month.", "refs": ["E4", "E1"]},
                            {"number": "2.1.2", "text": "Nothing cited here.", "refs": []},
                        ],
                    },
                ],
            },
            {"number": 3, "question": QUESTIONS[2], "sections": []},
        ],
        "evidence": [
            {
                "ref": "E1",
                "kind_label": "Figure",
                "label": "Audits graded good or outstanding after moderation, Assessment",
                "value": "82% (41 of 50)",
                "period": "2026",
                "source": "Triangulation of Assessment",
                "link": LINK,
                "taken_on": "2026-12-04",
                "rows": [],
                "previous": {"value": "75% (30 of 40)", "period": "2025"},
            },
            {
                "ref": "E2",
                "kind_label": "Chart",
                "label": "Good or better before and after moderation, Assessment",
                "value": "72% before, 68% after in 2026",
                "period": "2025 to 2026",
                "source": "Triangulation of Assessment",
                "link": "http://127.0.0.1:8000/evaluation/areas/3/?kind=annual&period=2026#grades",
                "taken_on": "2026-12-04",
                "rows": CHART_ROWS,
                "previous": None,
            },
            {
                "ref": "E3",
                "kind_label": "Practice theme",
                "label": "Voice of the child recorded",
                "value": "Raised in 14 audits",
                "period": "2026 Q3",
                "source": "Triangulation of the practice theme",
                "link": "http://127.0.0.1:8000/evaluation/themes/7/?kind=quarterly&period=2026-Q3",
                "taken_on": "2026-11-30",
                "rows": [],
                "previous": None,
            },
            {
                "ref": "E4",
                "kind_label": "KPI month",
                "label": "Assessments completed within 45 working days",
                "value": "91% (Green)",
                "period": "November 2026",
                "source": "KPI scorecard",
                "link": "http://127.0.0.1:8000/performance/scorecard/?month=2026-11",
                "taken_on": "2026-12-01",
                "rows": [],
                "previous": None,
            },
        ],
    }


def empty_content() -> dict:
    content = sample_content()
    content |= {
        "state": "draft",
        "state_label": "Drafting",
        "signed_off_by": None,
        "signed_off_on": None,
        "published_on": None,
        "evidence": [],
    }
    for chapter in content["chapters"]:
        chapter["sections"] = []
    return content


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pdftotext reads it, runs of white space made one. In the order it was drawn
    (-raw): cell by cell, so the lines of one table cell are never mixed with the next cell's."""
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))


def unspaced(text: str) -> str:
    """Without any white space: an address broken across lines of a narrow cell reads whole again."""
    return re.sub(r"\s+", "", text)


def word(data: bytes):
    return Document(io.BytesIO(data))


def styled(document, style: str) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs if paragraph.style.name == style]


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return outputs.render(sample_content(), "pdf", made_at=MADE_AT)


@pytest.fixture(scope="module")
def docx() -> bytes:
    return outputs.render(sample_content(), "docx", made_at=MADE_AT)


# -- the PDF ------------------------------------------------------------------------------------


def test_the_pdf_shows_the_title_status_questions_sections_and_statements(pdf):
    text = pdf_text(pdf)

    assert pdf.startswith(b"%PDF-")
    assert "Self-evaluation of social work practice, 2026" in text
    assert "Published on 21 January 2027. Signed off by Sam Senior on 20 January 2027." in text
    assert "This file made 4 December 2026" in text
    for number, question in enumerate(QUESTIONS, start=1):
        assert f"{number}. {question}" in text
    assert "Service area: Assessment" in text
    assert "Priority area: Voice of the child" in text
    assert "Service area: Pathways Through Care" in text
    assert "1.1.1 Most assessments are timely. Visits happen within a week." in text
    assert "Children's views are recorded in most of them." in text
    assert "Evidence: E1, E2" in text
    assert "Evidence: E4, E1" in text
    assert outputs.NONE_CITED in text
    # The third question has no statements yet, and says so.
    assert text.count(outputs.NOTHING_WRITTEN) == 1


def test_the_pdf_appendix_has_every_citations_ref_label_value_period_source_date_and_link(pdf):
    appendix = pdf_text(pdf).split(outputs.APPENDIX_HEADING)[-1]  # after the contents' entry too

    for column in outputs.APPENDIX_COLUMNS:
        assert column in appendix
    for citation in sample_content()["evidence"]:
        assert re.search(rf"\b{citation['ref']}\b", appendix)
        for field in ("label", "value", "period", "source", "kind_label"):
            assert citation[field] in appendix, (citation["ref"], field)
        assert unspaced(citation["link"]) in unspaced(appendix)
    assert "4 December 2026" in appendix and "30 November 2026" in appendix and "1 December 2026" in appendix
    assert "Last year: 75% (30 of 40) in 2025" in appendix


def test_the_pdf_shows_a_chart_citations_rows_as_a_table(pdf):
    appendix = pdf_text(pdf).split(outputs.APPENDIX_HEADING)[-1]

    assert "E2: Good or better before and after moderation, Assessment" in appendix
    assert "Period Good or better before after" in appendix
    assert "2025 70% 66%" in appendix and "2026 72% 68%" in appendix
    assert outputs.ROWS_BELOW in appendix


def test_the_pdf_is_tagged_with_its_language_title_headings_and_table_headers(pdf):
    tagged = accessibility(pdf)

    assert tagged.tagged and tagged.language == "en-GB"
    assert tagged.title == "Self-evaluation of social work practice, 2026" and tagged.title_shown
    assert tagged.roles["H1"] == 1
    assert tagged.roles["H2"] >= 5  # the contents, the three questions and the appendix
    assert tagged.roles["H3"] >= 4  # the three sections and the chart's rows
    # The appendix and the chart's rows: header cells for each column and each row.
    assert tagged.roles["Table"] == 2
    assert tagged.roles["TH"] >= len(outputs.APPENDIX_COLUMNS) + 4 + 3 + 2
    assert tagged.fonts_embedded


def test_the_pdf_is_a4_with_numbered_pages_after_the_cover(pdf):
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()

    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    first, *rest = text.split("\f")[:pages]
    assert "Page 1 of" not in first
    assert f"Page {pages} of {pages}" in rest[-1]


def test_a_statements_markup_is_printed_as_text_never_read_as_markup(pdf):
    html = outputs.pdf_html(sample_content(), made_at=MADE_AT)

    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html and "<script>" not in html
    assert MARKUP in pdf_text(pdf)


# -- Word ---------------------------------------------------------------------------------------


def test_the_word_file_has_the_title_status_headings_statements_and_references(docx):
    document = word(docx)
    texts = [paragraph.text for paragraph in document.paragraphs]

    assert styled(document, "Title") == ["Self-evaluation of social work practice, 2026"]
    assert "Published on 21 January 2027. Signed off by Sam Senior on 20 January 2027." in texts
    assert "This file was made on 4 December 2026." in texts
    assert styled(document, "Heading 1") == [
        *(f"{number}. {question}" for number, question in enumerate(QUESTIONS, start=1)),
        outputs.APPENDIX_HEADING,
    ]
    assert styled(document, "Heading 2") == [
        "Service area: Assessment",
        "Priority area: Voice of the child",
        "Service area: Pathways Through Care",
        "E2: Good or better before and after moderation, Assessment",
    ]
    # A blank line starts a paragraph; a single line break stays inside it.
    first = texts.index("1.1.1 Most assessments are timely.\nVisits happen within a week.")
    assert texts[first + 1 : first + 3] == ["Children's views are recorded in most of them.", "Evidence: E1, E2"]
    assert texts[texts.index("2.1.1 Audits moderated every month.") + 1] == "Evidence: E4, E1"
    assert texts[texts.index("2.1.2 Nothing cited here.") + 1] == outputs.NONE_CITED
    assert texts.count(outputs.NOTHING_WRITTEN) == 1
    # The heading of the third question is followed by its "nothing written" line.
    assert texts[texts.index(f"3. {QUESTIONS[2]}") + 1] == outputs.NOTHING_WRITTEN


def test_the_word_appendix_table_has_every_citation_with_its_link(docx):
    document = word(docx)
    appendix, chart = document.tables

    rows = table_rows(appendix)
    assert rows[0] == list(outputs.APPENDIX_COLUMNS)
    assert [row[0] for row in rows[1:]] == ["E1", "E2", "E3", "E4"]
    for row, citation in zip(rows[1:], sample_content()["evidence"], strict=True):
        ref, evidence, value, period, source, taken_on, link = row
        assert evidence == f"{citation['kind_label']}: {citation['label']}"
        assert value.split("\n")[0] == citation["value"]
        assert (period, source, link) == (citation["period"], citation["source"], citation["link"])
    assert [row[5] for row in rows[1:]] == ["4 December 2026", "4 December 2026", "30 November 2026", "1 December 2026"]
    assert rows[1][2] == "82% (41 of 50)\nLast year: 75% (30 of 40) in 2025"
    # Each address is a link Word opens.
    targets = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    assert targets == {citation["link"] for citation in sample_content()["evidence"]}
    assert table_rows(chart) == CHART_ROWS


def test_the_word_file_is_titled_in_british_english_and_the_appendix_is_landscape(docx):
    document = word(docx)

    assert document.core_properties.title == "Self-evaluation of social work practice, 2026"
    assert document.core_properties.language == "en-GB"
    assert document.core_properties.created == MADE_AT
    assert 'w:val="en-GB"' in document.styles.element.xml
    portrait, landscape = document.sections
    assert portrait.page_width < portrait.page_height and landscape.page_width > landscape.page_height


def test_a_statements_markup_is_plain_text_in_word(docx):
    document = word(docx)

    assert "1.2.1 " + MARKUP in [paragraph.text for paragraph in document.paragraphs]
    assert "&lt;script&gt;" in document.element.xml and "<script>" not in document.element.xml


# -- the same content, other shapes ---------------------------------------------------------------


def test_an_empty_document_still_renders_saying_nothing_has_been_written():
    content = empty_content()

    text = pdf_text(outputs.render(content, "pdf", made_at=MADE_AT))
    assert text.count(outputs.NOTHING_WRITTEN) == 3
    assert outputs.NO_EVIDENCE in text
    assert "Drafting: not published yet." in text and "Not signed off yet." in text

    document = word(outputs.render(content, "docx", made_at=MADE_AT))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert texts.count(outputs.NOTHING_WRITTEN) == 3
    assert outputs.NO_EVIDENCE in texts
    assert document.tables == []


def test_a_draft_in_review_says_who_has_it_and_that_it_may_change():
    content = empty_content() | {"state": "in_review", "state_label": "With heads of service for review"}

    assert outputs.status_line(content) == (
        "With heads of service for review: not published yet. The statements and the evidence may still change. "
        "Not signed off yet."
    )
    signed = content | {"signed_off_by": "Sam Senior", "signed_off_on": "2027-01-20"}
    assert outputs.status_line(signed).endswith("Signed off by Sam Senior on 20 January 2027.")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One.\n\nTwo.", ["One.", "Two."]),
        ("One.\r\n\r\nTwo.\nStill two.", ["One.", "Two.\nStill two."]),
        ("  One.\n \n\n\nTwo.  ", ["One.", "Two."]),
        ("", []),
        (None, []),
    ],
)
def test_a_statement_is_split_into_paragraphs_on_blank_lines(text, expected):
    assert outputs.paragraphs(text) == expected


def test_control_characters_pasted_into_a_statement_do_not_stop_either_file():
    content = copy.deepcopy(sample_content())
    content["chapters"][0]["sections"][0]["statements"][0]["text"] = "Pasted\x0b from\x00 elsewhere."

    document = word(outputs.render(content, "docx", made_at=MADE_AT))
    assert "1.1.1 Pasted from elsewhere." in [paragraph.text for paragraph in document.paragraphs]
    assert "1.1.1 Pasted from elsewhere." in pdf_text(outputs.render(content, "pdf", made_at=MADE_AT))


def test_a_link_that_is_not_a_web_address_is_shown_but_never_made_a_link():
    content = copy.deepcopy(sample_content())
    content["evidence"][0]["link"] = "javascript:alert(1)"

    assert 'href="javascript' not in outputs.pdf_html(content, made_at=MADE_AT)
    document = word(outputs.render(content, "docx", made_at=MADE_AT))
    assert table_rows(document.tables[0])[1][-1] == "javascript:alert(1)"
    assert "javascript:alert(1)" not in {rel.target_ref for rel in document.part.rels.values() if rel.is_external}


def test_only_pdf_and_word_are_made():
    assert outputs.CONTENT_TYPES == {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    with pytest.raises(ValueError, match="xlsx"):
        outputs.render(sample_content(), "xlsx", made_at=MADE_AT)
