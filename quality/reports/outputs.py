"""A report as files: PDF (WeasyPrint), XLSX (openpyxl) and JSON.

Everything a file shows comes from one plain, JSON-native **content** object:

- `report_content(report, area_codes=...)`: a saved report: its figures (the snapshot taken when it
  was generated), its narrative, the highlights the QA lead picked and the improvement points and
  progress, narrowed to the service areas of the person it is for (a service lead sees the sections
  of their own areas only: `by_service_area`, `exemplars`, `highlight_candidates` and highlights);
- `draft_content(figures)`: figures computed just now by `build_report` (no narrative, nothing saved).

The same content always renders the same document, so `fingerprint(content)` says whether a file
already made is still the report as it stands (quality/reports/documents.py keeps one per
fingerprint). The builders never query the database: the PDF of a 30-page annual report is made
from the content alone.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from datetime import date, datetime

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from moderation import tables as moderation_tables
from moderation.charts import heat_rows
from moderation.statistics import GRADE_LABELS
from quality.pdf import html_to_pdf
from quality.spreadsheets import XLSX_TYPE, spreadsheet_text

from . import charts, selectors, tables
from .models import Report
from .selectors import period_label

# Bumped when a template or builder changes what a file shows: documents made before are then remade.
# 2: the grade columns of the count tables widened (headings ran over)
# 3: the tables' labels shared with the report page (quality/reports/tables.py)
# 4: the moderation figures labelled as on the moderation outcomes page (moderation/tables.py)
# 5: theme counts link to the audit list (`audits_url`) instead of listing audit ids
# 6: audits named by case reference, never by id; dates and times in words
# 7: the other evidence: observations, voices, benchmarking, complaints and compliments
OUTPUT_VERSION = 7
PRINT_STYLESHEET = "css/report-print.css"
PDF_TEMPLATE = "reports/pdf/report.html"
PDF_TYPE = "application/pdf"
JSON_TYPE = "application/json"
CONTENT_TYPES = {"pdf": PDF_TYPE, "xlsx": XLSX_TYPE, "json": JSON_TYPE}

SHEET_DATE_FORMAT = "d mmmm yyyy"  # 3 December 2026, not the spreadsheet's default 2026-12-03
NOT_COMPUTABLE = "–"  # a percentage of nothing, or a change with no figure to compare
SMALL_SAMPLE_MARK = "†"
SMALL_SAMPLE_NOTE = (
    "† Based on fewer than {threshold} audits (a small sample): read this percentage with care; "
    "a handful of audits moves it a long way."
)
DRAFT_FROM_COMMAND = (
    "A draft built from the data as it stood when it was made, by the build_report command. "
    "It is not saved or published, has no narrative, and no highlights were picked."
)
NO_HIGHLIGHTS = "No highlights have been picked for this report."
NOT_RECORDED = "Not recorded yet"
SCOPE_NOTE = "The sections by service area show only {areas}: the service areas this copy was made for."


# -- the content -------------------------------------------------------------------------------


def _title_and_label(figures: dict) -> tuple[str, str]:
    """The report's kind and period as people say them ("Monthly audit analysis", "November 2023")."""
    kind = Report.Kind(figures["kind"])
    label = period_label(
        kind,
        figures["period"],
        year_to_date=figures.get("year_to_date", False),
        period_end=date.fromisoformat(figures["period_end"]),
    )
    return kind.label, label


