"""The log's pages: who sees which rows, the summary counted by the database, the filters and exports,
typing an entry in and changing one, the upload (Check only, then Load), and a fixed number of queries."""

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from evidence.complaints import services
from evidence.complaints.models import Entry, Kind, Outcome, Theme
from evidence.complaints.selectors import summary_of
from quality.forms import DATE_INVALID
from quality.idempotency import TOKEN_FIELD
from quality.org.selectors import changes_to
from quality.security.models import AccessRecord

from .complaint_files import row, upload

pytestmark = pytest.mark.usefixtures("frozen_today")

LIST = reverse("complaints:entry_list")
IMPORT = reverse("complaints:entry_import")


def logged(area, *, reference, received=date(2026, 11, 2), kind=Kind.COMPLAINT, theme=Theme.COMMUNICATION, **fields):
    outcome = Outcome.NOT_APPLICABLE if kind == Kind.COMPLIMENT else fields.pop("outcome", Outcome.OPEN)
    return Entry.objects.create(
        received_on=received,
        service_area=area,
        kind=kind,
        theme=theme,
        outcome=outcome,
        source_reference=reference,
        **fields,
    )


@pytest.fixture
def log(own_area, other_area, own_team):
    """Three entries in SWF (one a compliment), one in PTC, one in SWF received before the period."""
    return {
        "swf-1": logged(own_area, reference="SWF-1", team=own_team, outcome=Outcome.UPHELD),
        "swf-2": logged(own_area, reference="SWF-2", theme=Theme.TIMELINESS, received=date(2026, 10, 20)),
        "swf-3": logged(own_area, reference="SWF-3", kind=Kind.COMPLIMENT, theme=Theme.CHILDS_VOICE),
        "ptc-1": logged(other_area, reference="PTC-1", theme=Theme.TIMELINESS),
        "swf-old": logged(own_area, reference="SWF-OLD", received=date(2026, 6, 1)),
    }


def references(response) -> set[str]:
    return {row.record.source_reference for row in response.context["table"].page.object_list}


def test_a_practice_manager_sees_only_their_areas_entries_and_counts(client, practice_manager, log):
    client.force_login(practice_manager.user)

    response = client.get(LIST)

    assert references(response) == {"SWF-1", "SWF-2", "SWF-3", "SWF-OLD"}
    summary = response.context["summary"]
    assert (summary.complaints, summary.compliments) == (3, 1)
    assert "Add a complaint or compliment" not in response.content.decode()  # they read; the QA unit records


def test_a_partner_auditor_and_the_read_only_reader_see_nothing(client, partner_auditor, reader, log):
    for person in (partner_auditor, reader):
        client.force_login(person.user)
        assert client.get(LIST).status_code == 403
        assert client.get(reverse("complaints:entry_export_csv")).status_code == 403


def test_the_summary_counts_by_kind_theme_and_outcome_for_the_filtered_period(client, qa_officer, log):
    client.force_login(qa_officer.user)

    response = client.get(LIST, {"received_from": "1/10/2026", "received_to": "16/11/2026"})

    assert references(response) == {"SWF-1", "SWF-2", "SWF-3", "PTC-1"}
    summary = response.context["summary"]
    assert (summary.complaints, summary.compliments, summary.total) == (3, 1, 4)
    assert [(theme.theme, theme.complaints, theme.compliments) for theme in summary.themes] == [
        (Theme.COMMUNICATION, 1, 0),
        (Theme.TIMELINESS, 2, 0),
        (Theme.CHILDS_VOICE, 0, 1),
    ]
    assert dict(summary.outcomes) == {
        "Open (not yet decided)": 2,
        "Upheld": 1,
        "Partly upheld": 0,
        "Not upheld": 0,
        "Withdrawn": 0,
    }


def test_the_summary_of_an_empty_period_counts_nothing(log):
    summary = summary_of(Entry.objects.filter(received_on__gt=date(2026, 11, 16)))

    assert (summary.total, summary.themes) == (0, [])
    assert {count for _, count in summary.outcomes} == {0}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "compliment"}, {"SWF-3"}),
        ({"theme": "timeliness"}, {"SWF-2", "PTC-1"}),
        ({"outcome": "upheld"}, {"SWF-1"}),
        ({"team": "own-team"}, {"SWF-1"}),
        ({"service_area": "other-area"}, {"PTC-1"}),
        ({"received_to": "31/10/2026"}, {"SWF-2", "SWF-OLD"}),
    ],
)
def test_each_filter_narrows_the_list(client, qa_officer, log, own_team, other_area, filters, expected):
    ids = {"own-team": own_team.pk, "other-area": other_area.pk}
    client.force_login(qa_officer.user)

    response = client.get(LIST, {name: ids.get(value, value) for name, value in filters.items()})

    assert references(response) == expected


