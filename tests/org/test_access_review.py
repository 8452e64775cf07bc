"""Leavers and movers: the quarterly access review (quality/org/access_review.py), its CSV, and its
keep and deactivate decisions."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from quality.org import access_review
from quality.org.messages import LAST_ADMINISTRATOR, REASON_REQUIRED
from quality.org.models import AccessReviewDecision, ChangeRecord, Role
from quality.security.events import record_event
from quality.security.models import Kind, SecurityEvent

from ..factories import MembershipFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

REVIEW = reverse("org:access_review")
EXPORT = reverse("org:access_review_export")


@pytest.fixture
def as_admin(client, admin_person):
    client.force_login(admin_person.user)
    return client


def decide_url(person) -> str:
    return reverse("org:access_review_decide", args=[person.pk])


def last_used(person, days: int) -> None:
    get_user_model().objects.filter(pk=person.user_id).update(last_login=timezone.now() - timedelta(days=days))


def unused(person) -> bool:
    return access_review.review_rows().get(pk=person.pk).unused


def test_only_administrators_see_the_review_and_its_csv(client, make_person):
    client.force_login(make_person(Role.QA_LEAD).user)
    assert client.get(REVIEW).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.post(decide_url(make_person(Role.QA_OFFICER)), {"decision": "keep"}).status_code == 403
    assert not AccessReviewDecision.objects.exists()


@pytest.mark.parametrize(("days", "flagged"), [(89, False), (90, True), (91, True)])
def test_an_account_is_flagged_once_unused_for_90_days(make_person, days, flagged, own_area):
    person = make_person(Role.PRACTITIONER, own_area)
    last_used(person, days)
    assert unused(person) is flagged


@pytest.mark.parametrize(("days", "flagged"), [(89, False), (91, True)])
def test_an_account_never_used_counts_from_its_latest_invitation(make_person, days, flagged, own_area):
    person = make_person(Role.PRACTITIONER, own_area)
    get_user_model().objects.filter(pk=person.user_id).update(last_login=None)
    type(person).objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=200))
    with freeze_time(timedelta(days=-days)):  # security events are never updated: sent back then
        record_event(Kind.INVITATION_SENT, user=person.user)
    assert unused(person) is flagged


def test_an_account_never_used_nor_invited_counts_from_when_it_was_added(make_person, own_area):
    person = make_person(Role.PRACTITIONER, own_area)
    get_user_model().objects.filter(pk=person.user_id).update(last_login=None)
    assert unused(person) is False
    type(person).objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert unused(person) is True


def test_the_page_lists_active_people_with_roles_sign_in_and_second_factor(as_admin, make_person, own_area):
    worker = make_person(Role.PRACTITIONER, own_area, full_name="Wendy Worker")
    last_used(worker, 120)
    gone = make_person(Role.PRACTITIONER, own_area, full_name="Gone Person")
    get_user_model().objects.filter(pk=gone.user_id).update(is_active=False)

    page = as_admin.get(REVIEW)

    text = page.content.decode()
    assert page.status_code == 200
    assert "Wendy Worker" in text and "Practitioner, SWF" in text and "Unused for 90 days" in text
    assert "Gone Person" not in text
    assert "Quarterly access review: unused for 90 days" in text  # the deactivate form's reason, editable
    rows = {row.full_name: row for row in page.context["table"].data}
    assert rows["Ada Admin"].has_second_factor is True  # force_login enrolled an authenticator
    assert rows["Wendy Worker"].has_second_factor is False


def test_the_filters_narrow_by_unused_role_and_area(as_admin, make_person, own_area, other_area):
    stale = make_person(Role.PRACTITIONER, own_area, full_name="Stale Own")
    last_used(stale, 100)
    make_person(Role.PRACTITIONER, other_area, full_name="Fresh Other")
    make_person(Role.QA_OFFICER, full_name="Quinn Officer")

    def names(**query):
        return {row.full_name for row in as_admin.get(REVIEW, query).context["table"].data}

    assert names(unused="on") == {"Stale Own"}
    assert names(role=Role.QA_OFFICER) == {"Quinn Officer"}
    assert names(area=other_area.pk) == {"Fresh Other"}
    assert names(area=own_area.pk, role=Role.PRACTITIONER) == {"Stale Own"}


def test_deactivating_from_the_review_records_the_change_the_event_and_the_decision(
    as_admin, admin_person, make_person, own_area
):
    person = make_person(Role.PRACTITIONER, own_area, full_name="Left Long Ago")
    last_used(person, 200)
    reason = "Quarterly access review: unused for 90 days; left in June"

    response = as_admin.post(decide_url(person), {"decision": "deactivate", "reason": reason, "filters": "unused=on"})

    assert response.status_code == 302 and response.url == f"{REVIEW}?unused=on"
    person.user.refresh_from_db()
    assert person.user.is_active is False
    change = ChangeRecord.objects.get(action="person.deactivate", target_id=person.pk)
    assert (change.actor, change.reason) == (admin_person.user, reason)
    event = SecurityEvent.objects.get(kind=Kind.PERSON_DEACTIVATED)
    assert (event.user, event.actor) == (person.user, admin_person.user)
    decision = AccessReviewDecision.objects.get()
    assert (decision.person, decision.decided_by, decision.decision, decision.reason, decision.quarter) == (
        person,
        admin_person.user,
        "deactivate",
        reason,
        "2026-Q4",
    )


def test_keeping_records_a_decision_shown_on_the_page(as_admin, make_person, own_area):
    person = make_person(Role.PRACTITIONER, own_area, full_name="Still Here")

    as_admin.post(decide_url(person), {"decision": "keep", "reason": "On long leave"})

    decision = AccessReviewDecision.objects.get()
    assert (decision.decision, decision.reason) == ("keep", "On long leave")
    person.user.refresh_from_db()
    assert person.user.is_active
    assert "Kept on 16/11/2026 by Ada Admin" in as_admin.get(REVIEW).content.decode()


def test_deactivating_needs_a_reason_and_spares_the_last_administrator(as_admin, admin_person, make_person, own_area):
    person = make_person(Role.PRACTITIONER, own_area)
    no_reason = as_admin.post(decide_url(person), {"decision": "deactivate", "reason": " "}, follow=True)
    last_admin = as_admin.post(decide_url(admin_person), {"decision": "deactivate", "reason": "Test"}, follow=True)

    assert REASON_REQUIRED in no_reason.content.decode()
    assert "This is the last active administrator" in last_admin.content.decode()
    assert LAST_ADMINISTRATOR.startswith("This is the last active administrator")
    assert not AccessReviewDecision.objects.exists()
    assert get_user_model().objects.filter(is_active=False).count() == 0


def test_a_wrong_method_or_a_made_up_decision_changes_nothing(as_admin, make_person, own_area):
    person = make_person(Role.PRACTITIONER, own_area)
    assert as_admin.get(decide_url(person)).status_code == 405
    as_admin.post(decide_url(person), {"decision": "delete", "reason": "x"})
    assert not AccessReviewDecision.objects.exists()


def test_the_csv_has_the_columns_and_the_last_decision_with_formulas_neutralised(
    as_admin, make_person, admin_person, own_area
):
    person = make_person(Role.PRACTITIONER, own_area, full_name="=HYPERLINK(1)")
    last_used(person, 95)
    person.user.refresh_from_db()
    access_review.access_review_decide(actor=admin_person.user, person=person, decision="keep", reason="+needed")

    response = as_admin.get(EXPORT, {"unused": "on"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == access_review.HEADER
    assert rows[1:] == [
        [
            "'=HYPERLINK(1)",
            person.user.email,
            "Practitioner, SWF",
            f"{timezone.localtime(person.user.last_login):%d/%m/%Y %H:%M}",
            "No",
            "Yes",
            "Kept",
            "16/11/2026",
            "Ada Admin",
            "'+needed",
        ]
    ]


def populate(n: int, area, actor) -> None:
    """n people with two roles each and a decision each."""
    for _ in range(n):
        person = PersonFactory()
        MembershipFactory(person=person, role=Role.PRACTITIONER, service_area=area)
        MembershipFactory(person=person, role=Role.MODERATOR, service_area=area)
        AccessReviewDecision.objects.create(person=person, decided_by=actor, decision="keep", quarter="2026-Q3")


@pytest.mark.parametrize("url", [REVIEW, EXPORT], ids=["page", "csv"])
def test_the_review_runs_the_same_queries_for_few_and_many_people(as_admin, admin_person, own_area, url):
    def measure() -> int:
        as_admin.get(url)  # caches filled on first use count the same way both times
        with CaptureQueriesContext(connection) as queries:
            response = as_admin.get(url)
            if url == EXPORT:
                b"".join(response.streaming_content)
        return len(queries)

    populate(3, own_area, admin_person.user)
    few = measure()
    populate(9, own_area, admin_person.user)
    many = measure()

    assert few == many
    assert many <= 15
