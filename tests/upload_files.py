"""Files for the upload limits (tests/test_upload_limits.py and bench/uploads.py): legitimate ones
at the caps, and the hostile ones of the security review of issue 13, built in memory so that none
is stored and each takes at most a few seconds to make."""

import io
import json
import zipfile

from openpyxl import Workbook

from audits.cycle.case_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

CASE_COLUMNS = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]


def case_row(number: int) -> list[str]:
    return [
        f"C{number:07d}",
        "SWF",
        "SWF East",
        "worker@council.example",
        "manager@council.example",
        "child_in_need",
        "2024-01-31",
        "11-15",
        "Female",
        "White British",
        "No",
    ]


def case_list_csv(rows: int) -> bytes:
    lines = [",".join(CASE_COLUMNS), *(",".join(case_row(number)) for number in range(rows))]
    return ("\r\n".join(lines) + "\r\n").encode()


def case_list_xlsx(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(CASE_COLUMNS)
    for number in range(rows):
        sheet.append(case_row(number))
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


# --- Hostile files -------------------------------------------------------------------------------

WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Cases" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        "</Relationships>"
    ),
}


def workbook_of_rows(row: list[str], count: int, *, dimension: str | None = None) -> bytes:
    """An XLSX file whose one sheet holds `row` `count` times, its XML written here directly (rows
    without numbers, inline strings, maximum compression): millions of rows cost a second, where
    openpyxl would take minutes. `dimension` is the size the sheet says it has; by default none."""
    cells = "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in row)
    batch = min(count, 10_000)
    rows = (f"<row>{cells}</row>" * batch).encode()
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_START.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for _ in range(count // batch):
                sheet.write(rows)
            sheet.write(f"<row>{cells}</row>".encode() * (count % batch))
            sheet.write(b"</sheetData></worksheet>")
    return content.getvalue()


SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def three_million_row_xlsx() -> bytes:
    """The review's 480 KB workbook of 3 million rows, which took 103 s and 1 GB to refuse."""
    return workbook_of_rows(["1"], 3_000_000)


def twelve_million_row_csv() -> bytes:
    """The review's 24 MB CSV of 12.5 million rows (2 GB)."""
    return ",".join(CASE_COLUMNS).encode() + b"\n" + b"1\n" * 12_500_000


def million_column_csv() -> bytes:
    """The review's 8 MB CSV of a million columns on one line (660 MB)."""
    return b"abcdefg," * 1_000_000 + b"\n"


def billion_laughs_yaml() -> str:
    """The review's YAML of aliases to aliases: ten levels of nine make a billion "lol"s (200 s, 6 GB)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def tool_file(questions: int, file_format: str = "json") -> str:
    """A valid audit tool file with this many questions (2,000 make one of about 0.9 MB)."""
    data = {
        "format": "case-quality-tool/1",
        "tool": {"name": "Large tool", "purpose": "case_audit", "service_area": None, "description": ""},
        "version": {
            "number": 1,
            "notes": "",
            "sections": [
                {
                    "title": "Assessment",
                    "analysis_area": None,
                    "help_text": "",
                    "questions": [
                        {
                            "key": f"q{number}",
                            "text": "Is the assessment up to date and does it analyse the risks and strengths? " * 3,
                            "type": "narrative",
                            "required": False,
                            "allow_not_applicable": False,
                            "choices": [],
                            "help_text": "Look at the latest assessment and the chronology.",
                        }
                        for number in range(questions)
                    ],
                }
            ],
        },
    }
    if file_format == "yaml":
        import yaml

        return yaml.safe_dump(data, sort_keys=False)
    return json.dumps(data, indent=2)