def test_a_period_ending_before_it_starts_or_a_date_it_cannot_read_shows_no_rows_and_says_why(client, qa_officer, log):
    client.force_login(qa_officer.user)

    reversed_period = client.get(LIST, {"received_from": "1/11/2026", "received_to": "1/10/2026"})
    unreadable = client.get(LIST, {"received_from": "2026/31/1"})

    assert references(reversed_period) == references(unreadable) == set()
    assert "The period ends before it starts" in reversed_period.content.decode()
    assert DATE_INVALID in unreadable.content.decode()
    assert client.get(reverse("complaints:entry_export_csv"), {"received_from": "2026/31/1"}).status_code == 400


def test_the_csv_export_holds_the_filtered_rows_and_is_recorded(client, service_lead, log):
    client.force_login(service_lead.user)

    response = client.get(reverse("complaints:entry_export_csv"), {"theme": "timeliness"})

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "reference,received_on,service_area,team,kind,theme,outcome,learning,recorded_from"
    assert lines[1:] == ["SWF-2,20/10/2026,SWF,,Complaint,Timeliness and delay,Open (not yet decided),,Typed in"]
    record = AccessRecord.objects.get()
    assert (record.list_name, record.filters, record.row_count) == ("complaints-and-compliments", "theme=timeliness", 1)


