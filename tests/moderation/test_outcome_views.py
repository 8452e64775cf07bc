"""The outcome pages (moderation/outcome_views.py): who sees what, the period chooser, the downloads, the cost.

Decisions in two service areas in the third quarter of 2026 (own SWF: Mona's, other PTC: Pat's),
one in November (the current quarter: today is 23 November 2026), and one in 2025.
"""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from freezegun import freeze_time

from moderation.outcome_forms import (
    FILTERS_INVALID,
    PERIOD_AND_RANGE,
    PERIOD_INVALID,
    RANGE_BACKWARDS,
    RANGE_INCOMPLETE,
    parse_period,
)
from moderation.selectors import decisions_in, summary
from moderation.tables import FIGURES
from quality.org.models import Role
from tests.factories import published_tool_version

from .outcome_world import audit, decide, table

pytestmark = pytest.mark.django_db

Q3 = {"period": "2026-Q3"}
OWN_ROWS = [[1, 1, 0, 0], [1, 6, 3, 0], [0, 1, 4, 1], [0, 0, 1, 2]]  # 21 decisions, Mona's
OTHER_ROWS = [[0, 0, 0, 0], [0, 2, 2, 0], [0, 0, 1, 0], [0, 0, 0, 0]]  # 5 decisions, Pat's


@pytest.fixture(autouse=True)
def today():
    with freeze_time("2026-11-23 10:00:00"):
        yield


@pytest.fixture
def mona(make_person, own_area):
    """The own area's auditor, by her own name: the calibration rows the tests read are named."""
    return make_person(Role.PRACTICE_MANAGER, own_area, full_name="Mona Manager")


@pytest.fixture
def people(qa_lead, qa_officer, moderator, service_lead, other_lead, mona, other_manager, head_of_service):
    """The shared cast by the keys the parametrised tests name, with Mona as the own area's manager."""
    return {
        "qa_lead": qa_lead,
        "qa_officer": qa_officer,
        "moderator": moderator,
        "lead": service_lead,
        "other_lead": other_lead,
        "manager": mona,
        "other_manager": other_manager,
        "head": head_of_service,
    }


@pytest.fixture
def world(people, own_area, other_area):
    version = published_tool_version()
    table(version, own_area, people["manager"], OWN_ROWS, date(2026, 8, 14), "C")
    table(version, other_area, people["other_manager"], OTHER_ROWS, date(2026, 9, 30), "P")
    decide(audit(version, own_area, people["manager"], "C-NOV"), "good", "outstanding", date(2026, 11, 5))
    decide(audit(version, own_area, people["manager"], "C-2025"), "inadequate", "good", date(2025, 3, 1))
    return version


def get(client, person, url_name, data=None, **kwargs):
    client.force_login(person.user)
    return client.get(reverse(url_name, kwargs=kwargs or None), data or {})


def text(response) -> str:
    return response.content.decode()


# --- the outcomes page --------------------------------------------------------------------------


def test_the_qa_lead_sees_a_quarters_matrix_agreement_and_kappa_over_every_area(client, people, world):
    response = get(client, people["qa_lead"], "moderation:outcomes", Q3)

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures == summary(decisions_in(date(2026, 7, 1), date(2026, 9, 30)))
    assert figures["moderated"] == 26
    page = text(response)
    assert "Quarter 3 of 2026 (July to September 2026)" in page
    assert escape("Transition matrix: auditor's grade (rows) by moderated grade (columns)") in page
    low, high = figures["weighted_kappa_ci95"]
    assert f"{figures['weighted_kappa']:.3f} (95% confidence interval {low:.3f} to {high:.3f})" in page
    assert escape(figures["kappa_reading"]) in page
    assert 'role="img"' in page and '<title id="outcome-chart-title">' in page
    # The matrix: Good moderated to RI by Mona (3) and Pat (2) = 5, on a shaded, non-diagonal cell.
    heat = {row.grade: row for row in response.context["heat_rows"]}
    assert heat["good"].cells[2].count == 5
    assert heat["good"].cells[1].agrees and "heat-agree" in heat["good"].cells[1].css_class


def test_the_outcomes_page_labels_its_figures_as_the_reports_do(client, people, world):
    page = text(get(client, people["qa_lead"], "moderation:outcomes", Q3))

    for label in (*(figure.label for figure in FIGURES), "What kappa says"):
        assert escape(label) in page, label
    assert escape("Moderated up (a better grade than the auditor's)") in page


def test_every_outcome_page_says_which_grade_is_which(client, people, world):
    for url_name, kwargs in (
        ("moderation:outcomes", {}),
        ("moderation:calibration_list", {}),
        ("moderation:calibration_detail", {"pk": people["manager"].pk}),
    ):
        page = text(get(client, people["qa_lead"], url_name, Q3, **kwargs))
        assert "auditor's grade" in page.lower(), url_name
        assert "moderated grade" in page.lower(), url_name


