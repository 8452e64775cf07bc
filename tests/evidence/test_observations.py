"""Observations of practice: planning and recording, coverage on hand-built teams, who sees what, the
action plan, and the reminder before a practice week.

The suite's today is frozen (frozen_today: 16 November 2026); dates count back from it.
"""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from evidence.observations import messages
from evidence.observations.demo import OBSERVATION_SECTIONS, observation_tool_version
from evidence.observations.models import ActionItem, Observation, ObservationReminder, PracticeWeek
from evidence.observations.reminders import practice_week_reminders_send
from evidence.observations.selectors import DUE, OBSERVED, OVERDUE, coverage, observations_listed
from evidence.observations.services import (
    ActionItemDraft,
    action_item_done,
    observation_plan,
    observation_record,
    practice_week_create,
)
from evidence.observations.tasks import send_practice_week_reminders
from quality.access import visible
from quality.org.models import ChangeRecord, Membership, Notification, Role
from quality.org.selectors import changes_to
from tests.factories import MembershipFactory, PersonFactory, TeamFactory, person_with_role, published_tool_version
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (the worker fixture)

pytestmark = [pytest.mark.django_db]

ANSWERS = {"relationship": "good", "child-voice": "yes"}


def _today():
    return timezone.localdate()


def _member(role, team, name):
    person = PersonFactory(full_name=name)
    MembershipFactory(person=person, role=role, service_area=team.service_area, team=team)
    return person


@pytest.fixture
def version(db):
    return observation_tool_version()


@pytest.fixture
def teams(own_area):
    east = TeamFactory(service_area=own_area, name="SWF East")
    west = TeamFactory(service_area=own_area, name="SWF West")
    return east, west


@pytest.fixture
def east_manager(teams):
    return _member(Role.PRACTICE_MANAGER, teams[0], "Erin Eastmanager")


@pytest.fixture
def west_manager(teams):
    return _member(Role.PRACTICE_MANAGER, teams[1], "Will Westmanager")


def _observed(practitioner, observer, on: date, version, **record):
    observation = observation_plan(
        actor=observer.user,
        practitioner=practitioner,
        observer=observer,
        kind="direct_work",
        planned_on=on,
        tool_version=version,
    )
    fields = {"answers": ANSWERS, "strengths": "Warm", "areas_for_development": "Record", "action_items": []}
    return observation_record(actor=observer.user, observation=observation, observed_on=on, **fields | record)


# --- planning and recording ----------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_today")
def test_an_observation_keeps_the_practitioners_team_the_tool_version_and_the_practice_week(
    teams, east_manager, version
):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    week = practice_week_create(actor=None, starts_on=date(2026, 9, 26), ends_on=date(2026, 9, 30))

    observation = _observed(
        worker,
        east_manager,
        date(2026, 9, 28),
        version,
        action_items=[ActionItemDraft(text="Use the child's words", owner=worker, review_on=date(2026, 10, 28))],
    )

    assert (observation.team, observation.service_area) == (teams[0], teams[0].service_area)
    assert observation.tool_version == version
    assert observation.practice_week == week
    assert observation.state == Observation.State.RECORDED
    assert dict(observation.answers.values_list("question__key", "value")) == ANSWERS
    assert observation.action_items.get().owner == worker
    assert [c.action for c in changes_to(observation).order_by("at", "pk")] == [
        "observation.plan",
        "observation.record",
    ]


def test_an_observation_outside_a_practice_week_says_so(teams, east_manager, version):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    practice_week_create(actor=None, starts_on=_today() + timedelta(days=10), ends_on=_today() + timedelta(days=14))

    assert _observed(worker, east_manager, _today(), version).practice_week is None


def test_a_required_answer_left_out_is_refused_next_to_its_question(teams, east_manager, version):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")

    with pytest.raises(ValidationError) as refused:
        _observed(worker, east_manager, _today(), version, answers={"relationship": "good"})

    assert refused.value.message_dict == {"q-child-voice": [messages.ANSWER_REQUIRED]}
    assert not Observation.objects.filter(state=Observation.State.RECORDED).exists()


