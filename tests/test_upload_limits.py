"""Bounded uploads (issue 13): every hostile file of the security review is refused quickly, with a
reason, saving nothing, and a legitimate file just under the caps still reads.

The review's files ran for minutes and took gigabytes: a YAML tool file of aliases, a 480 KB XLSX of
3 million rows, a 24 MB CSV of 12.5 million rows, an 8 MB CSV of a million columns, and a 300 MB
anonymous POST to the sign-in page. Each is built here, in memory, and must be refused in under
REFUSED_WITHIN seconds (they are refused in milliseconds: the margin is for a busy machine).
"""

import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audits import messages as audit_messages
from audits import tool_files
from audits.models import AuditTool, Case
from quality import tabular
from quality.middleware import LENGTH_REQUIRED, REQUEST_TOO_LARGE
from quality.org.models import Role
from quality.tabular import ImportRefused, read_sheet

from . import upload_files as files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

REFUSED_WITHIN = 2.0  # seconds
CASE_LIST = {"required": files.CASE_COLUMNS[:7], "optional": files.CASE_COLUMNS[7:]}


@contextmanager
def within(seconds: float = REFUSED_WITHIN):
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < seconds


def refusal(content: bytes, name: str, **columns) -> list[str]:
    with within(), pytest.raises(ImportRefused) as refused:
        read_sheet(content, name, **(columns or CASE_LIST))
    return [str(error) for error in refused.value.errors]


# --- Spreadsheets (quality/tabular.py) ---------------------------------------------------------


def test_the_reviews_three_million_row_workbook_is_refused_from_its_zip_directory_alone():
    content = files.three_million_row_xlsx()
    assert len(content) < 500_000
    assert refusal(content, "list.xlsx") == ["file: " + tabular.XLSX_TOO_BIG.format(100)]


def test_the_reviews_twelve_million_row_csv_is_refused_after_reading_one_row_past_the_cap():
    assert refusal(files.twelve_million_row_csv(), "list.csv") == ["file: the file has more than 50,000 rows"]


def test_the_reviews_million_column_csv_is_refused_at_its_first_line():
    assert refusal(files.million_column_csv(), "list.csv") == ["row 1: a line is longer than 1,000,000 characters"]


def test_a_row_with_more_columns_than_the_cap_is_refused_with_its_row_number():
    content = b"child_ref\nC1\n" + b",".join([b"x"] * 101) + b"\n"
    assert refusal(content, "list.csv", required=["child_ref"]) == ["row 3: more than 100 columns"]


def test_a_cell_longer_than_excel_allows_is_refused_with_its_row_number():
    assert refusal(b"child_ref\n" + b"x" * 32_768 + b"\n", "list.csv", required=["child_ref"]) == [
        "row 2: a cell is longer than 32,767 characters"
    ]


def test_a_workbook_that_says_it_is_too_big_is_refused_before_its_rows_are_read():
    sheet_says_so = files.workbook_of_rows(["C1"], 3, dimension="A1:A3000000")
    assert refusal(sheet_says_so, "list.xlsx") == ["file: the file has more than 50,000 rows"]
    too_wide = files.workbook_of_rows(["C1"], 3, dimension="A1:XFD3")
    assert refusal(too_wide, "list.xlsx") == ["row 1: more than 100 columns"]


def test_a_workbook_that_understates_its_size_is_read_as_it_is():
    wider_than_it_says = files.workbook_of_rows(["C1"] * 101, 3, dimension="A1:A1")
    assert refusal(wider_than_it_says, "list.xlsx") == ["row 1: more than 100 columns"]
    longer_than_it_says = files.workbook_of_rows(["child_ref"], 4, dimension="A1:A1")
    assert len(read_sheet(longer_than_it_says, "list.xlsx", required=["child_ref"]).rows) == 3


def test_a_workbook_that_hides_its_size_is_refused_one_row_past_the_cap(settings):
    settings.XLSX_MAX_COMPRESSION_RATIO = 10_000  # a sheet of one row repeated packs very small
    settings.IMPORT_MAX_ROWS = 1_000
    assert refusal(files.workbook_of_rows(["C1"], 1_002), "list.xlsx", required=["c1"]) == [
        "file: the file has more than 1,000 rows"
    ]
    assert refusal(files.workbook_of_rows(["C1"] * 101, 2), "list.xlsx", required=["c1"]) == [
        "row 1: more than 100 columns"
    ]


def test_a_zip_bomb_of_a_workbook_is_refused_by_its_compression_ratio():
    # 10 MB of rows (under the unpacked cap) that pack into some 10 KB.
    bomb = files.workbook_of_rows(["C1"], 200_000)
    assert refusal(bomb, "list.xlsx") == ["file: " + tabular.XLSX_TOO_BIG.format(100)]


def test_a_case_list_csv_at_the_row_cap_still_reads_whole():
    sheet = read_sheet(files.case_list_csv(settings.IMPORT_MAX_ROWS), "list.csv", **CASE_LIST)
    assert len(sheet.rows) == settings.IMPORT_MAX_ROWS
    assert sheet.rows[-1] == (50_001, dict(zip(files.CASE_COLUMNS, files.case_row(49_999), strict=True)))


