"""The case list pages: uploading a case list (check only or import) and the list of cases."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from audits import services
from audits.cycle import case_import as ci
from audits.models import Audit, Case, CaseImport, LegalStatus
from quality import tabular
from quality.org.models import Role
from quality.tabular import FILE_TYPE_INVALID

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
IMPORT_URL = "/cases/import/"
LIST_URL = "/cases/"
COLUMNS = [*ci.REQUIRED_COLUMNS, *ci.OPTIONAL_COLUMNS]


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-11-23 10:00:00"):
        yield


@pytest.fixture
def worker(make_person, own_area):
    return make_person(Role.PRACTITIONER, own_area, full_name="Wren Worker")


@pytest.fixture
def other_manager(make_person, other_area):
    return make_person(Role.PRACTICE_MANAGER, other_area, full_name="Pat Othermanager")


def row(practice_manager, **cells) -> dict:
    return {
        "child_ref": "C-1001",
        "service_area": "SWF",
        "team": "",
        "worker_email": "",
        "manager_email": practice_manager.user.email,
        "legal_status": "cp",
        "open_since": "2025-03-14",
        **cells,
    }


def upload(rows, name="annex-a.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


# -- the upload page ------------------------------------------------------------------------


def test_qa_lead_sees_the_upload_form_and_the_last_imports(client, qa_lead, practice_manager):
    for n in range(7):
        CaseImport.objects.create(imported_by=qa_lead.user, file_name=f"annex-{n}.csv", rows=n)
    client.force_login(qa_lead.user)

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="file"' in page and "Check only" in page and "Import" in page
    assert [record.file_name for record in response.context["recent_imports"]] == [
        f"annex-{n}.csv" for n in (6, 5, 4, 3, 2)
    ]
    assert "annex-1.csv" not in page and "Quinn Lead" in page


def test_check_only_reports_what_would_change_and_saves_nothing(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)

    response = client.post(IMPORT_URL, {"file": upload([row(practice_manager)]), "mode": "check"})

    assert response.status_code == 200
    assert response.context["summary"].created == 1 and response.context["summary"].dry_run
    assert "The file is ready to import: nothing was saved yet" in response.content.decode()
    assert not Case.objects.exists() and not CaseImport.objects.exists()


def test_a_post_without_the_import_button_only_checks(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    response = client.post(IMPORT_URL, {"file": upload([row(practice_manager)])})
    assert response.status_code == 200 and not Case.objects.exists()


def test_import_loads_the_list_and_goes_to_the_case_list_with_a_summary(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)

    response = client.post(
        IMPORT_URL,
        {"file": upload([row(practice_manager), row(practice_manager, child_ref="C-1002")]), "mode": "import"},
    )

    assert response.status_code == 302 and response.url == LIST_URL
    assert Case.objects.count() == 2
    record = CaseImport.objects.get()
    assert (record.imported_by, record.file_name, record.created) == (qa_lead.user, "annex-a.csv", 2)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("The case list was imported. 2 cases in the file: 2 new")


def test_the_scripts_upload_is_told_where_to_go_instead_of_being_redirected(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)

    response = client.post(
        IMPORT_URL, {"file": upload([row(practice_manager)]), "mode": "import"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200 and response["HX-Redirect"] == LIST_URL
    assert Case.objects.count() == 1


def test_a_refused_file_lists_each_problem_by_row_and_column_beside_the_form(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    rows = [row(practice_manager), row(practice_manager, child_ref="C-1002", legal_status="s47", service_area="XYZ")]

    response = client.post(IMPORT_URL, {"file": upload(rows), "mode": "import"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "The file was refused: nothing was saved" in page and "2 problems in the file" in page
    assert "<td>3</td><td>service_area</td><td>&#x27;XYZ&#x27; is not a service area" in page
    assert "<td>3</td><td>legal_status</td><td>&#x27;s47&#x27; is not a legal status" in page
    assert 'name="file"' in page, "the form is offered again beside the problems"
    assert not Case.objects.exists() and not CaseImport.objects.exists()


def test_a_file_wrong_in_every_row_shows_the_first_problems_and_counts_them_all(
    client, qa_lead, practice_manager, settings
):
    client.force_login(qa_lead.user)
    rows = [row(practice_manager, child_ref=f"C-{n}", legal_status="nope") for n in range(tabular.ERRORS_SHOWN + 5)]

    response = client.post(IMPORT_URL, {"file": upload(rows), "mode": "check"})

    assert len(response.context["errors"]) == tabular.ERRORS_SHOWN
    assert f"the first {tabular.ERRORS_SHOWN} of {tabular.ERRORS_SHOWN + 5}" in response.content.decode()


def test_a_file_of_another_kind_is_refused_next_to_the_file_field(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    response = client.post(IMPORT_URL, {"file": upload([row(practice_manager)], name="annex-a.pdf"), "mode": "import"})
    assert response.context["form"].errors["file"] == [FILE_TYPE_INVALID]
    assert not Case.objects.exists()


def test_a_post_without_a_file_asks_for_one(client, qa_lead):
    client.force_login(qa_lead.user)
    response = client.post(IMPORT_URL, {"mode": "import"})
    assert response.status_code == 200 and response.context["form"].errors["file"]


@pytest.mark.parametrize("role", [Role.PRACTICE_MANAGER, Role.SERVICE_LEAD, Role.HEAD_OF_SERVICE, Role.READ_ONLY])
def test_only_the_qa_unit_and_administrators_may_upload_a_case_list(
    client, make_person, own_area, practice_manager, role
):
    client.force_login(make_person(role, own_area if role in (Role.PRACTICE_MANAGER, Role.SERVICE_LEAD) else None).user)
    response = client.post(IMPORT_URL, {"file": upload([row(practice_manager)]), "mode": "import"})
    assert response.status_code == 403 and not Case.objects.exists()


def test_an_administrator_may_upload_a_case_list(client, admin_person, practice_manager):
    client.force_login(admin_person.user)
    response = client.post(IMPORT_URL, {"file": upload([row(practice_manager)]), "mode": "import"})
    assert response.status_code == 302 and Case.objects.count() == 1


def test_the_upload_needs_the_forms_csrf_token(qa_lead, practice_manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(qa_lead.user)
    response = browser.post(IMPORT_URL, {"file": upload([row(practice_manager)]), "mode": "import"})
    assert response.status_code == 403 and not Case.objects.exists()


def test_the_upload_page_answers_only_get_and_post(client, qa_lead):
    client.force_login(qa_lead.user)
    assert client.put(IMPORT_URL).status_code == 405
    assert client.delete(IMPORT_URL).status_code == 405


# -- the case list --------------------------------------------------------------------------


def make_case(ref, area, *, team=None, worker=None, manager=None, status=LegalStatus.CIN, is_open=True) -> Case:
    return Case.objects.create(
        child_ref=ref,
        service_area=area,
        team=team,
        worker=worker,
        manager=manager,
        legal_status=status,
        open_since=date(2025, 1, 6),
        is_open=is_open,
        closed_on=None if is_open else date(2026, 10, 2),
    )


@pytest.fixture
def version(qa_lead):
    tool = services.tool_create(actor=qa_lead.user, name="Shared case audit", service_area=None, purpose="case_audit")
    return services.version_publish(actor=qa_lead.user, version=tool.versions.get())


def audit_of(
    reference, area, auditor, version, *, state=Audit.State.SUBMITTED, submitted=None, completed=None, case=None
):
    return Audit.objects.create(
        case_reference=reference,
        case=case,
        service_area=area,
        auditor=auditor,
        tool_version=version,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        state=state,
        submitted_at=submitted,
        completed_on=completed,
    )


@pytest.fixture
def world(own_area, other_area, own_team, other_team, worker, practice_manager, other_manager):
    return {
        "C-1": make_case(
            "C-1", own_area, team=own_team, worker=worker, manager=practice_manager, status=LegalStatus.CP
        ),
        "C-2": make_case("C-2", own_area, status=LegalStatus.CLA, is_open=False),
        "P-1": make_case("P-1", other_area, team=other_team, manager=other_manager, status=LegalStatus.CARE_LEAVER),
    }


def listed(client, user, **query) -> list[str]:
    client.force_login(user)
    response = client.get(LIST_URL, query)
    assert response.status_code == 200
    return [case.child_ref for case in response.context["table"].page.object_list.data]


def test_qa_sees_every_areas_cases(client, world, qa_lead):
    assert listed(client, qa_lead.user) == ["C-1", "C-2", "P-1"]


def test_a_practice_manager_sees_their_own_areas_cases_only(client, world, practice_manager):
    assert listed(client, practice_manager.user) == ["C-1", "C-2"]


def test_a_practitioner_may_not_read_the_case_list(client, world, worker):
    client.force_login(worker.user)
    assert client.get(LIST_URL).status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"service_area": "own_area"}, ["C-1", "C-2"]),
        ({"team": "other_team"}, ["P-1"]),
        ({"legal_status": "cla"}, ["C-2"]),
        ({"is_open": "true"}, ["C-1", "P-1"]),
        ({"is_open": "false"}, ["C-2"]),
        ({"child_ref": "p-"}, ["P-1"]),
        ({"service_area": "own_area", "is_open": "true"}, ["C-1"]),
    ],
)
def test_each_filter_narrows_the_list(client, world, qa_lead, own_area, other_team, query, expected):
    named = {"own_area": own_area.pk, "other_team": other_team.pk}
    assert listed(client, qa_lead.user, **{key: named.get(value, value) for key, value in query.items()}) == expected


def test_a_filter_cannot_name_an_area_outside_the_persons_own(client, world, practice_manager, other_area):
    client.force_login(practice_manager.user)
    response = client.get(LIST_URL, {"service_area": other_area.pk})
    assert response.context["filter"].errors and not response.context["table"].page.object_list.data


def test_the_list_shows_each_cases_columns_by_reference_only(client, world, qa_lead):
    client.force_login(qa_lead.user)
    page = client.get(LIST_URL, {"child_ref": "C-1"}).content.decode()
    for text in ("C-1", "SWF", "SWF East", "Wren Worker", "Child protection", "6 Jan 2025", "Open", "Never"):
        assert f">{text}<" in page, text
    assert "<caption>" in page


def test_last_audited_is_the_latest_completed_audit_of_the_case_by_link_or_reference(
    client, world, qa_lead, own_area, practice_manager, version
):
    at = lambda day: datetime(day.year, day.month, day.day, 23, 30, tzinfo=LONDON)  # noqa: E731
    audit_of("C-1", own_area, practice_manager, version, submitted=at(date(2026, 3, 4)))
    audit_of("X-9", own_area, practice_manager, version, submitted=at(date(2026, 5, 20)), case=world["C-1"])
    audit_of("C-1", own_area, practice_manager, version, state=Audit.State.DRAFT)  # not finished: not counted
    audit_of("C-2", own_area, practice_manager, version, state=Audit.State.CLOSED, completed=date(2023, 2, 1))
    client.force_login(qa_lead.user)

    response = client.get(LIST_URL)

    days = {case.child_ref: case.last_audited for case in response.context["table"].page.object_list.data}
    # 23:30 in London on 20 May: that day, though it is already 21 May nowhere (BST is UTC+1).
    assert days == {"C-1": date(2026, 5, 20), "C-2": date(2023, 2, 1), "P-1": None}
    assert ">20 May 2026<" in response.content.decode()


@pytest.mark.parametrize("column", ["child_ref", "service_area", "team", "worker", "open_since", "last_audited"])
def test_the_list_sorts_by_its_columns(client, world, qa_lead, column):
    client.force_login(qa_lead.user)
    for order in (column, f"-{column}"):
        assert client.get(LIST_URL, {"sort": order}).status_code == 200


def test_the_list_only_answers_get(client, world, qa_lead):
    client.force_login(qa_lead.user)
    assert client.post(LIST_URL).status_code == 405


def test_the_upload_button_is_offered_only_to_those_who_may_upload(client, world, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    assert IMPORT_URL in client.get(LIST_URL).content.decode()
    client.force_login(practice_manager.user)
    assert IMPORT_URL not in client.get(LIST_URL).content.decode()


def more_cases(world, areas, teams, people, version, auditor, n):
    start = Case.objects.count()
    made = Case.objects.bulk_create(
        Case(
            child_ref=f"M-{start + i}",
            service_area=areas[i % 2],
            team=teams[i % 2],
            worker=people[i % 2],
            legal_status=LegalStatus.CIN,
            open_since=date(2024, 1, 1),
        )
        for i in range(n)
    )
    for case in made:
        audit_of(
            case.child_ref, case.service_area, auditor, version, state=Audit.State.CLOSED, completed=date(2026, 1, 1)
        )


@pytest.mark.parametrize("who", ["qa_lead", "manager"])
def test_the_list_runs_the_same_queries_for_few_cases_and_many(
    client,
    world,
    who,
    qa_lead,
    practice_manager,
    own_area,
    other_area,
    own_team,
    other_team,
    worker,
    other_manager,
    version,
):
    user = {"qa_lead": qa_lead, "manager": practice_manager}[who].user
    client.force_login(user)
    grow = lambda n: more_cases(  # noqa: E731
        world, (own_area, other_area), (own_team, other_team), (worker, other_manager), version, practice_manager, n
    )

    def measure():
        client.get(LIST_URL, {"is_open": "true"})  # fill first-use caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, {"is_open": "true"})
        return len(response.context["table"].page.object_list), len(queries.captured_queries)

    grow(2)
    few_rows, few_queries = measure()
    grow(40)
    many_rows, many_queries = measure()

    assert many_rows >= few_rows + 20
    assert many_queries == few_queries
