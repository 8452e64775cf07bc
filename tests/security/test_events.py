"""Security events: each written once per action, append-only, on an administrators' page and CSV,
kept SECURITY_EVENT_RETENTION and then removed by a job that records what it removed."""

import csv
import io
import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from quality.org import services
from quality.org.models import Role
from quality.security.events import record_event, username_key
from quality.security.models import Kind, SecurityEvent
from quality.security.tasks import purge_old_security_events
from tests.factories import PASSWORD
from tests.test_auth import NEW_PASSWORD, WRONG_PASSWORD, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

EVENTS = reverse("security:event_list")
EXPORT = reverse("security:event_export")


def kinds():
    return list(SecurityEvent.objects.order_by("pk").values_list("kind", flat=True))


# Each written once per action


def test_a_sign_in_is_recorded_once_with_the_person_and_address(client, practitioner):
    sign_in(client, practitioner.user.email, PASSWORD)

    event = SecurityEvent.objects.get()
    assert (event.kind, event.user, event.address) == (Kind.SIGN_IN, practitioner.user, "127.0.0.1")


def test_a_failure_is_recorded_once_by_the_key_of_the_name_typed(client, db):
    sign_in(client, "nobody@council.example", WRONG_PASSWORD)

    event = SecurityEvent.objects.get()
    assert (event.kind, event.user, event.username_key) == (
        Kind.SIGN_IN_FAILED,
        None,
        username_key("nobody@council.example"),
    )


def test_a_lock_is_recorded_once_however_many_attempts_follow(client, practitioner):
    for _ in range(13):
        sign_in(client, practitioner.user.email, WRONG_PASSWORD)

    assert kinds().count(Kind.LOCKED_OUT) == 1
    assert kinds().count(Kind.SIGN_IN_FAILED) == 13


def test_signing_out_is_recorded_once(client, practitioner):
    client.force_login(practitioner.user)
    client.post(reverse("logout"))

    assert kinds() == [Kind.SIGN_IN, Kind.SIGNED_OUT]


