"""Observation pages through the test client (plan, record with its action plan, the observation's page,
practice weeks) and the demo. The suite's today is frozen (frozen_today: 16 November 2026)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evidence.observations import demo, messages
from evidence.observations.models import Observation, PracticeWeek
from evidence.observations.selectors import DUE, OBSERVED, OVERDUE, coverage
from quality.org import demo as org_demo
from quality.org.models import Role
from tests.factories import MembershipFactory, PersonFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def _member(role, team, name):
    person = PersonFactory(full_name=name)
    MembershipFactory(person=person, role=role, service_area=team.service_area, team=team)
    return person


@pytest.fixture
def team(own_area):
    return TeamFactory(service_area=own_area, name="SWF East")


def test_a_manager_plans_and_records_an_observation_with_its_action_plan_through_the_pages(client, team):
    version = demo.observation_tool_version()
    manager = _member(Role.PRACTICE_MANAGER, team, "Erin Eastmanager")
    worker = _member(Role.PRACTITIONER, team, "Wendy Worker")
    client.force_login(manager.user)
    assert client.get(reverse("observations:plan")).status_code == 200

    planned = client.post(
        reverse("observations:plan"),
        {
            "practitioner": worker.pk,
            "observer": manager.pk,
            "kind": "parent_interview",
            "planned_on": "12/11/2026",
            "tool_version": version.pk,
        },
    )
    observation = Observation.objects.get()
    assert planned.url == observation.get_absolute_url()
    record_url = reverse("observations:record", args=[observation.pk])
    assert "Action 3" in client.get(record_url).content.decode()

    fields = {
        "observed_on": "12/11/2026",
        "q-relationship": "good",
        "strengths": "Warm with the parents",
        "areas_for_development": "Summarise the plan at the end",
        "item-TOTAL_FORMS": "3",
        "item-INITIAL_FORMS": "0",
        "item-0-text": "Summarise the plan in writing",
        "item-0-owner": worker.pk,
        "item-0-review_on": "10/12/2026",
    }
    refused = client.post(record_url, fields)  # the tool's required yes/no question left out
    assert refused.status_code == 200
    assert messages.ANSWER_REQUIRED in refused.content.decode()
    missing_owner = client.post(record_url, fields | {"q-child-voice": "yes", "item-0-owner": ""})
    assert "Choose who owns this action." in missing_owner.content.decode()

    recorded = client.post(record_url, fields | {"q-child-voice": "yes"})

    assert recorded.status_code == 302
    observation.refresh_from_db()
    assert observation.state == Observation.State.RECORDED
    assert observation.observed_on == date(2026, 11, 12)
    item = observation.action_items.get()
    assert (item.text, item.owner, item.review_on) == ("Summarise the plan in writing", worker, date(2026, 12, 10))
    page = client.get(observation.get_absolute_url()).content.decode()
    for shown in ("Warm with the parents", "Summarise the plan in writing", "Planned an observation", "Good"):
        assert shown in page
    assert client.get(record_url).status_code == 302  # recorded once


def test_the_qa_unit_adds_a_practice_week_and_an_overlap_is_refused(client, qa_officer):
    client.force_login(qa_officer.user)
    url = reverse("observations:practice_week_add")

    client.post(url, {"starts_on": "05/12/2026", "ends_on": "09/12/2026"})
    overlap = client.post(url, {"starts_on": "08/12/2026", "ends_on": "12/12/2026"})

    assert PracticeWeek.objects.count() == 1
    assert messages.WEEK_OVERLAPS in overlap.content.decode()
    assert "5 December 2026" in client.get(reverse("observations:practice_weeks")).content.decode()


def test_the_demo_has_a_year_of_observations_with_some_practitioners_overdue_and_some_due(qa_lead):
    org_demo.load()
    demo.load()
    demo.load()  # again: adds nothing
    count = Observation.objects.count()
    demo.load()

    assert Observation.objects.count() == count > 0
    rows, teams = coverage(qa_lead.user, today=timezone.localdate())
    statuses = {row.status for row in rows}
    assert statuses == {OBSERVED, DUE, OVERDUE}
    assert PracticeWeek.objects.filter(starts_on=date(2026, 9, 26), ends_on=date(2026, 9, 30)).exists()
    oldest = Observation.objects.filter(state="recorded").order_by("observed_on").first().observed_on
    assert oldest >= timezone.localdate() - timedelta(days=400)
    assert Observation.objects.filter(practice_week__isnull=False, state="recorded").exists()
    assert Observation.objects.filter(state="planned").exists()
    assert Observation.objects.filter(kind="walk_the_floor", state="recorded").count() == 1


def test_an_observations_page_names_the_practice_themes_its_write_up_mentions(client, team):
    from evidence.observations.services import observation_plan, observation_record
    from quality.reports.models import PracticeTheme
    from quality.reports.themes import ensure_default_themes

    ensure_default_themes()
    PracticeTheme.objects.filter(name="Visiting").update(is_active=False)
    manager = _member(Role.PRACTICE_MANAGER, team, "Erin Eastmanager")
    worker = _member(Role.PRACTITIONER, team, "Wendy Worker")
    client.force_login(manager.user)

    def recorded(strengths: str, development: str) -> str:
        observation = observation_plan(
            actor=manager.user,
            practitioner=worker,
            observer=manager,
            kind="direct_work",
            planned_on=date(2026, 11, 12),
            tool_version=demo.observation_tool_version(),
        )
        observation_record(
            actor=manager.user,
            observation=observation,
            observed_on=date(2026, 11, 12),
            answers={"relationship": "good", "child-voice": "yes"},
            strengths=strengths,
            areas_for_development=development,
            action_items=[],
        )
        page = client.get(observation.get_absolute_url()).content.decode()
        return page.split("data-themes>", 1)[1].split("</dd>", 1)[0]

    # Upper case, inside longer words, and a deactivated theme (Visiting) left out.
    assert recorded("A CHRONOLOGY kept up to date on every visit", "Record supervision") == "Chronology, Supervision"
    assert recorded("Warm", "Record sooner") == "None of the practice themes the reports count"