def test_a_case_list_workbook_at_the_row_cap_still_reads_whole(settings):
    settings.IMPORT_MAX_ROWS = 2_000  # openpyxl reads some 3,000 rows a second: 50,000 belong in bench/
    assert len(read_sheet(files.case_list_xlsx(2_000), "list.xlsx", **CASE_LIST).rows) == 2_000
    assert refusal(files.case_list_xlsx(2_001), "list.xlsx") == ["file: the file has more than 2,000 rows"]


def test_a_file_at_the_column_and_cell_caps_still_reads():
    names = [f"c{number}" for number in range(100)]
    content = (",".join(names) + "\n" + ",".join(["x" * 32_767] + ["y"] * 99) + "\n").encode()
    sheet = read_sheet(content, "wide.csv", required=names)
    assert sheet.rows[0][1]["c0"] == "x" * 32_767


def test_a_refused_case_list_upload_shows_the_reason_and_saves_nothing(client, make_person):
    client.force_login(make_person(Role.QA_LEAD, None).user)
    upload = SimpleUploadedFile("list.csv", files.case_list_csv(50_001))
    response = client.post(reverse("cases:case_import"), {"file": upload, "mode": "import"})
    assert response.status_code == 200
    assert [str(error) for error in response.context["errors"]] == ["file: the file has more than 50,000 rows"]
    assert not Case.objects.exists()


# --- Tool files (audits/tool_files.py) ----------------------------------------------------------


def test_the_reviews_billion_laughs_tool_file_is_refused_at_its_first_anchor():
    with within():
        assert tool_files.parse(files.billion_laughs_yaml()).errors == [audit_messages.TOOL_FILE_ALIASES]


def test_a_tool_file_nested_deeper_than_a_tool_is_refused_before_it_is_built():
    with within():
        assert tool_files.parse("[" * 100_000 + "]" * 100_000).errors == [audit_messages.TOOL_FILE_TOO_DEEP]


def test_a_tool_file_over_the_size_cap_is_refused_unread():
    assert tool_files.parse(" " * 1_000_001).errors == [audit_messages.TOOL_FILE_TOO_LARGE]


@pytest.mark.parametrize("file_format", ["json", "yaml"])
def test_a_valid_tool_file_just_under_the_size_cap_still_loads(file_format):
    text = files.tool_file(1_800 if file_format == "json" else 2_200, file_format)
    assert 800_000 < len(text) <= settings.TOOL_FILE_MAX_BYTES
    with within():
        assert tool_files.parse(text).errors == []


def test_importing_the_billion_laughs_shows_the_reason_next_to_the_file_and_saves_nothing(client, make_person):
    client.force_login(make_person(Role.QA_LEAD, None).user)
    upload = SimpleUploadedFile("tool.yaml", files.billion_laughs_yaml().encode())
    with within():
        response = client.post(reverse("audits:tool_import"), {"file": upload})
    assert response.context["form"].errors["file"] == [audit_messages.TOOL_FILE_ALIASES]
    assert not AuditTool.objects.exists()


# --- Requests (quality.middleware.RequestSizeLimitMiddleware) -------------------------------------


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def declared_post(client: Client, url: str, length: int | None, **extra):
    meta = {"wsgi.input": UnreadableBody(), "CONTENT_TYPE": "application/x-www-form-urlencoded", **extra}
    if length is not None:
        meta["CONTENT_LENGTH"] = str(length)
    return client.generic("POST", url, b"", **meta)


def test_a_300_mb_anonymous_post_to_the_sign_in_page_is_refused_unread():
    response = declared_post(Client(), reverse("login"), 300 * 1024 * 1024)
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().strip() == REQUEST_TOO_LARGE


def test_someone_not_signed_in_may_send_only_a_small_body_even_with_a_made_up_session_cookie():
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "made-up-session-key"
    assert declared_post(client, reverse("login"), 1024 * 1024).status_code == 413


def test_a_signed_in_upload_may_be_as_large_as_the_largest_file_but_no_larger(client, make_person):
    client.force_login(make_person(Role.QA_LEAD, None).user)
    url = reverse("cases:case_import")
    assert declared_post(client, url, settings.MAX_REQUEST_BYTES + 1).status_code == 413
    # Within the cap the request goes on to the view, which is the first to read the body.
    with pytest.raises(AssertionError, match="the body was read"):
        declared_post(client, url, settings.MAX_REQUEST_BYTES, CONTENT_TYPE="multipart/form-data; boundary=b")


def test_a_body_of_unknown_length_is_refused_unread():
    response = declared_post(Client(), reverse("login"), None, HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    assert response.content.decode().strip() == LENGTH_REQUIRED


def test_a_sign_in_form_is_within_the_anonymous_cap(client):
    response = client.post(reverse("login"), {"username": "someone@council.example", "password": "x" * 40})
    assert response.status_code == 200
    assert response.context["form"].errors