def test_reset_asked_for_known_and_unknown_addresses_and_done_are_recorded_once_each(client, practitioner):
    client.post(reverse("password_reset"), {"email": "nobody@council.example"})
    client.post(reverse("password_reset"), {"email": practitioner.user.email})
    link = re.search(r"https?://testserver(/accounts/reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    asked = SecurityEvent.objects.filter(kind=Kind.PASSWORD_RESET_ASKED).order_by("pk")
    assert [event.username_key for event in asked] == [
        username_key("nobody@council.example"),
        username_key(practitioner.user.email),
    ]
    done = SecurityEvent.objects.get(kind=Kind.PASSWORD_RESET_DONE)
    assert done.user == practitioner.user


def test_a_password_change_is_recorded_once(client, practitioner):
    client.force_login(practitioner.user)
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert SecurityEvent.objects.get(kind=Kind.PASSWORD_CHANGED).user == practitioner.user


def test_role_granted_ended_and_deactivation_are_recorded_once_with_the_administrator(admin_person, practitioner):
    actor = admin_person.user
    membership = services.membership_add(actor=actor, person=practitioner, role=Role.QA_OFFICER)
    services.membership_end(actor=actor, membership=membership, reason="Moved on")
    services.person_set_active(actor=actor, person=practitioner, active=False, reason="Left")

    rows = SecurityEvent.objects.order_by("pk").values_list("kind", "user", "actor", "detail")
    assert list(rows) == [
        (
            Kind.ROLE_GRANTED,
            practitioner.user_id,
            actor.pk,
            {"person": practitioner.pk, "membership": membership.pk, "role": "qa_officer", "service_area": None},
        ),
        (
            Kind.ROLE_ENDED,
            practitioner.user_id,
            actor.pk,
            {"person": practitioner.pk, "membership": membership.pk, "role": "qa_officer", "service_area": None},
        ),
        (Kind.PERSON_DEACTIVATED, practitioner.user_id, actor.pk, {"person": practitioner.pk}),
    ]


def test_a_refused_page_is_recorded_once_with_the_page_name(client, practitioner):
    client.force_login(practitioner.user)

    response = client.get(EVENTS)

    assert response.status_code == 403
    refused = SecurityEvent.objects.get(kind=Kind.ACCESS_REFUSED)
    assert refused.user == practitioner.user
    assert refused.detail == {"view": "security:event_list", "method": "GET"}


def test_the_log_line_names_no_one(client, practitioner, caplog):
    with caplog.at_level(logging.INFO, logger="quality.security"):
        sign_in(client, practitioner.user.email, PASSWORD)
        sign_in(client, practitioner.user.email, WRONG_PASSWORD)

    lines = [record.getMessage() for record in caplog.records if record.name == "quality.security"]
    assert len(lines) == 2
    assert (
        lines[0] == f"security_event kind=sign_in user={practitioner.user_id} actor=None address=127.0.0.1 detail={{}}"
    )
    assert not [line for line in lines if practitioner.user.email.split("@")[0] in line]


def test_a_detail_that_is_not_an_id_or_code_is_refused(db):
    with pytest.raises(ValueError):
        record_event(Kind.ACCESS_REFUSED, detail={"note": "x" * 200})


def test_events_cannot_be_changed_or_deleted_through_the_orm(db):
    event = record_event(Kind.ACCESS_REFUSED)

    for change in (lambda: SecurityEvent.objects.filter(pk=event.pk).update(kind=Kind.SIGN_IN), event.delete):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert SecurityEvent.objects.get().kind == Kind.ACCESS_REFUSED


# The administrators' page and CSV


def test_administrators_see_the_events_newest_first(client, admin_person, practitioner):
    record_event(Kind.ROLE_GRANTED, user=practitioner.user, actor=admin_person.user, detail={"person": 1})
    client.force_login(admin_person.user)  # a newer SIGN_IN

    response = client.get(EVENTS)

    assert response.status_code == 200
    rows = list(response.context["table"].page.object_list)
    assert [row.record.kind for row in rows] == [Kind.SIGN_IN, Kind.ROLE_GRANTED]
    assert b"Ada Admin" in response.content


def test_the_page_filters_by_kind_dates_person_address_and_name_typed(client, admin_person, practitioner):
    now = timezone.now()
    record_event(Kind.SIGN_IN, request=RequestFactory().get("/", REMOTE_ADDR="192.0.2.7"), user=practitioner.user)
    record_event(Kind.SIGN_IN_FAILED, username="lost@council.example")
    client.force_login(admin_person.user)

    def shown(**query):
        response = client.get(EVENTS, query)
        return [row.record.kind for row in response.context["table"].page.object_list]

    today, yesterday = timezone.localdate(now), timezone.localdate(now) - timedelta(days=1)
    assert shown(kind=Kind.SIGN_IN_FAILED) == [Kind.SIGN_IN_FAILED]
    assert shown(person=practitioner.pk) == [Kind.SIGN_IN]
    assert shown(name_typed="LOST@council.example") == [Kind.SIGN_IN_FAILED]
    assert shown(date_to=yesterday.isoformat()) == []
    assert len(shown(date_from=today.isoformat(), date_to=today.isoformat())) == 3  # with the admin's own sign-in
    assert shown(address="192.0.2.7") == [Kind.SIGN_IN]
    assert shown(address="not an address") == []  # refused, not ignored


def test_the_csv_holds_the_filtered_events(client, admin_person, practitioner):
    record_event(Kind.SIGN_IN, user=practitioner.user)
    record_event(Kind.SIGN_IN_FAILED, username="lost@council.example")
    client.force_login(admin_person.user)

    response = client.get(EXPORT, {"kind": Kind.SIGN_IN})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0] == ["When", "Event", "Person", "Address", "By", "Detail"]
    assert sorted(row[2] for row in rows[1:]) == sorted(["Ada Admin", practitioner.full_name])
    assert {row[1] for row in rows[1:]} == {"Signed in"}


def test_the_page_makes_the_same_number_of_queries_whatever_the_number_of_events(
    client, admin_person, make_person, own_area
):
    client.force_login(admin_person.user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(EVENTS).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(20):
        person = make_person(Role.PRACTITIONER, own_area)
        record_event(Kind.ROLE_GRANTED, user=person.user, actor=admin_person.user, detail={"person": person.pk})
    assert queries() == few


def test_others_are_refused_the_page_and_the_csv(client, make_person, own_area):
    client.force_login(make_person(Role.QA_LEAD, None).user)

    assert client.get(EVENTS).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.post(EVENTS).status_code == 403


def test_the_page_answers_only_get(client, admin_person):
    client.force_login(admin_person.user)

    assert client.post(EVENTS).status_code == 405


# Retention


def test_the_purge_removes_events_older_than_the_retention_and_records_it(settings, frozen_today):
    settings.SECURITY_EVENT_RETENTION = timedelta(days=730)
    old = record_event(Kind.SIGN_IN_FAILED, username="a@council.example")
    frozen_today.tick(timedelta(days=2))
    kept = record_event(Kind.SIGN_IN_FAILED, username="b@council.example")
    frozen_today.tick(timedelta(days=729))

    removed = purge_old_security_events()

    assert removed == 1
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()
    assert SecurityEvent.objects.filter(pk=kept.pk).exists()
    purged = SecurityEvent.objects.get(kind=Kind.EVENTS_PURGED)
    assert purged.detail["removed"] == 1
    assert purged.detail["before"].startswith(f"{timezone.now() - timedelta(days=730):%Y-%m-%d}")
