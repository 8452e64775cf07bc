import smtplib
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.urls import reverse
from kombu.exceptions import OperationalError

from audits import services as audit_services
from quality.org.models import Notification, Role
from quality.org.notify import EMAIL_GIVE_UP_AFTER, EMAIL_STRANDED_AFTER, SWEEP_MAX_FAILURES, notify
from quality.org.tasks import EMAIL_MAX_RETRIES, send_notification_emails, send_stranded_notification_emails
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

pytestmark = pytest.mark.django_db


def test_a_person_sees_only_their_own_notifications(client, make_person, own_area):
    me, other = make_person(Role.PRACTITIONER, own_area), make_person(Role.PRACTITIONER, own_area)
    Notification.objects.create(recipient=me.user, subject="Audit submitted: case C-1")
    Notification.objects.create(recipient=other.user, subject="Audit submitted: case C-2")
    client.force_login(me.user)
    page = client.get(reverse("notification_list")).content.decode()
    assert "case C-1" in page and "case C-2" not in page


def test_marking_all_as_read_touches_only_my_unread_notifications(client, make_person, own_area):
    me, other = make_person(Role.PRACTITIONER, own_area), make_person(Role.PRACTITIONER, own_area)
    mine = Notification.objects.create(recipient=me.user, subject="Mine")
    theirs = Notification.objects.create(recipient=other.user, subject="Theirs")
    client.force_login(me.user)
    response = client.post(reverse("notifications_mark_read"))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    home = client.get(reverse("home")).content.decode()
    assert "Mine" not in home


def test_a_person_with_no_role_cannot_see_the_notifications_page(client, db):
    from tests.factories import PersonFactory

    client.force_login(PersonFactory().user)
    assert client.get(reverse("notification_list")).status_code == 403


# E-mail: queued after the commit, sent once by a worker, and swept up if its task never ran


def told(make_person, own_area, n=2):
    return [make_person(Role.PRACTITIONER, own_area).user for _ in range(n)]


def emailed(pk) -> bool:
    return Notification.objects.get(pk=pk).emailed_at is not None


def test_notifying_shows_at_once_and_queues_the_e_mails_only_after_the_commit(
    make_person, own_area, django_capture_on_commit_callbacks
):
    users = told(make_person, own_area)

    with patch("quality.org.tasks.send_notification_emails.delay") as queue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notify(users=users, subject="Audit submitted: case C-7", url="/audits/7/")

        rows = list(Notification.objects.order_by("pk"))
        assert [(n.recipient, n.by_email, n.emailed_at) for n in rows] == [(u, True, None) for u in users]
        queue.assert_not_called()  # not before the rows are committed: the worker could not see them
        for callback in callbacks:
            callback()

    queue.assert_called_once_with([n.pk for n in rows])
    assert mail.outbox == []  # the request sends nothing itself


