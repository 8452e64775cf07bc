"""The self-evaluation as files: a tagged PDF (WeasyPrint, through quality/pdf.py) and a Word document
(python-docx), since councils edit and circulate it in Word (issue 19).

Both are made from one plain, JSON-native **content** dict and nothing else: no query, no network. It
holds the title, the year, the state and its sign-off, the three questions as chapters (each with the
sections that have statements, each statement with its text and the references of the evidence it
cites) and the evidence appendix in reference order (each citation a frozen snapshot: its value, period
and source, the day it was taken, a link back to the portal, a chart's rows, last year's value).

Statements are text people wrote, never markup: the PDF's template escapes everything (no |safe), and
Word gets them as runs of text. A blank line starts a new paragraph; a single line break stays one.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from quality.pdf import html_to_pdf
from quality.reports.outputs import date_in_words

# Bumped when the template or a builder changes what a file shows: files made before are then remade.
OUTPUT_VERSION = 1
PDF_TEMPLATE = "evaluation/self/pdf.html"
PRINT_STYLESHEET = "css/self-evaluation-print.css"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {"pdf": PDF_TYPE, "docx": DOCX_TYPE}
LANGUAGE = "en-GB"

ORGANISATION = "Children's social care: quality assurance"
NOTHING_WRITTEN = "Nothing has been written for this question yet."
NO_TEXT = "This statement has no text yet."
NO_EVIDENCE = "No evidence has been cited yet."
NONE_CITED = "Evidence: none cited."
APPENDIX_HEADING = "Evidence appendix"
APPENDIX_NOTE = (
    "Each citation is a snapshot taken on the day shown: the evidence as it stood then, whatever has changed "
    "since, with its period, its source and a link to that source in the portal."
)
APPENDIX_COLUMNS = ("Ref", "Evidence", "Value", "Period", "Source", "Taken on", "Link")
ROWS_BELOW = "Its figures are in a table below."
NOT_YET = "Not yet"

# Characters XML 1.0 cannot hold (a stray control character pasted into a statement): dropped, or Word
# (and python-docx) would refuse the whole file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


# -- small helpers, shared by both files --------------------------------------------------------


def _clean(value):
    """The content with every string made safe to write as XML (lists and dicts walked)."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def _text(value) -> str:
    return "" if value is None else str(value)


