"""The benchmarking pages: who sees and records what, the form's refusals next to their fields, the list's
fixed number of queries and the summary's figures on the page.

Dates are written out, so the tests run at the suite's today (frozen_today: 16 November 2026).
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.families import messages
from evidence.families.models import BenchmarkingForm, Concern
from quality.org.models import ChangeRecord

from .families_helpers import many, record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NOVEMBER = date(2026, 11, 10)


def _post_data(area, team, person, **changes) -> dict:
    data = {
        "case_reference": "C-3300",
        "service_area": area.pk,
        "team": team.pk,
        "completed_by": person.pk,
        "completed_on": "10/11/2026",
        "education_start": "on",
        "education_positive": "on",
        "housing_start": "on",
        "housing_end": "on",
    }
    return {**data, **changes}


@pytest.fixture
def forms_of_both_areas(practice_manager, other_manager, own_area, other_area, own_team, other_team):
    return (
        record(practice_manager, own_area, own_team, on=NOVEMBER, positive=3, reference="C-OWN-1"),
        record(other_manager, other_area, other_team, on=NOVEMBER, positive=1, reference="C-OTHER-1"),
    )


# --- access ------------------------------------------------------------------------------------------


def test_a_practice_manager_lists_and_opens_only_their_areas_forms(client, practice_manager, forms_of_both_areas):
    own, other = forms_of_both_areas
    client.force_login(practice_manager.user)

    listed = client.get(reverse("families:form_list"))

    assert [row.record for row in listed.context["table"].page.object_list] == [own]
    assert client.get(reverse("families:form_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("families:form_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("families:form_edit", args=[other.pk])).status_code == 404
    # The summary counts their area's forms only.
    assert client.get(reverse("families:summary"), {"period": "2026-11"}).context["figures"].forms == 1


def test_a_practice_manager_cannot_record_a_form_in_another_area(
    client, practice_manager, other_area, other_team, forms_of_both_areas
):
    client.force_login(practice_manager.user)

    response = client.post(reverse("families:form_create"), _post_data(other_area, other_team, practice_manager))

    assert response.status_code == 200
    assert "service_area" in response.context["form"].errors
    assert BenchmarkingForm.objects.count() == 2


def test_a_partner_auditor_sees_nothing_of_benchmarking(client, partner_auditor, forms_of_both_areas):
    own, _ = forms_of_both_areas
    client.force_login(partner_auditor.user)

    for url in (
        reverse("families:form_list"),
        reverse("families:summary"),
        reverse("families:form_create"),
        reverse("families:form_detail", args=[own.pk]),
        reverse("families:form_edit", args=[own.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_the_reader_reads_the_figures_but_no_case_reference(client, reader, forms_of_both_areas):
    client.force_login(reader.user)

    summary = client.get(reverse("families:summary"), {"period": "2026-Q4"})

    assert summary.status_code == 200
    assert summary.context["figures"].forms == 2
    assert b"C-OWN-1" not in summary.content
    assert client.get(reverse("families:form_list")).status_code == 403


def test_a_service_lead_reads_their_areas_forms_but_records_none(client, service_lead, forms_of_both_areas):
    own, _ = forms_of_both_areas
    client.force_login(service_lead.user)

    detail = client.get(reverse("families:form_detail", args=[own.pk]))

    assert detail.status_code == 200
    assert not detail.context["may_record"]
    assert client.get(reverse("families:form_create")).status_code == 403


# --- recording through the page ----------------------------------------------------------------------


def test_a_positive_outcome_for_an_unidentified_concern_is_shown_next_to_that_concern(
    client, practice_manager, own_area, own_team
):
    client.force_login(practice_manager.user)
    data = _post_data(own_area, own_team, practice_manager, crime_positive="on")

    response = client.post(reverse("families:form_create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"crime_positive": [messages.POSITIVE_NEEDS_CONCERN]}
    page = response.content.decode()
    assert 'id="id_crime_positive_error"' in page
    assert 'aria-describedby="id_crime_positive_error"' in page
    assert 'href="#id_crime_positive"' in page  # the error summary's link to the control
    assert not BenchmarkingForm.objects.exists()


def test_a_form_recorded_on_the_page_is_saved_once_with_its_change_record(client, practice_manager, own_area, own_team):
    client.force_login(practice_manager.user)
    page = client.get(reverse("families:form_create"))
    token = page.context["form"]["form_token"].value()
    data = _post_data(own_area, own_team, practice_manager, form_token=token)

    first = client.post(reverse("families:form_create"), data)
    again = client.post(reverse("families:form_create"), data)

    form = BenchmarkingForm.objects.get()
    assert first.url == again.url == form.get_absolute_url()
    assert form.completed_on == NOVEMBER
    assert list(form.concerns.filter(positive_outcome=True).values_list("concern", flat=True)) == [Concern.EDUCATION]
    assert form.concerns.get(concern=Concern.HOUSING).identified_at_end
    assert ChangeRecord.objects.get().summary == "Recorded the benchmarking form of case C-3300 (1 positive outcome)"


def test_changing_a_form_on_the_page_shows_what_changed_in_its_history(client, practice_manager, own_area, own_team):
    form = record(practice_manager, own_area, own_team, on=NOVEMBER, identified=2, positive=1, reference="C-3300")
    client.force_login(practice_manager.user)
    edit = client.get(reverse("families:form_edit", args=[form.pk]))
    assert edit.context["form"]["education_positive"].value() is True
    data = _post_data(own_area, own_team, practice_manager, early_years_start="on", early_years_positive="on")

    response = client.post(reverse("families:form_edit", args=[form.pk]), data, follow=True)

    assert response.status_code == 200
    assert "Good early years development, positive outcome: no to yes" in response.content.decode()


# --- the list and the summary on the page ------------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)  # caches filled on first use count the same both times
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_however_many_forms(
    client, qa_officer, practice_manager, own_area, own_team
):
    client.force_login(qa_officer.user)
    url = reverse("families:form_list")
    many(practice_manager, own_area, own_team, on=NOVEMBER, positives=[1, 3])
    few = _queries(client, url)

    many(practice_manager, own_area, own_team, on=NOVEMBER, positives=[0, 2, 4] * 10)

    assert _queries(client, url) == few
    assert few <= 12


def test_the_list_filters_by_period_area_and_team(
    client, qa_officer, practice_manager, own_area, own_team, forms_of_both_areas
):
    record(practice_manager, own_area, own_team, on=date(2026, 9, 30), reference="C-SEPT")
    client.force_login(qa_officer.user)

    def listed(**query):
        response = client.get(reverse("families:form_list"), query)
        return sorted(row.record.case_reference for row in response.context["table"].page.object_list)

    assert listed(period="2026-11") == ["C-OTHER-1", "C-OWN-1"]
    assert listed(period="2026-Q3") == ["C-SEPT"]
    assert listed(service_area=own_area.pk, period="2026") == ["C-OWN-1", "C-SEPT"]
    assert listed(team=own_team.pk, period="2026-11") == ["C-OWN-1"]
    by_outcomes = client.get(reverse("families:form_list"), {"sort": "-positive_outcomes"}).context["table"]
    assert [row.record.case_reference for row in by_outcomes.page.object_list][0] == "C-OWN-1"  # 3, then 1 and 1
    refused = client.get(reverse("families:form_list"), {"period": "November"})
    assert refused.context["filter"].errors["period"] == [
        "Give a month (2026-11), a quarter (2026-Q4) or a year (2026)."
    ]


def test_the_summary_page_shows_the_figures_the_chart_and_its_table(client, qa_lead, forms_of_both_areas):
    client.force_login(qa_lead.user)

    response = client.get(reverse("families:summary"))  # this quarter when nothing is chosen

    page = response.content.decode()
    assert response.context["period"].label == "Quarter 4 of 2026 (October to December 2026)"
    assert '<dd class="col-sm-6" data-figure="forms">2</dd>' in page
    assert '<dd class="col-sm-6" data-figure="three_or_more">1</dd>' in page
    assert '<dd class="col-sm-6" data-figure="one_or_two">1</dd>' in page
    assert 'role="img"' in page and "Getting a good education: 2; Good early years development: 1;" in page
    assert "<caption>Forms that identified each concern" in page


def test_the_summary_page_on_an_empty_period_says_so(client, qa_lead, forms_of_both_areas):
    client.force_login(qa_lead.user)

    response = client.get(reverse("families:summary"), {"period": "2025-Q4"})

    assert response.context["figures"].forms == 0
    assert "No benchmarking forms were completed in this period." in response.content.decode()
    assert 'role="img"' not in response.content.decode()
