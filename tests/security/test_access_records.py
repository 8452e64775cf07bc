"""The record of who saw which child's record: each opening, print, PDF, export and report download is
written once with who, what and the case; writing it never fails the page; the QA lead and
administrators see who has seen an audit and search the record, by person and by case reference,
without the reference ever going into a URL; the records are kept as long as the security events."""

import csv
import io
import logging
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import Audit, AuditDocument, Escalation
from performance.models import PerformancePack
from quality.forms import DATE_INVALID
from quality.months import month_start
from quality.org.models import Role
from quality.security import access
from quality.security.models import AccessRecord, SecurityEvent
from quality.security.tasks import purge_old_security_events
from quality.security.views import SEARCH_ENDED
from tests.factories import published_tool_version
from tests.test_access_matrix import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

SEARCH = reverse("security:access_search")
SEARCH_EXPORT = reverse("security:access_export")
CASE = "C-104233"  # the `audit` fixture's case reference
Kind = AccessRecord.Kind


@pytest.fixture
def people(qa_lead, practice_manager, practitioner, service_lead, make_person, own_area, other_area):
    """The shared cast by their part around an audit, with a second manager in the own area and the
    other area's manager under the name the search results show."""
    return {
        "qa_lead": qa_lead,
        "auditor": practice_manager,
        "colleague": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Colin Colleague"),
        "worker": practitioner,
        "lead": service_lead,
        "other_manager": make_person(Role.PRACTICE_MANAGER, other_area, full_name="Otto Manager"),
    }


def audit_in(tool_version, practice_manager, case_reference, qa_lead):
    return services.audit_create(
        actor=qa_lead.user,
        case_reference=case_reference,
        service_area=tool_version.tool.service_area,
        auditor=practice_manager,
        tool_version=tool_version,
    )


@pytest.fixture
def audit(people, tool_version):
    return audit_in(tool_version, people["auditor"], CASE, people["qa_lead"])


@pytest.fixture
def other_audit(people, other_area):
    return audit_in(published_tool_version(area=other_area), people["other_manager"], "P-5501", people["qa_lead"])


def signed_in(client, person):
    client.force_login(person.user)
    return client


def only_record() -> AccessRecord:
    return AccessRecord.objects.get()


def what(record: AccessRecord) -> tuple:
    return record.user, record.kind, record.object_type, record.object_id, record.case_reference


# --- each kind of access writes exactly one record ---------------------------------------------------


def test_opening_an_audit_records_one_view_with_its_case(client, practice_manager, audit):
    assert signed_in(client, practice_manager).get(audit.get_absolute_url()).status_code == 200
    assert what(only_record()) == (practice_manager.user, Kind.VIEWED, "audits.audit", audit.pk, CASE)


def test_the_printable_page_records_one_print(client, practice_manager, audit):
    assert signed_in(client, practice_manager).get(reverse("audits:audit_print", args=[audit.pk])).status_code == 200
    assert what(only_record()) == (practice_manager.user, Kind.PRINTED, "audits.audit", audit.pk, CASE)


def test_downloading_the_pdf_records_one_download(client, practice_manager, audit):
    document = AuditDocument.objects.create(
        audit=audit,
        requested_by=practice_manager.user,
        state=AuditDocument.State.READY,
        file=ContentFile(b"%PDF-1.7\n", name="audit.pdf"),
        generated_at=timezone.now(),
    )
    url = reverse("audits:audit_document_download", args=[audit.pk, document.pk])
    response = signed_in(client, practice_manager).get(url)
    assert b"".join(response.streaming_content) == b"%PDF-1.7\n"
    assert what(only_record()) == (practice_manager.user, Kind.PDF_DOWNLOADED, "audits.audit", audit.pk, CASE)


def test_the_pdfs_status_page_is_no_access_to_the_record(client, practice_manager, audit):
    document = AuditDocument.objects.create(audit=audit, requested_by=practice_manager.user)
    url = reverse("audits:audit_document", args=[audit.pk, document.pk])
    assert signed_in(client, practice_manager).get(url).status_code == 200
    assert not AccessRecord.objects.exists()