def paragraphs(text: str | None) -> list[str]:
    """A statement's paragraphs: split on blank lines; the line breaks inside a paragraph are kept."""
    text = _text(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    return [part.strip() for part in _BLANK_LINE.split(text) if part.strip()] if text else []


def made_on(made_at: datetime) -> str:
    """The day a file was made, in words, in the portal's time zone: "4 December 2026"."""
    moment = timezone.localtime(made_at) if timezone.is_aware(made_at) else made_at
    return date_in_words(moment.date())


def status_line(content: dict) -> str:
    """Where the document stands, in one sentence or two: published or not, and who signed it off."""
    published = content.get("state") == "published"
    if published:
        on = date_in_words(content.get("published_on"))
        parts = [f"Published on {on}." if on else "Published."]
    else:
        label = content.get("state_label") or "Draft"
        parts = [f"{label}: not published yet. The statements and the evidence may still change."]
    if content.get("signed_off_by"):
        on = date_in_words(content.get("signed_off_on"))
        parts.append(f"Signed off by {content['signed_off_by']}{f' on {on}' if on else ''}.")
    elif not published:
        parts.append("Not signed off yet.")
    return " ".join(parts)


def refs_line(refs: list[str]) -> str:
    """The references a statement cites: "Evidence: E1, E3"."""
    return f"Evidence: {', '.join(refs)}" if refs else NONE_CITED


def evidence_name(citation: dict) -> str:
    """What a citation is: "Figure: Audits graded good or outstanding after moderation, Assessment"."""
    kind, label = _text(citation.get("kind_label")), _text(citation.get("label"))
    return f"{kind}: {label}" if kind else label


def last_year(citation: dict) -> str:
    """Last year's value of a citation, when it has one: "Last year: 75% (30 of 40) in 2025"."""
    previous = citation.get("previous")
    if not previous:
        return ""
    period = _text(previous.get("period"))
    return f"Last year: {_text(previous.get('value'))}{f' in {period}' if period else ''}"


def section_heading(section: dict) -> str:
    """A section's heading: "Service area: Assessment", "Priority area: Voice of the child"."""
    kind, heading = _text(section.get("kind_label")), _text(section.get("heading"))
    return f"{kind}: {heading}" if kind else heading


def chapter_heading(chapter: dict) -> str:
    return f"{chapter['number']}. {chapter['question']}"


def _facts(content: dict, made_at: datetime) -> list[tuple[str, str]]:
    signed = _text(content.get("signed_off_by"))
    signed_on = date_in_words(content.get("signed_off_on"))
    return [
        ("Year", _text(content.get("year"))),
        ("Status", _text(content.get("state_label"))),
        ("Signed off", f"{signed}{f', {signed_on}' if signed_on else ''}" if signed else NOT_YET),
        ("Published", date_in_words(content.get("published_on")) or NOT_YET),
        ("This file made", made_on(made_at)),
    ]


def _shaped(content: dict, made_at: datetime) -> dict:
    """The content as both files walk it: headings, paragraphs and lines already worded."""
    evidence = content.get("evidence") or []
    anchors: dict[str, str] = {}
    for index, citation in enumerate(evidence, start=1):
        anchors.setdefault(_text(citation.get("ref")), f"evidence-{index}")
    chapters = [
        {
            "number": chapter.get("number"),
            "question": _text(chapter.get("question")),
            "heading": chapter_heading(chapter),
            "anchor": f"chapter-{index}",
            "sections": [
                {
                    "heading": section_heading(section),
                    "statements": [
                        {
                            "number": _text(statement.get("number")),
                            "paragraphs": paragraphs(statement.get("text")),
                            "refs": [
                                {"ref": _text(ref), "anchor": anchors.get(_text(ref))}
                                for ref in statement.get("refs") or []
                            ],
                            "refs_line": refs_line([_text(ref) for ref in statement.get("refs") or []]),
                        }
                        for statement in section.get("statements") or []
                    ],
                }
                for section in chapter.get("sections") or []
            ],
        }
        for index, chapter in enumerate(content.get("chapters") or [], start=1)
    ]
    citations = [
        {
            "ref": _text(citation.get("ref")),
            "anchor": f"evidence-{index}",
            "rows_anchor": f"evidence-{index}-rows",
            "kind_label": _text(citation.get("kind_label")),
            "label": _text(citation.get("label")),
            "name": evidence_name(citation),
            "value": _text(citation.get("value")),
            "last_year": last_year(citation),
            "period": _text(citation.get("period")),
            "source": _text(citation.get("source")),
            "link": _text(citation.get("link")),
            "linked": _text(citation.get("link")).startswith(("https://", "http://")),
            "taken_on": date_in_words(citation.get("taken_on")),
            "header": [_text(cell) for cell in (citation.get("rows") or [[]])[0]],
            "rows": [[_text(cell) for cell in row] for row in (citation.get("rows") or [])[1:]],
        }
        for index, citation in enumerate(evidence, start=1)
    ]
    return {
        "title": _text(content.get("title")),
        "year": content.get("year"),
        "state": content.get("state"),
        "status": status_line(content),
        "facts": _facts(content, made_at),
        "made_on": made_on(made_at),
        "chapters": chapters,
        "evidence": citations,
        "charts": [citation for citation in citations if citation["header"]],
    }


# -- PDF ------------------------------------------------------------------------------------------


def pdf_html(content: dict, *, made_at: datetime) -> str:
    """The PDF's HTML (templates/evaluation/self/pdf.html), everything in it escaped."""
    return render_to_string(
        PDF_TEMPLATE,
        {
            **_shaped(_clean(content), made_at),
            "organisation": ORGANISATION,
            "nothing_written": NOTHING_WRITTEN,
            "no_text": NO_TEXT,
            "no_evidence": NO_EVIDENCE,
            "appendix_heading": APPENDIX_HEADING,
            "appendix_note": APPENDIX_NOTE,
            "columns": APPENDIX_COLUMNS,
            "rows_below": ROWS_BELOW,
        },
    )


def pdf_bytes(content: dict, *, made_at: datetime) -> bytes:
    """The self-evaluation as a tagged A4 PDF: a cover with its status and contents, a chapter per
    question, numbered pages and the evidence appendix (on landscape pages, for its seven columns)."""
    return html_to_pdf(pdf_html(content, made_at=made_at), stylesheet=PRINT_STYLESHEET)


# -- Word -----------------------------------------------------------------------------------------

A4_WIDTH, A4_HEIGHT, MARGIN = Mm(210), Mm(297), Mm(20)
# The appendix's columns on a landscape A4 page (257 mm between the margins).
APPENDIX_WIDTHS = tuple(Mm(width) for width in (14, 62, 34, 24, 40, 25, 58))
NOTE_GREY = RGBColor(0x50, 0x5A, 0x5F)


def _page(section, *, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (A4_HEIGHT, A4_WIDTH) if landscape else (A4_WIDTH, A4_HEIGHT)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN


def _language(document) -> None:
    """British English: the file's metadata and the proofing language of all its text."""
    document.core_properties.language = LANGUAGE
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    properties = run_defaults.find(qn("w:rPr")) if run_defaults is not None else None
    if properties is None:
        return
    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        properties.append(lang)
    lang.set(qn("w:val"), LANGUAGE)


def _field(paragraph, instruction: str) -> None:
    """A field Word fills in (PAGE, NUMPAGES), shown as "1" until it does."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _page_numbers(section) -> None:
    footer = section.footer.paragraphs[0]
    footer.text = ""
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _hyperlink(paragraph, url: str) -> None:
    """The address as a link Word opens (python-docx has no call for one: the relationship and the
    w:hyperlink element are written here); the text is the address itself."""
    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "1D70B8")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.extend([colour, underline])
    run.append(properties)
    text = OxmlElement("w:t")
    text.text = url
    run.append(text)
    link.append(run)
    paragraph._p.append(link)


def _repeat_header(row) -> None:
    """The row repeats at the top of each page the table runs onto, and reads as its header row."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _table(document, header: list[str], rows: list[list[str]], widths=None):
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Table Grid"]
    for cell, heading in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(heading).bold = True
    _repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=False):
            cell.text = value
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
    return table


def _note(document, text: str):
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = True
    run.font.color.rgb = NOTE_GREY
    return paragraph


def _appendix(document, shaped: dict) -> None:
    _page(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    document.add_heading(APPENDIX_HEADING, level=1)
    if not shaped["evidence"]:
        _note(document, NO_EVIDENCE)
        return
    document.add_paragraph(APPENDIX_NOTE)
    table = _table(document, list(APPENDIX_COLUMNS), [], widths=APPENDIX_WIDTHS)
    for citation in shaped["evidence"]:
        row = table.add_row()
        value = citation["value"]
        if citation["last_year"]:
            value += f"\n{citation['last_year']}"
        if citation["header"]:
            value += f"\n{ROWS_BELOW}"
        texts = [citation["ref"], citation["name"], value, citation["period"], citation["source"], citation["taken_on"]]
        for cell, text, width in zip(row.cells, [*texts, ""], APPENDIX_WIDTHS, strict=True):
            cell.text = text
            cell.width = width
        if citation["link"] and not citation["linked"]:
            row.cells[-1].text = citation["link"]  # not a web address: shown, never made a link
        if citation["linked"]:
            _hyperlink(row.cells[-1].paragraphs[0], citation["link"])
    for citation in shaped["charts"]:
        document.add_heading(f"{citation['ref']}: {citation['label']}", level=2)
        _note(document, f"The figures of the chart, {citation['period']}, as they stood on {citation['taken_on']}.")
        _table(document, citation["header"], citation["rows"])


def docx_bytes(content: dict, *, made_at: datetime) -> bytes:
    """The self-evaluation as a Word document: the title and where it stands, a Heading 1 per question,
    a Heading 2 per section, each statement's paragraphs and the evidence it cites, then the evidence
    appendix (a table, and each chart's figures as a table of their own)."""
    shaped = _shaped(_clean(content), made_at)
    document = Document()
    _page(document.sections[0], landscape=False)
    _page_numbers(document.sections[0])
    _language(document)
    properties = document.core_properties
    properties.title = shaped["title"]
    properties.subject = f"Self-evaluation, {shaped['year']}" if shaped["year"] else "Self-evaluation"
    properties.author = properties.last_modified_by = ORGANISATION
    properties.created = properties.modified = made_at
    properties.revision = 1

    document.add_heading(shaped["title"], level=0)
    document.add_paragraph().add_run(shaped["status"]).bold = True
    _note(document, f"This file was made on {shaped['made_on']}.")

    for chapter in shaped["chapters"]:
        document.add_heading(chapter["heading"], level=1)
        if not chapter["sections"]:
            _note(document, NOTHING_WRITTEN)
        for section in chapter["sections"]:
            document.add_heading(section["heading"], level=2)
            for statement in section["statements"]:
                texts = statement["paragraphs"] or [NO_TEXT]
                for index, text in enumerate(texts):
                    paragraph = document.add_paragraph()
                    if index == 0 and statement["number"]:
                        paragraph.add_run(f"{statement['number']} ").bold = True
                    paragraph.add_run(text).italic = not statement["paragraphs"]
                refs = document.add_paragraph()
                refs.paragraph_format.space_after = Pt(12)
                refs.add_run(statement["refs_line"]).font.color.rgb = NOTE_GREY

    _appendix(document, shaped)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- one entry point ------------------------------------------------------------------------------

RENDERERS = {"pdf": pdf_bytes, "docx": docx_bytes}


def render(content: dict, file_format: str, *, made_at: datetime) -> bytes:
    """The content as a file of `file_format` ("pdf" or "docx")."""
    if file_format not in RENDERERS:
        raise ValueError(f"no self-evaluation file of format {file_format!r}: only {', '.join(RENDERERS)}")
    return RENDERERS[file_format](content, made_at=made_at)