def _linked(figures: dict) -> dict:
    """The figures as the files show them: each theme with `audits_url`, the portal's audit list of the
    audits behind its count (an absolute address: settings.PORTAL_URL), and no audit ids, even in a
    report made before theme links (its themes have no `theme_id`, so no link either). Exemplars are
    named by their case reference only, and highlight candidates by nothing: an audit's id means
    nothing to a reader."""
    figures = selectors.without_audit_ids(figures)
    if "themes" in figures:
        figures["themes"] = selectors.theme_rows(figures, linked=True, absolute=True)
    for rows in ("exemplars", "highlight_candidates"):
        if rows in figures:
            figures[rows] = [{k: v for k, v in row.items() if k != "audit_id"} for row in figures[rows]]
    return figures


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def in_words(moment: datetime | str | None) -> str:
    """A moment as people write it, in the portal's time zone: "3 December 2026 at 14:05" ("" for none).
    Takes an ISO string too (the content keeps its moments as ISO, for the JSON)."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = timezone.localtime(moment)
    return f"{local:%-d %B %Y} at {local:%H:%M}"


def date_in_words(day: date | str | None) -> str:
    """A day as people write it: "3 December 2026" ("" for none; an ISO string is read first)."""
    if not day:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return f"{day:%-d %B %Y}"


def report_content(report: Report, *, user=None) -> dict:
    """Everything the files of a saved report show, as `user` may see it (None: every service area).

    The sections about single service areas are narrowed by the pages' own rules (selectors.figures_for,
    highlights_for): a service lead's copy has only their areas' rows. A published (or superseded)
    report's content never changes: it holds nothing that publishing leaves open (not even whether a
    correction later superseded it), so each of its documents is made once."""
    if report.figures is None:
        raise ValueError(f"report {report.pk} has no figures yet: it is still being generated or failed")
    figures = _linked(report.figures if user is None else selectors.figures_for(user, report))
    highlights = selectors.highlights_for(user, report, included_only=True)
    names = {row["code"]: row["name"] for row in report.figures.get("by_service_area", [])}
    frozen = report.is_frozen
    supersedes = report.supersedes
    return {
        "version": OUTPUT_VERSION,
        "figures": figures,
        "report": {
            "id": report.pk,
            "state": "published" if frozen else report.state,
            "data_taken_at": _iso(report.data_taken_at),
            "published_at": _iso(report.published_at) if frozen else None,
            "published_by": report.published_by.full_name if frozen and report.published_by else None,
            "supersedes": (
                {"id": supersedes.pk, "published_at": _iso(supersedes.published_at)} if supersedes else None
            ),
            "correction_reason": report.correction_reason,
            "summary": report.summary,
            "analysis": report.analysis,
            "next_steps": report.next_steps,
            "highlights": [
                {
                    "service_area": highlight.service_area.code,
                    "service_area_name": names.get(highlight.service_area.code, highlight.service_area.name),
                    "kind": highlight.kind,
                    "kind_label": highlight.get_kind_display(),
                    "case_reference": highlight.case_reference,
                    "text": highlight.text,
                }
                for highlight in highlights
            ],
            "improvement_points": [point.text for point in report.improvement_points.all()],
            "improvement_progress": [
                {
                    "point": row["point"].text,
                    "set_in": selectors.report_title(row["point"].report),
                    "status": row["progress"].status if row["progress"] else None,
                    "status_label": row["progress"].get_status_display() if row["progress"] else NOT_RECORDED,
                    "note": row["progress"].note if row["progress"] else "",
                }
                for row in selectors.progress_rows(report)
            ],
            "shown_for": figures.get("scoped_to_areas"),
        },
    }


def draft_content(figures: dict) -> dict:
    """The content of a report built from figures just computed: no narrative, nothing picked."""
    return {"version": OUTPUT_VERSION, "figures": _linked(figures), "report": None}


def fingerprint(content: dict) -> str:
    """A digest of the content: equal for two contents exactly when their documents show the same."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def json_text(content: dict) -> str:
    """The figures as JSON; a saved report adds its narrative, highlights and improvement points under `report`."""
    data = dict(content["figures"])
    if content["report"] is not None:
        data["report"] = content["report"]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- PDF -----------------------------------------------------------------------------------------
# The tables come from quality/reports/tables.py; the PDF writes a missing figure as "–" and a change
# with its sign and unit.


def show_pct(value) -> str:
    return NOT_COMPUTABLE if value is None else f"{value:.1f}%"


def show_change(change, percentage: bool) -> str:
    if change is None:
        return NOT_COMPUTABLE
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "−"
    return f"{sign}{abs(change):.1f} points" if percentage else f"{sign}{abs(change)}"


def _headline_rows(table: tables.Table) -> list[dict]:
    """The headline measures as the PDF prints them: each figure and the change written out."""
    rows = []
    for row in table.rows:
        this, before = row.cells
        rows.append(
            {
                "label": row.label,
                "shown": _shown(this),
                "previous_shown": _shown(before),
                "change_shown": show_change(row.change, this.percentage),
                "small": this.small,
                "previous_small": before.small,
            }
        )
    return rows