def test_opening_a_learning_action_records_one_view_with_the_audits_case(client, people, audit):
    action = services.action_add(
        audit=audit, description="Chronology", owner=people["worker"], due_on=timezone.localdate()
    )
    assert signed_in(client, people["worker"]).get(action.get_absolute_url()).status_code == 200
    assert what(only_record()) == (people["worker"].user, Kind.VIEWED, "audits.learningaction", action.pk, CASE)


def test_opening_an_escalation_records_one_view_with_the_audits_case(client, people, audit):
    escalation = Escalation.objects.create(audit=audit, kind=Escalation.Kind.INADEQUATE, stage="awaiting_moderation")
    url = reverse("escalations:escalation_detail", args=[escalation.pk])
    assert signed_in(client, people["lead"]).get(url).status_code == 200
    assert what(only_record()) == (people["lead"].user, Kind.VIEWED, "audits.escalation", escalation.pk, CASE)


EXPORTS = [
    ("audits:audit_export_all_csv", {}, "audits-all"),
    ("audits:audit_export_all_xlsx", {}, "audits-all"),
    ("audits:audit_export_mine_csv", {}, "audits-mine"),
    ("audits:audit_export_area_csv", {}, "audits-area"),
    ("audits:voices_export_csv", {}, "voices-of-children-and-families"),
    ("escalations:overdue_export_csv", {}, "overdue-audits"),
    ("moderation:outcomes_csv", {}, "moderation-summary"),
    ("moderation:outcomes_json", {}, "moderation-summary"),
    ("moderation:calibration_csv", {}, "moderation-calibration"),
    ("performance:scorecard_csv", {"month": "2026-10"}, "scorecard"),
    ("performance:scorecard_xlsx", {"month": "2026-10"}, "scorecard"),
]