def test_a_notice_without_e_mail_or_to_someone_without_an_address_queues_nothing(
    make_person, own_area, django_capture_on_commit_callbacks
):
    (with_address,) = told(make_person, own_area, 1)
    (without_address,) = told(make_person, own_area, 1)
    type(without_address).objects.filter(pk=without_address.pk).update(email="")
    without_address.refresh_from_db()

    with (
        patch("quality.org.tasks.send_notification_emails.delay") as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(users=[with_address], subject="In the portal only", email=False)
        notify(users=[without_address], subject="No address")

    queue.assert_not_called()
    assert Notification.objects.count() == 2 and not Notification.objects.filter(by_email=True).exists()


@pytest.fixture
def start_audit(make_person, own_area):
    """start_audit() -> a new audit, through the service that tells its auditor; and the auditor."""
    qa_lead, auditor = make_person(Role.QA_LEAD), make_person(Role.PRACTICE_MANAGER, own_area)
    tool = audit_services.tool_create(
        actor=qa_lead.user, name="SWF case audit", service_area=own_area, purpose="case_audit"
    )
    version = audit_services.version_publish(actor=qa_lead.user, version=tool.versions.get())

    def start():
        return audit_services.audit_create(
            actor=qa_lead.user, case_reference="C-104233", service_area=own_area, auditor=auditor, tool_version=version
        )

    return start, auditor


def test_a_service_that_notifies_queues_the_e_mail_after_its_commit(start_audit, django_capture_on_commit_callbacks):
    start, auditor = start_audit

    with patch("quality.org.tasks.send_notification_emails.delay") as queue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            audit = start()

        told = Notification.objects.get()
        assert (told.recipient, told.url, told.by_email) == (auditor.user, audit.get_absolute_url(), True)
        queue.assert_not_called()
        for callback in callbacks:
            callback()

    queue.assert_called_once_with([told.pk])


def test_the_task_sends_each_e_mail_once_and_a_second_delivery_sends_nothing(frozen_today, make_person, own_area):
    users = told(make_person, own_area)
    notify(users=users, subject="Audit submitted: case C-7", body="Please look.", url="/audits/7/")
    ids = list(Notification.objects.values_list("pk", flat=True))

    assert send_notification_emails(ids) == 2
    assert send_notification_emails(ids) == 0  # the broker delivered it again

    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert mail.outbox[0].subject == "Audit submitted: case C-7"
    assert mail.outbox[0].body == f"Please look.\n\n{settings.PORTAL_URL}/audits/7/"
    assert all(emailed(pk) for pk in ids)


def test_a_mail_server_error_is_retried_and_the_e_mail_then_goes_once(frozen_today, make_person, own_area):
    (user,) = told(make_person, own_area, 1)
    notify(users=[user], subject="Audit submitted: case C-7")
    pk = Notification.objects.get().pk
    real_send = locmem.EmailBackend.send_messages
    attempts = []

    def flaky(backend, messages):
        attempts.append(messages)
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(backend, messages)

    with patch.object(locmem.EmailBackend, "send_messages", flaky):
        result = send_notification_emails.apply(args=[[pk]])

    assert result.successful() and result.result == 1
    assert len(attempts) == 2 and [m.to for m in mail.outbox] == [[user.email]]
    assert emailed(pk)


def test_the_task_retries_with_backoff_on_smtp_and_socket_errors():
    assert issubclass(smtplib.SMTPServerDisconnected, send_notification_emails.autoretry_for)
    assert issubclass(TimeoutError, send_notification_emails.autoretry_for)
    assert send_notification_emails.max_retries == EMAIL_MAX_RETRIES
    assert send_notification_emails.retry_backoff and send_notification_emails.retry_jitter
    assert send_notification_emails.soft_time_limit < send_notification_emails.time_limit


def test_after_its_last_retry_the_task_gives_up_and_the_sweep_sends_the_e_mail_later(
    frozen_today, make_person, own_area
):
    (user,) = told(make_person, own_area, 1)
    notify(users=[user], subject="Audit submitted: case C-7")
    pk = Notification.objects.get().pk
    down = smtplib.SMTPConnectError(421, "Service not available")

    with patch.object(locmem.EmailBackend, "send_messages", side_effect=down) as send:
        result = send_notification_emails.apply(args=[[pk]])

    assert result.failed() and isinstance(result.result, smtplib.SMTPConnectError)
    assert send.call_count == EMAIL_MAX_RETRIES + 1
    assert not emailed(pk) and mail.outbox == []  # released for the sweep

    assert send_stranded_notification_emails() == 0  # not yet: its own task may still be retrying
    frozen_today.tick(EMAIL_STRANDED_AFTER + timedelta(seconds=1))
    assert send_stranded_notification_emails() == 1
    assert send_stranded_notification_emails() == 0
    assert [m.to for m in mail.outbox] == [[user.email]] and emailed(pk)


def test_the_sweep_sends_only_e_mails_left_unsent_for_over_a_minute_and_under_a_day(
    frozen_today, make_person, own_area
):
    users = told(make_person, own_area, 5)
    notify(users=users[:1], subject="Stale")
    frozen_today.tick(EMAIL_GIVE_UP_AFTER - timedelta(minutes=5))
    notify(users=users[1:2], subject="Stranded")
    notify(users=users[2:3], subject="Sent already")
    send_notification_emails([Notification.objects.get(subject="Sent already").pk])
    notify(users=users[3:4], subject="Portal only", email=False)
    frozen_today.tick(timedelta(minutes=10))
    notify(users=users[4:5], subject="Just made")
    mail.outbox.clear()

    assert send_stranded_notification_emails() == 1

    assert [(m.to, m.subject) for m in mail.outbox] == [([users[1].email], "Stranded")]
    assert not Notification.objects.get(subject="Stale").emailed_at  # given up: it stays in the portal
    assert not Notification.objects.get(subject="Just made").emailed_at  # its own task has it


def test_the_sweep_stops_when_the_mail_server_keeps_failing(frozen_today, make_person, own_area):
    notify(users=told(make_person, own_area, 5), subject="Audit submitted: case C-7")
    frozen_today.tick(timedelta(minutes=2))
    down = ConnectionRefusedError(111, "Connection refused")

    with patch.object(locmem.EmailBackend, "send_messages", side_effect=down) as send:
        assert send_stranded_notification_emails() == 0

    assert send.call_count == SWEEP_MAX_FAILURES
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


def test_with_redis_down_the_notification_is_saved_and_the_sweep_sends_its_e_mail(
    frozen_today, make_person, own_area, django_capture_on_commit_callbacks
):
    (user,) = told(make_person, own_area, 1)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with (
        patch("quality.org.tasks.send_notification_emails.delay", side_effect=down) as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(users=[user], subject="Audit submitted: case C-7")

    queue.assert_called_once()
    assert Notification.objects.get().subject == "Audit submitted: case C-7" and mail.outbox == []
    frozen_today.tick(timedelta(minutes=2))
    assert send_stranded_notification_emails() == 1
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_a_worker_on_redis_e_mails_the_notification_a_service_raised_once_it_commits(
    transactional_db,
    celery_worker,  # noqa: F811
    start_audit,
):
    start, auditor = start_audit

    with transaction.atomic():
        audit = start()

    assert wait_for(lambda: len(mail.outbox) == 1), "the worker did not send the e-mail within 30 s"
    assert mail.outbox[0].to == [auditor.user.email] and mail.outbox[0].subject == "Audit allocated: case C-104233"
    assert audit.get_absolute_url() in mail.outbox[0].body
    assert wait_for(lambda: Notification.objects.get().emailed_at is not None)
