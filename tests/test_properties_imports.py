"""Issue 13, "harden every input": any file given to any import is loaded or refused with its reasons,
never an unexpected error, and a refused file (or a dry run) saves nothing.

The spreadsheet imports (the case list, the audit history, the KPI values, the indicator catalogue)
are given random bytes, CSV text with the right header and garbage cells, good-looking rows with one
cell made awkward, and small XLSX workbooks of generated rows; the tool file import is given generated
tool structures as JSON or YAML, and random text. Each import is also reached once through its upload
page (the audit history, which has none, through its management command).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from audits import tool_files
from audits.cycle import case_import
from audits.models import AnalysisArea, AuditTool, Question
from moderation import history_import
from performance import catalogue, loads
from performance.catalogue import indicator_create
from quality.org.models import Role
from quality.tabular import ImportRefused

from .properties import awkward_text, changed_tables, database_picture, rolled_back

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("frozen_today"),
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]


@dataclass(frozen=True)
class SheetImport:
    """A spreadsheet import: its columns, a good row in the test's world, and its service."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    good_row: object  # (people) -> dict of cells
    service: object  # (actor, content, file_name, dry_run) -> summary

    @property
    def columns(self) -> list[str]:
        return [*self.required, *self.optional]


def _case_row(people):
    return {
        "child_ref": "C-1001",
        "service_area": "SWF",
        "team": "SWF East",
        "worker_email": people["worker"].user.email,
        "manager_email": people["manager"].user.email,
        "legal_status": "cp",
        "open_since": "2025-03-14",
        "age_band": "5-9",
        "gender": "Female",
        "ethnicity": "White British",
        "disability": "No",
    }


def _history_row(people):
    return {
        "reference": "QA-2023-001",
        "child_ref": "c100234",
        "service_area": "SWF",
        "kind": "monthly",
        "theme": "Neglect",
        "auditor": people["manager"].user.email,
        "completed_on": "2023-01-31",
        "grade": "good",
        "practitioner_discussion": "yes",
        "moderated_grade": "requires_improvement",
        "moderated_on": "2023-02-16",
        "strengths": "Clear chronology",
        "areas_for_improvement": "Plans are not SMART",
    }


def _value_row(people):
    return {"indicator": "M1", "period": "2026-10", "value": "12", "note": "From the monthly return"}


def _catalogue_row(people):
    return {
        "code": "M2",
        "title": "Number of referrals",
        "priority_area": "Right service at the right time",
        "unit": "count",
        "polarity": "neutral",
        "cumulative": "no",
        "target": "1400",
        "previous_year": "1,343",
        "amber_tolerance": "5",
        "service_area": "SWF",
    }


SHEET_IMPORTS = (
    SheetImport(
        "case list",
        case_import.REQUIRED_COLUMNS,
        case_import.OPTIONAL_COLUMNS,
        _case_row,
        lambda actor, content, file_name, dry_run: case_import.case_list_import(
            actor=actor, content=content, file_name=file_name, dry_run=dry_run
        ),
    ),
    SheetImport(
        "audit history",
        history_import.REQUIRED_COLUMNS,
        history_import.OPTIONAL_COLUMNS,
        _history_row,
        lambda actor, content, file_name, dry_run: history_import.audit_history_import(
            actor=actor, content=content, file_name=file_name, dry_run=dry_run, create_service_areas=dry_run
        ),
    ),
    SheetImport(
        "KPI values",
        loads.REQUIRED_COLUMNS,
        loads.OPTIONAL_COLUMNS,
        _value_row,
        lambda actor, content, file_name, dry_run: loads.kpi_values_import(
            actor=actor, content=content, file_name=file_name, dry_run=dry_run
        ),
    ),
    SheetImport(
        "indicator catalogue",
        catalogue.REQUIRED_COLUMNS,
        catalogue.OPTIONAL_COLUMNS,
        _catalogue_row,
        lambda actor, content, file_name, dry_run: catalogue.indicator_catalogue_import(
            actor=actor, content=content, file_name=file_name, dry_run=dry_run
        ),
    ),
)


@pytest.fixture
def people(own_team, make_person):
    """The people, team and indicator the good rows name."""
    indicator_create(
        actor=None, code="M1", title="Contacts", priority_area="Front door", unit="count", polarity="higher"
    )
    return {
        "worker": make_person(Role.PRACTITIONER, own_team.service_area, full_name="Wren Worker"),
        "manager": make_person(Role.PRACTICE_MANAGER, own_team.service_area, full_name="Mona Manager"),
        "qa_lead": make_person(Role.QA_LEAD, full_name="Quinn Lead"),
        "officer": make_person(Role.PERFORMANCE_OFFICER, None, full_name="Grace Officer"),
        "admin": make_person(Role.ADMINISTRATOR, None, full_name="Ada Admin"),
    }