def _shown(cell: tables.Cell) -> str:
    if cell.percentage:
        return show_pct(cell.value)
    return NOT_COMPUTABLE if cell.value is None else str(cell.value)


def pdf_context(content: dict, *, made_at: datetime) -> dict:
    figures, report = content["figures"], content["report"]
    kind_label, label = _title_and_label(figures)
    report_tables = tables.report_tables(figures)
    areas = [
        {"table": trend, "chart": charts.area_trend(area, chart_id=f"area-{area['area']}")}
        for area, trend in zip(figures.get("areas_of_analysis", []), report_tables["area_trends"], strict=True)
    ]
    highlights: dict[str, dict] = {}
    for highlight in (report or {}).get("highlights", []):
        group = highlights.setdefault(
            highlight["service_area"],
            {"code": highlight["service_area"], "name": highlight["service_area_name"], "good": [], "improve": []},
        )
        group["good" if highlight["kind"] == "good_practice" else "improve"].append(highlight["text"])
    moderation = figures.get("moderation") or {}
    grades = report_tables["grades"]
    return {
        "content": content,
        "figures": figures,
        "report": report,
        "title": f"{kind_label}: {label}",
        "kind_label": kind_label,
        "period_label": label,
        "period_start": date.fromisoformat(figures["period_start"]),
        "period_end": date.fromisoformat(figures["period_end"]),
        "made_at": made_at,
        "data_taken_at": _moment(report["data_taken_at"]) if report else None,
        "published_at": _moment(report["published_at"]) if report else None,
        "supersedes_published_at": _moment((report["supersedes"] or {}).get("published_at")) if report else None,
        "draft_note": DRAFT_FROM_COMMAND if report is None else None,
        "scope_note": (
            SCOPE_NOTE.format(areas=", ".join(report["shown_for"]) or "no service areas")
            if report and report["shown_for"] is not None
            else None
        ),
        "small_mark": SMALL_SAMPLE_MARK,
        "suppressed_label": tables.SUPPRESSED,
        "small_note": SMALL_SAMPLE_NOTE.format(threshold=figures["small_sample_threshold"]),
        "tables": report_tables,
        "grade_headings": tables.GRADE_HEADINGS,
        "headline": _headline_rows(report_tables["headline"]),
        "grades_chart": charts.grades_before_after(
            {row.key: row.cells[0].value for row in grades.rows},
            {row.key: row.cells[2].value for row in grades.rows},
            chart_id="grades-before-after",
        ),
        "areas": areas,
        "themes": figures.get("themes", []),
        "exemplars": [
            {**row, "grade_label": GRADE_LABELS.get(row.get("grade"), "–")} for row in figures.get("exemplars", [])
        ],
        "moderation": moderation,
        "moderation_from": date_in_words(moderation.get("date_from")),
        "moderation_to": date_in_words(moderation.get("date_to")),
        "moderation_rows": heat_rows(moderation["matrix"]) if moderation.get("matrix") else [],
        "moderation_labels": moderation_tables.LABELS,
        "highlights": sorted(highlights.values(), key=lambda group: group["code"]),
        "no_highlights": NO_HIGHLIGHTS,
    }


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def pdf_bytes(content: dict, *, made_at: datetime) -> bytes:
    """The report as a tagged A4 PDF (quality/pdf.py): cover, contents, numbered pages, vector
    charts, embedded fonts."""
    return html_to_pdf(
        render_to_string(PDF_TEMPLATE, pdf_context(content, made_at=made_at)), stylesheet=PRINT_STYLESHEET
    )


# -- XLSX ----------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value):
    """Numbers stay numbers; text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None or _is_number(value) or isinstance(value, date):
        return value
    return spreadsheet_text(str(value))


def _sheet(workbook: Workbook, title: str, header: list[str], rows: Iterable[list]) -> None:
    """A sheet with a bold, frozen header row, percentages shown to one decimal place."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([_cell(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = SHEET_DATE_FORMAT  # a date cell, shown in words
    sheet.freeze_panes = "A2"
    for index, heading in enumerate(header, start=1):
        width = max([len(heading), *(len(str(cell.value or "")) for cell in sheet[get_column_letter(index)][1:50])])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)
        if heading.endswith("(%)") or heading.endswith("(points)"):
            for cell in sheet[get_column_letter(index)][1:]:
                cell.number_format = "0.0"