def test_the_excel_export_holds_the_same_rows(client, qa_lead, log):
    client.force_login(qa_lead.user)

    response = client.get(reverse("complaints:entry_export_xlsx"), {"kind": "complaint"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "reference"
    assert sorted(line[0] for line in rows[1:]) == ["PTC-1", "SWF-1", "SWF-2", "SWF-OLD"]


@pytest.mark.parametrize("count", [2, 60])
def test_the_list_runs_a_fixed_number_of_queries_whatever_its_length(
    client, qa_officer, own_area, own_team, django_assert_num_queries, count
):
    for number in range(count):
        logged(own_area, reference=f"Q-{number}", team=own_team if number % 2 else None, theme=Theme.values[number % 9])
    client.force_login(qa_officer.user)

    # session (4), user, 2FA device, roles, count, page, summary (2), person (the menu), the filters' areas and teams
    with django_assert_num_queries(14):
        response = client.get(LIST)

    assert len(response.context["table"].page.object_list) == min(count, 50)


def test_the_qa_officer_types_in_a_compliment(client, qa_officer, own_area, own_team):
    client.force_login(qa_officer.user)
    form = client.get(reverse("complaints:entry_create")).context["form"]
    posted = {
        TOKEN_FIELD: form[TOKEN_FIELD].value(),
        "received_on": "13/11/2026",
        "kind": "compliment",
        "service_area": own_area.pk,
        "team": own_team.pk,
        "theme": "childs_voice",
        "outcome": "not_applicable",
        "learning": "Young person said their worker listened.",
        "source_reference": "",
    }

    response = client.post(reverse("complaints:entry_create"), posted)
    again = client.post(reverse("complaints:entry_create"), posted)  # a double click

    assert response.status_code == again.status_code == 302
    entry = Entry.objects.get()
    assert (entry.kind, entry.received_on, entry.team, entry.recorded_by) == (
        Kind.COMPLIMENT,
        date(2026, 11, 13),
        own_team,
        qa_officer.user,
    )


def test_a_refused_entry_shows_the_problem_next_to_the_field(client, qa_officer, own_area, other_team):
    client.force_login(qa_officer.user)

    response = client.post(
        reverse("complaints:entry_create"),
        {
            "received_on": "13/11/2026",
            "kind": "complaint",
            "service_area": own_area.pk,
            "team": other_team.pk,
            "theme": "communication",
            "outcome": "open",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "team": ["Care Leavers is not a team of SWF: choose one of the area's teams, or none."]
    }
    assert not Entry.objects.exists()


def test_changing_an_entry_records_the_change_with_the_reason(client, qa_lead, log):
    entry = log["swf-2"]
    client.force_login(qa_lead.user)
    url = reverse("complaints:entry_edit", args=[entry.pk])
    initial = client.get(url).context["form"].initial

    response = client.post(
        url,
        {
            "received_on": "20/10/2026",
            "kind": "complaint",
            "service_area": initial["service_area"].pk,
            "team": "",
            "theme": "timeliness",
            "outcome": "withdrawn",
            "learning": "",
            "source_reference": "SWF-2",
            "reason": "The family withdrew it on 12 November",
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.outcome == Outcome.WITHDRAWN
    record = changes_to(entry).get()
    assert (record.actor, record.reason) == (qa_lead.user, "The family withdrew it on 12 November")
    assert record.summary == "outcome: Open (not yet decided) -> Withdrawn"
    assert "The family withdrew it on 12 November" in client.get(url).content.decode()  # the page's history


def test_the_upload_checks_then_loads_the_kept_file(client, qa_officer, own_team):
    client.force_login(qa_officer.user)

    checked = client.post(IMPORT, {"file": upload([row("CMP-1"), row("CMP-2")]), "mode": "check"})
    assert "2 would be added" in checked.content.decode()
    assert not Entry.objects.exists()

    loaded = client.post(IMPORT, {"checked": checked.context["kept"].token, "mode": "import"})

    assert loaded.status_code == 302
    assert set(Entry.objects.values_list("source_reference", flat=True)) == {"CMP-1", "CMP-2"}


def test_a_bad_row_in_an_upload_is_listed_with_its_number_and_nothing_is_saved(client, qa_officer, own_team):
    client.force_login(qa_officer.user)

    response = client.post(
        IMPORT, {"file": upload([row("CMP-1"), row("CMP-2", kind="concern")], "export.xlsx"), "mode": "import"}
    )

    assert response.status_code == 200
    assert [(error.row, error.column) for error in response.context["errors"]] == [(3, "kind")]
    assert "&#x27;concern&#x27; is not complaint or compliment" in response.content.decode()
    assert not Entry.objects.exists()


def test_a_checked_file_is_loaded_only_by_the_person_who_checked_it(client, qa_officer, qa_lead, own_team):
    client.force_login(qa_officer.user)
    token = client.post(IMPORT, {"file": upload([row("CMP-1")]), "mode": "check"}).context["kept"].token
    client.force_login(qa_lead.user)

    response = client.post(IMPORT, {"checked": token, "mode": "import"})

    assert response.status_code == 200
    assert "Choose the file again" in response.content.decode()
    assert not Entry.objects.exists()


# -- an entry's own page: read-only, every field, through the access rules --


def test_an_entry_page_shows_every_field_and_the_text_as_text(client, qa_officer, practice_manager, own_area, own_team):
    entry = services.entry_create(
        actor=qa_officer.user,
        received_on=date(2026, 11, 2),
        service_area=own_area,
        team=own_team,
        kind=Kind.COMPLAINT,
        theme=Theme.TIMELINESS,
        outcome=Outcome.PARTLY_UPHELD,
        learning='Referrals are triaged daily.\n<script>alert("x")</script>',
        source_reference="cmp-2026-0412",
    )
    client.force_login(practice_manager.user)

    response = client.get(reverse("complaints:entry_detail", args=[entry.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    for shown in (
        "Complaint received 2 Nov 2026",
        "2 November 2026",
        "Social Work with Families (SWF)",
        "SWF East",
        "Timeliness and delay",
        "Partly upheld",
        "CMP-2026-0412",
        "Typed in",
        "Otto Officer",
        f"{entry.recorded_at.astimezone(timezone.get_current_timezone()):%-d %b %Y %H:%M}",
        "Referrals are triaged daily.<br>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
    ):
        assert shown in page, shown
    assert "<script>alert" not in page
    assert reverse("complaints:entry_edit", args=[entry.pk]) not in page  # they read; the QA unit changes


def test_a_loaded_entry_says_which_file_it_came_from(client, qa_officer, own_team):
    client.force_login(qa_officer.user)
    loaded = client.post(IMPORT, {"file": upload([row("CMP-9")], name="november.csv"), "mode": "import"})
    assert loaded.status_code == 302
    entry = Entry.objects.get()

    page = client.get(reverse("complaints:entry_detail", args=[entry.pk])).content.decode()

    assert "Complaints system export (november.csv, loaded" in page
    assert "Loaded from the complaints system export november.csv" in page  # its change history
    assert reverse("complaints:entry_edit", args=[entry.pk]) in page


def test_the_list_links_each_row_to_its_page(client, service_lead, log):
    client.force_login(service_lead.user)

    page = client.get(LIST).content.decode()

    for name in ("swf-1", "swf-2", "swf-3", "swf-old"):
        assert f'href="{reverse("complaints:entry_detail", args=[log[name].pk])}"' in page
    assert reverse("complaints:entry_detail", args=[log["ptc-1"].pk]) not in page


def test_an_entry_of_another_area_is_not_found(client, practice_manager, log):
    client.force_login(practice_manager.user)

    theirs = client.get(reverse("complaints:entry_detail", args=[log["ptc-1"].pk]))
    ours = client.get(reverse("complaints:entry_detail", args=[log["swf-1"].pk]))

    assert (theirs.status_code, ours.status_code) == (404, 200)


def test_an_entry_page_runs_a_fixed_number_of_queries(client, qa_lead, log, django_assert_num_queries):
    client.force_login(qa_lead.user)

    # session (4), user, 2FA device, roles, the entry with its area, team, recorder and load, its changes, person
    with django_assert_num_queries(10):
        assert client.get(reverse("complaints:entry_detail", args=[log["swf-1"].pk])).status_code == 200
