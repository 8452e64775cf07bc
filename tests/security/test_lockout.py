"""The lock-out holds: counted before the password is checked (also in parallel), per name and per
address, with failures kept after a success, and the same for Django's admin and password reset."""

import re
import threading
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from quality.org.models import Role
from quality.security import lockout
from quality.security.events import client_address, username_key
from quality.security.models import Kind, SecurityEvent
from quality.urls import admin_patterns
from tests.factories import PASSWORD
from tests.test_auth import LOGIN, WRONG_PASSWORD, assert_refused, assert_signed_in, is_signed_in, sign_in
from tests.test_security_settings import database_url, production_env, run_python  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def events(kind, **lookup):
    return SecurityEvent.objects.filter(kind=kind, **lookup)


# Counting and refusing in one step


@pytest.mark.django_db(transaction=True)
def test_25_parallel_attempts_with_the_right_password_last_are_all_refused_once_the_limit_is_reached(
    practitioner,
):
    """24 wrong passwords are held inside the password check while the right one is sent: counted
    before the check, the right one is the 25th attempt and refused without its password being read.
    (Checking the lock first and counting after the check let it in: nothing was counted yet.)"""
    email = practitioner.user.email
    real_authenticate = ModelBackend.authenticate
    checked = []
    settled = threading.Semaphore(0)  # released once by each wrong attempt: in the check, or answered
    in_check = threading.local()
    right_answered = threading.Event()
    responses, errors = {}, []

    def held_authenticate(backend, request, username=None, password=None, **kwargs):
        checked.append(password)
        if password == WRONG_PASSWORD:
            in_check.held = True
            settled.release()
            right_answered.wait(timeout=20)
        return real_authenticate(backend, request, username=username, password=password, **kwargs)

    def attempt(index, password):
        try:
            if password == PASSWORD:
                for _ in range(24):
                    assert settled.acquire(timeout=20), "the wrong attempts were never all under way"
            browser = Client()
            responses[index] = (browser, sign_in(browser, email, password))
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            if password == PASSWORD:
                right_answered.set()
            elif not getattr(in_check, "held", False):
                settled.release()
            connection.close()

    passwords = [WRONG_PASSWORD] * 24 + [PASSWORD]
    with patch.object(ModelBackend, "authenticate", held_authenticate):
        threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(passwords)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    browser, right = responses[24]
    assert right.status_code == 200 and not is_signed_in(browser)
    assert PASSWORD not in checked  # refused before its password was checked
    assert len(checked) == 10  # only the first ten attempts reached a password check
    for _browser, response in responses.values():
        assert_refused(response)
    assert events(Kind.SIGN_IN_FAILED, username_key=username_key(email)).count() == 25
    assert not events(Kind.SIGN_IN).exists()
    assert events(Kind.LOCKED_OUT).count() == 1
    assert lockout.is_locked(email)


def test_failures_from_one_address_across_many_names_lock_that_address_but_not_others(settings, client, practitioner):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    for number in range(5):
        assert_refused(sign_in(client, f"guess{number}@council.example", WRONG_PASSWORD))

    assert_refused(sign_in(client, practitioner.user.email, PASSWORD))  # the right password, sprayed address
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    assert_signed_in(sign_in(elsewhere, practitioner.user.email, PASSWORD), elsewhere)
    assert events(Kind.LOCKED_OUT, detail__scope="address").count() == 1


def test_people_signing_in_from_one_address_never_lock_it(settings, make_person, own_area):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for _ in range(6):
        office = Client()
        person = make_person(Role.PRACTITIONER, own_area)
        assert_signed_in(sign_in(office, person.user.email, PASSWORD), office)


def test_the_address_is_remote_addr_unless_proxies_are_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    assert client_address(request) == "10.0.0.5"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.9"  # what our proxy saw, not what the client wrote


# Every way in: Django's admin


@pytest.fixture
def staff(practitioner):
    practitioner.user.is_staff = practitioner.user.is_superuser = True
    practitioner.user.save()
    return practitioner.user


def test_the_admin_log_in_page_sends_people_to_the_portal_sign_in(client, staff):
    response = client.get("/django-admin/login/?next=/django-admin/")

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/django-admin/"


def test_a_locked_staff_account_cannot_sign_in_through_the_admin(client, staff):
    for _ in range(10):
        assert_refused(sign_in(client, staff.email, WRONG_PASSWORD))

    posted = client.post("/django-admin/login/", {"username": staff.email, "password": PASSWORD})
    through_portal = client.post(f"{LOGIN}?next=/django-admin/", {"username": staff.email, "password": PASSWORD})

    assert posted.status_code == 302 and posted.url.startswith(LOGIN)
    assert_refused(through_portal)
    assert not is_signed_in(client)
    assert client.get("/django-admin/").status_code == 302


def test_a_staff_member_signed_in_at_the_portal_reaches_the_admin(client, staff):
    assert_signed_in(sign_in(client, staff.email, PASSWORD), client)

    response = client.get("/django-admin/")

    # In, or on to the second factor's own step: not sent back to sign in.
    assert response.status_code == 200 or not response.url.startswith(LOGIN)


def test_without_admin_enabled_the_admin_is_not_mounted(settings):
    settings.ADMIN_ENABLED = False
    assert admin_patterns() == []
    settings.ADMIN_ENABLED = True
    assert [str(pattern.pattern) for pattern in admin_patterns()] == ["django-admin/"]


@pytest.mark.parametrize(("enabled", "expected"), [("", "absent"), ("true", "mounted")])
def test_production_mounts_the_admin_only_when_asked(database_url, enabled, expected):  # noqa: F811
    code = (
        "import django; django.setup(); from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/django-admin/'); print('mounted')\nexcept Resolver404:\n    print('absent')"
    )
    overrides = {"ADMIN_ENABLED": enabled} if enabled else {}
    result = run_python(["-c", code], production_env(database_url, **overrides))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected]


# Every way in: password reset


def ask_reset(browser, email):
    return browser.post(reverse("password_reset"), {"email": email}, follow=True)


def test_reset_is_throttled_per_email_with_the_same_answer(client, practitioner):
    answers = [ask_reset(client, practitioner.user.email) for _ in range(4)]

    assert len(mail.outbox) == 3  # PASSWORD_RESET_EMAIL_LIMIT
    assert {tuple(answer.redirect_chain) for answer in answers} == {((reverse("password_reset_done"), 302),)}
    assert all(b"Check your e-mail" in answer.content for answer in answers)
    throttled = events(Kind.PASSWORD_RESET_ASKED, detail__throttled=True)
    assert throttled.count() == 1


def test_reset_is_throttled_per_address_across_emails(settings, client, practitioner):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 2
    ask_reset(client, "someone@council.example")
    ask_reset(client, "another@council.example")

    answer = ask_reset(client, practitioner.user.email)
    elsewhere = ask_reset(Client(REMOTE_ADDR="192.0.2.44"), practitioner.user.email)

    assert answer.redirect_chain == elsewhere.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert [message.to for message in mail.outbox] == [[practitioner.user.email]]  # only the other address's


def test_a_reset_link_lasts_one_hour(settings, client, practitioner, frozen_today):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    ask_reset(client, practitioner.user.email)
    link = re.search(r"https?://testserver(/accounts/reset/\S+/\S+/)", mail.outbox[0].body).group(1)

    frozen_today.tick(timedelta(minutes=59))
    assert Client().get(link, follow=True).context["validlink"] is True
    frozen_today.tick(timedelta(minutes=2))
    assert Client().get(link, follow=True).context["validlink"] is False
