"""Peak memory and time of the uploads at their caps, and the time to refuse each hostile file.

    .venv/bin/python bench/uploads.py           # every case, each in a fresh process
    .venv/bin/python bench/uploads.py CASE      # one case (the names are listed by --help)

Targets (docs/security.md, "Uploads"): a legitimate file at the caps under 300 MB peak; each hostile
file refused in under 2 s. Peak memory is the process's maximum resident size (ru_maxrss), Django
and the file itself included.
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality.settings.local")

MEMORY_TARGET_MB, REFUSAL_TARGET_S = 300, 2.0


def _cases():
    from django.conf import settings

    from audits import tool_files
    from quality.tabular import read_sheet
    from tests import upload_files as files

    rows = settings.IMPORT_MAX_ROWS
    columns = {"required": files.CASE_COLUMNS[:7], "optional": files.CASE_COLUMNS[7:]}

    def sheet(name):
        return lambda content: f"read {len(read_sheet(content, name, **columns).rows):,} rows"

    def tool(text):
        errors = tool_files.parse(text).errors
        return f"refused: {errors[0]}" if errors else "read, no problems"

    return {
        # name: (kind, build the file, use it)
        "case-list-csv-at-cap": ("allowed", lambda: files.case_list_csv(rows), sheet("list.csv")),
        "case-list-xlsx-at-cap": ("allowed", lambda: files.case_list_xlsx(rows), sheet("list.xlsx")),
        "tool-file-json-at-cap": ("allowed", lambda: files.tool_file(1_800), tool),
        "tool-file-yaml-at-cap": ("allowed", lambda: files.tool_file(2_200, "yaml"), tool),
        # Not from the review: a workbook made to sit just under every cap, to show what the caps
        # still allow (openpyxl parses some 100,000 cells a second).
        "xlsx-just-under-every-cap": ("worst", _workbook_under_every_cap, sheet("list.xlsx")),
        "xlsx-3-million-rows": ("hostile", files.three_million_row_xlsx, sheet("list.xlsx")),
        "csv-12.5-million-rows": ("hostile", files.twelve_million_row_csv, sheet("list.csv")),
        "csv-million-columns": ("hostile", files.million_column_csv, sheet("list.csv")),
        "yaml-billion-laughs": ("hostile", files.billion_laughs_yaml, tool),
        "yaml-deep-nesting": ("hostile", lambda: "[" * 500_000 + "]" * 500_000, tool),
        "post-300-mb-anonymous": ("hostile", lambda: 300 * 1024 * 1024, _post),
    }


def _workbook_under_every_cap() -> bytes:
    """IMPORT_MAX_ROWS rows of IMPORT_MAX_COLUMNS numbers, varied enough to pass the compression ratio."""
    import io
    import zipfile

    from django.conf import settings

    from tests import upload_files as files

    header = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in files.CASE_COLUMNS)
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((files.SHEET_START + f"<sheetData><row>{header}</row>").encode())
            for number in range(settings.IMPORT_MAX_ROWS):
                cells = "".join(f"<c><v>{(number * 7919 + column * 104729) % 100003}</v></c>" for column in range(100))
                sheet.write(f"<row>{cells}</row>".encode())
            sheet.write(b"</sheetData></worksheet>")
    return content.getvalue()


def _post(length: int) -> int:
    from django.test import RequestFactory

    from quality.middleware import RequestSizeLimitMiddleware

    request = RequestFactory().post("/accounts/login/", b"", content_type="text/plain", CONTENT_LENGTH=str(length))
    return f"answered {RequestSizeLimitMiddleware(lambda request: None)(request).status_code}"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_one(name: str) -> None:
    import django

    django.setup()
    from quality.tabular import ImportRefused

    kind, build, use = _cases()[name]
    content = build()
    before = _peak_mb()
    started = time.perf_counter()
    try:
        outcome = use(content)
    except ImportRefused as refused:
        outcome = "refused: " + "; ".join(str(error) for error in refused.errors)
    seconds = time.perf_counter() - started
    print(f"{name}\t{kind}\t{seconds:.2f}\t{before:.0f}\t{_peak_mb():.0f}\t{outcome[:90]}")


def main(argv: list[str]) -> int:
    if argv[1:] and argv[1] != "--help":
        run_one(argv[1])
        return 0
    import django

    django.setup()
    names = list(_cases())
    if argv[1:]:
        print("cases:", ", ".join(names))
        return 0
    print("case\tkind\tseconds\tpeak MB before\tpeak MB after\toutcome")
    failed = False
    for name in names:
        command = [sys.executable, __file__, name]  # our own script and case names
        result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
        line = result.stdout.strip().splitlines()[-1]
        print(line, flush=True)
        _, kind, seconds, _, peak, _ = line.split("\t")
        failed |= float(peak) > MEMORY_TARGET_MB or (kind == "hostile" and float(seconds) > REFUSAL_TARGET_S)
    print("allowed: read within the caps; hostile: a file of the review; worst: the caps' worst case (no target)")
    print("targets missed" if failed else "all targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
