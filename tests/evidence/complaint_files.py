"""Complaints system exports for the complaints tests, built in memory as CSV or XLSX."""

import csv
import io
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from evidence.complaints.imports import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

COLUMNS = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]


def row(reference="CMP-1", **cells) -> dict[str, str]:
    """A good row (a complaint about SWF East, not upheld), with `cells` changed."""
    return {
        "reference": reference,
        "received_on": "02/11/2026",
        "service_area": "SWF",
        "kind": "complaint",
        "theme": "communication",
        "team": "SWF East",
        "outcome": "not_upheld",
        "learning": "Letters confirmed after each visit.",
        **cells,
    }


def export_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def export_xlsx(rows: list[dict]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(COLUMNS)
    for cells in rows:
        # The day as an Excel date, as the complaints system writes it; a bad day stays as typed.
        try:
            received = datetime.strptime(cells["received_on"], "%d/%m/%Y").date()
        except ValueError:
            received = cells["received_on"]
        sheet.append([received if column == "received_on" else cells[column] for column in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(rows: list[dict], name="complaints.csv") -> SimpleUploadedFile:
    content = export_xlsx(rows) if name.endswith(".xlsx") else export_csv(rows)
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
