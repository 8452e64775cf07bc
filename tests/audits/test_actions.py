"""Learning actions: who sees which, overdue ones marked, and closing one (owner or the area's service lead)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audits import services
from audits.messages import ACTION_NOT_OPEN, OUTCOME_REQUIRED
from audits.models import LearningAction
from audits.selectors import ActionScope, actions_listed
from quality.org.models import ChangeRecord, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

MINE, AREA = reverse("audits:action_list_mine"), reverse("audits:action_list_area")


@pytest.fixture
def colleague(make_person, own_area):
    return make_person(Role.PRACTITIONER, own_area, full_name="Colin Colleague")


def new_audit(qa_lead, area, reference, *, holder, auditor):
    actor = qa_lead.user
    tool = services.tool_create(
        actor=actor, name=f"{area.code} audit {reference}", service_area=area, purpose="case_audit"
    )
    version = services.version_publish(actor=actor, version=tool.versions.get())
    return services.audit_create(
        actor=actor,
        case_reference=reference,
        service_area=area,
        case_holder=holder,
        auditor=auditor,
        tool_version=version,
        period_end=date(2026, 10, 31),
    )


@pytest.fixture
def own_audit(qa_lead, practitioner, practice_manager, own_area):
    return new_audit(qa_lead, own_area, "C-OWN-1", holder=practitioner, auditor=practice_manager)


@pytest.fixture
def other_audit(qa_lead, other_practitioner, other_manager, other_area):
    return new_audit(qa_lead, other_area, "C-OTHER-1", holder=other_practitioner, auditor=other_manager)


def add(audit, owner, description, due_on=date(2026, 12, 1)):
    return services.action_add(audit=audit, description=description, owner=owner, due_on=due_on)


@pytest.fixture
def actions(practitioner, service_lead, other_practitioner, own_audit, other_audit):
    return {
        "worker": add(own_audit, practitioner, "Update the chronology"),
        "lead": add(own_audit, service_lead, "Review supervision notes"),
        "other": add(other_audit, other_practitioner, "Complete the pathway plan"),
    }


def listed(client, person, url, **query):
    client.force_login(person.user)
    response = client.get(url, query)
    assert response.status_code == 200
    return {row.record.description for row in response.context["table"].page.object_list}


def close(client, person, action, status="done", outcome="Chronology brought up to date on 20 Nov"):
    client.force_login(person.user)
    return client.post(reverse("audits:action_close", args=[action.pk]), {"status": status, "outcome": outcome})


# --- who sees which actions --------------------------------------------------------------------------


def test_my_actions_lists_only_the_actions_i_own(client, practitioner, actions):
    assert listed(client, practitioner, MINE) == {"Update the chronology"}


def test_my_actions_lists_an_action_i_own_from_another_areas_audit(client, practitioner, actions, other_audit):
    add(other_audit, practitioner, "Share the plan with the other team")

    assert listed(client, practitioner, MINE) == {"Update the chronology", "Share the plan with the other team"}


def test_the_service_lead_sees_every_action_of_their_area(client, service_lead, actions):
    assert listed(client, service_lead, AREA) == {"Update the chronology", "Review supervision notes"}


def test_a_practice_manager_sees_the_actions_of_their_area(client, practice_manager, actions):
    assert listed(client, practice_manager, AREA) == {"Update the chronology", "Review supervision notes"}


def test_another_areas_service_lead_neither_lists_nor_opens_the_action(client, other_lead, actions):
    assert listed(client, other_lead, AREA) == {"Complete the pathway plan"}
    response = client.get(actions["worker"].get_absolute_url())
    assert response.status_code == 404


def test_area_actions_leave_out_what_a_service_lead_owns_in_another_area(client, service_lead, actions, other_audit):
    add(other_audit, service_lead, "Talk to the other area's lead")

    assert "Talk to the other area's lead" not in listed(client, service_lead, AREA)
    assert "Talk to the other area's lead" in listed(client, service_lead, MINE)


def test_a_practitioner_does_not_see_an_action_they_do_not_own(client, colleague, actions):
    assert listed(client, colleague, MINE) == set()
    assert client.get(AREA).status_code == 403
    assert client.get(actions["worker"].get_absolute_url()).status_code == 404


def test_the_qa_lead_sees_the_actions_of_every_area(client, qa_lead, actions):
    assert listed(client, qa_lead, AREA) == {
        "Update the chronology",
        "Review supervision notes",
        "Complete the pathway plan",
    }


def test_the_owner_opens_their_action_and_sees_the_audit_by_case_reference(client, practitioner, actions, own_audit):
    client.force_login(practitioner.user)
    page = client.get(actions["worker"].get_absolute_url()).content.decode()

    assert f'<a href="{own_audit.get_absolute_url()}">Case C-OWN-1</a>' in page
    assert "Close this action" in page


def test_the_close_form_is_not_offered_to_someone_who_may_not_close(client, qa_lead, actions):
    client.force_login(qa_lead.user)
    page = client.get(actions["worker"].get_absolute_url()).content.decode()

    assert "Update the chronology" in page
    assert "Close this action" not in page


# --- overdue --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        ("2026-11-30 23:59:59+00:00", False),  # the due day itself, to its last second
        ("2026-12-01 00:00:01+00:00", True),  # the day after
    ],
)
def test_an_open_action_is_overdue_from_the_day_after_it_was_due(practitioner, actions, now, overdue):
    LearningAction.objects.filter(pk=actions["worker"].pk).update(due_on=date(2026, 11, 30))

    with freeze_time(now):
        row = actions_listed(practitioner.user, ActionScope.MINE).get()

    assert row.is_overdue is overdue


@pytest.mark.parametrize(
    ("now", "overdue"), [("2026-06-30 22:59:59+00:00", False), ("2026-06-30 23:00:01+00:00", True)]
)
def test_overdue_counts_days_in_london_time_not_utc(practitioner, actions, now, overdue):
    LearningAction.objects.filter(pk=actions["worker"].pk).update(due_on=date(2026, 6, 30))

    with freeze_time(now):  # 23:00 UTC on 30 June is already 1 July in London (summer time)
        row = actions_listed(practitioner.user, ActionScope.MINE).get()

    assert row.is_overdue is overdue


def test_a_closed_action_past_its_due_date_is_not_overdue(practitioner, actions):
    action = actions["worker"]
    LearningAction.objects.filter(pk=action.pk).update(due_on=date(2026, 1, 5))
    services.action_close(actor=practitioner.user, action=action, status="done", outcome="Done in March")

    assert actions_listed(practitioner.user, ActionScope.MINE).get().is_overdue is False


def test_an_overdue_action_is_marked_in_words_on_the_list(client, practitioner, actions):
    LearningAction.objects.filter(pk=actions["worker"].pk).update(due_on=timezone.localdate() - timedelta(days=1))
    add(actions["worker"].audit, practitioner, "Visit the family", due_on=timezone.localdate())
    client.force_login(practitioner.user)

    page = client.get(MINE).content.decode()

    rows = page.split("<tr")
    overdue_row = next(row for row in rows if "Update the chronology" in row)
    due_today_row = next(row for row in rows if "Visit the family" in row)
    assert '<span class="badge text-bg-danger">Overdue</span>' in overdue_row
    assert "Overdue" not in due_today_row


def test_the_lists_filter_by_overdue_status_and_service_area(client, qa_lead, practitioner, actions, own_area):
    LearningAction.objects.filter(pk=actions["lead"].pk).update(due_on=timezone.localdate() - timedelta(days=3))
    services.action_close(actor=practitioner.user, action=actions["worker"], status="done", outcome="Updated")

    assert listed(client, qa_lead, AREA, overdue="on") == {"Review supervision notes"}
    assert listed(client, qa_lead, AREA, status="done") == {"Update the chronology"}
    assert listed(client, qa_lead, AREA, service_area=own_area.pk) == {
        "Update the chronology",
        "Review supervision notes",
    }


def test_an_area_outside_mine_is_refused_as_a_filter(client, service_lead, actions, other_area):
    client.force_login(service_lead.user)

    response = client.get(AREA, {"service_area": other_area.pk})

    assert response.context["filter"].errors
    assert len(response.context["table"].page.object_list) == 0


def test_the_lists_are_sorted_by_due_date(client, practitioner, own_audit):
    for day in (20, 5, 12):
        add(own_audit, practitioner, f"Due on the {day}th", due_on=date(2026, 12, day))

    client.force_login(practitioner.user)
    rows = client.get(MINE).context["table"].page.object_list

    assert [row.record.due_on.day for row in rows] == [5, 12, 20]


def test_the_lists_run_the_same_queries_for_5_rows_and_40(
    client, service_lead, practitioner, practice_manager, own_audit
):
    client.force_login(service_lead.user)

    def measure(total):
        LearningAction.objects.bulk_create(
            LearningAction(
                audit=own_audit,
                description=f"Action {i}",
                owner=practitioner if i % 2 else practice_manager,
                due_on=date(2026, 11, 1) + timedelta(days=i),
            )
            for i in range(LearningAction.objects.count(), total)
        )
        client.get(AREA)  # fill first-use caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(AREA)
        assert len(response.context["table"].page.object_list) == total
        return len(queries)

    assert measure(5) == measure(40)


# --- closing an action ------------------------------------------------------------------------------


def test_the_owner_closes_their_action_with_the_evidence(client, practitioner, actions):
    action = actions["worker"]

    response = close(client, practitioner, action)

    assert response.status_code == 302 and response.url == action.get_absolute_url()
    action.refresh_from_db()
    assert action.status == LearningAction.Status.DONE
    assert action.outcome == "Chronology brought up to date on 20 Nov"
    assert action.closed_by == practitioner and action.closed_at
    record = ChangeRecord.objects.get(action="action.done")
    assert (record.actor, record.target_id) == (practitioner.user, action.pk)


def test_a_closed_action_shows_who_closed_it_when_and_the_evidence(client, practitioner, actions):
    close(client, practitioner, actions["worker"])

    page = client.get(actions["worker"].get_absolute_url()).content.decode()

    assert "Closed by</dt><dd" in page and "Wendy Worker</dd>" in page
    assert timezone.localtime().strftime("%-d %b %Y") in page
    assert "Chronology brought up to date on 20 Nov" in page
    assert "Close this action" not in page


def test_the_areas_service_lead_closes_an_action_as_no_longer_needed(client, service_lead, actions):
    action = actions["worker"]

    response = close(client, service_lead, action, status="not_needed", outcome="The child moved out of area")

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.closed_by) == (LearningAction.Status.NOT_NEEDED, service_lead)
    assert "Why it is no longer needed" in client.get(action.get_absolute_url()).content.decode()


@pytest.mark.parametrize("who", ["qa_lead", "practice_manager"])
def test_someone_who_sees_the_action_but_neither_owns_it_nor_leads_the_area_may_not_close_it(
    client, request, actions, who
):
    response = close(client, request.getfixturevalue(who), actions["worker"])

    assert response.status_code == 403
    assert LearningAction.objects.get(pk=actions["worker"].pk).status == LearningAction.Status.OPEN


@pytest.mark.parametrize("who", ["other_lead", "colleague"])
def test_someone_who_cannot_see_the_action_gets_not_found_when_closing_it(client, request, actions, who):
    response = close(client, request.getfixturevalue(who), actions["worker"])

    assert response.status_code == 404
    assert LearningAction.objects.get(pk=actions["worker"].pk).status == LearningAction.Status.OPEN


def test_closing_only_takes_a_post(client, practitioner, actions):
    client.force_login(practitioner.user)

    response = client.get(reverse("audits:action_close", args=[actions["worker"].pk]))

    assert response.status_code == 405 and response["Allow"] == "POST"


def test_closing_without_the_csrf_token_is_refused(practitioner, actions):
    browser = Client(enforce_csrf_checks=True)

    response = close(browser, practitioner, actions["worker"])

    assert response.status_code == 403
    assert LearningAction.objects.get(pk=actions["worker"].pk).status == LearningAction.Status.OPEN


@pytest.mark.parametrize("outcome", ["", "   "])
def test_closing_without_the_evidence_shows_the_message_by_the_field_and_saves_nothing(
    client, practitioner, actions, outcome
):
    response = close(client, practitioner, actions["worker"], outcome=outcome)

    assert response.status_code == 422
    assert response.context["close_form"].errors == {"outcome": [OUTCOME_REQUIRED]}
    page = response.content.decode()
    assert 'id="id_outcome"' in page and "is-invalid" in page
    assert OUTCOME_REQUIRED in page
    action = LearningAction.objects.get(pk=actions["worker"].pk)
    assert (action.status, action.outcome, action.closed_at) == (LearningAction.Status.OPEN, "", None)
    assert not ChangeRecord.objects.filter(action__startswith="action.").exists()


def test_closing_with_a_status_other_than_done_or_not_needed_is_refused(client, practitioner, actions):
    response = close(client, practitioner, actions["worker"], status="open")

    assert response.status_code == 422 and "status" in response.context["close_form"].errors
    assert LearningAction.objects.get(pk=actions["worker"].pk).closed_at is None


def test_an_action_already_closed_cannot_be_closed_again(client, practitioner, service_lead, actions):
    close(client, practitioner, actions["worker"], outcome="First")

    response = close(client, service_lead, actions["worker"], status="not_needed", outcome="Second")

    assert response.status_code == 422
    assert ACTION_NOT_OPEN in response.content.decode()
    action = LearningAction.objects.get(pk=actions["worker"].pk)
    assert (action.outcome, action.closed_by) == ("First", practitioner)


# --- navigation and the home page -------------------------------------------------------------------


def test_the_navigation_offers_actions_and_the_list_offers_area_actions_to_a_service_lead(client, service_lead):
    client.force_login(service_lead.user)

    response = client.get(MINE)

    audits_menu = next(item for item in response.context["navigation"] if item["label"] == "Audits")
    assert {"label": "Actions", "url": MINE, "active": True} in audits_menu["children"]
    assert audits_menu["active"]
    assert [label for label, _, _ in response.context["tabs"]] == ["My actions", "Area actions"]


def test_a_practitioner_has_only_my_actions(client, practitioner):
    client.force_login(practitioner.user)

    assert [label for label, _, _ in client.get(MINE).context["tabs"]] == ["My actions"]


def test_the_home_pages_open_actions_link_to_my_actions(client, practitioner, actions):
    LearningAction.objects.filter(pk=actions["worker"].pk).update(due_on=timezone.localdate() - timedelta(days=1))
    client.force_login(practitioner.user)

    page = client.get(reverse("home")).content.decode()

    assert "Your open actions" in page
    assert f'<a href="{MINE}">My actions</a>' in page
    assert '<span class="badge text-bg-danger">Overdue</span>' in page