def _values(row: tables.Row) -> list:
    return [cell.value for cell in row.cells]


def _table_sheets(workbook: Workbook, report_tables: dict) -> None:
    """The sheets of the report's tables (quality/reports/tables.py), in the order the report shows them."""
    headline = report_tables["headline"]
    _sheet(
        workbook,
        headline.title,
        [headline.label_heading, *headline.columns, "Change", "Percentage?", "Small sample (this period)?"],
        (
            [row.label, *_values(row), row.change, _yes_no(row.cells[0].percentage), _yes_no(row.cells[0].small)]
            for row in headline.rows
        ),
    )
    grades, completed = report_tables["grades"], {row.key: row for row in report_tables["completed"].rows}
    ungraded, moderated_count = completed["ungraded"], completed["moderated_count"]
    _sheet(
        workbook,
        grades.title,
        [grades.label_heading, *grades.columns],
        [
            *([row.label, *_values(row)] for row in (*grades.rows, grades.totals)),
            [ungraded.label, ungraded.cells[0].value, None, None, None],
            [moderated_count.label, None, None, moderated_count.cells[0].value, None],
        ],
    )
    by_area = report_tables["by_service_area"]
    _sheet(
        workbook,
        by_area.title,
        ["Code", by_area.label_heading, *by_area.columns],
        ([row.code, row.label, *_values(row)] for row in by_area.rows),
    )
    for table in (report_tables["by_kind"], report_tables["by_theme"]):
        _sheet(
            workbook,
            table.title,
            [table.label_heading, *table.columns],
            ([row.label, *_values(row)] for row in table.rows),
        )
    areas = report_tables["areas_of_analysis"]
    _sheet(
        workbook,
        areas.title,
        ["Series", areas.label_heading, "Period", *areas.columns],
        (
            [row.key, trend.title, row.code, *_values(row)]
            for trend in report_tables["area_trends"]
            for row in trend.rows
        ),
    )


def _moderation_sheets(workbook: Workbook, table: tables.Table, moderation: dict) -> None:
    interval = moderation.get("weighted_kappa_ci95") or [None, None]
    _sheet(
        workbook,
        table.title,
        [table.label_heading, *table.columns],
        [
            ["Decisions from", date_in_words(moderation.get("date_from"))],
            ["Decisions to", date_in_words(moderation.get("date_to"))],
            *([f"{row.label} (%)" if row.cells[0].percentage else row.label, *_values(row)] for row in table.rows),
            [f"{moderation_tables.WEIGHTED_KAPPA.label}, {moderation_tables.KAPPA_INTERVAL} low", interval[0]],
            [f"{moderation_tables.WEIGHTED_KAPPA.label}, {moderation_tables.KAPPA_INTERVAL} high", interval[1]],
            [moderation_tables.KAPPA_READING, moderation.get("kappa_reading")],
            [moderation_tables.SMALL_SAMPLE_WARNING, moderation.get("small_sample_warning")],
        ],
    )
    matrix = moderation.get("matrix")
    _sheet(
        workbook,
        "Moderation matrix",
        [moderation_tables.MATRIX_CORNER, *tables.GRADE_HEADINGS, "Total"],
        ([row.label, *(cell.count for cell in row.cells), row.total] for row in (heat_rows(matrix) if matrix else [])),
    )


def _evidence_cell(cell: tables.Cell):
    """A suppressed count of people is written in words: an empty cell would read as nothing to count."""
    return tables.SUPPRESSED if cell.suppressed else cell.value