@pytest.mark.parametrize(("name", "kwargs", "list_name"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_every_list_export_records_one_export_with_its_filters_and_row_count(
    client, qa_lead, audit, name, kwargs, list_name
):
    response = signed_in(client, qa_lead).get(reverse(name, kwargs=kwargs), {"state": "draft", "page": "2"})
    assert response.status_code == 200
    b"".join(response.streaming_content) if response.streaming else response.content  # noqa: B018 -- sent
    record = only_record()
    assert (record.user, record.kind, record.object_type, record.object_id) == (
        qa_lead.user,
        Kind.LIST_EXPORTED,
        "list",
        None,
    )
    assert (record.list_name, record.filters) == (list_name, "state=draft")  # the page number is not a filter
    assert record.row_count is not None


def test_an_audit_export_counts_the_rows_its_filters_select(client, qa_lead, audit):
    signed_in(client, qa_lead)
    for state in ("draft", "closed"):
        client.get(reverse("audits:audit_export_all_csv"), {"state": state})
    assert list(AccessRecord.objects.order_by("pk").values_list("filters", "row_count")) == [
        ("state=draft", 1),
        ("state=closed", 0),
    ]


def test_the_security_events_export_is_recorded_too(client, admin_person):
    signed_in(client, admin_person).get(reverse("security:event_export"))
    assert (only_record().kind, only_record().list_name) == (Kind.LIST_EXPORTED, "security-events")


def test_downloading_a_report_and_a_performance_pack_records_one_download_each(client, qa_lead, own_area, other_area):
    world = World(own_area, other_area)
    report = world.report_to_read("own")
    pack = PerformancePack.objects.create(
        period=month_start(timezone.localdate()),
        requested_by=qa_lead.user,
        state=PerformancePack.State.READY,
        file=ContentFile(b"%PDF-1.7\n", name="pack.pdf"),
        generated_at=timezone.now(),
    )
    signed_in(client, qa_lead)
    assert client.get(reverse("reports:report_json", args=[report.pk])).status_code == 200
    assert b"".join(client.get(reverse("performance:pack_download", args=[pack.pk])).streaming_content)

    records = AccessRecord.objects.order_by("pk")
    assert [(r.kind, r.object_type, r.object_id, r.case_reference) for r in records] == [
        (Kind.REPORT_DOWNLOADED, "reports.report", report.pk, ""),
        (Kind.REPORT_DOWNLOADED, "performance.performancepack", pack.pk, ""),
    ]


@pytest.mark.parametrize("name", ["audits:audit_list_all", "audits:action_list_mine", "escalations:overdue_list"])
def test_a_list_page_is_not_an_access_record_only_its_export(client, qa_lead, audit, name):
    assert signed_in(client, qa_lead).get(reverse(name)).status_code == 200
    assert not AccessRecord.objects.exists()


def test_a_request_records_at_most_once(qa_lead, audit):
    request = RequestFactory().get("/")
    request.user = qa_lead.user
    access.record_access(request, Kind.VIEWED, audit)
    access.record_access(request, Kind.PRINTED, audit)
    assert what(only_record()) == (qa_lead.user, Kind.VIEWED, "audits.audit", audit.pk, CASE)


# --- recording never fails the page -----------------------------------------------------------------


def failing_insert(self, *args, **kwargs):
    """A real database error, as a full disk or a lost table gives: it aborts the transaction it is in."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO no_such_table_for_access_records VALUES (1)")


def test_a_database_error_while_recording_leaves_the_page_and_its_transaction_working(
    client, practice_manager, audit, caplog
):
    signed_in(client, practice_manager)
    with mock.patch.object(AccessRecord, "save", failing_insert), caplog.at_level(logging.WARNING, "quality.security"):
        response = client.get(audit.get_absolute_url())

    # The page ran its own queries after the failed insert: only its savepoint was rolled back.
    assert response.status_code == 200
    assert CASE in response.content.decode()
    assert Audit.objects.filter(pk=audit.pk).exists()  # and the test's transaction is still usable
    assert not AccessRecord.objects.exists()
    [line] = {record.getMessage() for record in caplog.records if record.levelno == logging.WARNING}
    assert line == (
        f"access_record_failed kind=viewed object_type=audits.audit object_id={audit.pk} user={practice_manager.user_id}"  # noqa: E501
        " error=ProgrammingError"
    )


def test_a_failure_log_line_names_no_case_and_no_one(client, practice_manager, audit, caplog):
    signed_in(client, practice_manager)
    with mock.patch.object(AccessRecord, "save", failing_insert), caplog.at_level(logging.DEBUG, "quality.security"):
        client.get(reverse("audits:audit_print", args=[audit.pk]))
    text = caplog.text
    assert "access_record_failed" in text
    assert CASE not in text and practice_manager.full_name not in text and practice_manager.user.email not in text


# --- "Who has seen this audit" on the audit's page --------------------------------------------------


@pytest.mark.parametrize("role", [Role.QA_LEAD, Role.ADMINISTRATOR])
def test_the_qa_lead_and_administrators_see_who_has_seen_the_audit(client, make_person, practice_manager, audit, role):
    signed_in(client, practice_manager).get(audit.get_absolute_url())
    client.get(reverse("audits:audit_print", args=[audit.pk]))
    viewer = make_person(role, full_name="Vera Viewer")

    body = signed_in(client, viewer).get(audit.get_absolute_url()).content.decode()

    panel = body[body.index("Who has seen this audit") :]
    assert re.search(r"Vera Viewer</td><td>[^<]+</td><td>Viewed", panel)  # their own opening, newest first
    assert re.search(r"Priya Manager</td><td>[^<]+</td><td>Printed page", panel)
    assert re.search(r"Priya Manager</td><td>[^<]+</td><td>Viewed", panel)
    assert f'href="{SEARCH}?audit={audit.pk}"' in panel


@pytest.mark.parametrize("who", ["auditor", "lead", "colleague"])
def test_nobody_else_has_the_panel_in_the_page_at_all(client, people, make_person, audit, who):
    signed_in(client, make_person(Role.HEAD_OF_SERVICE)).get(audit.get_absolute_url())
    body = signed_in(client, people[who]).get(audit.get_absolute_url()).content.decode()
    assert "Who has seen this audit" not in body and SEARCH not in body


def test_the_panel_shows_the_latest_twenty(client, qa_lead, practice_manager, audit):
    for _ in range(25):
        AccessRecord.objects.create(
            user=practice_manager.user, kind=Kind.VIEWED, object_type="audits.audit", object_id=audit.pk
        )
    body = signed_in(client, qa_lead).get(audit.get_absolute_url()).content.decode()
    panel = body[body.index("Who has seen this audit") :]
    assert panel.count("<td>Viewed</td>") == 20


# --- the search -------------------------------------------------------------------------------------


def search(client, **criteria):
    """POST the search as the form does; follow to the results (an opaque search id in the URL)."""
    response = client.post(SEARCH, criteria)
    assert response.status_code == 302
    return response


@pytest.fixture
def seen_twice(client, people, audit, other_audit):
    """The auditor opened the audit and printed it; the other area's manager opened theirs."""
    signed_in(client, people["auditor"]).get(audit.get_absolute_url())
    client.get(reverse("audits:audit_print", args=[audit.pk]))
    signed_in(client, people["other_manager"]).get(other_audit.get_absolute_url())
    client.logout()


def rows(response) -> list[list[str]]:
    body = response.content.decode()
    tbody = body[body.index("<tbody") : body.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.S)
    ]


def test_a_search_by_case_reference_finds_its_records_whatever_the_case_of_the_letters(client, qa_lead, seen_twice):
    signed_in(client, qa_lead)
    response = search(client, case_reference=CASE.lower())

    assert CASE.lower() not in response["Location"] and CASE not in response["Location"]
    assert re.fullmatch(rf"{SEARCH}\?search=[\w-]+", response["Location"])
    page = client.get(response["Location"])
    found = rows(page)
    assert [(row[1], row[2], row[4]) for row in found] == [
        ("Priya Manager", "Printed page", CASE),
        ("Priya Manager", "Viewed", CASE),
    ]


def test_the_results_pages_links_carry_no_case_reference(client, qa_lead, practice_manager, audit):
    for _ in range(3):
        AccessRecord.objects.create(
            user=practice_manager.user,
            kind=Kind.VIEWED,
            object_type="audits.audit",
            object_id=audit.pk,
            case_reference=CASE,
        )
    signed_in(client, qa_lead)
    location = search(client, case_reference=CASE)["Location"]
    page = client.get(location, {"per_page": 1})
    body = page.content.decode()
    links = re.findall(r'href="([^"]*)"', body)
    assert any("page=2" in link for link in links)  # paginated, by the search's id
    assert not [link for link in links if CASE.lower() in link.lower()]
    assert CASE in body  # the reference is in the page itself, where it belongs


def test_a_search_by_person_finds_only_theirs(client, qa_lead, people, seen_twice):
    signed_in(client, qa_lead)
    page = client.get(search(client, person=people["other_manager"].pk)["Location"])
    assert [(row[1], row[2], row[4]) for row in rows(page)] == [("Otto Manager", "Viewed", "P-5501")]


def test_a_search_by_kind_and_dates(client, qa_lead, seen_twice):
    today = timezone.localdate()
    signed_in(client, qa_lead)
    printed = client.get(search(client, kind=Kind.PRINTED, date_from=today, date_to=today)["Location"])
    assert [row[2] for row in rows(printed)] == ["Printed page"]
    tomorrow = today + timedelta(days=1)
    none = client.get(search(client, date_from=tomorrow)["Location"])
    assert "No access matches." in none.content.decode()


def test_the_audit_pages_link_lists_that_audits_records(client, qa_lead, audit, seen_twice):
    page = signed_in(client, qa_lead).get(SEARCH, {"audit": audit.pk})
    assert [row[4] for row in rows(page)] == [CASE, CASE]


def test_a_search_that_has_ended_says_so_and_shows_the_form(client, qa_lead, seen_twice):
    page = signed_in(client, qa_lead).get(SEARCH, {"search": "gone"})
    assert page.status_code == 200
    assert SEARCH_ENDED in page.content.decode()
    assert client.get(SEARCH_EXPORT, {"search": "gone"}).status_code == 400


def test_an_invalid_search_is_shown_with_its_error(client, qa_lead):
    response = signed_in(client, qa_lead).post(SEARCH, {"date_from": "not a date"})
    assert response.status_code == 422
    assert DATE_INVALID in response.content.decode()


def test_the_search_is_a_post_with_csrf(client, qa_lead):
    body = signed_in(client, qa_lead).get(SEARCH).content.decode()
    assert re.search(r'<form method="post" action="/security/access/"', body)
    assert 'name="csrfmiddlewaretoken"' in body


@pytest.mark.parametrize(
    "role", [Role.PRACTICE_MANAGER, Role.SERVICE_LEAD, Role.QA_OFFICER, Role.HEAD_OF_SERVICE, Role.SENIOR_LEADER]
)
def test_other_roles_may_not_search_nor_export(client, make_person, own_area, role):
    person = make_person(role, own_area if role in (Role.PRACTICE_MANAGER, Role.SERVICE_LEAD) else None)
    signed_in(client, person)
    assert client.get(SEARCH).status_code == 403
    assert client.post(SEARCH, {"case_reference": CASE}).status_code == 403
    assert client.get(SEARCH_EXPORT).status_code == 403


@pytest.mark.parametrize("role", [Role.QA_LEAD, Role.ADMINISTRATOR])
def test_the_qa_lead_and_administrators_may_search(client, make_person, role):
    assert signed_in(client, make_person(role)).get(SEARCH).status_code == 200


def results_queries(client, location) -> int:
    client.get(location)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(location).status_code == 200
    return len(captured.captured_queries)


def test_the_results_page_runs_the_same_queries_for_few_records_and_many(client, qa_lead, make_person, audit):
    def add(count):
        for i in range(count):
            person = make_person(Role.PRACTICE_MANAGER, audit.service_area, full_name=f"Viewer {i}")
            AccessRecord.objects.create(
                user=person.user, kind=Kind.VIEWED, object_type="audits.audit", object_id=audit.pk, case_reference=CASE
            )

    signed_in(client, qa_lead)
    location = search(client, case_reference=CASE)["Location"]
    add(3)
    few = results_queries(client, location)
    add(40)
    assert results_queries(client, location) == few


# --- the CSV ----------------------------------------------------------------------------------------


def test_the_csv_holds_what_the_search_found_and_is_itself_recorded(client, qa_lead, audit, seen_twice):
    signed_in(client, qa_lead)
    location = search(client, case_reference=CASE)["Location"]
    page = client.get(location)
    csv_url = re.search(r'href="(/security/access/export\.csv[^"]*)"', page.content.decode()).group(1)
    assert CASE not in csv_url

    response = client.get(csv_url.replace("&amp;", "&"))
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert lines[0] == ["When", "Person", "Access", "Record", "Case", "Rows exported", "Filters"]
    # The export's own record holds no case reference, so a search by case does not find it.
    assert [line[1:5] for line in lines[1:]] == [
        ["Priya Manager", "Printed page", f"Audit {audit.pk}", CASE],
        ["Priya Manager", "Viewed", f"Audit {audit.pk}", CASE],
    ]
    export = AccessRecord.objects.get(kind=Kind.LIST_EXPORTED)
    assert (export.user, export.list_name, export.row_count) == (qa_lead.user, "access-records", 2)
    assert export.filters == f"case_reference={CASE}"  # what was searched, in the database, not in a URL


# --- retention --------------------------------------------------------------------------------------


def test_records_older_than_the_retention_are_removed_and_counted(settings, practice_manager, audit, frozen_today):
    settings.SECURITY_EVENT_RETENTION = timedelta(days=730)
    old = AccessRecord.objects.create(
        user=practice_manager.user, kind=Kind.VIEWED, object_type="audits.audit", object_id=audit.pk
    )
    frozen_today.tick(timedelta(days=731))
    kept = AccessRecord.objects.create(
        user=practice_manager.user, kind=Kind.VIEWED, object_type="audits.audit", object_id=audit.pk
    )

    purge_old_security_events()

    assert list(AccessRecord.objects.all()) == [kept]
    assert not AccessRecord.objects.filter(pk=old.pk).exists()
    purged = SecurityEvent.objects.get(kind="events_purged")
    assert purged.detail["access_records_removed"] == 1