def test_a_moderator_sees_the_outcomes_of_their_own_area_only(client, people, world):
    response = get(client, people["moderator"], "moderation:outcomes", Q3)

    assert response.status_code == 200
    assert response.context["figures"]["moderated"] == 21
    assert [area.code for area in response.context["form"].fields["service_area"].queryset] == ["SWF"]


def test_a_moderator_cannot_choose_another_area(client, people, world, other_area):
    response = get(client, people["moderator"], "moderation:outcomes", {**Q3, "service_area": other_area.pk})

    assert "service_area" in response.context["form"].errors
    assert "figures" not in response.context


def test_a_moderator_is_offered_no_auditor_filter_and_one_in_the_address_changes_nothing(client, people, world):
    response = get(client, people["moderator"], "moderation:outcomes", {**Q3, "auditor": people["manager"].pk})

    assert "auditor" not in response.context["form"].fields
    assert response.context["figures"]["auditor"] is None
    assert response.context["figures"]["moderated"] == 21


def test_the_qa_unit_narrows_the_outcomes_to_an_area_and_an_auditor(client, people, world, other_area):
    by_area = get(client, people["qa_officer"], "moderation:outcomes", {**Q3, "service_area": other_area.pk})
    by_auditor = get(client, people["qa_officer"], "moderation:outcomes", {**Q3, "auditor": people["manager"].pk})

    assert by_area.context["figures"]["moderated"] == 5
    assert by_area.context["figures"]["service_area"] == "PTC"
    assert by_auditor.context["figures"]["moderated"] == 21
    assert "audits by Mona Manager" in text(by_auditor)


@pytest.mark.parametrize(
    ("query", "moderated", "label"),
    [
        ({}, 1, "Quarter 4 of 2026 (October to December 2026)"),  # nothing chosen: this quarter
        ({"period": "2026-08"}, 21, "August 2026"),
        ({"period": "2026-q3"}, 26, "Quarter 3 of 2026"),
        ({"period": "2026"}, 27, "2026"),
        ({"period": "2025"}, 1, "2025"),
        ({"date_from": "2026-08-14", "date_to": "2026-09-29"}, 21, "14 August 2026 to 29 September 2026"),
        ({"date_from": "2026-09-30", "date_to": "2026-11-05"}, 6, "30 September 2026 to 5 November 2026"),
    ],
)
def test_the_period_is_a_month_a_quarter_a_year_or_a_range(client, people, world, query, moderated, label):
    response = get(client, people["qa_lead"], "moderation:outcomes", query)

    assert response.context["figures"]["moderated"] == moderated
    assert label in response.context["period"].label


def test_a_panels_outcomes_are_its_own_decisions_on_its_day(client, people, world, own_area):
    from moderation.models import Panel

    panel = Panel.objects.create(kind=Panel.Kind.MONTHLY, held_on=date(2026, 8, 14))
    mine = [audit(world, own_area, people["manager"], f"C-PANEL-{n}") for n in range(3)]
    for made, moderated in zip(mine, ("good", "requires_improvement", "requires_improvement"), strict=True):
        decide(made, "good", moderated, panel.held_on, panel=panel)

    response = get(client, people["moderator"], "moderation:outcomes", {"panel": panel.pk})

    figures = response.context["figures"]
    assert (figures["moderated"], figures["downgraded"], figures["panel"]) == (3, 2, panel.pk)
    assert (figures["date_from"], figures["date_to"]) == ("2026-08-14", "2026-08-14")
    assert "decided by the monthly heads-of-service panel of 14 August 2026" in text(response)
    # The same day's other decisions (21 from the table) are not the panel's.
    assert (
        get(client, people["moderator"], "moderation:outcomes", {"period": "2026-08"}).context["figures"]["moderated"]
        == 24
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period": "2026-13"}, "period", PERIOD_INVALID),
        ({"period": "last year"}, "period", PERIOD_INVALID),
        ({"period": "2026-Q5"}, "period", PERIOD_INVALID),
        ({"period": "2026", "date_from": "2026-01-01", "date_to": "2026-02-01"}, "__all__", PERIOD_AND_RANGE),
        ({"date_from": "2026-01-01"}, "date_to", RANGE_INCOMPLETE),
        ({"date_to": "2026-01-01"}, "date_from", RANGE_INCOMPLETE),
        ({"date_from": "2026-03-01", "date_to": "2026-01-01"}, "date_from", RANGE_BACKWARDS),
    ],
)
def test_a_period_that_is_not_one_is_refused_next_to_its_field_and_nothing_is_exported(
    client, people, world, query, field, message
):
    page = get(client, people["qa_lead"], "moderation:outcomes", query)
    exported = get(client, people["qa_lead"], "moderation:outcomes_csv", query)

    assert page.status_code == 200
    assert page.context["form"].errors[field] == [message]
    assert "figures" not in page.context
    assert exported.status_code == 400
    assert text(exported) == FILTERS_INVALID