def test_another_teams_manager_may_not_observe_and_a_senior_manager_only_walks_the_floor(
    teams, west_manager, head_of_service, version
):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    plan = {"actor": None, "practitioner": worker, "planned_on": _today(), "tool_version": version}

    with pytest.raises(ValidationError) as refused:
        observation_plan(observer=west_manager, kind="direct_work", **plan)
    assert refused.value.message_dict == {"observer": [messages.OBSERVER_MAY_NOT]}
    with pytest.raises(ValidationError):
        observation_plan(observer=head_of_service, kind="meeting", **plan)

    visit = observation_plan(observer=head_of_service, kind="walk_the_floor", **plan)
    assert visit.observer == head_of_service


def test_only_a_published_observation_tool_is_accepted(teams, east_manager):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    audit_tool = published_tool_version(name="Case audit", purpose="case_audit")

    with pytest.raises(ValidationError) as refused:
        observation_plan(
            actor=None,
            practitioner=worker,
            observer=east_manager,
            kind="direct_work",
            planned_on=_today(),
            tool_version=audit_tool,
        )
    assert refused.value.message_dict == {"tool_version": [messages.TOOL_NOT_FOR_OBSERVATIONS]}


def test_no_audit_can_be_started_on_an_observation_tool(own_area, practice_manager, version):
    from audits import services as audit_services
    from audits.messages import TOOL_NOT_FOR_AUDITS

    with pytest.raises(ValidationError) as refused:
        audit_services.audit_create(
            actor=None, case_reference="C-1", service_area=own_area, auditor=practice_manager, tool_version=version
        )
    assert refused.value.message_dict["tool_version"] == [TOOL_NOT_FOR_AUDITS]


def test_the_audit_start_form_offers_no_observation_tool_and_the_tool_form_lets_the_qa_unit_make_one(version):
    from audits.forms import AuditStartForm, ToolForm

    audit_tool = published_tool_version(name="Case audit", purpose="case_audit")
    offered = {value for _, options in AuditStartForm().fields["tool_version"].choices[1:] for value, _ in options}

    assert audit_tool.pk in offered and version.pk not in offered
    assert "observation" in dict(ToolForm().fields["purpose"].choices)


def test_an_action_item_is_done_once_with_the_day_it_was_reviewed_in_supervision(teams, east_manager, version):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    draft = ActionItemDraft(text="Record the child's words", owner=worker, review_on=_today())
    item = _observed(worker, east_manager, _today(), version, action_items=[draft]).action_items.get()

    action_item_done(actor=east_manager.user, item=item, done_on=_today() - timedelta(days=1))

    item.refresh_from_db()
    assert item.done_on == _today() - timedelta(days=1)
    assert ChangeRecord.objects.filter(action="observation.action_done", target_id=item.observation_id).count() == 1
    with pytest.raises(ValidationError):
        action_item_done(actor=east_manager.user, item=item, done_on=_today())


# --- coverage ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_today")
def test_coverage_of_hand_built_teams(teams, east_manager, west_manager, qa_lead, version):
    east, west = teams
    today = _today()
    recent = _member(Role.PRACTITIONER, east, "Rita Recent")
    eleven = _member(Role.PRACTITIONER, east, "Eli Eleven")
    thirteen = _member(Role.PRACTITIONER, east, "Theo Thirteen")
    _member(Role.PRACTITIONER, east, "Nina Never")
    mover = _member(Role.PRACTITIONER, east, "Mo Mover")
    _observed(recent, east_manager, today - relativedelta(months=2), version)
    _observed(eleven, east_manager, today - relativedelta(months=11), version)
    _observed(thirteen, east_manager, today - relativedelta(months=13), version)
    made_in_east = _observed(mover, east_manager, today - relativedelta(months=4), version)
    # Mo moves to the west team: the observation stays with the east team, his coverage goes with him.
    Membership.objects.filter(person=mover).update(ended_at=timezone.now())
    MembershipFactory(person=mover, role=Role.PRACTITIONER, service_area=west.service_area, team=west)

    rows, counts = coverage(qa_lead.user, today=today)

    status = {row.person.full_name: (row.team.name, row.status, row.last_observed) for row in rows}
    assert status == {
        "Rita Recent": ("SWF East", OBSERVED, today - relativedelta(months=2)),
        "Eli Eleven": ("SWF East", DUE, today - relativedelta(months=11)),
        "Theo Thirteen": ("SWF East", OVERDUE, today - relativedelta(months=13)),
        "Nina Never": ("SWF East", OVERDUE, None),
        "Mo Mover": ("SWF West", OBSERVED, today - relativedelta(months=4)),
    }
    assert [(t.team, t.practitioners, t.observed, t.due, t.overdue) for t in counts] == [
        ("SWF East", 4, 1, 1, 2),
        ("SWF West", 1, 1, 0, 0),
    ]
    made_in_east.refresh_from_db()
    assert made_in_east.team == east