def _evidence_sheet(workbook: Workbook, table: tables.Table) -> None:
    """A sheet of other evidence: the code of each service area where the rows are areas, a note
    where rows have one, and whether a row's percentage rests on a small sample, as on the headline sheet."""
    rows = (*table.rows, table.totals) if table.totals else table.rows
    coded = any(row.code for row in rows)
    noted = any(row.note for row in rows)
    sampled = any(cell.percentage for row in rows for cell in row.cells)
    header = [
        *(["Code"] if coded else []),
        table.label_heading,
        *table.columns,
        *(["Note"] if noted else []),
        *(["Small sample?"] if sampled else []),
    ]
    _sheet(
        workbook,
        table.title,
        header,
        (
            [
                *([row.code or None] if coded else []),  # the totals row has no code
                row.label,
                *(_evidence_cell(cell) for cell in row.cells),
                *([row.note] if noted else []),
                *([_yes_no(any(cell.small for cell in row.cells))] if sampled else []),
            ]
            for row in rows
        ),
    )


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def xlsx_bytes(content: dict, *, made_at: datetime) -> bytes:
    """The report's tables as a workbook, one sheet per table, numbers as numbers."""
    figures, report = content["figures"], content["report"]
    threshold = figures["small_sample_threshold"]
    workbook = Workbook()
    workbook.remove(workbook.active)
    start, end = date.fromisoformat(figures["period_start"]), date.fromisoformat(figures["period_end"])

    about = [
        ["Report", f"{figures['kind']} {figures['period']}"],
        ["Period", _title_and_label(figures)[1]],
        ["First day", start],
        ["Last day", end],
        ["Year to date", "Yes" if figures.get("year_to_date") else "No"],
        ["State", report["state"] if report else "draft (build_report, not saved)"],
        ["Data taken at", in_words(report["data_taken_at"] if report else made_at)],
        ["Published at", in_words((report or {}).get("published_at")) or "Not published"],
        ["File made at", in_words(made_at)],
        ["Small-sample threshold (audits)", threshold],
    ]
    if report and report["shown_for"] is not None:
        about.append(["Service area sections shown for", ", ".join(report["shown_for"])])
    _sheet(workbook, "About", ["Item", "Value"], about)
    report_tables = tables.report_tables(figures)
    _table_sheets(workbook, report_tables)
    _sheet(
        workbook,
        "Practice themes",
        ["Theme", "Audits this period", "Audits previous period", "Change", "The audits this period (portal)"],
        (
            [row["name"], row["count"], row["previous_count"], row["change"], row.get("audits_url")]
            for row in figures.get("themes", [])
        ),
    )
    for cell in workbook["Practice themes"]["E"][1:]:
        if cell.value:
            cell.hyperlink = cell.value
    actions, escalations = figures.get("actions") or {}, figures.get("escalations") or {}
    _sheet(
        workbook,
        "Actions and escalations",
        ["Measure", "Count"],
        [
            ["Learning actions opened", actions.get("opened")],
            ["Learning actions completed", actions.get("completed")],
            ["Learning actions overdue at the end of the period", actions.get("overdue")],
            ["Escalations opened", escalations.get("opened")],
            ["Escalations open at the end of the period", escalations.get("open")],
            ["Escalations late", escalations.get("late")],
            ["Escalations closed", escalations.get("closed")],
        ],
    )
    _sheet(
        workbook,
        "Exemplars",
        ["Case reference", "Service area", "Grade"],
        (
            [row["case_reference"], row["service_area"], GRADE_LABELS.get(row.get("grade"), "")]
            for row in figures.get("exemplars", [])
        ),
    )
    _moderation_sheets(workbook, report_tables["moderation"], figures.get("moderation") or {})
    for section in report_tables["evidence_sections"]:
        for table in section.tables:
            _evidence_sheet(workbook, table)
    if report is not None:
        _sheet(
            workbook,
            "Narrative",
            ["Section", "Text"],
            [
                ["Summary", report["summary"]],
                ["Analysis", report["analysis"]],
                ["Actions / next steps", report["next_steps"]],
            ],
        )
        _sheet(
            workbook,
            "Highlights",
            ["Service area", "Kind", "Text", "Case reference"],
            ([h["service_area"], h["kind_label"], h["text"], h["case_reference"]] for h in report["highlights"]),
        )
        _sheet(
            workbook,
            "Improvement points",
            ["Set in", "Point", "Progress", "Note"],
            [
                *(["this report", text, None, None] for text in report["improvement_points"]),
                *([p["set_in"], p["point"], p["status_label"], p["note"]] for p in report["improvement_progress"]),
            ],
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- one entry point -----------------------------------------------------------------------------

RENDERERS = {
    "pdf": pdf_bytes,
    "xlsx": xlsx_bytes,
    "json": lambda content, *, made_at: json_text(content).encode("utf-8"),
}


def render(content: dict, file_format: str, *, made_at: datetime | None = None) -> bytes:
    """The content as a file of `file_format` ("pdf", "xlsx" or "json")."""
    return RENDERERS[file_format](content, made_at=made_at or timezone.now())