def test_quarters_and_months_have_their_real_last_days():
    assert (parse_period("2028-02").end, parse_period("2026-Q1").end) == (date(2028, 2, 29), date(2026, 3, 31))
    assert (parse_period("2026Q4").start, parse_period("2026-Q4").end) == (date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize("who", ["manager", "lead", "head"])
def test_people_outside_moderation_and_qa_are_refused_the_outcomes(client, people, world, who):
    for url_name in ("moderation:outcomes", "moderation:outcomes_csv", "moderation:outcomes_json"):
        assert get(client, people[who], url_name, Q3).status_code == 403


def test_the_outcome_pages_only_answer_get(client, people, world):
    client.force_login(people["qa_lead"].user)
    for url_name, kwargs in (
        ("moderation:outcomes", {}),
        ("moderation:outcomes_json", {}),
        ("moderation:calibration_list", {}),
        ("moderation:calibration_detail", {"pk": people["manager"].pk}),
    ):
        assert client.post(reverse(url_name, kwargs=kwargs or None)).status_code == 405


# --- downloads: the command's files ------------------------------------------------------------


def command_output(*args) -> str:
    out = io.StringIO()
    call_command("moderation_summary", *args, stdout=out)
    return out.getvalue()


def test_the_json_download_is_what_the_command_prints_for_the_same_choices(client, people, world, own_area):
    response = get(client, people["qa_lead"], "moderation:outcomes_json", {**Q3, "service_area": own_area.pk})

    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"] == 'attachment; filename="moderation-summary-SWF-2026-07-01-to-2026-09-30.json"'
    )
    printed = command_output("--from", "2026-07-01", "--to", "2026-09-30", "--service-area", "SWF", "--format", "json")
    assert text(response) == printed
    assert json.loads(printed)["moderated"] == 21