def test_a_year_to_the_day_is_overdue_and_a_day_less_is_due(teams, east_manager, qa_lead, version):
    today = _today()
    exactly = _member(Role.PRACTITIONER, teams[0], "Ann Anniversary")
    day_less = _member(Role.PRACTITIONER, teams[0], "Dan Dayless")
    _observed(exactly, east_manager, today - relativedelta(years=1), version)
    _observed(day_less, east_manager, today - relativedelta(years=1) + timedelta(days=1), version)

    rows, _ = coverage(qa_lead.user, today=today)

    assert {row.person.full_name: row.status for row in rows} == {"Ann Anniversary": OVERDUE, "Dan Dayless": DUE}


def _coverage_queries(client, django_assert_num_queries, user, expected_rows):
    client.force_login(user)
    client.get(reverse("observations:coverage"))  # warm the session and the grant's caches
    with django_assert_num_queries(QUERIES) as captured:
        response = client.get(reverse("observations:coverage"))
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">') - len(response.context["teams"]) == expected_rows
    return captured


QUERIES = 12  # session, user, grant, the chooser's areas and teams, the rows, the counts, the menu and base page's


@pytest.mark.parametrize("practitioners", [2, 30])
def test_the_coverage_page_takes_the_same_queries_for_few_and_many_practitioners(
    client, django_assert_num_queries, teams, east_manager, qa_lead, version, practitioners
):
    for number in range(practitioners):
        worker = _member(Role.PRACTITIONER, teams[number % 2], f"Worker {number}")
        if number % 3 == 0:
            _observed(worker, east_manager if number % 2 == 0 else qa_lead, _today(), version)

    _coverage_queries(client, django_assert_num_queries, qa_lead.user, practitioners)


# --- access --------------------------------------------------------------------------------------


def test_who_sees_an_observation(teams, east_manager, west_manager, version, own_area, partner_auditor, qa_officer):
    east, west = teams
    worker = _member(Role.PRACTITIONER, east, "Wendy Worker")
    colleague = _member(Role.PRACTITIONER, east, "Colin Colleague")
    west_worker = _member(Role.PRACTITIONER, west, "Wes Westworker")
    lead = person_with_role(Role.SERVICE_LEAD, own_area, full_name="Sam Lead")
    draft = ActionItemDraft(text="Record the child's words", owner=worker, review_on=_today())
    observation = _observed(worker, east_manager, _today(), version, action_items=[draft])
    west_observation = _observed(west_worker, west_manager, _today(), version)

    def seen_by(person):
        return set(observations_listed(person.user))

    assert seen_by(worker) == {observation}
    assert seen_by(colleague) == set()
    assert seen_by(east_manager) == {observation}
    assert seen_by(west_manager) == {west_observation}
    assert seen_by(lead) == {observation, west_observation}
    assert seen_by(qa_officer) == {observation, west_observation}
    assert seen_by(partner_auditor) == set()
    items = ActionItem.objects.all()
    assert list(visible(worker.user, items)) == list(visible(east_manager.user, items)) == list(items)
    assert set(visible(colleague.user, items)) == set(visible(west_manager.user, items)) == set()


