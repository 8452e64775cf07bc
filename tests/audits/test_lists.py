"""The audit lists (mine, my area's, all), their CSV and XLSX exports, and the voices of children and families.

Four audits in two service areas, dated in October and November 2026 (Europe/London):

    C-1001  SWF  SWF East     case of the worker, by the manager    monthly  submitted 10 Nov  good       views
    C-1002  SWF  no team      case of a colleague, by the manager   monthly  draft, started 5 Oct         views
    C-1003  SWF  no team      case of a colleague, by a QA officer  monthly  closed, submitted 20 Oct  RI  no views
    P-2001  PTC  Care Leavers by the other area's manager           themed   submitted 3 Nov   inadequate views
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audits import services
from audits.filters import FILTERS_INVALID, MONTH_INVALID, AuditFilter
from audits.models import AnalysisArea, AreaGrade, Audit
from audits.selectors import AuditScope, audits_listed
from audits.templatetags.grade_tags import grade_tag_html
from quality.org.models import Person, Role, ServiceAreaName
from quality.reports.models import PracticeTheme
from quality.reports.themes import normalise_phrases
from tests.factories import ServiceAreaFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
LONG_AGO = datetime(2020, 1, 1, tzinfo=LONDON)
AUDIT_HEADERS = [
    "Case reference",
    "Service area",
    "Team",
    "Kind",
    "Theme",
    "Auditor",
    "State",
    "Overall grade",
    "Due date",
    "Submitted date",
    "Narrative / history",
    "Assessment and analysis",
    "Planning",
    "Relationship",
    "Outcomes",
    "Supervision",
    "Management oversight",
    "Discussion held",
    "Child contacted",
    "Family contacted",
]
VOICES_HEADERS = ["Case reference", "Service area", "Date", "What the child and family said"]


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


@dataclass
class World:
    own_area: object
    other_area: object
    own_team: object
    other_team: object
    worker: Person
    colleague: Person
    manager: Person
    qa_officer: Person
    other_lead: Person
    other_manager: Person
    qa_lead: Person
    version: object
    audits: dict

    def theme(self, name: str, *phrases: str) -> PracticeTheme:
        """A practice theme (the reports' own, which adds its filter to the audit lists)."""
        theme, _ = PracticeTheme.objects.get_or_create(name=name, defaults={"key_phrases": normalise_phrases(phrases)})
        return theme

    def audit(self, area, reference, auditor, *, created: date, grades: dict | None = None, **fields) -> Audit:
        audit = Audit.objects.create(
            case_reference=reference,
            service_area=area,
            auditor=auditor,
            tool_version=self.version,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            **fields,
        )
        Audit.objects.filter(pk=audit.pk).update(created_at=at(created, 9))  # auto_now_add sets it on create
        AreaGrade.objects.bulk_create(
            AreaGrade(audit=audit, area=area, grade=grade) for area, grade in (grades or {}).items()
        )
        self.audits[reference] = audit
        return audit


# The areas' first names date from long before the audits (the factory dates them today).
@pytest.fixture
def own_area(db):
    return ServiceAreaFactory(code="SWF", name="Social Work with Families", first_name=LONG_AGO)


@pytest.fixture
def other_area(db):
    return ServiceAreaFactory(code="PTC", name="Pathways Through Care", first_name=LONG_AGO)


@pytest.fixture
def world(make_person, own_area, other_area, own_team, other_team):
    qa_lead = make_person(Role.QA_LEAD, full_name="Quinn Lead")
    tool = services.tool_create(actor=qa_lead.user, name="Shared case audit", service_area=None, purpose="case_audit")
    world = World(
        own_area=own_area,
        other_area=other_area,
        own_team=own_team,
        other_team=other_team,
        worker=make_person(Role.PRACTITIONER, own_area, full_name="Wren Worker"),
        colleague=make_person(Role.PRACTITIONER, own_area, full_name="Cole Colleague"),
        manager=make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager"),
        qa_officer=make_person(Role.QA_OFFICER, full_name="Otto Officer"),
        other_lead=make_person(Role.SERVICE_LEAD, other_area, full_name="Lee Otherlead"),
        other_manager=make_person(Role.PRACTICE_MANAGER, other_area, full_name="Pat Othermanager"),
        qa_lead=qa_lead,
        version=services.version_publish(actor=qa_lead.user, version=tool.versions.get()),
        audits={},
    )
    world.audit(
        own_area,
        "C-1001",
        world.manager,
        created=date(2026, 11, 1),
        team=own_team,
        case_holder=world.worker,
        state=Audit.State.SUBMITTED,
        submitted_at=at(date(2026, 11, 10)),
        due_on=date(2026, 11, 14),
        overall_grade="good",
        discussion_held=True,
        child_contacted=False,
        family_contacted=None,
        child_family_views="I feel safe at home.\nI want to see my nan more.",
        grades={area: "good" for area in AnalysisArea.values} | {"planning": "requires_improvement"},
    )
    world.audit(
        own_area,
        "C-1002",
        world.manager,
        created=date(2026, 10, 5),
        case_holder=world.colleague,
        child_family_views="Words in a draft, not yet checked.",
    )
    world.audit(
        own_area,
        "C-1003",
        world.qa_officer,
        created=date(2026, 10, 1),
        case_holder=world.colleague,
        state=Audit.State.CLOSED,
        submitted_at=at(date(2026, 10, 20)),
        overall_grade="requires_improvement",
        discussion_held=False,
    )
    world.audit(
        other_area,
        "P-2001",
        world.other_manager,
        created=date(2026, 11, 1),
        team=other_team,
        kind=Audit.Kind.THEMED,
        theme="Neglect",
        state=Audit.State.SUBMITTED,
        submitted_at=at(date(2026, 11, 3)),
        overall_grade="inadequate",
        child_family_views="Mum: we were listened to.",
        grades={"outcomes": "inadequate"},
    )
    return world


def list_url(scope: str) -> str:
    return reverse(f"audits:audit_list_{scope}")


def export_url(scope: str, file_format: str) -> str:
    return reverse(f"audits:audit_export_{scope}_{file_format}")


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {row.record.case_reference for row in response.context["table"].page.object_list}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return [tuple("" if value is None else value for value in row) for row in sheet.iter_rows(values_only=True)]


# --- who sees what in each scope -----------------------------------------------------------------------

ALL_FOUR = {"C-1001", "C-1002", "C-1003", "P-2001"}
FORBIDDEN = 403
SCOPES = [
    ("worker", "mine", {"C-1001"}),
    ("worker", "area", {"C-1001"}),
    ("worker", "all", FORBIDDEN),
    ("manager", "mine", {"C-1001", "C-1002"}),
    ("manager", "area", {"C-1001", "C-1002", "C-1003"}),
    ("manager", "all", FORBIDDEN),
    ("other_lead", "mine", set()),
    ("other_lead", "area", {"P-2001"}),
    ("other_lead", "all", FORBIDDEN),
    ("qa_lead", "mine", set()),
    ("qa_lead", "area", ALL_FOUR),
    ("qa_lead", "all", ALL_FOUR),
    ("qa_officer", "mine", {"C-1003"}),
]


@pytest.mark.parametrize(("who", "scope", "expected"), SCOPES, ids=[f"{w}-{s}" for w, s, _ in SCOPES])
def test_each_scope_lists_exactly_the_audits_the_person_may_see(client, world, who, scope, expected):
    client.force_login(getattr(world, who).user)

    response = client.get(list_url(scope))

    if expected == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert listed(response) == expected


@pytest.mark.parametrize(("who", "scope", "expected"), SCOPES, ids=[f"{w}-{s}" for w, s, _ in SCOPES])
def test_each_scopes_csv_export_holds_exactly_the_audits_of_its_list(client, world, who, scope, expected):
    client.force_login(getattr(world, who).user)

    response = client.get(export_url(scope, "csv"))

    if expected == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert {row[0] for row in csv_rows(response)[1:]} == expected


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("who", ["worker", "manager", "other_lead"])
def test_area_scoped_roles_are_refused_the_all_audits_export(client, world, who, file_format):
    client.force_login(getattr(world, who).user)
    assert client.get(export_url("all", file_format)).status_code == 403


def test_the_list_shows_each_audits_columns_and_links_to_its_page(client, world):
    client.force_login(world.qa_lead.user)

    response = client.get(list_url("all"), {"service_area": world.own_area.pk, "state": "submitted"})

    table = response.context["table"]
    [row] = table.page.object_list
    assert {column.name: str(row.get_cell(column.name)) for column in table.columns} == {
        "case_reference": f'<a href="{world.audits["C-1001"].get_absolute_url()}">C-1001</a>',
        "area_name": "Social Work with Families",
        "team": "SWF East",
        "kind": "Monthly case audit",
        "theme": "—",
        "auditor": "Mona Manager",
        "state": "Submitted, awaiting oversight",
        "overall_grade": grade_tag_html("good"),
        "due_on": "14 Nov 2026",
        "submitted_at": "10 Nov 2026",
    }
    assert f'href="{world.audits["C-1001"].get_absolute_url()}"' in response.content.decode()


def test_the_list_shows_the_area_name_an_audit_was_made_under(client, world):
    ServiceAreaName.objects.create(
        service_area=world.own_area, name="Families First", valid_from=datetime(2026, 10, 15, tzinfo=LONDON)
    )
    world.own_area.name = "Families First"
    world.own_area.save()
    client.force_login(world.qa_lead.user)

    response = client.get(list_url("all"), {"service_area": world.own_area.pk})

    names = {row.record.case_reference: row.record.area_name for row in response.context["table"].page.object_list}
    assert names == {
        "C-1001": "Families First",
        "C-1002": "Social Work with Families",
        "C-1003": "Social Work with Families",
    }


def test_the_list_offers_the_scopes_the_person_may_use_as_tabs(client, world):
    client.force_login(world.manager.user)
    page = client.get(list_url("area")).content.decode()
    assert "My audits" in page and "My area&#x27;s audits" in page
    assert list_url("all") not in page

    client.force_login(world.qa_lead.user)
    assert list_url("all") in client.get(list_url("area")).content.decode()


LIST_COLUMNS = [
    "case_reference",
    "area_name",
    "team",
    "kind",
    "theme",
    "auditor",
    "state",
    "overall_grade",
    "due_on",
    "submitted_at",
]


@pytest.mark.parametrize("column", LIST_COLUMNS)
def test_the_list_sorts_by_each_of_its_columns_both_ways(client, world, column):
    client.force_login(world.qa_lead.user)
    ascending = client.get(list_url("all"), {"sort": column})
    descending = client.get(list_url("all"), {"sort": f"-{column}"})
    assert listed(ascending) == listed(descending) == ALL_FOUR
    # Each column holds at least two different values among the four audits, so the two orders differ.
    first = [row.record.pk for row in ascending.context["table"].page.object_list]
    last = [row.record.pk for row in descending.context["table"].page.object_list]
    assert first != last


def test_a_list_only_answers_get(client, world):
    client.force_login(world.qa_lead.user)
    assert client.post(list_url("all")).status_code == 405
    assert client.post(export_url("all", "csv")).status_code == 405
    assert client.post(reverse("audits:voices_list")).status_code == 405


# --- filters ---------------------------------------------------------------------------------------------

FILTERS = [
    ("month-november", lambda w: {"month": "2026-11"}, {"C-1001", "P-2001"}),
    ("month-october", lambda w: {"month": "2026-10"}, {"C-1002", "C-1003"}),
    ("service-area", lambda w: {"service_area": w.other_area.pk}, {"P-2001"}),
    ("team", lambda w: {"team": w.own_team.pk}, {"C-1001"}),
    ("kind", lambda w: {"kind": "themed"}, {"P-2001"}),
    ("theme", lambda w: {"theme": "negl"}, {"P-2001"}),
    ("overall-grade", lambda w: {"overall_grade": "good"}, {"C-1001"}),
    ("state", lambda w: {"state": "draft"}, {"C-1002"}),
    ("auditor", lambda w: {"auditor": w.manager.pk}, {"C-1001", "C-1002"}),
    ("area-and-month", lambda w: {"service_area": w.own_area.pk, "month": "2026-10"}, {"C-1002", "C-1003"}),
    ("nothing-matches", lambda w: {"state": "disputed"}, set()),
    # Completed in a period by the reports' rule (a draft never: C-1002 was started in October).
    (
        "completed-november",
        lambda w: {"completed_from": "2026-11-01", "completed_to": "2026-11-30"},
        {"C-1001", "P-2001"},
    ),
    ("completed-october", lambda w: {"completed_from": "2026-10-01", "completed_to": "2026-10-31"}, {"C-1003"}),
    ("completed-from", lambda w: {"completed_from": "2026-11-04"}, {"C-1001"}),
    ("completed-to", lambda w: {"completed_to": "2026-11-03"}, {"C-1003", "P-2001"}),
    ("completed-one-day", lambda w: {"completed_from": "2026-11-03", "completed_to": "2026-11-03"}, {"P-2001"}),
    ("practice-theme", lambda w: {"practice_theme": w.theme("Listening", "listened").pk}, {"P-2001"}),
    ("practice-theme-in-any-narrative", lambda w: {"practice_theme": w.theme("Home", "SAFE AT HOME").pk}, {"C-1001"}),
    (
        "practice-theme-and-period",
        lambda w: {"practice_theme": w.theme("Views", "nan", "listened").pk, "completed_to": "2026-11-05"},
        {"P-2001"},
    ),
]


@pytest.mark.parametrize(("query", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_each_filter_narrows_the_list_to_the_matching_audits(client, world, query, expected):
    client.force_login(world.qa_lead.user)
    assert listed(client.get(list_url("all"), query(world))) == expected


@pytest.mark.parametrize(("query", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_each_export_holds_exactly_the_rows_its_filters_match(client, world, query, expected):
    client.force_login(world.qa_lead.user)
    assert {row[0] for row in csv_rows(client.get(export_url("all", "csv"), query(world)))[1:]} == expected
    assert {row[0] for row in xlsx_rows(client.get(export_url("all", "xlsx"), query(world)))[1:]} == expected


def test_the_list_links_its_exports_to_its_own_filters(client, world):
    client.force_login(world.qa_lead.user)
    response = client.get(list_url("all"), {"kind": "themed", "page": "1", "sort": "due_on"})
    assert response.context["csv_url"] == f"{export_url('all', 'csv')}?kind=themed"
    assert response.context["xlsx_url"] == f"{export_url('all', 'xlsx')}?kind=themed"


def test_a_month_is_counted_in_london_time(client, world):
    # 23:30 on 31 August in UTC is half past midnight on 1 September in London (summer time).
    Audit.objects.filter(case_reference="P-2001").update(
        submitted_at=datetime(2026, 8, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    )
    client.force_login(world.qa_lead.user)
    assert listed(client.get(list_url("all"), {"month": "2026-09"})) == {"P-2001"}
    assert listed(client.get(list_url("all"), {"month": "2026-08"})) == set()


def test_a_month_that_is_not_a_month_is_refused_and_nothing_is_listed_or_exported(client, world):
    client.force_login(world.qa_lead.user)

    response = client.get(list_url("all"), {"month": "November"})
    assert listed(response) == set()
    assert response.context["filter"].form.errors["month"] == [MONTH_INVALID]
    assert MONTH_INVALID in response.content.decode()

    refused = client.get(export_url("all", "csv"), {"month": "2026-13"})
    assert refused.status_code == 400
    assert refused.content.decode() == FILTERS_INVALID


def test_a_completion_day_that_is_not_an_iso_day_or_an_unknown_theme_is_refused(client, world):
    client.force_login(world.qa_lead.user)

    for query, field in (
        ({"completed_from": "2026-02-30"}, "completed_from"),
        ({"completed_to": "next week"}, "completed_to"),
        ({"practice_theme": "999999"}, "practice_theme"),
    ):
        response = client.get(list_url("all"), query)
        assert listed(response) == set(), query
        assert field in response.context["filter"].form.errors
        assert client.get(export_url("all", "csv"), query).status_code == 400


def test_the_completion_period_counts_the_london_day_and_an_imported_audits_completion_day(client, world):
    # 23:30 on 31 October in UTC is 23:30 on 31 October in London (winter time): October. An imported
    # audit counts on the day it was completed, not the day it was loaded (its completed_on).
    Audit.objects.filter(case_reference="C-1001").update(
        submitted_at=datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    )
    Audit.objects.filter(case_reference="P-2001").update(completed_on=date(2026, 9, 30))
    client.force_login(world.qa_lead.user)

    october = {"completed_from": "2026-10-01", "completed_to": "2026-10-31"}
    assert listed(client.get(list_url("all"), october)) == {"C-1001", "C-1003"}
    september = {"completed_from": "2026-09-01", "completed_to": "2026-09-30"}
    assert listed(client.get(list_url("all"), september)) == {"P-2001"}


def test_the_practice_theme_filter_offers_every_theme_and_marks_those_no_longer_counted(client, world):
    counted = world.theme("Chronology", "chronolog")
    retired = PracticeTheme.objects.create(name="<b>Old</b> theme", key_phrases=["old"], is_active=False, order=5)
    client.force_login(world.other_lead.user)

    response = client.get(list_url("area"), {"practice_theme": retired.pk})

    field = response.context["filter"].form.fields["practice_theme"]
    assert [(c[0].value, str(c[1])) for c in list(field.choices)[1:]] == [
        (counted.pk, "Chronology"),
        (retired.pk, "&lt;b&gt;Old&lt;/b&gt; theme (no longer counted)"),
    ]
    assert listed(response) == set()
    assert "<b>Old</b>" not in response.content.decode()


def test_a_filter_cannot_name_a_service_area_outside_the_persons_own(client, world):
    client.force_login(world.other_lead.user)

    response = client.get(list_url("area"), {"service_area": world.own_area.pk})

    assert listed(response) == set()
    assert "service_area" in response.context["filter"].form.errors
    assert client.get(export_url("area", "csv"), {"service_area": world.own_area.pk}).status_code == 400
    choices = [str(area) for area in response.context["filter"].form.fields["service_area"].queryset]
    assert choices == [str(world.other_area)]


def test_the_team_and_auditor_filters_offer_only_what_the_person_may_see(client, world):
    client.force_login(world.other_lead.user)
    fields = client.get(list_url("area")).context["filter"].form.fields
    assert list(fields["team"].queryset) == [world.other_team]
    assert list(fields["auditor"].queryset) == [world.other_manager]


def field_block(page: str, name: str) -> str:
    """The filter form's markup of one field (templates/includes/filter_field.html), whitespace squeezed."""
    page = re.sub(r">\s+<", "><", page)
    start = page.index(f'<div id="div_id_{name}" class="mb-3">')
    return page[start : page.index("</div></div>", start)]


def test_each_filter_has_its_label_widget_error_and_help_tied_to_it(client, world):
    client.force_login(world.qa_lead.user)

    page = client.get(list_url("all"), {"month": "November", "kind": "themed"}).content.decode()

    month = field_block(page, "month")
    assert month.startswith('<div id="div_id_month" class="mb-3"><label for="id_month" class="form-label">Month</')
    [widget] = re.findall(r"<input [^>]*>", month)
    assert 'id="id_month"' in widget and 'value="November"' in widget
    assert 'class="textinput form-control is-invalid"' in widget and 'aria-invalid="true"' in widget
    assert 'aria-describedby="id_month_helptext id_month_error"' in widget
    # The error next to the field, then the help.
    assert month.endswith(
        f'<div id="id_month_error" class="invalid-feedback"><p id="error_1_id_month"><strong>{MONTH_INVALID}</strong>'
        '</p></div><div id="id_month_helptext" class="form-text">Completed in this month (a draft: started in it).'
    )
    kind = field_block(page, "kind")
    assert kind.startswith('<div id="div_id_kind" class="mb-3"><label for="id_kind" class="form-label">Kind</label>')
    assert '<select name="kind" class="listselect form-select" id="id_kind">' in kind
    assert "is-invalid" not in kind and "aria-invalid" not in kind and "invalid-feedback" not in kind
    # The choice made stays chosen, and only it.
    assert re.findall(r'<option value="(\w*)" selected>', kind) == ["themed"]


def test_a_drop_downs_options_are_read_by_one_query_however_often_it_is_written(world, rf):
    request = rf.get(list_url("all"), {"team": world.own_team.pk})
    request.user = world.qa_lead.user
    audits = AuditFilter(request.GET, queryset=audits_listed(request.user, AuditScope.ALL), request=request)
    assert audits.is_valid(), audits.errors

    with CaptureQueriesContext(connection) as queries:
        written = [str(audits.form["team"]) for _ in range(3)]

    # No server-side cursor (DECLARE, FETCH, CLOSE: three round trips each time), one plain query.
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SELECT"]
    assert written[0] == written[1] == written[2]
    assert re.findall(r'<option value="(\w*)"( selected)?>', written[0]) == [
        ("", ""),
        (str(world.other_team.pk), ""),  # by their area's code: PTC, then SWF
        (str(world.own_team.pk), " selected"),
    ]


# --- what the exports hold -----------------------------------------------------------------------------


def test_the_csv_export_has_the_list_columns_the_seven_area_grades_and_the_contacts(client, world):
    client.force_login(world.qa_lead.user)

    rows = csv_rows(client.get(export_url("all", "csv"), {"month": "2026-11"}))

    assert rows[0] == AUDIT_HEADERS
    by_reference = {row[0]: dict(zip(AUDIT_HEADERS, row, strict=True)) for row in rows[1:]}
    assert by_reference["C-1001"] == {
        "Case reference": "C-1001",
        "Service area": "Social Work with Families",
        "Team": "SWF East",
        "Kind": "Monthly case audit",
        "Theme": "",
        "Auditor": "Mona Manager",
        "State": "Submitted, awaiting oversight",
        "Overall grade": "Good",
        "Due date": "14/11/2026",
        "Submitted date": "10/11/2026",
        "Narrative / history": "Good",
        "Assessment and analysis": "Good",
        "Planning": "Requires Improvement",
        "Relationship": "Good",
        "Outcomes": "Good",
        "Supervision": "Good",
        "Management oversight": "Good",
        "Discussion held": "Yes",
        "Child contacted": "No",
        "Family contacted": "",
    }
    other = by_reference["P-2001"]
    assert (other["Theme"], other["Outcomes"], other["Planning"], other["Discussion held"]) == (
        "Neglect",
        "Inadequate",
        "",
        "",
    )


def test_the_xlsx_export_has_the_same_columns_with_real_dates(client, world):
    client.force_login(world.qa_lead.user)

    response = client.get(export_url("all", "xlsx"), {"service_area": world.own_area.pk, "state": "submitted"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="audits-all-')
    header, row = xlsx_rows(response)
    assert list(header) == AUDIT_HEADERS
    values = dict(zip(AUDIT_HEADERS, row, strict=True))
    assert values["Case reference"] == "C-1001"
    assert values["Due date"] == datetime(2026, 11, 14)  # a date cell, shown the British way by Excel
    assert values["Submitted date"] == datetime(2026, 11, 10)
    assert (values["Planning"], values["Supervision"], values["Child contacted"]) == (
        "Requires Improvement",
        "Good",
        "No",
    )


def test_an_export_never_lets_free_text_run_as_a_spreadsheet_formula(client, world):
    Audit.objects.filter(case_reference="P-2001").update(theme='=HYPERLINK("http://evil.example","Open")')
    client.force_login(world.qa_lead.user)

    csv_theme = csv_rows(client.get(export_url("all", "csv"), {"kind": "themed"}))[1][4]
    xlsx_theme = xlsx_rows(client.get(export_url("all", "xlsx"), {"kind": "themed"}))[1][4]

    assert csv_theme == xlsx_theme == '\'=HYPERLINK("http://evil.example","Open")'


def test_an_export_names_its_file_after_its_scope_and_the_day(client, world):
    client.force_login(world.manager.user)
    response = client.get(export_url("mine", "csv"))
    assert response["Content-Disposition"].startswith('attachment; filename="audits-mine-2')
    assert response["Content-Disposition"].endswith('.csv"')


# --- voices of children and families ---------------------------------------------------------------------


def voices(response) -> dict[str, str]:
    assert response.status_code == 200
    return {
        row.record.case_reference: row.record.child_family_views for row in response.context["table"].page.object_list
    }


def test_voices_show_what_was_recorded_on_submitted_audits_across_areas(client, world):
    client.force_login(world.qa_lead.user)

    response = client.get(reverse("audits:voices_list"))

    assert voices(response) == {
        "C-1001": "I feel safe at home.\nI want to see my nan more.",
        "P-2001": "Mum: we were listened to.",
    }  # not C-1002 (a draft) nor C-1003 (nothing recorded)
    page = response.content.decode()
    assert "I feel safe at home.<br>I want to see my nan more." in page
    assert f'href="{world.audits["P-2001"].get_absolute_url()}"' in page


def test_the_words_of_children_and_families_are_shown_as_text_never_as_markup(client, world):
    Audit.objects.filter(case_reference="P-2001").update(child_family_views='<script>alert("x")</script>')
    client.force_login(world.qa_lead.user)
    page = client.get(reverse("audits:voices_list")).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")' not in page


def test_a_service_lead_hears_the_voices_of_their_own_area_only(client, world):
    client.force_login(world.other_lead.user)
    assert set(voices(client.get(reverse("audits:voices_list")))) == {"P-2001"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda w: {"month": "2026-11", "service_area": w.own_area.pk}, {"C-1001"}),
        (lambda w: {"service_area": w.other_area.pk}, {"P-2001"}),
        (lambda w: {"month": "2026-10"}, set()),
    ],
    ids=["month-and-area", "area", "month-with-no-voices"],
)
def test_voices_narrow_by_month_and_service_area_in_the_page_and_the_export(client, world, query, expected):
    client.force_login(world.qa_lead.user)
    assert set(voices(client.get(reverse("audits:voices_list"), query(world)))) == expected
    rows = csv_rows(client.get(reverse("audits:voices_export_csv"), query(world)))
    assert {row[0] for row in rows[1:]} == expected


def test_the_voices_export_holds_the_reference_area_date_and_words(client, world):
    client.force_login(world.qa_lead.user)

    rows = csv_rows(client.get(reverse("audits:voices_export_csv")))

    assert rows == [
        VOICES_HEADERS,
        ["C-1001", "Social Work with Families", "10/11/2026", "I feel safe at home.\nI want to see my nan more."],
        ["P-2001", "Pathways Through Care", "03/11/2026", "Mum: we were listened to."],
    ]


@pytest.mark.parametrize("who", ["worker", "manager", "other_manager"])
def test_practitioners_and_practice_managers_are_refused_the_voices(client, world, who):
    client.force_login(getattr(world, who).user)
    assert client.get(reverse("audits:voices_list")).status_code == 403
    assert client.get(reverse("audits:voices_export_csv")).status_code == 403


# --- navigation ------------------------------------------------------------------------------------------


def nav_labels(response) -> list[str]:
    """Every label the navigation offers: its links and menus, and the links inside the menus."""
    items = response.context["navigation"]
    return [
        label for item in items for label in [item["label"], *(child["label"] for child in item.get("children", []))]
    ]


def test_the_navigation_offers_audits_to_all_and_voices_to_those_who_may_read_them(client, world):
    client.force_login(world.worker.user)
    labels = nav_labels(client.get(reverse("home")))
    assert "Audits" in labels and "Voices" not in labels

    client.force_login(world.other_lead.user)
    labels = nav_labels(client.get(reverse("home")))
    assert "Audits" in labels and "Voices" in labels


# --- the same queries for few rows and many -----------------------------------------------------------

FEW, MANY = 5, 40  # MANY stays on the first page of a list (50 a page)


def more_audits(world, n: int) -> None:
    """n submitted audits in each area, with views, area grades, teams and different auditors."""
    auditors = [world.manager, world.qa_officer]
    batch = Audit.objects.count()
    made = Audit.objects.bulk_create(
        Audit(
            case_reference=f"B-{area.code}-{batch}-{i}",
            service_area=area,
            team=team,
            case_holder=world.worker if area == world.own_area else None,
            auditor=auditors[i % 2],
            kind=Audit.Kind.MONTHLY,
            state=Audit.State.SUBMITTED,
            submitted_at=at(date(2026, 11, 1 + i % 20)),
            overall_grade="good",
            discussion_held=True,
            child_family_views=f"Said {i}",
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            tool_version=world.version,
        )
        for area, team in ((world.own_area, world.own_team), (world.other_area, world.other_team))
        for i in range(n)
    )
    AreaGrade.objects.bulk_create(
        AreaGrade(audit=audit, area=area, grade="good") for audit in made for area in AnalysisArea.values
    )


def rows_of_page(response) -> int:
    return len(response.context["table"].page.object_list)


def rows_of_csv(response) -> int:
    return len(csv_rows(response)) - 1


def rows_of_xlsx(response) -> int:
    return len(xlsx_rows(response)) - 1


MEASURED = [
    ("qa_lead", "audits:audit_list_all", {}, rows_of_page),
    ("manager", "audits:audit_list_mine", {"month": "2026-11"}, rows_of_page),
    ("manager", "audits:audit_list_area", {"state": "submitted", "team": "own_team"}, rows_of_page),
    ("qa_lead", "audits:audit_export_all_csv", {"month": "2026-11"}, rows_of_csv),
    ("worker", "audits:audit_export_mine_csv", {}, rows_of_csv),
    ("qa_lead", "audits:audit_export_area_xlsx", {"service_area": "own_area"}, rows_of_xlsx),
    ("qa_lead", "audits:voices_list", {"month": "2026-11"}, rows_of_page),
    ("other_lead", "audits:voices_list", {}, rows_of_page),
    ("qa_lead", "audits:voices_export_csv", {}, rows_of_csv),
]


def _query(world, query: dict) -> dict:
    # Filter values naming objects of the world are resolved to their ids.
    return {key: getattr(world, value).pk if hasattr(world, str(value)) else value for key, value in query.items()}


@pytest.mark.parametrize(("who", "url_name", "query", "rows"), MEASURED, ids=[f"{m[1]}-as-{m[0]}" for m in MEASURED])
def test_lists_and_exports_run_the_same_queries_for_few_rows_and_many(client, world, who, url_name, query, rows):
    client.force_login(getattr(world, who).user)
    url, data = reverse(url_name), _query(world, query)

    def measure():
        rows(client.get(url, data))  # fill first-use caches, so both measurements see the same
        with CaptureQueriesContext(connection) as queries:
            shown = rows(client.get(url, data))  # streamed exports are read inside the measurement
        return shown, [query["sql"] for query in queries.captured_queries]

    more_audits(world, FEW)
    few_rows, few_queries = measure()
    more_audits(world, MANY - FEW)
    many_rows, many_queries = measure()

    # At least half the added audits match each page's viewer and filters (the other half may be by another auditor).
    assert many_rows - few_rows >= (MANY - FEW) // 2, f"the added rows were not shown: {few_rows} then {many_rows}"
    extra = "\n".join(sql for sql in many_queries if sql not in few_queries) or "(the same statements, more often)"
    assert len(many_queries) == len(few_queries), (
        f"{url_name}: {len(few_queries)} queries for {few_rows} rows, {len(many_queries)} for {many_rows}.\n{extra}"
    )