def test_the_csv_download_is_what_the_command_writes_with_a_byte_order_mark_for_excel(client, people, world):
    response = get(
        client, people["qa_lead"], "moderation:outcomes_csv", {"date_from": "2026-07-01", "date_to": "2026-09-30"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="moderation-summary-2026-07-01-to-2026-09-30.csv"'
    body = text(response)
    assert body.startswith("\ufeff")
    assert body[1:] == command_output("--from", "2026-07-01", "--to", "2026-09-30", "--format", "csv")


def test_a_moderators_download_holds_their_own_areas_figures(client, people, world):
    response = get(client, people["moderator"], "moderation:outcomes_json", Q3)

    assert json.loads(response.content)["moderated"] == 21


def test_the_page_links_its_downloads_to_its_own_choices(client, people, world, own_area):
    response = get(client, people["qa_lead"], "moderation:outcomes", {**Q3, "service_area": own_area.pk})

    query = f"period=2026-Q3&service_area={own_area.pk}"
    assert response.context["csv_url"] == f"{reverse('moderation:outcomes_csv')}?{query}"
    assert response.context["json_url"] == f"{reverse('moderation:outcomes_json')}?{query}"


# --- calibration -----------------------------------------------------------------------------------


def test_the_qa_unit_sees_every_auditors_calibration(client, people, world):
    response = get(client, people["qa_officer"], "moderation:calibration_list", Q3)

    rows = {row.auditor_name: row for row in response.context["rows"]}
    assert set(rows) == {"Mona Manager", "Pat Othermanager"}
    # Mona (OWN_ROWS): up G->O 1, RI->G 1, I->RI 1 = 3; down O->G 1, G->RI 3, RI->I 1 = 5; 13 unchanged of 21.
    assert (rows["Mona Manager"].upgraded, rows["Mona Manager"].downgraded, rows["Mona Manager"].unchanged) == (
        3,
        5,
        13,
    )
    assert rows["Pat Othermanager"].changed_pct == 40.0
    page = text(response)
    assert reverse("moderation:calibration_detail", args=[people["manager"].pk]) + "?period=2026-Q3" in page


@pytest.mark.parametrize("who", ["lead", "moderator", "manager", "head"])
def test_everyone_outside_the_qa_unit_is_refused_the_table_of_all_auditors(client, people, world, who):
    assert get(client, people[who], "moderation:calibration_list", Q3).status_code == 403
    assert get(client, people[who], "moderation:calibration_csv", Q3).status_code == 403


def test_the_calibration_csv_has_a_row_per_auditor(client, people, world):
    response = get(client, people["qa_lead"], "moderation:calibration_csv", Q3)

    rows = list(csv.reader(io.StringIO(text(response).removeprefix("\ufeff"))))
    assert rows[0] == ["auditor_id", "auditor", "moderated", "upgraded", "downgraded", "unchanged", "changed_pct"]
    assert rows[1] == [str(people["manager"].pk), "Mona Manager", "21", "3", "5", "13", "38.1"]
    assert rows[2][1:] == ["Pat Othermanager", "5", "0", "2", "3", "40.0"]
    assert (
        response["Content-Disposition"] == 'attachment; filename="moderation-calibration-2026-07-01-to-2026-09-30.csv"'
    )


def test_a_service_lead_sees_the_calibration_of_an_auditor_in_their_area(client, people, world):
    response = get(client, people["lead"], "moderation:calibration_detail", Q3, pk=people["manager"].pk)

    assert response.status_code == 200
    assert response.context["figures"]["moderated"] == 21
    assert response.context["figures"]["upgraded"] == 3
    assert len(response.context["decisions"]) == 21
    assert "C-11-0" in text(response)  # a case reference, linked to its audit
    assert not response.context["may_see_all"]


def test_a_service_lead_of_another_area_cannot_find_the_auditor(client, people, world):
    assert (
        get(client, people["other_lead"], "moderation:calibration_detail", Q3, pk=people["manager"].pk).status_code
        == 404
    )


def test_a_moderator_may_not_see_an_auditors_calibration(client, people, world):
    assert (
        get(client, people["moderator"], "moderation:calibration_detail", Q3, pk=people["manager"].pk).status_code
        == 403
    )


def test_the_qa_unit_sees_any_auditors_calibration_with_a_way_back_to_all(client, people, world):
    response = get(client, people["qa_lead"], "moderation:calibration_detail", Q3, pk=people["other_manager"].pk)

    assert response.context["figures"]["moderated"] == 5
    assert response.context["may_see_all"]


def test_an_auditor_of_two_areas_is_shown_to_each_lead_over_their_own_area_only(
    client, people, world, make_person, other_area
):
    from quality.org.models import Membership

    Membership.objects.create(person=people["manager"], role=Role.PRACTICE_MANAGER, service_area=other_area)
    decide(audit(world, other_area, people["manager"], "P-MONA"), "good", "inadequate", date(2026, 8, 1))

    for who, moderated in (("lead", 21), ("other_lead", 1), ("qa_lead", 22)):
        response = get(client, people[who], "moderation:calibration_detail", Q3, pk=people["manager"].pk)
        assert response.context["figures"]["moderated"] == moderated, who


# --- what each page costs ----------------------------------------------------------------------


def more_decisions(world, people, own_area, other_area, n):
    rows = [[n, 0, 0, 0], [0, n, n, 0], [0, 0, n, 0], [0, 0, 0, n]]
    table(world, own_area, people["manager"], rows, date(2026, 8, 1), f"M{n}")
    table(world, other_area, people["other_manager"], rows, date(2026, 8, 1), f"N{n}")


MEASURED = [
    ("qa_lead", "moderation:outcomes", {}),
    ("moderator", "moderation:outcomes", {}),
    ("qa_lead", "moderation:outcomes_csv", {}),
    ("qa_lead", "moderation:outcomes_json", {"auditor": "manager"}),
    ("qa_lead", "moderation:calibration_list", {}),
    ("qa_lead", "moderation:calibration_csv", {}),
    ("lead", "moderation:calibration_detail", {"pk": "manager"}),
    ("qa_lead", "moderation:calibration_detail", {"pk": "manager"}),
]


@pytest.mark.parametrize(("who", "url_name", "extra"), MEASURED, ids=[f"{m[1]}-as-{m[0]}" for m in MEASURED])
def test_each_page_runs_the_same_queries_for_few_decisions_and_many(
    client, people, world, own_area, other_area, who, url_name, extra
):
    client.force_login(people[who].user)
    kwargs = {"pk": people[extra["pk"]].pk} if "pk" in extra else None
    data = {**Q3, **({"auditor": people[extra["auditor"]].pk} if "auditor" in extra else {})}
    url = reverse(url_name, kwargs=kwargs)

    def measure():
        client.get(url, data)  # fill first-use caches, so both measurements see the same
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, data)
        assert response.status_code == 200
        return response.content, [query["sql"] for query in queries.captured_queries]

    few_content, few = measure()
    more_decisions(world, people, own_area, other_area, 10)
    many_content, many = measure()

    assert many_content != few_content, "the added decisions did not show"
    assert len(many) == len(few), "\n".join(sql for sql in many if sql not in few)