def test_pages_for_the_practitioner_and_another_teams_manager(client, teams, east_manager, west_manager, version):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    observation = _observed(worker, east_manager, _today(), version)
    url = reverse("observations:detail", args=[observation.pk])

    client.force_login(worker.user)
    assert client.get(url).status_code == 200
    assert client.get(reverse("observations:record", args=[observation.pk])).status_code == 403
    client.force_login(west_manager.user)
    assert client.get(url).status_code == 404


def test_the_observer_marks_an_action_done_through_the_page(client, teams, east_manager, version):
    worker = _member(Role.PRACTITIONER, teams[0], "Wendy Worker")
    draft = ActionItemDraft(text="Record the child's words", owner=worker, review_on=_today())
    item = _observed(worker, east_manager, _today(), version, action_items=[draft]).action_items.get()
    client.force_login(east_manager.user)

    response = client.post(
        reverse("observations:action_done", args=[item.pk]), {"done_on": _today().strftime("%d/%m/%Y")}
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_on == _today()
    client.force_login(worker.user)
    assert client.post(reverse("observations:action_done", args=[item.pk]), {"done_on": "1/1/2026"}).status_code == 403


# --- the reminder before a practice week ---------------------------------------------------------


def _week_in(days: int) -> PracticeWeek:
    start = _today() + timedelta(days=days)
    return PracticeWeek.objects.create(starts_on=start, ends_on=start + timedelta(days=4))


def test_a_manager_with_practitioners_due_or_overdue_is_reminded_once_a_week_before(
    teams, east_manager, west_manager, version
):
    east, west = teams
    _member(Role.PRACTITIONER, east, "Nina Never")
    _observed(_member(Role.PRACTITIONER, west, "Rita Recent"), west_manager, _today(), version)
    week = _week_in(7)
    _week_in(30)  # too far off yet

    assert practice_week_reminders_send(today=_today() - timedelta(days=1)) == 0  # eight days before
    assert practice_week_reminders_send() == 1
    assert practice_week_reminders_send() == 0
    assert practice_week_reminders_send(today=_today() + timedelta(days=3)) == 0  # a later catch-up run

    reminder = ObservationReminder.objects.get()
    assert (reminder.practice_week, reminder.manager) == (week, east_manager)
    notice = Notification.objects.get()
    assert notice.recipient == east_manager.user
    assert "1 practitioner in your team is due or overdue" in notice.body
    assert "Nina" not in notice.subject + notice.body + notice.url


def test_the_reminder_runs_in_a_real_worker_on_redis(transactional_db, teams, east_manager, celery_worker):  # noqa: F811
    _member(Role.PRACTITIONER, teams[0], "Nina Never")
    first = _week_in(5)

    send_practice_week_reminders.delay(_today().isoformat())
    assert wait_for(lambda: ObservationReminder.objects.filter(manager=east_manager).exists())
    # A second run once another week comes near: a reminder for that week, none again for the first.
    second = _week_in(6)
    send_practice_week_reminders.delay(_today().isoformat())

    assert wait_for(lambda: ObservationReminder.objects.count() == 2)
    assert sorted(ObservationReminder.objects.values_list("practice_week", flat=True)) == [first.pk, second.pk]
    assert Notification.objects.filter(recipient=east_manager.user).count() == 2


def test_the_demo_form_is_the_sections_documented(version):
    assert [q.key for q in version.sections.get().questions.all()] == [
        q["key"] for q in OBSERVATION_SECTIONS[0]["questions"]
    ]


@pytest.mark.parametrize("observations", [1, 25])
def test_the_list_takes_the_same_queries_for_few_and_many_observations(
    client, django_assert_num_queries, teams, east_manager, version, observations
):
    for number in range(observations):
        worker = _member(Role.PRACTITIONER, teams[0], f"Worker {number}")
        _observed(worker, east_manager, _today(), version)
    client.force_login(east_manager.user)
    client.get(reverse("observations:list"))

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("observations:list"))

    assert len(response.context["table"].page.object_list) == observations


LIST_QUERIES = 10  # session, user, grant, the count, the page's rows (one join), the menu's...