# -- Files ----------------------------------------------------------------------------------------


def _as_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def _as_xlsx(header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for cells in [header, *rows]:
        # openpyxl cannot write control characters; Excel files never hold them
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in cells])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


xlsx_cell = st.one_of(
    awkward_text.map(lambda text: text[:2000]),
    st.none(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


def sheet_files(spec: SheetImport, good: dict):
    """(file name, content) for this import: bytes, garbage under the right header, a good row with
    one cell made awkward, or a workbook."""
    header = st.one_of(
        st.just(spec.columns),
        st.just([column.upper() for column in spec.required]),
        st.lists(st.sampled_from([*spec.columns, "extra", ""]), max_size=len(spec.columns) + 1),
    )
    garbage_rows = st.lists(st.lists(awkward_text, max_size=len(spec.columns) + 2), max_size=4)

    def mutated(column_and_value):
        column, value = column_and_value
        return [[value if name == column else good.get(name, "") for name in spec.columns]]

    one_awkward = st.tuples(st.sampled_from(spec.columns), awkward_text).map(mutated)
    csv_files = st.tuples(header, st.one_of(garbage_rows, one_awkward)).map(lambda parts: _as_csv(*parts))
    good_cells = [good.get(name, "") for name in spec.columns]
    workbooks = st.one_of(
        st.lists(st.lists(xlsx_cell, max_size=len(spec.columns)), max_size=3),
        st.tuples(st.sampled_from(range(len(spec.columns))), xlsx_cell).map(
            lambda place: [good_cells[: place[0]] + [place[1]] + good_cells[place[0] + 1 :]]
        ),
    ).map(lambda rows: _as_xlsx(spec.columns, rows))
    return st.one_of(
        st.tuples(st.sampled_from(["list.csv", "list.txt"]), csv_files),
        st.tuples(st.just("list.xlsx"), workbooks),
        st.tuples(st.sampled_from(["list.csv", "list.xlsx", "list.pdf", "list"]), st.binary(max_size=300)),
    )


# -- Loading --------------------------------------------------------------------------------------


def load_or_refuse(spec: SheetImport, actor, file_name: str, content: bytes, dry_run: bool) -> None:
    """The import loads the file or refuses it with row-numbered reasons; a refusal or a dry run saves nothing."""
    before = database_picture()
    try:
        spec.service(actor, content, file_name, dry_run)
    except ImportRefused as refused:
        assert refused.errors, f"{spec.name}: refused without a reason"
        assert all(error.row >= 0 and error.reason for error in refused.errors)
    else:
        if not dry_run:
            return
    changed = changed_tables(before, database_picture())
    assert not changed, f"{spec.name}: a refused file or a dry run changed {changed}"


@pytest.mark.parametrize("spec", SHEET_IMPORTS, ids=lambda spec: spec.name)
def test_any_file_is_loaded_or_refused_and_a_refused_file_saves_nothing(spec, people):
    @given(file=sheet_files(spec, spec.good_row(people)), dry_run=st.booleans())
    def any_file(file, dry_run):
        with rolled_back():
            load_or_refuse(spec, people["admin"].user, *file, dry_run)

    any_file()


def test_the_good_rows_are_good(people):
    """The rows the files above are made from load as they are: a mutated cell is then the only fault."""
    for spec in SHEET_IMPORTS:
        good = spec.good_row(people)
        content = _as_csv(spec.columns, [[good.get(column, "") for column in spec.columns]])
        with rolled_back():
            try:
                spec.service(people["admin"].user, content, "good.csv", False)
            except ImportRefused as refused:
                raise AssertionError(f"{spec.name}: {[str(error) for error in refused.errors]}") from refused


# -- Upload pages ---------------------------------------------------------------------------------

UPLOAD_PAGES = (
    ("cases:case_import", "qa_lead", "case list"),
    ("performance:value_load_upload", "officer", "KPI values"),
    ("performance:catalogue_import", "officer", "indicator catalogue"),
)
# Pages and the command render whole pages: a third of the examples of a service call.
FEW = max(4, settings.default.max_examples // 3)


@pytest.mark.parametrize(("url_name", "who", "spec_name"), UPLOAD_PAGES)
def test_an_upload_page_shows_any_file_loaded_or_refused(client, people, url_name, who, spec_name):
    spec = next(spec for spec in SHEET_IMPORTS if spec.name == spec_name)
    client.force_login(people[who].user)
    url = reverse(url_name)

    @settings(max_examples=FEW)
    @given(file=sheet_files(spec, spec.good_row(people)), mode=st.sampled_from(["import", "check", "", "\x00"]))
    def any_upload(file, mode):
        with rolled_back():
            before = database_picture()
            response = client.post(url, {"file": SimpleUploadedFile(file[0], file[1]), "mode": mode})
            assert response.status_code < 500
            if response.status_code != 302:  # a check, or a refusal: nothing saved
                assert not changed_tables(before, database_picture())

    any_upload()


def test_the_history_command_loads_or_refuses_any_file(people, tmp_path):
    spec = next(spec for spec in SHEET_IMPORTS if spec.name == "audit history")

    @settings(max_examples=FEW)
    @given(file=sheet_files(spec, spec.good_row(people)))
    def any_file(file):
        path = tmp_path / file[0]
        path.write_bytes(file[1])
        with rolled_back():
            before = database_picture()
            try:
                call_command("import_audits", str(path), stdout=io.StringIO(), stderr=io.StringIO())
            except CommandError:
                assert not changed_tables(before, database_picture())

    any_file()


# -- Tool files -----------------------------------------------------------------------------------

KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,20}")
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | awkward_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def _either(good, bad=anything):
    return st.one_of(good, good, good, bad)


question = st.fixed_dictionaries(
    {
        "key": _either(st.from_regex(KEY, fullmatch=True)),
        "text": _either(st.text(min_size=1, max_size=40)),
        "type": _either(st.sampled_from(Question.Type.values)),
    },
    optional={
        "required": _either(st.booleans()),
        "allow_not_applicable": _either(st.booleans()),
        "choices": _either(st.lists(st.text(max_size=20), max_size=4)),
        "help_text": _either(st.text(max_size=40)),
    },
)
section = st.fixed_dictionaries(
    {"title": _either(st.text(min_size=1, max_size=40)), "questions": _either(st.lists(question, max_size=3))},
    optional={
        "analysis_area": _either(st.sampled_from([*AnalysisArea.values, None])),
        "help_text": _either(st.text(max_size=40)),
    },
)
tool_file = st.fixed_dictionaries(
    {
        "format": _either(st.just(tool_files.FORMAT)),
        "tool": _either(
            st.fixed_dictionaries(
                {
                    "name": _either(st.text(min_size=1, max_size=40)),
                    "purpose": _either(st.sampled_from(AuditTool.Purpose.values)),
                },
                optional={
                    "service_area": _either(st.sampled_from(["SWF", "swf", None])),
                    "description": _either(st.text(max_size=40)),
                },
            )
        ),
        "version": _either(
            st.fixed_dictionaries(
                {"sections": _either(st.lists(section, min_size=1, max_size=3))},
                optional={"number": anything, "notes": _either(st.text(max_size=40))},
            )
        ),
    }
)
tool_texts = st.one_of(
    tool_file.map(lambda data: json.dumps(data, ensure_ascii=False)),
    tool_file.map(lambda data: yaml.safe_dump(data, allow_unicode=True)),
    anything.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda raw: raw.decode("utf-8", errors="replace")),
)


def import_or_refuse(actor, text: str) -> None:
    before = database_picture()
    try:
        tool_files.tool_import(actor=actor, text=text)
    except ValidationError as refused:
        assert refused.messages, "a tool file refused without a reason"
        assert not changed_tables(before, database_picture()), "a refused tool file saved something"


def test_any_tool_file_is_imported_or_refused_and_a_refused_file_saves_nothing(people):
    @given(text=tool_texts)
    def any_file(text):
        with rolled_back():
            import_or_refuse(people["admin"].user, text)

    any_file()


def test_the_tool_import_page_shows_any_file_imported_or_refused(client, people):
    client.force_login(people["admin"].user)

    @settings(max_examples=FEW)
    @given(text=tool_texts)
    def any_upload(text):
        with rolled_back():
            before = database_picture()
            upload = SimpleUploadedFile("tool.yaml", text.encode("utf-8", errors="surrogatepass"))
            response = client.post(reverse("audits:tool_import"), {"file": upload})
            assert response.status_code < 500
            if response.status_code != 302:
                assert response.context["form"].errors
                assert not changed_tables(before, database_picture())

    any_upload()
